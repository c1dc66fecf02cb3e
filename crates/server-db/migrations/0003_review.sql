-- What a manager did with an item sync set aside for review (a quarantined activity, a
-- rejected edit, a field conflict). Forward only: never edit a released migration.
-- The item itself is kept as it was; a row here takes it off the open review list.
CREATE TABLE review_resolutions (
    kind TEXT NOT NULL,
    item_id TEXT NOT NULL,
    resolution TEXT NOT NULL,
    resolved_by TEXT NOT NULL REFERENCES users (id),
    resolved_at TEXT NOT NULL,
    PRIMARY KEY (kind, item_id)
);
