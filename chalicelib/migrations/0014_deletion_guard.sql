-- The deletion guard (issue "Trust the shop less", item 1). A complete listing that would flag more
-- of a resource's live records as deleted than the guard allows (SYNC_DELETION_GUARD_PERCENT and
-- SYNC_DELETION_GUARD_MIN_RECORDS) flags none of them: they are held here, the run is partial
-- (error_code 'deletions_held') and counts them (`held`, a metric with an alarm). Each run decides
-- again: a held record listed again leaves the hold. The staff apply the held deletions (they are
-- flagged then) or ignore them (they stay live, and are not held or flagged again while the shop
-- keeps leaving them out); each decision is recorded with who made it and when.
ALTER TABLE sync_runs ADD COLUMN held integer NOT NULL DEFAULT 0;

CREATE TABLE held_deletions (
    resource    text NOT NULL CHECK (resource IN ('orders', 'products')),
    external_id bigint NOT NULL,
    held_at     timestamptz NOT NULL DEFAULT now(),   -- first missing from a listing
    run_id      bigint REFERENCES sync_runs (id) ON DELETE SET NULL,  -- the run that held it first
    ignored_at  timestamptz,                          -- the staff chose to keep it live
    ignored_by  text,
    PRIMARY KEY (resource, external_id)
);

CREATE TABLE held_deletion_decisions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource   text NOT NULL CHECK (resource IN ('orders', 'products')),
    action     text NOT NULL CHECK (action IN ('apply', 'ignore')),
    records    integer NOT NULL CHECK (records >= 0),
    decided_by text NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX held_deletion_decisions_resource_idx ON held_deletion_decisions (resource, decided_at DESC);
