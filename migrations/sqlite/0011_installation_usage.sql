-- What each installation did per day (UTC), added up from every replica's
-- in-memory counts when they flush (usage_flush_ms).
CREATE TABLE installation_usage (
    installation_id TEXT NOT NULL,
    day             BIGINT NOT NULL,
    tokens          BIGINT NOT NULL DEFAULT 0,
    denied          BIGINT NOT NULL DEFAULT 0,
    evaluations     BIGINT NOT NULL DEFAULT 0,
    last_token_at   BIGINT,
    PRIMARY KEY (installation_id, day)
);

-- Tokens per installation and clock hour, for quotas across replicas.
CREATE TABLE installation_hourly (
    installation_id TEXT NOT NULL,
    hour            BIGINT NOT NULL,
    tokens          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (installation_id, hour)
);

-- An optional limit on the tokens an installation gets per clock hour.
ALTER TABLE installations ADD COLUMN token_quota_per_hour BIGINT;
