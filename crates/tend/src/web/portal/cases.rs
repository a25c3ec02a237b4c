//! The signed-in customer's home (their cases and agreements), one case's
//! conversation without internal notes, replying with files, and the
//! attachments they may open.

use super::PortalError;
use super::resolve::UndoOffer;
use super::session::Customer;
use crate::brand::Brand;
use crate::http::AppState;
use crate::replies::MAX_BODY;
use crate::web::shared::csrf::{Posted, PostedWithFiles};
use crate::web::shared::error::WebError;
use crate::web::shared::expectation::{self, DueView, ExpectationView};
use crate::web::shared::layout::when;
use crate::web::shared::quote_view::QuoteView;
use crate::web::shared::timeline::{self, Entry, Names};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tend_domain::appointment::AppointmentStatus;
use tend_domain::case::{Channel, Status};
use tend_domain::ids::{AttachmentId, CaseId};
use tend_domain::text;
use tend_store::cursor::Cursor;
use tend_store::messages::NewMessage;
use tend_store::model::{Agreement, Case};

/// Cases on one page of the home.
const CASES_PER_PAGE: i64 = 25;
/// Messages on one page of a case.
const MESSAGES_PER_PAGE: i64 = 50;

/// One case in the customer's list.
pub struct CaseRow {
    pub id: i64,
    pub reference: String,
    pub subject: String,
    pub status: &'static str,
    pub updated: String,
    /// `updated` as RFC 3339, for `<time datetime>`.
    pub updated_at: String,
    /// Who opened it, when that is a colleague.
    pub colleague: Option<String>,
    /// When to expect our answer, while the customer waits for one.
    pub expect: Option<ExpectationView>,
}

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomePage<'a> {
    brand: &'a Brand,
    customer: &'a Customer,
    cases: Vec<CaseRow>,
    /// The query of the next page of cases, if there is one.
    more: Option<String>,
    agreements: Vec<Agreement>,
}

#[derive(Template)]
#[template(path = "portal_case.html")]
struct CasePage<'a> {
    brand: &'a Brand,
    customer: &'a Customer,
    case: Case,
    status: &'static str,
    timeline: Vec<Entry>,
    /// The query of the page of older messages, if there are any.
    older: Option<String>,
    agreement: Option<Agreement>,
    /// What we asked the customer to do on this case, as (RFC 3339 time,
    /// time as read, what).
    asked: Vec<(String, String, String)>,
    draft: String,
    error: Option<String>,
    /// The survey the customer may answer here, if any.
    survey: Option<super::survey::PortalSurvey>,
    /// When to expect our answer, while the customer waits for one.
    expect: Option<ExpectationView>,
    /// The open promises the customer may see, oldest first.
    promises: Vec<PortalPromise>,
    /// The case's quotes, oldest first, open ones with their buttons.
    quotes: Vec<QuoteView>,
    /// The case's visits, with the link to pick or change their time.
    visits: Vec<super::progress::PortalVisit>,
    /// The customer's own open tasks on the case.
    my_tasks: Vec<super::progress::PortalTask>,
    /// Everyone else's tasks, as progress.
    progress: Vec<super::progress::PortalTask>,
    /// The "Reopen" offer after the customer marked the case solved.
    undo: Option<UndoOffer>,
    /// How long a resolve can be undone, in minutes, as the confirmation
    /// says.
    undo_minutes: u64,
}

/// An open promise as the customer sees it: what, and by when (or in
/// which window).
pub struct PortalPromise {
    pub promise: String,
    pub from: Option<DueView>,
    pub due: DueView,
}

/// How a status reads to the customer.
pub fn status_words(status: Status) -> &'static str {
    match status {
        Status::New => "Received",
        Status::Open | Status::OnHold => "In progress",
        Status::PendingCustomer => "Waiting for your reply",
        Status::Resolved => "Resolved",
        Status::Closed => "Closed",
    }
}

/// `?after=` or `?before=`: where a page starts.
#[derive(Deserialize, Default)]
pub struct Paging {
    after: Option<String>,
    before: Option<String>,
}

fn cursor(raw: Option<&str>) -> Result<Option<Cursor>, WebError> {
    raw.map(|r| Cursor::decode(r).map_err(WebError::from))
        .transpose()
}

/// The customer's cases and agreements.
pub async fn home(
    State(s): State<AppState>,
    customer: Customer,
    Query(paging): Query<Paging>,
) -> Result<Response, PortalError> {
    let page = s
        .store
        .portal_cases(
            customer.id(),
            cursor(paging.after.as_deref())?,
            CASES_PER_PAGE,
        )
        .await?;
    let colleagues = timeline::customer_names(
        &s.store,
        page.data
            .iter()
            .map(|c| c.customer_id.0)
            .filter(|id| *id != customer.id().0),
    )
    .await?;
    let ids: Vec<CaseId> = page.data.iter().map(|c| c.id).collect();
    let promises = s.store.answer_promises(&ids).await?;
    let now = tend_store::now();
    let cases = page
        .data
        .into_iter()
        .map(|c| CaseRow {
            id: c.id.0,
            expect: expectation::for_case(&c, promises.get(&c.id).copied(), now),
            reference: c.reference,
            subject: c.subject,
            status: status_words(c.status),
            updated: when(&c.updated_at),
            updated_at: c.updated_at.to_string(),
            colleague: colleagues.get(&c.customer_id.0).cloned(),
        })
        .collect();
    let agreements = s.store.portal_agreements(customer.id()).await?;
    let page = HomePage {
        brand: &s.web.brand,
        customer: &customer,
        cases,
        more: page.next_cursor.map(|c| format!("after={c}")),
        agreements,
    };
    Ok(Html(page.render()?).into_response())
}

