//! CSV for spreadsheets (RFC 4180): every field quoted, and text that a
//! spreadsheet would run as a formula (starting with = + - @, a tab or a
//! carriage return) prefixed with a quote so it stays text.

use super::tables::Table;

/// One field, quoted and defused.
fn field(value: &str) -> String {
    let risky =
        value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err();
    let value = if risky {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

fn line(out: &mut String, cells: impl IntoIterator<Item = impl AsRef<str>>) {
    let cells: Vec<String> = cells.into_iter().map(|c| field(c.as_ref())).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// The table as CSV with a header row.
pub fn render(table: &Table) -> String {
    let mut out = String::new();
    line(&mut out, &table.header);
    for row in &table.rows {
        line(&mut out, row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let table = Table {
            name: "t",
            title: "T",
            header: vec!["Name", "Value"],
            rows: vec![
                vec!["=HYPERLINK(\"x\")".into(), "-0.5".into()],
                vec!["a, \"b\"\nc".into(), "@sum".into()],
                vec!["-cmd".into(), "+1+1".into()],
            ],
        };
        assert_eq!(
            render(&table),
            "\"Name\",\"Value\"\r\n\"'=HYPERLINK(\"\"x\"\")\",\"-0.5\"\r\n\"a, \"\"b\"\"\nc\",\"'@sum\"\r\n\"'-cmd\",\"'+1+1\"\r\n"
        );
    }
}
