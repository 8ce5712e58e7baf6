-- Add column "customer_decision" to table: "order_corrections"
ALTER TABLE `order_corrections` ADD COLUMN `customer_decision` text NULL;
-- Add column "customer_decided_at" to table: "order_corrections"
ALTER TABLE `order_corrections` ADD COLUMN `customer_decided_at` datetime NULL;
-- Add column "customer_decision_address" to table: "order_corrections"
ALTER TABLE `order_corrections` ADD COLUMN `customer_decision_address` text NULL;
