-- 0004: the board (board.go) counts and groups every pending flag by
-- impact, recipient, sender, type and lease on each page. Pending flags
-- are a few thousand rows scattered over a year of history, a table page
-- each: reading them took 60-140 ms at a million flags. This partial
-- index carries just those columns of just the pending rows, so the
-- board's counts, groups and lease list are index-only scans, and only
-- the rows a page shows are read in full. (As SQLite's flags_pending,
-- migration 0007 there.)
DROP INDEX flags_pending;
CREATE INDEX flags_pending ON flags (impact_level, created_at, id)
    INCLUDE (target_agent, source_agent, flag_type, locked_by, lock_expires_at)
    WHERE status = 'pending';
