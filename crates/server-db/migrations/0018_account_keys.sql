-- The dashboard's account list pages by (name_key, id) and filters by territory and by
-- text in the database, so it never loads a whole team. Both columns are derived from
-- the row's data by the server whenever it writes the row (lowercased in Rust, so case
-- means the same on both backends); rows written before this migration are filled in by
-- the server as it starts, a batch a transaction. Forward only: never edit a released
-- migration.
ALTER TABLE accounts ADD COLUMN name_key TEXT;
ALTER TABLE accounts ADD COLUMN search_text TEXT;
CREATE INDEX accounts_by_name ON accounts (name_key, id);
CREATE INDEX accounts_territory_name ON accounts (territory_id, name_key, id);
