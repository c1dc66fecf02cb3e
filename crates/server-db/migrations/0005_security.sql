-- Walls against the first things an attacker tries. Forward only: never edit a released
-- migration.

-- Failed sign-ins in a row per user, and when the last was: after a few, attempts must
-- wait, then the account locks for a while (throttle.rs). A success resets both.
ALTER TABLE users ADD COLUMN failed_sign_ins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_failed_at TEXT;

-- The server seq at which a territory's current rep got it. A pull never continues a
-- device's position in the territory from before that (pull.rs).
ALTER TABLE territories ADD COLUMN held_since_seq BIGINT NOT NULL DEFAULT 0;

-- A confirmed dashboard import, by the key its preview carried: confirming the same
-- preview twice (a double click, a resent form) imports once.
CREATE TABLE import_receipts (
    key TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    imported BIGINT NOT NULL,
    created_at TEXT NOT NULL
);

-- What a device has had set aside for review (quarantined or refused), and the bytes of
-- raw payload its ledger keeps: the quota checks read these instead of counting.
ALTER TABLE devices ADD COLUMN set_aside BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;
