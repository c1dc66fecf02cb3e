-- Quotas: a manager's top-down revenue target for a period (a month or a quarter), and
-- its split by territory. Forward only: never edit a released migration.
-- Amounts in minor units of `currency`; dates as YYYY-MM-DD (local, inclusive).
CREATE TABLE quotas (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id),
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    currency TEXT NOT NULL,
    target_minor BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (owner_id, period_start, period_end)
);
CREATE TABLE quota_shares (
    quota_id TEXT NOT NULL REFERENCES quotas (id),
    territory_id TEXT NOT NULL REFERENCES territories (id),
    share_minor BIGINT NOT NULL,
    PRIMARY KEY (quota_id, territory_id)
);
