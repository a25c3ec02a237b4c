//! What customers were promised about answer times: the due time of the
//! case's running SLA response clock (first or next response) when an SLA
//! policy covers it, else the first-reply hours of the inbox a case
//! belongs to (the one its customer's latest email came in on, else the
//! first inbox, which answers web and portal requests).

use crate::rows::get;
use crate::sql::Sql;
use crate::{Result, Store};
use std::collections::HashMap;
use tend_domain::expectation::Promise;
use tend_domain::ids::CaseId;

impl Store {
    /// The answer-time promise of each of `cases` that has one.
    pub async fn answer_promises(&self, cases: &[CaseId]) -> Result<HashMap<CaseId, Promise>> {
        if cases.is_empty() {
            return Ok(HashMap::new());
        }
        let mut sql = Sql::new(
            "SELECT c.id, c.sla_clock, c.sla_due_at, i.first_reply_hours FROM cases c \
             LEFT JOIN inboxes i ON i.id = COALESCE(\
             (SELECT m.email_inbox_id FROM messages m WHERE m.case_id = c.id \
             AND m.email_inbox_id IS NOT NULL AND m.author_kind = 'customer' ORDER BY m.id DESC LIMIT 1), \
             (SELECT MIN(f.id) FROM inboxes f)) WHERE c.id IN ",
        );
        sql.id_list(&cases.iter().map(|c| c.0).collect::<Vec<_>>());
        let mut promises = HashMap::new();
        for row in sql.query().fetch_all(&self.reader).await? {
            let hours: Option<i64> = get(&row, "first_reply_hours")?;
            let clock: Option<String> = get(&row, "sla_clock")?;
            let sla = crate::rows::optional_time(&row, "sla_due_at")?
                .filter(|_| matches!(clock.as_deref(), Some("first_response" | "next_response")))
                .map(Promise::at);
            if let Some(promise) = sla.or_else(|| Promise::from_first_reply_hours(hours)) {
                promises.insert(CaseId(get(&row, "id")?), promise);
            }
        }
        Ok(promises)
    }

    /// The answer-time promise of one case, if it has one.
    pub async fn answer_promise(&self, case: CaseId) -> Result<Option<Promise>> {
        Ok(self.answer_promises(&[case]).await?.remove(&case))
    }
}
