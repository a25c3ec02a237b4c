//! SLA policies: the list in the order they are tried (moved up and down),
//! the new-policy form, editing and deleting one. The form is read field
//! by field because its checkboxes (teams, inboxes, channels) repeat.

use super::{Confirm, layout, respond, settle};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::case::{Channel, Priority};
use tend_domain::ids::{AgreementId, OrganizationId, TeamId};
use tend_domain::sla::definition::{
    PriorityTargets, SlaConditions, SlaEscalation, SlaPolicyDefinition,
};
use tend_store::service_levels::policies::SlaPolicyRecord;

/// Where these pages live.
const HOME: &str = "/admin/sla";

/// Most fields one form may post.
const MAX_FIELDS: usize = 500;

/// The clocks a target row sets, as (form key, label).
const CLOCKS: [(&str, &str); 3] = [
    ("first_response", "First response"),
    ("next_response", "Next response"),
    ("resolution", "Resolution"),
];

/// The policy form as posted (or as filled in from a stored policy).
#[derive(Debug, Default)]
pub struct SlaForm {
    pairs: Vec<(String, String)>,
}

impl SlaForm {
    /// The value of `key` (the first, if it repeats), or empty.
    pub fn value(&self, key: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Whether `key` was posted with `value` (a ticked box).
    pub fn has(&self, key: &str, value: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == key && v == value)
    }

    fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn new_policy() -> Self {
        let on = |k: &str| (k.to_owned(), "on".to_owned());
        SlaForm {
            pairs: vec![
                on("enabled"),
                on("pause_when_pending"),
                on("pause_when_on_hold"),
                ("warn_before".into(), "30m".into()),
            ],
        }
    }

    fn of(definition: &SlaPolicyDefinition) -> Self {
        let mut pairs = vec![("name".to_owned(), definition.name.clone())];
        let mut flag = |key: &str, on: bool| {
            if on {
                pairs.push((key.to_owned(), "on".to_owned()));
            }
        };
        flag("enabled", definition.enabled);
        flag("pause_when_pending", definition.pause_when_pending);
        flag("pause_when_on_hold", definition.pause_when_on_hold);
        flag("notify", definition.escalation.notify);
        flag("raise_priority", definition.escalation.raise_priority);
        let c = &definition.conditions;
        let ids = |list: Vec<i64>| {
            list.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        pairs.extend([
            (
                "warn_before".into(),
                minutes_text(Some(definition.warn_before_minutes).filter(|m| *m > 0)),
            ),
            (
                "escalate_team".into(),
                definition
                    .escalation
                    .team_id
                    .map(|t| t.0.to_string())
                    .unwrap_or_default(),
            ),
            ("tags".into(), c.tags.join(", ")),
            (
                "organization_ids".into(),
                ids(c.organization_ids.iter().map(|o| o.0).collect()),
            ),
            (
                "agreement_ids".into(),
                ids(c.agreement_ids.iter().map(|a| a.0).collect()),
            ),
        ]);
        pairs.extend(
            c.team_ids
                .iter()
                .map(|t| ("team_ids".into(), t.0.to_string())),
        );
        pairs.extend(
            c.inbox_ids
                .iter()
                .map(|i| ("inbox_ids".into(), i.to_string())),
        );
        pairs.extend(
            c.channels
                .iter()
                .map(|ch| ("channels".into(), ch.as_str().to_owned())),
        );
        for t in &definition.targets {
            for ((key, _), minutes) in
                CLOCKS
                    .iter()
                    .zip([t.first_response, t.next_response, t.resolution])
            {
                pairs.push((
                    format!("{key}.{}", t.priority.as_str()),
                    minutes_text(minutes),
                ));
            }
        }
        SlaForm { pairs }
    }

    fn checked(&self) -> Result<SlaPolicyDefinition, Invalid> {
        let numbers = |field: &str| -> Result<Vec<i64>, Invalid> {
            self.value(field)
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|n| {
                    n.parse().map_err(|_| {
                        Invalid::new(field, format!("`{}` is not a number", n.escape_debug()))
                    })
                })
                .collect()
        };
        let ids = |field: &str| -> Result<Vec<i64>, Invalid> {
            self.all(field)
                .map(|n| {
                    n.parse()
                        .map_err(|_| Invalid::new(field, "choose from the list"))
                })
                .collect()
        };
        let conditions = SlaConditions {
            inbox_ids: ids("inbox_ids")?,
            team_ids: ids("team_ids")?.into_iter().map(TeamId).collect(),
            channels: self
                .all("channels")
                .map(|c| Channel::parse("channels", c))
                .collect::<Result<_, _>>()?,
            organization_ids: numbers("organization_ids")?
                .into_iter()
                .map(OrganizationId)
                .collect(),
            agreement_ids: numbers("agreement_ids")?
                .into_iter()
                .map(AgreementId)
                .collect(),
            tags: self
                .value("tags")
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        let mut targets = Vec::new();
        for priority in Priority::ALL {
            let minutes = |clock: &str| {
                let field = format!("{clock}.{}", priority.as_str());
                parse_minutes(&field, self.value(&field))
            };
            let t = PriorityTargets {
                priority: *priority,
                first_response: minutes("first_response")?,
                next_response: minutes("next_response")?,
                resolution: minutes("resolution")?,
            };
            if t.first_response.is_some() || t.next_response.is_some() || t.resolution.is_some() {
                targets.push(t);
            }
        }
        let escalate_team = match self.value("escalate_team") {
            "" => None,
            raw => Some(TeamId(raw.parse().map_err(|_| {
                Invalid::new("escalate_team", "choose a team from the list")
            })?)),
        };
        SlaPolicyDefinition {
            name: self.value("name").to_owned(),
            enabled: self.has("enabled", "on"),
            conditions,
            targets,
            pause_when_pending: self.has("pause_when_pending", "on"),
            pause_when_on_hold: self.has("pause_when_on_hold", "on"),
            warn_before_minutes: parse_minutes("warn_before", self.value("warn_before"))?
                .unwrap_or(0),
            escalation: SlaEscalation {
                notify: self.has("notify", "on"),
                raise_priority: self.has("raise_priority", "on"),
                team_id: escalate_team,
            },
        }
        .check()
    }
}

/// Minutes as an admin writes them: `90`, `45m`, `4h`, `1h 30m`; empty is
/// none.
pub fn parse_minutes(field: &str, raw: &str) -> Result<Option<u32>, Invalid> {
    let raw = raw.trim().to_ascii_lowercase();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || {
        Invalid::new(
            field,
            format!(
                "`{}` is not a duration: write 90, 45m, 4h or 1h 30m",
                raw.escape_debug()
            ),
        )
    };
    if raw.len() > 20 {
        return Err(bad());
    }
    let mut total: u32 = 0;
    let mut number = String::new();
    for c in raw.chars().filter(|c| !c.is_whitespace()) {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' if !number.is_empty() => {
                let n: u32 = number.parse().map_err(|_| bad())?;
                let scale = if c == 'h' { 60 } else { 1 };
                total = n
                    .checked_mul(scale)
                    .and_then(|n| total.checked_add(n))
                    .ok_or_else(bad)?;
                number.clear();
            }
            _ => return Err(bad()),
        }
    }
    if !number.is_empty() {
        total = number
            .parse::<u32>()
            .ok()
            .and_then(|n| total.checked_add(n))
            .ok_or_else(bad)?;
    }
    Ok(Some(total))
}

