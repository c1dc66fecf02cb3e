-- How a manager chose to read a file's columns, by the file's set of headers, so the next
-- export of the same shape is read the same way. `headers_key` is the headers, trimmed,
-- lower-cased, sorted and joined; `mapping` is JSON: [[header, column or null], ...].
-- Forward only: never edit a released migration.
CREATE TABLE import_mappings (
    headers_key TEXT PRIMARY KEY,
    mapping TEXT NOT NULL,
    saved_by TEXT,
    saved_at TEXT NOT NULL
);

-- A file uploaded for import, kept on the server between the preview and the confirm
-- (a company's export may hold 100,000 rows: too much to carry back and forth in a
-- form). Only the person who uploaded it can see or import it; uploads older than a
-- day are dropped when another is stored. `mapping` is the columns as chosen (JSON).
CREATE TABLE import_uploads (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    csv TEXT NOT NULL,
    mapping TEXT,
    -- `accounts` or `contacts`: what the file holds.
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX import_uploads_created ON import_uploads (created_at);

-- Addresses looked up through the optional external geocoder, by the exact text sent:
-- an address is never sent twice. `status`: `found` (lat, lon), `none` (the geocoder
-- knows no such place) or `failed` (tried again from `next_try_at`).
CREATE TABLE geocodes (
    query TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    lat TEXT,
    lon TEXT,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    next_try_at TEXT,
    updated_at TEXT NOT NULL
);

-- Which contact a record of another system was imported as (see import_sources).
CREATE TABLE import_contact_sources (
    system TEXT NOT NULL,
    external_id TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    imported_at TEXT NOT NULL,
    PRIMARY KEY (system, external_id)
);
