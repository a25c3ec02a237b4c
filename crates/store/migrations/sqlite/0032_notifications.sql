-- Agent notifications (issue 15): what an agent is told about (assigned to
-- them, the customer wrote on their case, an @mention in a note, and what
-- rules and escalations send), derived from case events as they are
-- appended (crates/store/src/notifications.rs). `event_id` is the event
-- that caused it; an agent is told about one event once. `emailed_at` is
-- set in the transaction that queues the email saying it, so each is
-- emailed at most once. Keep in step with postgres/0032_notifications.sql.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    kind TEXT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    text TEXT NOT NULL,
    event_id BIGINT REFERENCES case_events(id),
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    emailed_at BIGINT
);
-- An agent's notifications, newest first; and the unread ones, counted by
-- the workspace's bell every few seconds.
CREATE INDEX notifications_by_agent ON notifications (agent_id, id);
CREATE INDEX notifications_unread ON notifications (agent_id, id) WHERE read_at IS NULL;
-- One notification per agent per causing event (NULLs, for notifications
-- no event caused, never collide).
CREATE UNIQUE INDEX notifications_once_per_event ON notifications (agent_id, event_id);
-- How each agent wants notifications by email: off, immediately or digest
-- (crates/domain/src/notification.rs).
ALTER TABLE agents ADD COLUMN notify_email TEXT NOT NULL DEFAULT 'off';
