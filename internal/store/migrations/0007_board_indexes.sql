-- 0007: the board (Board in board.go) reads every pending flag's impact,
-- recipient, sender, type, lease and age on each page. Pending flags are
-- a few thousand rows scattered over a year of history, one table page
-- each: reading them costs tens of milliseconds. This partial index holds
-- just those columns of just the pending rows (about 1 MB for 13,000), so
-- the board's counts, groups and lease list read it alone, each impact in
-- age order, and only the rows a page shows are read in full. Completing a
-- flag drops its entry. (status is a column too, so queries that name it
-- are covered by the index. IF NOT EXISTS: re-applying after a rewound
-- user_version, as tests do, must not fail.)
CREATE INDEX IF NOT EXISTS flags_pending ON flags (
    status, impact_level, created_at, target_agent, source_agent, flag_type, locked_by, lock_expires_at)
    WHERE status = 'pending';

-- The board's "completed in the last 24 hours": completion times, newest
-- last, of completed flags only.
CREATE INDEX IF NOT EXISTS flags_completed ON flags (completed_at) WHERE status = 'completed';
