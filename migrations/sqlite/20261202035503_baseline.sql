-- Create "audit_events" table
CREATE TABLE `audit_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `actor_kind` text NOT NULL, `actor_name` text NOT NULL, `action` text NOT NULL, `subject_type` text NOT NULL, `subject_id` integer NOT NULL, `from_status` text NULL, `to_status` text NULL, `reason` text NULL, `amount_minor` integer NULL, `currency` text NULL, `before` json NULL, `after` json NULL, `request_id` text NULL, `actor_id` integer NULL, `order_id` integer NULL, CONSTRAINT `audit_events_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `audit_events_orders_events` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- Create index "auditevent_order_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_order_id_created_at` ON `audit_events` (`order_id`, `created_at`);
-- Create index "auditevent_subject_type_subject_id" to table: "audit_events"
CREATE INDEX `auditevent_subject_type_subject_id` ON `audit_events` (`subject_type`, `subject_id`);
-- Create index "auditevent_actor_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_actor_id_created_at` ON `audit_events` (`actor_id`, `created_at`);
-- Create index "auditevent_action_created_at" to table: "audit_events"
CREATE INDEX `auditevent_action_created_at` ON `audit_events` (`action`, `created_at`);
-- Create index "auditevent_created_at" to table: "audit_events"
CREATE INDEX `auditevent_created_at` ON `audit_events` (`created_at`);
-- Create "cancellation_records" table
CREATE TABLE `cancellation_records` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `kind` text NOT NULL, `scope` text NOT NULL, `lines` json NULL, `reason_code` text NOT NULL, `note` text NULL, `resolution` text NOT NULL DEFAULT ('NONE'), `status` text NOT NULL, `needs_manager_approval` bool NOT NULL DEFAULT (false), `needs_finance_approval` bool NOT NULL DEFAULT (false), `manager_approved_at` datetime NULL, `finance_approved_at` datetime NULL, `decided_at` datetime NULL, `decision_note` text NULL, `executed_at` datetime NULL, `amount_refunded_minor` integer NOT NULL DEFAULT (0), `amount_cancelled_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL, `quantity_released` integer NOT NULL DEFAULT (0), `automatic` bool NOT NULL DEFAULT (false), `requested_by_id` integer NULL, `manager_approved_by_id` integer NULL, `finance_approved_by_id` integer NULL, `decided_by_id` integer NULL, `new_order_id` integer NULL, `order_id` integer NOT NULL, CONSTRAINT `cancellation_records_users_requested_by` FOREIGN KEY (`requested_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_users_manager_approved_by` FOREIGN KEY (`manager_approved_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_users_finance_approved_by` FOREIGN KEY (`finance_approved_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_users_decided_by` FOREIGN KEY (`decided_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_orders_new_order` FOREIGN KEY (`new_order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_orders_cancellations` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION);
-- Set sequence for "cancellation_records" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("cancellation_records", 4294967296);
-- Create index "cancellationrecord_order_id_status" to table: "cancellation_records"
CREATE INDEX `cancellationrecord_order_id_status` ON `cancellation_records` (`order_id`, `status`);
-- Create index "cancellationrecord_status_created_at" to table: "cancellation_records"
CREATE INDEX `cancellationrecord_status_created_at` ON `cancellation_records` (`status`, `created_at`);
-- Create index "cancellationrecord_reason_code_executed_at" to table: "cancellation_records"
CREATE INDEX `cancellationrecord_reason_code_executed_at` ON `cancellation_records` (`reason_code`, `executed_at`);
-- Create "complaints" table
CREATE TABLE `complaints` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `category` text NOT NULL, `severity` text NOT NULL, `status` text NOT NULL DEFAULT ('OPEN'), `subject` text NOT NULL, `description` text NOT NULL, `resolution` text NULL, `due_at` datetime NOT NULL, `resolved_at` datetime NULL, `closed_at` datetime NULL, `overdue_notified_at` datetime NULL, `reopen_count` integer NOT NULL DEFAULT (0), `assignee_id` integer NULL, `filed_by_id` integer NULL, `resolved_by_return_id` integer NULL, `resolved_by_payment_id` integer NULL, `resolved_by_correction_id` integer NULL, `resolved_by_order_id` integer NULL, `customer_id` integer NOT NULL, `order_id` integer NULL, CONSTRAINT `complaints_users_assignee` FOREIGN KEY (`assignee_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `complaints_users_filed_by` FOREIGN KEY (`filed_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `complaints_return_orders_resolved_by_return` FOREIGN KEY (`resolved_by_return_id`) REFERENCES `return_orders` (`id`) ON DELETE SET NULL, CONSTRAINT `complaints_payments_resolved_by_payment` FOREIGN KEY (`resolved_by_payment_id`) REFERENCES `payments` (`id`) ON DELETE SET NULL, CONSTRAINT `complaints_order_corrections_resolved_by_correction` FOREIGN KEY (`resolved_by_correction_id`) REFERENCES `order_corrections` (`id`) ON DELETE SET NULL, CONSTRAINT `complaints_orders_resolved_by_order` FOREIGN KEY (`resolved_by_order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `complaints_customers_complaints` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `complaints_orders_complaints` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- Set sequence for "complaints" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("complaints", 8589934592);
-- Create index "complaint_customer_id" to table: "complaints"
CREATE INDEX `complaint_customer_id` ON `complaints` (`customer_id`);
-- Create index "complaint_order_id" to table: "complaints"
CREATE INDEX `complaint_order_id` ON `complaints` (`order_id`);
-- Create index "complaint_assignee_id_status" to table: "complaints"
CREATE INDEX `complaint_assignee_id_status` ON `complaints` (`assignee_id`, `status`);
-- Create index "complaint_status_due_at" to table: "complaints"
CREATE INDEX `complaint_status_due_at` ON `complaints` (`status`, `due_at`);
-- Create "customers" table
CREATE TABLE `customers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `name` text NOT NULL, `contact_name` text NULL, `email` text NULL, `phone` text NULL, `billing_address` json NULL, `shipping_address` json NULL, `credit_limit_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL, `owner_id` integer NULL, CONSTRAINT `customers_users_customers` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "customers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("customers", 12884901888);
-- Create index "customer_owner_id" to table: "customers"
CREATE INDEX `customer_owner_id` ON `customers` (`owner_id`);
-- Create index "customer_name" to table: "customers"
CREATE INDEX `customer_name` ON `customers` (`name`);
-- Create "idempotency_keys" table
CREATE TABLE `idempotency_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `user_id` integer NOT NULL, `operation` text NOT NULL, `key` text NOT NULL, `request_hash` text NOT NULL, `response` blob NULL, `expires_at` datetime NOT NULL);
-- Set sequence for "idempotency_keys" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("idempotency_keys", 17179869184);
-- Create index "idempotencykey_user_id_operation_key" to table: "idempotency_keys"
CREATE UNIQUE INDEX `idempotencykey_user_id_operation_key` ON `idempotency_keys` (`user_id`, `operation`, `key`);
-- Create index "idempotencykey_expires_at" to table: "idempotency_keys"
CREATE INDEX `idempotencykey_expires_at` ON `idempotency_keys` (`expires_at`);
-- Create "ledger_entries" table
CREATE TABLE `ledger_entries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `kind` text NOT NULL, `amount_minor` integer NOT NULL, `currency` text NOT NULL, `description` text NOT NULL, `payment_id` integer NULL, `actor_id` integer NULL, `reverses_id` integer NULL, `order_id` integer NOT NULL, CONSTRAINT `ledger_entries_payments_payment` FOREIGN KEY (`payment_id`) REFERENCES `payments` (`id`) ON DELETE SET NULL, CONSTRAINT `ledger_entries_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `ledger_entries_ledger_entries_reversed_by` FOREIGN KEY (`reverses_id`) REFERENCES `ledger_entries` (`id`) ON DELETE SET NULL, CONSTRAINT `ledger_entries_orders_ledger_entries` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION);
-- Set sequence for "ledger_entries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("ledger_entries", 21474836480);
-- Create index "ledgerentry_order_id_created_at" to table: "ledger_entries"
CREATE INDEX `ledgerentry_order_id_created_at` ON `ledger_entries` (`order_id`, `created_at`);
-- Create index "ledgerentry_payment_id" to table: "ledger_entries"
CREATE INDEX `ledgerentry_payment_id` ON `ledger_entries` (`payment_id`);
-- Create index "ledgerentry_kind_created_at" to table: "ledger_entries"
CREATE INDEX `ledgerentry_kind_created_at` ON `ledger_entries` (`kind`, `created_at`);
-- Create "login_failures" table
CREATE TABLE `login_failures` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `key` text NOT NULL, `count` integer NOT NULL, `first_at` datetime NOT NULL, `last_at` datetime NOT NULL);
-- Set sequence for "login_failures" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("login_failures", 85899345920);
-- Create index "login_failures_key_key" to table: "login_failures"
CREATE UNIQUE INDEX `login_failures_key_key` ON `login_failures` (`key`);
-- Create index "loginfailure_last_at" to table: "login_failures"
CREATE INDEX `loginfailure_last_at` ON `login_failures` (`last_at`);
-- Create "notifications" table
CREATE TABLE `notifications` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `kind` text NOT NULL, `title` text NOT NULL, `body` text NULL, `subject_type` text NOT NULL, `subject_id` integer NOT NULL, `via_role` text NULL, `read_at` datetime NULL, `order_id` integer NULL, `recipient_id` integer NOT NULL, CONSTRAINT `notifications_orders_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `notifications_users_notifications` FOREIGN KEY (`recipient_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Set sequence for "notifications" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("notifications", 25769803776);
-- Create index "notification_recipient_id_read_at_created_at" to table: "notifications"
CREATE INDEX `notification_recipient_id_read_at_created_at` ON `notifications` (`recipient_id`, `read_at`, `created_at`);
-- Create "orders" table
CREATE TABLE `orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `number` text NOT NULL, `kind` text NOT NULL DEFAULT ('STANDARD'), `channel` text NOT NULL, `status` text NOT NULL DEFAULT ('DRAFT'), `currency` text NOT NULL, `subtotal_minor` integer NOT NULL DEFAULT (0), `discount_minor` integer NOT NULL DEFAULT (0), `total_minor` integer NOT NULL DEFAULT (0), `captured_minor` integer NOT NULL DEFAULT (0), `refunded_minor` integer NOT NULL DEFAULT (0), `credited_minor` integer NOT NULL DEFAULT (0), `requested_delivery_date` datetime NULL, `payment_due_at` datetime NULL, `notes` text NULL, `shipping_address` json NULL, `submitted_at` datetime NULL, `confirmed_at` datetime NULL, `shipped_at` datetime NULL, `delivered_at` datetime NULL, `completed_at` datetime NULL, `closed_at` datetime NULL, `status_reason` text NULL, `status_note` text NULL, `customer_id` integer NOT NULL, `owner_id` integer NULL, `reordered_from_id` integer NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `orders_users_owner` FOREIGN KEY (`owner_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `orders_orders_reorders` FOREIGN KEY (`reordered_from_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `order_credited_in_range` CHECK (credited_minor >= 0), CONSTRAINT `order_refunded_le_captured` CHECK (refunded_minor >= 0 AND refunded_minor <= captured_minor));
-- Set sequence for "orders" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("orders", 30064771072);
-- Create index "orders_number_key" to table: "orders"
CREATE UNIQUE INDEX `orders_number_key` ON `orders` (`number`);
-- Create index "order_customer_id_status" to table: "orders"
CREATE INDEX `order_customer_id_status` ON `orders` (`customer_id`, `status`);
-- Create index "order_owner_id" to table: "orders"
CREATE INDEX `order_owner_id` ON `orders` (`owner_id`);
-- Create index "order_status_payment_due_at" to table: "orders"
CREATE INDEX `order_status_payment_due_at` ON `orders` (`status`, `payment_due_at`);
-- Create index "order_created_at" to table: "orders"
CREATE INDEX `order_created_at` ON `orders` (`created_at`);
-- Create "order_corrections" table
CREATE TABLE `order_corrections` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `error_type` text NOT NULL, `cause` text NOT NULL, `severity` text NOT NULL, `status` text NOT NULL, `diff` json NOT NULL, `request` blob NOT NULL, `note` text NULL, `customer_confirmed` bool NOT NULL DEFAULT (false), `customer_confirmation_note` text NULL, `total_before_minor` integer NOT NULL DEFAULT (0), `total_after_minor` integer NOT NULL DEFAULT (0), `refund_due_minor` integer NOT NULL DEFAULT (0), `amount_due_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL, `expected_version` integer NOT NULL, `decided_at` datetime NULL, `decision_note` text NULL, `order_id` integer NOT NULL, `requested_by_id` integer NULL, `decided_by_id` integer NULL, CONSTRAINT `order_corrections_orders_corrections` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_corrections_users_requested_by` FOREIGN KEY (`requested_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `order_corrections_users_decided_by` FOREIGN KEY (`decided_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Set sequence for "order_corrections" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("order_corrections", 34359738368);
-- Create index "ordercorrection_order_id" to table: "order_corrections"
CREATE INDEX `ordercorrection_order_id` ON `order_corrections` (`order_id`);
-- Create index "ordercorrection_status_created_at" to table: "order_corrections"
CREATE INDEX `ordercorrection_status_created_at` ON `order_corrections` (`status`, `created_at`);
-- Create index "ordercorrection_error_type_cause" to table: "order_corrections"
CREATE INDEX `ordercorrection_error_type_cause` ON `order_corrections` (`error_type`, `cause`);
-- Create "order_lines" table
CREATE TABLE `order_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `position` integer NOT NULL, `sku` text NOT NULL, `name` text NOT NULL, `quantity` integer NOT NULL, `unit_price_minor` integer NOT NULL DEFAULT (0), `list_price_minor` integer NOT NULL DEFAULT (0), `discount_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL, `quantity_reserved` integer NOT NULL DEFAULT (0), `quantity_cancelled` integer NOT NULL DEFAULT (0), `quantity_shipped` integer NOT NULL DEFAULT (0), `quantity_returned` integer NOT NULL DEFAULT (0), `order_id` integer NOT NULL, `stock_item_id` integer NOT NULL, CONSTRAINT `order_lines_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_lines_stock_items_stock_item` FOREIGN KEY (`stock_item_id`) REFERENCES `stock_items` (`id`) ON DELETE NO ACTION, CONSTRAINT `line_quantities_in_range` CHECK (quantity_cancelled + quantity_shipped <= quantity AND quantity_returned <= quantity_shipped AND quantity_reserved <= quantity));
-- Set sequence for "order_lines" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("order_lines", 38654705664);
-- Create index "orderline_order_id_position" to table: "order_lines"
CREATE INDEX `orderline_order_id_position` ON `order_lines` (`order_id`, `position`);
-- Create index "orderline_stock_item_id" to table: "order_lines"
CREATE INDEX `orderline_stock_item_id` ON `order_lines` (`stock_item_id`);
-- Create "payments" table
CREATE TABLE `payments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `kind` text NOT NULL, `amount_minor` integer NOT NULL, `refunded_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL, `method` text NOT NULL, `status` text NOT NULL, `provider_reference` text NULL, `failure_reason` text NULL, `cancel_reason` text NULL, `captured_at` datetime NULL, `failed_at` datetime NULL, `cancelled_at` datetime NULL, `order_id` integer NOT NULL, `refund_of_id` integer NULL, `recorded_by_id` integer NULL, `cancellation_id` integer NULL, `return_order_id` integer NULL, CONSTRAINT `payments_orders_payments` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `payments_payments_refunds` FOREIGN KEY (`refund_of_id`) REFERENCES `payments` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_users_recorded_by` FOREIGN KEY (`recorded_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_cancellation_records_cancellation` FOREIGN KEY (`cancellation_id`) REFERENCES `cancellation_records` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_return_orders_return_order` FOREIGN KEY (`return_order_id`) REFERENCES `return_orders` (`id`) ON DELETE SET NULL, CONSTRAINT `payment_refunded_le_amount` CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor));
-- Set sequence for "payments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("payments", 42949672960);
-- Create index "payment_order_id_kind_status" to table: "payments"
CREATE INDEX `payment_order_id_kind_status` ON `payments` (`order_id`, `kind`, `status`);
-- Create index "payment_refund_of_id" to table: "payments"
CREATE INDEX `payment_refund_of_id` ON `payments` (`refund_of_id`);
-- Create index "payment_status_created_at" to table: "payments"
CREATE INDEX `payment_status_created_at` ON `payments` (`status`, `created_at`);
-- Create "refresh_tokens" table
CREATE TABLE `refresh_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `token_hash` text NOT NULL, `family` text NOT NULL, `expires_at` datetime NOT NULL, `used_at` datetime NULL, `revoked_at` datetime NULL, `user_id` integer NOT NULL, CONSTRAINT `refresh_tokens_users_refresh_tokens` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Set sequence for "refresh_tokens" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("refresh_tokens", 47244640256);
-- Create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
CREATE UNIQUE INDEX `refresh_tokens_token_hash_key` ON `refresh_tokens` (`token_hash`);
-- Create index "refreshtoken_family" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_family` ON `refresh_tokens` (`family`);
-- Create index "refreshtoken_user_id" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_user_id` ON `refresh_tokens` (`user_id`);
-- Create "return_lines" table
CREATE TABLE `return_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `quantity` integer NOT NULL, `reason` text NOT NULL, `note` text NULL, `quantity_restocked` integer NOT NULL DEFAULT (0), `quantity_damaged` integer NOT NULL DEFAULT (0), `order_line_id` integer NOT NULL, `return_order_id` integer NOT NULL, CONSTRAINT `return_lines_order_lines_order_line` FOREIGN KEY (`order_line_id`) REFERENCES `order_lines` (`id`) ON DELETE NO ACTION, CONSTRAINT `return_lines_return_orders_lines` FOREIGN KEY (`return_order_id`) REFERENCES `return_orders` (`id`) ON DELETE NO ACTION);
-- Set sequence for "return_lines" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("return_lines", 51539607552);
-- Create index "returnline_return_order_id" to table: "return_lines"
CREATE INDEX `returnline_return_order_id` ON `return_lines` (`return_order_id`);
-- Create index "returnline_order_line_id" to table: "return_lines"
CREATE INDEX `returnline_order_line_id` ON `return_lines` (`order_line_id`);
-- Create "return_orders" table
CREATE TABLE `return_orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `number` text NOT NULL, `status` text NOT NULL DEFAULT ('REQUESTED'), `resolution` text NOT NULL DEFAULT ('REFUND'), `note` text NULL, `decision_note` text NULL, `amount_refunded_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL, `decided_at` datetime NULL, `received_at` datetime NULL, `refunded_at` datetime NULL, `closed_at` datetime NULL, `order_id` integer NOT NULL, `shipment_id` integer NULL, `requested_by_id` integer NULL, `decided_by_id` integer NULL, `received_by_id` integer NULL, `exchange_order_id` integer NULL, CONSTRAINT `return_orders_orders_returns` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `return_orders_shipments_shipment` FOREIGN KEY (`shipment_id`) REFERENCES `shipments` (`id`) ON DELETE SET NULL, CONSTRAINT `return_orders_users_requested_by` FOREIGN KEY (`requested_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `return_orders_users_decided_by` FOREIGN KEY (`decided_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `return_orders_users_received_by` FOREIGN KEY (`received_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `return_orders_orders_exchange_order` FOREIGN KEY (`exchange_order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- Set sequence for "return_orders" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("return_orders", 55834574848);
-- Create index "return_orders_number_key" to table: "return_orders"
CREATE UNIQUE INDEX `return_orders_number_key` ON `return_orders` (`number`);
-- Create index "returnorder_order_id" to table: "return_orders"
CREATE INDEX `returnorder_order_id` ON `return_orders` (`order_id`);
-- Create index "returnorder_status_created_at" to table: "return_orders"
CREATE INDEX `returnorder_status_created_at` ON `return_orders` (`status`, `created_at`);
-- Create "sequences" table
CREATE TABLE `sequences` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `last_value` integer NOT NULL DEFAULT (0));
-- Set sequence for "sequences" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sequences", 60129542144);
-- Create index "sequences_name_key" to table: "sequences"
CREATE UNIQUE INDEX `sequences_name_key` ON `sequences` (`name`);
-- Create "shipments" table
CREATE TABLE `shipments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `carrier` text NOT NULL, `tracking_number` text NULL, `status` text NOT NULL DEFAULT ('IN_TRANSIT'), `address` json NULL, `exception_note` text NULL, `exception_reported_at` datetime NULL, `exception_resolution` text NULL, `exception_resolved_at` datetime NULL, `shipped_at` datetime NOT NULL, `delivered_at` datetime NULL, `order_id` integer NOT NULL, `shipped_by_id` integer NULL, `replacement_order_id` integer NULL, CONSTRAINT `shipments_orders_shipments` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `shipments_users_shipped_by` FOREIGN KEY (`shipped_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `shipments_orders_replacement_order` FOREIGN KEY (`replacement_order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- Set sequence for "shipments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("shipments", 64424509440);
-- Create index "shipment_order_id" to table: "shipments"
CREATE INDEX `shipment_order_id` ON `shipments` (`order_id`);
-- Create index "shipment_status" to table: "shipments"
CREATE INDEX `shipment_status` ON `shipments` (`status`);
-- Create index "shipment_tracking_number" to table: "shipments"
CREATE INDEX `shipment_tracking_number` ON `shipments` (`tracking_number`);
-- Create "shipment_lines" table
CREATE TABLE `shipment_lines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `quantity` integer NOT NULL, `shipment_id` integer NOT NULL, `order_line_id` integer NOT NULL, CONSTRAINT `shipment_lines_shipments_lines` FOREIGN KEY (`shipment_id`) REFERENCES `shipments` (`id`) ON DELETE NO ACTION, CONSTRAINT `shipment_lines_order_lines_order_line` FOREIGN KEY (`order_line_id`) REFERENCES `order_lines` (`id`) ON DELETE NO ACTION);
-- Set sequence for "shipment_lines" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("shipment_lines", 68719476736);
-- Create index "shipmentline_shipment_id" to table: "shipment_lines"
CREATE INDEX `shipmentline_shipment_id` ON `shipment_lines` (`shipment_id`);
-- Create index "shipmentline_order_line_id" to table: "shipment_lines"
CREATE INDEX `shipmentline_order_line_id` ON `shipment_lines` (`order_line_id`);
-- Create "stock_items" table
CREATE TABLE `stock_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `sku` text NOT NULL, `name` text NOT NULL, `description` text NULL, `unit_price_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL, `on_hand` integer NOT NULL DEFAULT (0), `reserved` integer NOT NULL DEFAULT (0), `active` bool NOT NULL DEFAULT (true), CONSTRAINT `stock_on_hand_nonnegative` CHECK (on_hand >= 0), CONSTRAINT `stock_reserved_in_range` CHECK (reserved >= 0 AND reserved <= on_hand));
-- Set sequence for "stock_items" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("stock_items", 73014444032);
-- Create index "stock_items_sku_key" to table: "stock_items"
CREATE UNIQUE INDEX `stock_items_sku_key` ON `stock_items` (`sku`);
-- Create index "stockitem_name" to table: "stock_items"
CREATE INDEX `stockitem_name` ON `stock_items` (`name`);
-- Create "stock_movements" table
CREATE TABLE `stock_movements` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `kind` text NOT NULL, `quantity` integer NOT NULL, `on_hand_delta` integer NOT NULL, `reserved_delta` integer NOT NULL, `on_hand_after` integer NOT NULL, `reserved_after` integer NOT NULL, `reason` text NULL, `note` text NULL, `stock_item_id` integer NOT NULL, `order_id` integer NULL, `actor_id` integer NULL, `return_order_id` integer NULL, `cancellation_id` integer NULL, `correction_id` integer NULL, CONSTRAINT `stock_movements_stock_items_movements` FOREIGN KEY (`stock_item_id`) REFERENCES `stock_items` (`id`) ON DELETE NO ACTION, CONSTRAINT `stock_movements_orders_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `stock_movements_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `stock_movements_return_orders_return_order` FOREIGN KEY (`return_order_id`) REFERENCES `return_orders` (`id`) ON DELETE SET NULL, CONSTRAINT `stock_movements_cancellation_records_cancellation` FOREIGN KEY (`cancellation_id`) REFERENCES `cancellation_records` (`id`) ON DELETE SET NULL, CONSTRAINT `stock_movements_order_corrections_correction` FOREIGN KEY (`correction_id`) REFERENCES `order_corrections` (`id`) ON DELETE SET NULL);
-- Set sequence for "stock_movements" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("stock_movements", 77309411328);
-- Create index "stockmovement_stock_item_id_created_at" to table: "stock_movements"
CREATE INDEX `stockmovement_stock_item_id_created_at` ON `stock_movements` (`stock_item_id`, `created_at`);
-- Create index "stockmovement_order_id" to table: "stock_movements"
CREATE INDEX `stockmovement_order_id` ON `stock_movements` (`order_id`);
-- Create index "stockmovement_kind_created_at" to table: "stock_movements"
CREATE INDEX `stockmovement_kind_created_at` ON `stock_movements` (`kind`, `created_at`);
-- Create index "stockmovement_cancellation_id" to table: "stock_movements"
CREATE INDEX `stockmovement_cancellation_id` ON `stock_movements` (`cancellation_id`);
-- Create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `email` text NOT NULL, `name` text NOT NULL, `password_hash` text NOT NULL, `role` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `scopes` json NULL, `last_login_at` datetime NULL);
-- Set sequence for "users" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("users", 81604378624);
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create index "user_role_active" to table: "users"
CREATE INDEX `user_role_active` ON `users` (`role`, `active`);
