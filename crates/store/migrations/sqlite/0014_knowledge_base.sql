-- Knowledge base: categories and Markdown articles, with reader feedback and
-- suggestion/deflection counts, and an FTS5 index over title and body kept
-- in step by triggers. Keep in step with postgres/0013_knowledge_base.sql.
CREATE TABLE kb_categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    slug TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE kb_articles (
    id INTEGER PRIMARY KEY,
    category_id BIGINT REFERENCES kb_categories (id),
    title TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'internal')),
    state TEXT NOT NULL CHECK (state IN ('draft', 'published')),
    helpful_yes BIGINT NOT NULL DEFAULT 0,
    helpful_no BIGINT NOT NULL DEFAULT 0,
    suggested BIGINT NOT NULL DEFAULT 0,
    deflections BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_articles_category ON kb_articles (category_id);

CREATE VIRTUAL TABLE kb_articles_fts USING fts5(title, body, content='kb_articles', content_rowid='id', tokenize='porter unicode61');
CREATE TRIGGER kb_articles_fts_insert AFTER INSERT ON kb_articles BEGIN
    INSERT INTO kb_articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER kb_articles_fts_update AFTER UPDATE OF title, body ON kb_articles BEGIN
    INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO kb_articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER kb_articles_fts_delete AFTER DELETE ON kb_articles BEGIN
    INSERT INTO kb_articles_fts (kb_articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
