//! Every report's figures as named tables: the web page shows them beside
//! the charts and the CSV downloads carry them, so both say the same.

use tend_domain::Invalid;
use tend_store::reports::{
    Breakdown, EffortReport, Percentiles, Rate, ServiceReport, SurveyReport,
};

/// One table of a report.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its name in URLs (`?table=by_team`).
    pub name: &'static str,
    /// Its heading.
    pub title: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// A ratio as a percentage with one decimal, or empty.
fn percent(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}", r * 100.0)).unwrap_or_default()
}

fn one_decimal(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_default()
}

fn seconds(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn breakdown(
    name: &'static str,
    title: &'static str,
    by: &'static str,
    rows: &[Breakdown],
) -> Table {
    Table {
        name,
        title,
        header: vec![by, "Cases", "Average index", "High effort %"],
        rows: rows
            .iter()
            .map(|b| {
                vec![
                    b.name.clone(),
                    b.cases.to_string(),
                    format!("{:.1}", b.average_index),
                    percent(Some(b.high_share)),
                ]
            })
            .collect(),
    }
}

/// The effort report's tables.
pub fn effort(r: &EffortReport) -> Vec<Table> {
    vec![
        Table {
            name: "levels",
            title: "Cases by effort level",
            header: vec!["Level", "Cases"],
            rows: r
                .levels
                .iter()
                .map(|l| vec![l.level.to_string(), l.cases.to_string()])
                .collect(),
        },
        Table {
            name: "distribution",
            title: "Effort distribution",
            header: vec!["Index from", "Index to", "Cases"],
            rows: r
                .histogram
                .iter()
                .map(|b| vec![b.from.to_string(), b.to.to_string(), b.cases.to_string()])
                .collect(),
        },
        Table {
            name: "weeks",
            title: "Effort by week",
            header: vec!["Week", "Starts on", "Cases", "Average index"],
            rows: r
                .weeks
                .iter()
                .map(|w| {
                    vec![
                        w.week.clone(),
                        w.starts_on.clone(),
                        w.cases.to_string(),
                        format!("{:.1}", w.average_index),
                    ]
                })
                .collect(),
        },
        Table {
            name: "drivers",
            title: "Where effort comes from",
            header: vec!["Driver", "Points", "Cases"],
            rows: r
                .drivers
                .iter()
                .map(|d| {
                    vec![
                        d.driver.as_str().replace('_', " "),
                        d.points.to_string(),
                        d.cases.to_string(),
                    ]
                })
                .collect(),
        },
        breakdown("by_team", "Effort by team", "Team", &r.by_team),
        breakdown("by_agent", "Effort by agent", "Agent", &r.by_agent),
        breakdown("by_channel", "Effort by channel", "Channel", &r.by_channel),
        breakdown("by_tag", "Effort by tag", "Tag", &r.by_tag),
        breakdown(
            "by_agreement",
            "Effort by agreement",
            "Agreement",
            &r.by_agreement,
        ),
        Table {
            name: "highest",
            title: "Highest-effort cases",
            header: vec!["Case", "Subject", "Index", "Level", "Why"],
            rows: r
                .highest
                .iter()
                .map(|c| {
                    vec![
                        format!("#{}", c.case_id),
                        c.subject.clone(),
                        c.index.to_string(),
                        c.level.to_string(),
                        c.lines.join("; "),
                    ]
                })
                .collect(),
        },
    ]
}

fn percentile_row(what: &str, p: &Percentiles) -> Vec<String> {
    vec![
        what.to_owned(),
        p.cases.to_string(),
        seconds(p.p50_seconds),
        seconds(p.p90_seconds),
    ]
}

fn rate_row(what: &str, r: &Rate) -> Vec<String> {
    vec![
        what.to_owned(),
        r.count.to_string(),
        r.of.to_string(),
        percent(r.rate),
    ]
}

/// The service report's tables.
pub fn service(r: &ServiceReport) -> Vec<Table> {
    vec![
        Table {
            name: "times",
            title: "Response and resolution times (seconds)",
            header: vec!["Measure", "Cases", "p50", "p90"],
            rows: vec![
                percentile_row("First response", &r.first_response),
                percentile_row("Resolution", &r.resolution),
            ],
        },
        Table {
            name: "rates",
            title: "Rates",
            header: vec!["Measure", "Cases", "Of", "%"],
            rows: vec![
                rate_row("First-contact resolution", &r.first_contact_resolution),
                rate_row("Repeat contact", &r.repeat_contact),
                rate_row("Reopened", &r.reopened),
            ],
        },
        Table {
            name: "backlog",
            title: "Backlog (open at the end of each day)",
            header: vec!["Day", "Open cases"],
            rows: r
                .backlog
                .iter()
                .map(|d| vec![d.day.clone(), d.open.to_string()])
                .collect(),
        },
    ]
}

/// The survey report's tables.
pub fn surveys(r: &SurveyReport) -> Vec<Table> {
    let scores = |name, title, s: &tend_store::reports::ScoreSummary| Table {
        name,
        title,
        header: vec!["Score", "Answers"],
        rows: s
            .distribution
            .iter()
            .map(|c| vec![c.score.to_string(), c.answers.to_string()])
            .collect(),
    };
    vec![
        Table {
            name: "summary",
            title: "Survey summary",
            header: vec!["Measure", "Value"],
            rows: vec![
                vec!["Cases surveyed".into(), r.surveyed.to_string()],
                vec!["Cases answered".into(), r.answered.to_string()],
                vec!["Response rate %".into(), percent(r.response_rate)],
                vec!["CES answers".into(), r.ces.answers.to_string()],
                vec!["CES average".into(), one_decimal(r.ces.average)],
                vec!["CSAT answers".into(), r.csat.answers.to_string()],
                vec!["CSAT average".into(), one_decimal(r.csat.average)],
                vec![
                    "Effort index vs CES (Spearman)".into(),
                    r.calibration
                        .spearman
                        .map(|s| format!("{s:.2}"))
                        .unwrap_or_default(),
                ],
            ],
        },
        scores("ces", "CES answers (1 hard – 7 easy)", &r.ces),
        scores("csat", "CSAT answers (1–5)", &r.csat),
        Table {
            name: "calibration",
            title: "Effort index against CES",
            header: vec!["Effort index", "CES", "Cases"],
            rows: r
                .calibration
                .points
                .iter()
                .map(|p| {
                    vec![
                        p.effort_index.to_string(),
                        p.ces.to_string(),
                        p.cases.to_string(),
                    ]
                })
                .collect(),
        },
    ]
}

/// The table called `name`, or a message naming the ones there are.
pub fn pick(tables: Vec<Table>, name: Option<&str>) -> Result<Table, Invalid> {
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    let wanted = name.unwrap_or_default();
    let message = format!(
        "`{wanted}` is not a table here: use one of {}",
        names.join(", ")
    );
    tables
        .into_iter()
        .find(|t| t.name == wanted)
        .ok_or_else(|| Invalid::new("table", message))
}
