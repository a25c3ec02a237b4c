-- State shared by every node (issue 18). Keep in step with the other
-- backend's 0041_shared_node_state.sql.
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
