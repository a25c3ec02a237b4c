//! Automation rules: the list in the order they run (moved up and down,
//! enabled and disabled, with how often each acted and its latest error),
//! the rule form (its trigger as fields, its conditions and actions as
//! JSON, see docs/service-rules.md) and a dry run of the form as typed.

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
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::case::Status;
use tend_domain::rules::{RuleDefinition, RuleEvent, RuleTrigger};
use tend_store::rules::RuleRecord;
use tend_store::rules::dry_run::DryRun;

/// Where these pages live.
const HOME: &str = "/admin/rules";

/// The rule form as posted (or filled in from a stored rule).
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    name: String,
    enabled: Option<String>,
    on: String,
    status: String,
    after_hours: String,
    conditions: String,
    actions: String,
}

impl Default for RuleForm {
    fn default() -> Self {
        RuleForm {
            name: String::new(),
            enabled: Some("on".into()),
            on: RuleEvent::CaseCreated.as_str().into(),
            status: String::new(),
            after_hours: String::new(),
            conditions: "{}".into(),
            actions: r#"[{"do": "add_tags", "tags": ["new"]}]"#.into(),
        }
    }
}

impl RuleForm {
    fn of(definition: &RuleDefinition) -> Self {
        let pretty = |value: serde_json::Value| {
            serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
        };
        RuleForm {
            name: definition.name.clone(),
            enabled: definition.enabled.then(|| "on".into()),
            on: definition.when.on.as_str().into(),
            status: definition
                .when
                .status
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            after_hours: definition
                .when
                .after_hours
                .map(|h| h.to_string())
                .unwrap_or_default(),
            conditions: pretty(serde_json::to_value(&definition.conditions).unwrap_or_default()),
            actions: pretty(serde_json::to_value(&definition.actions).unwrap_or_default()),
        }
    }

    fn checked(&self) -> Result<RuleDefinition, Invalid> {
        let json = |field: &str, raw: &str| -> Result<serde_json::Value, Invalid> {
            serde_json::from_str(raw)
                .map_err(|e| Invalid::new(field, format!("not valid JSON: {e}")))
        };
        let when = RuleTrigger {
            on: RuleEvent::parse("on", &self.on)?,
            status: match self.status.as_str() {
                "" => None,
                raw => Some(Status::parse("status", raw)?),
            },
            after_hours: match self.after_hours.trim() {
                "" => None,
                raw => Some(
                    raw.parse()
                        .map_err(|_| Invalid::new("after_hours", "write a number of hours"))?,
                ),
            },
        };
        let definition = RuleDefinition {
            name: self.name.clone(),
            enabled: self.enabled.is_some(),
            when,
            conditions: serde_json::from_value(json("conditions", &self.conditions)?)
                .map_err(|e| Invalid::new("conditions", e.to_string()))?,
            actions: serde_json::from_value(json("actions", &self.actions)?)
                .map_err(|e| Invalid::new("actions", e.to_string()))?,
        };
        definition.check()
    }

    fn events(&self) -> Vec<Choice> {
        RuleEvent::ALL
            .iter()
            .map(|e| Choice {
                value: e.as_str().into(),
                text: e.as_str().replace('_', " "),
                selected: self.on == e.as_str(),
            })
            .collect()
    }

    fn statuses(&self) -> Vec<Choice> {
        std::iter::once(("", "any status"))
            .chain(Status::ALL.iter().map(|s| (s.as_str(), s.as_str())))
            .map(|(value, text)| Choice {
                value: value.into(),
                text: text.into(),
                selected: self.status == value,
            })
            .collect()
    }
}

/// A rule as listed.
struct RuleRow {
    id: i64,
    name: String,
    enabled: bool,
    when: String,
    fired: i64,
    failures: i64,
    last_error: Option<String>,
}

