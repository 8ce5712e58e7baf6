-- Create "webhook_interests" table
CREATE TABLE `webhook_interests` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `every_type` bool NOT NULL DEFAULT (false), `event_types` json NULL);
-- Set sequence for "webhook_interests" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_interests", 124554051584);
-- The one row, as the outbox reads it: while an active endpoint exists it
-- says every type, until the next change to the endpoints says exactly
-- which (webhook.Service); with none, nothing is written.
INSERT INTO `webhook_interests` (`every_type`, `event_types`) SELECT EXISTS (SELECT 1 FROM `webhook_endpoints` WHERE `active`), NULL;
