//! The one validation error: which field was wrong and why.

/// Input rejected at the edge, naming the field so clients can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// Name of the offending field as the client sent it (e.g. `email`).
    pub field: String,
    /// What is wrong with it, in plain words.
    pub message: String,
}

impl Invalid {
    /// An error for `field` with a human-readable `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