impl RuleRow {
    fn of(r: RuleRecord) -> Self {
        let when = &r.definition.when;
        let mut text = when.on.as_str().replace('_', " ");
        if let Some(status) = when.status {
            text.push_str(&format!(" to {status}"));
        }
        if let Some(hours) = when.after_hours {
            text = format!("{hours} h after {text}");
        }
        RuleRow {
            id: r.id,
            name: r.definition.name,
            enabled: r.definition.enabled,
            when: text,
            fired: r.fired,
            failures: r.failures,
            last_error: r.last_error.map(|e| match r.last_error_case_id {
                Some(case) => format!("#{case}: {e}"),
                None => e,
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_rules.html")]
struct RulesPage {
    layout: Layout,
    section: &'static str,
    rules: Vec<RuleRow>,
    form: RuleForm,
    dry_run: Option<DryRun>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_rule_edit.html")]
struct RuleEditPage {
    layout: Layout,
    section: &'static str,
    id: i64,
    form: RuleForm,
    error: Option<String>,
}

async fn render_list(
    s: &AppState,
    session: &Session,
    form: RuleForm,
    dry_run: Option<DryRun>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let page = RulesPage {
        layout: layout(session)?,
        section: "rules",
        rules: s
            .store
            .rules()
            .await?
            .into_iter()
            .map(RuleRow::of)
            .collect(),
        form,
        dry_run,
        error,
    };
    respond(&page, &page.error)
}

async fn render_one(
    s: &AppState,
    session: &Session,
    id: i64,
    form: Option<RuleForm>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let layout = layout(session)?;
    let form = match form {
        Some(form) => form,
        None => RuleForm::of(&s.store.rule(id).await?.definition),
    };
    let page = RuleEditPage {
        layout,
        section: "rules",
        id,
        form,
        error,
    };
    respond(&page, &page.error)
}

/// Lists the rules with the new-rule form.
pub async fn list(State(s): State<AppState>, session: Session) -> Result<Response, WebError> {
    render_list(&s, &session, RuleForm::default(), None, None).await
}

/// Creates a rule at the end of the order.
pub async fn create(
    State(s): State<AppState>,
    posted: Posted<RuleForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let created = async { Ok::<_, ApiError>(s.store.create_rule(form.checked()?).await?) }.await;
    settle(created, HOME, |m| {
        render_list(&s, &session, form, None, Some(m))
    })
    .await
}

/// Shows which cases the form's rule would have acted on in the last 7
/// days; nothing is saved.
pub async fn dry_run(
    State(s): State<AppState>,
    posted: Posted<RuleForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let definition = match form.checked() {
        Ok(definition) => definition,
        Err(e) => {
            let message = format!("{}: {}", e.field, e.message);
            return render_list(&s, &session, form, None, Some(message)).await;
        }
    };
    let run = s
        .store
        .dry_run_rule(&definition, s.store.clock().now())
        .await?;
    render_list(&s, &session, form, Some(run), None).await
}

/// The form of one rule.
pub async fn edit(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    render_one(&s, &session, id, None, None).await
}

/// Saves a rule.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<RuleForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Administer)?;
    let saved = async { Ok::<_, ApiError>(s.store.update_rule(id, form.checked()?).await?) }.await;
    settle(saved, HOME, |m| {
        render_one(&s, &session, id, Some(form), Some(m))
    })
    .await
}

/// Deletes a rule.
pub async fn delete(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Confirm>,
) -> Result<Response, WebError> {
    posted.session.require(Action::Administer)?;
    s.store.delete_rule(id).await?;
    Ok(Redirect::to(HOME).into_response())
}

/// Whether a rule is to be on.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EnabledForm {
    enabled: bool,
}

/// Turns a rule on or off.
pub async fn enabled(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<EnabledForm>,
) -> Result<Response, WebError> {
    posted.session.require(Action::Administer)?;
    let mut definition = s.store.rule(id).await?.definition;
    definition.enabled = posted.form.enabled;
    s.store.update_rule(id, definition).await?;
    Ok(Redirect::to(HOME).into_response())
}

/// Moves a rule in the order.
pub async fn reorder(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<super::sla::MoveForm>,
) -> Result<Response, WebError> {
    posted.session.require(Action::Administer)?;
    s.store.move_rule(id, posted.form.position).await?;
    Ok(Redirect::to(HOME).into_response())
}
