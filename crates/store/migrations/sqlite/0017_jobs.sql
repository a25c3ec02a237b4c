-- Durable jobs: work that follows a change (sending an email, acknowledging
-- a new case, clearing out expired sign-ins), enqueued in the change's own
-- transaction and run by the job runner. Times are microseconds since the
-- epoch; `payload` is JSON text. A job that succeeds is deleted; a dead one
-- is kept with its last error until an admin retries it.
-- Keep in step with postgres/0016_jobs.sql.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- queued, running or dead.
    state TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    last_error TEXT,
    -- While running: when the worker's claim lapses.
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);

-- Email still waiting in the old queue is handed to the job runner; the
-- outbound_mail rows stay the record of each email and its delivery.
INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, last_error, created_at, updated_at)
SELECT 'send_email', '{"outbound_id":' || id || '}', 'queued', next_attempt_at, 0, 10, last_error,
    created_at, updated_at
FROM outbound_mail WHERE status = 'queued' ORDER BY id;
-- The jobs now keep the schedule.
DROP INDEX outbound_mail_due;
ALTER TABLE outbound_mail DROP COLUMN next_attempt_at;

-- The clean-up of expired sessions and sign-in links reschedules itself.
INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, created_at, updated_at)
VALUES ('clean_up', '{}', 'queued', 0, 0, 10, 0, 0);
