-- End users, their sessions and consents, authorization codes, refresh
-- tokens, personal access tokens, and what apps need for the code flow.

ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN public_client BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';

ALTER TABLE tenants ADD COLUMN refresh_idle_ttl BIGINT;
ALTER TABLE tenants ADD COLUMN refresh_absolute_ttl BIGINT;
ALTER TABLE tenants ADD COLUMN pat_max_ttl BIGINT;

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    tenant         TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    username       TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    email          TEXT,
    display_name   TEXT,
    is_admin       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    UNIQUE (tenant, username)
);

-- Plain-language descriptions shown on the consent page.
CREATE TABLE scope_descriptions (
    tenant       TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    scope        TEXT NOT NULL,
    description  TEXT NOT NULL,
    PRIMARY KEY (tenant, scope)
);

CREATE TABLE sessions (
    id_hash     BYTEA PRIMARY KEY,
    tenant      TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Failed logins per key (account or client address) in the current window.
CREATE TABLE login_failures (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    window_start  BIGINT NOT NULL,
    locked_until  BIGINT NOT NULL
);

CREATE TABLE consents (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    tenant      TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE authorization_codes (
    code_hash       BYTEA PRIMARY KEY,
    tenant          TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT,
    auth_time       BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    -- Set when redeemed; a second redemption revokes what the first issued.
    used_at         BIGINT,
    family_id       TEXT,
    access_jti      TEXT,
    access_expires_at BIGINT
);
CREATE INDEX authorization_codes_expires ON authorization_codes(expires_at);

-- Refresh tokens rotate on every use; all tokens of one grant share a family.
CREATE TABLE refresh_tokens (
    token_hash          BYTEA PRIMARY KEY,
    family_id           TEXT NOT NULL,
    tenant              TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    client_id           TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    scopes              TEXT NOT NULL,
    auth_time           BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    family_expires_at   BIGINT NOT NULL,
    used_at             BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_user_client ON refresh_tokens(user_id, client_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens(family_expires_at);

CREATE TABLE personal_access_tokens (
    id            TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    BYTEA NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX personal_access_tokens_user ON personal_access_tokens(user_id);
