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
    created_at TEXT NOT NULL
);
CREATE INDEX import_uploads_created ON import_uploads (created_at);
