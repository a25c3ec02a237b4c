//! A paged list of cases inside another page (a customer's own cases, the
//! other cases of their organisation, an organisation's cases): most
//! recent activity first, 25 at a time with "26–50 of N", read with the
//! store's indexed filter and keyset cursor, so a customer with thousands
//! of cases costs what one page costs.

use super::views::{COUNT_CAP, PAGE_SIZE, Row, page_range};
use crate::http::AppState;
use crate::web::shared::error::WebError;
use std::collections::HashMap;
use tend_domain::ids::AgentId;
use tend_store::cases::{CaseFilter, CaseSort};
use tend_store::cursor::Cursor;

/// One section's page of cases, ready to show.
pub struct CaseSection {
    /// The section's heading.
    pub title: String,
    /// Shown when the section has no case.
    pub empty: &'static str,
    /// Whether rows name the customer (a section of several customers).
    pub show_customer: bool,
    /// The section's element id, which its page links keep in view.
    pub anchor: &'static str,
    pub rows: Vec<Row>,
    /// "26–50 of 312", when the page shows any.
    pub range: Option<String>,
    /// Back to the first page, on a later page.
    pub first_page: Option<String>,
    pub next_page: Option<String>,
}

/// Where a section sits: the page's path and the prefix of its own query
/// parameters (`cursor`, `at`), so two sections page apart.
pub struct Placement<'a> {
    pub title: String,
    pub empty: &'static str,
    pub show_customer: bool,
    pub path: &'a str,
    pub prefix: &'static str,
    pub anchor: &'static str,
}

impl CaseSection {
    /// The page of `filter`'s cases that `params` ask for.
    pub async fn load(
        s: &AppState,
        filter: &CaseFilter,
        place: Placement<'_>,
        params: &[(String, String)],
        names: &HashMap<AgentId, String>,
    ) -> Result<Self, WebError> {
        let find = |name: &str| {
            let key = format!("{}{name}", place.prefix);
            params
                .iter()
                .find(|(k, v)| *k == key && !v.is_empty())
                .map(|(_, v)| v.as_str())
        };
        let cursor = find("cursor").map(Cursor::decode).transpose()?;
        let at = match find("at") {
            None => 1,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|at| (1..=i64::from(u32::MAX)).contains(at))
                .ok_or_else(|| {
                    WebError::Invalid(format!(
                        "`{}at` is the position of a page's first case (1 or more), not `{raw}`",
                        place.prefix
                    ))
                })?,
        };
        let paged = cursor.is_some();
        let page = s
            .store
            .cases(filter, CaseSort::UpdatedDesc, cursor, PAGE_SIZE)
            .await?;
        let total = s.store.count_cases(filter, COUNT_CAP).await?;
        let mut listed = s.store.listed_cases(&page.data).await?;
        let now = tend_store::now();
        let rows: Vec<Row> = page
            .data
            .into_iter()
            .map(|c| Row {
                listed: listed.remove(&c.id).unwrap_or_default(),
                ..Row::new(c, names, now)
            })
            .collect();
        let link = |pairs: &[(String, String)]| {
            let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
            match query.is_empty() {
                true => format!("{}#{}", place.path, place.anchor),
                false => format!("{}?{query}#{}", place.path, place.anchor),
            }
        };
        let next_at = at + rows.len() as i64;
        Ok(CaseSection {
            title: place.title,
            empty: place.empty,
            show_customer: place.show_customer,
            anchor: place.anchor,
            range: page_range(at, rows.len(), total),
            first_page: paged.then(|| link(&[])),
            next_page: page.next_cursor.map(|c| {
                link(&[
                    (format!("{}cursor", place.prefix), c),
                    (format!("{}at", place.prefix), next_at.to_string()),
                ])
            }),
            rows,
        })
    }
}
