-- Which account a record of another system (a CRM's record id) was imported as, so the
-- next export of that system updates the account instead of creating it again. `system`
-- is the kind of file it came from (salesforce, hubspot, pipedrive, file). Forward
-- only: never edit a released migration.
CREATE TABLE import_sources (
    system TEXT NOT NULL,
    external_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    imported_at TEXT NOT NULL,
    PRIMARY KEY (system, external_id)
);
CREATE INDEX import_sources_account ON import_sources (account_id);
