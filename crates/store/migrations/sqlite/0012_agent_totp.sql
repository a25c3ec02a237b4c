-- Two-factor sign-in for agents (TOTP, RFC 6238). A secret is stored when an
-- agent starts setting it up and counts only once `enabled_at` is set, after
-- the agent entered a valid code. `last_step` is the time step of the last
-- code accepted, so a code works once. Keep in step with
-- postgres/0011_agent_totp.sql.
CREATE TABLE agent_totp (
    agent_id BIGINT PRIMARY KEY REFERENCES agents(id),
    secret TEXT NOT NULL,
    enabled_at BIGINT,
    last_step BIGINT,
    created_at BIGINT NOT NULL
);

-- Sign-ins whose password was right and which wait for the code. The browser
-- holds a random id; only its SHA-256 hash is stored.
CREATE TABLE web_pending_signins (
    id_hash TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_pending_signins_agent ON web_pending_signins(agent_id);
