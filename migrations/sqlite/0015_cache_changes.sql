-- What each generation bump changed, so a replica drops only the entries a
-- change touched instead of its whole view. `scope` is tenant, client,
-- installation, app, legacy or all; `key` names the entry (empty for legacy
-- and all). Only the newest rows are kept; a replica that fell further behind
-- drops everything.
CREATE TABLE cache_changes (
    generation BIGINT PRIMARY KEY,
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL
);
