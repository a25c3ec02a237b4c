//! Bounded, trimmed text fields.

use crate::Invalid;

/// Trims `raw` and checks it is non-empty and at most `max_chars` long.
pub fn required(field: &str, raw: &str, max_chars: usize) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    bounded(field, trimmed, max_chars)
}

/// Like [`required`], and refuses control characters other than line
/// breaks and tabs.
pub fn required_clean(field: &str, raw: &str, max_chars: usize) -> Result<String, Invalid> {
    if let Some(c) = raw
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Invalid::new(
            field,
            format!(
                "must not contain control characters (found U+{:04X})",
                c as u32
            ),
        ));
    }
    required(field, raw, max_chars)
}

/// `raw` trimmed, non-empty, at most `max` characters, without control
/// characters or line breaks.
pub fn one_line(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let text = required_clean(field, raw, max)?;
    if text.contains(['\n', '\r', '\t']) {
        return Err(Invalid::new(field, "must be one line"));
    }
    Ok(text)
}

/// Checks `raw` is at most `max_chars` long, keeping it as given.
pub fn bounded(field: &str, raw: &str, max_chars: usize) -> Result<String, Invalid> {
    if raw.chars().count() > max_chars {
        return Err(Invalid::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(raw.to_owned())
}

/// Trims an optional value, treating blank as absent.
pub fn optional(
    field: &str,
    raw: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, Invalid> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => bounded(field, s, max_chars).map(Some),
        None => Ok(None),
    }
}

/// `text` as a one-line preview: quoted lines (`> ...`) left out, runs of
/// white space as one space, cut to `max_chars` with an ellipsis.
pub fn preview(text: &str, max_chars: usize) -> String {
    let words: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('>'))
        .flat_map(str::split_whitespace)
        .collect();
    let joined = words.join(" ");
    match joined.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", joined[..cut].trim_end()),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_preview_is_one_line_without_quotes() {
        assert_eq!(
            preview(
                "Hello,\n\n  the boiler\tleaks.\n> On Monday you wrote:\n> old",
                50
            ),
            "Hello, the boiler leaks."
        );
        assert_eq!(preview("abcdef ghij", 8), "abcdef g…");
        assert_eq!(preview("abcdef ghij", 7), "abcdef…");
        assert_eq!(preview("", 8), "");
    }

    proptest! {
        #[test]
        fn a_preview_is_short_and_has_no_line_breaks(text in "(?s).{0,300}", max in 1usize..200) {
            let shown = preview(&text, max);
            prop_assert!(shown.chars().count() <= max + 1);
            prop_assert!(!shown.contains('\n') && !shown.contains('\r'));
        }
    }

    #[test]
    fn clean_text_keeps_line_breaks_and_refuses_other_control_characters() {
        assert_eq!(required_clean("f", " a\r\n\tb ", 10).unwrap(), "a\r\n\tb");
        for bad in ["a\u{0}b", "a\u{1b}[31m", "a\u{7f}", "a\u{85}"] {
            let e = required_clean("f", bad, 10).unwrap_err();
            assert!(e.message.contains("control characters"), "{bad:?}");
        }
    }
}
