-- Customer effort, kept on the case row as a projection of its event log and
-- written in the same transaction as each event (see tend_domain::effort).
-- `effort` is the tally (JSON); `effort_index` and `effort_level` its score
-- under the configured weights; the times (microseconds since the epoch) and
-- `repeat_of_id` are the tally's fields that lists and reports filter on.
-- `effort_folded` is 0 for a case written before this migration, whose
-- projection the `effort_backfill` job (queued here) derives from its log.
ALTER TABLE cases ADD COLUMN effort TEXT NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN effort_index BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN effort_level TEXT NOT NULL DEFAULT 'low';
ALTER TABLE cases ADD COLUMN waiting_since BIGINT;
ALTER TABLE cases ADD COLUMN first_response_at BIGINT;
ALTER TABLE cases ADD COLUMN resolved_at BIGINT;
ALTER TABLE cases ADD COLUMN repeat_of_id BIGINT;
ALTER TABLE cases ADD COLUMN effort_folded BIGINT NOT NULL DEFAULT 1;
UPDATE cases SET effort_folded = 0;
-- The weights the projection was last scored by (one row); Tend compares
-- them with its settings at start and queues `effort_rescore` on a change.
CREATE TABLE effort_scoring (
    id BIGINT PRIMARY KEY,
    weights TEXT NOT NULL
);
CREATE INDEX cases_by_effort ON cases (effort_index, id);
CREATE INDEX cases_unfolded ON cases (effort_folded) WHERE effort_folded = 0;
INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, created_at, updated_at)
SELECT 'effort_backfill', '{}', 'queued', 0, 0, 10, 0, 0
WHERE EXISTS (SELECT 1 FROM cases WHERE effort_folded = 0);
-- Keep in step with sqlite/0018_effort.sql.
