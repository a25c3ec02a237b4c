//! Opaque keyset cursors: a page ends at (sort key, id) and the next page
//! starts strictly after it, so pages stay stable while rows are added.

use crate::model::Page;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tend_domain::Invalid;

/// Largest page a client may ask for.
pub const MAX_LIMIT: i64 = 100;
/// Page size when the client does not say.
pub const DEFAULT_LIMIT: i64 = 25;

/// Where the previous page ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Sort key of the last row (a timestamp or the id itself).
    pub key: i64,
    /// Id of the last row, breaking ties.
    pub id: i64,
}

impl Cursor {
    /// The wire form.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.key, self.id))
    }

    /// Parses the wire form, rejecting anything this module did not produce.
    pub fn decode(raw: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("cursor", "not a cursor returned by this API");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (key, id) = text.split_once(':').ok_or_else(bad)?;
        Ok(Self {
            key: key.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// Checks a requested page size.
pub fn limit(requested: Option<i64>) -> Result<i64, Invalid> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Invalid::new(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// Builds a page from up to `limit + 1` fetched rows: the extra row only
/// signals that another page exists.
pub fn page<T>(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> Cursor) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next_cursor = if more {
        rows.last().map(|r| cursor_of(r).encode())
    } else {
        None
    };
    Page {
        data: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { key: -5, id: 42 };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("not base64!").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("1;2")).is_err());
    }

    #[test]
    fn page_signals_more_only_when_an_extra_row_came_back() {
        let cur = |n: &i64| Cursor { key: *n, id: *n };
        let p = page(vec![1, 2, 3], 2, cur);
        assert_eq!(p.data, vec![1, 2]);
        assert_eq!(p.next_cursor, Some(Cursor { key: 2, id: 2 }.encode()));
        assert_eq!(page(vec![1, 2], 2, cur).next_cursor, None);
    }
}
