-- Create "webhook_interests" table
CREATE TABLE `webhook_interests` (`id` bigint NOT NULL AUTO_INCREMENT, `every_type` bool NOT NULL DEFAULT 0, `event_types` json NULL, PRIMARY KEY (`id`)) CHARSET utf8mb4 COLLATE utf8mb4_bin AUTO_INCREMENT 124554051584;
-- The one row, as the outbox reads it: while an active endpoint exists it
-- says every type, until the next change to the endpoints says exactly
-- which (webhook.Service); with none, nothing is written.
INSERT INTO `webhook_interests` (`every_type`, `event_types`) SELECT EXISTS (SELECT 1 FROM `webhook_endpoints` WHERE `active`), NULL;
