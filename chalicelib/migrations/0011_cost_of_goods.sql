-- Cost of goods at the time of sale (issue "Purchasing and profit", item 5).
--
-- The cost in force at a moment is the one the staff's latest cost edit before it set (`staff_edits`
-- keeps every one; a dropped cost, new_value NULL, is no cost from then on). Before a product's first
-- cost edit its cost is unknown: its sales then are revenue of unknown cost, never cost 0. Each period
-- runs from one edit to the next; a cost edit only ever starts a period now, so what was sold before
-- it keeps the cost it was sold at.
CREATE INDEX staff_edits_cost_idx ON staff_edits (entity_id, edited_at, id)
    WHERE entity = 'product' AND field = 'cost';

CREATE VIEW product_cost_periods AS
SELECT entity_id AS product_id,
       edited_at AS valid_from,
       lead(edited_at, 1, 'infinity') OVER (PARTITION BY entity_id ORDER BY edited_at, id) AS valid_to,
       (new_value #>> '{}')::numeric(14, 2) AS cost
FROM staff_edits
WHERE entity = 'product' AND field = 'cost';

-- What the per-day tables keep of it, so that a year's profit sums a few thousand rows: per product
-- and day, the cost of the goods sold (at the cost in force when each order was created) and the
-- revenue of those sold at no known cost; per day and status, the same over every item, plus the
-- goods' revenue (the items' totals; `revenue` stays the orders' total_amount, delivery included).
-- An item matched to no product is of unknown cost.
ALTER TABLE product_trends
    ADD COLUMN cogs numeric(18, 2) NOT NULL DEFAULT 0,
    ADD COLUMN uncosted_revenue numeric(16, 2) NOT NULL DEFAULT 0;
ALTER TABLE order_daily_stats
    ADD COLUMN goods_revenue numeric(16, 2) NOT NULL DEFAULT 0,
    ADD COLUMN cogs numeric(18, 2) NOT NULL DEFAULT 0,
    ADD COLUMN uncosted_revenue numeric(16, 2) NOT NULL DEFAULT 0;

-- The next orders run rebuilds both tables from every order (analytics.ensure_built_for).
DELETE FROM analytics_state WHERE key = 'timezone';
