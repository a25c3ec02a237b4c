//! Canned replies: titled texts agents insert into replies. Titles are
//! unique; placeholders in the body are expanded by the domain, not here.

use crate::rows::{get, time};
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

/// A canned reply.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CannedReply {
    pub id: i64,
    /// Unique, shown in the picker.
    pub title: String,
    /// Plain text; `{{customer.name}}`, `{{customer.first_name}}`,
    /// `{{case.reference}}`, `{{case.subject}}` and `{{agent.name}}` are
    /// filled in when it is inserted into a reply.
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Fields to change on a canned reply; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct CannedChange {
    pub title: Option<String>,
    pub body: Option<String>,
}

const COLUMNS: &str = "id, title, body, created_at, updated_at";

fn canned(row: &AnyRow) -> Result<CannedReply> {
    Ok(CannedReply {
        id: get(row, "id")?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// Turns a broken unique title into a conflict naming the field.
fn title_taken(e: StoreError, title: &str) -> StoreError {
    if e.is_unique_violation() {
        StoreError::Conflict {
            field: "title".into(),
            message: format!("a canned reply titled \u{201c}{title}\u{201d} already exists"),
            existing_id: None,
        }
    } else {
        e
    }
}

impl Store {
    /// Every canned reply, by title.
    pub async fn canned_replies(&self) -> Result<Vec<CannedReply>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM canned_replies ORDER BY title, id"
        )))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(canned).collect()
    }

    /// One canned reply.
    pub async fn canned_reply(&self, id: i64) -> Result<CannedReply> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM canned_replies WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("canned reply"))?;
        canned(&row)
    }

    /// Creates a canned reply from a checked title and body.
    pub async fn create_canned_reply(&self, title: &str, body: &str) -> Result<CannedReply> {
        let (title, body) = (title.to_owned(), body.to_owned());
        let id = self
            .write(move |tx| {
                Box::pin(async move {
                    let at = micros(now());
                    let row = tx
                        .fetch_one(
                            "INSERT INTO canned_replies (title, body, created_at, updated_at) \
                             VALUES ($1, $2, $3, $3) RETURNING id",
                            args![title.as_str(), body, at],
                        )
                        .await
                        .map_err(|e| title_taken(e, &title))?;
                    row.int("id")
                })
            })
            .await?;
        self.canned_reply(id).await
    }

    /// Changes a canned reply's title or body.
    pub async fn update_canned_reply(&self, id: i64, change: &CannedChange) -> Result<CannedReply> {
        let change = change.clone();
        self.write(move |tx| Box::pin(update(tx, id, change)))
            .await?;
        self.canned_reply(id).await
    }

    /// Deletes a canned reply.
    pub async fn delete_canned_reply(&self, id: i64) -> Result<()> {
        let deleted = self
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute("DELETE FROM canned_replies WHERE id = $1", args![id])
                        .await
                })
            })
            .await?;
        if deleted == 0 {
            return Err(StoreError::NotFound("canned reply"));
        }
        Ok(())
    }
}

async fn update(tx: &mut Tx, id: i64, change: CannedChange) -> Result<()> {
    let current = tx
        .fetch_optional(
            "SELECT title, body FROM canned_replies WHERE id = $1",
            args![id],
        )
        .await?
        .ok_or(StoreError::NotFound("canned reply"))?;
    let title = match change.title {
        Some(title) => title,
        None => current.text("title")?,
    };
    let body = match change.body {
        Some(body) => body,
        None => current.text("body")?,
    };
    tx.execute(
        "UPDATE canned_replies SET title = $1, body = $2, updated_at = $3 WHERE id = $4",
        args![title.as_str(), body, micros(now()), id],
    )
    .await
    .map_err(|e| title_taken(e, &title))?;
    Ok(())
}
