//! Bulk changes from a case list: assign, set the status or add a tag on the
//! selected cases, each through the same store call as a single change (so
//! every case gets its own events). The outcome, including each case that
//! could not be changed, travels back to the list in a short-lived cookie.

use super::case_page::new_assignee;
use crate::http::AppState;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::session::{cookie, set_cookie};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use tend_domain::agent::Action;
use tend_domain::case::{CaseChange, Status, parse_tag};
use tend_domain::ids::CaseId;

/// The cookie carrying a bulk change's report to the next page.
const COOKIE: &str = "tend_bulk";
/// How long the report waits to be shown, in seconds.
const REPORT_LIFETIME: u64 = 60;
/// Most cases changed by one request.
const MAX_CASES: usize = 100;
/// Most failures reported one by one (the rest are counted).
const MAX_LISTED: usize = 10;
/// Longest failure message kept, in characters.
const MAX_FAILURE_CHARS: usize = 160;

/// What a bulk change did.
#[derive(Debug, Default)]
pub struct Report {
    pub updated: usize,
    /// Cases already as asked.
    pub unchanged: usize,
    /// Cases that could not be changed, with why.
    pub failures: Vec<String>,
    /// Failures beyond those listed.
    pub more_failures: usize,
    /// Why nothing was tried: the form was incomplete (no case selected,
    /// nothing chosen to change).
    pub notice: Option<String>,
}

impl Report {
    fn fail(&mut self, message: String) {
        if self.failures.len() < MAX_LISTED {
            self.failures
                .push(message.chars().take(MAX_FAILURE_CHARS).collect());
        } else {
            self.more_failures += 1;
        }
    }

    /// The report as a cookie value (urlencoded, so it needs no quoting).
    fn encode(&self) -> String {
        let counts = [
            ("updated", self.updated.to_string()),
            ("unchanged", self.unchanged.to_string()),
            ("more", self.more_failures.to_string()),
        ];
        let failures = self.failures.iter().map(|f| ("failed", f.clone()));
        let notice = self.notice.iter().map(|n| ("notice", n.clone()));
        serde_urlencoded::to_string(
            counts
                .into_iter()
                .chain(failures)
                .chain(notice)
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default()
    }

    /// The report a bulk change left for this request, if any.
    pub fn from_cookie(headers: &HeaderMap) -> Option<Report> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(cookie(headers, COOKIE)?).ok()?;
        let mut report = Report::default();
        for (k, v) in pairs {
            match k.as_str() {
                "updated" => report.updated = v.parse().ok()?,
                "unchanged" => report.unchanged = v.parse().ok()?,
                "more" => report.more_failures = v.parse().ok()?,
                "failed" => report.fail(v),
                "notice" => report.notice = Some(v.chars().take(MAX_FAILURE_CHARS).collect()),
                _ => return None,
            }
        }
        Some(report)
    }
}

/// The `Set-Cookie` value that removes a shown report.
pub fn clear_report(s: &AppState) -> Result<HeaderValue, WebError> {
    set_cookie(s, COOKIE, "", 0)
}

/// The bulk form, read field by field because `case` repeats.
struct BulkForm {
    /// The list page to go back to.
    back: String,
    cases: Vec<CaseId>,
    change: CaseChange,
}

impl BulkForm {
    /// What the form still lacks before anything can be tried, as the list
    /// says it: a case to change, or a change.
    fn missing(&self) -> Option<&'static str> {
        let change = &self.change;
        if self.cases.is_empty() {
            Some("Select at least one case, then choose what to change.")
        } else if change.assignee.is_none() && change.status.is_none() && change.add_tags.is_empty()
        {
            Some("Choose what to change: an assignee, a status or a tag to add.")
        } else {
            None
        }
    }

    fn parse(
        pairs: Vec<(String, String)>,
        me: tend_domain::ids::AgentId,
    ) -> Result<Self, WebError> {
        let mut back = String::from("/views/mine");
        let (mut picked, mut page, mut all) = (Vec::new(), Vec::new(), false);
        let mut change = CaseChange::default();
        let case_id = |raw: &str| {
            raw.parse()
                .map(CaseId)
                .map_err(|_| WebError::Invalid(format!("`{raw}` is not a case")))
        };
        for (name, value) in pairs {
            let value = value.trim();
            match name.as_str() {
                "csrf" => {}
                "back" => back = value.to_owned(),
                "case" => picked.push(case_id(value)?),
                "page" => page.push(case_id(value)?),
                "all" => all = !value.is_empty(),
                _ if value.is_empty() => {}
                "assignee" => {
                    change.assignee = Some(new_assignee(value, me).map_err(WebError::field)?);
                }
                "status" => {
                    change.status = Some(Status::parse("status", value).map_err(WebError::field)?);
                }
                "tag" => change.add_tags = vec![parse_tag("tag", value).map_err(WebError::field)?],
                other => {
                    return Err(WebError::Invalid(format!(
                        "`{other}` is not a field of the bulk form"
                    )));
                }
            }
        }
        // Only back to a case list of this site, never elsewhere, and only
        // as the list page wrote it: percent-encoded, so printable ASCII that
        // makes a valid `Location` header (checked before anything changes).
        let printable = back.chars().all(|c| c.is_ascii_graphic());
        if !back.starts_with("/views/") || back.contains('\\') || !printable {
            return Err(WebError::Invalid(
                "the form's return page is not a case list".into(),
            ));
        }
        let mut cases = if all { page } else { picked };
        cases.sort_unstable();
        cases.dedup();
        if cases.len() > MAX_CASES {
            return Err(WebError::Invalid(format!(
                "change at most {MAX_CASES} cases at once"
            )));
        }
        Ok(BulkForm {
            back,
            cases,
            change,
        })
    }
}

/// Applies one change to each selected case, then returns to the list (which
/// shows what happened, or what the form lacked).
pub async fn bulk(
    State(s): State<AppState>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let form = BulkForm::parse(form, session.agent_id())?;
    // An incomplete form goes back to the list, which says what is missing.
    let mut report = Report {
        notice: form.missing().map(str::to_owned),
        ..Report::default()
    };
    let cases = if report.notice.is_some() {
        Vec::new()
    } else {
        form.cases
    };
    for id in cases {
        match s.store.update_case(id, &form.change, session.actor()).await {
            Ok((_, events)) if events.is_empty() => report.unchanged += 1,
            Ok(_) => report.updated += 1,
            Err(e) => report.fail(match WebError::from(e) {
                WebError::NotFound => format!("#{id}: there is no such case"),
                other => format!("#{id}: {other}"),
            }),
        }
    }
    let cookie = set_cookie(&s, COOKIE, &report.encode(), REPORT_LIFETIME)?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&form.back)).into_response())
}
