-- Frustration signals (issue 15, crates/domain/src/frustration.rs): the
-- latest score (0-100) of the customer's messages on the case, folded from
-- its `frustration_scored` events with the effort tally (which also keeps
-- the phrases behind it) and written with the case row, so views and rules
-- can ask for frustrated cases. Keep in step with
-- sqlite/0031_frustration.sql.
ALTER TABLE cases ADD COLUMN frustration BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_frustrated ON cases (frustration, id) WHERE frustration > 0;
