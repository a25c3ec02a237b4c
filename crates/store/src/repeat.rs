//! Finding the recent case a new one repeats (see [`tend_domain::repeat`]),
//! inside a write transaction or, before PostgreSQL's one-statement case
//! opening, on the read pool; and linking or unlinking one by hand.

use crate::cases::NewCase;
use crate::rows::get;
use crate::time::micros;
use crate::tx::{Tx, args};
use crate::{Result, Store};
use jiff::{SignedDuration, Timestamp};
use sqlx::AnyPool;
use tend_domain::effort::EffortWeights;
use tend_domain::ids::{AgreementId, CaseId};
use tend_domain::repeat::{Earlier, find_repeat};

/// The customer's cases active since `$2`, the most recently active first:
/// the candidates a new case may repeat. A few are enough (the matter a
/// customer comes back about is among their latest), and this read runs on
/// the writer for every new case.
const RECENT: &str = "SELECT id, subject, agreement_id FROM cases \
     WHERE customer_id = $1 AND updated_at >= $2 AND merged_into_id IS NULL \
     ORDER BY updated_at DESC, id DESC LIMIT 8";

/// A repeat found for a new case: the case it repeats and why.
pub(crate) type Found = Option<(CaseId, String)>;

/// The start of the repeat window before `at`.
fn window_start(weights: &EffortWeights, at: Timestamp) -> i64 {
    let days = i64::from(weights.repeat_window_days);
    micros(at) - SignedDuration::from_hours(days * 24).as_micros() as i64
}

/// The case `new` repeats, read inside the write transaction.
pub(crate) async fn find_in(tx: &mut Tx, new: &NewCase, at: Timestamp) -> Result<Found> {
    let since = window_start(tx.effort(), at);
    let rows = tx
        .fetch_all(RECENT, args![new.customer_id.0, since])
        .await?;
    let earlier = rows
        .iter()
        .map(|r| {
            Ok(Earlier {
                id: CaseId(r.int("id")?),
                subject: r.text("subject")?,
                agreement_id: r.opt_int("agreement_id")?.map(AgreementId),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(find_repeat(&new.subject, new.agreement_id, &earlier))
}

/// The case `new` repeats, read on `pool` (before a write that cannot read).
pub(crate) async fn find_on(
    pool: &AnyPool,
    weights: &EffortWeights,
    new: &NewCase,
    at: Timestamp,
) -> Result<Found> {
    let rows = sqlx::query(RECENT)
        .bind(new.customer_id.0)
        .bind(window_start(weights, at))
        .fetch_all(pool)
        .await?;
    let earlier = rows
        .iter()
        .map(|r| {
            Ok(Earlier {
                id: CaseId(get(r, "id")?),
                subject: get(r, "subject")?,
                agreement_id: get::<Option<i64>>(r, "agreement_id")?.map(AgreementId),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(find_repeat(&new.subject, new.agreement_id, &earlier))
}

impl Store {
    /// Marks case `id` as a repeat of `of` (an agent's judgement), or, with
    /// `of` absent, says it repeats nothing.
    pub async fn link_repeat(
        &self,
        id: CaseId,
        of: Option<CaseId>,
        actor: tend_domain::event::Actor,
    ) -> Result<Vec<tend_domain::event::CaseEvent>> {
        use tend_domain::Invalid;
        use tend_domain::event::EventData;
        if of == Some(id) {
            return Err(Invalid::new("of", "a case cannot repeat itself").into());
        }
        if let Some(of) = of {
            let (case, earlier) = (self.case(id).await?, self.case(of).await);
            let earlier =
                earlier.map_err(|_| Invalid::new("of", format!("no case with id {of}")))?;
            if earlier.customer_id != case.customer_id {
                return Err(
                    Invalid::new("of", format!("case #{of} belongs to another customer")).into(),
                );
            }
        }
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                let mut state = crate::cases::load_state(tx, dialect, id).await?;
                let before = state.clone();
                let mut events = Vec::new();
                let current = state.effort.repeat_of;
                if current == of {
                    return Ok(events);
                }
                if let Some(old) = current {
                    let data = EventData::RepeatUnlinked { of: old };
                    events.push(
                        crate::cases::append(tx, id, &mut state, actor, data, crate::now()).await?,
                    );
                }
                if let Some(of) = of {
                    let data = EventData::RepeatLinked {
                        of,
                        reason: "linked by an agent".into(),
                    };
                    events.push(
                        crate::cases::append(tx, id, &mut state, actor, data, crate::now()).await?,
                    );
                }
                crate::cases::save_state(tx, id, &state, &before).await?;
                Ok(events)
            })
        })
        .await
    }
}
