-- RFC 9126 pushed authorization requests: the parameters a client pushed,
-- kept until a code is issued for them or they expire. Only the SHA-256 of
-- the request_uri is stored.
CREATE TABLE pushed_requests (
    uri_hash    BYTEA PRIMARY KEY,
    tenant      TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    client_id   TEXT NOT NULL,
    params      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX pushed_requests_by_expiry ON pushed_requests (expires_at);

-- RFC 9126 §6 client metadata: this client's authorization requests must be pushed.
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests BOOLEAN NOT NULL DEFAULT FALSE;
