//! Quotes an agent sends a customer from a case: priced lines in one
//! currency, valid until a time, which the customer approves or declines
//! once. Money is integer minor units (cents) throughout, never floats.
//!
//! Rounding: each line's tax is rounded to the minor unit on its own,
//! half away from zero (`net × rate / 10 000`, ties up since nothing is
//! negative); the quote's tax is the sum of the lines' rounded taxes, so
//! the printed lines always add up to the printed totals. Bounds on every
//! input keep every sum far inside `i64`; it is computed in `i128` and
//! checked all the same.

use crate::Invalid;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most lines on one quote.
pub const MAX_LINES: usize = 100;
/// Longest line description, in characters.
pub const MAX_DESCRIPTION: usize = 500;
/// Largest quantity of one line.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Largest unit price, in minor units (ten billion units of a currency
/// with cents).
pub const MAX_UNIT_PRICE: i64 = 1_000_000_000_000;
/// Largest tax rate, in basis points (100 %).
pub const MAX_TAX_RATE: i64 = 10_000;
/// Largest total of a quote, in minor units.
pub const MAX_TOTAL: i64 = 1_000_000_000_000_000;
/// Longest a quote may stay open: 365 days.
pub const MAX_VALIDITY: SignedDuration = SignedDuration::from_hours(24 * 365);
/// Longest comment on a decision, in characters.
pub const MAX_COMMENT: usize = 2000;

crate::string_enum!(
    /// Where a quote stands.
    QuoteStatus {
        /// Sent, awaiting the customer's decision.
        Sent = "sent",
        /// The customer approved it.
        Approved = "approved",
        /// The customer declined it.
        Declined = "declined",
        /// It passed its validity undecided.
        Expired = "expired",
    }
);

crate::string_enum!(
    /// What a customer decides about a quote.
    Decision {
        /// Accept the quote.
        Approve = "approve",
        /// Turn it down.
        Decline = "decline",
    }
);

impl Decision {
    /// The status the decision leads to.
    pub fn status(self) -> QuoteStatus {
        match self {
            Decision::Approve => QuoteStatus::Approved,
            Decision::Decline => QuoteStatus::Declined,
        }
    }
}

/// One priced line of a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteLine {
    /// What is sold: one line, 1 to 500 characters.
    pub description: String,
    /// How many: 1 to 1,000,000.
    pub quantity: i64,
    /// Price of one, in minor units (cents): 0 to 10^12.
    pub unit_price_minor: i64,
    /// Tax rate in basis points (2000 = 20 %): 0 to 10,000.
    #[serde(default)]
    pub tax_rate_basis_points: i64,
}

impl QuoteLine {
    /// Quantity times unit price, before tax.
    pub fn net_minor(&self) -> i128 {
        i128::from(self.quantity) * i128::from(self.unit_price_minor)
    }

    /// This line's tax, rounded half away from zero to the minor unit.
    pub fn tax_minor(&self) -> i128 {
        round_half_away(
            self.net_minor() * i128::from(self.tax_rate_basis_points),
            10_000,
        )
    }

    /// Checks the line, naming fields `lines[i].…`.
    fn check(&self, i: usize) -> Result<QuoteLine, Invalid> {
        let field = |name: &str| format!("lines[{i}].{name}");
        let description = one_line(&field("description"), &self.description, MAX_DESCRIPTION)?;
        let bounded = |name: &str, value: i64, min: i64, max: i64| {
            if (min..=max).contains(&value) {
                Ok(value)
            } else {
                Err(Invalid::new(
                    field(name),
                    format!("must be from {min} to {max}"),
                ))
            }
        };
        Ok(QuoteLine {
            description,
            quantity: bounded("quantity", self.quantity, 1, MAX_QUANTITY)?,
            unit_price_minor: bounded(
                "unit_price_minor",
                self.unit_price_minor,
                0,
                MAX_UNIT_PRICE,
            )?,
            tax_rate_basis_points: bounded(
                "tax_rate_basis_points",
                self.tax_rate_basis_points,
                0,
                MAX_TAX_RATE,
            )?,
        })
    }
}

/// `n / d` rounded half away from zero (`d` > 0).
fn round_half_away(n: i128, d: i128) -> i128 {
    let half = d / 2;
    if n >= 0 {
        (n + half) / d
    } else {
        (n - half) / d
    }
}

/// A quote's sums, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    /// The lines' net amounts added up.
    pub subtotal_minor: i64,
    /// The lines' rounded taxes added up.
    pub tax_minor: i64,
    /// Subtotal plus tax.
    pub total_minor: i64,
}

/// A checked quote: what an agent sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// ISO 4217 code, three upper-case letters.
    pub currency: String,
    pub lines: Vec<QuoteLine>,
    /// After this the customer can no longer decide.
    pub valid_until: Timestamp,
    pub totals: Totals,
}

