//! Every change to an appointment, each in one write: the row, the case
//! events (booking, move, arrival...), the promise a booking makes (kept
//! on arrival; broken when the business moves or calls off the visit,
//! withdrawn when the customer does) and the notice to the customer with
//! its email. A change locks the case first, and a booking also locks the
//! rows of the resources it may go to (PostgreSQL; SQLite has one writer),
//! so of two bookings for the last place in a window one wins and the
//! other is told the window is gone.

use super::{Appointment, Candidates, held_sql, margin};
use crate::cases::{append, load_state, save_state, write_message};
use crate::jobs::{JobKind, NewJob, enqueue};
use crate::messages::NewMessage;
use crate::outbound::OutboundEmail;
use crate::time::{from_micros, micros};
use crate::tx::{Tx, args};
use crate::{Dialect, Result, Store, StoreError, now};
use jiff::Timestamp;
use tend_domain::Invalid;
use tend_domain::appointment::{self, AppointmentStatus, Step, promise_text};
use tend_domain::event::{Actor, ActorKind, EventData};
use tend_domain::ids::{AgentId, AppointmentId, AppointmentTypeId, CaseId, ResourceId};
use tend_domain::promise::{NewPromise, PromiseKeeper};
use tend_domain::state::CaseState;

/// How long before a visit the customer is reminded of it.
pub const REMIND_BEFORE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// The message telling the customer of a change (with its email, if the
/// case has an email conversation), made inside the write once the
/// appointment stands as changed; `None` sends nothing.
pub type Notify = Box<
    dyn FnOnce(
            &Appointment,
        ) -> std::result::Result<Option<(NewMessage, Option<OutboundEmail>)>, Invalid>
        + Send,
>;

/// A change to an appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Book the window starting at `starts_at`, or move the visit to it,
    /// at `address`.
    Book {
        starts_at: Timestamp,
        address: Option<String>,
    },
    /// Call the visit off.
    Cancel,
    /// The technician set off, expecting to arrive at `arrival_at`.
    OnTheWay { arrival_at: Timestamp },
    /// The technician arrived.
    Arrive,
    /// The work is done.
    Done,
    /// Nobody was in.
    NoShow,
    /// The day-before reminder: sent once, to a booked visit.
    Remind,
}

impl Store {
    /// Offers a visit of type `kind` on case `case`, as `agent`: the
    /// customer is asked (by `notify`'s message) to pick a window.
    pub async fn offer_appointment(
        &self,
        case: CaseId,
        kind: AppointmentTypeId,
        agent: AgentId,
        notify: Notify,
    ) -> Result<Appointment> {
        let kind = self.appointment_type(kind).await?;
        let dialect = self.dialect;
        let id = self
            .write(move |tx| {
                Box::pin(async move {
                    let mut state = load_state(tx, dialect, case).await?;
                    let count = tx
                        .fetch_one(
                            "SELECT COUNT(*) AS n FROM appointments WHERE case_id = $1",
                            args![case.0],
                        )
                        .await?;
                    if count.int("n")? >= super::MAX_PER_CASE {
                        return Err(StoreError::State(format!(
                            "a case holds at most {} appointments",
                            super::MAX_PER_CASE
                        )));
                    }
                    let at = now();
                    let row = tx
                        .fetch_one(
                            "INSERT INTO appointments (case_id, type_id, status, created_by, \
                             created_at, updated_at) VALUES ($1, $2, 'offered', $3, $4, $4) \
                             RETURNING id",
                            args![case.0, kind.id.0, agent.0, micros(at)],
                        )
                        .await?;
                    let id = AppointmentId(row.int("id")?);
                    let before = state.clone();
                    let data = EventData::AppointmentOffered {
                        appointment_id: id,
                        type_name: kind.definition.name.clone(),
                        window_minutes: kind.definition.window_minutes,
                    };
                    append(tx, case, &mut state, Actor::agent(agent), data, at).await?;
                    save_state(tx, case, &state, &before).await?;
                    let offered = super::Appointment {
                        id,
                        case_id: case,
                        type_id: kind.id,
                        type_name: kind.definition.name.clone(),
                        status: AppointmentStatus::Offered,
                        resource_id: None,
                        starts_at: None,
                        ends_at: None,
                        window_minutes: kind.definition.window_minutes,
                        wide_window: kind.definition.wide_window(),
                        needs_address: kind.definition.needs_address,
                        address: None,
                        arrival_at: None,
                        cutoff_hours: kind.definition.cutoff_hours,
                        sequence: 0,
                        reminded_at: None,
                        created_at: at,
                        updated_at: at,
                    };
                    send_notice(tx, dialect, case, &offered, notify).await?;
                    Ok(id)
                })
            })
            .await?;
        self.appointment(id).await
    }

