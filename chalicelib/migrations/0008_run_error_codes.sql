-- What went wrong with a run, as a stable code beside its English message (`error`), so that the
-- console says it in the staff's language: sync_running (skipped), interrupted, no_ids and
-- empty_listing (partial: no deletions inferred), upstream_http, upstream_timeout, upstream_format,
-- upstream_connection, listing_storage, database_unavailable, internal_error (failed). Runs stored before get theirs from
-- their message where it is one of the service's fixed ones; the others keep NULL (and their message).
ALTER TABLE sync_runs ADD COLUMN error_code text;
UPDATE sync_runs SET error_code = CASE
    WHEN error LIKE 'another % sync is running' THEN 'sync_running'
    WHEN error LIKE 'interrupted:%' THEN 'interrupted'
    WHEN error LIKE 'some records had no usable id%' THEN 'no_ids'
    WHEN error LIKE 'the shop listed no % at all%' THEN 'empty_listing'
    WHEN error LIKE 'internal error:%' THEN 'internal_error'
END
WHERE error IS NOT NULL;
