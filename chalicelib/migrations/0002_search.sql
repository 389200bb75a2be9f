-- Trigram indexes for the `q` search of orders (customer name, city) and products (name, brand).
-- pg_trgm ships with PostgreSQL (and RDS) but not with every embedded build: without it the search
-- still works, by scanning.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): searches will scan', SQLERRM;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE $sql$
            CREATE INDEX IF NOT EXISTS orders_customer_search_idx ON orders
            USING gin ((coalesce(customer_name, '') || ' ' || coalesce(customer_city, '')) gin_trgm_ops)
        $sql$;
        EXECUTE $sql$
            CREATE INDEX IF NOT EXISTS products_search_idx ON products
            USING gin ((name || ' ' || coalesce(brand, '')) gin_trgm_ops)
        $sql$;
    END IF;
END
$$;
