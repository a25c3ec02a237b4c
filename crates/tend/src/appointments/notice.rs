//! What each change to an appointment tells the customer: a message on
//! the case (emailed when the case has an email conversation) with the
//! visit's calendar invitation attached (`invite.ics`: METHOD REQUEST, or
//! CANCEL when called off; the same UID throughout, its SEQUENCE counting
//! the changes) and the link to the visit's page.

use super::{clock_text, link, window_text};
use crate::customer_reply::CustomerReply;
use jiff::tz::TimeZone;
use std::collections::HashMap;
use tend_domain::Invalid;
use tend_domain::appointment::AppointmentStatus;
use tend_domain::ids::{AgentId, CaseId, ResourceId};
use tend_domain::invite::{Invitation, Method};
use tend_store::appointments::Appointment;
use tend_store::appointments::changes::{Change, Notify};
use tend_store::messages::NewAttachment;
use tend_store::{Store, StoreError};

/// What the messages of one change on one case are made with, gathered
/// before its write.
pub struct Notices {
    store: Store,
    public_url: String,
    reply: CustomerReply,
    /// Each resource's name and time zone.
    resources: HashMap<ResourceId, (String, TimeZone)>,
}

impl Notices {
    /// Gathers what messages on `case` from `agent` (or from Tend) need.
    pub async fn prepare(
        store: &Store,
        case: CaseId,
        agent: Option<AgentId>,
        business: &str,
        public_url: &str,
    ) -> Result<Notices, StoreError> {
        let resources = store
            .resource_calendars()
            .await?
            .into_iter()
            .map(|(r, calendar)| (r.id, (r.definition.name, calendar.zone().clone())))
            .collect();
        Ok(Notices {
            store: store.clone(),
            public_url: public_url.to_owned(),
            reply: CustomerReply::prepare(store, case, agent, business).await?,
            resources,
        })
    }

    /// The message asking the customer to pick a window.
    pub fn offer(self) -> Notify {
        Box::new(move |a: &Appointment| {
            let url = self.page(a)?;
            let text = format!(
                "Please pick a time for your {} visit: choose the {}-hour window that suits \
                 you best.\n\n{url}\n\nNo sign-in is needed; the link is for this visit only.",
                a.type_name,
                f64::from(a.window_minutes) / 60.0
            );
            self.reply.render(text, Vec::new()).map(Some)
        })
    }

    /// The message `change` (with the business's `reason`) sends, if any.
    pub fn notify(self, change: Change, reason: Option<String>) -> Notify {
        Box::new(move |a: &Appointment| {
            let Some(text) = self.text(a, &change, reason.as_deref())? else {
                return Ok(None);
            };
            let method = match a.status {
                AppointmentStatus::Cancelled => Method::Cancel,
                _ => Method::Request,
            };
            let invite = self.invitation(a, method);
            self.reply
                .render(text, invite.into_iter().collect())
                .map(Some)
        })
    }

    /// The resource's name and zone (UTC when unknown).
    fn resource(&self, a: &Appointment) -> (String, TimeZone) {
        a.resource_id
            .and_then(|r| self.resources.get(&r).cloned())
            .unwrap_or_else(|| ("Our technician".to_owned(), TimeZone::UTC))
    }

    fn page(&self, a: &Appointment) -> Result<String, Invalid> {
        link::url(&self.store, &self.public_url, a.id)
            .map_err(|e| Invalid::new("appointment", e.to_string()))
    }

    /// The text for the appointment `a` as `change` left it.
    fn text(
        &self,
        a: &Appointment,
        change: &Change,
        reason: Option<&str>,
    ) -> Result<Option<String>, Invalid> {
        let (Some(start), Some(end)) = (a.starts_at, a.ends_at) else {
            return Ok(None);
        };
        let (name, zone) = self.resource(a);
        let when = window_text(start, end, &zone);
        let at = a
            .address
            .as_deref()
            .map(|addr| format!(" at {addr}"))
            .unwrap_or_default();
        let page = self.page(a)?;
        let manage = format!(
            "To move or cancel it (up to {} hours before it starts): {page}",
            a.cutoff_hours
        );
        let sorry = |r: Option<&str>| {
            r.map(|r| format!("We are sorry: {r}. "))
                .unwrap_or_default()
        };
        let text = match change {
            Change::Book { .. } if a.sequence <= 1 => {
                format!(
                    "Your {} visit is booked: {when}{at}.\n\n{manage}",
                    a.type_name
                )
            }
            Change::Book { .. } => format!(
                "{}Your {} visit has moved to {when}{at}.\n\n{manage}",
                sorry(reason),
                a.type_name
            ),
            Change::Cancel => format!(
                "{}Your {} visit on {when} is cancelled.",
                sorry(reason),
                a.type_name
            ),
            Change::Remind => format!(
                "A reminder: your {} visit is tomorrow, {when}{at}.\n\n{manage}",
                a.type_name
            ),
            Change::OnTheWay { arrival_at } => format!(
                "{name} is on the way to you for your {} visit and expects to arrive at about {}.",
                a.type_name,
                clock_text(*arrival_at, &zone)
            ),
            Change::Arrive | Change::Done | Change::NoShow => return Ok(None),
        };
        Ok(Some(text))
    }

    /// The calendar invitation for `a`, as an attachment.
    fn invitation(&self, a: &Appointment, method: Method) -> Option<NewAttachment> {
        let (start, end) = (a.starts_at?, a.ends_at?);
        // On the way, the visit starts when the technician expects to arrive.
        let start = a.arrival_at.filter(|at| *at < end).unwrap_or(start);
        let (_, zone) = self.resource(a);
        let host = self
            .public_url
            .split("://")
            .nth(1)
            .unwrap_or("tend")
            .split(['/', ':'])
            .next()
            .unwrap_or("tend")
            .to_owned();
        let uid = format!("appointment-{}@{host}", a.id);
        let from = self
            .reply
            .from_address
            .clone()
            .unwrap_or_else(|| format!("appointments@{host}"));
        let summary = format!("{} visit ({})", a.type_name, self.reply.business);
        let description = format!(
            "Case #{}: {}\n{}",
            self.reply.case,
            self.reply.subject,
            self.page(a).unwrap_or_default()
        );
        let attendee = self
            .reply
            .customer_email
            .as_deref()
            .map(|email| (self.reply.customer_name.as_str(), email));
        let content_type = match method {
            Method::Request => "text/calendar; method=REQUEST; charset=UTF-8",
            Method::Cancel => "text/calendar; method=CANCEL; charset=UTF-8",
        };
        let invitation = Invitation {
            uid: &uid,
            sequence: u32::try_from(a.sequence).unwrap_or(0),
            method,
            summary: &summary,
            description: &description,
            location: a.address.as_deref(),
            starts_at: start,
            ends_at: end,
            zone: &zone,
            organizer: (&self.reply.business, &from),
            attendee,
            stamp: jiff::Timestamp::now(),
        };
        Some(NewAttachment {
            filename: "invite.ics".into(),
            content_type: content_type.into(),
            data: invitation.render().into_bytes(),
            content_id: None,
        })
    }
}
