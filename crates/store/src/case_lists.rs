//! What a case list shows beside each case's own columns: who the customer
//! is (and their organisation) and the start of the latest message. Read
//! for one page of cases at a time, a query each, so a list costs the same
//! whatever the table holds.

use crate::model::Case;
use crate::sql::Sql;
use crate::{Result, Store};
use sqlx::Row;
use std::collections::HashMap;
use tend_domain::ids::CaseId;
use tend_domain::text::preview;

/// Characters of a message read for its preview (more than a line shows).
const PREVIEW_READ: i64 = 400;
/// Characters a preview keeps.
const PREVIEW_CHARS: usize = 120;

/// A case's customer and latest message, as a list row shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedCase {
    pub customer_id: i64,
    pub customer: String,
    pub organization_id: Option<i64>,
    pub organization: Option<String>,
    /// The start of the latest message to or from the customer (internal
    /// notes left out), on one line; empty when there is none.
    pub preview: String,
}

impl Store {
    /// The customer and latest message of each of `cases` (one page).
    pub async fn listed_cases(&self, cases: &[Case]) -> Result<HashMap<CaseId, ListedCase>> {
        if cases.is_empty() {
            return Ok(HashMap::new());
        }
        let mut customer_ids: Vec<i64> = cases.iter().map(|c| c.customer_id.0).collect();
        customer_ids.sort_unstable();
        customer_ids.dedup();
        let mut sql = Sql::new(
            "SELECT c.id, c.name, c.organization_id, o.name AS organization FROM customers c \
             LEFT JOIN organizations o ON o.id = c.organization_id WHERE c.id IN ",
        );
        sql.id_list(&customer_ids);
        let mut customers: HashMap<i64, (String, Option<i64>, Option<String>)> = HashMap::new();
        for row in sql.query().fetch_all(&self.reader).await? {
            customers.insert(
                row.try_get("id")?,
                (
                    row.try_get("name")?,
                    row.try_get("organization_id")?,
                    row.try_get("organization")?,
                ),
            );
        }
        let case_ids: Vec<i64> = cases.iter().map(|c| c.id.0).collect();
        let mut sql = Sql::new(format!(
            "SELECT m.case_id, SUBSTR(m.body_text, 1, {PREVIEW_READ}) AS start FROM messages m \
             WHERE m.id IN (SELECT MAX(id) FROM messages WHERE internal = 0 AND case_id IN "
        ));
        sql.id_list(&case_ids).push(" GROUP BY case_id)");
        let mut previews: HashMap<i64, String> = HashMap::new();
        for row in sql.query().fetch_all(&self.reader).await? {
            previews.insert(
                row.try_get("case_id")?,
                preview(&row.try_get::<String, _>("start")?, PREVIEW_CHARS),
            );
        }
        Ok(cases
            .iter()
            .map(|case| {
                let (customer, organization_id, organization) = customers
                    .get(&case.customer_id.0)
                    .cloned()
                    .unwrap_or_default();
                let listed = ListedCase {
                    customer_id: case.customer_id.0,
                    customer,
                    organization_id,
                    organization,
                    preview: previews.remove(&case.id.0).unwrap_or_default(),
                };
                (case.id, listed)
            })
            .collect())
    }
}
