-- Apps that tenants install (issue 11): the platform's registry of apps and
-- their immutable manifest versions, each tenant's resources installations
-- can be scoped to, and the installations themselves.
CREATE TABLE apps (
    slug                        TEXT PRIMARY KEY,
    latest_version              INTEGER NOT NULL,
    -- Standard Webhooks signing secret, sealed under the master key; the
    -- replaced one co-signs until previous_secret_expires_at.
    webhook_secret              BLOB NOT NULL,
    previous_webhook_secret     BLOB,
    previous_secret_expires_at  INTEGER,
    created_at                  INTEGER NOT NULL
);

CREATE TABLE app_versions (
    app         TEXT NOT NULL REFERENCES apps(slug) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    manifest    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (app, version)
);

CREATE TABLE tenant_resources (
    tenant  TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    type    TEXT NOT NULL,
    id      TEXT NOT NULL,
    name    TEXT NOT NULL,
    PRIMARY KEY (tenant, type, id)
);

CREATE TABLE installations (
    id               TEXT PRIMARY KEY,
    tenant           TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    app              TEXT NOT NULL REFERENCES apps(slug),
    version          INTEGER NOT NULL,
    -- Approved permission names, space-separated, in manifest order.
    permissions      TEXT NOT NULL,
    -- "all" or {"type": ["id", ...]} (JSON).
    resources        TEXT NOT NULL,
    revision         INTEGER NOT NULL DEFAULT 1,
    suspended_by     TEXT,
    pending_version  INTEGER,
    service_account  TEXT NOT NULL,
    service_account_name TEXT NOT NULL,
    client_id        TEXT,
    installed_by     TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    -- The last lifecycle event's sequence number.
    sequence         INTEGER NOT NULL DEFAULT 0,
    -- Kept after uninstall so its credentials get a clear answer.
    uninstalled_at   INTEGER,
    -- The app marked its install hook required: usable once it answered 2xx.
    awaiting_hook    BOOLEAN NOT NULL DEFAULT FALSE
);
-- One live installation of an app per tenant.
CREATE UNIQUE INDEX installations_live ON installations(tenant, app) WHERE uninstalled_at IS NULL;
CREATE INDEX installations_app ON installations(app);

-- A service account is a directory entry managed by its installation: it
-- cannot sign in and is not edited or deleted by hand.
ALTER TABLE users ADD COLUMN installation_id TEXT;
-- An installation's push credentials are an OAuth client of the tenant.
ALTER TABLE clients ADD COLUMN installation_id TEXT;

-- Lifecycle events to an app's hook go through the same outbox: signed with
-- the app's Standard Webhooks secret, and sent in order per installation.
ALTER TABLE deliveries ADD COLUMN app TEXT;
ALTER TABLE deliveries ADD COLUMN installation_id TEXT;
ALTER TABLE deliveries ADD COLUMN sequence INTEGER;
CREATE INDEX deliveries_installation ON deliveries(installation_id, sequence);

-- Warden's own Ed25519 keys for Standard Webhooks' asymmetric signatures
-- (v1a): nobody holding an app's shared secret can forge an event. The
-- private half is sealed under the master key; public halves are published.
CREATE TABLE webhook_signing_keys (
    kid          TEXT PRIMARY KEY,
    private_key  BLOB NOT NULL,
    public_key   BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
