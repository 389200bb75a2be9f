-- What purchasing needs of the analytics (issue "Purchasing and profit", items 1 to 3).
--
-- Demand that ignores stock-outs. A day on which a product was at zero at any products run could not
-- show its demand: the products sync notes it (`out_of_stock`), and the daily demand estimate counts
-- only the window's other days since the product's first known day (`demand_days`, shown). With too
-- few such days (`chalicelib/stores/analytics.py`) there is no estimate: the computed average is NULL
-- (`demand_estimated` false), the arithmetic below takes it as 0, and the console says why.
ALTER TABLE product_trends ADD COLUMN out_of_stock boolean NOT NULL DEFAULT false;
UPDATE product_trends SET out_of_stock = true WHERE stock_level <= 0;  -- that day's last run saw zero
ALTER TABLE product_analytics ADD COLUMN demand_days integer CHECK (demand_days >= 0);
ALTER TABLE product_analytics ALTER COLUMN avg_daily_sales_30d DROP NOT NULL,
                              ALTER COLUMN avg_daily_sales_30d DROP DEFAULT;

-- ABC classes by revenue over the last 90 shop-local days, computed with the other analytics: A the
-- products making the first 80% of the revenue, B the next 15%, C the rest (no revenue included).
ALTER TABLE product_analytics ADD COLUMN abc_class text CHECK (abc_class IN ('A', 'B', 'C'));

-- Safety stock and a recommendation that can be explained. The recommended quantity covers the
-- delivery time and 30 days more at the daily demand, plus a safety stock of z x sigma x sqrt(delivery
-- days): sigma is the spread of the daily demand over the days it counts (computed with it), z the
-- normal quantile of a service level, by default by ABC class (A 95%, B 90%, C 85%) and settable per
-- product (`staff_service_level`). The parts are columns of the view (the days of cover too), for the
-- API to explain the number.
ALTER TABLE product_analytics
    ADD COLUMN demand_sigma numeric(14, 3) CHECK (demand_sigma >= 0),
    ADD COLUMN staff_service_level numeric(4, 1) CHECK (staff_service_level >= 50 AND staff_service_level < 100);

-- The z with P(Z <= z) = p for a standard normal Z, for 0.5 <= p < 1 (Abramowitz & Stegun 26.2.23,
-- error under 0.00045: ample for a safety stock in whole units); 0 below.
CREATE FUNCTION normal_quantile(p numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN p <= 0.5 THEN 0 ELSE greatest(0,
        t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t))
    END
    FROM (SELECT CASE WHEN p > 0.5 AND p < 1 THEN sqrt(-2 * ln(1 - p)) END AS t) q
$$;

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
       a.abc_class,
       i.service_level,
       cls.service_level AS default_service_level,
       a.staff_service_level,
       round(q.z, 3) AS service_z,
       a.demand_sigma,
       s.safety_stock,
       dflt.cover_days
FROM products p
LEFT JOIN product_analytics a ON a.product_id = p.id
CROSS JOIN (SELECT 0 AS min_stock, 14 AS delivery_days, 0 AS in_transit, 30 AS cover_days) dflt
CROSS JOIN LATERAL (  -- the service level by ABC class, when the staff set none
    SELECT CASE a.abc_class WHEN 'A' THEN 95.0 WHEN 'B' THEN 90.0 ELSE 85.0 END AS service_level
) cls
CROSS JOIN LATERAL (
    SELECT COALESCE(a.staff_min_stock, dflt.min_stock) AS min_stock,
           COALESCE(a.staff_delivery_days, dflt.delivery_days) AS delivery_days,
           COALESCE(a.staff_in_transit, dflt.in_transit) AS in_transit,
           COALESCE(a.staff_avg_daily_sales_30d, a.avg_daily_sales_30d, 0) AS avg_daily_sales_30d,
           COALESCE(a.staff_service_level, cls.service_level) AS service_level
) i
CROSS JOIN LATERAL (SELECT normal_quantile(i.service_level / 100) AS z) q
CROSS JOIN LATERAL (
    -- Safety stock: z(service level) x sigma(daily demand) x sqrt(delivery days), whole units.
    SELECT LEAST(ceil(q.z * COALESCE(a.demand_sigma, 0) * sqrt(i.delivery_days::numeric)), 2147483647)::integer
               AS safety_stock
) s
CROSS JOIN LATERAL (
    -- What the service computes from the sales and the inputs in force (an overridden average
    -- included), before any override of the value itself.
    SELECT COALESCE(a.avg_daily_sales_30d, 0) AS avg_daily_sales_30d,
           COALESCE(a.trend, 'stable') AS trend,
           CASE WHEN i.avg_daily_sales_30d > 0
                THEN LEAST(floor(greatest(p.stock_quantity, 0) / i.avg_daily_sales_30d), 2147483647)::integer
           END AS days_to_zero,
           LEAST(GREATEST(0, ceil(i.avg_daily_sales_30d * (i.delivery_days + dflt.cover_days)) + s.safety_stock
                             + i.min_stock - p.stock_quantity - i.in_transit), 2147483647)::integer
               AS recommended_qty
) c
CROSS JOIN LATERAL (
    SELECT COALESCE(a.staff_days_to_zero, c.days_to_zero) AS days_to_zero
) d;
