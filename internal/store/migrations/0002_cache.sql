-- 0002: a small cache of opaque blobs (the loaded agent catalog and search
-- index) so that a process can skip rebuilding them at start-up.
-- seq records write order: AUTOINCREMENT never reuses a value, so the rows
-- with the highest seq are the most recently written ones, whatever the
-- clocks of the processes that wrote them say. REPLACE deletes the old row
-- of a key and inserts a new one, which takes a new seq.

CREATE TABLE cache (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT    NOT NULL UNIQUE CHECK (length(key) > 0),
    data       BLOB    NOT NULL,
    written_at TEXT    NOT NULL
);
