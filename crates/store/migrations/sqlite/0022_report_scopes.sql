-- The report summary is kept per filter as well: `scope` is '' for all
-- cases, or one filter value a report can ask for ('channel:email',
-- 'team:3', 'agent:5', 'tag:billing'), holding the facts of only the cases
-- that value keeps. A report with one such filter then reads a few rows per
-- day too. The table is a projection, so it is rebuilt: every day with a
-- case is marked stale and recomputed by the next refresh.
DROP TABLE report_days;
CREATE TABLE report_days (
    scope TEXT NOT NULL,
    day BIGINT NOT NULL,
    fact TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL,
    total BIGINT NOT NULL,
    high BIGINT NOT NULL,
    PRIMARY KEY (scope, day, fact, key)
);
INSERT INTO report_stale_days (day)
SELECT DISTINCT created_at / 86400000000 FROM cases WHERE true
ON CONFLICT (day) DO NOTHING;
INSERT INTO report_stale_days (day)
SELECT DISTINCT resolved_at / 86400000000 FROM cases WHERE resolved_at IS NOT NULL
ON CONFLICT (day) DO NOTHING;
-- Keep in step with postgres/0021_report_scopes.sql.
