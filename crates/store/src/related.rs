//! Related cases: linking two cases (or unlinking them) in one transaction,
//! recorded on both logs. A case's links are the fold of its own log
//! ([`tend_domain::related`]), so no table holds them.

use crate::cases::{append, load_state, save_state};
use crate::model::Case;
use crate::rows::{CASE_COLUMNS, parse_json};
use crate::sql::Sql;
use crate::tx::{Tx, args};
use crate::{Result, Store, StoreError, now};
use tend_domain::Invalid;
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::CaseId;
use tend_domain::related::{check_link, related};

/// The events a case's related links fold from.
const LINK_EVENTS: &str = "SELECT data FROM case_events WHERE case_id = $1 \
     AND kind IN ('related_linked', 'related_unlinked') ORDER BY seq";

impl Store {
    /// Links cases `id` and `other` as related (`link`), or unlinks them:
    /// `related_linked` / `related_unlinked` on both logs. Refused, with
    /// nothing written, for a case and itself, an unknown other case, a
    /// link that already exists (or, unlinking, does not) and past
    /// [`tend_domain::related::MAX_RELATED`] links.
    pub async fn link_related(
        &self,
        id: CaseId,
        other: CaseId,
        actor: Actor,
        link: bool,
    ) -> Result<()> {
        self.case(id).await?;
        if let Err(StoreError::NotFound(_)) = self.case(other).await {
            return Err(Invalid::new("case_id", format!("there is no case #{other}")).into());
        }
        if id == other {
            // Refused before the write, which would lock the one row twice.
            check_link(id, other, &[], link)?;
        }
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                // Lock both rows in id order, so two opposite links cannot deadlock.
                let (low, high) = (id.min(other), id.max(other));
                let low_state = load_state(tx, dialect, low).await?;
                let high_state = load_state(tx, dialect, high).await?;
                let (mut mine, mut theirs) = if low == id {
                    (low_state, high_state)
                } else {
                    (high_state, low_state)
                };
                check_link(id, other, &related_in(tx, id).await?, link)?;
                check_link(other, id, &related_in(tx, other).await?, link)?;
                let (mine_before, theirs_before) = (mine.clone(), theirs.clone());
                let at = now();
                let event = |case_id| match link {
                    true => EventData::RelatedLinked { case_id },
                    false => EventData::RelatedUnlinked { case_id },
                };
                append(tx, id, &mut mine, actor, event(other), at).await?;
                append(tx, other, &mut theirs, actor, event(id), at).await?;
                save_state(tx, id, &mine, &mine_before).await?;
                save_state(tx, other, &theirs, &theirs_before).await?;
                Ok(())
            })
        })
        .await
    }

    /// The cases related to case `id`, in the order they were linked.
    pub async fn related_cases(&self, id: CaseId) -> Result<Vec<Case>> {
        let rows = sqlx::query(LINK_EVENTS)
            .bind(id.0)
            .fetch_all(&self.reader)
            .await?;
        let events = rows
            .iter()
            .map(|r| crate::rows::json::<EventData>(r, "data"))
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<i64> = related(&events).iter().map(|c| c.0).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id IN "));
        sql.id_list(&ids);
        let mut cases = sql
            .query()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(crate::rows::case)
            .collect::<Result<Vec<_>>>()?;
        cases.sort_by_key(|c| ids.iter().position(|id| *id == c.id.0));
        Ok(cases)
    }
}

/// The cases related to `id`, read inside a write.
async fn related_in(tx: &mut Tx, id: CaseId) -> Result<Vec<CaseId>> {
    let events = tx
        .fetch_all(LINK_EVENTS, args![id.0])
        .await?
        .iter()
        .map(|r| parse_json::<EventData>("data", &r.text("data")?))
        .collect::<Result<Vec<_>>>()?;
    Ok(related(&events))
}
