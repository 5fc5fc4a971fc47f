-- 0006: the token each flag was created under, and that token's role, on
-- the flag itself: every prompt, push and board row shows them, and a
-- join per flag read would cost every list. NULL: created over stdio or
-- --no-auth, where the source named itself. Flags created since 0005
-- take them from their "created" event.

ALTER TABLE flags ADD COLUMN created_token TEXT;
ALTER TABLE flags ADD COLUMN created_role TEXT;

UPDATE flags SET
    created_token = e.token_id,
    created_role  = (SELECT t.role FROM tokens AS t WHERE t.id = e.token_id)
FROM flag_events AS e
WHERE e.flag_id = flags.id AND e.kind = 'created' AND e.token_id IS NOT NULL;
