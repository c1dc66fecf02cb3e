-- Accounts and contacts reps add in the field. Forward only: never edit a released
-- migration.

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

-- Contacts reps add or change from a device: the clock of each contact's last accepted
-- save (an older save loses, last writer wins per contact) ...
CREATE TABLE contact_clocks (
    contact_id TEXT PRIMARY KEY REFERENCES contacts (id),
    hlc TEXT NOT NULL,
    device_id TEXT NOT NULL
);

-- ... and who added a contact from a device, and when (Performance's contacts added).
CREATE TABLE contact_origins (
    contact_id TEXT PRIMARY KEY REFERENCES contacts (id),
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX contact_origins_user ON contact_origins (user_id, created_at);

-- Pins reps moved from a device ("The entrance is here"): the feed shows them to the
-- manager. `data` is `{"from": {lat, lon} | null, "to": {lat, lon} | null}`.
CREATE TABLE pin_moves (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    data TEXT NOT NULL,
    moved_at TEXT NOT NULL
);
CREATE INDEX pin_moves_user ON pin_moves (user_id, moved_at);
