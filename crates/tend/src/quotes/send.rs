//! Sending a quote from a case, for the API and the agent's case page
//! alike: the reply that carries it lists the lines and totals, links to
//! approve and to decline, and has the quote's PDF attached; on a case
//! with an email conversation it is emailed (signed, copying whom the
//! conversation copies) in the same transaction as the quote, the reply
//! and the `quote_sent` event ([`Store::send_quote`]).

use super::link::Link;
use super::pdf::{self, Sheet};
use crate::customer_reply::CustomerReply;
use std::fmt::Write as _;
use tend_domain::Invalid;
use tend_domain::ids::{AgentId, CaseId, QuoteId};
use tend_domain::quote::{Decision, Quote, format_money, format_rate};
use tend_store::idempotency::IdempotencyKey;
use tend_store::messages::{NewAttachment, NewMessage};
use tend_store::outbound::OutboundEmail;
use tend_store::quotes::QuoteRecord;
use tend_store::{Store, StoreError};

/// Who sends a quote, where its links point.
pub struct Sending<'a> {
    pub store: &'a Store,
    /// The server's public URL.
    pub public_url: &'a str,
    /// The name quotes go out under when the case has no inbox.
    pub business: &'a str,
    pub agent: AgentId,
}

impl Sending<'_> {
    /// Sends `quote` on `case`.
    pub async fn send(
        &self,
        case: CaseId,
        quote: Quote,
        idem: Option<&IdempotencyKey>,
    ) -> Result<QuoteRecord, StoreError> {
        let store = self.store;
        let reply = Reply {
            store: store.clone(),
            public_url: self.public_url.to_owned(),
            base: CustomerReply::prepare(store, case, Some(self.agent), self.business).await?,
            quote: quote.clone(),
        };
        let render = Box::new(move |id, number| reply.render(id, number));
        store
            .send_quote(case, quote, self.agent, render, idem)
            .await
    }
}

/// What the reply carrying a quote is made of, gathered before the write
/// transaction (which renders it once the quote's id is known).
struct Reply {
    store: Store,
    public_url: String,
    base: CustomerReply,
    quote: Quote,
}

impl Reply {
    /// The reply for quote `id`, numbered `number`, and its email.
    fn render(
        self,
        id: QuoteId,
        number: i64,
    ) -> Result<(NewMessage, Option<OutboundEmail>), Invalid> {
        let case = self.base.case;
        let pdf = pdf::render(&Sheet {
            business: &self.base.business,
            case: &format!("#{case}: {}", self.base.subject),
            number,
            quote: &self.quote,
        });
        let body = self.text(id, number)?;
        let attachment = NewAttachment {
            filename: format!("quote-{case}-{number}.pdf"),
            content_type: "application/pdf".into(),
            data: pdf,
            content_id: None,
        };
        self.base.render(body, vec![attachment])
    }

    /// The reply's text: the lines, the totals, the validity and the links.
    fn text(&self, id: QuoteId, number: i64) -> Result<String, Invalid> {
        let q = &self.quote;
        let money = |minor: i64| format_money(minor, &q.currency);
        let mut text = format!(
            "Here is our quote {number} for \"{}\":\n\n",
            self.base.subject
        );
        for line in &q.lines {
            let net = i64::try_from(line.net_minor()).unwrap_or(i64::MAX);
            let _ = writeln!(
                text,
                "- {}: {} x {} (tax {}) = {}",
                line.description,
                line.quantity,
                money(line.unit_price_minor),
                format_rate(line.tax_rate_basis_points),
                money(net)
            );
        }
        let t = q.totals;
        let _ = write!(
            text,
            "\nSubtotal: {}\nTax: {}\nTotal: {}\n\nThis quote is valid until {}. \
             The PDF copy is attached.\n\n",
            money(t.subtotal_minor),
            money(t.tax_minor),
            money(t.total_minor),
            super::until_text(q.valid_until)
        );
        for (decision, label) in [
            (Decision::Approve, "To approve it"),
            (Decision::Decline, "To decline it"),
        ] {
            let link = Link {
                quote: id,
                decision,
            };
            let url = link
                .url(&self.store, &self.public_url)
                .map_err(|e| Invalid::new("quote", e.to_string()))?;
            let _ = writeln!(text, "{label}: {url}");
        }
        let _ = write!(
            text,
            "\nEach link asks you to confirm, and you may add a comment. You can also \
             answer in your requests at {}/portal.",
            self.public_url.trim_end_matches('/')
        );
        Ok(text)
    }
}
