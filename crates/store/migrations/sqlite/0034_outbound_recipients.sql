-- Outbound mail to more than one address, and signatures (issue 16). Keep
-- in step with the other backend's 0034_outbound_recipients.sql.
--
-- Who an email Tend sent went to besides its `recipient`: Cc and Bcc
-- copies, in the envelope. Their answers join the case as participants'.
CREATE TABLE outbound_copies (
    id INTEGER PRIMARY KEY,
    outbound_id BIGINT NOT NULL REFERENCES outbound_mail(id),
    address TEXT NOT NULL,
    -- 'cc' or 'bcc'.
    kind TEXT NOT NULL
);
CREATE INDEX outbound_copies_outbound ON outbound_copies (outbound_id);
CREATE INDEX outbound_copies_address ON outbound_copies (address);

-- JSON arrays: whom an email went to, and (on Tend's own mail) its Bcc.
ALTER TABLE messages ADD COLUMN email_to TEXT;
ALTER TABLE messages ADD COLUMN email_bcc TEXT;

-- Text appended to agents' email, with placeholders such as {agent.name}.
ALTER TABLE inboxes ADD COLUMN signature TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN signature TEXT NOT NULL DEFAULT '';
