//! `tend-bench slots`: how fast the free windows of the next two weeks are
//! found for a visit type many technicians can carry out. A fresh store
//! gets one business-hours calendar, one visit type with 2-hour windows,
//! `--resources` technicians and `--booked-per-resource` visits each in
//! the coming two weeks, booked through the store's real booking path in
//! windows the slot search offered; then `--searches` two-week searches
//! are timed in process over `--concurrency` tasks and, with `--http`,
//! the same through `GET /appointments/{id}/slots` of a `tend serve` child.

use crate::client::{self, Call, Credentials, Outcome, Target};
use crate::{process, report, seed};
use anyhow::Context;
use clap::Args;
use jiff::SignedDuration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tend::auth;
use tend::config::{ServeArgs, Settings, StoreArgs};
use tend::server;
use tend_domain::appointment::{AppointmentTypeDefinition, ResourceDefinition, Slot};
use tend_domain::calendar::CalendarDefinition;
use tend_domain::event::Actor;
use tend_domain::ids::{AgentId, AppointmentId, AppointmentTypeId, CustomerId};
use tend_store::Store;
use tend_store::appointments::changes::{Change, Notify};

/// Options of `tend-bench slots`.
#[derive(Debug, Args)]
pub struct SlotsBenchArgs {
    /// Technicians able to carry out the visit type (capacity 1, 30-minute travel buffer).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
    resources: u16,
    /// Visits booked with each of them in the coming two weeks.
    #[arg(long, default_value_t = 20)]
    booked_per_resource: usize,
    /// Two-week slot searches timed.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    searches: u64,
    /// Tasks (with --http, connections) searching at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    concurrency: u64,
    /// Seed of the windows picked for the bookings.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Also time the search over HTTP, through a `tend serve` child.
    #[arg(long)]
    http: bool,
    /// The `tend` binary --http starts [default: `tend` beside `tend-bench`].
    #[arg(long)]
    server_bin: Option<PathBuf>,
}

/// The span searched, as the visit page and the API do by default.
const SPAN: SignedDuration = SignedDuration::from_hours(14 * 24);
/// The technicians' hours.
const HOURS: &str = "mon-fri 08:00-18:00; sat 09:00-13:00";

/// Runs the slot search benchmark against a fresh store: the one
/// `store_args` names, or SQLite in a temporary directory.
pub async fn run(mut store_args: StoreArgs, args: SlotsBenchArgs) -> anyhow::Result<ExitCode> {
    let searches = usize::try_from(args.searches)?;
    let concurrency = usize::try_from(args.concurrency)?;
    // Kept until the end: dropping it removes the directory.
    let temporary = match (&store_args.data_dir, &store_args.config) {
        (None, None) => Some(
            tempfile::Builder::new()
                .prefix("tend-bench-slots-")
                .tempdir()?,
        ),
        _ => None,
    };
    if let Some(dir) = &temporary {
        store_args.data_dir = Some(dir.path().to_path_buf());
    }
    let settings = Settings::resolve(&store_args, &ServeArgs::default())?;
    // Found before seeding, so a missing binary fails at once.
    let server_bin = args
        .http
        .then(|| process::server_binary(args.server_bin.as_deref()))
        .transpose()?;
    eprintln!("database: {}", settings.database_url_redacted());
    let store = server::open_store(&settings).await?;
    let backend = format!("{:?}", store.dialect()).to_lowercase();
    let bench = set_up(&store, &args).await?;

    let (outcome, found) = search_in_process(&store, bench.kind, searches, concurrency).await?;
    let mut rows = vec![("store `free_slots`", outcome)];
    let http = match server_bin {
        Some(server_bin) => {
            let token = auth::new_token();
            store
                .create_api_token(bench.admin, &auth::token_hash(&token))
                .await?;
            Some((server_bin, token))
        }
        None => None,
    };
    // Closed before the server starts, so it is the only process on the database.
    store.close().await;
    if let Some((server_bin, token)) = http {
        let outcome =
            search_over_http(&server_bin, &settings, &store_args, &bench, token, &args).await?;
        rows.push(("HTTP `GET /appointments/{id}/slots`", outcome));
    }

    let database = format!("{backend} (`{}`)", settings.database_url_redacted());
    print_report(&database, &args, &bench, &found, &rows);
    Ok(ExitCode::SUCCESS)
}

/// The results as Markdown on stdout.
fn print_report(
    database: &str,
    args: &SlotsBenchArgs,
    bench: &Bench,
    found: &Found,
    rows: &[(&str, Outcome)],
) {
    let m = report::machine();
    println!(
        "## Slot search: {} days, {} resources, {} visits booked\n",
        SPAN.as_hours() / 24,
        args.resources,
        bench.booked
    );
    println!(
        "- backend: {database}; machine: {} CPUs ({}), {} MiB RAM",
        m.cpus,
        m.cpu_model.as_deref().unwrap_or("unknown model"),
        m.memory_mib.unwrap_or(0)
    );
    println!(
        "- each search found {} windows with {} free places in all\n",
        found.windows, found.places
    );
    println!(
        "| search | concurrency | searches | searches/s | p50 ms | p95 ms | p99 ms | max ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (label, o) in rows {
        println!(
            "| {label} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            args.concurrency,
            o.requests,
            o.throughput(),
            o.percentile_ms(50.0),
            o.percentile_ms(95.0),
            o.percentile_ms(99.0),
            o.max_ms()
        );
    }
}

/// What was seeded.
struct Bench {
    kind: AppointmentTypeId,
    admin: AgentId,
    /// An offered visit of `kind`, whose slots the HTTP search asks for.
    offered: AppointmentId,
    booked: usize,
}

