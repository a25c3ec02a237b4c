-- Quotes sent on cases, approved or declined by the customer.
-- Keep in step with the other backend's 0037_quotes.sql.
--
-- `lines` is the JSON of the quote's lines (tend_domain::quote::QuoteLine);
-- amounts are integer minor units of `currency`. `number` counts the
-- case's quotes from 1. `status` is sent, approved, declined or expired;
-- `decided_at` and `comment` record the customer's decision. The case's
-- event log (quote_sent, quote_approved, quote_declined) is the history;
-- this row is where the quote stands now. `message_id` is the reply that
-- carried it, with the PDF attached.
CREATE TABLE quotes (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    number BIGINT NOT NULL,
    currency TEXT NOT NULL,
    lines TEXT NOT NULL,
    subtotal_minor BIGINT NOT NULL,
    tax_minor BIGINT NOT NULL,
    total_minor BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    status TEXT NOT NULL,
    decided_at BIGINT,
    comment TEXT,
    message_id BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (case_id, number)
);
