-- The legacy sunset: tenant-created clients marked legacy stop working on a
-- platform-wide date. One policy row (id 1), the marks, per-tenant
-- exemptions, and legacy credentials' use per day (flushed like usage).
CREATE TABLE legacy_policy (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    sunset_at     BIGINT NOT NULL,
    warn_from     BIGINT,
    message       TEXT NOT NULL,
    migration_url TEXT,
    brownouts     TEXT NOT NULL DEFAULT '[]',
    updated_at    BIGINT NOT NULL
);

CREATE TABLE legacy_clients (
    client_id   TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    replaced_by TEXT,
    marked_at   BIGINT NOT NULL
);

CREATE TABLE legacy_exemptions (
    tenant     TEXT PRIMARY KEY,
    until      BIGINT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE legacy_usage (
    client_id    TEXT NOT NULL,
    day          BIGINT NOT NULL,
    uses         BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT,
    PRIMARY KEY (client_id, day)
);