/// The calendar, the visit type, the technicians and their visits.
async fn set_up(store: &Store, args: &SlotsBenchArgs) -> anyhow::Result<Bench> {
    anyhow::ensure!(
        store.appointment_types().await?.is_empty() && store.resources().await?.is_empty(),
        "the database already holds appointment types or resources: give a fresh database"
    );
    let calendar = CalendarDefinition {
        name: "Bench field hours".into(),
        time_zone: "Europe/Amsterdam".into(),
        hours: HOURS.into(),
        holidays: Vec::new(),
    };
    let calendar = store.create_calendar(calendar.check()?, false).await?.id;
    let kind = AppointmentTypeDefinition {
        name: "Boiler service".into(),
        duration_minutes: 90,
        window_minutes: 120,
        team_id: None,
        skills: Vec::new(),
        needs_address: false,
        cutoff_hours: 24,
    };
    let kind = store.save_appointment_type(None, kind.check()?).await?.id;
    for i in 0..args.resources {
        let technician = ResourceDefinition {
            name: format!("Technician {i}"),
            agent_id: None,
            team_id: None,
            calendar_id: Some(calendar),
            skills: Vec::new(),
            capacity: 1,
            travel_buffer_minutes: 30,
            active: true,
        };
        store.save_resource(None, technician.check()?).await?;
    }
    let admin = seed::ensure_admin(store).await?;
    let customer = seed::bench_customer(store, "Slot Bench", "slots").await?;
    let total = usize::from(args.resources) * args.booked_per_resource;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let started = Instant::now();
    for i in 0..total {
        let visit = offered_visit(store, customer, kind, admin, i).await?;
        let now = tend_store::now();
        let free = store.free_slots(kind, now, now + SPAN, None).await?;
        anyhow::ensure!(
            !free.is_empty(),
            "only {i} visits fit the two weeks: give a smaller --booked-per-resource"
        );
        let starts_at = free[rng.random_range(0..free.len())].starts_at;
        let book = Change::Book {
            starts_at,
            address: None,
        };
        store
            .change_appointment(visit, book, Actor::customer(customer), None, silent())
            .await
            .with_context(|| format!("booking visit {i} at {starts_at}"))?;
    }
    eprintln!(
        "booked {total} visits in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(Bench {
        kind,
        admin,
        offered: offered_visit(store, customer, kind, admin, total).await?,
        booked: total,
    })
}

/// A visit of `kind` offered on a case of its own (case `i`).
async fn offered_visit(
    store: &Store,
    customer: CustomerId,
    kind: AppointmentTypeId,
    admin: AgentId,
    i: usize,
) -> anyhow::Result<AppointmentId> {
    let case = seed::heating_case(customer, i);
    let case = store
        .create_case(case, Actor::customer(customer), None)
        .await?
        .id;
    Ok(store
        .offer_appointment(case, kind, admin, silent())
        .await?
        .id)
}

/// Tells the customer nothing: the bench measures the search, not mail.
fn silent() -> Notify {
    Box::new(|_| Ok(None))
}

/// What one search found: windows with a free technician, and free places
/// (technicians summed over those windows).
struct Found {
    windows: usize,
    places: u64,
}

impl Found {
    fn of(slots: &[Slot]) -> Self {
        Self {
            windows: slots.len(),
            places: slots.iter().map(|s| u64::from(s.free)).sum(),
        }
    }
}

/// Times `searches` two-week searches from now over `concurrency` tasks.
async fn search_in_process(
    store: &Store,
    kind: AppointmentTypeId,
    searches: usize,
    concurrency: usize,
) -> anyhow::Result<(Outcome, Found)> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(searches) {
        let (store, next) = (store.clone(), next.clone());
        tasks.spawn(async move {
            let mut took = Vec::new();
            let mut last = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < searches {
                let at = Instant::now();
                let now = tend_store::now();
                last = store.free_slots(kind, now, now + SPAN, None).await?;
                took.push(u64::try_from(at.elapsed().as_micros())?);
            }
            anyhow::Ok((took, Found::of(&last)))
        });
    }
    let mut latencies = Vec::with_capacity(searches);
    let mut found = None;
    while let Some(done) = tasks.join_next().await {
        let (took, seen) = done??;
        latencies.extend(took);
        found = Some(seen);
    }
    let outcome = Outcome::new(latencies, 0, started.elapsed());
    eprintln!(
        "in process: {} searches, p99 {:.2} ms",
        outcome.requests,
        outcome.percentile_ms(99.0)
    );
    Ok((outcome, found.context("no search ran")?))
}

/// Times the same searches through `GET /appointments/{id}/slots` (two
/// weeks from now by default) of a `tend serve` child on the same database.
async fn search_over_http(
    server_bin: &std::path::Path,
    settings: &Settings,
    store_args: &StoreArgs,
    bench: &Bench,
    token: String,
    args: &SlotsBenchArgs,
) -> anyhow::Result<Outcome> {
    let mut server = process::Server::spawn(server_bin, settings, store_args.config.as_deref())?;
    let credentials = Credentials {
        token,
        cookie: String::new(),
    };
    let target = Target::new(server.addr(), &credentials)?;
    server.wait_ready(&target).await?;
    let path = format!("/api/v1/appointments/{}/slots", bench.offered);
    let slots = client::fetch_json(&target, &path).await?;
    eprintln!(
        "over HTTP: {} windows",
        slots.as_array().map_or(0, Vec::len)
    );
    let outcome = client::run(
        &target,
        "slot search over HTTP",
        usize::try_from(args.searches)?,
        usize::try_from(args.concurrency)?,
        move |_, _| Call::get(path.clone()),
    )
    .await
    .with_context(|| format!("server log: {}", server.log().display()))?;
    server.stop().await?;
    Ok(outcome)
}
