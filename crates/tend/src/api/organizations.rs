//! Organisations.

use super::extract::{Id, IdempotencyHeader, Json, Params, Principal};
use super::idempotency::Create;
use super::{PageParams, nullable};
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::ids::OrganizationId;
use tend_domain::text;
use tend_store::model::{Organization, Page};
use tend_store::organizations::OrganizationFields;
use utoipa::{IntoParams, ToSchema};

/// An organisation, new or changed; on change, absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationBody {
    /// Required when creating.
    name: Option<String>,
    /// Email domain of its people, e.g. `example.com`; null clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    domain: Option<Option<String>>,
    /// Whether members may see each other's cases in the portal [default: false].
    share_cases: Option<bool>,
}

impl OrganizationBody {
    fn fields(&self, creating: bool) -> Result<OrganizationFields, tend_domain::Invalid> {
        let name = match (&self.name, creating) {
            (Some(n), _) => Some(text::required("name", n, 200)?),
            (None, true) => return Err(tend_domain::Invalid::new("name", "is required")),
            (None, false) => None,
        };
        let domain = match &self.domain {
            Some(d) => Some(text::optional("domain", d.as_deref(), 253)?.map(|d| d.to_lowercase())),
            None => None,
        };
        Ok(OrganizationFields {
            name,
            domain,
            share_cases: self.share_cases,
        })
    }
}

/// Organisation list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationListParams {
    /// Organisations whose name contains this text, ignoring case (at most
    /// 200 characters).
    q: Option<String>,
}

/// Lists organisations by id.
#[utoipa::path(get, path = "/organizations", tag = "customers", params(OrganizationListParams, PageParams),
    responses((status = 200, description = "A page of organisations", body = Page<Organization>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Params(filters): Params<OrganizationListParams>,
    Params(page): Params<PageParams>,
) -> ApiResult<axum::Json<Page<Organization>>> {
    me.require(Action::Read)?;
    let name = super::customers::search_text(filters.q.as_deref())?;
    let (cursor, limit) = page.parse()?;
    Ok(axum::Json(
        s.store
            .organizations(name.as_deref(), cursor, limit)
            .await?,
    ))
}

/// Creates an organisation.
#[utoipa::path(post, path = "/organizations", tag = "customers", request_body = OrganizationBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, description = "The new organisation", body = Organization)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    idem: IdempotencyHeader,
    body: Json<OrganizationBody>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let key = body.idempotency_key(&me, &idem);
    let fields = body.value.fields(true)?;
    Create {
        store: &s.store,
        key: key.as_ref(),
        resource: "organization",
        collection: "/api/v1/organizations",
    }
    .respond(
        s.store.create_organization(&fields, key.as_ref()),
        |id| s.store.organization(OrganizationId(id)),
        |o| o.id.0,
    )
    .await
}

/// One organisation.
#[utoipa::path(get, path = "/organizations/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, description = "The organisation", body = Organization)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Organization>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.organization(OrganizationId(id)).await?))
}

/// Changes an organisation.
#[utoipa::path(patch, path = "/organizations/{id}", tag = "customers", params(("id" = i64, Path)), request_body = OrganizationBody,
    responses((status = 200, description = "The changed organisation", body = Organization)))]
pub async fn update(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<OrganizationBody>,
) -> ApiResult<axum::Json<Organization>> {
    me.require(Action::Work)?;
    let fields = body.value.fields(false)?;
    Ok(axum::Json(
        s.store
            .update_organization(OrganizationId(id), &fields)
            .await?,
    ))
}
