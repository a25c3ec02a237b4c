//! The reports, as the API and the web page both serve them: the period
//! and filters read from a query string, the figures as named tables (each
//! downloadable as CSV) and the charts drawn as SVG.

pub mod charts;
pub mod csv;
pub mod params;
pub mod tables;

pub use params::ReportParams;

use crate::http::download::download;
use axum::response::Response;
use jiff::civil::Date;
use tend_store::reports::ReportFilter;
use tend_store::{Store, StoreError};

tend_domain::string_enum!(
    /// One of the reports.
    Report {
        /// Customer effort.
        Effort = "effort",
        /// Service times and rates.
        Service = "service",
        /// Survey answers and calibration.
        Surveys = "surveys",
    }
);

/// A report's tables for the filter.
pub async fn tables(
    store: &Store,
    report: Report,
    filter: &ReportFilter,
) -> Result<Vec<tables::Table>, StoreError> {
    Ok(match report {
        Report::Effort => tables::effort(&store.effort_report(filter).await?),
        Report::Service => tables::service(&store.service_report(filter).await?),
        Report::Surveys => tables::surveys(&store.survey_report(filter).await?),
    })
}

/// A table as a CSV download named after the report, table and period.
pub fn csv_download(report: Report, table: &tables::Table, from: Date, to: Date) -> Response {
    download(
        csv::render(table).into_bytes(),
        "text/csv; charset=utf-8",
        &format!("{report}-{}-{from}-to-{to}.csv", table.name),
    )
}
