//! Agreements: plans, contracts and subscriptions.

use super::extract::{Id, IdempotencyHeader, Json, Params, Principal};
use super::idempotency::Create;
use super::{PageParams, nullable};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::customer::AgreementStatus;
use tend_domain::ids::{AgreementId, CustomerId, OrganizationId};
use tend_domain::{Invalid, text};
use tend_store::agreements::{AgreementChange, AgreementFilter, Holder, NewAgreement};
use tend_store::model::{Agreement, Page};
use utoipa::{IntoParams, ToSchema};

/// A new agreement, held by a customer or an organisation (exactly one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgreement {
    name: String,
    customer_id: Option<CustomerId>,
    organization_id: Option<OrganizationId>,
    /// The business's own reference (contract number...).
    reference: Option<String>,
    /// [default: active]
    status: Option<AgreementStatus>,
    /// YYYY-MM-DD
    starts_on: Option<String>,
    /// YYYY-MM-DD, not before `starts_on`.
    ends_on: Option<String>,
    terms: Option<String>,
}

/// Changes to an agreement; absent fields stay, null clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgreement {
    name: Option<String>,
    status: Option<AgreementStatus>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    reference: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    starts_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    ends_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    terms: Option<Option<String>>,
}

/// Agreement list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementListParams {
    /// Agreements whose name or reference contains this text, ignoring case
    /// (at most 200 characters).
    q: Option<String>,
    customer_id: Option<i64>,
    organization_id: Option<i64>,
}

fn date(field: &str, raw: Option<&str>) -> Result<Option<String>, Invalid> {
    raw.map(|d| {
        d.trim()
            .parse::<jiff::civil::Date>()
            .map(|d| d.to_string())
            .map_err(|_| Invalid::new(field, format!("`{d}` is not a date: use YYYY-MM-DD")))
    })
    .transpose()
}

fn check_order(starts: Option<&str>, ends: Option<&str>) -> Result<(), Invalid> {
    match (starts, ends) {
        (Some(s), Some(e)) if e < s => Err(Invalid::new("ends_on", "must not be before starts_on")),
        _ => Ok(()),
    }
}

/// Lists agreements by id.
#[utoipa::path(get, path = "/agreements", tag = "customers", params(AgreementListParams, PageParams),
    responses((status = 200, description = "A page of agreements", body = Page<Agreement>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Params(filters): Params<AgreementListParams>,
    Params(page): Params<PageParams>,
) -> ApiResult<axum::Json<Page<Agreement>>> {
    me.require(Action::Read)?;
    let filter = AgreementFilter {
        customer_id: filters.customer_id.map(CustomerId),
        organization_id: filters.organization_id.map(OrganizationId),
        text: super::customers::search_text(filters.q.as_deref())?,
    };
    let (cursor, limit) = page.parse()?;
    Ok(axum::Json(
        s.store.agreements(&filter, cursor, limit).await?,
    ))
}

/// Creates an agreement.
#[utoipa::path(post, path = "/agreements", tag = "customers", request_body = CreateAgreement,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The new agreement", body = Agreement)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    idem: IdempotencyHeader,
    body: Json<CreateAgreement>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let key = body.idempotency_key(&me, &idem);
    let req = &body.value;
    let holder = match (req.customer_id, req.organization_id) {
        (Some(c), None) => Holder::Customer(c),
        (None, Some(o)) => Holder::Organization(o),
        _ => {
            return Err(Invalid::new(
                "customer_id",
                "give exactly one of customer_id and organization_id",
            )
            .into());
        }
    };
    let new = NewAgreement {
        holder,
        name: text::required("name", &req.name, 200)?,
        reference: text::optional("reference", req.reference.as_deref(), 200)?,
        status: req.status.unwrap_or(AgreementStatus::Active),
        starts_on: date("starts_on", req.starts_on.as_deref())?,
        ends_on: date("ends_on", req.ends_on.as_deref())?,
        terms: text::optional("terms", req.terms.as_deref(), 20_000)?,
    };
    check_order(new.starts_on.as_deref(), new.ends_on.as_deref())?;
    Create {
        store: &s.store,
        key: key.as_ref(),
        resource: "agreement",
        collection: "/api/v1/agreements",
    }
    .respond(
        s.store.create_agreement(&new, key.as_ref()),
        |id| s.store.agreement(AgreementId(id)),
        |a| a.id.0,
    )
    .await
}

/// One agreement.
#[utoipa::path(get, path = "/agreements/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, description = "The agreement", body = Agreement)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Agreement>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.agreement(AgreementId(id)).await?))
}

/// Changes an agreement.
#[utoipa::path(patch, path = "/agreements/{id}", tag = "customers", params(("id" = i64, Path)), request_body = UpdateAgreement,
    responses((status = 200, description = "The changed agreement", body = Agreement)))]
pub async fn update(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<UpdateAgreement>,
) -> ApiResult<axum::Json<Agreement>> {
    me.require(Action::Work)?;
    let req = &body.value;
    let optional =
        |field: &str, v: &Option<Option<String>>, max| -> Result<Option<Option<String>>, Invalid> {
            v.as_ref()
                .map(|inner| text::optional(field, inner.as_deref(), max))
                .transpose()
        };
    let dated =
        |field: &str, v: &Option<Option<String>>| -> Result<Option<Option<String>>, Invalid> {
            v.as_ref()
                .map(|inner| date(field, inner.as_deref()))
                .transpose()
        };
    let change = AgreementChange {
        name: req
            .name
            .as_deref()
            .map(|n| text::required("name", n, 200))
            .transpose()?,
        status: req.status,
        reference: optional("reference", &req.reference, 200)?,
        starts_on: dated("starts_on", &req.starts_on)?,
        ends_on: dated("ends_on", &req.ends_on)?,
        terms: optional("terms", &req.terms, 20_000)?,
    };
    let current = s.store.agreement(AgreementId(id)).await?;
    let starts = change.starts_on.clone().unwrap_or(current.starts_on);
    let ends = change.ends_on.clone().unwrap_or(current.ends_on);
    check_order(starts.as_deref(), ends.as_deref())?;
    Ok(axum::Json(
        s.store.update_agreement(AgreementId(id), &change).await?,
    ))
}