    /// Makes `change` to appointment `id` as `actor`, with `reason` (asked
    /// of the business when it moves or calls off a booked visit), and
    /// tells the customer with `notify`'s message.
    pub async fn change_appointment(
        &self,
        id: AppointmentId,
        change: Change,
        actor: Actor,
        reason: Option<String>,
        notify: Notify,
    ) -> Result<Appointment> {
        let current = self.appointment(id).await?;
        let candidates = match change {
            Change::Book { .. } => Some(self.candidates(current.type_id).await?),
            _ => None,
        };
        let (dialect, clock) = (self.dialect, self.clock.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let mut visit = Visit {
                    tx,
                    dialect,
                    actor,
                    reason,
                    now: clock.now(),
                    record: current,
                };
                visit.run(change, candidates, notify).await
            })
        })
        .await?;
        self.appointment(id).await
    }
}

/// One change being made inside its write.
struct Visit<'t> {
    tx: &'t mut Tx,
    dialect: Dialect,
    actor: Actor,
    reason: Option<String>,
    now: Timestamp,
    /// The appointment as read before the write, brought up to date in it.
    record: Appointment,
}

impl Visit<'_> {
    async fn run(
        &mut self,
        change: Change,
        candidates: Option<Candidates>,
        notify: Notify,
    ) -> Result<()> {
        let case = self.record.case_id;
        let mut state = load_state(self.tx, self.dialect, case).await?;
        self.reread().await?;
        let before = state.clone();
        let events = match &change {
            Change::Book { starts_at, address } => {
                let candidates = candidates.ok_or(StoreError::NotFound("resources"))?;
                self.book(&state, *starts_at, address.clone(), candidates)
                    .await?
            }
            Change::Remind => {
                let due = self
                    .record
                    .starts_at
                    .is_some_and(|start| start - REMIND_BEFORE <= self.now && self.now < start);
                if self.record.status != AppointmentStatus::Booked
                    || self.record.reminded_at.is_some()
                    || !due
                {
                    return Ok(());
                }
                self.record.reminded_at = Some(self.now);
                vec![EventData::AppointmentReminded {
                    appointment_id: self.record.id,
                }]
            }
            other => self.step(&state, other.clone())?,
        };
        self.record.updated_at = now();
        self.save().await?;
        let at = now();
        for data in events {
            let actor = match data {
                EventData::PromiseKept { .. } => Actor::system(),
                _ => self.actor,
            };
            append(self.tx, case, &mut state, actor, data, at).await?;
        }
        save_state(self.tx, case, &state, &before).await?;
        if let (Change::Book { .. }, Some(start)) = (&change, self.record.starts_at) {
            let payload = serde_json::json!({"appointment_id": self.record.id.0});
            let at = (start - REMIND_BEFORE).max(self.now);
            enqueue(
                self.tx,
                &NewJob::new(JobKind::AppointmentReminder, payload, at),
            )
            .await?;
        }
        send_notice(self.tx, self.dialect, case, &self.record, notify).await
    }

    /// Reads what may have changed since the appointment was read.
    async fn reread(&mut self) -> Result<()> {
        let row = self
            .tx
            .fetch_one(
                "SELECT status, resource_id, starts_at, ends_at, sequence, reminded_at, address \
                 FROM appointments WHERE id = $1",
                args![self.record.id.0],
            )
            .await?;
        let r = &mut self.record;
        r.status = AppointmentStatus::parse("status", &row.text("status")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        r.resource_id = row.opt_int("resource_id")?.map(ResourceId);
        r.starts_at = row.opt_int("starts_at")?.map(from_micros).transpose()?;
        r.ends_at = row.opt_int("ends_at")?.map(from_micros).transpose()?;
        r.sequence = row.int("sequence")?;
        r.reminded_at = row.opt_int("reminded_at")?.map(from_micros).transpose()?;
        r.address = row.opt_text("address")?;
        Ok(())
    }

    async fn save(&mut self) -> Result<()> {
        let r = &self.record;
        self.tx
            .execute(
                "UPDATE appointments SET status = $1, resource_id = $2, starts_at = $3, \
                 ends_at = $4, address = $5, arrival_at = $6, sequence = $7, reminded_at = $8, \
                 updated_at = $9 WHERE id = $10",
                args![
                    r.status.as_str(),
                    r.resource_id.map(|x| x.0),
                    r.starts_at.map(micros),
                    r.ends_at.map(micros),
                    r.address.clone(),
                    r.arrival_at.map(micros),
                    r.sequence,
                    r.reminded_at.map(micros),
                    micros(r.updated_at),
                    r.id.0
                ],
            )
            .await?;
        Ok(())
    }

    fn by_customer(&self) -> bool {
        self.actor.kind == ActorKind::Customer
    }

    /// Books (or moves) the visit into the window starting at `starts_at`.
    async fn book(
        &mut self,
        state: &CaseState,
        starts_at: Timestamp,
        address: Option<String>,
        mut candidates: Candidates,
    ) -> Result<Vec<EventData>> {
        let step = if self.record.status == AppointmentStatus::Offered {
            Step::Book
        } else {
            Step::Reschedule
        };
        let status = step.from(self.record.status)?;
        self.check_cutoff(step)?;
        let moving_reason = self.business_reason(step)?;
        if starts_at <= self.now {
            return Err(Invalid::new("starts_at", "pick a window that has not begun").into());
        }
        let address = match address.or_else(|| self.record.address.clone()) {
            None if self.record.needs_address => {
                return Err(
                    Invalid::new("address", "this visit needs the address to come to").into(),
                );
            }
            other => other,
        };
        let (resource, ends_at) = self.take_window(&mut candidates, starts_at).await?;
        let old = self.promise_closed_by(step, state, moving_reason.is_some());
        let r = &mut self.record;
        r.status = status;
        r.resource_id = Some(resource);
        r.starts_at = Some(starts_at);
        r.ends_at = Some(ends_at);
        r.address = address;
        r.arrival_at = None;
        r.sequence += 1;
        r.reminded_at = None;
        let booked = match step {
            Step::Book => EventData::AppointmentBooked {
                appointment_id: r.id,
                starts_at,
                ends_at,
                window_minutes: r.window_minutes,
                resource_id: resource,
            },
            _ => EventData::AppointmentRescheduled {
                appointment_id: r.id,
                starts_at,
                ends_at,
                resource_id: resource,
                reason: moving_reason,
            },
        };
        let promise = NewPromise::checked(
            &promise_text(r.id, &r.type_name),
            ends_at,
            Some(starts_at),
            true,
            PromiseKeeper::Manual,
            self.now,
        )?;
        Ok([Some(booked), old, Some(promise.event())]
            .into_iter()
            .flatten()
            .collect())
    }

    /// Locks the candidates' rows, reads what they hold, and picks the one
    /// to take the window starting at `starts_at`: its id and the window's end.
    async fn take_window(
        &mut self,
        candidates: &mut Candidates,
        starts_at: Timestamp,
    ) -> Result<(ResourceId, Timestamp)> {
        let ids = candidates.ids();
        if ids.is_empty() {
            return Err(StoreError::State(
                "nobody can carry out this kind of visit yet".into(),
            ));
        }
        let list = crate::sql::inline_ids(&ids);
        self.tx
            .fetch_all(
                &format!(
                    "SELECT id FROM resources WHERE id IN ({list}) ORDER BY id{}",
                    self.dialect.for_update()
                ),
                args![],
            )
            .await?;
        let rows = self
            .tx
            .fetch_all(
                &held_sql(&ids),
                args![
                    micros(starts_at - margin()),
                    micros(starts_at + margin() + margin()),
                    self.record.id.0
                ],
            )
            .await?;
        let held = rows
            .iter()
            .map(|r| {
                Ok((
                    r.int("resource_id")?,
                    from_micros(r.int("starts_at")?)?,
                    from_micros(r.int("ends_at")?)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        candidates.fill(held);
        let width = candidates.kind.window_minutes;
        let ends_at = candidates
            .resources
            .iter()
            .flat_map(|(_, a)| a.calendar.windows(starts_at, starts_at + margin(), width))
            .find(|(start, _)| *start == starts_at)
            .map(|(_, end)| end)
            .ok_or_else(|| {
                Invalid::new(
                    "starts_at",
                    "that is not one of the windows offered; pick one from the list of slots",
                )
            })?;
        let availability = candidates.availability();
        let chosen =
            appointment::pick(&availability, width, starts_at, ends_at).ok_or_else(|| {
                StoreError::State("that window has just been taken; please pick another".into())
            })?;
        Ok((candidates.resources[chosen].0, ends_at))
    }

    /// The steps after booking: calling off, setting off, arriving...
    fn step(&mut self, state: &CaseState, change: Change) -> Result<Vec<EventData>> {
        let step = match change {
            Change::Cancel => Step::Cancel,
            Change::OnTheWay { .. } => Step::OnTheWay,
            Change::Arrive => Step::Arrive,
            Change::Done => Step::Done,
            _ => Step::NoShow,
        };
        let status = step.from(self.record.status)?;
        self.check_cutoff(step)?;
        let reason = self.business_reason(step)?;
        let id = self.record.id;
        let promise = self.promise_closed_by(step, state, reason.is_some());
        let event = match change {
            Change::Cancel => EventData::AppointmentCancelled {
                appointment_id: id,
                reason,
            },
            Change::OnTheWay { arrival_at } => {
                if arrival_at <= self.now {
                    return Err(Invalid::new("arrival_at", "give a time still to come").into());
                }
                self.record.arrival_at = Some(arrival_at);
                EventData::TechnicianOnTheWay {
                    appointment_id: id,
                    arrival_at,
                }
            }
            Change::Arrive => EventData::TechnicianArrived { appointment_id: id },
            Change::Done => EventData::AppointmentDone { appointment_id: id },
            _ => EventData::AppointmentNoShow { appointment_id: id },
        };
        if matches!(step, Step::Cancel | Step::OnTheWay) {
            self.record.sequence += 1;
        }
        self.record.status = status;
        Ok([Some(event), promise].into_iter().flatten().collect())
    }

    /// Customers move or call off a visit themselves only before its cut-off.
    fn check_cutoff(&self, step: Step) -> Result<()> {
        let Some(starts_at) = self.record.starts_at else {
            return Ok(());
        };
        if self.by_customer()
            && matches!(step, Step::Reschedule | Step::Cancel)
            && !appointment::before_cutoff(starts_at, self.record.cutoff_hours, self.now)
        {
            return Err(Invalid::new(
                "starts_at",
                format!(
                    "the visit starts within {} hours, so it can no longer be changed here; \
                     reply to us and we will sort it out",
                    self.record.cutoff_hours
                ),
            )
            .into());
        }
        Ok(())
    }

    /// The reason the business gives for moving or calling off a booked
    /// visit (asked of it: that breaks a promise); `None` for the customer.
    fn business_reason(&self, step: Step) -> Result<Option<String>> {
        let breaks = matches!(step, Step::Reschedule | Step::Cancel)
            && self.record.status.holds_window()
            && !self.by_customer();
        if !breaks {
            return Ok(None);
        }
        let reason = appointment::short_text("reason", self.reason.as_deref())?;
        reason.map(Some).ok_or_else(|| {
            Invalid::new(
                "reason",
                "say why the visit is moved or called off: the customer is told",
            )
            .into()
        })
    }

    /// What `step` does to the booking's promise, if it is still open:
    /// kept by the technician's arrival in time (or a no-show: they came),
    /// broken by a late one and when the business moves or calls off the visit, withdrawn when the
    /// customer does.
    fn promise_closed_by(
        &self,
        step: Step,
        state: &CaseState,
        by_business: bool,
    ) -> Option<EventData> {
        let promise = promise_text(self.record.id, &self.record.type_name);
        if !state
            .effort
            .open_promises
            .iter()
            .any(|(p, _)| *p == promise)
        {
            return None;
        }
        let in_time = self.record.ends_at.is_some_and(|end| self.now <= end);
        match step {
            Step::Arrive | Step::NoShow if in_time => Some(EventData::PromiseKept { promise }),
            Step::Arrive | Step::NoShow => Some(EventData::PromiseBroken { promise }),
            Step::Reschedule | Step::Cancel if by_business => {
                Some(EventData::PromiseBroken { promise })
            }
            Step::Reschedule | Step::Cancel => Some(EventData::PromiseWithdrawn { promise }),
            _ => None,
        }
    }
}

/// Writes `notify`'s message for `record` on `case`, with its email queued.
async fn send_notice(
    tx: &mut Tx,
    dialect: Dialect,
    case: CaseId,
    record: &Appointment,
    notify: Notify,
) -> Result<()> {
    let Some((mut msg, mail)) = notify(record)? else {
        return Ok(());
    };
    if let Some(mail) = &mail {
        msg.raw_sha256 = Some(crate::blobs::put(tx, &mail.raw).await?);
    }
    let message = write_message(tx, dialect, case, &msg, now()).await?;
    if let Some(mail) = &mail {
        crate::outbound::enqueue(tx, dialect, case, message, mail).await?;
    }
    Ok(())
}
