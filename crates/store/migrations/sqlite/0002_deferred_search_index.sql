-- Full-text indexing leaves the write path: new rows are indexed in large
-- batches on the writer thread (see src/search_index.rs), which costs a
-- fraction of indexing each row in its own small transaction. `fts_progress`
-- records, per index, the highest row id indexed; rows above it are not yet
-- in the index, so the update and delete triggers leave them alone.

DROP TRIGGER cases_fts_insert;
DROP TRIGGER messages_fts_insert;
DROP TRIGGER cases_fts_update;
DROP TRIGGER cases_fts_delete;
DROP TRIGGER messages_fts_delete;

CREATE TABLE fts_progress (
    name TEXT PRIMARY KEY,
    indexed_id BIGINT NOT NULL
);
INSERT INTO fts_progress (name, indexed_id) VALUES
    ('cases', (SELECT COALESCE(MAX(id), 0) FROM cases)),
    ('messages', (SELECT COALESCE(MAX(id), 0) FROM messages));

CREATE TRIGGER cases_fts_update AFTER UPDATE OF subject ON cases
WHEN old.subject <> new.subject AND old.id <= (SELECT indexed_id FROM fts_progress WHERE name = 'cases') BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
    INSERT INTO cases_fts (rowid, subject) VALUES (new.id, new.subject);
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases
WHEN old.id <= (SELECT indexed_id FROM fts_progress WHERE name = 'cases') BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.id <= (SELECT indexed_id FROM fts_progress WHERE name = 'messages') BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text);
END;
