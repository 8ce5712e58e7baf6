-- Modify "orders" table
ALTER TABLE `orders` ADD COLUMN `review_hold` enum('STOCK','PRICE','CREDIT','DELIVERY_DATE') NULL;
ALTER TABLE `orders` ADD COLUMN `review_hold_note` varchar(2000) NULL;
ALTER TABLE `orders` ADD COLUMN `review_held_at` datetime(6) NULL;
-- Create "stock_item_substitutes" table
CREATE TABLE `stock_item_substitutes` (`stock_item_id` bigint NOT NULL, `substitute_id` bigint NOT NULL, PRIMARY KEY (`stock_item_id`, `substitute_id`), INDEX `stock_item_substitutes_substitute_id` (`substitute_id`), CONSTRAINT `stock_item_substitutes_stock_item_id` FOREIGN KEY (`stock_item_id`) REFERENCES `stock_items` (`id`) ON UPDATE RESTRICT ON DELETE CASCADE, CONSTRAINT `stock_item_substitutes_substitute_id` FOREIGN KEY (`substitute_id`) REFERENCES `stock_items` (`id`) ON UPDATE RESTRICT ON DELETE CASCADE) CHARSET utf8mb4 COLLATE utf8mb4_bin;
