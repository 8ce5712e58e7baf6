-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `prefix` text NOT NULL, `hash` text NOT NULL, `expires_at` datetime NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL, `user_id` integer NOT NULL, `created_by_id` integer NULL, CONSTRAINT `api_keys_users_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION, CONSTRAINT `api_keys_users_created_by` FOREIGN KEY (`created_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "api_keys" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("api_keys", 107374182400);
-- Create index "api_keys_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_hash_key` ON `api_keys` (`hash`);
-- Create "outbox_events" table
CREATE TABLE `outbox_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `type` text NOT NULL, `subject_type` text NOT NULL, `subject_id` integer NOT NULL, `order_id` integer NULL, `occurred_at` datetime NOT NULL, `data` json NOT NULL, `dispatched_at` datetime NULL);
-- Set sequence for "outbox_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("outbox_events", 111669149696);
-- Create index "outboxevent_dispatched_at_id" to table: "outbox_events"
CREATE INDEX `outboxevent_dispatched_at_id` ON `outbox_events` (`dispatched_at`, `id`);
-- Create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `event_type` text NOT NULL, `subject_key` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `taken_until` datetime NULL, `last_status_code` integer NULL, `last_latency_ms` integer NULL, `last_error` text NULL, `delivered_at` datetime NULL, `redelivery_of_id` integer NULL, `event_id` integer NOT NULL, `endpoint_id` integer NOT NULL, CONSTRAINT `webhook_deliveries_outbox_events_deliveries` FOREIGN KEY (`event_id`) REFERENCES `outbox_events` (`id`) ON DELETE NO ACTION, CONSTRAINT `webhook_deliveries_webhook_endpoints_deliveries` FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints` (`id`) ON DELETE NO ACTION);
-- Set sequence for "webhook_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_deliveries", 115964116992);
-- Create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_next_attempt_at` ON `webhook_deliveries` (`status`, `next_attempt_at`);
-- Create index "webhookdelivery_endpoint_id_subject_key_status" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_endpoint_id_subject_key_status` ON `webhook_deliveries` (`endpoint_id`, `subject_key`, `status`);
-- Create index "webhookdelivery_endpoint_id_created_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_endpoint_id_created_at` ON `webhook_deliveries` (`endpoint_id`, `created_at`);
-- Create "webhook_endpoints" table
CREATE TABLE `webhook_endpoints` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `url` text NOT NULL, `description` text NULL, `event_types` json NULL, `secret` text NOT NULL, `previous_secret` text NULL, `previous_secret_until` datetime NULL, `active` bool NOT NULL DEFAULT (true), `consecutive_failures` integer NOT NULL DEFAULT (0), `flagged_at` datetime NULL, `created_by_id` integer NULL, CONSTRAINT `webhook_endpoints_users_created_by` FOREIGN KEY (`created_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "webhook_endpoints" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_endpoints", 120259084288);
