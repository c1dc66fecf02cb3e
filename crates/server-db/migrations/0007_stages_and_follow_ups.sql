-- Moves along the funnel as dated facts, next steps, and two copies of one shop.
-- Forward only: never edit a released migration.

-- Moves along the funnel as dated facts: who moved which account from what stage to
-- what, on which day, and why when it was lost. Performance counts these by the day
-- they happened, so a later change never rewrites an earlier one.
CREATE TABLE stage_changes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- The account's territory when the change was recorded.
    territory_id TEXT,
    -- NULL: the stage an account was created in (its history before Rounds knew it).
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    reason TEXT,
    -- NULL: the command line, an import's or the demo's history.
    user_id TEXT,
    -- NULL: made on the server (the dashboard, an import), not on a device.
    device_id TEXT,
    -- The day the change happened (the device's clock for a device's change).
    changed_on TEXT NOT NULL,
    -- When the server learned of it.
    recorded_at TEXT NOT NULL
);
CREATE INDEX stage_changes_territory ON stage_changes (territory_id, changed_on);
CREATE INDEX stage_changes_user ON stage_changes (user_id, recorded_at);

-- Next steps reps promise at an account ("call back Tuesday"), synced to every device
-- holding the account's territory. `data` is the wire record; the clock of the last
-- accepted save decides between two devices' saves (last writer wins).
CREATE TABLE follow_ups (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    rep_id TEXT NOT NULL,
    due_on TEXT NOT NULL,
    done_at TEXT,
    data TEXT NOT NULL,
    hlc TEXT NOT NULL,
    device_id TEXT
);
CREATE INDEX follow_ups_account ON follow_ups (account_id, id);
CREATE INDEX follow_ups_rep ON follow_ups (rep_id, due_on);

-- A rep's new account that looks like one already in its territory (the same phone, a
-- close name nearby): Review offers to merge it into that one, or to keep both.
CREATE TABLE duplicate_accounts (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    other_id TEXT NOT NULL REFERENCES accounts (id),
    -- In words, with the other account's name ("looks like Acme Tools: same phone").
    why TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Accounts merged into another. The merged one keeps its row (out of every territory)
-- and its history facts; its contacts, activities and follow-ups moved to `into_id`.
CREATE TABLE account_merges (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    into_id TEXT NOT NULL REFERENCES accounts (id),
    merged_by TEXT NOT NULL,
    merged_at TEXT NOT NULL
);
