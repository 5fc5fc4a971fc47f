// Package live is the process's one change feed: it notices what changed
// outside the request in hand and tells whoever listens.
//
// Two sources feed it. A Detector polls the flags database cheaply (on
// SQLite one read-only connection asking PRAGMA data_version, on PostgreSQL
// a counter that LISTEN/NOTIFY moves) while something listens,
// and reports which inboxes changed: new flags, locks, unlocks, completions
// from any process sharing the database, and leases running out. A
// DirWatcher watches the agent directories with fsnotify (and the top level
// of the project documents' directories) and calls back, once per burst of
// edits, when agent files may have changed.
//
// Nothing here knows about MCP: the server turns the callbacks into
// reloads, list_changed and resources/updated notifications, and wakes
// waiting calls.
package live
