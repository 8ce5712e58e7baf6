-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Add column "language" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `language` text NULL;
-- Create "new_invoices" table
CREATE TABLE `new_invoices` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `number` text NOT NULL, `status` text NOT NULL DEFAULT ('OPEN'), `currency` text NOT NULL, `lines` json NOT NULL, `subtotal_minor` integer NOT NULL, `discount_minor` integer NOT NULL, `total_minor` integer NOT NULL, `prior_credit_minor` integer NOT NULL, `billed_minor` integer NOT NULL, `credited_minor` integer NOT NULL DEFAULT (0), `balance_minor` integer NOT NULL DEFAULT (0), `due_at` datetime NOT NULL, `reminders` integer NOT NULL DEFAULT (0), `reminded_at` datetime NULL, `note` text NULL, `order_id` integer NOT NULL, `customer_id` integer NOT NULL, `issued_by_id` integer NULL, `replaces_id` integer NULL, CONSTRAINT `invoices_orders_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `invoices_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `invoices_users_issued_by` FOREIGN KEY (`issued_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `invoices_invoices_replaced_by` FOREIGN KEY (`replaces_id`) REFERENCES `invoices` (`id`) ON DELETE SET NULL, CONSTRAINT `invoice_amounts_in_range` CHECK (credited_minor >= 0 AND credited_minor <= billed_minor AND balance_minor >= 0));
-- Set sequence for "new_invoices" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_invoices", 98784247808);
-- Copy rows from old table "invoices" to new temporary table "new_invoices"
INSERT INTO `new_invoices` (`id`, `created_at`, `updated_at`, `version`, `number`, `status`, `currency`, `lines`, `subtotal_minor`, `discount_minor`, `total_minor`, `prior_credit_minor`, `billed_minor`, `credited_minor`, `balance_minor`, `due_at`, `note`, `order_id`, `customer_id`, `issued_by_id`, `replaces_id`) SELECT `id`, `created_at`, `updated_at`, `version`, `number`, `status`, `currency`, `lines`, `subtotal_minor`, `discount_minor`, `total_minor`, `prior_credit_minor`, `billed_minor`, `credited_minor`, `balance_minor`, `due_at`, `note`, `order_id`, `customer_id`, `issued_by_id`, `replaces_id` FROM `invoices`;
-- Drop "invoices" table after copying rows
DROP TABLE `invoices`;
-- Rename temporary table "new_invoices" to "invoices"
ALTER TABLE `new_invoices` RENAME TO `invoices`;
-- Create index "invoices_number_key" to table: "invoices"
CREATE UNIQUE INDEX `invoices_number_key` ON `invoices` (`number`);
-- Create index "invoice_order_id_status" to table: "invoices"
CREATE INDEX `invoice_order_id_status` ON `invoices` (`order_id`, `status`);
-- Create index "invoice_customer_id_status" to table: "invoices"
CREATE INDEX `invoice_customer_id_status` ON `invoices` (`customer_id`, `status`);
-- Create index "invoice_status_due_at" to table: "invoices"
CREATE INDEX `invoice_status_due_at` ON `invoices` (`status`, `due_at`);
-- Create index "invoice_status_reminders_due_at" to table: "invoices"
CREATE INDEX `invoice_status_reminders_due_at` ON `invoices` (`status`, `reminders`, `due_at`);
-- Create "customer_notices" table
CREATE TABLE `customer_notices` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `kind` text NOT NULL, `status` text NOT NULL DEFAULT ('QUEUED'), `facts` json NULL, `subject_type` text NULL, `subject_id` integer NULL, `language` text NULL, `channel` text NULL, `recipient` text NULL, `title` text NULL, `body` text NULL, `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `taken_until` datetime NULL, `last_error` text NULL, `sent_at` datetime NULL, `customer_id` integer NOT NULL, `order_id` integer NULL, CONSTRAINT `customer_notices_customers_notices` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `customer_notices_orders_notices` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- Set sequence for "customer_notices" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("customer_notices", 103079215104);
-- Create index "customernotice_status_next_attempt_at" to table: "customer_notices"
CREATE INDEX `customernotice_status_next_attempt_at` ON `customer_notices` (`status`, `next_attempt_at`);
-- Create index "customernotice_order_id_created_at" to table: "customer_notices"
CREATE INDEX `customernotice_order_id_created_at` ON `customer_notices` (`order_id`, `created_at`);
-- Create index "customernotice_customer_id_created_at" to table: "customer_notices"
CREATE INDEX `customernotice_customer_id_created_at` ON `customer_notices` (`customer_id`, `created_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
