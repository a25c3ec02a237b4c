//! The knowledge base: categories, Markdown articles and their counters
//! (helpful yes/no, times suggested, deflections). Full-text search over
//! title and body uses FTS5 with bm25 on SQLite and a tsvector with
//! ts_rank on PostgreSQL, as case search does.

use crate::rows::{get, parse_word, time};
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Dialect, Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use tend_domain::article_search::search_words;
use tend_domain::kb::{ArticleState, Visibility};
use utoipa::ToSchema;

/// A category articles are filed under.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Category {
    pub id: i64,
    pub name: String,
    /// Unique; the category's address on the help centre.
    pub slug: String,
}

/// A knowledge-base article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Article {
    pub id: i64,
    pub category_id: Option<i64>,
    pub title: String,
    /// Unique; the article's address on the help centre.
    pub slug: String,
    /// Markdown.
    pub body: String,
    pub visibility: Visibility,
    pub state: ArticleState,
    /// Readers who said it helped.
    pub helpful_yes: i64,
    /// Readers who said it did not.
    pub helpful_no: i64,
    /// Times it was suggested while someone typed.
    pub suggested: i64,
    /// Times a suggestion was opened and the form then left unsent.
    pub deflections: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Article {
    /// Whether anyone may read it: published and public.
    pub fn is_public(&self) -> bool {
        self.state == ArticleState::Published && self.visibility == Visibility::Public
    }
}

/// An article's checked fields, whole.
#[derive(Debug, Clone)]
pub struct ArticleFields {
    pub category_id: Option<i64>,
    pub title: String,
    pub slug: String,
    pub body: String,
    pub visibility: Visibility,
    pub state: ArticleState,
}

/// Which articles a listing or search may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Agents: everything.
    Agents,
    /// Anyone: published public articles only.
    Public,
}

impl Audience {
    /// The condition on `a` (kb_articles) it adds.
    fn filter(self) -> &'static str {
        match self {
            Audience::Agents => "",
            Audience::Public => " AND a.visibility = 'public' AND a.state = 'published'",
        }
    }
}

/// A reader's answer to "Did this help?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    Helpful,
    NotHelpful,
}

const COLUMNS: &str = "a.id, a.category_id, a.title, a.slug, a.body, a.visibility, a.state, \
                       a.helpful_yes, a.helpful_no, a.suggested, a.deflections, a.created_at, a.updated_at";

