//! Customers: one person, every contact point.

use super::extract::{Id, IdempotencyHeader, Json, Params, Principal};
use super::idempotency::Create;
use super::{PageParams, nullable};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::customer::{ContactKind, normalize_phone};
use tend_domain::email::EmailAddress;
use tend_domain::ids::{CustomerId, OrganizationId};
use tend_domain::{Invalid, text};
use tend_store::customers::{CustomerChange, CustomerFilter, NewCustomer};
use tend_store::merge_customers::CustomerMerge;
use tend_store::model::{ContactPoint, Customer, Page};
use utoipa::{IntoParams, ToSchema};

/// A new customer. Give at least one email address or phone number.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    name: String,
    /// Primary email address.
    email: Option<String>,
    /// Primary phone number.
    phone: Option<String>,
    /// Further email addresses.
    #[serde(default)]
    emails: Vec<String>,
    /// Further phone numbers.
    #[serde(default)]
    phones: Vec<String>,
    organization_id: Option<OrganizationId>,
}

/// Changes to a customer; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    name: Option<String>,
    /// Null removes the customer from their organisation.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    organization_id: Option<Option<OrganizationId>>,
    /// Email addresses to add.
    #[serde(default)]
    add_emails: Vec<String>,
    /// Phone numbers to add.
    #[serde(default)]
    add_phones: Vec<String>,
    /// Email addresses to take off the customer (each must be theirs).
    #[serde(default)]
    remove_emails: Vec<String>,
    /// Phone numbers to take off the customer (each must be theirs). A
    /// change that would leave no contact point is refused.
    #[serde(default)]
    remove_phones: Vec<String>,
    /// The language the customer writes in: two or three letters (`en`,
    /// `de`); null: unknown. Teams that match skills route the customer's
    /// cases to agents who list it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    language: Option<Option<String>>,
}

/// Which customer a duplicate is merged into.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCustomer {
    /// The customer that stays; it must exist and not be merged itself.
    into: CustomerId,
}

/// Customer list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerListParams {
    /// Customers whose name, email address or phone number contains this
    /// text, or who (or whose organisation) hold an agreement whose
    /// reference contains it, ignoring case (at most 200 characters).
    q: Option<String>,
    /// Exact email address.
    email: Option<String>,
    /// Exact phone number (any formatting).
    phone: Option<String>,
    organization_id: Option<i64>,
}

/// Longest text a list's `q` may search for.
pub const MAX_SEARCH_CHARS: usize = 200;

/// A list's `q`: trimmed, blank as absent, at most [`MAX_SEARCH_CHARS`]
/// characters and no control characters.
pub fn search_text(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    match raw.map(str::trim).filter(|q| !q.is_empty()) {
        None => Ok(None),
        Some(q) => {
            let q = tend_domain::text::required_clean("q", q, MAX_SEARCH_CHARS)?;
            if q.contains(['\n', '\r', '\t']) {
                return Err(Invalid::new("q", "must be on one line"));
            }
            Ok(Some(q))
        }
    }
}

