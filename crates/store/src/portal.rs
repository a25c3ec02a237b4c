//! The customer portal: single-use sign-in links, signed-in customers'
//! sessions, and what a customer may see. A customer sees their own cases
//! and, when their organisation shares cases, its members' cases; their own
//! agreements and their organisation's; never internal notes. Every read
//! here is scoped by the customer, so a case or agreement outside that
//! scope is simply not found.

use crate::cursor::{self, Cursor};
use crate::model::{Agreement, Case, ContactPoint, Page};
use crate::rows::{self, AGREEMENT_COLUMNS, CASE_COLUMNS, get};
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, StoreError, now};
use jiff::Timestamp;
use sqlx::AssertSqlSafe;
use tend_domain::email::EmailAddress;
use tend_domain::ids::{AgreementId, CaseId, CustomerId};

/// Customers whose cases customer `$1` may see besides their own: the
/// other members of their organisation, when it shares cases.
const COLLEAGUES_SHARING: &str = "SELECT other.id FROM customers me \
     JOIN organizations o ON o.id = me.organization_id AND o.share_cases = 1 \
     JOIN customers other ON other.organization_id = o.id \
     WHERE me.id = $1 AND other.id <> $1";

/// Agreements held by customer `$1` or by their organisation `$2`.
const HELD_BY: &str = "(customer_id = $1 OR organization_id = $2)";

/// A signed-in customer's session.
#[derive(Debug, Clone)]
pub struct PortalSession {
    pub customer_id: CustomerId,
    pub customer_name: String,
    /// The token every form of this session must carry.
    pub csrf_token: String,
}

