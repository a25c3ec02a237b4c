//! A case's tasks as its customer sees them: the ones they own, with due
//! times ("What you need to do"), and the others only as progress ("Parts
//! ordered — due Thursday", "done"), never who a third party is; and its
//! visits, with where they stand and the link to pick or change the time.

use crate::web::shared::expectation::{self, DueView};
use jiff::Timestamp;
use tend_domain::appointment::AppointmentStatus;
use tend_domain::ids::CaseId;
use tend_domain::task::{OwnerKind, TaskStatus};
use tend_store::tasks::Task;
use tend_store::{Store, StoreError};

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

/// One visit in the portal.
pub struct PortalVisit {
    pub type_name: String,
    pub status: AppointmentStatus,
    /// The window booked, for people.
    pub when: Option<String>,
    /// The visit's own page, while a time can still be picked or changed.
    pub link: Option<String>,
}

/// A case's visits for its customer, oldest first (cancelled ones left out).
pub async fn visits(store: &Store, case: CaseId) -> Result<Vec<PortalVisit>, StoreError> {
    let mut visits = Vec::new();
    for a in store.case_appointments(case).await? {
        if a.status == AppointmentStatus::Cancelled {
            continue;
        }
        let zone = crate::appointments::zone_of(store, &a).await?;
        let link = match a.status {
            AppointmentStatus::Offered | AppointmentStatus::Booked => {
                Some(crate::appointments::link::path(store, a.id)?)
            }
            _ => None,
        };
        visits.push(PortalVisit {
            when: a
                .starts_at
                .zip(a.ends_at)
                .map(|(from, to)| crate::appointments::window_text(from, to, &zone)),
            type_name: a.type_name,
            status: a.status,
            link,
        });
    }
    Ok(visits)
}
