-- Named admin API tokens with scopes. Only SHA-256 hashes are kept; a
-- rotated token's previous hash keeps working until `previous_until`.
CREATE TABLE admin_tokens (
    name           TEXT PRIMARY KEY,
    scopes         TEXT NOT NULL,
    token_hash     BLOB NOT NULL UNIQUE,
    previous_hash  BLOB UNIQUE,
    previous_until INTEGER,
    created_at     INTEGER NOT NULL,
    rotated_at     INTEGER,
    revoked_at     INTEGER
);
