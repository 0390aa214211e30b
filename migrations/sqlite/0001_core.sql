-- Core schema: tenants, clients, signing keys, revoked tokens, cache generation.
-- Times are unix seconds (INTEGER) in both backends so the SQL stays shared.
CREATE TABLE tenants (
    slug                  TEXT PRIMARY KEY,
    signing_alg           TEXT NOT NULL,
    access_token_ttl      INTEGER,
    max_access_token_ttl  INTEGER,
    created_at            INTEGER NOT NULL
);

CREATE TABLE clients (
    client_id                   TEXT PRIMARY KEY,
    tenant                      TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    name                        TEXT NOT NULL,
    grant_types                 TEXT NOT NULL,
    scopes                      TEXT NOT NULL,
    default_scopes              TEXT NOT NULL,
    resources                   TEXT NOT NULL,
    access_token_ttl            INTEGER,
    secret_hash                 BLOB NOT NULL,
    previous_secret_hash        BLOB,
    previous_secret_expires_at  INTEGER,
    metadata                    TEXT NOT NULL,
    created_at                  INTEGER NOT NULL
);
CREATE INDEX clients_tenant ON clients(tenant);

CREATE TABLE signing_keys (
    kid             TEXT PRIMARY KEY,
    tenant          TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    alg             TEXT NOT NULL,
    private_key     BLOB NOT NULL,
    public_jwk      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    retired_at      INTEGER,
    publish_until   INTEGER
);
CREATE INDEX signing_keys_tenant ON signing_keys(tenant);

CREATE TABLE revoked_tokens (
    jti         TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens(expires_at);

-- Bumped by every change to tenants, clients or keys; replicas poll it to
-- drop their caches.
CREATE TABLE cache_generation (
    id     INTEGER PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT INTO cache_generation (id, value) VALUES (1, 0);
