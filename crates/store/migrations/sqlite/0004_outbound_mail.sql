-- Outbound email: a durable queue of rendered messages for the relay.
-- Keep in step with postgres/0003_outbound_mail.sql.

-- The inbox an email message came in on or goes out from.
ALTER TABLE messages ADD COLUMN email_inbox_id BIGINT REFERENCES inboxes(id);

CREATE TABLE outbound_mail (
    id INTEGER PRIMARY KEY,
    message_id BIGINT NOT NULL UNIQUE REFERENCES messages(id),
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    -- The rendered MIME message, in blobs.
    raw_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    -- queued, sent, failed or bounced.
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX outbound_mail_due ON outbound_mail (status, next_attempt_at);
