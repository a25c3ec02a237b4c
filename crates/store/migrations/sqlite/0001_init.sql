-- Tend schema, SQLite dialect. Timestamps are microseconds since the Unix
-- epoch; booleans are 0/1; JSON is TEXT. Keep in step with postgres/0001_init.sql.

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id),
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    PRIMARY KEY (team_id, agent_id)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT,
    share_cases BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    organization_id BIGINT REFERENCES organizations(id),
    verification_level TEXT NOT NULL,
    verification_method TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_by_organization ON customers (organization_id, id);

CREATE TABLE contact_points (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX contact_points_by_customer ON contact_points (customer_id);

CREATE TABLE agreements (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT REFERENCES customers(id),
    organization_id BIGINT REFERENCES organizations(id),
    name TEXT NOT NULL,
    reference TEXT,
    status TEXT NOT NULL,
    starts_on TEXT,
    ends_on TEXT,
    terms TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((customer_id IS NULL) <> (organization_id IS NULL))
);
CREATE INDEX agreements_by_customer ON agreements (customer_id);
CREATE INDEX agreements_by_organization ON agreements (organization_id);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    channel TEXT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    assignee_id BIGINT REFERENCES agents(id),
    team_id BIGINT REFERENCES teams(id),
    agreement_id BIGINT REFERENCES agreements(id),
    tags TEXT NOT NULL,
    custom_fields TEXT NOT NULL,
    message_count BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_by_updated ON cases (updated_at, id);
CREATE INDEX cases_by_created ON cases (created_at, id);
CREATE INDEX cases_by_status ON cases (status, updated_at, id);
CREATE INDEX cases_by_assignee ON cases (assignee_id, updated_at, id);
CREATE INDEX cases_by_team ON cases (team_id, updated_at, id);
CREATE INDEX cases_by_customer ON cases (customer_id, updated_at, id);

CREATE TABLE case_tags (
    tag TEXT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    PRIMARY KEY (tag, case_id)
);
CREATE INDEX case_tags_by_case ON case_tags (case_id);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (case_id, seq)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    author_kind TEXT NOT NULL,
    author_id BIGINT,
    channel TEXT NOT NULL,
    internal BIGINT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_by_case ON messages (case_id, id);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    data BLOB NOT NULL
);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES messages(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256)
);
CREATE INDEX attachments_by_message ON attachments (message_id);

CREATE TABLE idempotency_keys (
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, key)
);

-- Full-text search: external-content FTS5 tables over case subjects and
-- message bodies, kept in step by triggers (as PostgreSQL's generated
-- columns are), so every write path indexes without knowing about it.
CREATE VIRTUAL TABLE cases_fts USING fts5(subject, content='cases', content_rowid='id', tokenize='porter unicode61');
CREATE VIRTUAL TABLE messages_fts USING fts5(body_text, content='messages', content_rowid='id', tokenize='porter unicode61');

CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts (rowid, subject) VALUES (new.id, new.subject);
END;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF subject ON cases WHEN old.subject <> new.subject BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
    INSERT INTO cases_fts (rowid, subject) VALUES (new.id, new.subject);
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
END;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body_text) VALUES (new.id, new.body_text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text);
END;
