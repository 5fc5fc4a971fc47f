-- 0002: the change feed (feed.go). Every flag event is announced to the
-- replicas, with its id as payload, by a NOTIFY sent in the transaction
-- that writes it, so it is delivered only if, and once, that commits.
--
-- Event ids come from a sequence, so they can commit out of order (a
-- transaction holding id 41 may commit after 42 was read). xact_id records
-- the transaction that wrote each event (pg_current_xact_id(), as bigint:
-- xid8 has no selectivity estimates, and the planner then scans the whole
-- table), so a reader asks for exactly the events of the transactions its
-- last snapshot did not see as committed: those it listed in progress, and
-- those after its xmax.
ALTER TABLE flag_events ADD COLUMN xact_id bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint;
CREATE INDEX flag_events_xact ON flag_events (xact_id);

CREATE FUNCTION mcp_agents_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mcp_agents_events', NEW.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER flag_events_notify AFTER INSERT ON flag_events
    FOR EACH ROW EXECUTE FUNCTION mcp_agents_notify_event();
