//! Reports for admins and leads: customer effort, service times and
//! surveys for a period and filters, as JSON or one table at a time as CSV.

use super::extract::{Params, Principal};
use crate::http::error::ApiResult;
use crate::http::reads::Reads;
use crate::reports::{self, Report, ReportParams, params::today, tables};
use axum::Json;
use axum::response::Response;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_store::Store;
use tend_store::reports::{EffortReport, ReportFilter, ServiceReport, SurveyReport};
use utoipa::IntoParams;

/// Which table of a report to download.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableParam {
    /// The table's name, as listed in the report's description.
    table: Option<String>,
}

/// Checks the role and reads the period and filters.
fn filter(me: &Principal, params: &ReportParams) -> ApiResult<ReportFilter> {
    me.require(Action::ViewReports)?;
    Ok(params.filter(today())?)
}

/// Customer effort of the cases created in the period: distribution, trend
/// by ISO week, where it comes from (by driver), by team, agent, channel, tag
/// and agreement, and the 20 highest-effort cases with their explanations.
#[utoipa::path(get, path = "/reports/effort", tag = "reports", params(ReportParams),
    responses((status = 200, description = "The effort report", body = EffortReport)))]
pub async fn effort(
    Reads(store): Reads,
    me: Principal,
    Params(params): Params<ReportParams>,
) -> ApiResult<Json<EffortReport>> {
    let filter = filter(&me, &params)?;
    Ok(Json(store.effort_report(&filter).await?))
}

/// First response and resolution time percentiles, first-contact
/// resolution, repeat-contact and reopen rates, and the daily backlog.
#[utoipa::path(get, path = "/reports/service", tag = "reports", params(ReportParams),
    responses((status = 200, description = "The service report", body = ServiceReport)))]
pub async fn service(
    Reads(store): Reads,
    me: Principal,
    Params(params): Params<ReportParams>,
) -> ApiResult<Json<ServiceReport>> {
    let filter = filter(&me, &params)?;
    Ok(Json(store.service_report(&filter).await?))
}

/// CES and CSAT answers given in the period, the response rate, and how the
/// effort index correlates with CES (calibration).
#[utoipa::path(get, path = "/reports/surveys", tag = "reports", params(ReportParams),
    responses((status = 200, description = "The survey report", body = SurveyReport)))]
pub async fn surveys(
    Reads(store): Reads,
    me: Principal,
    Params(params): Params<ReportParams>,
) -> ApiResult<Json<SurveyReport>> {
    let filter = filter(&me, &params)?;
    Ok(Json(store.survey_report(&filter).await?))
}

/// One table of a report as CSV.
async fn csv(
    store: &Store,
    me: &Principal,
    report: Report,
    params: &ReportParams,
    table: Option<&str>,
) -> ApiResult<Response> {
    me.require(Action::ViewReports)?;
    let today = today();
    let filter = params.filter(today)?;
    let (from, to) = params.period(today)?;
    let table = tables::pick(reports::tables(store, report, &filter).await?, table)?;
    Ok(reports::csv_download(report, &table, from, to))
}

/// A table of the effort report as CSV: `levels`, `distribution`, `weeks`,
/// `drivers`, `by_team`, `by_agent`, `by_channel`, `by_tag`,
/// `by_agreement` or `highest`.
#[utoipa::path(get, path = "/reports/effort/csv", tag = "reports", params(ReportParams, TableParam),
    responses((status = 200, description = "The table, with a header row", content_type = "text/csv")))]
pub async fn effort_csv(
    Reads(store): Reads,
    me: Principal,
    Params(params): Params<ReportParams>,
    Params(t): Params<TableParam>,
) -> ApiResult<Response> {
    csv(&store, &me, Report::Effort, &params, t.table.as_deref()).await
}

/// A table of the service report as CSV: `times`, `rates` or `backlog`.
#[utoipa::path(get, path = "/reports/service/csv", tag = "reports", params(ReportParams, TableParam),
    responses((status = 200, description = "The table, with a header row", content_type = "text/csv")))]
pub async fn service_csv(
    Reads(store): Reads,
    me: Principal,
    Params(params): Params<ReportParams>,
    Params(t): Params<TableParam>,
) -> ApiResult<Response> {
    csv(&store, &me, Report::Service, &params, t.table.as_deref()).await
}

/// A table of the survey report as CSV: `summary`, `ces`, `csat` or
/// `calibration`.
#[utoipa::path(get, path = "/reports/surveys/csv", tag = "reports", params(ReportParams, TableParam),
    responses((status = 200, description = "The table, with a header row", content_type = "text/csv")))]
pub async fn surveys_csv(
    Reads(store): Reads,
    me: Principal,
    Params(params): Params<ReportParams>,
    Params(t): Params<TableParam>,
) -> ApiResult<Response> {
    csv(&store, &me, Report::Surveys, &params, t.table.as_deref()).await
}
