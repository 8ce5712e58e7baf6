-- Modify "cancellation_records" table
ALTER TABLE `cancellation_records` ADD COLUMN `customer_decision` enum('ACCEPTED','DECLINED') NULL;
ALTER TABLE `cancellation_records` ADD COLUMN `customer_decided_at` datetime(6) NULL;
ALTER TABLE `cancellation_records` ADD COLUMN `customer_decision_address` varchar(64) NULL;
ALTER TABLE `cancellation_records` MODIFY COLUMN `status` enum('AWAITING_CUSTOMER','REQUESTED','APPROVED','REJECTED','EXECUTED') NOT NULL;
-- Modify "customer_notices" table
ALTER TABLE `customer_notices` MODIFY COLUMN `kind` enum('ORDER_CONFIRMED','CANCELLATION_EXECUTED','ORDER_VOIDED','RETURN_RECEIVED','RETURN_REFUNDED','CORRECTION_AWAITING_CUSTOMER','INVOICE_ISSUED','PAYMENT_OVERDUE','CANCELLATION_AWAITING_CUSTOMER') NOT NULL;
