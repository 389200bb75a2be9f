-- Orders per shop-local day, effective status and whether the shop still lists them, with their
-- total: what the stats and the lists' `total` read, so that a year over a million orders sums a few
-- thousand rows instead of scanning every order. Kept current in the same transactions that change
-- orders: every sync run (for the days it touched) and every status edit (for its day).
CREATE TABLE order_daily_stats (
    day     date NOT NULL,
    status  text NOT NULL,
    listed  boolean NOT NULL,          -- false: the shop no longer lists them (deleted_upstream_at)
    orders  integer NOT NULL,
    revenue numeric(16, 2) NOT NULL,   -- the sum of those orders' total_amount
    PRIMARY KEY (day, status, listed)
);

-- Which shop time zone the per-day tables (order_daily_stats, product_trends) were built in. The
-- orders sync rebuilds them when it finds none or another zone (also the backfill after this migration).
CREATE TABLE analytics_state (
    key   text PRIMARY KEY,
    value text NOT NULL
);
