-- Side conversations with third parties and tasks on cases. Keep in step
-- with the other backend's 0038_side_conversations.sql.
--
-- A conversation agents hold by email with someone outside (a supplier, a
-- subcontractor) about a case; its messages are internal and carry its id.
CREATE TABLE side_conversations (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    subject TEXT NOT NULL,
    created_by BIGINT REFERENCES agents(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX side_conversations_by_case ON side_conversations (case_id, id);

ALTER TABLE messages ADD COLUMN side_conversation_id BIGINT REFERENCES side_conversations(id);
CREATE INDEX messages_by_side_conversation ON messages (side_conversation_id, id);

-- A case's checklist: who does what by when.
CREATE TABLE case_tasks (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    title TEXT NOT NULL,
    -- 'agent', 'third_party' or 'customer'.
    owner_kind TEXT NOT NULL,
    owner_agent_id BIGINT REFERENCES agents(id),
    -- The third party's name (never shown to the customer).
    owner_name TEXT,
    due_at BIGINT,
    -- 'open', 'done' or 'cancelled'.
    status TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX case_tasks_by_case ON case_tasks (case_id, position);
