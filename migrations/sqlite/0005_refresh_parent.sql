-- A refresh token is spent by inserting its successor: the unique parent
-- makes rotation one atomic statement in which exactly one racer wins.
ALTER TABLE refresh_tokens ADD COLUMN parent_hash BLOB;
CREATE UNIQUE INDEX refresh_tokens_parent ON refresh_tokens(parent_hash);
