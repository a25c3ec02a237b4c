//! How the customer and the business were in touch outside Tend's own
//! channels, and the kinds of work a business asks of its customers: the
//! words the event log records them in.

crate::string_enum!(
    /// The kind of work a business asked the customer to do.
    ActionKind {
        /// Send or upload a document.
        SendDocument = "send_document",
        /// Go somewhere in person (a branch, a shop, a depot).
        GoSomewhere = "go_somewhere",
        /// Call or find a third party themselves (a plumber, another company).
        CallThirdParty = "call_third_party",
        /// Stay at home for a visit or a delivery.
        WaitAtHome = "wait_at_home",
        /// Anything else.
        Other = "other",
    }
);

impl ActionKind {
    /// What an action recorded without a kind counts as.
    pub fn unspecified() -> Self {
        ActionKind::Other
    }
}

crate::string_enum!(
    /// Which way a logged contact went.
    Direction {
        /// The customer contacted the business.
        Inbound = "inbound",
        /// The business contacted the customer.
        Outbound = "outbound",
    }
);

impl ActionKind {
    /// For people: what the customer was asked to do.
    pub fn describe(self) -> &'static str {
        match self {
            ActionKind::SendDocument => "send a document",
            ActionKind::GoSomewhere => "go somewhere",
            ActionKind::CallThirdParty => "call a third party",
            ActionKind::WaitAtHome => "wait at home",
            ActionKind::Other => "do something",
        }
    }
}
