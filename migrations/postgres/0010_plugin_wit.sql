-- The warden:plugin package version a component was built against. Every
-- plugin added before 0.2.0 existed was built against 0.1.0.
ALTER TABLE plugins ADD COLUMN wit TEXT NOT NULL DEFAULT 'warden:plugin@0.1.0';
