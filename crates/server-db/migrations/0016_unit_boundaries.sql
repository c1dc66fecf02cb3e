-- Postal codes' real boundaries (ZCTA shapes, say), imported by an administrator from
-- GeoJSON: the map draws a territory from them instead of cells built from centroids.
-- `geometry` is a GeoJSON MultiPolygon (longitude, latitude). Forward only: never edit a
-- released migration.
CREATE TABLE unit_boundaries (
    country TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    geometry TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (country, postal_code)
);