/// One case the customer may see.
pub async fn page(
    State(s): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
    Query(paging): Query<Paging>,
) -> Result<Response, PortalError> {
    let before = cursor(paging.before.as_deref())?;
    render(&s, &customer, CaseId(id), before, String::new(), None).await
}

/// Renders a case the customer may see, with `draft` in the reply box and
/// `error` (sent as 422) when a post was refused.
pub(super) async fn render(
    s: &AppState,
    customer: &Customer,
    id: CaseId,
    before: Option<Cursor>,
    draft: String,
    error: Option<String>,
) -> Result<Response, PortalError> {
    let case = s.store.portal_case(customer.id(), id).await?;
    // The case is checked above; its messages are read without notes.
    let messages = s
        .store
        .public_messages_newest_first(case.id, before, MESSAGES_PER_PAGE)
        .await?;
    let older = messages.next_cursor.map(|c| format!("before={c}"));
    let mut messages = messages.data;
    messages.reverse();
    let agents = s.store.agents().await?;
    let agent_names = agents.iter().map(|a| (a.id, a.name.clone())).collect();
    let mut others = timeline::other_writers(&s.store, case.customer_id, &messages).await?;
    others.insert(customer.id().0, "You".into());
    let owner = if case.customer_id == customer.id() {
        "You".to_owned()
    } else {
        s.store.customer(case.customer_id).await?.name
    };
    let none = (HashMap::new(), HashMap::new());
    let names = Names {
        agents: &agent_names,
        teams: &none.0,
        agreements: &none.1,
        customer: &owner,
        others: &others,
    };
    let timeline = timeline::build(messages, Vec::new(), &names, "/portal/attachments/");
    let agreement = match case.agreement_id {
        Some(a) => s.store.portal_agreement(customer.id(), a).await.ok(),
        None => None,
    };
    let asked = s
        .store
        .asked_of_customer(case.id)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.at.to_string(),
                when(&a.at),
                format!("{}: {}", a.kind.describe(), a.action),
            )
        })
        .collect();
    let survey = super::survey::PortalSurvey::load(s, customer, &case).await?;
    let now = tend_store::now();
    let expect = expectation::for_case(&case, s.store.answer_promise(case.id).await?, now);
    let undo = super::resolve::undo_offer(s, customer, &case, now).await?;
    let promises = s
        .store
        .promises(case.id)
        .await?
        .into_iter()
        .filter(|p| p.is_open() && p.visible_to_customer)
        .map(|p| PortalPromise {
            from: p.from.map(|f| expectation::due_view(f, now)),
            due: expectation::due_view(p.due_at, now),
            promise: p.promise,
        })
        .collect();
    let quotes = s.store.case_quotes(case.id).await?;
    let quotes = quotes.iter().map(QuoteView::of).collect();
    let (my_tasks, progress) = super::progress::split(s.store.tasks(case.id).await?, now);
    let visits = super::progress::visits(&s.store, case.id).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = CasePage {
        brand: &s.web.brand,
        customer,
        status: status_words(case.status),
        case,
        timeline,
        older,
        agreement,
        asked,
        draft,
        error,
        survey,
        expect,
        promises,
        quotes,
        visits,
        my_tasks,
        progress,
        undo,
        undo_minutes: s.web.portal_undo.as_secs() / 60,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The reply box.
#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
}

/// Adds the customer's reply (with files) to a case they may see.
pub async fn reply(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: PostedWithFiles<ReplyForm, Customer>,
) -> Result<Response, PortalError> {
    let PostedWithFiles {
        session: customer,
        form,
        files,
    } = posted;
    let case = s.store.portal_case(customer.id(), CaseId(id)).await?;
    if case.status == Status::Closed {
        let error = "This case is closed, so it cannot take replies. Open a new request instead.";
        return render(&s, &customer, case.id, None, form.body, Some(error.into())).await;
    }
    let checked = text::required("Your reply", &form.body, MAX_BODY)
        .map_err(WebError::field)
        .and_then(|body| Ok((body, crate::web::shared::upload::uploads(&s, files)?)));
    let (body, attachments) = match checked {
        Ok(checked) => checked,
        Err(e) => {
            return render(&s, &customer, case.id, None, form.body, Some(e.to_string())).await;
        }
    };
    let msg = NewMessage {
        attachments,
        ..NewMessage::text(customer.actor(), Channel::Portal, false, body)
    };
    s.store.add_message(case.id, msg, None, None).await?;
    Ok(Redirect::to(&format!("/portal/cases/{id}#latest")).into_response())
}

/// Records the customer's answer to the open survey of a case they may see
/// (see [`super::survey`]).
pub async fn survey(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<super::survey::AnswerForm, Customer>,
) -> Result<Response, PortalError> {
    let Posted {
        session: customer,
        form,
    } = posted;
    let case = s.store.portal_case(customer.id(), CaseId(id)).await?;
    match super::survey::record(&s, &customer, &case, form).await? {
        None => Ok(Redirect::to(&format!("/portal/cases/{id}#survey")).into_response()),
        Some(error) => render(&s, &customer, case.id, None, String::new(), Some(error)).await,
    }
}

/// An attachment of a message the customer may read; anything else,
/// internal notes' files included, is not found.
pub async fn attachment(
    State(s): State<AppState>,
    customer: Customer,
    Path(id): Path<i64>,
) -> Result<Response, PortalError> {
    let (meta, case, internal) = s.store.attachment(AttachmentId(id)).await?;
    if internal {
        return Err(WebError::NotFound.into());
    }
    s.store.portal_case(customer.id(), case).await?;
    let data = s.store.blob(&meta.sha256).await?;
    Ok(crate::http::download(
        data,
        &meta.content_type,
        &meta.filename,
    ))
}
