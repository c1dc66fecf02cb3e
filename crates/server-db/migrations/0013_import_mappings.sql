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
