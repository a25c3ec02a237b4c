-- State shared by every node (issue 18). Keep in step with the other
-- backend's 0041_shared_node_state.sql (the trigger at the end is PostgreSQL's alone).
--
-- One counted attempt (a failed sign-in, a public request, a portal link
-- asked for, a deflection) under a key such as `signin:ip:203.0.113.9`, at
-- a time in microseconds. A limit counts a key's rows within its window;
-- rows older than any window are deleted by the clean-up job.
CREATE TABLE throttle_hits (
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX throttle_hits_key_at ON throttle_hits (key, at);
CREATE INDEX throttle_hits_at ON throttle_hits (at);

-- Every node hears when a case changes, so open case pages on any node
-- refresh at once (`tend_store::signals::CASE_CHANGED`). The notification is
-- delivered when the change commits; SQLite, with one node, has no need.
CREATE FUNCTION tend_case_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('tend_case_changed', NEW.id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cases_changed AFTER UPDATE ON cases FOR EACH ROW
    WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at)
    EXECUTE FUNCTION tend_case_changed();
