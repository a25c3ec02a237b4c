-- The days a report refresh has taken off `report_stale_days` and not yet
-- recomputed. A refresh moves the stale days here in one transaction and
-- removes each in the transaction that writes its new facts, so a refresh
-- cut short (a crash, a shutdown) leaves them for the next one instead of
-- losing them. Case writes keep marking `report_stale_days` meanwhile.
CREATE TABLE report_refreshing_days (
    day BIGINT PRIMARY KEY
);
-- Keep in step with postgres/0022_report_refreshing_days.sql.
