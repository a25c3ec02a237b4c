//! Full-text search over case subjects and message bodies: FTS5 with bm25 on
//! SQLite, tsvector with GIN and ts_rank on PostgreSQL. Relevance is ranked
//! among the most recent [`RANKING_WINDOW`] matches of each kind, so a word
//! that appears in half the database costs no more than a rare one; in a
//! service desk recent cases are the likely ones anyway. Snippets are made
//! only for the hits returned, then HTML-escaped with the matches wrapped in
//! `<mark>`.

use crate::model::{SearchHit, case_reference};
use crate::rows::{flag, get, word};
use crate::sql::Sql;
use crate::time::micros;
use crate::{Dialect, Result, Store};
use jiff::Timestamp;
use std::collections::HashMap;
use tend_domain::Invalid;
use tend_domain::case::Status;
use tend_domain::ids::{CaseId, MessageId, TeamId};

/// How many of the newest matches (per kind: subjects, messages) are ranked.
pub const RANKING_WINDOW: i64 = 1000;

/// Marks the database puts around matches; private-use characters, so they
/// never collide with escaping.
const START: char = '\u{E000}';
const STOP: char = '\u{E001}';

/// Words of a query: letters and digits only, so user input can never be
/// read as search syntax. At most 16 words.
pub fn query_terms(raw: &str) -> Result<Vec<String>, Invalid> {
    let terms: Vec<String> = raw
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect();
    if terms.is_empty() {
        return Err(Invalid::new("q", "give at least one word to search for"));
    }
    Ok(terms)
}

struct Candidate {
    case_id: CaseId,
    message_id: Option<MessageId>,
    score: f64,
}

/// Narrows a search to some cases: in given statuses, of a team, opened
/// within a time range. Empty narrows nothing.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub statuses: Vec<Status>,
    pub team_id: Option<TeamId>,
    /// Cases opened at or after this time.
    pub opened_from: Option<Timestamp>,
    /// Cases opened before this time.
    pub opened_before: Option<Timestamp>,
}

impl SearchFilter {
    fn is_empty(&self) -> bool {
        self.statuses.is_empty()
            && self.team_id.is_none()
            && self.opened_from.is_none()
            && self.opened_before.is_none()
    }

    /// Appends ` AND ...` for each condition, on cases aliased `c`.
    fn push_conditions(&self, sql: &mut Sql) {
        if !self.statuses.is_empty() {
            sql.push(" AND c.status IN (");
            for (i, status) in self.statuses.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.arg(status.as_str());
            }
            sql.push(")");
        }
        if let Some(team) = self.team_id {
            sql.push(" AND c.team_id = ").arg(team.0);
        }
        if let Some(from) = self.opened_from {
            sql.push(" AND c.created_at >= ").arg(micros(from));
        }
        if let Some(before) = self.opened_before {
            sql.push(" AND c.created_at < ").arg(micros(before));
        }
    }
}

impl Store {
    /// The `limit` best matches for `terms` (all must match) among the
    /// cases `filter` leaves.
    pub async fn search(
        &self,
        terms: &[String],
        filter: &SearchFilter,
        limit: i64,
    ) -> Result<Vec<SearchHit>> {
        self.catch_up_search_index().await?;
        // Cases are joined in (as `c`) only when the filter needs them.
        let narrowed = !filter.is_empty();
        let (match_expr, case_sql, message_sql) = match self.dialect {
            Dialect::Sqlite => (
                terms
                    .iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(" "),
                [
                    "SELECT id, case_id, score FROM (SELECT cases_fts.rowid AS id, cases_fts.rowid AS case_id, \
                     -bm25(cases_fts) AS score FROM cases_fts",
                    " JOIN cases c ON c.id = cases_fts.rowid",
                    " WHERE cases_fts MATCH $1",
                    " ORDER BY cases_fts.rowid DESC LIMIT $3) ORDER BY score DESC LIMIT $2",
                ],
                [
                    "SELECT f.id, m.case_id, f.score FROM (SELECT id, score FROM (SELECT messages_fts.rowid AS id, \
                     -bm25(messages_fts) AS score FROM messages_fts",
                    " JOIN messages mc ON mc.id = messages_fts.rowid JOIN cases c ON c.id = mc.case_id",
                    " WHERE messages_fts MATCH $1",
                    " ORDER BY messages_fts.rowid DESC LIMIT $3) ORDER BY score DESC LIMIT $2) f \
                     JOIN messages m ON m.id = f.id",
                ],
            ),
            Dialect::Postgres => (
                terms.join(" "),
                [
                    "SELECT id, case_id, score FROM (SELECT c.id, c.id AS case_id, \
                     ts_rank(c.search_vector, q)::float8 AS score FROM cases c",
                    "",
                    ", plainto_tsquery('english', $1) q WHERE c.search_vector @@ q",
                    " ORDER BY c.id DESC LIMIT $3) w ORDER BY score DESC LIMIT $2",
                ],
                [
                    "SELECT id, case_id, score FROM (SELECT m.id, m.case_id, \
                     ts_rank(m.search_vector, q)::float8 AS score FROM messages m",
                    " JOIN cases c ON c.id = m.case_id",
                    ", plainto_tsquery('english', $1) q WHERE m.search_vector @@ q",
                    " ORDER BY m.id DESC LIMIT $3) w ORDER BY score DESC LIMIT $2",
                ],
            ),
        };
        let mut candidates = Vec::new();
        for ([select, join, matching, rest], is_message) in [(case_sql, false), (message_sql, true)]
        {
            let mut sql = Sql::new(select);
            sql.bind(match_expr.as_str())
                .bind(limit)
                .bind(RANKING_WINDOW);
            if narrowed {
                sql.push(join);
            }
            sql.push(matching);
            filter.push_conditions(&mut sql);
            sql.push(rest);
            // Unprepared, so PostgreSQL plans for this very word: a generic
            // plan cannot tell a rare word (use the index) from a common one.
            let rows = sql
                .query()
                .persistent(false)
                .fetch_all(&self.reader)
                .await?;
            for row in rows {
                let id: i64 = get(&row, "id")?;
                candidates.push(Candidate {
                    case_id: CaseId(get(&row, "case_id")?),
                    message_id: is_message.then_some(MessageId(id)),
                    score: get(&row, "score")?,
                });
            }
        }
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        candidates.truncate(limit.max(0) as usize);
        self.hits(&match_expr, candidates).await
    }

