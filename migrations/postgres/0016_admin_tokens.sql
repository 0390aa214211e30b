-- Named admin API tokens with scopes. Only SHA-256 hashes are kept; a
-- rotated token's previous hash keeps working until `previous_until`.
CREATE TABLE admin_tokens (
    name           TEXT PRIMARY KEY,
    scopes         TEXT NOT NULL,
    token_hash     BYTEA NOT NULL UNIQUE,
    previous_hash  BYTEA UNIQUE,
    previous_until BIGINT,
    created_at     BIGINT NOT NULL,
    rotated_at     BIGINT,
    revoked_at     BIGINT
);
