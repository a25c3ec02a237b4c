//! Automation rules: reading is for every agent (a case's history names
//! the rules that acted on it); changes and dry runs are for admins.

use super::extract::{Id, Json, Principal};
use super::service_levels::Position;
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tend_domain::agent::Action;
use tend_domain::rules::RuleDefinition;
use tend_store::rules::RuleRecord;
use tend_store::rules::dry_run::DryRun;

/// Every rule, in the order they run.
#[utoipa::path(get, path = "/rules", tag = "rules",
    responses((status = 200, description = "All rules, with how often each acted and its latest error", body = Vec<RuleRecord>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
) -> ApiResult<axum::Json<Vec<RuleRecord>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.rules().await?))
}

/// Adds a rule at the end of the order (admins only).
#[utoipa::path(post, path = "/rules", tag = "rules", request_body = RuleDefinition,
    responses((status = 201, description = "The new rule", body = RuleRecord)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    body: Json<RuleDefinition>,
) -> ApiResult<Response> {
    me.require(Action::Administer)?;
    let rule = s.store.create_rule(body.value.check()?).await?;
    Ok(super::created(
        format!("/api/v1/rules/{}", rule.id),
        false,
        rule,
    ))
}

/// One rule.
#[utoipa::path(get, path = "/rules/{id}", tag = "rules", params(("id" = i64, Path)),
    responses((status = 200, description = "The rule", body = RuleRecord)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<RuleRecord>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.rule(id).await?))
}

/// Replaces a rule (admins only); timers it already queued run the new
/// definition.
#[utoipa::path(put, path = "/rules/{id}", tag = "rules", params(("id" = i64, Path)), request_body = RuleDefinition,
    responses((status = 200, description = "The rule", body = RuleRecord)))]
pub async fn replace(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<RuleDefinition>,
) -> ApiResult<axum::Json<RuleRecord>> {
    me.require(Action::Administer)?;
    Ok(axum::Json(
        s.store.update_rule(id, body.value.check()?).await?,
    ))
}

/// Deletes a rule (admins only).
#[utoipa::path(delete, path = "/rules/{id}", tag = "rules", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(State(s): State<AppState>, me: Principal, Id(id): Id) -> ApiResult<StatusCode> {
    me.require(Action::Administer)?;
    s.store.delete_rule(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a rule in the order rules run (admins only).
#[utoipa::path(post, path = "/rules/{id}/position", tag = "rules", params(("id" = i64, Path)), request_body = Position,
    responses((status = 200, description = "The moved rule", body = RuleRecord)))]
pub async fn move_to(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<Position>,
) -> ApiResult<axum::Json<RuleRecord>> {
    me.require(Action::Administer)?;
    Ok(axum::Json(
        s.store.move_rule(id, body.value.position).await?,
    ))
}

/// Which cases a rule (saved or not) would have acted on in the last 7
/// days, had it existed; nothing is changed (admins only).
#[utoipa::path(post, path = "/rules/dry_run", tag = "rules", request_body = RuleDefinition,
    responses((status = 200, description = "The cases it would have matched", body = DryRun)))]
pub async fn dry_run(
    State(s): State<AppState>,
    me: Principal,
    body: Json<RuleDefinition>,
) -> ApiResult<axum::Json<DryRun>> {
    me.require(Action::Administer)?;
    let definition = body.value.check()?;
    Ok(axum::Json(
        s.store
            .dry_run_rule(&definition, s.store.clock().now())
            .await?,
    ))
}
