-- 0010: the list indexes hold every flag again, as 0003 made them. 0008
-- kept completed flags only, so that create_flag wrote five index pages
-- fewer; measured at a million flags, that made a create about 7% faster
-- end to end (the target it was for, 2x a no-op call, stayed out of
-- reach), while list_flags by status, source or type had to read every
-- pending flag (13,000) and took 70-90% more CPU, its p99 near the 25 ms
-- target under load. ListFlags is one ordered, limited query again.
DROP INDEX IF EXISTS flags_target_done;
DROP INDEX IF EXISTS flags_source_done;
DROP INDEX IF EXISTS flags_type_done;
DROP INDEX IF EXISTS flags_impact_done;

CREATE INDEX IF NOT EXISTS flags_target ON flags (target_agent);
CREATE INDEX IF NOT EXISTS flags_source ON flags (source_agent);
CREATE INDEX IF NOT EXISTS flags_type ON flags (flag_type);
CREATE INDEX IF NOT EXISTS flags_impact ON flags (impact_level);
CREATE INDEX IF NOT EXISTS flags_status ON flags (status);

PRAGMA analysis_limit = 1000;
PRAGMA optimize = 0x10002;
