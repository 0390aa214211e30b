-- A refresh token's creation in milliseconds: its parent's spend time, so the
-- reuse grace window is exact whatever the position within the second.
ALTER TABLE refresh_tokens ADD COLUMN created_ms BIGINT;
-- The access token issued beside each refresh token, so revoking the family
-- also makes its live access tokens inactive.
ALTER TABLE refresh_tokens ADD COLUMN access_jti TEXT;
ALTER TABLE refresh_tokens ADD COLUMN access_expires_at BIGINT;
-- Scopes are shown in the order the tenant described them, not by name.
ALTER TABLE scope_descriptions ADD COLUMN position BIGINT;
