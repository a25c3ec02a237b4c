-- Reports: service times over cases resolved in a period, and survey answers
-- given in a period, read through ranges of these indexes.
CREATE INDEX cases_by_resolved ON cases (resolved_at, created_at);
CREATE INDEX case_events_by_kind ON case_events (kind, created_at);
-- Keep in step with postgres/0019_reports.sql.
