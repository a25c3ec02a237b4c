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
-- The days whose summary is out of date: marked by this trigger in the same
-- transaction as the case row changes (its creation day and the days it was
-- resolved on, before and after), emptied by the report refresh, which
-- locks the table first so no transaction that marked a day is still open.
-- DO NOTHING takes no row lock: concurrent writers never wait on each other.
CREATE TABLE report_stale_days (
    day BIGINT PRIMARY KEY
);
CREATE FUNCTION cases_mark_report_days() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO report_stale_days (day)
        SELECT DISTINCT d FROM unnest(ARRAY[NEW.created_at / 86400000000, NEW.resolved_at / 86400000000]) AS d
        WHERE d IS NOT NULL
        ON CONFLICT (day) DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO report_stale_days (day)
        SELECT DISTINCT d FROM unnest(ARRAY[NEW.created_at / 86400000000, OLD.resolved_at / 86400000000,
                                            NEW.resolved_at / 86400000000]) AS d
        WHERE d IS NOT NULL
        ON CONFLICT (day) DO NOTHING;
    ELSE
        INSERT INTO report_stale_days (day)
        SELECT DISTINCT d FROM unnest(ARRAY[OLD.created_at / 86400000000, OLD.resolved_at / 86400000000]) AS d
        WHERE d IS NOT NULL
        ON CONFLICT (day) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_report_days AFTER INSERT OR UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_mark_report_days();
-- Every day with cases starts out of date.
INSERT INTO report_stale_days (day)
SELECT DISTINCT created_at / 86400000000 FROM cases
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
CREATE INDEX cases_by_customer ON cases (customer_id, updated_at, id)
    INCLUDE (merged_into_id, agreement_id, subject);
-- Keep in step with sqlite/0021_report_days.sql.
