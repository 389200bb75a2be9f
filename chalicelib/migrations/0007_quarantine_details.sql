-- What is wrong with a quarantined record, as details a program can read (chalicelib/problems.py:
-- field, type, message, limit), beside the one-line English reason: the console says each detail in
-- Russian or English by its type. Records quarantined before keep an empty list (and their reason).
ALTER TABLE sync_quarantine ADD COLUMN details jsonb NOT NULL DEFAULT '[]';
