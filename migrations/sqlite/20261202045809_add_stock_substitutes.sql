-- Add column "review_hold" to table: "orders"
ALTER TABLE `orders` ADD COLUMN `review_hold` text NULL;
-- Add column "review_hold_note" to table: "orders"
ALTER TABLE `orders` ADD COLUMN `review_hold_note` text NULL;
-- Add column "review_held_at" to table: "orders"
ALTER TABLE `orders` ADD COLUMN `review_held_at` datetime NULL;
-- Create "stock_item_substitutes" table
CREATE TABLE `stock_item_substitutes` (`stock_item_id` integer NOT NULL, `substitute_id` integer NOT NULL, PRIMARY KEY (`stock_item_id`, `substitute_id`), CONSTRAINT `stock_item_substitutes_stock_item_id` FOREIGN KEY (`stock_item_id`) REFERENCES `stock_items` (`id`) ON DELETE CASCADE, CONSTRAINT `stock_item_substitutes_substitute_id` FOREIGN KEY (`substitute_id`) REFERENCES `stock_items` (`id`) ON DELETE CASCADE);
