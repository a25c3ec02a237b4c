-- Quoted history and inline images of email messages.
-- Keep in step with postgres/0006_quotes_and_inline_parts.sql.

-- Byte offsets where the quoted history below the new text begins, in
-- body_text and in body_html; NULL when a message quotes nothing.
ALTER TABLE messages ADD COLUMN text_quote_start BIGINT;
ALTER TABLE messages ADD COLUMN html_quote_start BIGINT;

-- The Content-ID of an inline part (an image its HTML shows as cid:...).
ALTER TABLE attachments ADD COLUMN content_id TEXT;
