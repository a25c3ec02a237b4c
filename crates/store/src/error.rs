//! Storage errors, in terms the web layer can map to status codes.

use tend_domain::Invalid;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is well-formed but refers to something invalid.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A uniqueness rule would be broken (e.g. an email already in use).
    #[error("{message}")]
    Conflict {
        field: String,
        message: String,
        existing_id: Option<i64>,
    },
    /// The action is not possible in the current state.
    #[error("{0}")]
    State(String),
    /// Another request with the same idempotency key committed first.
    #[error("a request with this idempotency key is already being processed")]
    IdempotencyRace,
    /// Bad configuration (e.g. an unknown database URL).
    #[error("{0}")]
    Config(String),
    /// Stored data that does not parse: a bug or a hand-edited database.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Database(sqlx::Error),
    /// A write's transaction could not be committed.
    #[error("the write was not saved: {0}")]
    Commit(String),
    /// A secret could not be sealed or opened (see [`crate::secrets`]).
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    /// The SQLite writer connection failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    /// Text the database cannot hold (PostgreSQL refuses a NUL character in
    /// any text value, SQLSTATE 22021) is the caller's input at fault, not a
    /// failure of the database.
    fn from(e: sqlx::Error) -> Self {
        let refused_text = matches!(
            &e,
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22021")
        );
        if refused_text {
            return Invalid::new("text", "must not contain NUL characters").into();
        }
        StoreError::Database(e)
    }
}

impl StoreError {
    /// Whether this is a unique-constraint violation from the database.
    pub(crate) fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db.is_unique_violation(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ),
            _ => false,
        }
    }

    /// A unique-constraint violation as a conflict on `field` saying
    /// `message`; any other error as it is.
    pub(crate) fn taken(self, field: &str, message: impl FnOnce() -> String) -> StoreError {
        if self.is_unique_violation() {
            StoreError::Conflict {
                field: field.into(),
                message: message(),
                existing_id: None,
            }
        } else {
            self
        }
    }
}
