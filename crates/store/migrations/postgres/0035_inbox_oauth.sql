-- OAuth 2.0 for inbox mailboxes (XOAUTH2 instead of a password). Keep in
-- step with the other backend's 0035_inbox_oauth.sql.

-- How Tend logs in to the inbox's IMAP mailbox: 'password' or 'oauth2'.
ALTER TABLE inboxes ADD COLUMN imap_auth TEXT NOT NULL DEFAULT 'password';

-- The OAuth client an inbox's mailbox is connected with, and the tokens
-- the authorisation-code flow gave. Secrets (client_secret, access_token,
-- refresh_token) are sealed like IMAP passwords. `problem` says why the
-- mailbox needs an admin's attention (a revoked grant); null when fine.
CREATE TABLE inbox_oauth (
    inbox_id BIGINT PRIMARY KEY REFERENCES inboxes (id),
    authorize_url TEXT NOT NULL,
    token_url TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT,
    scopes TEXT NOT NULL,
    access_token TEXT,
    refresh_token TEXT,
    expires_at BIGINT,
    connected_at BIGINT,
    problem TEXT,
    problem_at BIGINT
);

-- Authorisations begun and not yet finished: the state parameter (hashed),
-- single-use, tied to the agent and, from the web, to their session.
CREATE TABLE oauth_pending (
    state_hash TEXT PRIMARY KEY,
    inbox_id BIGINT NOT NULL REFERENCES inboxes (id),
    agent_id BIGINT NOT NULL,
    session_hash TEXT,
    redirect_uri TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
