-- Plugin registry (content-addressed) and per-tenant hook bindings.
CREATE TABLE plugin_blobs (
    sha256  TEXT PRIMARY KEY,
    wasm    BLOB NOT NULL
);

CREATE TABLE plugins (
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    sha256      TEXT NOT NULL REFERENCES plugin_blobs(sha256),
    hook        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE plugin_bindings (
    tenant          TEXT NOT NULL REFERENCES tenants(slug) ON DELETE CASCADE,
    hook            TEXT NOT NULL,
    plugin_name     TEXT NOT NULL,
    plugin_version  INTEGER NOT NULL,
    config          TEXT NOT NULL,
    deadline_ms     INTEGER,
    memory_mib      INTEGER,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant, hook),
    FOREIGN KEY (plugin_name, plugin_version) REFERENCES plugins(name, version)
);
