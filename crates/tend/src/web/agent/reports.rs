//! The reports page for admins and leads: the period and filters as GET
//! parameters (so a report can be bookmarked), the effort, service and
//! survey sections with SVG charts beside tables of the same numbers, and
//! every table as a CSV download.

use crate::http::reads::Reads;
use crate::reports::tables::{self, Table};
use crate::reports::{self, Report, ReportParams, charts, params::today};
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::case::Channel;
use tend_store::reports::{EffortReport, ServiceReport, SurveyReport};

/// A cell, linked when it names a case.
struct Cell {
    text: String,
    href: Option<String>,
}

/// A table with its chart (when it has one) and its CSV link.
struct Block {
    title: &'static str,
    chart: Option<String>,
    header: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
    csv: String,
}

/// One of the three reports.
struct Section {
    id: &'static str,
    title: &'static str,
    /// Shown instead of the blocks when the period has nothing to report.
    empty: Option<&'static str>,
    blocks: Vec<Block>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: Layout,
    from: String,
    to: String,
    teams: Vec<Choice>,
    agents: Vec<Choice>,
    channels: Vec<Choice>,
    tag: String,
    agreement_id: String,
    error: Option<String>,
    sections: Vec<Section>,
}

fn chart_for(
    name: &str,
    effort: &EffortReport,
    service: &ServiceReport,
    surveys: &SurveyReport,
) -> Option<String> {
    let f = |v: u64| v as f64;
    Some(match name {
        "distribution" => charts::bars(
            "Effort distribution: cases per band of the effort index",
            &effort
                .histogram
                .iter()
                .map(|b| (format!("{}–{}", b.from, b.to), f(b.cases)))
                .collect::<Vec<_>>(),
        ),
        "weeks" => charts::line(
            "Effort by week: average effort index",
            &effort
                .weeks
                .iter()
                .map(|w| (w.week.clone(), w.average_index))
                .collect::<Vec<_>>(),
        ),
        "drivers" => charts::horizontal_bars(
            "Where effort comes from: points per driver",
            &effort
                .drivers
                .iter()
                .map(|d| (d.driver.as_str().replace('_', " "), f(d.points)))
                .collect::<Vec<_>>(),
        ),
        "backlog" => charts::line(
            "Backlog: cases open at the end of each day",
            &service
                .backlog
                .iter()
                .map(|d| (d.day.get(5..).unwrap_or(&d.day).to_owned(), f(d.open)))
                .collect::<Vec<_>>(),
        ),
        "calibration" => charts::scatter(
            "Calibration: effort index against CES answer",
            "effort index",
            "CES",
            &surveys
                .calibration
                .points
                .iter()
                .map(|p| (f64::from(p.effort_index), f64::from(p.ces), p.cases))
                .collect::<Vec<_>>(),
            100.0,
            7.0,
        ),
        _ => return None,
    })
}

/// Blocks for a report's tables, each with its CSV link.
fn blocks(
    report: Report,
    tables: Vec<Table>,
    query: &str,
    chart: impl Fn(&str) -> Option<String>,
) -> Vec<Block> {
    tables
        .into_iter()
        .map(|t| Block {
            title: t.title,
            chart: chart(t.name),
            csv: format!("/reports/{report}/csv?table={}&{query}", t.name),
            rows: t
                .rows
                .into_iter()
                .map(|row| {
                    row.into_iter()
                        .enumerate()
                        .map(|(i, text)| Cell {
                            href: (t.name == "highest" && i == 0)
                                .then(|| format!("/cases/{}", text.trim_start_matches('#'))),
                            text,
                        })
                        .collect()
                })
                .collect(),
            header: t.header,
        })
        .collect()
}

/// A select's options: "any" first, then (value, text) pairs.
fn options(any: &str, pairs: impl Iterator<Item = (String, String)>, current: &str) -> Vec<Choice> {
    std::iter::once(Choice::blank(any, current))
        .chain(pairs.map(|(value, text)| Choice {
            selected: value == current,
            value,
            text,
        }))
        .collect()
}

/// The reports page.
pub async fn page(
    Reads(store): Reads,
    session: Session,
    Query(params): Query<ReportParams>,
) -> Result<Response, WebError> {
    session.require(Action::ViewReports)?;
    let today = today();
    let teams = store.teams().await?;
    let agents = store.agents().await?;
    let current = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut page = ReportsPage {
        layout: Layout::new(&session, "reports"),
        from: current(&params.from),
        to: current(&params.to),
        teams: options(
            "Any team",
            teams.iter().map(|t| (t.id.0.to_string(), t.name.clone())),
            &current(&params.team_id),
        ),
        agents: options(
            "Any agent",
            agents.iter().map(|a| (a.id.0.to_string(), a.name.clone())),
            &current(&params.assignee_id),
        ),
        channels: options(
            "Any channel",
            Channel::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), c.as_str().to_owned())),
            &current(&params.channel),
        ),
        tag: current(&params.tag),
        agreement_id: current(&params.agreement_id),
        error: None,
        sections: Vec::new(),
    };
    let (filter, (from, to)) = match params
        .filter(today)
        .and_then(|f| Ok((f, params.period(today)?)))
    {
        Ok(ok) => ok,
        Err(e) => {
            page.error = Some(WebError::field(e).to_string());
            return Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                Html(page.render()?),
            )
                .into_response());
        }
    };
    page.from = from.to_string();
    page.to = to.to_string();
    let effort = store.effort_report(&filter).await?;
    let service = store.service_report(&filter).await?;
    let surveys = store.survey_report(&filter).await?;
    let query = params.query(from, to);
    let chart = |name: &str| chart_for(name, &effort, &service, &surveys);
    let no_cases = "No cases in this period.";
    page.sections = vec![
        Section {
            id: "effort",
            title: "Customer effort",
            empty: (effort.cases == 0).then_some(no_cases),
            blocks: blocks(Report::Effort, tables::effort(&effort), &query, chart),
        },
        Section {
            id: "service",
            title: "Service",
            empty: (service.cases == 0
                && service.resolution.cases == 0
                && service.backlog.iter().all(|d| d.open == 0))
            .then_some(no_cases),
            blocks: blocks(Report::Service, tables::service(&service), &query, chart),
        },
        Section {
            id: "surveys",
            title: "Surveys",
            empty: (surveys.surveyed == 0 && surveys.answered == 0)
                .then_some("No surveys sent or answered in this period."),
            blocks: blocks(Report::Surveys, tables::surveys(&surveys), &query, chart),
        },
    ];
    Ok(Html(page.render()?).into_response())
}

/// Which table to download.
#[derive(Deserialize)]
pub struct TableQuery {
    table: Option<String>,
}

/// One table of a report as CSV.
pub async fn csv(
    Reads(store): Reads,
    session: Session,
    Path(report): Path<String>,
    Query(params): Query<ReportParams>,
    Query(t): Query<TableQuery>,
) -> Result<Response, WebError> {
    session.require(Action::ViewReports)?;
    let report = Report::parse("report", &report).map_err(|_| WebError::NotFound)?;
    let today = today();
    let filter = params.filter(today).map_err(WebError::field)?;
    let (from, to) = params.period(today).map_err(WebError::field)?;
    let table = tables::pick(
        reports::tables(&store, report, &filter).await?,
        t.table.as_deref(),
    )
    .map_err(WebError::field)?;
    Ok(reports::csv_download(report, &table, from, to))
}
