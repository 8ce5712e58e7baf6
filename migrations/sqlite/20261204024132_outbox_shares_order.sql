-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_outbox_events" table
CREATE TABLE `new_outbox_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `type` text NOT NULL, `subject_type` text NOT NULL, `subject_id` integer NOT NULL, `order_id` integer NULL, `occurred_at` datetime NOT NULL, `data` json NOT NULL, `shares_order` bool NOT NULL DEFAULT (false), `dispatched_at` datetime NULL);
-- Set sequence for "new_outbox_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_outbox_events", 111669149696);
-- Copy rows from old table "outbox_events" to new temporary table "new_outbox_events"
INSERT INTO `new_outbox_events` (`id`, `type`, `subject_type`, `subject_id`, `order_id`, `occurred_at`, `data`, `dispatched_at`) SELECT `id`, `type`, `subject_type`, `subject_id`, `order_id`, `occurred_at`, `data`, `dispatched_at` FROM `outbox_events`;
-- Drop "outbox_events" table after copying rows
DROP TABLE `outbox_events`;
-- Rename temporary table "new_outbox_events" to "outbox_events"
ALTER TABLE `new_outbox_events` RENAME TO `outbox_events`;
-- Create index "outboxevent_dispatched_at_id" to table: "outbox_events"
CREATE INDEX `outboxevent_dispatched_at_id` ON `outbox_events` (`dispatched_at`, `id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
