-- Customer surveys after resolution, per inbox: whether they are sent, whether
-- the CSAT question is asked with the CES one, how long after resolution
-- (minutes), and at most one survey per customer per so many days.
-- Keep in step with sqlite/0019_surveys.sql.
ALTER TABLE inboxes ADD COLUMN survey_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inboxes ADD COLUMN survey_csat BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inboxes ADD COLUMN survey_delay_minutes BIGINT NOT NULL DEFAULT 60;
ALTER TABLE inboxes ADD COLUMN survey_every_days BIGINT NOT NULL DEFAULT 30;

-- Sent surveys and answers are case events; the frequency cap and the
-- customer's latest answers read them through these small partial indexes,
-- which rows of other kinds never enter.
CREATE INDEX case_events_survey_sent ON case_events (case_id, created_at)
    WHERE kind = 'survey_sent';
CREATE INDEX case_events_survey_answered ON case_events (case_id, seq)
    WHERE kind = 'survey_answered';
