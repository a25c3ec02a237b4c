-- Per-inbox IMAP polling and auto-acknowledgement. Keep in step with sqlite/0005_inbox_imap.sql.

-- The mailbox Tend polls for this inbox; all null when it is not polled.
ALTER TABLE inboxes ADD COLUMN imap_host TEXT;
ALTER TABLE inboxes ADD COLUMN imap_port BIGINT;
-- 'imaps' (TLS from the start) or 'starttls'.
ALTER TABLE inboxes ADD COLUMN imap_security TEXT;
ALTER TABLE inboxes ADD COLUMN imap_user TEXT;
-- Needed in clear to log in; never returned by the API.
ALTER TABLE inboxes ADD COLUMN imap_password TEXT;
ALTER TABLE inboxes ADD COLUMN imap_folder TEXT;
-- Where stored messages are moved; null marks them \Seen instead.
ALTER TABLE inboxes ADD COLUMN imap_move_to TEXT;
-- Answer each new case opened by email with its reference and the promise.
ALTER TABLE inboxes ADD COLUMN auto_acknowledge BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inboxes ADD COLUMN first_reply_hours BIGINT;
