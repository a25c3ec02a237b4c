-- The customer portal: single-use sign-in links sent by email, and signed-in
-- customers' browser sessions. Only SHA-256 hashes of the secrets are kept.
-- Outbound email may now be a system email (a sign-in link) that belongs to
-- no case message, so outbound_mail.message_id becomes optional; SQLite
-- cannot drop NOT NULL, so the table is rebuilt (nothing references it).
-- Keep in step with postgres/0014_portal.sql.

CREATE TABLE portal_links (
    token_hash TEXT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX portal_links_expiry ON portal_links (expires_at);

CREATE TABLE portal_sessions (
    id_hash TEXT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);

CREATE TABLE outbound_mail_rebuilt (
    id INTEGER PRIMARY KEY,
    message_id BIGINT UNIQUE REFERENCES messages(id),
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    raw_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    bounce_sha256 TEXT REFERENCES blobs(sha256)
);
INSERT INTO outbound_mail_rebuilt (id, message_id, sender, recipient, raw_sha256, status, attempts,
    next_attempt_at, last_error, created_at, updated_at, bounce_sha256)
SELECT id, message_id, sender, recipient, raw_sha256, status, attempts,
    next_attempt_at, last_error, created_at, updated_at, bounce_sha256 FROM outbound_mail;
DROP TABLE outbound_mail;
ALTER TABLE outbound_mail_rebuilt RENAME TO outbound_mail;
CREATE INDEX outbound_mail_due ON outbound_mail (status, next_attempt_at);
