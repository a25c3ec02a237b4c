//! Quotes on cases ([`tend_domain::quote`]): sent by an agent, who may
//! work cases, as a reply to the customer with the PDF attached and links
//! to approve or decline; read by anyone with a token. Customers decide
//! from the email's links or the portal, never through the API.

use super::extract::{Id, IdempotencyHeader, Json, Principal};
use super::idempotency::Create;
use crate::http::error::ApiResult;
use crate::http::{AppState, download};
use crate::quotes::send::Sending;
use axum::extract::State;
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::ids::{CaseId, QuoteId};
use tend_domain::quote::{Quote, QuoteLine};
use tend_store::quotes::QuoteRecord;
use utoipa::ToSchema;

/// A quote to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendQuote {
    /// ISO 4217 code: three upper-case letters.
    currency: String,
    /// 1 to 100 lines.
    lines: Vec<QuoteLine>,
    /// Until when the customer may decide: in the future, at most 365
    /// days ahead (RFC 3339).
    valid_until: Timestamp,
}

/// Case `id`'s quotes, oldest first.
#[utoipa::path(get, path = "/cases/{id}/quotes", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, description = "The case's quotes", body = Vec<QuoteRecord>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Vec<QuoteRecord>>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.case_quotes(CaseId(id)).await?))
}

/// Sends a quote on case `id`: a reply to the customer listing the lines
/// and totals (tax rounded per line, half away from zero, in minor
/// units), with the PDF attached and one-click links to approve or
/// decline; emailed when the case has an email conversation. Records
/// `quote_sent`. The customer's decision records `quote_approved` or
/// `quote_declined`, which rules can act on.
#[utoipa::path(post, path = "/cases/{id}/quotes", tag = "quotes", params(("id" = i64, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = SendQuote,
    responses((status = 201, description = "The quote, sent", body = QuoteRecord)))]
pub async fn send(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    idem: IdempotencyHeader,
    body: Json<SendQuote>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let key = body.idempotency_key(&me, &idem);
    let req = &body.value;
    let quote = Quote::checked(
        &req.currency,
        &req.lines,
        req.valid_until,
        s.store.clock().now(),
    )?;
    let sending = Sending {
        store: &s.store,
        public_url: &s.web.public_url,
        business: &s.web.brand.name,
        agent: me.agent_id,
    };
    let sent = sending.send(CaseId(id), quote, key.as_ref());
    Create {
        store: &s.store,
        key: key.as_ref(),
        resource: "quote",
        collection: "/api/v1/quotes",
    }
    .respond(
        sent,
        |id| s.store.quote(QuoteId(id)),
        |q: &QuoteRecord| q.id.0,
    )
    .await
}

/// One quote.
#[utoipa::path(get, path = "/quotes/{id}", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, description = "The quote", body = QuoteRecord)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<QuoteRecord>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.quote(QuoteId(id)).await?))
}

/// The PDF copy of a quote, as attached to the reply that sent it.
#[utoipa::path(get, path = "/quotes/{id}/pdf", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, description = "The PDF", content_type = "application/pdf")))]
pub async fn pdf(State(s): State<AppState>, me: Principal, Id(id): Id) -> ApiResult<Response> {
    me.require(Action::Read)?;
    let (filename, data) = crate::quotes::stored_pdf(&s.store, QuoteId(id)).await?;
    Ok(download(data, "application/pdf", &filename))
}
