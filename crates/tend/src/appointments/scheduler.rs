//! The steps every change to an appointment takes, whoever asks (the API,
//! the agent's case page, the technician's page, the customer's visit
//! page, the reminder job): gather what the customer's notice needs, then
//! make the change and send its notice in one write.

use super::notice::Notices;
use tend_domain::event::{Actor, ActorKind};
use tend_domain::ids::{AgentId, AppointmentTypeId, CaseId};
use tend_store::appointments::Appointment;
use tend_store::appointments::changes::Change;
use tend_store::{Store, StoreError};

/// Offers and changes visits, telling the customer.
#[derive(Clone, Copy)]
pub struct Scheduler<'a> {
    pub store: &'a Store,
    /// The business's name, as the customer's messages sign it.
    pub business: &'a str,
    /// Where customers reach Tend, for the visit's link.
    pub public_url: &'a str,
}

impl Scheduler<'_> {
    /// Offers a visit of type `kind` on `case` as `agent`: the customer is
    /// sent the link to pick a window.
    pub async fn offer(
        &self,
        case: CaseId,
        kind: AppointmentTypeId,
        agent: AgentId,
    ) -> Result<Appointment, StoreError> {
        let notices = self.notices(case, Some(agent)).await?;
        self.store
            .offer_appointment(case, kind, agent, notices.offer())
            .await
    }

    /// Makes `change` to `visit` as `actor`, with the business's `reason`,
    /// and tells the customer (signed by the agent, when one acts).
    pub async fn change(
        &self,
        visit: &Appointment,
        change: Change,
        actor: Actor,
        reason: Option<String>,
    ) -> Result<Appointment, StoreError> {
        let agent = match actor.kind {
            ActorKind::Agent => actor.id.map(AgentId),
            _ => None,
        };
        let notices = self.notices(visit.case_id, agent).await?;
        let notify = notices.notify(change.clone(), reason.clone());
        self.store
            .change_appointment(visit.id, change, actor, reason, notify)
            .await
    }

    async fn notices(&self, case: CaseId, agent: Option<AgentId>) -> Result<Notices, StoreError> {
        Notices::prepare(self.store, case, agent, self.business, self.public_url).await
    }
}
