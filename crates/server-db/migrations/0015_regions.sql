-- Regions: territories grouped under a name, so a target set at the top rolls down
-- region → territory → rep. A territory is in at most one region; a region with no
-- territory left is removed by the code that empties it. Forward only: never edit a
-- released migration.
CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE territory_regions (
    territory_id TEXT PRIMARY KEY REFERENCES territories (id),
    region_id TEXT NOT NULL REFERENCES regions (id)
);
CREATE INDEX territory_regions_region ON territory_regions (region_id);
