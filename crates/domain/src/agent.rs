//! Staff roles and what each may do. Least privilege: a role gets only the
//! actions listed for it here, and every endpoint asks this module.

crate::string_enum!(
    /// What a member of staff may do.
    Role {
        /// Everything, including managing agents, teams and tokens.
        Admin = "admin",
        /// Works cases, customers, organisations and agreements.
        Agent = "agent",
        /// Reads everything an agent can, changes nothing.
        LightAgent = "light_agent",
        /// Works like an agent and also reads the reports.
        Lead = "lead",
    }
);

/// An action guarded by a role check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read cases, customers, organisations, agreements, events and search.
    Read,
    /// Create or change cases, messages, customers, organisations, agreements.
    Work,
    /// Manage agents, teams and API tokens.
    Administer,
    /// Read the effort, service and survey reports.
    ViewReports,
}

impl Role {
    /// Whether this role may perform `action`.
    pub fn may(self, action: Action) -> bool {
        match self {
            Role::Admin => true,
            Role::Agent => matches!(action, Action::Read | Action::Work),
            Role::Lead => matches!(action, Action::Read | Action::Work | Action::ViewReports),
            Role::LightAgent => matches!(action, Action::Read),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn light_agents_only_read_and_agents_do_not_administer() {
        assert!(Role::LightAgent.may(Action::Read));
        assert!(!Role::LightAgent.may(Action::Work));
        assert!(Role::Agent.may(Action::Work));
        assert!(!Role::Agent.may(Action::Administer));
        assert!(Role::Admin.may(Action::Administer));
    }

    #[test]
    fn only_leads_and_admins_view_reports() {
        assert!(Role::Lead.may(Action::ViewReports));
        assert!(Role::Lead.may(Action::Work));
        assert!(!Role::Lead.may(Action::Administer));
        assert!(Role::Admin.may(Action::ViewReports));
        assert!(!Role::Agent.may(Action::ViewReports));
        assert!(!Role::LightAgent.may(Action::ViewReports));
    }
}
