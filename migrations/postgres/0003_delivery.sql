-- Credential delivery: the outbox of signed HTTP deliveries, each tenant's
-- delivery signing secret, and an audit trail.

-- The request (headers and body, which may hold a client secret) is sealed
-- under the master key and dropped once delivered.
CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,   -- also the Idempotency-Key
    event_id         TEXT NOT NULL,
    event            TEXT NOT NULL,      -- credentials.created | .rotated | .revoked
    tenant           TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    client_id        TEXT NOT NULL,      -- no foreign key: revoked clients are gone
    url              TEXT NOT NULL,
    request          BYTEA,
    status           TEXT NOT NULL,      -- pending | delivered | dead
    attempts         BIGINT NOT NULL,
    next_attempt_ms  BIGINT NOT NULL,
    locked_until_ms  BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_ms);
CREATE INDEX deliveries_tenant ON deliveries(tenant, created_at);

CREATE TABLE delivery_secrets (
    tenant      TEXT PRIMARY KEY REFERENCES tenants(slug) ON DELETE CASCADE,
    secret      BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE audit_events (
    id          BIGSERIAL PRIMARY KEY,
    tenant      TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_events_tenant ON audit_events(tenant, id);
