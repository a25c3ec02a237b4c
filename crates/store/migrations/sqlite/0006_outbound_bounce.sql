-- The bounce report that came back for an outbound email, kept in blobs.
-- Keep in step with postgres/0005_outbound_bounce.sql.
ALTER TABLE outbound_mail ADD COLUMN bounce_sha256 TEXT REFERENCES blobs(sha256);
