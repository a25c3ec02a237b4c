//! Organisations.

use crate::cursor::{self, Cursor};
use crate::idempotency::IdempotencyKey;
use crate::model::{Organization, Page};
use crate::rows::{self, ORGANIZATION_COLUMNS, get};
use crate::sql::Sql;
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, StoreError, now};
use sqlx::AssertSqlSafe;
use std::collections::HashMap;
use tend_domain::ids::OrganizationId;

/// A new organisation, or the fields of one being edited.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFields {
    pub name: Option<String>,
    /// `Some(None)` clears the domain.
    pub domain: Option<Option<String>>,
    pub share_cases: Option<bool>,
}

impl Store {
    /// Creates an organisation (`fields.name` is required by the caller).
    pub async fn create_organization(
        &self,
        fields: &OrganizationFields,
        idem: Option<&IdempotencyKey>,
    ) -> Result<Organization> {
        let id = self
            .insert_returning_id(
                "INSERT INTO organizations (name, domain, share_cases, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
                args![
                    fields.name.as_deref().unwrap_or_default(),
                    fields.domain.clone().flatten(),
                    fields.share_cases.unwrap_or(false),
                    micros(now()),
                ],
                "organization",
                idem,
            )
            .await?;
        self.organization(OrganizationId(id)).await
    }

    /// One organisation.
    pub async fn organization(&self, id: OrganizationId) -> Result<Organization> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("organization"))?;
        rows::organization(&row)
    }

    /// Organisations by id, a page at a time; with `name`, only those whose
    /// name contains it, ignoring (ASCII) case.
    pub async fn organizations(
        &self,
        name: Option<&str>,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Organization>> {
        let mut sql = Sql::new(format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations"));
        if let Some(name) = name {
            sql.and().contains("name", name);
        }
        sql.after("id", after, false)
            .order_limit("id", false, limit);
        let rows = sql.query().fetch_all(&self.reader).await?;
        let items = rows
            .iter()
            .map(rows::organization)
            .collect::<Result<Vec<_>>>()?;
        Ok(cursor::page(items, limit, |o| Cursor {
            key: o.id.0,
            id: o.id.0,
        }))
    }

    /// The names of organisations `ids` (one page's worth), by id.
    pub async fn organization_names(
        &self,
        ids: &[OrganizationId],
    ) -> Result<HashMap<OrganizationId, String>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<i64> = ids.iter().map(|o| o.0).collect();
        let mut sql = Sql::new("SELECT id, name FROM organizations WHERE id IN ");
        sql.id_list(&ids);
        sql.query()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| Ok((OrganizationId(get(r, "id")?), get(r, "name")?)))
            .collect()
    }

    /// Changes the given fields.
    pub async fn update_organization(
        &self,
        id: OrganizationId,
        fields: &OrganizationFields,
    ) -> Result<Organization> {
        let current = self.organization(id).await?;
        self.execute_write(
            "UPDATE organizations SET name = $1, domain = $2, share_cases = $3, updated_at = $4 WHERE id = $5",
            args![
                fields.name.as_deref().unwrap_or(&current.name),
                fields.domain.clone().unwrap_or(current.domain),
                fields.share_cases.unwrap_or(current.share_cases),
                micros(now()),
                id.0,
            ],
        )
        .await?;
        self.organization(id).await
    }
}
