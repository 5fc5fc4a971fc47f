-- 0005: bearer tokens for the HTTP server, and who (which token) made each
-- event. Only a token's SHA-256 is kept; the token itself is shown once.
-- Tokens are revoked, never deleted, so an event's token_id always names
-- a row.

CREATE TABLE tokens (
    id            TEXT    PRIMARY KEY,
    hash          BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    agent         TEXT    NOT NULL CHECK (agent GLOB '@[a-z0-9]*'),
    role          TEXT    NOT NULL CHECK (role IN ('agent', 'observer', 'admin')),
    can_broadcast INTEGER NOT NULL DEFAULT 0 CHECK (can_broadcast IN (0, 1)),
    note          TEXT             CHECK (length(note) <= 1000),
    created_at    TEXT    NOT NULL,
    expires_at    TEXT,
    last_used_at  TEXT,
    revoked_at    TEXT
);

-- NULL: the event came over stdio or --no-auth, where the actor named itself.
-- (No REFERENCES clause: tokens are never deleted, and a plain column can be
-- dropped again, which tests that rebuild an older schema rely on.)
ALTER TABLE flag_events ADD COLUMN token_id TEXT;
