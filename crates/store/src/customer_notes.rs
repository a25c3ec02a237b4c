//! Notes agents keep about a customer (not about one case): plain text,
//! with who wrote it and when, shown newest first on the customer page.

use crate::customers::ensure_exists;
use crate::rows::{get, time};
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, now};
use jiff::Timestamp;
use serde::Serialize;
use tend_domain::ids::{AgentId, CustomerId};
use utoipa::ToSchema;

/// A note about a customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerNote {
    pub id: i64,
    pub customer_id: CustomerId,
    pub author_id: AgentId,
    /// The author's name as it is now.
    pub author_name: String,
    /// Plain text.
    pub body: String,
    pub created_at: Timestamp,
}

impl Store {
    /// Adds a note (its text already checked) about `customer`, who must
    /// exist and not be merged into another.
    pub async fn add_customer_note(
        &self,
        customer: CustomerId,
        author: AgentId,
        body: &str,
    ) -> Result<()> {
        let body = body.to_owned();
        self.write(move |tx| {
            Box::pin(async move {
                ensure_exists(tx, customer).await?;
                tx.execute(
                    "INSERT INTO customer_notes (customer_id, author_id, body, created_at) \
                     VALUES ($1, $2, $3, $4)",
                    args![customer.0, author.0, body, micros(now())],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The newest `limit` notes about `customer`, newest first.
    pub async fn customer_notes(
        &self,
        customer: CustomerId,
        limit: i64,
    ) -> Result<Vec<CustomerNote>> {
        let rows = sqlx::query(
            "SELECT n.id, n.customer_id, n.author_id, a.name AS author_name, n.body, n.created_at \
             FROM customer_notes n JOIN agents a ON a.id = n.author_id \
             WHERE n.customer_id = $1 ORDER BY n.id DESC LIMIT $2",
        )
        .bind(customer.0)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CustomerNote {
                    id: get(r, "id")?,
                    customer_id: CustomerId(get(r, "customer_id")?),
                    author_id: AgentId(get(r, "author_id")?),
                    author_name: get(r, "author_name")?,
                    body: get(r, "body")?,
                    created_at: time(r, "created_at")?,
                })
            })
            .collect()
    }
}
