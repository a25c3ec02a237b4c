-- The bounce report that came back for an outbound email, kept in blobs.
-- Keep in step with sqlite/0006_outbound_bounce.sql.
ALTER TABLE outbound_mail ADD COLUMN bounce_sha256 TEXT REFERENCES blobs(sha256);
