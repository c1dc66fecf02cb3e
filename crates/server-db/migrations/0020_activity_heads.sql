-- The dashboard's compliance, priority and performance pages read an activity's head
-- (account, rep, kind, time) from an index, not its JSON. `kind` is written with every
-- new row whose record is valid; rows from before this migration are filled in by the
-- server while it serves (a row still without it is read from its JSON, so the figures
-- are the same at every moment). Forward only: never edit a released migration.
ALTER TABLE activities ADD COLUMN kind TEXT;
CREATE INDEX activities_heads ON activities (account_id, status, occurred_at, kind, rep_id, id);
-- The rows still without a kind: the backfill walks them by id, the pages read them by
-- time. Both are empty once it has run, but for rows whose record is not valid.
CREATE INDEX activities_unkinded ON activities (id) WHERE kind IS NULL;
CREATE INDEX activities_unkinded_time ON activities (status, occurred_at) WHERE kind IS NULL;
