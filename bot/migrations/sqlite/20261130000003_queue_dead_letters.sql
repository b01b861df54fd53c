-- Deliveries are deduplicated on the delivery id alone: the hook id header is not
-- signed, so a replay with another hook id must still be recognised. Older rows that
-- repeat a delivery id keep their history under a suffixed id.
UPDATE deliveries SET delivery_id = delivery_id || '#' || CAST(id AS TEXT)
 WHERE id NOT IN (SELECT MIN(id) FROM deliveries GROUP BY forge, delivery_id);
CREATE UNIQUE INDEX deliveries_delivery ON deliveries (forge, delivery_id);
-- (The old UNIQUE (forge, hook_id, delivery_id) stays: dropping it means rebuilding the
-- table on SQLite. Dead letters, state 'failed', are found through deliveries_due.)
