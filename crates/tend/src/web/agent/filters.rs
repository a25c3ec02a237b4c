//! The filters every case view takes as GET parameters (status, priority,
//! team, assignee, tag, channel, effort level, customer and subject text), how they narrow
//! a view's own filter, and how they are carried in links and forms.

use super::case_page::new_assignee;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::Choice;
use std::collections::BTreeMap;
use tend_domain::Invalid;
use tend_domain::case::{Channel, Priority, Status, parse_tag};
use tend_domain::effort::EffortLevel;
use tend_domain::ids::{AgentId, CustomerId, TeamId};
use tend_store::cases::{AssigneeFilter, CaseFilter};
use tend_store::model::{Agent, Team};

/// The filter parameters, in the order the form shows them.
pub const NAMES: &[&str] = &[
    "status", "priority", "team", "assignee", "tag", "channel", "effort", "customer", "q",
];

/// Longest free-text filter value, in characters.
const MAX_TEXT: usize = 200;

/// A view's filters as given: the non-blank values of [`NAMES`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(BTreeMap<String, String>);

impl Filters {
    /// Filters from (name, value) pairs; blank values are dropped and an
    /// unknown name is an error.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Invalid> {
        let mut values = BTreeMap::new();
        for (name, value) in pairs {
            if !NAMES.contains(&name) {
                return Err(Invalid::new(
                    name,
                    format!("`{name}` is not a filter of case views"),
                ));
            }
            let value = value.trim();
            if !value.is_empty() {
                values.insert(name.to_owned(), value.to_owned());
            }
        }
        Ok(Filters(values))
    }

    /// The value of filter `name`, blank when not set.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    /// The set filters, by name.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The store filter these parameters ask for; `me` answers `assignee=me`.
    /// A bad value is refused with a message naming its filter.
    pub fn case_filter(&self, me: AgentId) -> Result<CaseFilter, WebError> {
        self.parse(me).map_err(WebError::field)
    }

    fn parse(&self, me: AgentId) -> Result<CaseFilter, Invalid> {
        let set = |name: &str| Some(self.get(name)).filter(|v| !v.is_empty());
        let text = |name: &str| -> Result<Option<String>, Invalid> {
            set(name)
                .map(|v| tend_domain::text::bounded(name, v, MAX_TEXT))
                .transpose()
        };
        let assignee = match set("assignee") {
            None => None,
            Some(raw) => Some(match new_assignee(raw, me)? {
                Some(agent) => AssigneeFilter::Agent(agent),
                None => AssigneeFilter::Nobody,
            }),
        };
        let team_id = set("team")
            .map(|raw| {
                raw.parse()
                    .map(TeamId)
                    .map_err(|_| Invalid::new("team", format!("`{raw}` is not a team")))
            })
            .transpose()?;
        // A customer is given by id, or by (part of) a name or an exact address.
        let (customer_id, customer_match) = match text("customer")? {
            Some(raw) => match raw.parse() {
                Ok(id) => (Some(CustomerId(id)), None),
                Err(_) => (None, Some(raw)),
            },
            None => (None, None),
        };
        Ok(CaseFilter {
            statuses: set("status")
                .map(|v| Status::parse("status", v))
                .transpose()?
                .into_iter()
                .collect(),
            priority: set("priority")
                .map(|v| Priority::parse("priority", v))
                .transpose()?,
            channel: set("channel")
                .map(|v| Channel::parse("channel", v))
                .transpose()?,
            effort_level: set("effort")
                .map(|v| EffortLevel::parse("effort", v))
                .transpose()?,
            assignee,
            team_id,
            tag: set("tag").map(|v| parse_tag("tag", v)).transpose()?,
            customer_id,
            customer_match,
            subject_contains: text("q")?,
            ..CaseFilter::default()
        })
    }

    /// A link to `path` with these filters, then `extra` parameters.
    pub fn link(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let pairs: Vec<(&str, &str)> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(extra.iter().copied())
            .collect();
        match serde_urlencoded::to_string(pairs) {
            Ok(query) if !query.is_empty() => format!("{path}?{query}"),
            _ => path.to_owned(),
        }
    }
}

/// Narrows a view's own filter (statuses, assignee and teams) by the
/// agent's filters; `None` when no case can match both.
pub fn narrow(view: CaseFilter, mut extra: CaseFilter) -> Option<CaseFilter> {
    extra.statuses = match (view.statuses.is_empty(), extra.statuses.is_empty()) {
        (true, _) => extra.statuses,
        (false, true) => view.statuses,
        (false, false) => {
            let both: Vec<Status> = extra
                .statuses
                .into_iter()
                .filter(|s| view.statuses.contains(s))
                .collect();
            if both.is_empty() {
                return None;
            }
            both
        }
    };
    extra.assignee = match (view.assignee, extra.assignee) {
        (Some(a), Some(b)) if a != b => return None,
        (a, b) => a.or(b),
    };
    extra.team_ids = view.team_ids;
    extra.awake_at = view.awake_at;
    extra.snoozed_at = view.snoozed_at;
    extra.followed_by = view.followed_by;
    extra.sla_running = view.sla_running;
    extra.sla_due_by = view.sla_due_by;
    Some(extra)
}

/// The filter form's options and values.
pub struct FilterForm {
    pub statuses: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub assignees: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub efforts: Vec<Choice>,
    pub tag: String,
    pub customer: String,
    pub q: String,
}

impl FilterForm {
    pub fn new(filters: &Filters, teams: &[Team], agents: &[Agent]) -> Self {
        let current = |name: &str| filters.get(name);
        let words = |all: &[&'static str], name: &str| -> Vec<Choice> {
            std::iter::once(Choice::blank("Any", current(name)))
                .chain(Choice::list(all.iter().map(|w| (*w, *w)), current(name)))
                .collect()
        };
        let team_ids: Vec<String> = teams.iter().map(|t| t.id.0.to_string()).collect();
        let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.as_str()).collect();
        let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        let efforts: Vec<&str> = EffortLevel::ALL.iter().map(|l| l.as_str()).collect();
        FilterForm {
            statuses: std::iter::once(Choice::blank("Any", current("status")))
                .chain(Choice::statuses(current("status")))
                .collect(),
            priorities: words(&priorities, "priority"),
            channels: words(&channels, "channel"),
            efforts: words(&efforts, "effort"),
            teams: std::iter::once(Choice::blank("Any", current("team")))
                .chain(Choice::list(
                    team_ids
                        .iter()
                        .zip(teams)
                        .map(|(id, t)| (id.as_str(), t.name.as_str())),
                    current("team"),
                ))
                .collect(),
            assignees: std::iter::once(Choice::blank("Anyone", current("assignee")))
                .chain(Choice::list(
                    [("me", "Me"), ("none", "Unassigned")],
                    current("assignee"),
                ))
                .chain(Choice::assignable(agents, current("assignee")))
                .collect(),
            tag: current("tag").to_owned(),
            customer: current("customer").to_owned(),
            q: current("q").to_owned(),
        }
    }
}
