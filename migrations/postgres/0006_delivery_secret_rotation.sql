-- Rotating a tenant's delivery signing secret keeps the previous one signing
-- alongside the new one until previous_expires_at, so receivers can switch
-- without missing a delivery.
ALTER TABLE delivery_secrets ADD COLUMN previous_secret BYTEA;
ALTER TABLE delivery_secrets ADD COLUMN previous_expires_at BIGINT;
