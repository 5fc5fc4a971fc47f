-- 0002: most flags start no chain; indexing only the chained ones keeps a
-- create from writing an index page for a NULL it never looks up. Lookups
-- by chain_origin_id = ? imply NOT NULL, so they still use the index.
DROP INDEX flags_chain_origin;
CREATE INDEX flags_chain_origin ON flags (chain_origin_id) WHERE chain_origin_id IS NOT NULL;
