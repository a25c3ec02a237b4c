-- The customer page (crates/store/src/customer_notes.rs, merge_customers.rs):
-- notes agents keep about a customer, newest first; a customer merged into
-- another is kept as a tombstone pointing at the survivor; an
-- organisation's cases are read through its members.
-- Keep in step with postgres/0025_customer_pages.sql.
ALTER TABLE customers ADD COLUMN merged_into_id BIGINT REFERENCES customers(id);

CREATE TABLE customer_notes (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    author_id BIGINT NOT NULL REFERENCES agents(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX customer_notes_by_customer ON customer_notes (customer_id, id);
