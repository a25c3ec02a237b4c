//! What every page shares: the signed-in frame, the sign-in and error pages,
//! and the small formatting helpers templates use.

use super::session::Session;
use askama::Template;
use jiff::Timestamp;
use tend_domain::agent::{Action, Role};
use tend_domain::case::Status;
use tend_store::model::{Agent, Team};

/// The frame around signed-in pages: who is signed in, the navigation and
/// the token for the sign-out form.
pub struct Layout {
    pub agent_name: String,
    pub csrf: String,
    /// The navigation entry to highlight (a view's slug).
    pub active: &'static str,
    /// Whether the agent may change cases (light agents only read).
    pub can_work: bool,
    /// Whether the agent may use the admin pages.
    pub can_admin: bool,
    /// Whether the agent may read the reports.
    pub can_report: bool,
    /// The agent's time zone and locale for exact times, empty for the
    /// browser's (tend.js writes the times).
    pub time_zone: String,
    pub locale: String,
    /// The agent's availability switch, shown in the header.
    pub available: bool,
}

impl Layout {
    pub fn new(session: &Session, active: &'static str) -> Self {
        let prefs = &session.web.preferences;
        Layout {
            agent_name: session.web.agent_name.clone(),
            csrf: session.web.csrf_token.clone(),
            active,
            can_work: session.role().may(Action::Work),
            can_admin: session.role().may(Action::Administer),
            can_report: session.role().may(Action::ViewReports),
            time_zone: prefs.time_zone.clone().unwrap_or_default(),
            locale: prefs.locale.clone().unwrap_or_default(),
            available: session.web.available,
        }
    }
}

/// One option of a select.
pub struct Choice {
    pub value: String,
    pub text: String,
    pub selected: bool,
}

impl Choice {
    /// Options from (value, text) pairs, selecting `current`.
    pub fn list<'a>(
        options: impl IntoIterator<Item = (&'a str, &'a str)>,
        current: &str,
    ) -> Vec<Choice> {
        options
            .into_iter()
            .map(|(value, text)| Choice {
                selected: value == current,
                value: value.to_owned(),
                text: text.to_owned(),
            })
            .collect()
    }

    /// A first option with an empty value (such as "Any status"), selected
    /// when `current` is empty.
    pub fn blank(text: &str, current: &str) -> Choice {
        Choice {
            value: String::new(),
            text: text.to_owned(),
            selected: current.is_empty(),
        }
    }

    /// Every status, labelled as people read it.
    pub fn statuses(current: &str) -> Vec<Choice> {
        Status::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                text: label(s.as_str()),
                selected: s.as_str() == current,
            })
            .collect()
    }

    /// "No team", then every team, selecting `current` (a team id or
    /// `none`).
    pub fn teams(teams: &[Team], current: &str) -> Vec<Choice> {
        let mut choices = Choice::list([("none", "No team")], current);
        choices.extend(teams.iter().map(|t| {
            let value = t.id.0.to_string();
            Choice {
                selected: value == current,
                value,
                text: t.name.clone(),
            }
        }));
        choices
    }

    /// The agents a case may be assigned to: active, and not light agents.
    pub fn assignable(agents: &[Agent], current: &str) -> Vec<Choice> {
        agents
            .iter()
            .filter(|a| a.active && a.role != Role::LightAgent)
            .map(|a| {
                let value = a.id.0.to_string();
                Choice {
                    selected: value == current,
                    value,
                    text: a.name.clone(),
                }
            })
            .collect()
    }
}

/// The sign-in form.
#[derive(Template)]
#[template(path = "signin.html")]
pub struct SignInPage {
    pub csrf: String,
    pub email: String,
    pub error: Option<String>,
}

/// A failure, with what to do next.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub message: String,
}

/// A word such as `pending_customer` as people read it.
pub fn label(word: &str) -> String {
    word.replace('_', " ")
}

/// A time as shown in lists and the timeline.
pub fn when(t: &Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// How long before `now` a time was, as lists show it: "just now",
/// "12 min ago", "2 d 15 h ago".
pub fn ago(t: &Timestamp, now: Timestamp) -> String {
    let seconds = now.as_second() - t.as_second();
    if seconds < 60 {
        "just now".into()
    } else {
        format!("{} ago", tend_domain::waiting::human_duration(seconds))
    }
}