/// Minutes as the form shows them: `1h 30m`, `45m`; none is empty.
fn minutes_text(minutes: Option<u32>) -> String {
    match minutes {
        None => String::new(),
        Some(m) if m % 60 == 0 => format!("{}h", m / 60),
        Some(m) if m > 60 => format!("{}h {}m", m / 60, m % 60),
        Some(m) => format!("{m}m"),
    }
}

/// A policy as listed.
struct PolicyRow {
    id: i64,
    name: String,
    enabled: bool,
    /// "first response 1h, resolution 8h" per priority.
    summary: String,
}

impl PolicyRow {
    fn of(p: SlaPolicyRecord) -> Self {
        let summary = p
            .definition
            .targets
            .iter()
            .map(|t| {
                let parts: Vec<String> = CLOCKS
                    .iter()
                    .zip([t.first_response, t.next_response, t.resolution])
                    .filter_map(|((_, label), m)| {
                        m.map(|m| format!("{} {}", label.to_lowercase(), minutes_text(Some(m))))
                    })
                    .collect();
                format!("{}: {}", t.priority.as_str(), parts.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ");
        PolicyRow {
            id: p.id,
            name: p.definition.name,
            enabled: p.definition.enabled,
            summary: if summary.is_empty() {
                "no targets".into()
            } else {
                summary
            },
        }
    }
}

/// The choices the form offers.
struct Options {
    teams: Vec<Choice>,
    inboxes: Vec<Choice>,
    channels: Vec<Choice>,
    escalate_teams: Vec<Choice>,
    priorities: Vec<&'static str>,
    clocks: [(&'static str, &'static str); 3],
}

async fn options(s: &AppState, form: &SlaForm) -> Result<Options, WebError> {
    let teams = s.store.teams().await?;
    let pick = |key: &str, value: String, text: String| Choice {
        selected: form.has(key, &value),
        value,
        text,
    };
    let mut escalate_teams = vec![Choice {
        value: String::new(),
        text: "no handoff".into(),
        selected: form.value("escalate_team").is_empty(),
    }];
    escalate_teams.extend(
        teams
            .iter()
            .map(|t| pick("escalate_team", t.id.0.to_string(), t.name.clone())),
    );
    Ok(Options {
        teams: teams
            .iter()
            .map(|t| pick("team_ids", t.id.0.to_string(), t.name.clone()))
            .collect(),
        inboxes: s
            .store
            .inboxes()
            .await?
            .into_iter()
            .map(|i| pick("inbox_ids", i.id.to_string(), i.address))
            .collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| pick("channels", c.as_str().to_owned(), c.describe().to_owned()))
            .collect(),
        escalate_teams,
        priorities: Priority::ALL.iter().map(|p| p.as_str()).collect(),
        clocks: CLOCKS,
    })
}

#[derive(Template)]
#[template(path = "admin_sla.html")]
struct SlaListPage {
    layout: Layout,
    section: &'static str,
    policies: Vec<PolicyRow>,
    form: SlaForm,
    options: Options,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_sla_edit.html")]
struct SlaEditPage {
    layout: Layout,
    section: &'static str,
    id: i64,
    form: SlaForm,
    options: Options,
    error: Option<String>,
}

async fn render_list(
    s: &AppState,
    session: &Session,
    form: SlaForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let layout = layout(session)?;
    let page = SlaListPage {
        layout,
        section: "sla",
        policies: s
            .store
            .sla_policies()
            .await?
            .into_iter()
            .map(PolicyRow::of)
            .collect(),
        options: options(s, &form).await?,
        form,
        error,
    };
    respond(&page, &page.error)
}

async fn render_one(
    s: &AppState,
    session: &Session,
    id: i64,
    form: Option<SlaForm>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let layout = layout(session)?;
    let form = match form {
        Some(form) => form,
        None => SlaForm::of(&s.store.sla_policy(id).await?.definition),
    };
    let page = SlaEditPage {
        layout,
        section: "sla",
        id,
        options: options(s, &form).await?,
        form,
        error,
    };
    respond(&page, &page.error)
}

/// The posted form, bounded.
fn form_of(pairs: Vec<(String, String)>) -> Result<SlaForm, WebError> {
    if pairs.len() > MAX_FIELDS {
        return Err(WebError::Invalid(format!(
            "a form has at most {MAX_FIELDS} fields"
        )));
    }
    Ok(SlaForm {
        pairs: pairs.into_iter().filter(|(k, _)| k != "csrf").collect(),
    })
}

/// Lists the policies with the new-policy form.
pub async fn list(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    render_list(&s, &session, SlaForm::new_policy(), None).await
}

/// Creates a policy at the end of the order.
pub async fn create(
    State(s): State<AppState>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let form = form_of(form)?;
    let created = async {
        let definition = form.checked()?;
        Ok::<_, ApiError>(s.store.create_sla_policy(definition).await?)
    }
    .await;
    settle(created, HOME, |m| render_list(&s, &session, form, Some(m))).await
}

/// The form of one policy.
pub async fn edit(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    render_one(&s, &session, id, None, None).await
}

/// Saves a policy.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let form = form_of(form)?;
    let saved = async {
        let definition = form.checked()?;
        Ok::<_, ApiError>(s.store.update_sla_policy(id, definition).await?)
    }
    .await;
    settle(saved, HOME, |m| {
        render_one(&s, &session, id, Some(form), Some(m))
    })
    .await
}

/// Deletes a policy.
pub async fn delete(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Result<Response, WebError> {
    posted.session.require(Action::Administer)?;
    s.store.delete_sla_policy(id).await?;
    Ok(Redirect::to(HOME).into_response())
}

/// Where a policy (or rule) moves.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct MoveForm {
    pub(super) position: i64,
}

/// Moves a policy in the order.
pub async fn reorder(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<MoveForm>,
) -> Result<Response, WebError> {
    posted.session.require(Action::Administer)?;
    s.store.move_sla_policy(id, posted.form.position).await?;
    Ok(Redirect::to(HOME).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_admins_write_them() {
        assert_eq!(parse_minutes("f", "").unwrap(), None);
        assert_eq!(parse_minutes("f", "90").unwrap(), Some(90));
        assert_eq!(parse_minutes("f", "4h").unwrap(), Some(240));
        assert_eq!(parse_minutes("f", "1h 30m").unwrap(), Some(90));
        assert_eq!(parse_minutes("f", "45M").unwrap(), Some(45));
        for bad in ["h", "1d", "-5", "1h30x", "99999999999h"] {
            assert_eq!(parse_minutes("f", bad).unwrap_err().field, "f", "{bad}");
        }
        for m in [1, 45, 60, 90, 600, 1441] {
            assert_eq!(parse_minutes("f", &minutes_text(Some(m))).unwrap(), Some(m));
        }
    }
}
