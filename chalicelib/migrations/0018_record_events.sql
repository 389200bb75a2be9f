-- Timelines (issue "Trust the shop less", items 4 and 5): every change the sync writes to a record's
-- shop values, as one event per record and run with each changed field's old and new value
-- (`changes`: {"status": ["paid", "shipped"], ...}), and each deletion and restoration. Written by the
-- statements that write the records, from the same staged batch (chalicelib/sync/staging.py). A
-- record's creation is not an event row: its `first_seen_at` and the run around it say it, so a first
-- sync writes none. Staff edits and reverts are in staff_edits; GET /api/{orders,products}/{id}/history
-- merges both. Pruned by the sync past HISTORY_RETENTION_DAYS.
CREATE TABLE record_events (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity    text NOT NULL CHECK (entity IN ('order', 'product')),
    entity_id bigint NOT NULL,
    run_id    bigint REFERENCES sync_runs (id) ON DELETE SET NULL,  -- null: the staff applied held deletions
    kind      text NOT NULL CHECK (kind IN ('changed', 'deleted', 'restored')),
    changes   jsonb NOT NULL DEFAULT '{}',
    seen_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX record_events_entity_idx ON record_events (entity, entity_id, seen_at DESC, id DESC);
CREATE INDEX record_events_seen_at_idx ON record_events (seen_at);
