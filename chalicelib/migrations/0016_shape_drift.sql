-- Shape drift (issue "Trust the shop less", item 2): each run's report of the shop's shape beside
-- the models (chalicelib/sync/shape.py): fields sent that the models do not know, expected fields
-- missing, order statuses never seen before, and whether the ShapeDrift metric is on. Null for a run
-- that read no records in full (a 304, a failure) and for the runs before this migration.
ALTER TABLE sync_runs ADD COLUMN shape jsonb;
ALTER TABLE sync_runs ADD COLUMN shape_drift boolean NOT NULL DEFAULT false;

-- Every order status the sync has seen, with when it first did: a status not here is new. The
-- statuses the API documents are known from the start, and so is every one already stored.
CREATE TABLE shop_statuses_seen (
    status        text PRIMARY KEY,
    first_seen_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO shop_statuses_seen (status)
SELECT unnest(ARRAY['unpaid', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'overdue',
                    'refunded'])
UNION
SELECT DISTINCT upstream_status FROM orders;
