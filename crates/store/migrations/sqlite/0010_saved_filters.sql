-- Case-list filters an agent saved under a name, optionally shared with every
-- agent. `params` is a JSON object of the view's query parameters.
-- Keep in step with postgres/0009_saved_filters.sql.
CREATE TABLE saved_filters (
    id INTEGER PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    name TEXT NOT NULL,
    view TEXT NOT NULL,
    params TEXT NOT NULL,
    shared BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX saved_filters_agent_name ON saved_filters(agent_id, name);
