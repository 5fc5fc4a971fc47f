-- 0001: flags and their event history.
-- Times are fixed-width RFC 3339 UTC text ("2006-01-02T15:04:05.000Z") so
-- that string comparison is time comparison (lease expiry is checked in SQL).

CREATE TABLE flags (
    id                 INTEGER PRIMARY KEY, -- never deleted, so rowids are never reused
    flag_type          TEXT    NOT NULL CHECK (flag_type IN (
                           'breaking_change', 'new_feature', 'refactor', 'deprecation', 'enhancement',
                           'change', 'information_request', 'security', 'data_loss')),
    source_agent       TEXT    NOT NULL CHECK (source_agent GLOB '@[a-z0-9]*'),
    target_agent       TEXT             CHECK (target_agent IS NULL OR target_agent GLOB '@[a-z0-9]*'),
    change_description TEXT    NOT NULL CHECK (length(change_description) BETWEEN 50 AND 16384),
    action_required    TEXT    NOT NULL CHECK (length(action_required) BETWEEN 100 AND 16384),
    impact_level       TEXT    NOT NULL DEFAULT 'medium'
                                        CHECK (impact_level IN ('critical', 'high', 'medium', 'low')),
    related_files      TEXT    NOT NULL DEFAULT '[]'
                                        CHECK (json_valid(related_files) AND json_type(related_files) = 'array'),
    chain_origin_id    INTEGER          REFERENCES flags (id),
    code_location      TEXT             CHECK (length(code_location) <= 16384),
    example_usage      TEXT             CHECK (length(example_usage) <= 16384),
    context            TEXT             CHECK (context IS NULL OR (json_valid(context) AND json_type(context) = 'object')),
    notes              TEXT             CHECK (length(notes) <= 16384),
    status             TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed')),
    locked_by          TEXT,
    locked_at          TEXT,
    lock_expires_at    TEXT,
    created_at         TEXT    NOT NULL,
    completed_at       TEXT,
    completed_by       TEXT,

    -- A lease is all three columns or none.
    CHECK ((locked_by IS NULL) = (locked_at IS NULL) AND (locked_by IS NULL) = (lock_expires_at IS NULL)),
    -- Completion is final and releases the lease.
    CHECK ((status = 'completed') = (completed_at IS NOT NULL AND completed_by IS NOT NULL)),
    CHECK (status = 'pending' OR locked_by IS NULL),
    -- Impact rules.
    CHECK (flag_type NOT IN ('security', 'data_loss') OR impact_level = 'critical'),
    CHECK (impact_level <> 'critical' OR flag_type IN ('breaking_change', 'security', 'data_loss')),
    CHECK (NOT (flag_type IN ('breaking_change', 'security') AND impact_level = 'low')),
    CHECK (impact_level NOT IN ('high', 'critical') OR target_agent IS NOT NULL)
);

CREATE INDEX flags_inbox ON flags (status, target_agent);
CREATE INDEX flags_chain_origin ON flags (chain_origin_id);

CREATE TABLE flag_events (
    id              INTEGER PRIMARY KEY, -- never deleted, so rowids are never reused
    flag_id         INTEGER NOT NULL REFERENCES flags (id),
    kind            TEXT    NOT NULL CHECK (kind IN (
                        'created', 'locked', 'renewed', 'takeover', 'unlocked', 'force_unlocked', 'completed')),
    agent           TEXT    NOT NULL,
    previous_holder TEXT,
    at              TEXT    NOT NULL
);

CREATE INDEX flag_events_flag ON flag_events (flag_id, id);
