-- RFC 9449 §5: a public client's refresh-token family bound to the DPoP key
-- (its RFC 7638 thumbprint) it was first issued with; every refresh in the
-- family must prove possession of that key.
CREATE TABLE dpop_bound_families (
    family_id   TEXT PRIMARY KEY,
    jkt         TEXT NOT NULL
);
