-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_cancellation_records" table
CREATE TABLE `new_cancellation_records` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `kind` text NOT NULL, `scope` text NOT NULL, `lines` json NULL, `reason_code` text NOT NULL, `note` text NULL, `resolution` text NOT NULL DEFAULT ('NONE'), `status` text NOT NULL, `needs_manager_approval` bool NOT NULL DEFAULT (false), `needs_finance_approval` bool NOT NULL DEFAULT (false), `manager_approved_at` datetime NULL, `finance_approved_at` datetime NULL, `decided_at` datetime NULL, `decision_note` text NULL, `executed_at` datetime NULL, `amount_refunded_minor` integer NOT NULL DEFAULT (0), `amount_cancelled_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL, `quantity_released` integer NOT NULL DEFAULT (0), `automatic` bool NOT NULL DEFAULT (false), `requested_by_id` integer NULL, `manager_approved_by_id` integer NULL, `finance_approved_by_id` integer NULL, `decided_by_id` integer NULL, `new_order_id` integer NULL, `customer_contact_id` integer NULL, `order_id` integer NOT NULL, CONSTRAINT `cancellation_records_users_requested_by` FOREIGN KEY (`requested_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_users_manager_approved_by` FOREIGN KEY (`manager_approved_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_users_finance_approved_by` FOREIGN KEY (`finance_approved_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_users_decided_by` FOREIGN KEY (`decided_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_orders_new_order` FOREIGN KEY (`new_order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_contacts_customer_contact` FOREIGN KEY (`customer_contact_id`) REFERENCES `contacts` (`id`) ON DELETE SET NULL, CONSTRAINT `cancellation_records_orders_cancellations` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION);
-- Set sequence for "new_cancellation_records" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_cancellation_records", 4294967296);
-- Copy rows from old table "cancellation_records" to new temporary table "new_cancellation_records"
INSERT INTO `new_cancellation_records` (`id`, `created_at`, `updated_at`, `version`, `kind`, `scope`, `lines`, `reason_code`, `note`, `resolution`, `status`, `needs_manager_approval`, `needs_finance_approval`, `manager_approved_at`, `finance_approved_at`, `decided_at`, `decision_note`, `executed_at`, `amount_refunded_minor`, `amount_cancelled_minor`, `currency`, `quantity_released`, `automatic`, `requested_by_id`, `manager_approved_by_id`, `finance_approved_by_id`, `decided_by_id`, `new_order_id`, `order_id`) SELECT `id`, `created_at`, `updated_at`, `version`, `kind`, `scope`, `lines`, `reason_code`, `note`, `resolution`, `status`, `needs_manager_approval`, `needs_finance_approval`, `manager_approved_at`, `finance_approved_at`, `decided_at`, `decision_note`, `executed_at`, `amount_refunded_minor`, `amount_cancelled_minor`, `currency`, `quantity_released`, `automatic`, `requested_by_id`, `manager_approved_by_id`, `finance_approved_by_id`, `decided_by_id`, `new_order_id`, `order_id` FROM `cancellation_records`;
-- Drop "cancellation_records" table after copying rows
DROP TABLE `cancellation_records`;
-- Rename temporary table "new_cancellation_records" to "cancellation_records"
ALTER TABLE `new_cancellation_records` RENAME TO `cancellation_records`;
-- Create index "cancellationrecord_order_id_status" to table: "cancellation_records"
CREATE INDEX `cancellationrecord_order_id_status` ON `cancellation_records` (`order_id`, `status`);
-- Create index "cancellationrecord_status_created_at" to table: "cancellation_records"
CREATE INDEX `cancellationrecord_status_created_at` ON `cancellation_records` (`status`, `created_at`);
-- Create index "cancellationrecord_reason_code_executed_at" to table: "cancellation_records"
CREATE INDEX `cancellationrecord_reason_code_executed_at` ON `cancellation_records` (`reason_code`, `executed_at`);
-- Create "new_order_corrections" table
CREATE TABLE `new_order_corrections` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `error_type` text NOT NULL, `cause` text NOT NULL, `severity` text NOT NULL, `status` text NOT NULL, `diff` json NOT NULL, `request` blob NOT NULL, `note` text NULL, `customer_confirmed` bool NOT NULL DEFAULT (false), `customer_confirmation_note` text NULL, `total_before_minor` integer NOT NULL DEFAULT (0), `total_after_minor` integer NOT NULL DEFAULT (0), `refund_due_minor` integer NOT NULL DEFAULT (0), `amount_due_minor` integer NOT NULL DEFAULT (0), `currency` text NOT NULL, `expected_version` integer NOT NULL, `decided_at` datetime NULL, `decision_note` text NULL, `order_id` integer NOT NULL, `requested_by_id` integer NULL, `decided_by_id` integer NULL, `customer_contact_id` integer NULL, CONSTRAINT `order_corrections_orders_corrections` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `order_corrections_users_requested_by` FOREIGN KEY (`requested_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `order_corrections_users_decided_by` FOREIGN KEY (`decided_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `order_corrections_contacts_customer_contact` FOREIGN KEY (`customer_contact_id`) REFERENCES `contacts` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_order_corrections" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_order_corrections", 34359738368);
-- Copy rows from old table "order_corrections" to new temporary table "new_order_corrections"
INSERT INTO `new_order_corrections` (`id`, `created_at`, `updated_at`, `version`, `error_type`, `cause`, `severity`, `status`, `diff`, `request`, `note`, `customer_confirmed`, `customer_confirmation_note`, `total_before_minor`, `total_after_minor`, `refund_due_minor`, `amount_due_minor`, `currency`, `expected_version`, `decided_at`, `decision_note`, `order_id`, `requested_by_id`, `decided_by_id`) SELECT `id`, `created_at`, `updated_at`, `version`, `error_type`, `cause`, `severity`, `status`, `diff`, `request`, `note`, `customer_confirmed`, `customer_confirmation_note`, `total_before_minor`, `total_after_minor`, `refund_due_minor`, `amount_due_minor`, `currency`, `expected_version`, `decided_at`, `decision_note`, `order_id`, `requested_by_id`, `decided_by_id` FROM `order_corrections`;
-- Drop "order_corrections" table after copying rows
DROP TABLE `order_corrections`;
-- Rename temporary table "new_order_corrections" to "order_corrections"
ALTER TABLE `new_order_corrections` RENAME TO `order_corrections`;
-- Create index "ordercorrection_order_id" to table: "order_corrections"
CREATE INDEX `ordercorrection_order_id` ON `order_corrections` (`order_id`);
-- Create index "ordercorrection_status_created_at" to table: "order_corrections"
CREATE INDEX `ordercorrection_status_created_at` ON `order_corrections` (`status`, `created_at`);
-- Create index "ordercorrection_error_type_cause" to table: "order_corrections"
CREATE INDEX `ordercorrection_error_type_cause` ON `order_corrections` (`error_type`, `cause`);
-- Create "contacts" table
CREATE TABLE `contacts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `channel` text NOT NULL, `direction` text NOT NULL, `origin` text NOT NULL DEFAULT ('LOGGED'), `summary` text NOT NULL, `outcome` text NULL, `subject_type` text NULL, `subject_id` integer NULL, `follow_up_at` datetime NULL, `follow_up_done_at` datetime NULL, `follow_up_notified_at` datetime NULL, `satisfaction` integer NULL, `follow_up_assignee_id` integer NULL, `actor_id` integer NULL, `follow_up_done_by_id` integer NULL, `customer_id` integer NOT NULL, `order_id` integer NULL, CONSTRAINT `contacts_users_follow_up_assignee` FOREIGN KEY (`follow_up_assignee_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `contacts_users_actor` FOREIGN KEY (`actor_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `contacts_users_follow_up_done_by` FOREIGN KEY (`follow_up_done_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `contacts_customers_contacts` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `contacts_orders_contacts` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- Set sequence for "contacts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("contacts", 90194313216);
-- Create index "contact_customer_id_created_at" to table: "contacts"
CREATE INDEX `contact_customer_id_created_at` ON `contacts` (`customer_id`, `created_at`);
-- Create index "contact_order_id_created_at" to table: "contacts"
CREATE INDEX `contact_order_id_created_at` ON `contacts` (`order_id`, `created_at`);
-- Create index "contact_follow_up_assignee_id_follow_up_done_at_follow_up_at" to table: "contacts"
CREATE INDEX `contact_follow_up_assignee_id_follow_up_done_at_follow_up_at` ON `contacts` (`follow_up_assignee_id`, `follow_up_done_at`, `follow_up_at`);
-- Create index "contact_follow_up_done_at_follow_up_at" to table: "contacts"
CREATE INDEX `contact_follow_up_done_at_follow_up_at` ON `contacts` (`follow_up_done_at`, `follow_up_at`);
-- Create index "contact_subject_type_subject_id" to table: "contacts"
CREATE INDEX `contact_subject_type_subject_id` ON `contacts` (`subject_type`, `subject_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
