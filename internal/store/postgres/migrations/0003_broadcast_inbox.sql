-- 0003: the broadcasts' half of every inbox. PostgreSQL does not treat
-- "target_agent IS NULL" as an equality on flags_inbox's first column, so
-- it cannot read that index in (status, rank, created_at) order for the
-- broadcasts and sorted every broadcast of the status instead (88 ms for
-- the completed ones of 100,000 flags). This index holds the broadcasts
-- alone, in inbox order per status.
CREATE INDEX flags_inbox_broadcast ON flags (
    status,
    (CASE impact_level WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END),
    created_at, id)
    WHERE target_agent IS NULL;
