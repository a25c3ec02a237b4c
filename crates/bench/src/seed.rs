//! The benchmark dataset: a bench admin, customers and cases generated
//! deterministically (case `i` always has the same text, customer, messages
//! and time for a given `--seed`), written in large transactions through the
//! store's real write path, so the rows, event logs and search indexes are
//! exactly what the API would have produced.
//!
//! Seeding only tops up: existing cases are counted first and only the
//! missing ones are added, so one seeded database can be measured many times.

use crate::corpus;
use anyhow::{Context, bail};
use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};
use tend_domain::agent::Role;
use tend_domain::case::{Channel, Priority};
use tend_domain::customer::ContactKind;
use tend_domain::email::EmailAddress;
use tend_domain::event::Actor;
use tend_domain::ids::{AgentId, CustomerId};
use tend_store::Store;
use tend_store::agents::NewAgent;
use tend_store::cases::{CaseFilter, CaseSort, NewCase};
use tend_store::cursor::Cursor;
use tend_store::customers::NewCustomer;
use tend_store::messages::NewMessage;
use tend_store::model::ContactPoint;

/// The agent the benchmark authenticates as and answers cases with.
pub const ADMIN_EMAIL: &str = "bench-admin@example.com";

/// Seeded case times spread over this span, ending now.
const SPAN: Duration = Duration::from_secs(365 * 24 * 3600);
/// Messages per case (1-10) and how often each count occurs, in percent.
/// One message leaves a case `new`; an agent reply opens it.
const MESSAGE_COUNTS: &[(usize, u32)] = &[
    (1, 12),
    (2, 18),
    (3, 18),
    (4, 14),
    (5, 10),
    (6, 8),
    (7, 7),
    (8, 5),
    (9, 4),
    (10, 4),
];
const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Email, 55),
    (Channel::Portal, 20),
    (Channel::WebForm, 12),
    (Channel::Phone, 8),
    (Channel::Api, 5),
];
const PRIORITIES: &[(Priority, u32)] = &[
    (Priority::Low, 15),
    (Priority::Normal, 60),
    (Priority::High, 20),
    (Priority::Urgent, 5),
];

/// How much to seed.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Cases the database should hold.
    pub cases: usize,
    /// Customers the cases are spread over.
    pub customers: usize,
    /// Seed of the generator.
    pub seed: u64,
    /// Cases per transaction.
    pub batch: usize,
}

/// The dataset the measurements run against.
#[derive(Debug)]
pub struct Dataset {
    /// The bench admin agent.
    pub admin: AgentId,
    /// Bench customers; index `i` is `customer{i}@example.net`.
    pub customers: Vec<CustomerId>,
    /// Every case id in the database.
    pub case_ids: Vec<i64>,
    /// Messages on those cases.
    pub messages: u64,
    /// How seeding went.
    pub summary: SeedSummary,
}

/// What seeding did and how fast.
#[derive(Debug, Clone, Serialize)]
pub struct SeedSummary {
    pub existing_cases: usize,
    pub seeded_cases: usize,
    pub seeded_messages: u64,
    pub case_seconds: f64,
    pub cases_per_second: f64,
    pub customers_created: usize,
    pub customer_seconds: f64,
}

/// Makes sure the admin, the customers and `plan.cases` cases exist.
pub async fn prepare(store: &Store, plan: Plan) -> anyhow::Result<Dataset> {
    let admin = ensure_admin(store).await?;
    let started = Instant::now();
    let (customers, customers_created) = ensure_customers(store, plan.customers).await?;
    let customer_seconds = started.elapsed().as_secs_f64();
    let (mut case_ids, mut messages) = existing_cases(store).await?;
    let existing_cases = case_ids.len();
    let missing = plan.cases.saturating_sub(existing_cases);
    eprintln!("cases: {existing_cases} present, {missing} to seed");
    let generator = Generator::new(plan, admin, &customers)?;
    let started = Instant::now();
    let (new_ids, seeded_messages) =
        seed_cases(store, &generator, existing_cases, plan.cases, plan.batch).await?;
    let case_seconds = started.elapsed().as_secs_f64();
    case_ids.extend(new_ids);
    messages += seeded_messages;
    let summary = SeedSummary {
        existing_cases,
        seeded_cases: missing,
        seeded_messages,
        case_seconds,
        cases_per_second: rate(missing, case_seconds),
        customers_created,
        customer_seconds,
    };
    eprintln!(
        "seeded {} cases with {} messages in {:.1} s ({:.0} cases/s); {} customers created in {:.1} s; \
         dataset: {} cases, {} messages, {} customers",
        summary.seeded_cases,
        summary.seeded_messages,
        summary.case_seconds,
        summary.cases_per_second,
        summary.customers_created,
        summary.customer_seconds,
        case_ids.len(),
        messages,
        customers.len()
    );
    Ok(Dataset {
        admin,
        customers,
        case_ids,
        messages,
        summary,
    })
}