fn article(row: &AnyRow) -> Result<Article> {
    Ok(Article {
        id: get(row, "id")?,
        category_id: get(row, "category_id")?,
        title: get(row, "title")?,
        slug: get(row, "slug")?,
        body: get(row, "body")?,
        visibility: parse_word(
            "visibility",
            &get::<String>(row, "visibility")?,
            Visibility::parse,
        )?,
        state: parse_word("state", &get::<String>(row, "state")?, ArticleState::parse)?,
        helpful_yes: get(row, "helpful_yes")?,
        helpful_no: get(row, "helpful_no")?,
        suggested: get(row, "suggested")?,
        deflections: get(row, "deflections")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn category(row: &AnyRow) -> Result<Category> {
    Ok(Category {
        id: get(row, "id")?,
        name: get(row, "name")?,
        slug: get(row, "slug")?,
    })
}

/// Turns a broken unique column into a conflict naming the field.
fn taken(e: StoreError, field: &str, value: &str) -> StoreError {
    if e.is_unique_violation() {
        StoreError::Conflict {
            field: field.into(),
            message: format!("\u{201c}{value}\u{201d} is already used"),
            existing_id: None,
        }
    } else {
        e
    }
}

/// Fails unless `id` names a category.
async fn check_category(tx: &mut Tx, id: Option<i64>) -> Result<()> {
    let Some(id) = id else { return Ok(()) };
    tx.fetch_optional("SELECT id FROM kb_categories WHERE id = $1", args![id])
        .await?
        .map(|_| ())
        .ok_or_else(|| StoreError::Conflict {
            field: "category_id".into(),
            message: format!("there is no category {id}"),
            existing_id: None,
        })
}

impl Store {
    /// Every category, by name.
    pub async fn kb_categories(&self) -> Result<Vec<Category>> {
        let rows = sqlx::query("SELECT id, name, slug FROM kb_categories ORDER BY name, id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(category).collect()
    }

    /// The category with `slug`.
    pub async fn kb_category_by_slug(&self, slug: &str) -> Result<Category> {
        let row = sqlx::query("SELECT id, name, slug FROM kb_categories WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("category"))?;
        category(&row)
    }

    /// Creates a category from a checked name and slug.
    pub async fn create_kb_category(&self, name: &str, slug: &str) -> Result<i64> {
        let (name, slug) = (name.to_owned(), slug.to_owned());
        self.write(move |tx| {
            Box::pin(async move {
                let at = micros(now());
                let row = tx
                    .fetch_one(
                        "INSERT INTO kb_categories (name, slug, created_at, updated_at) \
                         VALUES ($1, $2, $3, $3) RETURNING id",
                        args![name.as_str(), slug.as_str(), at],
                    )
                    .await
                    .map_err(|e| taken(e, "name or slug", &format!("{name}/{slug}")))?;
                row.int("id")
            })
        })
        .await
    }

    /// Articles `audience` may see, newest change first; in one category
    /// when `category_id` is given.
    pub async fn kb_articles(
        &self,
        audience: Audience,
        category_id: Option<i64>,
    ) -> Result<Vec<Article>> {
        let filter = audience.filter();
        let in_category = if category_id.is_some() {
            " AND a.category_id = $1"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM kb_articles a WHERE 1 = 1{in_category}{filter} \
             ORDER BY a.updated_at DESC, a.id DESC"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(id) = category_id {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.reader).await?;
        rows.iter().map(article).collect()
    }

    /// One article by id.
    pub async fn kb_article(&self, id: i64) -> Result<Article> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM kb_articles a WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("article"))?;
        article(&row)
    }

    /// One article by slug, for `audience`: others are not found.
    pub async fn kb_article_by_slug(&self, slug: &str, audience: Audience) -> Result<Article> {
        let filter = audience.filter();
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM kb_articles a WHERE a.slug = $1{filter}"
        )))
        .bind(slug)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("article"))?;
        article(&row)
    }

    /// The `limit` articles `audience` may see that best match the words
    /// of `raw`: any of its words (see [`search_words`]), those matching
    /// the most words first, then by relevance (FTS5's bm25 with titles
    /// weighing more; the rank of the OR query on PostgreSQL). None when
    /// `raw` has no words worth looking for.
    pub async fn search_kb(
        &self,
        raw: &str,
        audience: Audience,
        limit: i64,
    ) -> Result<Vec<Article>> {
        let words = search_words(raw);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let filter = audience.filter();
        // `$3`, `$4`… are the words one by one, to count the matching ones.
        // The words are letters and digits only, so neither dialect can
        // read them as syntax.
        let placeholders = (3..3 + words.len()).map(|n| format!("${n}"));
        let (any, sql) = match self.dialect {
            Dialect::Sqlite => {
                let matched = placeholders
                    .map(|p| {
                        format!("(a.id IN (SELECT rowid FROM kb_articles_fts WHERE kb_articles_fts MATCH {p}))")
                    })
                    .collect::<Vec<_>>()
                    .join(" + ");
                (
                    quoted(&words).join(" OR "),
                    format!(
                        "SELECT {COLUMNS} FROM kb_articles_fts f JOIN kb_articles a ON a.id = f.rowid \
                         WHERE kb_articles_fts MATCH $1{filter} \
                         ORDER BY {matched} DESC, bm25(kb_articles_fts, 3.0, 1.0), a.id LIMIT $2"
                    ),
                )
            }
            Dialect::Postgres => {
                let matched = placeholders
                    .map(|p| format!("(a.search_vector @@ to_tsquery('english', {p}))::int"))
                    .collect::<Vec<_>>()
                    .join(" + ");
                (
                    words.join(" | "),
                    format!(
                        "SELECT {COLUMNS} FROM kb_articles a, to_tsquery('english', $1) q \
                         WHERE a.search_vector @@ q{filter} \
                         ORDER BY {matched} DESC, ts_rank(a.search_vector, q) DESC, a.id LIMIT $2"
                    ),
                )
            }
        };
        let each = match self.dialect {
            Dialect::Sqlite => quoted(&words),
            Dialect::Postgres => words,
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .persistent(false)
            .bind(any)
            .bind(limit);
        for word in each {
            query = query.bind(word);
        }
        let rows = query.fetch_all(&self.reader).await?;
        rows.iter().map(article).collect()
    }

    /// Creates an article from checked fields.
    pub async fn create_kb_article(&self, fields: &ArticleFields) -> Result<Article> {
        let f = fields.clone();
        let id = self
            .write(move |tx| {
                Box::pin(async move {
                    check_category(tx, f.category_id).await?;
                    let at = micros(now());
                    let row = tx
                        .fetch_one(
                            "INSERT INTO kb_articles (category_id, title, slug, body, visibility, state, \
                             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                            args![
                                f.category_id,
                                f.title,
                                f.slug.as_str(),
                                f.body,
                                f.visibility.as_str(),
                                f.state.as_str(),
                                at
                            ],
                        )
                        .await
                        .map_err(|e| taken(e, "slug", &f.slug))?;
                    row.int("id")
                })
            })
            .await?;
        self.kb_article(id).await
    }

    /// Replaces an article's fields.
    pub async fn update_kb_article(&self, id: i64, fields: &ArticleFields) -> Result<Article> {
        let f = fields.clone();
        let changed = self
            .write(move |tx| {
                Box::pin(async move {
                    check_category(tx, f.category_id).await?;
                    tx.execute(
                        "UPDATE kb_articles SET category_id = $1, title = $2, slug = $3, body = $4, \
                         visibility = $5, state = $6, updated_at = $7 WHERE id = $8",
                        args![
                            f.category_id,
                            f.title,
                            f.slug.as_str(),
                            f.body,
                            f.visibility.as_str(),
                            f.state.as_str(),
                            micros(now()),
                            id
                        ],
                    )
                    .await
                    .map_err(|e| taken(e, "slug", &f.slug))
                })
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound("article"));
        }
        self.kb_article(id).await
    }

    /// Counts a reader's answer on a public article.
    pub async fn record_kb_feedback(&self, id: i64, feedback: Feedback) -> Result<()> {
        let column = match feedback {
            Feedback::Helpful => "helpful_yes",
            Feedback::NotHelpful => "helpful_no",
        };
        self.bump_public(id, column).await
    }

    /// Counts a deflection: a suggested public article was opened and the
    /// form it was suggested for was left unsent.
    pub async fn record_kb_deflection(&self, id: i64) -> Result<()> {
        self.bump_public(id, "deflections").await
    }

    /// Counts one more suggestion of each of `ids`.
    pub async fn record_kb_suggested(&self, ids: &[i64]) -> Result<()> {
        let ids = ids.to_vec();
        self.write(move |tx| {
            Box::pin(async move {
                for id in ids {
                    tx.execute(
                        "UPDATE kb_articles SET suggested = suggested + 1 WHERE id = $1",
                        args![id],
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Adds one to `column` of a published public article.
    async fn bump_public(&self, id: i64, column: &'static str) -> Result<()> {
        let changed = self
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        &format!(
                            "UPDATE kb_articles SET {column} = {column} + 1 WHERE id = $1 \
                             AND visibility = 'public' AND state = 'published'"
                        ),
                        args![id],
                    )
                    .await
                })
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound("article"));
        }
        Ok(())
    }
}

/// Words as FTS5 strings (each a phrase of one word, never an operator).
fn quoted(words: &[String]) -> Vec<String> {
    words.iter().map(|w| format!("\"{w}\"")).collect()
}
