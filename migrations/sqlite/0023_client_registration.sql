-- RFC 7591 dynamic client registration, off unless the tenant turns it on.
ALTER TABLE tenants ADD COLUMN dynamic_registration BOOLEAN NOT NULL DEFAULT FALSE;
-- Client ID Metadata Documents: an https client_id names the client's own
-- metadata, fetched when used (off unless the tenant turns it on).
ALTER TABLE tenants ADD COLUMN client_id_metadata_documents BOOLEAN NOT NULL DEFAULT FALSE;

-- How a client came to be: NULL made by an operator or an app's install,
-- 'dynamic' registered itself (RFC 7591). Its RFC 7592 registration access
-- token, stored as SHA-256 only.
ALTER TABLE clients ADD COLUMN registration TEXT;
ALTER TABLE clients ADD COLUMN registration_token_hash BLOB;