/// The bench admin's id, creating the agent on first use.
pub async fn ensure_admin(store: &Store) -> anyhow::Result<AgentId> {
    let email = EmailAddress::parse("email", ADMIN_EMAIL)?;
    if let Some(id) = store.agent_id_by_email(&email).await? {
        if !store.agent(id).await?.active {
            bail!("the agent {ADMIN_EMAIL} is deactivated; reactivate it or use another database");
        }
        return Ok(id);
    }
    let agent = store
        .create_agent(&NewAgent {
            email,
            name: "Bench Admin".into(),
            role: Role::Admin,
            password_hash: None,
        })
        .await
        .context("creating the bench admin")?;
    Ok(agent.id)
}

/// A new customer `name` with an address of its own (`{tag}-bench-{pid}@example.net`),
/// for the benches that create cases one at a time.
pub async fn bench_customer(store: &Store, name: &str, tag: &str) -> anyhow::Result<CustomerId> {
    let new = NewCustomer {
        name: name.into(),
        organization_id: None,
        contact_points: vec![ContactPoint {
            kind: ContactKind::Email,
            value: format!("{tag}-bench-{}@example.net", std::process::id()),
        }],
    };
    Ok(store.create_customer(&new, None).await?.id)
}

/// Case `i` of `customer`'s cold radiators, from the web form, to create
/// through the store's ordinary write path.
pub fn heating_case(customer: CustomerId, i: usize) -> NewCase {
    NewCase {
        subject: format!("Heating broken, flat {i}"),
        customer_id: customer,
        channel: Channel::WebForm,
        priority: Priority::Normal,
        tags: Vec::new(),
        team_id: None,
        assignee_id: None,
        agreement_id: None,
        custom_fields: Default::default(),
        message: NewMessage::text(
            Actor::customer(customer),
            Channel::WebForm,
            false,
            "The radiators are cold since this morning.".into(),
        ),
        follows: None,
    }
}

/// Customers `customer0@example.net`..., creating those not yet present.
/// Returns their ids and how many were created.
async fn ensure_customers(store: &Store, count: usize) -> anyhow::Result<(Vec<CustomerId>, usize)> {
    let mut ids = Vec::with_capacity(count);
    let mut created = 0;
    let mut progress = Progress::new("customers", count, 25);
    for i in 0..count {
        let email = format!("customer{i}@example.net");
        let id = match store
            .customer_id_by_contact(ContactKind::Email, &email)
            .await?
        {
            Some(id) => id,
            None => {
                created += 1;
                let new = NewCustomer {
                    name: corpus::customer_name(i),
                    organization_id: None,
                    contact_points: vec![ContactPoint {
                        kind: ContactKind::Email,
                        value: email,
                    }],
                };
                store
                    .create_customer(&new, None)
                    .await
                    .with_context(|| format!("creating customer {i}"))?
                    .id
            }
        };
        ids.push(id);
        progress.update(i + 1);
    }
    Ok((ids, created))
}

/// Ids of every case already stored, and their message count. The store has
/// no count query, so this pages through the case list (it also yields the
/// ids the read phases pick from).
async fn existing_cases(store: &Store) -> anyhow::Result<(Vec<i64>, u64)> {
    let mut ids = Vec::new();
    let mut messages = 0u64;
    let mut after = None;
    let started = Instant::now();
    let mut last_print = Instant::now();
    loop {
        let page = store
            .cases(&CaseFilter::default(), CaseSort::CreatedAsc, after, 100)
            .await
            .context("counting existing cases")?;
        for case in &page.data {
            ids.push(case.id.0);
            messages += u64::try_from(case.message_count).unwrap_or(0);
        }
        let Some(next) = page.next_cursor else { break };
        after = Some(Cursor::decode(&next)?);
        if last_print.elapsed() >= Duration::from_secs(10) {
            eprintln!(
                "  counted {} cases ({:.0} s)",
                ids.len(),
                started.elapsed().as_secs_f64()
            );
            last_print = Instant::now();
        }
    }
    Ok((ids, messages))
}

