//! Live counts for the navigation and the tab title: how many cases each
//! working view holds now, and when any case last changed, so an open list
//! knows to draw itself again; and the agent's unread notifications for the
//! header's bell. Polled by `assets/views.js` (which hands them on to
//! `assets/notifications.js`); counts are capped like the lists' own
//! ("more than 1,000").

use super::notifications::NEWEST;
use super::views::{COUNT_CAP, View};
use crate::http::reads::Reads;
use crate::web::shared::error::WebError;
use crate::web::shared::session::Session;
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use tend_domain::agent::Action;
use tend_store::notifications::Unread;

/// The views counted, in navigation order ("All cases" is not: it only grows).
const COUNTED: [View; 5] = [
    View::Mine,
    View::Team,
    View::Unassigned,
    View::Pending,
    View::Breached,
];

/// The counts and the change stamp.
#[derive(Serialize)]
pub struct Counts {
    /// Cases per view slug, up to one more than the cap ("1,000+").
    views: BTreeMap<&'static str, i64>,
    /// The cap: a count above it means "more than this".
    cap: i64,
    /// When any case last changed, in microseconds.
    changed: i64,
    /// The agent's unread notifications, for the bell.
    notifications: Unread,
}

/// `GET /views/counts`: the signed-in agent's view counts.
pub async fn counts(Reads(store): Reads, session: Session) -> Result<Json<Counts>, WebError> {
    session.require(Action::Read)?;
    let me = session.agent_id();
    let teams = store.agent(me).await?.team_ids;
    let mut views = BTreeMap::new();
    for view in COUNTED {
        let n = match view.filter(me, teams.clone(), store.clock().now()) {
            Some(filter) => store.count_cases(&filter, COUNT_CAP).await?,
            None => 0,
        };
        views.insert(view.slug(), n);
    }
    Ok(Json(Counts {
        views,
        cap: COUNT_CAP,
        changed: store.cases_changed_at().await?,
        notifications: store.unread_notifications(me, NEWEST).await?,
    }))
}
