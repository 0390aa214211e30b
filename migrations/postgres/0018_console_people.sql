-- The IANA time zone a tenant's console shows times in; NULL is UTC.
ALTER TABLE tenant_settings ADD COLUMN time_zone TEXT;

-- When each person last signed in (the console's people list).
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;

-- One-time links an admin makes so a person sets a new password. Only the
-- SHA-256 of the link's token is kept; a link is used once, before expires_at.
CREATE TABLE password_resets (
    token_hash  BYTEA PRIMARY KEY,
    tenant      TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);
