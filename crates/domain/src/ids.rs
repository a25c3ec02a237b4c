//! Typed identifiers, so a customer id can never be passed where a case id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A case (ticket). Its number is also the human-facing reference, `#1234`.
    CaseId,
    /// A customer: one person with many contact points.
    CustomerId,
    /// An organisation customers may belong to.
    OrganizationId,
    /// A plan, contract or subscription held by a customer or organisation.
    AgreementId,
    /// A member of staff.
    AgentId,
    /// A team of agents.
    TeamId,
    /// A case-list filter an agent saved under a name.
    SavedFilterId,
    /// A message (inbound, reply or internal note) on a case.
    MessageId,
    /// One entry in a case's event log.
    EventId,
    /// A file attached to a message.
    AttachmentId,
    /// A quote sent on a case.
    QuoteId,
    /// An email conversation agents hold with a third party about a case.
    SideConversationId,
    /// One item of a case's checklist.
    TaskId,
    /// A kind of visit customers book (a boiler repair, a delivery).
    AppointmentTypeId,
    /// Someone (a technician, an agent) whose time visits are booked in.
    ResourceId,
    /// A visit on a case: offered, booked, carried out.
    AppointmentId,
);
