-- Visits fixed at a date and a time, synced to every device holding the account's
-- territory. `data` is the wire record; the clock of the last accepted save decides
-- between two devices' saves (last writer wins). Forward only: never edit a released
-- migration.
CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    rep_id TEXT NOT NULL,
    -- The rep's local date (YYYY-MM-DD) and minutes from midnight.
    on_day TEXT NOT NULL,
    at_min BIGINT NOT NULL,
    cancelled_at TEXT,
    data TEXT NOT NULL,
    hlc TEXT NOT NULL,
    device_id TEXT
);
CREATE INDEX appointments_account ON appointments (account_id, id);
CREATE INDEX appointments_rep ON appointments (rep_id, on_day);

-- A rep's calendar feed of appointments: a secret address a calendar app subscribes to.
-- Only the secret's SHA-256 is kept; making a new address ends the old one.
CREATE TABLE calendar_feeds (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
