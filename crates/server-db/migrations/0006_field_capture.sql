-- Accounts reps add in the field. Forward only: never edit a released migration.

-- Who added an account from a device, and when: the feed shows new accounts, and
-- Performance counts new accounts per rep per period. Accounts made on the server
-- (imports, the demo, the manage API) have no row here.
CREATE TABLE account_origins (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    territory_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX account_origins_user ON account_origins (user_id, created_at);
