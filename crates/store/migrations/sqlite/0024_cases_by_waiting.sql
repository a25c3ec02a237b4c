-- "My open cases" and "Unassigned" list the customer who has waited
-- longest first (crates/store/src/cases.rs, CaseSort::WaitingLongest): by
-- assignee, then the start of the wait, cases nobody waits on last. The
-- expression must be written exactly as the query writes it.
CREATE INDEX cases_by_assignee_waiting ON cases (assignee_id, COALESCE(waiting_since, 9223372036854775807), id);
-- Keep in step with postgres/0023_cases_by_waiting.sql.
