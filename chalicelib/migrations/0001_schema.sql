-- The whole schema of CONTRACT.md.
--
-- Every field that both the shop and the staff may set is kept twice: `upstream_<field>` (what the
-- shop sent last; only the sync writes it) and `staff_<field>` (the staff's edit, NULL when there is
-- none; only the API writes it). The effective value is one generated column or view expression,
-- COALESCE(staff, upstream), used by every read, filter and stat. Dropping an edit is setting one
-- staff column back to NULL. Fields the shop never sends exist only as `staff_<field>`.

-- Products ------------------------------------------------------------------------------------------

CREATE TABLE products (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id             bigint NOT NULL UNIQUE,
    name                    text NOT NULL,
    normalized_name         text NOT NULL,            -- what order items are matched on
    category                text,
    brand                   text,
    description             text,
    main_ingredient         text,
    dosage_form             text,
    weight                  text,
    package_quantity        integer,
    upstream_price          numeric(14, 2),
    upstream_old_price      numeric(14, 2),
    upstream_stock_quantity integer NOT NULL DEFAULT 0,
    upstream_created_at     timestamptz,
    upstream_updated_at     timestamptz,
    upstream_deleted_at     timestamptz,              -- the shop's own soft delete
    upstream_hash           bytea NOT NULL,           -- digest of all upstream fields: "did it change?"

    staff_price             numeric(14, 2) CHECK (staff_price >= 0),
    staff_stock_quantity    integer CHECK (staff_stock_quantity >= 0),
    staff_cost              numeric(14, 2) CHECK (staff_cost >= 0),
    staff_is_hidden         boolean,

    price                   numeric(14, 2) GENERATED ALWAYS AS (COALESCE(staff_price, upstream_price)) STORED,
    stock_quantity          integer GENERATED ALWAYS AS (COALESCE(staff_stock_quantity, upstream_stock_quantity)) STORED,
    cost                    numeric(14, 2) GENERATED ALWAYS AS (staff_cost) STORED,
    is_hidden               boolean GENERATED ALWAYS AS (COALESCE(staff_is_hidden, false)) STORED,

    deleted_upstream_at     timestamptz,              -- vanished from a complete listing
    synced_at               timestamptz NOT NULL DEFAULT now(),  -- last write of upstream values
    updated_at              timestamptz NOT NULL DEFAULT now(),  -- last change of anything
    first_seen_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX products_normalized_name_idx ON products (normalized_name);
CREATE INDEX products_category_idx ON products (category);
CREATE INDEX products_name_idx ON products (lower(name));

-- Computed analytics (written by the sync) beside the staff's inputs and overrides.
CREATE TABLE product_analytics (
    product_id                bigint PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    avg_daily_sales_30d       numeric(14, 3) NOT NULL DEFAULT 0,
    trend                     text NOT NULL DEFAULT 'stable' CHECK (trend IN ('growing', 'falling', 'stable')),
    last_sale_at              timestamptz,
    computed_at               timestamptz NOT NULL DEFAULT now(),

    staff_min_stock           integer CHECK (staff_min_stock >= 0),
    staff_delivery_days       integer CHECK (staff_delivery_days >= 0),
    staff_in_transit          integer CHECK (staff_in_transit >= 0),
    staff_avg_daily_sales_30d numeric(14, 3) CHECK (staff_avg_daily_sales_30d >= 0),
    staff_days_to_zero        integer CHECK (staff_days_to_zero >= 0),
    staff_recommended_qty     integer CHECK (staff_recommended_qty >= 0),
    staff_trend               text CHECK (staff_trend IN ('growing', 'falling', 'stable'))
);

-- Per product and shop-local day: units sold, revenue and orders (from orders that are not
-- cancelled or refunded), and the stock level the last sync of that day saw.
CREATE TABLE product_trends (
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    day         date NOT NULL,
    sales_qty   integer NOT NULL DEFAULT 0,
    revenue     numeric(16, 2) NOT NULL DEFAULT 0,
    orders      integer NOT NULL DEFAULT 0,
    last_sale_at timestamptz,            -- the latest of that day's sales
    stock_level integer,
    PRIMARY KEY (product_id, day)
);

CREATE INDEX product_trends_day_idx ON product_trends (day);

-- Orders --------------------------------------------------------------------------------------------

CREATE TABLE orders (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id            bigint NOT NULL UNIQUE,
    upstream_status        text NOT NULL,            -- as sent, even when we do not know the value
    total_amount           numeric(14, 2) NOT NULL,
    delivery_cost          numeric(14, 2),
    bonus                  numeric(14, 2),
    bank_card              text,
    customer_name          text,
    customer_city          text,
    customer_telegram_id   bigint,
    created_at             timestamptz NOT NULL,     -- the shop's time of the order
    paid_at                timestamptz,
    shipped_at             timestamptz,
    upstream_hash          bytea NOT NULL,

    staff_status           text CHECK (staff_status IN
                               ('unpaid', 'paid', 'processing', 'shipped', 'delivered',
                                'cancelled', 'overdue', 'refunded')),
    staff_customer_phone   text,
    staff_customer_email   text,
    staff_customer_address text,
    staff_tracking_number  text,
    staff_notes            text,

    status                 text GENERATED ALWAYS AS (COALESCE(staff_status, upstream_status)) STORED,

    deleted_upstream_at    timestamptz,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    first_seen_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_created_at_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_created_at_idx ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_total_amount_idx ON orders (total_amount, id);

-- No unique (order_id, position): a changed order's items are replaced as a set in one statement
-- (DELETE and INSERT side by side in a CTE), which a unique index would trip over.
CREATE TABLE order_items (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position        integer NOT NULL,
    name            text NOT NULL,
    normalized_name text NOT NULL,
    quantity        integer NOT NULL CHECK (quantity > 0),
    price           numeric(14, 2) NOT NULL,
    total           numeric(16, 2) GENERATED ALWAYS AS (quantity * price) STORED,
    product_id      bigint REFERENCES products (id) ON DELETE SET NULL
);

CREATE INDEX order_items_order_id_idx ON order_items (order_id);
CREATE INDEX order_items_normalized_name_idx ON order_items (normalized_name);  -- re-matching items
-- No index on product_id: no read filters on it, and products are never deleted (the foreign key's
-- ON DELETE would be its only user), while every item written would pay for it.

-- The product an item's normalized name stands for: only names that exactly one product (not
-- deleted upstream) carries; an ambiguous or unknown name matches nothing.
CREATE VIEW product_name_match AS
SELECT normalized_name, min(id) AS product_id
FROM products
WHERE deleted_upstream_at IS NULL
GROUP BY normalized_name
HAVING count(*) = 1;

-- Sync runs and their quarantine -------------------------------------------------------------------

CREATE TABLE sync_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource    text NOT NULL CHECK (resource IN ('orders', 'products')),
    trigger     text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'console')),
    status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'skipped')),
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    fetched     integer NOT NULL DEFAULT 0,
    created     integer NOT NULL DEFAULT 0,
    updated     integer NOT NULL DEFAULT 0,
    unchanged   integer NOT NULL DEFAULT 0,
    invalid     integer NOT NULL DEFAULT 0,
    deleted     integer NOT NULL DEFAULT 0,
    restored    integer NOT NULL DEFAULT 0,
    error       text
);

