-- 0008: a new flag writes fewer index pages. Every index a flag is in
-- costs create_flag one more 4 KiB page written to the WAL (plus the
-- B-tree work), and 0003 put every flag in five single-column indexes for
-- list_flags: half of what a create cost. Pending flags are a bounded few
-- (about 13,000 in a year of history) and flags_pending (0007) already
-- holds their status, impact, target, source and type; so the list indexes
-- now hold completed flags only, and a flag enters them when it is
-- completed, not when it is created. ListFlags asks for each status on
-- its own (a literal status lets the planner use these partial indexes):
-- completed flags from these in id order, pending ones from flags_pending
-- or flags_inbox.
DROP INDEX IF EXISTS flags_target;
DROP INDEX IF EXISTS flags_source;
DROP INDEX IF EXISTS flags_type;
DROP INDEX IF EXISTS flags_impact;
-- Status alone: pending flags are all of flags_pending; completed ones are
-- most of the table, read in id order.
DROP INDEX IF EXISTS flags_status;

CREATE INDEX IF NOT EXISTS flags_target_done ON flags (target_agent) WHERE status = 'completed';
CREATE INDEX IF NOT EXISTS flags_source_done ON flags (source_agent) WHERE status = 'completed';
CREATE INDEX IF NOT EXISTS flags_type_done ON flags (flag_type) WHERE status = 'completed';
CREATE INDEX IF NOT EXISTS flags_impact_done ON flags (impact_level) WHERE status = 'completed';

PRAGMA analysis_limit = 1000;
PRAGMA optimize = 0x10002;
