-- What started a run, in words that say one thing: 'schedule' (every 5 minutes), 'lambda' (the sync
-- function, invoked from the AWS console), 'cli' (python -m chalicelib.sync, from a shell), 'http'
-- (POST /api/sync-*, the staff console's buttons). Runs stored before: 'manual' was always HTTP;
-- 'console' was the Lambda function or the shell, which were not told apart, so those keep it and
-- read "the AWS console or a shell".
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_trigger_check;
UPDATE sync_runs SET trigger = 'http' WHERE trigger = 'manual';
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_trigger_check
    CHECK (trigger IN ('schedule', 'lambda', 'cli', 'http', 'console'));
