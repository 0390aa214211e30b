-- The longest a tenant lets the host reuse a plugin's decision (cache-for),
-- in seconds; NULL takes the operator's default, 0 reuses nothing.
ALTER TABLE tenants ADD COLUMN decision_cache_max_seconds BIGINT;

-- Per installation and day: decisions its tenant's plugins let the host reuse
-- (answered without a plugin call).
ALTER TABLE installation_usage ADD COLUMN decisions_reused BIGINT NOT NULL DEFAULT 0;
