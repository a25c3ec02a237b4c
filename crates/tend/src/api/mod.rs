//! REST API v1: JSON over HTTP with bearer tokens. Handlers parse the
//! request, check the role, call the store and render; they never write SQL.
//! The OpenAPI 3.1 document is generated from the handlers and types here and
//! served at `/api/v1/openapi.json`.

mod agreements;
mod appointments;
mod articles;
mod canned;
mod case_tools;
mod cases;
mod customers;
mod effort;
mod extract;
mod idempotency;
mod inboxes;
mod jobs;
mod notifications;
mod organizations;
mod outgoing;
mod promises;
mod quotes;
mod reports;
mod rules;
mod search;
mod service_levels;
mod side_conversations;
mod staff;
mod tasks;
mod webhooks;

use crate::http::AppState;
use crate::http::error::ErrorBody;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, ResponseBuilder, content::ContentBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tend API", version = "1", description = "Tend's REST API. Authenticate with `Authorization: Bearer <token>` (create one with `tend token create`). Errors use one envelope: `{\"error\": {\"code\", \"message\", \"details\"}}`. POSTs accept an `Idempotency-Key` header: a retried request returns the first request's resource instead of creating another."),
    components(schemas(ErrorBody, webhooks::WebhookPayload)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

/// Declares the bearer scheme.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Adds the error responses every operation can give, all in the one envelope.
struct StandardErrors;

impl Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let errors = [
            ("400", "Malformed request (bad JSON, bad path id)"),
            ("401", "Missing or invalid token"),
            ("403", "The token's role may not do this"),
            ("404", "No such resource"),
            ("409", "Conflicts with existing data or the case's state"),
            ("413", "Body or attachment too large"),
            ("415", "Body is not JSON"),
            ("422", "Validation failed; `details.field` names the field"),
        ];
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                for (code, description) in errors {
                    let response = ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                                    "ErrorBody",
                                ))))
                                .build(),
                        )
                        .build();
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert(RefOr::T(response));
                }
            }
        }
    }
}

pub use customers::{MAX_SEARCH_CHARS, search_text};

