-- ABC classes by revenue over the last 90 shop-local days, computed with the other analytics: A the
-- products making the first 80% of the revenue, B the next 15%, C the rest (no revenue included).
ALTER TABLE product_analytics ADD COLUMN abc_class text CHECK (abc_class IN ('A', 'B', 'C'));

CREATE OR REPLACE VIEW product_view AS
SELECT p.*,
       p.price - p.cost AS margin,
       i.min_stock,
       i.delivery_days,
       i.in_transit,
       i.avg_daily_sales_30d,
       COALESCE(a.staff_trend, c.trend) AS trend,
       d.days_to_zero,
       COALESCE(a.staff_recommended_qty, c.recommended_qty) AS recommended_qty,
       CASE WHEN p.stock_quantity <= i.min_stock OR d.days_to_zero <= i.delivery_days THEN 'critical'
            WHEN p.stock_quantity <= 2 * i.min_stock OR d.days_to_zero <= 2 * i.delivery_days THEN 'warning'
            ELSE 'normal'
       END AS stock_status,
       a.last_sale_at,
       a.staff_min_stock, a.staff_delivery_days, a.staff_in_transit, a.staff_avg_daily_sales_30d,
       a.staff_days_to_zero, a.staff_recommended_qty, a.staff_trend,
       c.avg_daily_sales_30d AS computed_avg_daily_sales_30d,
       c.trend AS computed_trend,
       c.days_to_zero AS computed_days_to_zero,
       c.recommended_qty AS computed_recommended_qty,
       dflt.min_stock AS default_min_stock,
       dflt.delivery_days AS default_delivery_days,
       dflt.in_transit AS default_in_transit,
       COALESCE(a.demand_days, 0) AS demand_days,
       a.avg_daily_sales_30d IS NOT NULL AS demand_estimated,
       a.abc_class
FROM products p
LEFT JOIN product_analytics a ON a.product_id = p.id
CROSS JOIN (SELECT 0 AS min_stock, 14 AS delivery_days, 0 AS in_transit) dflt
CROSS JOIN LATERAL (
    SELECT COALESCE(a.staff_min_stock, dflt.min_stock) AS min_stock,
           COALESCE(a.staff_delivery_days, dflt.delivery_days) AS delivery_days,
           COALESCE(a.staff_in_transit, dflt.in_transit) AS in_transit,
           COALESCE(a.staff_avg_daily_sales_30d, a.avg_daily_sales_30d, 0) AS avg_daily_sales_30d
) i
CROSS JOIN LATERAL (
    -- What the service computes from the sales and the inputs in force (an overridden average
    -- included), before any override of the value itself.
    SELECT COALESCE(a.avg_daily_sales_30d, 0) AS avg_daily_sales_30d,
           COALESCE(a.trend, 'stable') AS trend,
           CASE WHEN i.avg_daily_sales_30d > 0
                THEN LEAST(floor(greatest(p.stock_quantity, 0) / i.avg_daily_sales_30d), 2147483647)::integer
           END AS days_to_zero,
           LEAST(GREATEST(0, ceil(i.avg_daily_sales_30d * (i.delivery_days + 30))
                             + i.min_stock - p.stock_quantity - i.in_transit), 2147483647)::integer
               AS recommended_qty
) c
CROSS JOIN LATERAL (
    SELECT COALESCE(a.staff_days_to_zero, c.days_to_zero) AS days_to_zero
) d;
