//! Tasks on a case: a checklist of who does what by when (an agent, a third
//! party such as a supplier, or the customer). The customer sees the tasks
//! they own, and the others only as progress ("Parts ordered — due
//! Thursday"), never who the third party is.

use crate::Invalid;

/// Most tasks one case holds.
pub const MAX_TASKS: usize = 100;
/// Longest task title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest third-party owner name, in characters.
pub const MAX_OWNER_NAME: usize = 200;

crate::string_enum!(
    /// Who a task is waiting on.
    OwnerKind {
        /// A member of staff.
        Agent = "agent",
        /// Someone outside: a supplier, a subcontractor, another department.
        ThirdParty = "third_party",
        /// The customer: work pushed onto them, counted as customer effort.
        Customer = "customer",
    }
);

crate::string_enum!(
    /// Where a task stands.
    TaskStatus {
        /// Still to do.
        Open = "open",
        /// Done.
        Done = "done",
        /// No longer needed.
        Cancelled = "cancelled",
    }
);

impl OwnerKind {
    /// For agents: who the task is waiting on.
    pub fn describe(self) -> &'static str {
        match self {
            OwnerKind::Agent => "an agent",
            OwnerKind::ThirdParty => "a third party",
            OwnerKind::Customer => "the customer",
        }
    }
}

/// A task title: trimmed, one line, 1 to [`MAX_TITLE`] characters.
pub fn title(raw: &str) -> Result<String, Invalid> {
    crate::text::one_line("title", raw, MAX_TITLE)
}

/// A third party's name, when the task has one: trimmed, one line.
pub fn owner_name(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    raw.filter(|s| !s.trim().is_empty())
        .map(|name| crate::text::one_line("owner_name", name, MAX_OWNER_NAME))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_clean_bounded_line() {
        assert_eq!(title("  Parts ordered ").unwrap(), "Parts ordered");
        assert_eq!(title(" ").unwrap_err().field, "title");
        assert_eq!(title("a\u{7}b").unwrap_err().field, "title");
        assert_eq!(title("a\nb").unwrap_err().field, "title");
        assert!(title(&"x".repeat(MAX_TITLE)).is_ok());
        assert!(title(&"x".repeat(MAX_TITLE + 1)).is_err());
        assert_eq!(owner_name(Some("  ")).unwrap(), None);
        assert_eq!(owner_name(Some("a\nb")).unwrap_err().field, "owner_name");
    }
}
