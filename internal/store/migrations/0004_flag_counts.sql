-- 0004: exact totals for list_flags without counting. count(*) over a
-- filter reads every matching index entry (about 20 ms for 100,000 flags);
-- these counters are kept by triggers in the same transaction as every
-- change, so they stay exact, also for rows other tools write or delete.
CREATE TABLE flag_counts (
    dim   TEXT    NOT NULL, -- a flags column: status, flag_type, impact_level, source_agent, target_agent
    value TEXT    NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (dim, value)
);

INSERT INTO flag_counts (dim, value, n)
          SELECT 'status', status, count(*) FROM flags GROUP BY status
UNION ALL SELECT 'flag_type', flag_type, count(*) FROM flags GROUP BY flag_type
UNION ALL SELECT 'impact_level', impact_level, count(*) FROM flags GROUP BY impact_level
UNION ALL SELECT 'source_agent', source_agent, count(*) FROM flags GROUP BY source_agent
UNION ALL SELECT 'target_agent', target_agent, count(*) FROM flags WHERE target_agent IS NOT NULL GROUP BY target_agent;

CREATE TRIGGER flag_counts_insert AFTER INSERT ON flags BEGIN
    INSERT INTO flag_counts (dim, value, n)
    SELECT dim, value, 1 FROM (
                  SELECT 'status' AS dim, NEW.status AS value
        UNION ALL SELECT 'flag_type', NEW.flag_type
        UNION ALL SELECT 'impact_level', NEW.impact_level
        UNION ALL SELECT 'source_agent', NEW.source_agent
        UNION ALL SELECT 'target_agent', NEW.target_agent)
    WHERE value IS NOT NULL
    ON CONFLICT (dim, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER flag_counts_delete AFTER DELETE ON flags BEGIN
    UPDATE flag_counts SET n = n - 1
    WHERE (dim, value) IN (VALUES
        ('status', OLD.status), ('flag_type', OLD.flag_type), ('impact_level', OLD.impact_level),
        ('source_agent', OLD.source_agent), ('target_agent', OLD.target_agent));
END;

-- Lease changes do not set these columns, so they do not fire it.
CREATE TRIGGER flag_counts_update
AFTER UPDATE OF status, flag_type, impact_level, source_agent, target_agent ON flags BEGIN
    UPDATE flag_counts SET n = n - 1
    WHERE (dim, value) IN (VALUES
        ('status', OLD.status), ('flag_type', OLD.flag_type), ('impact_level', OLD.impact_level),
        ('source_agent', OLD.source_agent), ('target_agent', OLD.target_agent));
    INSERT INTO flag_counts (dim, value, n)
    SELECT dim, value, 1 FROM (
                  SELECT 'status' AS dim, NEW.status AS value
        UNION ALL SELECT 'flag_type', NEW.flag_type
        UNION ALL SELECT 'impact_level', NEW.impact_level
        UNION ALL SELECT 'source_agent', NEW.source_agent
        UNION ALL SELECT 'target_agent', NEW.target_agent)
    WHERE value IS NOT NULL
    ON CONFLICT (dim, value) DO UPDATE SET n = n + 1;
END;