CREATE INDEX sync_runs_resource_started_idx ON sync_runs (resource, started_at DESC);
CREATE INDEX sync_runs_started_idx ON sync_runs (started_at DESC, id DESC);

CREATE TABLE sync_quarantine (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    resource    text NOT NULL,
    external_id text,                    -- as sent: it may itself be what is wrong
    reason      text NOT NULL,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sync_quarantine_run_idx ON sync_quarantine (run_id);

-- Staff edits: who changed what, and when (the values live in the staff_* columns) -----------------

CREATE TABLE staff_edits (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity     text NOT NULL CHECK (entity IN ('order', 'product')),
    entity_id  bigint NOT NULL,
    field      text NOT NULL,
    old_value  jsonb,
    new_value  jsonb,                    -- NULL: the edit was dropped
    edited_by  text NOT NULL,
    edited_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX staff_edits_entity_idx ON staff_edits (entity, entity_id, edited_at DESC);

-- Products as every read sees them: effective values and the analytics derived from them -----------
-- (how each is computed: README, "Analytics"). Defaults: min_stock 0, delivery_days 14, in_transit 0.

CREATE VIEW product_view AS
SELECT p.*,
       p.price - p.cost AS margin,
       i.min_stock,
       i.delivery_days,
       i.in_transit,
       i.avg_daily_sales_30d,
       COALESCE(a.staff_trend, a.trend, 'stable') AS trend,
       d.days_to_zero,
       COALESCE(a.staff_recommended_qty,
                GREATEST(0, ceil(i.avg_daily_sales_30d * (i.delivery_days + 30))::integer
                            + i.min_stock - p.stock_quantity - i.in_transit)) AS recommended_qty,
       CASE WHEN p.stock_quantity <= i.min_stock OR d.days_to_zero <= i.delivery_days THEN 'critical'
            WHEN p.stock_quantity <= 2 * i.min_stock OR d.days_to_zero <= 2 * i.delivery_days THEN 'warning'
            ELSE 'normal'
       END AS stock_status,
       a.last_sale_at,
       a.staff_min_stock, a.staff_delivery_days, a.staff_in_transit, a.staff_avg_daily_sales_30d,
       a.staff_days_to_zero, a.staff_recommended_qty, a.staff_trend
FROM products p
LEFT JOIN product_analytics a ON a.product_id = p.id
CROSS JOIN LATERAL (
    SELECT COALESCE(a.staff_min_stock, 0) AS min_stock,
           COALESCE(a.staff_delivery_days, 14) AS delivery_days,
           COALESCE(a.staff_in_transit, 0) AS in_transit,
           COALESCE(a.staff_avg_daily_sales_30d, a.avg_daily_sales_30d, 0) AS avg_daily_sales_30d
) i
CROSS JOIN LATERAL (
    SELECT COALESCE(a.staff_days_to_zero,
                    CASE WHEN i.avg_daily_sales_30d > 0
                         THEN floor(greatest(p.stock_quantity, 0) / i.avg_daily_sales_30d)::integer
                    END) AS days_to_zero
) d;
