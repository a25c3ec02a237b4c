-- Signed-in browser sessions of the web UI. The cookie holds a random id;
-- only its SHA-256 hash is stored, with the session's CSRF token.
-- Keep in step with sqlite/0008_web_sessions.sql.
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_agent ON web_sessions(agent_id);
