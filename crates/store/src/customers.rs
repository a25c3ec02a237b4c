//! Customers and their contact points. A contact point (email or phone)
//! belongs to exactly one customer, so one person is one customer record
//! whichever way they get in touch.

use crate::cursor::{self, Cursor};
use crate::idempotency::{self, IdempotencyKey};
use crate::model::{ContactPoint, Customer, Page};
use crate::rows::{self, CUSTOMER_COLUMNS, get, word};
use crate::sql::Sql;
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError, now};
use sqlx::AssertSqlSafe;
use std::collections::HashMap;
use tend_domain::Invalid;
use tend_domain::customer::{ContactKind, VerificationLevel};
use tend_domain::email::EmailAddress;
use tend_domain::ids::{CustomerId, OrganizationId};

/// A new customer.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub name: String,
    pub organization_id: Option<OrganizationId>,
    /// Normalised contact points; at least one.
    pub contact_points: Vec<ContactPoint>,
}

/// Edits to a customer; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct CustomerChange {
    pub name: Option<String>,
    pub organization_id: Option<Option<OrganizationId>>,
    pub add_contact_points: Vec<ContactPoint>,
    /// Contact points to take off the customer; each must be theirs, and
    /// at least one must remain.
    pub remove_contact_points: Vec<ContactPoint>,
    /// The language they write in (a checked code; `Some(None)`: unknown).
    pub language: Option<Option<String>>,
}

/// Filters for listing customers.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub organization_id: Option<OrganizationId>,
    /// Exact contact point value (email or phone, normalised).
    pub contact: Option<String>,
    /// Customers whose name or one of whose contact points contains this
    /// text, ignoring (ASCII) case, or who (or whose organisation) hold an
    /// agreement whose reference contains it.
    pub text: Option<String>,
}

impl Store {
    /// Creates a customer with its contact points.
    pub async fn create_customer(
        &self,
        new: &NewCustomer,
        idem: Option<&IdempotencyKey>,
    ) -> Result<Customer> {
        if let Some(org) = new.organization_id {
            self.check_organization(org).await?;
        }
        let (new, idem) = (new.clone(), idem.cloned());
        let id = self
            .write(move |conn| {
                Box::pin(async move {
                    let id = insert_customer(conn, &new).await?;
                    idempotency::record(conn, idem.as_ref(), "customer", id.0).await?;
                    Ok(id)
                })
            })
            .await?;
        self.customer(id).await
    }

