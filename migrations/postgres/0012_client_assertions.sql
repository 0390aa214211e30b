-- private_key_jwt assertions already used (RFC 7523 §3 jti): a replay is
-- refused on every replica until the assertion would have expired.
CREATE TABLE client_assertions (
    assertion_key TEXT PRIMARY KEY,
    expires_at    BIGINT NOT NULL
);

-- A client's registered public keys (a JWK Set, JSON): it authenticates with
-- private_key_jwt instead of a secret.
ALTER TABLE clients ADD COLUMN jwks TEXT;
