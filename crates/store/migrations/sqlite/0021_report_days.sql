-- Reports read a per-day summary of the cases instead of every case of the
-- period (see crates/store/src/reports/rollup.rs). `report_days` holds, per
-- UTC day (microseconds since the epoch / 86,400,000,000), the facts of the
-- cases created and resolved that day: one row per (fact, key) with a count,
-- a sum and a count of high-effort cases. It is a projection of the cases
-- table, recomputed a day at a time; nothing else writes it.
CREATE TABLE report_days (
    day BIGINT NOT NULL,
    fact TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL,
    total BIGINT NOT NULL,
    high BIGINT NOT NULL,
    PRIMARY KEY (day, fact, key)
);
-- The days whose summary is out of date: marked by these triggers in the
-- same transaction as the case row changes (its creation day and the days it
-- was resolved on, before and after), emptied by the report refresh. Each
-- is one plain upsert (a compound SELECT would build a temporary table on
-- every case write).
CREATE TABLE report_stale_days (
    day BIGINT PRIMARY KEY
);
CREATE TRIGGER cases_report_insert AFTER INSERT ON cases BEGIN
    INSERT INTO report_stale_days (day) VALUES (NEW.created_at / 86400000000)
    ON CONFLICT (day) DO NOTHING;
END;
CREATE TRIGGER cases_report_update AFTER UPDATE ON cases BEGIN
    INSERT INTO report_stale_days (day) VALUES (NEW.created_at / 86400000000)
    ON CONFLICT (day) DO NOTHING;
END;
CREATE TRIGGER cases_report_resolved AFTER UPDATE ON cases
WHEN NEW.resolved_at IS NOT NULL BEGIN
    INSERT INTO report_stale_days (day) VALUES (NEW.resolved_at / 86400000000)
    ON CONFLICT (day) DO NOTHING;
END;
CREATE TRIGGER cases_report_unresolved AFTER UPDATE OF resolved_at ON cases
WHEN OLD.resolved_at IS NOT NULL AND OLD.resolved_at IS NOT NEW.resolved_at BEGIN
    INSERT INTO report_stale_days (day) VALUES (OLD.resolved_at / 86400000000)
    ON CONFLICT (day) DO NOTHING;
END;
CREATE TRIGGER cases_report_delete AFTER DELETE ON cases BEGIN
    INSERT INTO report_stale_days (day)
    SELECT d FROM (
        SELECT OLD.created_at / 86400000000 AS d
        UNION SELECT OLD.resolved_at / 86400000000
    ) WHERE d IS NOT NULL
    ON CONFLICT (day) DO NOTHING;
END;
-- Every day with cases starts out of date.
INSERT INTO report_stale_days (day)
SELECT DISTINCT created_at / 86400000000 FROM cases WHERE true
ON CONFLICT (day) DO NOTHING;
INSERT INTO report_stale_days (day)
SELECT DISTINCT resolved_at / 86400000000 FROM cases WHERE resolved_at IS NOT NULL
ON CONFLICT (day) DO NOTHING;
-- The survey report reads survey events by time: a partial index holds
-- only those, where a full (kind, created_at) index cost every event write.
DROP INDEX case_events_by_kind;
CREATE INDEX case_events_surveys_by_time ON case_events (created_at)
    WHERE kind IN ('survey_sent', 'survey_answered');
-- A new case looks for the case it repeats among its customer's recently
-- active ones (crates/store/src/repeat.rs); the customer index now covers
-- that read, so it touches a page or two of the index and no case rows.
DROP INDEX cases_by_customer;
CREATE INDEX cases_by_customer ON cases (customer_id, updated_at, id, merged_into_id, agreement_id, subject);
-- Keep in step with postgres/0020_report_days.sql.
