-- Email subjects are kept whole (up to 16 Ki characters, see
-- tend_domain::case::MAX_EMAIL_SUBJECT). A B-tree index entry holds at most
-- about 2.7 kB, so the customer index no longer carries the subject: the
-- repeat-contact read (crates/store/src/repeat.rs) takes it from the row.
DROP INDEX cases_by_customer;
CREATE INDEX cases_by_customer ON cases (customer_id, updated_at, id)
    INCLUDE (merged_into_id, agreement_id);
