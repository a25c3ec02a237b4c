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