impl Store {
    /// Stores a sign-in link (by its hash) for the customer with `email`,
    /// valid until `expires_at`. `None`, storing nothing, when no customer
    /// has that address; the caller must not tell the difference to the
    /// person asking.
    pub async fn create_portal_link(
        &self,
        email: &EmailAddress,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> Result<Option<CustomerId>> {
        let contact = ContactPoint::email(email);
        let Some(row) =
            sqlx::query("SELECT customer_id FROM contact_points WHERE kind = $1 AND value = $2")
                .bind(contact.kind.as_str())
                .bind(contact.value.as_str())
                .fetch_optional(&self.reader)
                .await?
        else {
            return Ok(None);
        };
        let customer = CustomerId(get(&row, "customer_id")?);
        let at = micros(now());
        let values = args![token_hash, customer.0, at, micros(expires_at)];
        self.write(move |tx| {
            Box::pin(async move {
                // Links that ran out go whenever a new one is made.
                tx.execute(
                    "INSERT INTO portal_links (token_hash, customer_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                    values,
                )
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(Some(customer))
    }

    /// Uses up the sign-in link with this hash: answers its customer once,
    /// while it is unexpired, and `None` ever after. Following the link
    /// proves control of the address, so an unverified customer becomes
    /// email-verified.
    pub async fn use_portal_link(&self, token_hash: &str) -> Result<Option<CustomerId>> {
        let token_hash = token_hash.to_owned();
        self.write(move |tx| {
            Box::pin(async move {
                let at = micros(now());
                let Some(row) = tx
                    .fetch_optional(
                        "UPDATE portal_links SET used_at = $1 \
                         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                         RETURNING customer_id",
                        args![at, token_hash],
                    )
                    .await?
                else {
                    return Ok(None);
                };
                let customer = row.int("customer_id")?;
                tx.execute(
                    "UPDATE customers SET verification_level = 'email_verified', \
                     verification_method = 'portal sign-in link', updated_at = $1 \
                     WHERE id = $2 AND verification_level = 'unverified'",
                    args![at, customer],
                )
                .await?;
                Ok(Some(CustomerId(customer)))
            })
        })
        .await
    }

    /// Stores a customer's new session.
    pub async fn create_portal_session(
        &self,
        id_hash: &str,
        customer: CustomerId,
        csrf_token: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        let at = micros(now());
        let values = args![id_hash, customer.0, csrf_token, at, micros(expires_at)];
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO portal_sessions (id_hash, customer_id, csrf_token, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                    values,
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The unexpired customer session with this id hash, if any.
    pub async fn portal_session(&self, id_hash: &str) -> Result<Option<PortalSession>> {
        let row = sqlx::query(
            "SELECT c.id, c.name, s.csrf_token FROM portal_sessions s \
             JOIN customers c ON c.id = s.customer_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2",
        )
        .bind(id_hash)
        .bind(micros(now()))
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(PortalSession {
                customer_id: CustomerId(get(&r, "id")?),
                customer_name: get(&r, "name")?,
                csrf_token: get(&r, "csrf_token")?,
            })
        })
        .transpose()
    }

    /// Ends a customer's session (sign-out).
    pub async fn delete_portal_session(&self, id_hash: &str) -> Result<()> {
        self.execute_write(
            "DELETE FROM portal_sessions WHERE id_hash = $1",
            args![id_hash],
        )
        .await
        .map(|_| ())
    }

    /// The customers whose cases `customer` may see: themselves and, when
    /// their organisation shares cases, its other members.
    async fn visible_customers(&self, customer: CustomerId) -> Result<Vec<i64>> {
        let rows = sqlx::query(COLLEAGUES_SHARING)
            .bind(customer.0)
            .fetch_all(&self.reader)
            .await?;
        let mut ids = vec![customer.0];
        for row in &rows {
            ids.push(get(row, "id")?);
        }
        Ok(ids)
    }

    /// The cases `customer` may see, most recently updated first, a page at
    /// a time. (The customers are listed first, so each backend can read
    /// their cases by the customer index.)
    pub async fn portal_cases(
        &self,
        customer: CustomerId,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Case>> {
        let customers = self.visible_customers(customer).await?;
        let mut sql = crate::sql::Sql::new(format!("SELECT {CASE_COLUMNS} FROM cases"));
        sql.and()
            .push("customer_id IN ")
            .id_list(&customers)
            .after("updated_at", after, true)
            .order_limit("updated_at", true, limit);
        let rows = sql.query().fetch_all(&self.reader).await?;
        let items = rows.iter().map(rows::case).collect::<Result<Vec<_>>>()?;
        Ok(cursor::page(items, limit, |c| Cursor {
            key: micros(c.updated_at),
            id: c.id.0,
        }))
    }

    /// Case `id` if `customer` may see it; not found otherwise.
    pub async fn portal_case(&self, customer: CustomerId, id: CaseId) -> Result<Case> {
        let case = self.case(id).await?;
        if case.customer_id == customer
            || self
                .visible_customers(customer)
                .await?
                .contains(&case.customer_id.0)
        {
            Ok(case)
        } else {
            Err(StoreError::NotFound("case"))
        }
    }

    /// The organisation `customer` belongs to, if any.
    async fn organization_of(&self, customer: CustomerId) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT organization_id FROM customers WHERE id = $1")
            .bind(customer.0)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row
            .map(|r| get::<Option<i64>>(&r, "organization_id"))
            .transpose()?
            .flatten())
    }

    /// The agreements `customer` may see, by name: their own and their
    /// organisation's.
    pub async fn portal_agreements(&self, customer: CustomerId) -> Result<Vec<Agreement>> {
        let organization = self.organization_of(customer).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE {HELD_BY} ORDER BY name, id LIMIT 500"
        )))
        .bind(customer.0)
        .bind(organization)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(rows::agreement).collect()
    }

    /// Agreement `id` if `customer` may see it; not found otherwise.
    pub async fn portal_agreement(
        &self,
        customer: CustomerId,
        id: AgreementId,
    ) -> Result<Agreement> {
        let organization = self.organization_of(customer).await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE {HELD_BY} AND id = $3"
        )))
        .bind(customer.0)
        .bind(organization)
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("agreement"))?;
        rows::agreement(&row)
    }
}
