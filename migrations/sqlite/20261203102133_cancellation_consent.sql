-- Add column "customer_decision" to table: "cancellation_records"
ALTER TABLE `cancellation_records` ADD COLUMN `customer_decision` text NULL;
-- Add column "customer_decided_at" to table: "cancellation_records"
ALTER TABLE `cancellation_records` ADD COLUMN `customer_decided_at` datetime NULL;
-- Add column "customer_decision_address" to table: "cancellation_records"
ALTER TABLE `cancellation_records` ADD COLUMN `customer_decision_address` text NULL;
