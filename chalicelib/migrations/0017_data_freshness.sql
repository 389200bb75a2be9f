-- Freshness by the data (issue "Trust the shop less", item 3): a run can succeed while the shop's
-- own data stopped moving (no new order for a day because its checkout broke). Each finished run
-- keeps the newest shop timestamp its resource then held: the newest listed order's `created_at`, the
-- newest listed product's `updated_at` as the shop sent it (null while the shop sends none). Its age
-- is the run's DataAgeSeconds metric; GET /api/sync/status computes the same live.
ALTER TABLE sync_runs ADD COLUMN newest_data_at timestamptz;
