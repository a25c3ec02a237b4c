//! A quote as a PDF: A4 pages of text in Helvetica, one of the fonts every
//! PDF reader has (so nothing is embedded), written with `pdf-writer`.
//! Text is WinAnsi-encoded: characters outside it print as `?`. Long
//! descriptions wrap; lines flow onto as many pages as they need.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use tend_domain::quote::{Quote, format_money, format_rate};

/// A4, in points.
const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 56.0;
const SIZE: f32 = 10.0;
const LEADING: f32 = 14.0;
/// Characters of a description per printed line (Helvetica at 10 pt in
/// its column).
const WRAP: usize = 48;
/// Columns: description, quantity, unit price, tax, amount.
const COLUMNS: [f32; 5] = [MARGIN, 300.0, 345.0, 430.0, 475.0];

/// What the PDF shows besides the quote.
pub struct Sheet<'a> {
    /// Who sends it (the inbox's name).
    pub business: &'a str,
    /// The case's reference and subject.
    pub case: &'a str,
    /// The quote's number on the case.
    pub number: i64,
    pub quote: &'a Quote,
}

/// One printed line: text cells at x positions, bold or not.
struct Row {
    cells: Vec<(f32, String)>,
    bold: bool,
}

impl Row {
    fn text(x: f32, text: impl Into<String>, bold: bool) -> Row {
        Row {
            cells: vec![(x, text.into())],
            bold,
        }
    }
}

/// The PDF's bytes.
pub fn render(sheet: &Sheet<'_>) -> Vec<u8> {
    let rows = rows(sheet);
    let per_page = ((PAGE.1 - 2.0 * MARGIN) / LEADING) as usize;
    let pages: Vec<&[Row]> = rows.chunks(per_page.max(1)).collect();
    let mut pdf = Pdf::new();
    let (catalog, tree, regular, bold) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    pdf.catalog(catalog).pages(tree);
    let ids: Vec<(Ref, Ref)> = (0..pages.len() as i32)
        .map(|i| (Ref::new(5 + 2 * i), Ref::new(6 + 2 * i)))
        .collect();
    pdf.pages(tree)
        .kids(ids.iter().map(|(page, _)| *page))
        .count(ids.len() as i32);
    for (font, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
        pdf.type1_font(font)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for ((page, contents), rows) in ids.iter().zip(&pages) {
        let mut writer = pdf.page(*page);
        writer
            .media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
            .parent(tree)
            .contents(*contents);
        writer
            .resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        drop(writer);
        let mut content = Content::new();
        let mut y = PAGE.1 - MARGIN;
        for row in rows.iter() {
            for (x, text) in &row.cells {
                let font = if row.bold { Name(b"F2") } else { Name(b"F1") };
                content.begin_text();
                content.set_font(font, SIZE);
                content.next_line(*x, y);
                content.show(Str(&win_ansi(text)));
                content.end_text();
            }
            y -= LEADING;
        }
        pdf.stream(*contents, &content.finish());
    }
    pdf.finish()
}

/// Every printed line, top to bottom.
fn rows(sheet: &Sheet<'_>) -> Vec<Row> {
    let quote = sheet.quote;
    let until = super::until_text(quote.valid_until);
    let mut rows = vec![
        Row::text(MARGIN, format!("Quote {}", sheet.number), true),
        Row::text(MARGIN, sheet.business, false),
        Row::text(MARGIN, format!("Case {}", sheet.case), false),
        Row::text(MARGIN, format!("Valid until {until}"), false),
        Row::text(MARGIN, "", false),
        Row {
            cells: COLUMNS
                .into_iter()
                .zip(["Description", "Qty", "Unit price", "Tax", "Amount"])
                .map(|(x, t)| (x, t.to_owned()))
                .collect(),
            bold: true,
        },
    ];
    let money = |minor: i64| format_money(minor, &quote.currency);
    for line in &quote.lines {
        let net = i64::try_from(line.net_minor()).unwrap_or(i64::MAX);
        let mut parts = wrap(&line.description, WRAP).into_iter();
        let first = parts.next().unwrap_or_default();
        let figures = [
            line.quantity.to_string(),
            money(line.unit_price_minor),
            format_rate(line.tax_rate_basis_points),
            money(net),
        ];
        let cells = std::iter::once((COLUMNS[0], first))
            .chain(COLUMNS[1..].iter().copied().zip(figures))
            .collect();
        rows.push(Row { cells, bold: false });
        rows.extend(parts.map(|part| Row::text(COLUMNS[0], part, false)));
    }
    let t = quote.totals;
    rows.push(Row::text(MARGIN, "", false));
    for (label, amount, bold) in [
        ("Subtotal", t.subtotal_minor, false),
        ("Tax", t.tax_minor, false),
        ("Total", t.total_minor, true),
    ] {
        rows.push(Row {
            cells: vec![(COLUMNS[3], label.to_owned()), (COLUMNS[4], money(amount))],
            bold,
        });
    }
    rows
}

/// `text` cut into lines of at most `width` characters, at spaces where
/// it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            let rest = word.split_off(width);
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.into_iter().collect());
            word = rest;
        }
        let length = line.chars().count();
        if length > 0 && length + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.extend(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` in the WinAnsi encoding: Latin-1 as itself, the euro sign at
/// 0x80, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            ' '..='~' | '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(win_ansi("é€☃"), [0xe9, 0x80, b'?']);
    }
}
