-- Merged cases: a case merged into another points at it, so its page can
-- link there and email naming it can follow. The log's `case_merged` event
-- is the record; this column is its fold. Keep in step with
-- postgres/0010_case_merge.sql.
ALTER TABLE cases ADD COLUMN merged_into_id BIGINT REFERENCES cases(id);
