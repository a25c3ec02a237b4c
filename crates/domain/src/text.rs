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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_keeps_line_breaks_and_refuses_other_control_characters() {
        assert_eq!(required_clean("f", " a\r\n\tb ", 10).unwrap(), "a\r\n\tb");
        for bad in ["a\u{0}b", "a\u{1b}[31m", "a\u{7f}", "a\u{85}"] {
            let e = required_clean("f", bad, 10).unwrap_err();
            assert!(e.message.contains("control characters"), "{bad:?}");
        }
    }
}