/// Writes cases `from..to` in batches; returns their ids and message count.
async fn seed_cases(
    store: &Store,
    generator: &Generator<'_>,
    from: usize,
    to: usize,
    batch: usize,
) -> anyhow::Result<(Vec<i64>, u64)> {
    let mut ids = Vec::with_capacity(to.saturating_sub(from));
    let mut messages = 0u64;
    let mut progress = Progress::new("cases", to.saturating_sub(from), 5);
    let mut start = from;
    while start < to {
        let end = (start + batch.max(1)).min(to);
        let cases = (start..end)
            .map(|i| generator.case(i))
            .collect::<anyhow::Result<Vec<_>>>()?;
        messages += cases
            .iter()
            .map(|(_, follow_ups, _)| 1 + follow_ups.len() as u64)
            .sum::<u64>();
        let written = store
            .create_cases_unchecked(cases)
            .await
            .with_context(|| format!("seeding cases {start}..{end}"))?;
        ids.extend(written.into_iter().map(|id| id.0));
        start = end;
        progress.update(start - from);
    }
    Ok((ids, messages))
}

/// One case to bulk-write: the case with its first message, the follow-up
/// messages and the time everything happened.
type SeedCase = (NewCase, Vec<NewMessage>, Timestamp);

/// Turns a case index into a case, the same one every time.
struct Generator<'a> {
    seed: u64,
    total: usize,
    admin: AgentId,
    customers: &'a [CustomerId],
    start_micros: i64,
}

impl<'a> Generator<'a> {
    fn new(plan: Plan, admin: AgentId, customers: &'a [CustomerId]) -> anyhow::Result<Self> {
        if customers.is_empty() {
            bail!("at least one customer is needed to seed cases");
        }
        let span = i64::try_from(SPAN.as_micros())?;
        Ok(Self {
            seed: plan.seed,
            total: plan.cases.max(1),
            admin,
            customers,
            start_micros: Timestamp::now().as_microsecond() - span,
        })
    }

    fn case(&self, index: usize) -> anyhow::Result<SeedCase> {
        let mut rng = case_rng(self.seed, index);
        let (customer_index, customer_id) = pick_customer(&mut rng, self.customers);
        let count = weighted(&mut rng, MESSAGE_COUNTS);
        let text = corpus::case_text(&mut rng, &corpus::customer_name(customer_index), count);
        let channel = weighted(&mut rng, CHANNELS);
        let priority = weighted(&mut rng, PRIORITIES);
        let mut tags = vec![text.tag.to_string()];
        if rng.random_bool(0.05) {
            tags.push("vip".into());
        }
        let mut custom_fields = Map::new();
        if let Some(order) = text.order_number {
            custom_fields.insert("order_number".into(), Value::String(order));
        }
        let message = |author: Actor, body: String| NewMessage::text(author, channel, false, body);
        let customer = Actor::customer(customer_id);
        let agent = Actor::agent(self.admin);
        let mut bodies = text.messages.into_iter();
        let first = message(customer, bodies.next().unwrap_or_default());
        let follow_ups = bodies
            .enumerate()
            .map(|(n, body)| message(if n % 2 == 0 { agent } else { customer }, body))
            .collect();
        let case = NewCase {
            subject: text.subject,
            customer_id,
            channel,
            priority,
            tags,
            team_id: None,
            assignee_id: (count > 1 && rng.random_bool(0.85)).then_some(self.admin),
            agreement_id: None,
            custom_fields,
            message: first,
            follows: None,
        };
        Ok((case, follow_ups, self.time_of(index)?))
    }

    /// Case times grow with the index, evenly over the past year.
    fn time_of(&self, index: usize) -> anyhow::Result<Timestamp> {
        let span = SPAN.as_micros();
        let offset = span * index.min(self.total) as u128 / self.total as u128;
        let micros = self.start_micros + i64::try_from(offset)?;
        Ok(Timestamp::from_microsecond(micros)?)
    }
}

