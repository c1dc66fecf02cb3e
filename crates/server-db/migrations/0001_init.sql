-- Rounds server schema, SQLite and PostgreSQL alike (one dialect subset). Forward only:
-- never edit a released migration.
-- Rows are kept as their wire JSON (`data`) next to the columns queries filter on.

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- The server seq: one counter, advanced inside each writing transaction.
CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counters (name, value) VALUES ('server_seq', 0);
-- Changelog entries at or below this seq may have been compacted away.
INSERT INTO meta (key, value) VALUES ('changelog_floor', '0');

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    manager_id TEXT REFERENCES users (id),
    time_zone TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    platform TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    last_applied_seq BIGINT NOT NULL DEFAULT 0,
    protocol_version BIGINT,
    schema_version BIGINT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE territories (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    rep_id TEXT REFERENCES users (id)
);
CREATE INDEX territories_rep ON territories (rep_id);

CREATE TABLE plans (id TEXT PRIMARY KEY, data TEXT NOT NULL);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    territory_id TEXT REFERENCES territories (id),
    data TEXT NOT NULL
);
CREATE INDEX accounts_territory ON accounts (territory_id, id);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    data TEXT NOT NULL
);
CREATE INDEX contacts_account ON contacts (account_id, id);

-- Facts, keyed by the client's id; the territory and rep at write time; ok or quarantined.
CREATE TABLE activities (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    rep_id TEXT NOT NULL,
    territory_id TEXT,
    occurred_at TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    device_id TEXT,
    data TEXT NOT NULL,
    server_seq BIGINT NOT NULL
);
CREATE INDEX activities_account ON activities (account_id, id);
CREATE INDEX activities_status ON activities (status);

CREATE TABLE corrections (
    id TEXT PRIMARY KEY,
    target_id TEXT NOT NULL,
    account_id TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    device_id TEXT,
    data TEXT NOT NULL
);
CREATE INDEX corrections_account ON corrections (account_id, id);

-- Who held which account when: one row per holding, closed when it ends.
CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    territory_id TEXT,
    rep_id TEXT,
    from_at TEXT NOT NULL,
    from_seq BIGINT NOT NULL,
    to_at TEXT,
    to_seq BIGINT
);
CREATE INDEX assignments_account ON assignments (account_id, from_at);

-- The idempotency ledger: one row per applied mutation, with its answer and raw payload.
CREATE TABLE mutations (
    device_id TEXT NOT NULL REFERENCES devices (id),
    seq BIGINT NOT NULL,
    mutation_id TEXT NOT NULL,
    hlc TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    payload_version BIGINT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX mutations_status ON mutations (status);

CREATE TABLE field_clocks (
    account_id TEXT NOT NULL,
    field TEXT NOT NULL,
    hlc TEXT NOT NULL,
    device_id TEXT,
    PRIMARY KEY (account_id, field)
);

CREATE TABLE conflicts (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    field TEXT NOT NULL,
    winner_hlc TEXT NOT NULL,
    winner_value TEXT NOT NULL,
    winner_device TEXT,
    loser_hlc TEXT NOT NULL,
    loser_value TEXT NOT NULL,
    loser_device TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX conflicts_account ON conflicts (account_id);

CREATE TABLE rejected_edits (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    account_id TEXT,
    field TEXT,
    value TEXT,
    hlc TEXT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX rejected_edits_user ON rejected_edits (user_id);

CREATE TABLE changelog (
    seq BIGINT PRIMARY KEY,
    bucket TEXT NOT NULL,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    op TEXT NOT NULL,
    data TEXT
);
CREATE INDEX changelog_bucket ON changelog (bucket, seq);
