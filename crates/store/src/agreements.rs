//! Agreements: plans, contracts and subscriptions held by a customer or an
//! organisation.

use crate::cursor::{self, Cursor};
use crate::idempotency::IdempotencyKey;
use crate::model::{Agreement, Page};
use crate::rows::{self, AGREEMENT_COLUMNS};
use crate::sql::Sql;
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, StoreError, now};
use sqlx::AssertSqlSafe;
use tend_domain::Invalid;
use tend_domain::customer::AgreementStatus;
use tend_domain::ids::{AgreementId, CustomerId, OrganizationId};

/// Who holds an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Customer(CustomerId),
    Organization(OrganizationId),
}

/// A new agreement.
#[derive(Debug, Clone)]
pub struct NewAgreement {
    pub holder: Holder,
    pub name: String,
    pub reference: Option<String>,
    pub status: AgreementStatus,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub terms: Option<String>,
}

/// Edits to an agreement; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AgreementChange {
    pub name: Option<String>,
    pub reference: Option<Option<String>>,
    pub status: Option<AgreementStatus>,
    pub starts_on: Option<Option<String>>,
    pub ends_on: Option<Option<String>>,
    pub terms: Option<Option<String>>,
}

/// Filters for listing agreements.
#[derive(Debug, Clone, Default)]
pub struct AgreementFilter {
    pub customer_id: Option<CustomerId>,
    pub organization_id: Option<OrganizationId>,
    /// Agreements whose name or reference contains this text, ignoring
    /// (ASCII) case.
    pub text: Option<String>,
}

impl Store {
    /// Creates an agreement for an existing customer or organisation.
    pub async fn create_agreement(
        &self,
        new: &NewAgreement,
        idem: Option<&IdempotencyKey>,
    ) -> Result<Agreement> {
        let (customer, org) = match new.holder {
            Holder::Customer(c) => {
                self.customer(c)
                    .await
                    .map_err(|_| Invalid::new("customer_id", format!("no customer with id {c}")))?;
                (Some(c.0), None)
            }
            Holder::Organization(o) => {
                self.organization(o).await.map_err(|_| {
                    Invalid::new("organization_id", format!("no organization with id {o}"))
                })?;
                (None, Some(o.0))
            }
        };
        let id = self
            .insert_returning_id(
                "INSERT INTO agreements (customer_id, organization_id, name, reference, status, starts_on, ends_on, \
                 terms, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                args![
                    customer,
                    org,
                    &new.name,
                    new.reference.as_deref(),
                    new.status.as_str(),
                    new.starts_on.as_deref(),
                    new.ends_on.as_deref(),
                    new.terms.as_deref(),
                    micros(now()),
                ],
                "agreement",
                idem,
            )
            .await?;
        self.agreement(AgreementId(id)).await
    }

    /// One agreement.
    pub async fn agreement(&self, id: AgreementId) -> Result<Agreement> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("agreement"))?;
        rows::agreement(&row)
    }

    /// Agreements by id, a page at a time.
    pub async fn agreements(
        &self,
        filter: &AgreementFilter,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Agreement>> {
        let mut sql = Sql::new(format!("SELECT {AGREEMENT_COLUMNS} FROM agreements"));
        if let Some(text) = &filter.text {
            sql.and()
                .push("(")
                .contains("name", text)
                .push(" OR ")
                .contains("COALESCE(reference, '')", text)
                .push(")");
        }
        sql.eq("customer_id", filter.customer_id.map(|c| c.0))
            .eq("organization_id", filter.organization_id.map(|o| o.0))
            .after("id", after, false)
            .order_limit("id", false, limit);
        let rows = sql.query().fetch_all(&self.reader).await?;
        let items = rows
            .iter()
            .map(rows::agreement)
            .collect::<Result<Vec<_>>>()?;
        Ok(cursor::page(items, limit, |a| Cursor {
            key: a.id.0,
            id: a.id.0,
        }))
    }

    /// Applies `change` to an agreement.
    pub async fn update_agreement(
        &self,
        id: AgreementId,
        change: &AgreementChange,
    ) -> Result<Agreement> {
        let cur = self.agreement(id).await?;
        self.execute_write(
            "UPDATE agreements SET name = $1, reference = $2, status = $3, starts_on = $4, ends_on = $5, terms = $6, \
             updated_at = $7 WHERE id = $8",
            args![
                change.name.as_deref().unwrap_or(&cur.name),
                change.reference.clone().unwrap_or(cur.reference),
                change.status.unwrap_or(cur.status).as_str(),
                change.starts_on.clone().unwrap_or(cur.starts_on),
                change.ends_on.clone().unwrap_or(cur.ends_on),
                change.terms.clone().unwrap_or(cur.terms),
                micros(now()),
                id.0,
            ],
        )
        .await?;
        self.agreement(id).await
    }
}
