-- 0008: a new flag's "created" event is written by the database, in the
-- statement that inserts the flag: CreateFlag runs one statement instead
-- of two, and rows other tools insert with the contract's columns get
-- their "created" event too, so every flag's history starts with one. The
-- event's token is the one the flag was created under (migration 0006).
CREATE TRIGGER IF NOT EXISTS flag_created_event AFTER INSERT ON flags BEGIN
    INSERT INTO flag_events (flag_id, kind, agent, previous_holder, at, token_id)
    VALUES (NEW.id, 'created', NEW.source_agent, NULL, NEW.created_at, NEW.created_token);
END;
