-- Modify "outbox_events" table
ALTER TABLE `outbox_events` ADD COLUMN `shares_order` bool NOT NULL DEFAULT 0;