    /// One customer with contact points.
    pub async fn customer(&self, id: CustomerId) -> Result<Customer> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("customer"))?;
        let mut customer = rows::customer(&row)?;
        customer.contact_points = self
            .contact_points_of(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        Ok(customer)
    }

    /// Contact points of several customers in one query.
    async fn contact_points_of(
        &self,
        ids: &[CustomerId],
    ) -> Result<HashMap<CustomerId, Vec<ContactPoint>>> {
        let mut by_customer: HashMap<CustomerId, Vec<ContactPoint>> = HashMap::new();
        if ids.is_empty() {
            return Ok(by_customer);
        }
        let ids: Vec<i64> = ids.iter().map(|c| c.0).collect();
        let mut sql =
            Sql::new("SELECT customer_id, kind, value FROM contact_points WHERE customer_id IN ");
        sql.id_list(&ids).push(" ORDER BY id");
        for r in sql.query().fetch_all(&self.reader).await? {
            by_customer
                .entry(CustomerId(get(&r, "customer_id")?))
                .or_default()
                .push(ContactPoint {
                    kind: word(&r, "kind", ContactKind::parse)?,
                    value: get(&r, "value")?,
                });
        }
        Ok(by_customer)
    }

    /// Customers by id, a page at a time.
    pub async fn customers(
        &self,
        filter: &CustomerFilter,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<Customer>> {
        let columns = CUSTOMER_COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = Sql::new(format!("SELECT {columns} FROM customers c"));
        if let Some(contact) = &filter.contact {
            sql.and()
                .push("c.id IN (SELECT customer_id FROM contact_points WHERE value = ")
                .arg(contact.as_str())
                .push(")");
        }
        if let Some(text) = &filter.text {
            sql.and()
                .push("(")
                .contains("c.name", text)
                .push(" OR c.id IN (SELECT customer_id FROM contact_points WHERE ")
                .contains("value", text)
                .push(") OR c.id IN (SELECT customer_id FROM agreements WHERE ")
                .contains("COALESCE(reference, '')", text)
                .push(") OR c.organization_id IN (SELECT organization_id FROM agreements WHERE ")
                .contains("COALESCE(reference, '')", text)
                .push("))");
        }
        // A merged duplicate lives on only as a pointer to its survivor.
        sql.and().push("c.merged_into_id IS NULL");
        sql.eq("c.organization_id", filter.organization_id.map(|o| o.0));
        sql.after("c.id", after, false)
            .order_limit("c.id", false, limit);
        let rows = sql.query().fetch_all(&self.reader).await?;
        let mut items = rows
            .iter()
            .map(rows::customer)
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<CustomerId> = items.iter().map(|c| c.id).collect();
        let mut points = self.contact_points_of(&ids).await?;
        for c in &mut items {
            c.contact_points = points.remove(&c.id).unwrap_or_default();
        }
        Ok(cursor::page(items, limit, |c| Cursor {
            key: c.id.0,
            id: c.id.0,
        }))
    }

    /// Applies `change` to a customer. Refused, with nothing changed, for a
    /// merged customer, for removing a contact point that is not theirs or
    /// the last one, and for adding one another customer owns (a conflict
    /// naming that customer: they may be the same person, to merge).
    pub async fn update_customer(
        &self,
        id: CustomerId,
        change: &CustomerChange,
    ) -> Result<Customer> {
        let current = self.customer(id).await?;
        refuse_merged(&current)?;
        if let Some(Some(org)) = change.organization_id {
            self.check_organization(org).await?;
        }
        if let Some(stranger) = change
            .remove_contact_points
            .iter()
            .find(|cp| !current.contact_points.contains(cp))
        {
            return Err(Invalid::new(
                "remove_contact_points",
                format!(
                    "{} {} is not a contact point of this customer",
                    stranger.kind, stranger.value
                ),
            )
            .into());
        }
        let name = change.name.clone().unwrap_or(current.name);
        let organization_id = change.organization_id.unwrap_or(current.organization_id);
        let language = change.language.clone().unwrap_or(current.language);
        let added: Vec<ContactPoint> = change
            .add_contact_points
            .iter()
            .filter(|cp| !current.contact_points.contains(cp))
            .cloned()
            .collect();
        let removed = change.remove_contact_points.clone();
        self.write(move |conn| {
            Box::pin(async move {
                conn.execute(
                    "UPDATE customers SET name = $1, organization_id = $2, updated_at = $3, \
                     language = $5 WHERE id = $4",
                    args![name, organization_id.map(|o| o.0), micros(now()), id.0, language],
                )
                .await?;
                for cp in &removed {
                    conn.execute(
                        "DELETE FROM contact_points WHERE customer_id = $1 AND kind = $2 AND value = $3",
                        args![id.0, cp.kind.as_str(), &cp.value],
                    )
                    .await?;
                }
                for cp in &added {
                    add_contact_point(conn, id, cp).await?;
                }
                let left = conn
                    .fetch_one(
                        "SELECT COUNT(*) AS n FROM contact_points WHERE customer_id = $1",
                        args![id.0],
                    )
                    .await?
                    .int("n")?;
                if left == 0 {
                    return Err(Invalid::new(
                        "remove_contact_points",
                        "a customer keeps at least one email address or phone number",
                    )
                    .into());
                }
                Ok(())
            })
        })
        .await?;
        self.customer(id).await
    }

    /// The customer owning a contact point, if any.
    pub async fn customer_id_by_contact(
        &self,
        kind: ContactKind,
        value: &str,
    ) -> Result<Option<CustomerId>> {
        let row =
            sqlx::query("SELECT customer_id FROM contact_points WHERE kind = $1 AND value = $2")
                .bind(kind.as_str())
                .bind(value)
                .fetch_optional(&self.reader)
                .await?;
        row.map(|r| get(&r, "customer_id").map(CustomerId))
            .transpose()
    }

    async fn check_organization(&self, id: OrganizationId) -> Result<()> {
        match self.organization(id).await {
            Err(StoreError::NotFound(_)) => {
                Err(Invalid::new("organization_id", format!("no organization with id {id}")).into())
            }
            other => other.map(|_| ()),
        }
    }
}

/// Inserts a customer with its contact points.
async fn insert_customer(tx: &mut Tx, new: &NewCustomer) -> Result<CustomerId> {
    let row = tx
        .fetch_one(
            "INSERT INTO customers (name, organization_id, verification_level, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
            args![
                &new.name,
                new.organization_id.map(|o| o.0),
                VerificationLevel::Unverified.as_str(),
                micros(now()),
            ],
        )
        .await?;
    let id = CustomerId(row.int("id")?);
    for cp in &new.contact_points {
        add_contact_point(tx, id, cp).await?;
    }
    Ok(id)
}

