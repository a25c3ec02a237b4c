-- Canned replies: text agents insert into a reply, with placeholders such as
-- {{customer.first_name}} expanded per case. Keep in step with
-- postgres/0008_canned_replies.sql.
CREATE TABLE canned_replies (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
