-- The customer portal: single-use sign-in links sent by email, and signed-in
-- customers' browser sessions. Only SHA-256 hashes of the secrets are kept.
-- Outbound email may now be a system email (a sign-in link) that belongs to
-- no case message. Keep in step with sqlite/0015_portal.sql.

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

ALTER TABLE outbound_mail ALTER COLUMN message_id DROP NOT NULL;