/// The JSON body of `POST /api/v1/cases` for a generated request from a
/// random bench customer; the create phases use it so HTTP-created cases look
/// like seeded ones (marker words included, at the same rates).
pub fn create_request(rng: &mut impl Rng, customers: &[CustomerId]) -> String {
    let (index, id) = pick_customer(rng, customers);
    let text = corpus::case_text(rng, &corpus::customer_name(index), 1);
    serde_json::json!({
        "subject": text.subject,
        "customer_id": id,
        "message": text.messages.first().cloned().unwrap_or_default(),
    })
    .to_string()
}

/// A random bench customer id, for filters.
pub fn random_customer(rng: &mut impl Rng, customers: &[CustomerId]) -> CustomerId {
    pick_customer(rng, customers).1
}

/// The generator for case `index`: independent of every other case, so a
/// top-up run produces the same cases a full run would have.
fn case_rng(seed: u64, index: usize) -> StdRng {
    StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A customer, skewed so a few customers have many cases, as in real desks.
/// `customers` must not be empty.
fn pick_customer(rng: &mut impl Rng, customers: &[CustomerId]) -> (usize, CustomerId) {
    let u: f64 = rng.random();
    let index = ((u * u * customers.len() as f64) as usize).min(customers.len() - 1);
    (index, customers[index])
}

/// A value from a constant, non-empty table of (value, weight).
fn weighted<T: Copy>(rng: &mut impl Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for &(value, weight) in table {
        if roll < weight {
            return value;
        }
        roll -= weight;
    }
    table[0].0
}

fn rate(count: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// Progress lines on stderr: every `step_percent` of the work or every 10 s.
struct Progress {
    what: &'static str,
    total: usize,
    step: usize,
    next_mark: usize,
    started: Instant,
    last_print: Instant,
}

impl Progress {
    fn new(what: &'static str, total: usize, step_percent: usize) -> Self {
        let step = (total * step_percent / 100).max(1);
        Self {
            what,
            total,
            step,
            next_mark: step,
            started: Instant::now(),
            last_print: Instant::now(),
        }
    }

    fn update(&mut self, done: usize) {
        let due = done >= self.next_mark || self.last_print.elapsed() >= Duration::from_secs(10);
        if !due {
            return;
        }
        while self.next_mark <= done {
            self.next_mark += self.step;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        eprintln!(
            "  {} {done}/{} ({:.0}/s, {elapsed:.1} s)",
            self.what,
            self.total,
            rate(done, elapsed)
        );
        self.last_print = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator(customers: &[CustomerId]) -> Generator<'_> {
        let plan = Plan {
            cases: 1000,
            customers: customers.len(),
            seed: 42,
            batch: 100,
        };
        Generator::new(plan, AgentId(1), customers).unwrap()
    }

    #[test]
    fn a_case_index_always_gives_the_same_case() {
        let customers: Vec<CustomerId> = (1..=50).map(CustomerId).collect();
        let g = generator(&customers);
        let (a, a_follow_ups, _) = g.case(17).unwrap();
        let (b, b_follow_ups, _) = g.case(17).unwrap();
        assert_eq!(a.subject, b.subject);
        assert_eq!(a.message.body_text, b.message.body_text);
        assert_eq!(a_follow_ups.len(), b_follow_ups.len());
        assert_ne!(a.message.body_text, g.case(18).unwrap().0.message.body_text);
    }

    #[test]
    fn replies_alternate_and_times_grow_over_the_past_year() {
        let customers: Vec<CustomerId> = (1..=50).map(CustomerId).collect();
        let g = generator(&customers);
        let mut last = None;
        for i in 0..1000 {
            let (case, follow_ups, at) = g.case(i).unwrap();
            assert_eq!(case.message.author, Actor::customer(case.customer_id));
            for (n, m) in follow_ups.iter().enumerate() {
                let agent = Actor::agent(AgentId(1));
                let expected = if n % 2 == 0 {
                    agent
                } else {
                    Actor::customer(case.customer_id)
                };
                assert_eq!(m.author, expected);
            }
            assert!((1..=10).contains(&(follow_ups.len() + 1)));
            assert!(last.is_none_or(|t| t <= at));
            assert!(at < Timestamp::now());
            last = Some(at);
        }
    }
}
