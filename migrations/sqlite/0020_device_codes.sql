-- RFC 8628 device authorization: a device's pending sign-in, found by the
-- SHA-256 of its device_code (the device polls with it) or by its user_code
-- (the person types it). status: pending, approved, denied, used.
CREATE TABLE device_codes (
    device_hash   BLOB PRIMARY KEY,
    user_code     TEXT NOT NULL,
    tenant        TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    client_id     TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    interval_s    BIGINT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    user_id       TEXT,
    auth_time     BIGINT
);
CREATE UNIQUE INDEX device_codes_by_user_code ON device_codes (tenant, user_code);
CREATE INDEX device_codes_by_expiry ON device_codes (expires_at);
