-- Automation rules (issue 15). Keep in step with the other backend's
-- 0033_rules.sql.
--
-- Rules run in `position` order; `definition` is the JSON of
-- tend_domain::rules::RuleDefinition without the name. The rest records
-- how the rule has done: how often it acted, and its latest failure (a
-- failed rule leaves the case unchanged).
CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    position BIGINT NOT NULL,
    definition TEXT NOT NULL,
    fired BIGINT NOT NULL DEFAULT 0,
    last_fired_at BIGINT,
    failures BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_case_id BIGINT,
    last_error_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
