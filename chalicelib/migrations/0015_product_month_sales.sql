-- Each product's sales per shop-local calendar month: the sums of its product_trends days. Profit
-- per product or category over a year read some 700,000 (product, day) rows on the benchmark
-- database (two thirds of a second on its machine); with these, the whole months of a range are
-- 2,000 rows each and only the days at its two ends come from product_trends (stores/profit.py).
--
-- Kept by triggers on product_trends, in the statement that writes it: every path that writes a
-- day's sales (a re-sync's moves, a refresh of days, a rebuild for another zone, a product deleted
-- with its days) moves its month by the same amounts, with no second place to forget. They are
-- statement-level, over the statement's transition tables: one set-based write a statement, not a
-- row at a time, and nothing when only stock columns changed.
CREATE TABLE product_month_sales (
    product_id       bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    month            date NOT NULL CHECK (month = date_trunc('month', month)::date),
    sales_qty        bigint NOT NULL DEFAULT 0,
    revenue          numeric(18, 2) NOT NULL DEFAULT 0,
    cogs             numeric(20, 2) NOT NULL DEFAULT 0,
    uncosted_revenue numeric(18, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, month)
);

INSERT INTO product_month_sales (product_id, month, sales_qty, revenue, cogs, uncosted_revenue)
SELECT product_id, date_trunc('month', day)::date, sum(sales_qty), sum(revenue), sum(cogs), sum(uncosted_revenue)
FROM product_trends
WHERE sales_qty <> 0 OR revenue <> 0 OR cogs <> 0 OR uncosted_revenue <> 0
GROUP BY 1, 2;

-- The moves of one statement: new rows in, old rows out, summed by (product, month); a month whose
-- sums do not move (a day whose stock alone changed) is not written. The days of a deleted product
-- (deleted with it) move nothing: its months go with it too. The one statement is written once,
-- over the rows the operation has (an INSERT has no old rows, a DELETE no new ones).
CREATE FUNCTION product_month_sales_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moves text := CASE TG_OP
        WHEN 'INSERT' THEN
            'SELECT product_id, day, sales_qty, revenue, cogs, uncosted_revenue FROM new_days'
        WHEN 'UPDATE' THEN
            'SELECT product_id, day, sales_qty, revenue, cogs, uncosted_revenue FROM new_days
             UNION ALL
             SELECT product_id, day, -sales_qty, -revenue, -cogs, -uncosted_revenue FROM old_days'
        ELSE
            'SELECT product_id, day, -sales_qty, -revenue, -cogs, -uncosted_revenue FROM old_days'
    END;
BEGIN
    EXECUTE format($sql$
        WITH sums AS (
            SELECT product_id, date_trunc('month', day)::date AS month, sum(sales_qty) AS sales_qty,
                   sum(revenue) AS revenue, sum(cogs) AS cogs, sum(uncosted_revenue) AS uncosted_revenue
            FROM (%s) moves (product_id, day, sales_qty, revenue, cogs, uncosted_revenue)
            GROUP BY 1, 2
            HAVING sum(sales_qty) <> 0 OR sum(revenue) <> 0 OR sum(cogs) <> 0 OR sum(uncosted_revenue) <> 0
        )
        INSERT INTO product_month_sales AS m (product_id, month, sales_qty, revenue, cogs, uncosted_revenue)
        SELECT s.* FROM sums s
        WHERE EXISTS (SELECT 1 FROM products p WHERE p.id = s.product_id)  -- not one deleted now
        ON CONFLICT (product_id, month) DO UPDATE SET
            sales_qty        = m.sales_qty + EXCLUDED.sales_qty,
            revenue          = m.revenue + EXCLUDED.revenue,
            cogs             = m.cogs + EXCLUDED.cogs,
            uncosted_revenue = m.uncosted_revenue + EXCLUDED.uncosted_revenue
    $sql$, moves);
    RETURN NULL;
END
$$;

CREATE TRIGGER product_month_sales_inserted AFTER INSERT ON product_trends
    REFERENCING NEW TABLE AS new_days FOR EACH STATEMENT EXECUTE FUNCTION product_month_sales_moved();
CREATE TRIGGER product_month_sales_updated AFTER UPDATE ON product_trends
    REFERENCING OLD TABLE AS old_days NEW TABLE AS new_days
    FOR EACH STATEMENT EXECUTE FUNCTION product_month_sales_moved();
CREATE TRIGGER product_month_sales_deleted AFTER DELETE ON product_trends
    REFERENCING OLD TABLE AS old_days FOR EACH STATEMENT EXECUTE FUNCTION product_month_sales_moved();
