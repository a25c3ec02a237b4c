//! The one backend switch: which SQL dialect a URL means, and the few
//! fragments that differ between SQLite and PostgreSQL.

use crate::StoreError;

/// The SQL backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Embedded SQLite (WAL).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// Picks the dialect from the URL scheme.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Dialect::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL `{}`: use sqlite://PATH or postgres://...",
                url.split('@').next_back().unwrap_or(url)
            )))
        }
    }

    /// Adds defaults the URL may lack (SQLite: create the file if missing).
    pub(crate) fn normalize_url(self, url: &str) -> String {
        match self {
            Dialect::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        }
    }

    /// The file a `sqlite:` URL names (`sqlite://PATH` or `sqlite:PATH`,
    /// without query parameters).
    pub(crate) fn sqlite_file(url: &str) -> &str {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        path.split('?').next().unwrap_or(path)
    }

    /// Suffix that locks selected rows until the transaction ends. SQLite
    /// needs none: its single writer connection already serialises writes.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }
}
