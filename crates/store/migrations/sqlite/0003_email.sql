-- The email channel: inboxes, and what each email message carries beyond
-- its body. Keep in step with postgres/0002_email.sql (SQLite has one more migration before it).

CREATE TABLE inboxes (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- What a reply to a closed case does: 'reopen' or 'follow_up'.
    closed_reply TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

ALTER TABLE messages ADD COLUMN email_message_id TEXT;
ALTER TABLE messages ADD COLUMN email_from TEXT;
ALTER TABLE messages ADD COLUMN email_subject TEXT;
-- JSON array of the Cc'd addresses.
ALTER TABLE messages ADD COLUMN email_cc TEXT;
-- Auto-replies, bounces and bulk mail: never answered automatically.
ALTER TABLE messages ADD COLUMN email_automated BIGINT NOT NULL DEFAULT 0;
-- The raw message as received, in blobs.
ALTER TABLE messages ADD COLUMN raw_sha256 TEXT REFERENCES blobs(sha256);
CREATE INDEX messages_by_email_id ON messages (email_message_id) WHERE email_message_id IS NOT NULL;
