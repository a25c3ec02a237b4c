-- The case page's identity box asks, for all of a customer's cases, for the
-- latest identity_verified event and the number of identity_requested
-- events. These small partial indexes answer both from a few index pages
-- instead of reading every event of every case; rows of other kinds are
-- not in them, so writing events costs nothing more.
-- Keep in step with sqlite/0016_identity_event_indexes.sql.
CREATE INDEX case_events_identity_verified ON case_events (case_id, kind)
    WHERE kind = 'identity_verified';
CREATE INDEX case_events_identity_requested ON case_events (case_id, kind)
    WHERE kind = 'identity_requested';