/// The v1 routes with their OpenAPI description.
fn v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(cases::list, cases::create))
        .routes(routes!(cases::get, cases::update))
        .routes(routes!(cases::merge))
        .routes(routes!(outgoing::open_by_email))
        .routes(routes!(outgoing::forward))
        .routes(routes!(outgoing::my_signature, outgoing::set_my_signature))
        .routes(routes!(
            outgoing::inbox_signature,
            outgoing::set_inbox_signature
        ))
        .routes(routes!(case_tools::snooze, case_tools::wake))
        .routes(routes!(case_tools::follow, case_tools::unfollow))
        .routes(routes!(case_tools::related, case_tools::link_related))
        .routes(routes!(case_tools::unlink_related))
        .routes(routes!(case_tools::split))
        .routes(routes!(cases::messages, cases::post_message))
        .routes(routes!(side_conversations::list, side_conversations::start))
        .routes(routes!(
            side_conversations::messages,
            side_conversations::reply
        ))
        .routes(routes!(tasks::list, tasks::add))
        .routes(routes!(tasks::change))
        .routes(routes!(cases::events, cases::record_event))
        .routes(routes!(cases::event))
        .routes(routes!(promises::list, promises::make))
        .routes(routes!(promises::get))
        .routes(routes!(promises::kept))
        .routes(routes!(promises::broken))
        .routes(routes!(quotes::list, quotes::send))
        .routes(routes!(quotes::get))
        .routes(routes!(quotes::pdf))
        .routes(routes!(appointments::types, appointments::create_type))
        .routes(routes!(appointments::get_type, appointments::update_type))
        .routes(routes!(
            appointments::resources,
            appointments::create_resource
        ))
        .routes(routes!(
            appointments::get_resource,
            appointments::update_resource
        ))
        .routes(routes!(appointments::list, appointments::offer))
        .routes(routes!(appointments::get))
        .routes(routes!(appointments::slots))
        .routes(routes!(appointments::book))
        .routes(routes!(appointments::cancel))
        .routes(routes!(appointments::progress))
        .routes(routes!(appointments::my_visits))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(cases::attachment))
        .routes(routes!(cases::raw_message))
        .routes(routes!(cases::bounce_report))
        .routes(routes!(effort::case_effort))
        .routes(routes!(effort::log_contact))
        .routes(routes!(effort::link_repeat, effort::unlink_repeat))
        .routes(routes!(effort::customer_effort))
        .routes(routes!(inboxes::list, inboxes::create))
        .routes(routes!(inboxes::set_survey))
        .routes(routes!(inboxes::set_oauth))
        .routes(routes!(inboxes::authorize))
        .routes(routes!(inboxes::token))
        .routes(routes!(customers::list, customers::create))
        .routes(routes!(customers::get, customers::update))
        .routes(routes!(customers::merge))
        .routes(routes!(organizations::list, organizations::create))
        .routes(routes!(organizations::get, organizations::update))
        .routes(routes!(agreements::list, agreements::create))
        .routes(routes!(agreements::get, agreements::update))
        .routes(routes!(staff::me, staff::update_me))
        .routes(routes!(
            notifications::email_setting,
            notifications::set_email_setting
        ))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::unread))
        .routes(routes!(notifications::mark_all_read))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(staff::agents, staff::create_agent))
        .routes(routes!(staff::agent, staff::update_agent))
        .routes(routes!(staff::reset_totp))
        .routes(routes!(staff::teams, staff::create_team))
        .routes(routes!(staff::team, staff::update_team))
        .routes(routes!(staff::add_member))
        .routes(routes!(canned::list, canned::create))
        .routes(routes!(canned::get, canned::update, canned::delete))
        .routes(routes!(search::search))
        .routes(routes!(
            service_levels::calendars,
            service_levels::create_calendar
        ))
        .routes(routes!(
            service_levels::calendar,
            service_levels::replace_calendar,
            service_levels::delete_calendar
        ))
        .routes(routes!(service_levels::import_holidays))
        .routes(routes!(service_levels::set_team_calendar))
        .routes(routes!(service_levels::set_inbox_calendar))
        .routes(routes!(
            service_levels::policies,
            service_levels::create_policy
        ))
        .routes(routes!(
            service_levels::policy,
            service_levels::replace_policy,
            service_levels::delete_policy
        ))
        .routes(routes!(service_levels::move_policy))
        .routes(routes!(service_levels::case_sla))
        .routes(routes!(rules::list, rules::create))
        .routes(routes!(rules::dry_run))
        .routes(routes!(rules::get, rules::replace, rules::delete))
        .routes(routes!(rules::move_to))
        .routes(routes!(articles::list, articles::create))
        .routes(routes!(articles::get, articles::update))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::retry))
        .routes(routes!(reports::effort))
        .routes(routes!(reports::service))
        .routes(routes!(reports::surveys))
        .routes(routes!(reports::effort_csv))
        .routes(routes!(reports::service_csv))
        .routes(routes!(reports::surveys_csv))
}

/// The OpenAPI document, as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = OpenApiRouter::<AppState>::new()
        .nest("/api/v1", v1())
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    // Paths exist only once the router is split, so add their errors now.
    StandardErrors.modify(&mut doc);
    doc
}

/// The v1 routes, without their OpenAPI description.
pub fn routes() -> Router<AppState> {
    let (api, _) = OpenApiRouter::new().nest("/api/v1", v1()).split_for_parts();
    api
}

/// A 201 response with `Location`, marking replays of idempotent requests.
fn created<T: Serialize>(location: String, outcome_replayed: bool, value: T) -> Response {
    let mut response = (StatusCode::CREATED, Json(value)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    if outcome_replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Query parameters shared by every paged list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageParams {
    /// Page size, 1-100 (default 25).
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

impl PageParams {
    fn parse(&self) -> Result<(Option<tend_store::cursor::Cursor>, i64), tend_domain::Invalid> {
        let cursor = self
            .cursor
            .as_deref()
            .map(tend_store::cursor::Cursor::decode)
            .transpose()?;
        Ok((cursor, tend_store::cursor::limit(self.limit)?))
    }
}

/// Deserialises a field that may be absent (leave alone), null (clear) or a value.
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}