/// The customer with this email address, created (named `name`, or after the
/// address) when there is none.
pub(crate) async fn find_or_create_by_email(
    tx: &mut Tx,
    address: &EmailAddress,
    name: Option<&str>,
) -> Result<CustomerId> {
    let contact = ContactPoint::email(address);
    if let Some(row) = tx
        .fetch_optional(
            "SELECT customer_id FROM contact_points WHERE kind = $1 AND value = $2",
            args![contact.kind.as_str(), &contact.value],
        )
        .await?
    {
        return Ok(CustomerId(row.int("customer_id")?));
    }
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(address.as_str());
    let new = NewCustomer {
        name: name.chars().take(200).collect(),
        organization_id: None,
        contact_points: vec![contact],
    };
    insert_customer(tx, &new).await
}

/// Fails with an error naming `customer_id` unless the customer exists
/// and was not merged into another.
pub(crate) async fn ensure_exists(tx: &mut Tx, id: CustomerId) -> Result<()> {
    let row = tx
        .fetch_optional(
            "SELECT merged_into_id FROM customers WHERE id = $1",
            args![id.0],
        )
        .await?
        .ok_or_else(|| no_such_customer(id))?;
    match row.opt_int("merged_into_id")? {
        None => Ok(()),
        Some(into) => Err(Invalid::new(
            "customer_id",
            format!("customer {id} was merged into customer {into}; use {into}"),
        )
        .into()),
    }
}

/// Refuses a change to a customer merged into another.
pub(crate) fn refuse_merged(customer: &Customer) -> Result<()> {
    match customer.merged_into_id {
        None => Ok(()),
        Some(into) => Err(StoreError::State(format!(
            "customer {} was merged into customer {into}; change that one",
            customer.id
        ))),
    }
}

/// The error for a new case naming a customer that does not exist.
pub(crate) fn no_such_customer(id: CustomerId) -> StoreError {
    Invalid::new("customer_id", format!("no customer with id {id}")).into()
}

/// Sets a customer's verification level inside a case transaction.
pub(crate) async fn set_verification(
    tx: &mut Tx,
    id: CustomerId,
    level: VerificationLevel,
    method: &str,
    at: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE customers SET verification_level = $1, verification_method = $2, updated_at = $3 WHERE id = $4",
        args![level.as_str(), method, at, id.0],
    )
    .await?;
    Ok(())
}

/// Whether the customer's identity is verified, read in the transaction.
pub(crate) async fn is_verified(tx: &mut Tx, id: CustomerId) -> Result<bool> {
    let row = tx
        .fetch_optional(
            "SELECT verification_level FROM customers WHERE id = $1",
            args![id.0],
        )
        .await?
        .ok_or_else(|| no_such_customer(id))?;
    Ok(row.text("verification_level")? != VerificationLevel::Unverified.as_str())
}

async fn add_contact_point(tx: &mut Tx, id: CustomerId, cp: &ContactPoint) -> Result<()> {
    // Look first: on PostgreSQL a failed INSERT would abort the transaction.
    let owner = tx
        .fetch_optional(
            "SELECT customer_id FROM contact_points WHERE kind = $1 AND value = $2",
            args![cp.kind.as_str(), &cp.value],
        )
        .await?
        .map(|r| r.int("customer_id"))
        .transpose()?;
    let conflict = |existing_id: Option<i64>| StoreError::Conflict {
        field: cp.kind.as_str().into(),
        message: match existing_id {
            Some(other) => format!(
                "{} {} already belongs to customer {other}; if they are the same person, merge the two customers",
                cp.kind, cp.value
            ),
            None => format!(
                "{} {} already belongs to another customer",
                cp.kind, cp.value
            ),
        },
        existing_id,
    };
    if owner.is_some() {
        return Err(conflict(owner));
    }
    let inserted = tx
        .execute(
            "INSERT INTO contact_points (customer_id, kind, value, created_at) VALUES ($1, $2, $3, $4)",
            args![id.0, cp.kind.as_str(), &cp.value, micros(now())],
        )
        .await;
    match inserted {
        Err(e) if e.is_unique_violation() => Err(conflict(None)),
        other => other.map(|_| ()),
    }
}
