-- The weeks each rep's device planned, as the rep last saw them, for their manager to
-- read. One row a rep, replaced by a plan made later. `data` is the wire record.
-- Forward only: never edit a released migration.
CREATE TABLE planned_weeks (
    rep_id TEXT PRIMARY KEY REFERENCES users (id),
    planned_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    data TEXT NOT NULL
);
