-- Platform-wide default bindings: a hook's plugin for every tenant that binds
-- none of its own (nobody binds a plugin 10,000 times). Same shape as
-- plugin_bindings; `tenant` is always '*'.
CREATE TABLE platform_bindings (
    tenant          TEXT NOT NULL DEFAULT '*' CHECK (tenant = '*'),
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