impl Quote {
    /// Checks a quote at `now`: a currency code, 1 to 100 valid lines, a
    /// validity in the future and at most 365 days ahead, and a total at
    /// most [`MAX_TOTAL`]. Errors name the field (`lines[2].quantity`).
    pub fn checked(
        currency: &str,
        lines: &[QuoteLine],
        valid_until: Timestamp,
        now: Timestamp,
    ) -> Result<Quote, Invalid> {
        let currency = currency.trim();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Invalid::new(
                "currency",
                "must be an ISO 4217 code: three upper-case letters, like EUR",
            ));
        }
        if lines.is_empty() || lines.len() > MAX_LINES {
            return Err(Invalid::new(
                "lines",
                format!("a quote has 1 to {MAX_LINES} lines"),
            ));
        }
        let lines = lines
            .iter()
            .enumerate()
            .map(|(i, line)| line.check(i))
            .collect::<Result<Vec<_>, _>>()?;
        if valid_until <= now {
            return Err(Invalid::new("valid_until", "must be in the future"));
        }
        if now
            .checked_add(MAX_VALIDITY)
            .is_ok_and(|max| valid_until > max)
        {
            return Err(Invalid::new(
                "valid_until",
                "must be at most 365 days ahead",
            ));
        }
        let totals = totals(&lines)
            .filter(|t| t.total_minor <= MAX_TOTAL)
            .ok_or_else(|| {
                Invalid::new(
                    "lines",
                    format!("the total must be at most {MAX_TOTAL} minor units"),
                )
            })?;
        Ok(Quote {
            currency: currency.to_owned(),
            lines,
            valid_until,
            totals,
        })
    }
}

/// The sums of `lines`, or `None` when they do not fit in `i64`.
pub fn totals(lines: &[QuoteLine]) -> Option<Totals> {
    let (mut net, mut tax) = (0_i128, 0_i128);
    for line in lines {
        net = net.checked_add(line.net_minor())?;
        tax = tax.checked_add(line.tax_minor())?;
    }
    Some(Totals {
        subtotal_minor: i64::try_from(net).ok()?,
        tax_minor: i64::try_from(tax).ok()?,
        total_minor: i64::try_from(net.checked_add(tax)?).ok()?,
    })
}

/// Trims `raw`, refusing it empty, longer than `max` characters, or with
/// any control character (line breaks included: a line is one line).
fn one_line(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    if raw.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            "must be one line without control characters",
        ));
    }
    crate::text::required(field, raw, max)
}

/// A decision's optional comment, trimmed: at most 2,000 characters,
/// line breaks allowed, other control characters refused.
pub fn comment(raw: &str) -> Result<Option<String>, Invalid> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    crate::text::required_clean("comment", raw, MAX_COMMENT).map(Some)
}

/// Digits after the decimal point of `currency`'s minor unit: 0 for the
/// few currencies without one, 3 for those with thousandths, else 2.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `minor` units of `currency` for people: `1,234.50 EUR`.
pub fn format_money(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let scale = 10_u64.pow(digits);
    let abs = minor.unsigned_abs();
    let whole = (abs / scale).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if minor < 0 { "-" } else { "" };
    match digits {
        0 => format!("{sign}{grouped} {currency}"),
        d => format!(
            "{sign}{grouped}.{:0width$} {currency}",
            abs % scale,
            width = d as usize
        ),
    }
}

/// A tax rate in basis points for people: `20 %`, `5.5 %`.
pub fn format_rate(basis_points: i64) -> String {
    let whole = basis_points / 100;
    match basis_points % 100 {
        0 => format!("{whole} %"),
        part if part % 10 == 0 => format!("{whole}.{} %", part / 10),
        part => format!("{whole}.{part:02} %"),
    }
}

/// Why a decision is not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The quote was already decided the other way.
    #[error("this quote was already {0}")]
    Decided(QuoteStatus),
    /// The quote is past its validity.
    #[error("this quote has expired")]
    Expired,
}

/// Whether `decision` on a quote that is `status`, valid until
/// `valid_until`, is recorded at `now`: `Ok(true)` to record it,
/// `Ok(false)` when the same decision was already made (a second click).
pub fn decide(
    status: QuoteStatus,
    valid_until: Timestamp,
    now: Timestamp,
    decision: Decision,
) -> Result<bool, Refused> {
    match status {
        QuoteStatus::Sent if now >= valid_until => Err(Refused::Expired),
        QuoteStatus::Sent => Ok(true),
        QuoteStatus::Expired => Err(Refused::Expired),
        decided if decided == decision.status() => Ok(false),
        decided => Err(Refused::Decided(decided)),
    }
}

#[cfg(test)]
mod tests;
