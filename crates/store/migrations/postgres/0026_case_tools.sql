-- The case page's tools (issue 14): snoozing and following.
-- `snoozed_until` (microseconds since the epoch) is the fold of the log's
-- `snoozed` / `unsnoozed` events, written with them like `status`: working
-- views leave out cases snoozed past now, and the "Snoozed" view lists
-- them by this partial index. Keep in step with the other backend's
-- 0026_case_tools.sql.
ALTER TABLE cases ADD COLUMN snoozed_until BIGINT;
CREATE INDEX cases_snoozed ON cases (snoozed_until, id) WHERE snoozed_until IS NOT NULL;
-- Agents following a case (per agent, not a case event: following changes
-- nothing for the customer). The "Following" view reads by agent.
CREATE TABLE case_followers (
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    case_id BIGINT NOT NULL REFERENCES cases(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, case_id)
);
CREATE INDEX case_followers_by_case ON case_followers (case_id);
