-- Conditional requests to the shop: the validators (ETag, Last-Modified) of the last listing of each
-- resource that was applied successfully, saved in the transaction that applied it (a failed run
-- never saves them), with the context they are good for (the shop's zone and the digest rules: when
-- either changes, the next run fetches in full). A 304 is a run that writes nothing: not_modified.
CREATE TABLE listing_validators (
    resource      text PRIMARY KEY CHECK (resource IN ('orders', 'products')),
    etag          text,
    last_modified text,
    context       text NOT NULL,
    saved_at      timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE sync_runs ADD COLUMN not_modified boolean NOT NULL DEFAULT false;
