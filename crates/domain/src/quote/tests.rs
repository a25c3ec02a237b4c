//! Quote arithmetic, checks and decisions.

use super::*;
use proptest::prelude::*;

fn line(description: &str, quantity: i64, price: i64, rate: i64) -> QuoteLine {
    QuoteLine {
        description: description.into(),
        quantity,
        unit_price_minor: price,
        tax_rate_basis_points: rate,
    }
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

#[test]
fn totals_round_each_line_half_away_from_zero() {
    // 3 × 0.35 at 5 % = 1.05, tax 0.0525 → 0.05; 1 × 0.10 at 5 % = 0.005 → 0.01.
    let lines = [line("Washer", 3, 35, 500), line("Seal", 1, 10, 500)];
    let quote = Quote::checked("EUR", &lines, at(2_000), at(1_000)).unwrap();
    assert_eq!(
        quote.totals,
        Totals {
            subtotal_minor: 115,
            tax_minor: 6,
            total_minor: 121
        }
    );
    assert_eq!(format_money(121, "EUR"), "1.21 EUR");
    assert_eq!(format_money(123_456_789, "USD"), "1,234,567.89 USD");
    assert_eq!(format_money(5000, "JPY"), "5,000 JPY");
    assert_eq!(format_money(1500, "KWD"), "1.500 KWD");
    assert_eq!(format_rate(2000), "20 %");
    assert_eq!(format_rate(550), "5.5 %");
    assert_eq!(format_rate(1), "0.01 %");
}

#[test]
fn checks_name_the_field() {
    let now = at(1_000);
    let good = [line("Repair", 1, 100, 0)];
    let field = |currency: &str, lines: &[QuoteLine], until: i64| {
        Quote::checked(currency, lines, at(until), now)
            .unwrap_err()
            .field
    };
    assert_eq!(field("eur", &good, 2_000), "currency");
    assert_eq!(field("EURO", &good, 2_000), "currency");
    assert_eq!(field("EUR", &[], 2_000), "lines");
    assert_eq!(field("EUR", &vec![good[0].clone(); 101], 2_000), "lines");
    assert_eq!(field("EUR", &good, 1_000), "valid_until");
    assert_eq!(field("EUR", &good, 1_000 + 366 * 86_400), "valid_until");
    assert_eq!(
        field("EUR", &[good[0].clone(), line(" ", 1, 1, 0)], 2_000),
        "lines[1].description"
    );
    assert_eq!(
        field("EUR", &[line("a\u{7}b", 1, 1, 0)], 2_000),
        "lines[0].description"
    );
    assert_eq!(
        field("EUR", &[line("two\nlines", 1, 1, 0)], 2_000),
        "lines[0].description"
    );
    assert_eq!(
        field("EUR", &[line(&"x".repeat(501), 1, 1, 0)], 2_000),
        "lines[0].description"
    );
    assert_eq!(
        field("EUR", &[line("a", 0, 1, 0)], 2_000),
        "lines[0].quantity"
    );
    assert_eq!(
        field("EUR", &[line("a", 1, -1, 0)], 2_000),
        "lines[0].unit_price_minor"
    );
    assert_eq!(
        field("EUR", &[line("a", 1, 1, 10_001)], 2_000),
        "lines[0].tax_rate_basis_points"
    );
    // Every line at its largest: the total is refused, not overflowed.
    let huge = vec![line("a", MAX_QUANTITY, MAX_UNIT_PRICE, MAX_TAX_RATE); MAX_LINES];
    assert_eq!(field("EUR", &huge, 2_000), "lines");
    assert_eq!(comment("  ").unwrap(), None);
    assert_eq!(
        comment(" ok\nthanks ").unwrap().as_deref(),
        Some("ok\nthanks")
    );
    assert_eq!(comment("\u{0}").unwrap_err().field, "comment");
}

#[test]
fn decisions_are_once_and_before_expiry() {
    let (until, before, after) = (at(2_000), at(1_999), at(2_000));
    use Decision::*;
    use QuoteStatus::*;
    assert_eq!(decide(Sent, until, before, Approve), Ok(true));
    assert_eq!(decide(Sent, until, after, Approve), Err(Refused::Expired));
    assert_eq!(decide(Approved, until, before, Approve), Ok(false));
    assert_eq!(decide(Approved, until, after, Approve), Ok(false));
    assert_eq!(
        decide(Declined, until, before, Approve),
        Err(Refused::Decided(Declined))
    );
    assert_eq!(
        decide(Expired, until, before, Decline),
        Err(Refused::Expired)
    );
    assert_eq!(
        Refused::Decided(Declined).to_string(),
        "this quote was already declined"
    );
}

fn any_line() -> impl Strategy<Value = QuoteLine> {
    (1..=MAX_QUANTITY, 0..=MAX_UNIT_PRICE, 0..=MAX_TAX_RATE)
        .prop_map(|(q, p, r)| line("item", q, p, r))
}

proptest! {
    #[test]
    fn totals_are_the_sums_of_the_lines(lines in prop::collection::vec(any_line(), 1..=MAX_LINES)) {
        // Never panics, whatever the bounded lines; sums when it fits.
        let sums = totals(&lines);
        let net: i128 = lines.iter().map(QuoteLine::net_minor).sum();
        let tax: i128 = lines.iter().map(QuoteLine::tax_minor).sum();
        if let Some(t) = sums {
            prop_assert_eq!(i128::from(t.subtotal_minor), net);
            prop_assert_eq!(i128::from(t.tax_minor), tax);
            prop_assert_eq!(t.total_minor, t.subtotal_minor + t.tax_minor);
        } else {
            prop_assert!(net + tax > i128::from(i64::MAX));
        }
        let checked = Quote::checked("EUR", &lines, at(2_000), at(1_000));
        prop_assert_eq!(checked.is_ok(), sums.is_some_and(|t| t.total_minor <= MAX_TOTAL));
    }

    #[test]
    fn line_tax_is_within_half_a_minor_unit(q in 1..=MAX_QUANTITY, p in 0..=MAX_UNIT_PRICE, r in 0..=MAX_TAX_RATE) {
        let l = line("item", q, p, r);
        let exact = l.net_minor() * i128::from(r);
        let diff = l.tax_minor() * 10_000 - exact;
        prop_assert!((-5_000..=5_000).contains(&diff), "{diff}");
        prop_assert!(diff != -5_000, "ties round up");
    }
}
