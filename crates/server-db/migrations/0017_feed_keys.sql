-- The activity feed pages by key (occurred_at, id), newest first, for the whole
-- organisation or a team's reps: these indexes answer a page, however deep, without
-- reading the rows before it. Forward only: never edit a released migration.
CREATE INDEX activities_feed ON activities (occurred_at, id);
CREATE INDEX activities_rep_feed ON activities (rep_id, occurred_at, id);
