-- The tenant admin console: each tenant's branding and who may install apps
-- (one row per tenant that changed a default), and users' install requests
-- waiting for an admin.
CREATE TABLE tenant_settings (
    tenant        TEXT PRIMARY KEY REFERENCES tenants(slug) ON DELETE CASCADE,
    display_name  TEXT,
    logo_url      TEXT,
    accent_color  TEXT,
    support_url   TEXT,
    user_installs TEXT NOT NULL DEFAULT 'admins',
    updated_at    BIGINT NOT NULL
);

CREATE TABLE install_requests (
    id                   TEXT PRIMARY KEY,
    tenant               TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    app                  TEXT NOT NULL,
    version              BIGINT NOT NULL,
    requested_by         TEXT NOT NULL,
    optional_permissions TEXT NOT NULL DEFAULT '[]',
    resources            TEXT NOT NULL,
    note                 TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL DEFAULT 'pending',
    decided_by           TEXT,
    decided_at           BIGINT,
    installation_id      TEXT,
    created_at           BIGINT NOT NULL
);
CREATE INDEX install_requests_by_tenant ON install_requests (tenant, status, created_at);
