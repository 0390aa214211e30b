-- The longest a tenant lets the host reuse a plugin's decision (cache-for),
-- in seconds; NULL takes the operator's default, 0 reuses nothing.
ALTER TABLE tenants ADD COLUMN decision_cache_max_seconds BIGINT;
