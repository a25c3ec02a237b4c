//! The SLA panel of the case page: the policy that applies and each of its
//! clocks (a counting-down badge while running, what is left while paused,
//! when it was met), folded from the case's log at page time.

use crate::http::AppState;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::when;
use crate::web::shared::sla_badge::{SlaBadge, due_badge};
use crate::web::shared::timeline::clock_name;
use tend_domain::ids::CaseId;
use tend_domain::sla::ClockState;
use tend_domain::waiting::human_duration;

/// One clock's line.
pub struct ClockLine {
    pub name: &'static str,
    /// A running clock's badge.
    pub badge: Option<SlaBadge>,
    /// Otherwise, its state in words.
    pub text: String,
}

/// The panel: none when no policy covers the case.
pub struct SlaPanel {
    pub policy_id: i64,
    pub policy_name: String,
    pub clocks: Vec<ClockLine>,
}

impl SlaPanel {
    /// The panel of case `id` now.
    pub async fn load(s: &AppState, id: CaseId) -> Result<Option<SlaPanel>, WebError> {
        let now = s.store.clock().now();
        let Some(sla) = s.store.case_sla(id, now).await? else {
            return Ok(None);
        };
        let clocks = sla
            .status
            .clocks()
            .into_iter()
            .filter(|(_, state)| *state != ClockState::Off)
            .map(|(clock, state)| {
                let (badge, text) = match state {
                    ClockState::Running { due_at, .. } => {
                        (Some(due_badge(due_at, now)), String::new())
                    }
                    ClockState::Paused { remaining_seconds } if remaining_seconds < 0 => (
                        None,
                        format!("paused, {} over", human_duration(-remaining_seconds)),
                    ),
                    ClockState::Paused { remaining_seconds } => (
                        None,
                        format!("paused, {} left", human_duration(remaining_seconds)),
                    ),
                    ClockState::Met { at, late: true } => {
                        (None, format!("met late, {}", when(&at)))
                    }
                    ClockState::Met { at, late: false } => (None, format!("met, {}", when(&at))),
                    ClockState::Off => (None, String::new()),
                };
                ClockLine {
                    name: clock_name(clock),
                    badge,
                    text,
                }
            })
            .collect();
        Ok(Some(SlaPanel {
            policy_id: sla.policy_id,
            policy_name: sla.policy_name,
            clocks,
        }))
    }
}
