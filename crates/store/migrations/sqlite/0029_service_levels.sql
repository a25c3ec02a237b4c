-- Business hours and SLA policies (issue 15). Keep in step with the other
-- backend's 0029_service_levels.sql.
--
-- A calendar: a time zone, weekly open hours in the text form
-- `mon-fri 09:00-17:00` (see tend_domain::calendar::WeeklyHours) and
-- holidays as a JSON array of local dates. At most one is the default;
-- teams and inboxes may name their own.
CREATE TABLE calendars (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    hours TEXT NOT NULL,
    holidays TEXT NOT NULL DEFAULT '[]',
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
ALTER TABLE teams ADD COLUMN calendar_id BIGINT REFERENCES calendars(id);
ALTER TABLE inboxes ADD COLUMN calendar_id BIGINT REFERENCES calendars(id);
-- SLA policies, tried in `position` order: the first enabled one whose
-- conditions match a case applies. `definition` is the JSON of
-- tend_domain::sla::definition::SlaPolicyDefinition without the name.
CREATE TABLE sla_policies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    position BIGINT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- The SLA projection of a case, refolded from its log with every change:
-- the policy that applies, the running clock due soonest and its due time
-- (microseconds), or 'paused' with no due time. Views sort by due time and
-- pick out the breached (due time passed) through this expression index
-- (cases without a due time sort last).
ALTER TABLE cases ADD COLUMN sla_policy_id BIGINT;
ALTER TABLE cases ADD COLUMN sla_clock TEXT;
ALTER TABLE cases ADD COLUMN sla_due_at BIGINT;
CREATE INDEX cases_by_sla_due ON cases ((COALESCE(sla_due_at, 9223372036854775807)), id);
