//! Forward-only migrations, tracked in `PRAGMA user_version`. Never edit a migration that
//! has shipped: add a new one.

use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// `PRAGMA application_id` of a Rounds device database ("RNDS"), so a file of another
/// application is recognised and left alone.
pub const APPLICATION_ID: i32 = 0x524E_4453;

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    V1_TABLES,
    V2_SEARCH,
    V3_FOLLOW_UPS,
    V4_PHOTOS,
    V5_SYNCED_PHOTOS,
    V6_HOURS_AND_APPOINTMENTS,
    V7_CLOSED_ON,
    V8_PREFERRED_HOURS,
    V9_POTENTIAL,
    V10_LOCATION_SOURCE,
];

pub const LATEST: u32 = MIGRATIONS.len() as u32;

const V1_TABLES: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Synced tables: server truth only, written by the pull code. Each row names the bucket
-- it came in (by number: names repeat in every row), so a lost bucket can be dropped
-- without touching anything else. Keyed by the client- or server-made UUIDv7 ids, which
-- grow with time, so WITHOUT ROWID tables insert near their end.
CREATE TABLE buckets (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE territories (
    id     BLOB PRIMARY KEY,
    bucket INTEGER NOT NULL REFERENCES buckets(id),
    name   TEXT NOT NULL,
    rep_id BLOB
) STRICT, WITHOUT ROWID;

CREATE TABLE plans (
    id     BLOB PRIMARY KEY,
    bucket INTEGER NOT NULL REFERENCES buckets(id),
    name   TEXT NOT NULL,
    data   TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE accounts (
    id             BLOB PRIMARY KEY,
    bucket         INTEGER NOT NULL REFERENCES buckets(id),
    name           TEXT NOT NULL,
    street         TEXT NOT NULL,
    city           TEXT NOT NULL,
    region         TEXT NOT NULL,
    postal_code    TEXT NOT NULL,
    country        TEXT NOT NULL,
    lat            REAL,
    lon            REAL,
    stage          TEXT NOT NULL,
    priority       TEXT NOT NULL,
    kare           TEXT,
    currency       TEXT NOT NULL,
    revenue_minor  INTEGER NOT NULL,
    expenses_minor INTEGER NOT NULL,
    phone          TEXT,
    email          TEXT,
    industry       TEXT,
    territory_id   BLOB,
    created_at     INTEGER NOT NULL,
    lead_on        TEXT,
    opportunity_on TEXT,
    won_on         TEXT,
    lost_on        TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX accounts_bucket ON accounts(bucket);
CREATE INDEX accounts_lat ON accounts(lat);

CREATE TABLE contacts (
    id         BLOB PRIMARY KEY,
    bucket     INTEGER NOT NULL REFERENCES buckets(id),
    account_id BLOB NOT NULL,
    name       TEXT NOT NULL,
    title      TEXT,
    phone      TEXT,
    email      TEXT,
    is_primary INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX contacts_account ON contacts(account_id);
CREATE INDEX contacts_bucket ON contacts(bucket);

CREATE TABLE activities (
    id             BLOB PRIMARY KEY,
    bucket         INTEGER NOT NULL REFERENCES buckets(id),
    account_id     BLOB NOT NULL,
    rep_id         BLOB NOT NULL,
    contact_id     BLOB,
    kind           TEXT NOT NULL,
    occurred_at    INTEGER NOT NULL,
    duration_min   INTEGER,
    outcome        TEXT,
    note           TEXT,
    fix_lat        REAL,
    fix_lon        REAL,
    fix_accuracy_m REAL
) STRICT, WITHOUT ROWID;
CREATE INDEX activities_account ON activities(account_id, occurred_at);
-- (dropped during an initial sync and rebuilt at its end; see ACTIVITIES_ACCOUNT_INDEX)
-- Covers the Today scan: recent activities are read from the index alone.
CREATE INDEX activities_recent ON activities(occurred_at, account_id, kind, rep_id);
CREATE INDEX activities_bucket ON activities(bucket);

CREATE TABLE corrections (
    id     BLOB PRIMARY KEY,
    bucket INTEGER NOT NULL REFERENCES buckets(id),
    target BLOB NOT NULL,
    data   TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX corrections_target ON corrections(target);
CREATE INDEX corrections_bucket ON corrections(bucket);

-- Local changes waiting for (or holding) a server receipt. seq is the device's mutation
-- number: AUTOINCREMENT so a number is never reused, even after rows are pruned.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id     BLOB NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    entity_id       BLOB NOT NULL,
    account_id      BLOB,
    payload         TEXT NOT NULL,
    payload_version INTEGER NOT NULL,
    hlc             TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'in_flight', 'acked', 'rejected', 'quarantined', 'superseded')),
    result          TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    settled_at      INTEGER
) STRICT;
CREATE INDEX outbox_state ON outbox(state, seq);
CREATE INDEX outbox_entity ON outbox(kind, entity_id);
CREATE INDEX outbox_account ON outbox(account_id);

-- The pull cursor is stored in the same transaction as the rows it covers.
CREATE TABLE pull_cursors (
    name       TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    checkpoint INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- What the server rejected, quarantined or kept as a conflict, for the rep to see.
CREATE TABLE sync_issues (
    seq         INTEGER PRIMARY KEY,
    mutation_id BLOB NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('rejected', 'quarantined', 'superseded')),
    code        TEXT,
    reason      TEXT NOT NULL,
    mutation    TEXT NOT NULL,
    account_id  BLOB,
    created_at  INTEGER NOT NULL,
    dismissed   INTEGER NOT NULL DEFAULT 0
) STRICT;
"#;

const V2_SEARCH: &str = r#"
-- Full-text search. Names (accounts, with their address, and contacts) and activity notes
-- are indexed apart: names are few and ranked by relevance, notes are many and shown
-- newest first. search_docs gives each indexed row a stable rowid to replace or remove.
CREATE TABLE search_docs (
    rowid      INTEGER PRIMARY KEY,
    ref_id     BLOB NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('account', 'contact', 'note')),
    account_id BLOB NOT NULL
) STRICT;
CREATE VIRTUAL TABLE search_names USING fts5(
    text,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE VIRTUAL TABLE search_notes USING fts5(
    text,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

INSERT INTO search_docs(ref_id, kind, account_id) SELECT id, 'account', id FROM accounts;
INSERT INTO search_names(rowid, text)
    SELECT d.rowid, a.name || ' ' || a.street || ' ' || a.city || ' ' || a.region || ' ' || a.postal_code
    FROM accounts a JOIN search_docs d ON d.ref_id = a.id;
INSERT INTO search_docs(ref_id, kind, account_id) SELECT id, 'contact', account_id FROM contacts;
INSERT INTO search_names(rowid, text)
    SELECT d.rowid, c.name || ' ' || coalesce(c.title, '')
    FROM contacts c JOIN search_docs d ON d.ref_id = c.id;
INSERT INTO search_docs(ref_id, kind, account_id)
    SELECT id, 'note', account_id FROM activities WHERE note IS NOT NULL;
INSERT INTO search_notes(rowid, text)
    SELECT d.rowid, a.note FROM activities a JOIN search_docs d ON d.ref_id = a.id;
"#;

/// Next steps (synced since schema 2 of the wire). The server sent none to this device
/// before, so the pull cursor is forgotten: the next sync fetches every bucket again
/// (the outbox stays), follow-ups included.
const V3_FOLLOW_UPS: &str = r#"
CREATE TABLE follow_ups (
    id         BLOB PRIMARY KEY,
    bucket     INTEGER NOT NULL REFERENCES buckets(id),
    account_id BLOB NOT NULL,
    data       TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX follow_ups_account ON follow_ups(account_id);
CREATE INDEX follow_ups_bucket ON follow_ups(bucket);
DELETE FROM pull_cursors;
"#;

/// Photos the rep took on this device (not synced down): what each shows, the SHA-256
/// naming its file in the photos folder, and how its upload ended (`upload`: NULL while
/// waiting, `done`, or the server's refusal in words).
const V4_PHOTOS: &str = r#"
CREATE TABLE photos (
    id           BLOB PRIMARY KEY,
    account_id   BLOB NOT NULL,
    activity_id  BLOB,
    sha256       TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    caption      TEXT,
    taken_at     TEXT NOT NULL,
    upload       TEXT
) STRICT;
CREATE INDEX photos_account ON photos(account_id, taken_at);
CREATE INDEX photos_waiting ON photos(sha256) WHERE upload IS NULL;
"#;

/// Photos of the rep's accounts as the server sends them (synced since schema 3 of the
/// wire), taken on this device or another. Kept apart from `photos`, which holds what this
/// device must still upload and is never wiped with a bucket. The cursor is forgotten, so
/// the next sync brings every bucket again with its photos (the outbox stays).
const V5_SYNCED_PHOTOS: &str = r#"
CREATE TABLE synced_photos (
    id         BLOB PRIMARY KEY,
    bucket     INTEGER NOT NULL REFERENCES buckets(id),
    account_id BLOB NOT NULL,
    sha256     TEXT NOT NULL,
    data       TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX synced_photos_account ON synced_photos(account_id);
CREATE INDEX synced_photos_bucket ON synced_photos(bucket);
CREATE INDEX synced_photos_sha256 ON synced_photos(sha256);
DELETE FROM pull_cursors;
"#;

/// When an account receives visitors and how long a visit there lasts, and appointments
/// (both synced since schema 4 of the wire). An app before this version dropped the
/// hours from the rows it pulled and was sent no appointments, so the cursor is
/// forgotten and the next sync brings every bucket again (the outbox stays).
const V6_HOURS_AND_APPOINTMENTS: &str = r#"
ALTER TABLE accounts ADD COLUMN hours TEXT;
ALTER TABLE accounts ADD COLUMN visit_minutes INTEGER;
CREATE TABLE appointments (
    id         BLOB PRIMARY KEY,
    bucket     INTEGER NOT NULL REFERENCES buckets(id),
    account_id BLOB NOT NULL,
    data       TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX appointments_account ON appointments(account_id);
CREATE INDEX appointments_bucket ON appointments(bucket);
DELETE FROM pull_cursors;
"#;

/// The dates an account is closed (synced since schema 5 of the wire). An app before
/// this version dropped them from the rows it pulled, so the cursor is forgotten and the
/// next sync brings every bucket again (the outbox stays).
const V7_CLOSED_ON: &str = r#"
ALTER TABLE accounts ADD COLUMN closed_on TEXT;
DELETE FROM pull_cursors;
"#;

/// When an account's buyer likes visits (synced since schema 6 of the wire); the cursor
/// is forgotten for the same reason as in V7.
const V8_PREFERRED_HOURS: &str = r#"
ALTER TABLE accounts ADD COLUMN preferred_hours TEXT;
DELETE FROM pull_cursors;
"#;

/// What an account could buy in a year and the rep's estimate of it (synced since schema
/// 7 of the wire); the cursor is forgotten for the same reason as in V7.
const V9_POTENTIAL: &str = r#"
ALTER TABLE accounts ADD COLUMN potential_minor INTEGER;
ALTER TABLE accounts ADD COLUMN potential_estimate_minor INTEGER;
DELETE FROM pull_cursors;
"#;

/// Where an account's location came from (synced since schema 8 of the wire); the
/// cursor is forgotten for the same reason as in V7.
const V10_LOCATION_SOURCE: &str = r#"
ALTER TABLE accounts ADD COLUMN location_source TEXT;
DELETE FROM pull_cursors;
"#;

/// The per-account index of activities. Its keys arrive in random order, so during an
/// initial sync (hundreds of thousands of rows in 1,000-row batches) it costs more than
/// everything else together; the pull drops it for the snapshot and builds it once at the
/// end, and opening a database restores it if a sync was cut short.
pub const ACTIVITIES_ACCOUNT_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS activities_account ON activities(account_id, occurred_at)";

/// Brings the schema up to [`LATEST`], one migration per transaction.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, LATEST)
}

/// Applies migrations up to `target` (tests build every earlier version with this).
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<()> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > LATEST {
        return Err(StoreError::TooNew {
            found: current,
            known: LATEST,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(current as usize)
    {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
