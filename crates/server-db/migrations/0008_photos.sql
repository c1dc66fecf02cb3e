-- Photos reps attach in the field. Forward only: never edit a released migration.

-- One row per photo (by the device's id). The bytes live in the blob store, named by
-- their SHA-256, so the same picture attached twice is stored once; `received_at` is
-- set when the whole blob has arrived and matched its hash (NULL: still uploading).
CREATE TABLE photos (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    activity_id TEXT,
    rep_id TEXT NOT NULL,
    device_id TEXT,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    caption TEXT,
    taken_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    received_at TEXT
);
CREATE INDEX photos_account ON photos (account_id, taken_at);
CREATE INDEX photos_sha256 ON photos (sha256);
CREATE INDEX photos_recorded ON photos (recorded_at);
