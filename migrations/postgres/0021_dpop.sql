-- RFC 9449 §5: a public client's refresh-token family bound to the DPoP key
-- (its RFC 7638 thumbprint) it was first issued with; every refresh in the
-- family must prove possession of that key.
CREATE TABLE dpop_bound_families (
    family_id   TEXT PRIMARY KEY,
    jkt         TEXT NOT NULL
);

-- RFC 9449 §5.2 client metadata: this client's access tokens must be DPoP-bound.
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;
