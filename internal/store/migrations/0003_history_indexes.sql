-- 0003: indexes that keep the inbox and the lists fast with a year of
-- history (about a million flags). Nothing is added to the table itself,
-- so rows written by other tools with the contract's columns alone stay
-- correct.

-- The inbox: one recipient (or the broadcasts, target_agent IS NULL) and
-- one status, most urgent first, then oldest. The expression must stay
-- identical to impactOrder in query.go, or the planner cannot use the
-- index's order and sorts every matching row instead.
DROP INDEX flags_inbox;
CREATE INDEX flags_inbox ON flags (
    target_agent, status,
    (CASE impact_level WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END),
    created_at);

-- list_flags: one index per filter; each entry ends with the rowid, so
-- matching rows come out in id order and LIMIT stops early, and count(*)
-- reads the index alone.
CREATE INDEX flags_target ON flags (target_agent);
CREATE INDEX flags_source ON flags (source_agent);
CREATE INDEX flags_type ON flags (flag_type);
CREATE INDEX flags_impact ON flags (impact_level);
CREATE INDEX flags_status ON flags (status);

-- Statistics for the planner (tables with rows only; Close runs
-- PRAGMA optimize again as the data grows).
PRAGMA analysis_limit = 1000;
PRAGMA optimize = 0x10002;
