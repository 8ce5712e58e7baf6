-- Create "credit_notes" table
CREATE TABLE `credit_notes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `number` text NOT NULL, `currency` text NOT NULL, `amount_minor` integer NOT NULL, `reason` text NOT NULL, `order_id` integer NOT NULL, `issued_by_id` integer NULL, `invoice_id` integer NOT NULL, CONSTRAINT `credit_notes_orders_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `credit_notes_users_issued_by` FOREIGN KEY (`issued_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `credit_notes_invoices_credit_notes` FOREIGN KEY (`invoice_id`) REFERENCES `invoices` (`id`) ON DELETE NO ACTION);
-- Set sequence for "credit_notes" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("credit_notes", 94489280512);
-- Create index "credit_notes_number_key" to table: "credit_notes"
CREATE UNIQUE INDEX `credit_notes_number_key` ON `credit_notes` (`number`);
-- Create index "creditnote_invoice_id" to table: "credit_notes"
CREATE INDEX `creditnote_invoice_id` ON `credit_notes` (`invoice_id`);
-- Create index "creditnote_order_id" to table: "credit_notes"
CREATE INDEX `creditnote_order_id` ON `credit_notes` (`order_id`);
-- Create "invoices" table
CREATE TABLE `invoices` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `number` text NOT NULL, `status` text NOT NULL DEFAULT ('OPEN'), `currency` text NOT NULL, `lines` json NOT NULL, `subtotal_minor` integer NOT NULL, `discount_minor` integer NOT NULL, `total_minor` integer NOT NULL, `prior_credit_minor` integer NOT NULL, `billed_minor` integer NOT NULL, `credited_minor` integer NOT NULL DEFAULT (0), `balance_minor` integer NOT NULL DEFAULT (0), `due_at` datetime NOT NULL, `note` text NULL, `order_id` integer NOT NULL, `customer_id` integer NOT NULL, `issued_by_id` integer NULL, `replaces_id` integer NULL, CONSTRAINT `invoices_orders_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE NO ACTION, CONSTRAINT `invoices_customers_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION, CONSTRAINT `invoices_users_issued_by` FOREIGN KEY (`issued_by_id`) REFERENCES `users` (`id`) ON DELETE SET NULL, CONSTRAINT `invoices_invoices_replaced_by` FOREIGN KEY (`replaces_id`) REFERENCES `invoices` (`id`) ON DELETE SET NULL, CONSTRAINT `invoice_amounts_in_range` CHECK (credited_minor >= 0 AND credited_minor <= billed_minor AND balance_minor >= 0));
-- Set sequence for "invoices" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("invoices", 98784247808);
-- Create index "invoices_number_key" to table: "invoices"
CREATE UNIQUE INDEX `invoices_number_key` ON `invoices` (`number`);
-- Create index "invoice_order_id_status" to table: "invoices"
CREATE INDEX `invoice_order_id_status` ON `invoices` (`order_id`, `status`);
-- Create index "invoice_customer_id_status" to table: "invoices"
CREATE INDEX `invoice_customer_id_status` ON `invoices` (`customer_id`, `status`);
-- Create index "invoice_status_due_at" to table: "invoices"
CREATE INDEX `invoice_status_due_at` ON `invoices` (`status`, `due_at`);
