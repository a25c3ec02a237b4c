//! A case's tasks as its customer sees them: the ones they own, with due
//! times ("What you need to do"), and the others only as progress ("Parts
//! ordered — due Thursday", "done"), never who a third party is.

use crate::web::shared::expectation::{self, DueView};
use jiff::Timestamp;
use tend_domain::task::{OwnerKind, TaskStatus};
use tend_store::tasks::Task;

/// One task in the portal.
pub struct PortalTask {
    pub title: String,
    pub due: Option<DueView>,
    pub done: bool,
}

/// A case's tasks for its customer: (theirs still open, everyone else's
/// not cancelled), each in checklist order.
pub fn split(tasks: Vec<Task>, now: Timestamp) -> (Vec<PortalTask>, Vec<PortalTask>) {
    let (mut mine, mut progress) = (Vec::new(), Vec::new());
    for t in tasks {
        let view = PortalTask {
            due: t.due_at.map(|d| expectation::due_view(d, now)),
            done: t.status == TaskStatus::Done,
            title: t.title,
        };
        match (t.owner.kind, t.status) {
            (_, TaskStatus::Cancelled) => {}
            (OwnerKind::Customer, TaskStatus::Open) => mine.push(view),
            (OwnerKind::Customer, _) => {}
            _ => progress.push(view),
        }
    }
    (mine, progress)
}
