-- Saved territory-design scenarios: a manager keeps a proposal under a name to compare
-- and publish later. `settings` is JSON (the territories, whether customers stay with
-- their rep, the weights and tolerance it was proposed with); `alignment` is JSON, each
-- territory's account ids as the scenario placed them. Forward only: never edit a
-- released migration.
CREATE TABLE design_scenarios (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    alignment TEXT NOT NULL,
    accounts BIGINT NOT NULL,
    moved BIGINT NOT NULL,
    saved_at TEXT NOT NULL,
    UNIQUE (owner_id, name)
);
