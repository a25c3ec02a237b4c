//! The SLA badge of a case, in lists and on its page: "due in 25 min",
//! "breached 2 h ago" or "paused". `sla.js` keeps the words up to date
//! from the due time the badge carries, so it counts down without a
//! reload.

use jiff::Timestamp;
use tend_domain::waiting::human_duration;
use tend_store::model::CaseSlaSummary;

/// Within this many seconds of its due time a badge shows seconds too.
const SECONDS_SHOWN_WITHIN: i64 = 300;
/// Within this many seconds of its due time a badge is "soon".
const SOON_WITHIN: i64 = 3600;

/// A badge as drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaBadge {
    /// `due`, `soon`, `breached` or `paused`: the CSS class's suffix.
    pub state: &'static str,
    pub text: String,
    /// The due time (RFC 3339) the script counts towards.
    pub due_at: Option<String>,
    /// The server's time when the badge was drawn (RFC 3339): the script
    /// counts by the server's clock, not the browser's.
    pub drawn_at: String,
}

/// A span of seconds, with its seconds when short.
fn span(seconds: i64) -> String {
    let seconds = seconds.abs();
    if seconds < SECONDS_SHOWN_WITHIN {
        format!("{} min {} s", seconds / 60, seconds % 60)
    } else {
        human_duration(seconds)
    }
}

/// The badge of clock due at `due_at`, seen at `now`.
pub fn due_badge(due_at: Timestamp, now: Timestamp) -> SlaBadge {
    let left = due_at.as_second() - now.as_second();
    let (state, text) = if left <= 0 {
        ("breached", format!("breached {} ago", span(left)))
    } else if left <= SOON_WITHIN {
        ("soon", format!("due in {}", span(left)))
    } else {
        ("due", format!("due in {}", span(left)))
    };
    SlaBadge {
        state,
        text,
        due_at: Some(due_at.to_string()),
        drawn_at: now.to_string(),
    }
}

/// The badge of a case's SLA, if it has a running or paused clock.
pub fn badge(sla: &CaseSlaSummary, now: Timestamp) -> Option<SlaBadge> {
    match (sla.due_at, sla.clock.as_deref()) {
        (Some(due_at), _) => Some(due_badge(due_at, now)),
        (None, Some("paused")) => Some(SlaBadge {
            state: "paused",
            text: "SLA paused".into(),
            due_at: None,
            drawn_at: now.to_string(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn badges_read_by_how_close_the_due_time_is() {
        assert_eq!(due_badge(at(25 * 60), at(0)).text, "due in 25 min");
        assert_eq!(due_badge(at(25 * 60), at(0)).state, "soon");
        assert_eq!(due_badge(at(5 * 3600), at(0)).state, "due");
        assert_eq!(due_badge(at(95), at(0)).text, "due in 1 min 35 s");
        let late = due_badge(at(0), at(2 * 3600 + 60));
        assert_eq!(
            (late.state, late.text.as_str()),
            ("breached", "breached 2 h 1 min ago")
        );
        let paused = CaseSlaSummary {
            policy_id: Some(1),
            clock: Some("paused".into()),
            due_at: None,
        };
        assert_eq!(badge(&paused, at(0)).unwrap().state, "paused");
        assert_eq!(badge(&CaseSlaSummary::default(), at(0)), None);
    }
}
