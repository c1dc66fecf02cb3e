-- The activity feed pages by key (occurred_at, id), newest first, for the whole
-- organisation or a team's reps; the compliance, priority and performance pages read
-- their accounts' activities from a time on. These indexes answer both without reading
-- older rows. `status` leads where queries ask for accepted rows only, so the planner
-- prefers these to the index on status alone. Forward only: never edit a released
-- migration.
CREATE INDEX activities_feed ON activities (status, occurred_at, id);
CREATE INDEX activities_rep_feed ON activities (rep_id, status, occurred_at, id);
CREATE INDEX activities_account_time ON activities (account_id, occurred_at);
