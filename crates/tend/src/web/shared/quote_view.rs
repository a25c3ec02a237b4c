//! A quote as the customer reads it (the public decision page and the
//! portal's case page): amounts and rates already written out.

use tend_domain::quote::{QuoteStatus, format_money, format_rate};
use tend_store::quotes::QuoteRecord;

/// One line, written out.
pub struct LineView {
    pub description: String,
    pub quantity: i64,
    pub unit_price: String,
    pub tax_rate: String,
    pub amount: String,
}

/// A quote, written out.
pub struct QuoteView {
    pub id: i64,
    pub number: i64,
    /// The case's reference, `#12`.
    pub reference: String,
    pub lines: Vec<LineView>,
    pub subtotal: String,
    pub tax: String,
    pub total: String,
    pub valid_until: String,
    pub status: &'static str,
    /// Whether it still awaits a decision.
    pub open: bool,
}

impl QuoteView {
    /// `quote` for the customer.
    pub fn of(quote: &QuoteRecord) -> QuoteView {
        let money = |minor: i64| format_money(minor, &quote.currency);
        QuoteView {
            id: quote.id.0,
            number: quote.number,
            reference: tend_store::model::case_reference(quote.case_id),
            lines: quote
                .lines
                .iter()
                .map(|l| LineView {
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_price: money(l.unit_price_minor),
                    tax_rate: format_rate(l.tax_rate_basis_points),
                    amount: money(i64::try_from(l.net_minor()).unwrap_or(i64::MAX)),
                })
                .collect(),
            subtotal: money(quote.subtotal_minor),
            tax: money(quote.tax_minor),
            total: money(quote.total_minor),
            valid_until: crate::quotes::until_text(quote.valid_until),
            status: quote.status.as_str(),
            open: quote.status == QuoteStatus::Sent,
        }
    }
}
