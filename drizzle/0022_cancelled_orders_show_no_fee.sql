-- A cancelled or rejected order was charged no fee: the fee it reserved while open went back with its hold.
-- Orders closed before the service said so show 0 too.
UPDATE "trade_orders" SET "fee" = 0 WHERE "status" IN ('cancelled', 'rejected') AND "fee" <> 0;
