-- RFC 8707 / RFC 9728: the protected resources (APIs) a tenant registers.
-- `identifier` is the resource indicator and the tokens' `aud`; `scopes` the
-- scopes meaningful there (space-separated; empty: any); RFC 9396
-- `authorization_details_types` the request types it takes, each with the
-- tenant's words for the consent page (a JSON array).
CREATE TABLE resource_servers (
    id           TEXT NOT NULL UNIQUE,
    tenant       TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    identifier   TEXT NOT NULL,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL DEFAULT '',
    authorization_details_types TEXT NOT NULL DEFAULT '[]',
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant, identifier)
);

-- RFC 9396 §10 client metadata: the types this client may ask for.
ALTER TABLE clients ADD COLUMN authorization_details_types TEXT NOT NULL DEFAULT '';

-- What a grant covers beyond its scope, carried from the authorization
-- request to the tokens: RFC 9396 details (a JSON array) and RFC 8707
-- resources (space-separated).
ALTER TABLE authorization_codes ADD COLUMN authorization_details TEXT;
ALTER TABLE authorization_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '';
ALTER TABLE device_codes ADD COLUMN authorization_details TEXT;
ALTER TABLE device_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '';

-- The same for a refresh-token family, written once when it starts (only
-- when there is something to keep): every refresh carries it.
CREATE TABLE refresh_family_grants (
    family_id    TEXT PRIMARY KEY,
    authorization_details TEXT,
    resources    TEXT NOT NULL DEFAULT ''
);
