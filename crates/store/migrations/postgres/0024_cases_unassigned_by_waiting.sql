-- "Unassigned" lists the longest wait first. PostgreSQL does not treat
-- `assignee_id IS NULL` as an equality when it matches an index's order, so
-- cases_by_assignee_waiting serves "My open cases" but not "Unassigned";
-- this partial index holds only the unassigned cases, in that order.
-- (SQLite's planner uses cases_by_assignee_waiting for both.)
CREATE INDEX cases_unassigned_by_waiting ON cases ((COALESCE(waiting_since, 9223372036854775807)), id)
    WHERE assignee_id IS NULL;