/// Parses (field name, raw value) pairs into contact points.
fn contact_points<'a>(
    emails: impl IntoIterator<Item = (String, &'a str)>,
    phones: impl IntoIterator<Item = (String, &'a str)>,
) -> Result<Vec<ContactPoint>, Invalid> {
    let mut points: Vec<ContactPoint> = Vec::new();
    for (field, raw) in emails {
        let value = EmailAddress::parse(&field, raw)?.as_str().to_string();
        points.push(ContactPoint {
            kind: ContactKind::Email,
            value,
        });
    }
    for (field, raw) in phones {
        points.push(ContactPoint {
            kind: ContactKind::Phone,
            value: normalize_phone(&field, raw)?,
        });
    }
    points.dedup();
    Ok(points)
}

fn numbered<'a>(
    field: &'a str,
    values: &'a [String],
) -> impl Iterator<Item = (String, &'a str)> + 'a {
    values
        .iter()
        .enumerate()
        .map(move |(i, v)| (format!("{field}[{i}]"), v.as_str()))
}

/// Lists customers by id (merged duplicates left out).
#[utoipa::path(get, path = "/customers", tag = "customers", params(CustomerListParams, PageParams),
    responses((status = 200, description = "A page of customers", body = Page<Customer>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Params(filters): Params<CustomerListParams>,
    Params(page): Params<PageParams>,
) -> ApiResult<axum::Json<Page<Customer>>> {
    me.require(Action::Read)?;
    let contact = match (&filters.email, &filters.phone) {
        (Some(e), _) => Some(EmailAddress::parse("email", e)?.as_str().to_string()),
        (None, Some(p)) => Some(normalize_phone("phone", p)?),
        (None, None) => None,
    };
    let filter = CustomerFilter {
        organization_id: filters.organization_id.map(OrganizationId),
        contact,
        text: search_text(filters.q.as_deref())?,
    };
    let (cursor, limit) = page.parse()?;
    Ok(axum::Json(s.store.customers(&filter, cursor, limit).await?))
}

/// Creates a customer. An email or phone already on another customer is a 409
/// naming that customer in `details.existing_id`.
#[utoipa::path(post, path = "/customers", tag = "customers", request_body = CreateCustomer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The new customer", body = Customer)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    idem: IdempotencyHeader,
    body: Json<CreateCustomer>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let key = body.idempotency_key(&me, &idem);
    let req = &body.value;
    let points = contact_points(
        req.email
            .iter()
            .map(|e| ("email".to_string(), e.as_str()))
            .chain(numbered("emails", &req.emails)),
        req.phone
            .iter()
            .map(|p| ("phone".to_string(), p.as_str()))
            .chain(numbered("phones", &req.phones)),
    )?;
    if points.is_empty() {
        return Err(Invalid::new("email", "give an email address or a phone number").into());
    }
    let new = NewCustomer {
        name: text::required("name", &req.name, 200)?,
        organization_id: req.organization_id,
        contact_points: points,
    };
    Create {
        store: &s.store,
        key: key.as_ref(),
        resource: "customer",
        collection: "/api/v1/customers",
    }
    .respond(
        s.store.create_customer(&new, key.as_ref()),
        |id| s.store.customer(CustomerId(id)),
        |c| c.id.0,
    )
    .await
}

/// One customer. A duplicate merged into another customer is still
/// answered, as a tombstone: `merged_into_id` names the customer that
/// has its cases and contact points now.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, description = "The customer", body = Customer)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Customer>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.customer(CustomerId(id)).await?))
}

/// Changes a customer, adds contact points or removes them. An email or
/// phone already on another customer is a 409 naming that customer in
/// `details.existing_id` (the same person twice: merge them). Removing a
/// contact point the customer does not have, or the last one, is a 422; a
/// merged customer cannot be changed (409).
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)), request_body = UpdateCustomer,
    responses((status = 200, description = "The changed customer", body = Customer)))]
pub async fn update(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<UpdateCustomer>,
) -> ApiResult<axum::Json<Customer>> {
    me.require(Action::Work)?;
    let req = &body.value;
    let change = CustomerChange {
        name: req
            .name
            .as_deref()
            .map(|n| text::required("name", n, 200))
            .transpose()?,
        organization_id: req.organization_id,
        add_contact_points: contact_points(
            numbered("add_emails", &req.add_emails),
            numbered("add_phones", &req.add_phones),
        )?,
        remove_contact_points: contact_points(
            numbered("remove_emails", &req.remove_emails),
            numbered("remove_phones", &req.remove_phones),
        )?,
        language: req
            .language
            .as_ref()
            .map(|l| {
                l.as_deref()
                    .map(|l| tend_domain::routing::parse_language("language", l))
                    .transpose()
            })
            .transpose()?,
    };
    if change.add_contact_points.len() + change.remove_contact_points.len() > MAX_CONTACT_CHANGES {
        return Err(Invalid::new(
            "add_emails",
            format!("change at most {MAX_CONTACT_CHANGES} contact points at once"),
        )
        .into());
    }
    Ok(axum::Json(
        s.store.update_customer(CustomerId(id), &change).await?,
    ))
}

/// Most contact points one change may add and remove together.
const MAX_CONTACT_CHANGES: usize = 50;

/// Merges this customer, a duplicate of the same person, into `into`: every
/// case (each logging a `customer_merged` event), contact point, agreement,
/// note and portal sign-in moves there, and the survivor keeps the stronger
/// identity verification. This customer stays as a tombstone:
/// `GET /customers/{id}` answers it with `merged_into_id` set, lists leave
/// it out, and it cannot be changed or merged again. Refused (nothing
/// changes) for a customer into itself (422), into a missing or merged
/// customer (422), or when this one is already merged (409).
#[utoipa::path(post, path = "/customers/{id}/merge", tag = "customers", params(("id" = i64, Path)), request_body = MergeCustomer,
    responses((status = 200, description = "The survivor and the cases that moved", body = CustomerMerge)))]
pub async fn merge(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<MergeCustomer>,
) -> ApiResult<axum::Json<CustomerMerge>> {
    me.require(Action::Work)?;
    Ok(axum::Json(
        s.store
            .merge_customers(CustomerId(id), body.value.into, me.actor())
            .await?,
    ))
}
