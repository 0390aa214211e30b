-- RFC 7591 dynamic client registration, off unless the tenant turns it on.
ALTER TABLE tenants ADD COLUMN dynamic_registration BOOLEAN NOT NULL DEFAULT FALSE;

-- How a client came to be: NULL made by an operator or an app's install,
-- 'dynamic' registered itself (RFC 7591). Its RFC 7592 registration access
-- token, stored as SHA-256 only.
ALTER TABLE clients ADD COLUMN registration TEXT;
ALTER TABLE clients ADD COLUMN registration_token_hash BYTEA;