    /// Adds case details and highlighted snippets to the chosen candidates.
    async fn hits(&self, match_expr: &str, candidates: Vec<Candidate>) -> Result<Vec<SearchHit>> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let case_ids: Vec<i64> = candidates.iter().map(|c| c.case_id.0).collect();
        let message_ids: Vec<i64> = candidates
            .iter()
            .filter_map(|c| c.message_id.map(|m| m.0))
            .collect();
        let (subject_sql, body_sql) = match self.dialect {
            Dialect::Sqlite => (
                format!(
                    "SELECT c.id, c.subject, c.status, highlight(cases_fts, 0, '{START}', '{STOP}') AS snippet \
                         FROM cases_fts JOIN cases c ON c.id = cases_fts.rowid WHERE cases_fts MATCH $1 AND c.id IN "
                ),
                format!(
                    "SELECT m.id, m.internal, snippet(messages_fts, 0, '{START}', '{STOP}', '…', 24) AS snippet \
                         FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid \
                         WHERE messages_fts MATCH $1 AND m.id IN "
                ),
            ),
            Dialect::Postgres => {
                let opts = format!(
                    "StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=10, MaxFragments=1"
                );
                (
                    format!(
                        "SELECT c.id, c.subject, c.status, ts_headline('english', c.subject, \
                             plainto_tsquery('english', $1), '{opts}') AS snippet FROM cases c WHERE c.id IN "
                    ),
                    format!(
                        "SELECT m.id, m.internal, ts_headline('english', m.body_text, \
                             plainto_tsquery('english', $1), '{opts}') AS snippet FROM messages m WHERE m.id IN "
                    ),
                )
            }
        };
        // Subjects of every case involved; the highlight is only used for subject hits.
        let mut cases = HashMap::new();
        let mut sql = Sql::new(subject_sql);
        sql.bind(match_expr);
        sql.id_list(&case_ids);
        for row in sql.query().fetch_all(&self.reader).await? {
            cases.insert(
                CaseId(get(&row, "id")?),
                (
                    get::<String>(&row, "subject")?,
                    word(&row, "status", Status::parse)?,
                    Some(get::<String>(&row, "snippet")?),
                ),
            );
        }
        // Cases that matched only through messages: plain subject, no highlight.
        let mut sql = Sql::new("SELECT id, subject, status FROM cases WHERE id IN ");
        sql.id_list(&case_ids);
        for row in sql.query().fetch_all(&self.reader).await? {
            cases.entry(CaseId(get(&row, "id")?)).or_insert((
                get(&row, "subject")?,
                word(&row, "status", Status::parse)?,
                None,
            ));
        }
        let mut bodies = HashMap::new();
        if !message_ids.is_empty() {
            let mut sql = Sql::new(body_sql);
            sql.bind(match_expr);
            sql.id_list(&message_ids);
            for row in sql.query().fetch_all(&self.reader).await? {
                bodies.insert(
                    MessageId(get(&row, "id")?),
                    (flag(&row, "internal")?, get::<String>(&row, "snippet")?),
                );
            }
        }
        let mut hits = Vec::with_capacity(candidates.len());
        for c in candidates {
            let Some((subject, status, subject_snippet)) = cases.get(&c.case_id) else {
                continue;
            };
            let (internal, raw_snippet) = match c.message_id {
                Some(m) => match bodies.get(&m) {
                    Some((internal, s)) => (*internal, s.clone()),
                    None => continue,
                },
                None => (
                    false,
                    subject_snippet.clone().unwrap_or_else(|| subject.clone()),
                ),
            };
            hits.push(SearchHit {
                case_id: c.case_id,
                case_reference: case_reference(c.case_id),
                case_subject: subject.clone(),
                case_status: *status,
                message_id: c.message_id,
                internal,
                snippet_html: highlight_html(&raw_snippet),
                score: c.score,
            });
        }
        Ok(hits)
    }
}

/// Escapes text for HTML and turns the match marks into `<mark>` tags.
fn highlight_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            START => out.push_str("<mark>"),
            STOP => out.push_str("</mark>"),
            c => tend_domain::html::push_escaped(&mut out, c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_drop_syntax_and_require_a_word() {
        assert_eq!(
            query_terms(r#"printer "NOT" OR* (jam)"#).unwrap(),
            ["printer", "not", "or", "jam"]
        );
        assert_eq!(query_terms("  -- ").unwrap_err().field, "q");
    }

    #[test]
    fn highlight_escapes_everything_but_the_marks() {
        let raw = format!("<b>{START}jam{STOP}</b> & more");
        assert_eq!(
            highlight_html(&raw),
            "&#60;b&#62;<mark>jam</mark>&#60;/b&#62; &#38; more"
        );
    }
}
