//! Related cases: agents link two cases about connected matters (kept
//! apart, unlike a merge). The links are the fold of each case's
//! `related_linked` and `related_unlinked` events; both cases record them.

use crate::Invalid;
use crate::event::EventData;
use crate::ids::CaseId;

/// Most cases one case may be linked to as related.
pub const MAX_RELATED: usize = 50;

/// The cases linked as related by a log's events, in the order linked.
pub fn related<'a>(events: impl IntoIterator<Item = &'a EventData>) -> Vec<CaseId> {
    let mut linked: Vec<CaseId> = Vec::new();
    for data in events {
        match data {
            EventData::RelatedLinked { case_id } if !linked.contains(case_id) => {
                linked.push(*case_id);
            }
            EventData::RelatedUnlinked { case_id } => linked.retain(|c| c != case_id),
            _ => {}
        }
    }
    linked
}

/// Checks case `id`, now related to `current`, may be linked to `other`
/// (`link`) or unlinked from it.
pub fn check_link(
    id: CaseId,
    other: CaseId,
    current: &[CaseId],
    link: bool,
) -> Result<(), Invalid> {
    let field = "case_id";
    if id == other {
        return Err(Invalid::new(field, "a case cannot be related to itself"));
    }
    let linked = current.contains(&other);
    match (link, linked) {
        (true, true) => Err(Invalid::new(
            field,
            format!("#{other} is already related to #{id}"),
        )),
        (true, false) if current.len() >= MAX_RELATED => Err(Invalid::new(
            field,
            format!("a case links at most {MAX_RELATED} related cases"),
        )),
        (false, false) => Err(Invalid::new(
            field,
            format!("#{other} is not related to #{id}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_fold_in_order_and_unlinks_remove() {
        let log = [
            EventData::RelatedLinked { case_id: CaseId(3) },
            EventData::RelatedLinked { case_id: CaseId(5) },
            EventData::RelatedUnlinked { case_id: CaseId(3) },
            EventData::RelatedLinked { case_id: CaseId(7) },
        ];
        assert_eq!(related(&log), vec![CaseId(5), CaseId(7)]);
        let now = related(&log);
        assert!(check_link(CaseId(1), CaseId(1), &now, true).is_err());
        assert!(check_link(CaseId(1), CaseId(5), &now, true).is_err());
        assert!(check_link(CaseId(1), CaseId(3), &now, false).is_err());
        assert!(check_link(CaseId(1), CaseId(3), &now, true).is_ok());
        assert!(check_link(CaseId(1), CaseId(5), &now, false).is_ok());
        let full: Vec<CaseId> = (10..10 + MAX_RELATED as i64).map(CaseId).collect();
        assert!(check_link(CaseId(1), CaseId(2), &full, true).is_err());
    }
}
