//! `tend-bench load`: seeds a realistic dataset into the configured
//! database (SQLite or PostgreSQL, chosen exactly as for `tend serve`),
//! starts `tend serve` as a child process on loopback and measures it over
//! HTTP: case creation, case lists, case pages, web UI pages (views, case,
//! the customer page of the customer with the most cases), portal pages,
//! search, with `--sla` the SLA lists, and the server's memory. Progress goes to stderr, the report to
//! stdout.
//!
//! [`seed`] (with [`corpus`]) generates and bulk-writes the dataset,
//! [`process`] runs the server child, [`client`] sends requests and
//! measures them, [`report`] prints the results.

use crate::client::{self, Call, Credentials, RssSampler, Target};
use crate::report::{self, DatasetFacts, PhaseRow, Report};
use crate::seed::{self, Dataset};
use crate::{corpus, process, sla};
use anyhow::{Context, anyhow, bail};
use rand::Rng;
use rand::rngs::StdRng;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tend::auth;
use tend::config::{ServeArgs, Settings, StoreArgs};
use tend::server;
use tend_domain::ids::{CaseId, CustomerId};
use tend_store::cases::CaseFilter;
use tend_store::customers::CustomerChange;
use tend_store::organizations::OrganizationFields;
use tend_store::sessions::NewSession;
use tend_store::{Dialect, SqliteSync};

/// Options of `tend-bench load`. The database is chosen by the global
/// `--data-dir` / `--database-url` / `--sqlite-sync` options, as for `tend serve`.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Cases the database should hold before measuring; only missing ones are seeded.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    cases: u64,
    /// Customers the cases belong to [default: cases / 20, at least 100].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    customers: Option<u64>,
    /// Seed of the dataset generator (same seed, same dataset).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Cases written per transaction while seeding.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    seed_batch: u64,
    /// Only seed the dataset; do not start the server or measure.
    #[arg(long)]
    seed_only: bool,
    /// Case creations over one connection.
    #[arg(long, default_value_t = 2000)]
    create_sequential: usize,
    /// Case creations spread over --concurrency connections.
    #[arg(long, default_value_t = 20_000)]
    create_concurrent: usize,
    /// Keep-alive connections for the concurrent create phase.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..))]
    concurrency: u64,
    /// Requests per read phase (case list, case, case messages), each run with 1 and 8 connections.
    #[arg(long, default_value_t = 2000)]
    reads: usize,
    /// Search requests per term (zebra, printer, qqnomatchqq), over one connection.
    #[arg(long, default_value_t = 200)]
    search_requests: usize,
    /// Requests per report (effort, service, surveys; API and web page) over
    /// the last 90 days, over one connection; 0 skips them.
    #[arg(long, default_value_t = 100)]
    report_requests: usize,
    /// Put the bench SLA policy in place (once per dataset), let Tend measure
    /// every case against it before measuring, and add the SLA list phases
    /// (due soonest, breached; API and web views).
    #[arg(long)]
    sla: bool,
    /// Also write the raw results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The `tend` binary to start and measure [default: `tend` beside `tend-bench`].
    #[arg(long)]
    server_bin: Option<PathBuf>,
}

/// Connection counts the read phases run with.
const READ_CONNECTIONS: [usize; 2] = [1, 8];
/// GETs that warm the server up before the second idle memory reading.
const WARM_UP_REQUESTS: usize = 100;
/// How often memory is sampled under load.
const RSS_EVERY: Duration = Duration::from_millis(100);
/// The case list query every list request starts from.
const LIST: &str = "/api/v1/cases?limit=25";
/// Phase names, as the report shows them.
const CREATE: &str = "case create `POST /cases`";
/// The period the report phases ask for, in days up to today.
const REPORT_DAYS: i64 = 90;
const LIST_PHASE: &str = "case list `GET /cases?limit=25`";
const CASE_PHASE: &str = "case `GET /cases/{id}`";
const MESSAGES_PHASE: &str = "case messages `GET /cases/{id}/messages`";
const WEB_VIEW_PHASE: &str = "web UI view page `GET /views/…`";
const WEB_CASE_PHASE: &str = "web UI case page `GET /cases/{id}`";
const VIEW_COUNTS_PHASE: &str = "web UI view counts `GET /views/counts`";
const PORTAL_HOME_PHASE: &str = "portal home `GET /portal`";
const SLA_LIST_PHASE: &str = "SLA case list `GET /cases?sort=sla_due_at` / `?sla=breached`";
const SLA_VIEW_PHASE: &str = "web UI SLA views `GET /views/due` / `/views/breached`";
/// The SLA web views the SLA view phase rotates through.
const SLA_VIEWS: [&str; 2] = ["/views/due", "/views/breached"];
/// Bench customers put in one organisation, so the customer page also
/// reads an organisation's other cases (customer 0 has the most cases).
const ORGANIZATION_MEMBERS: usize = 10;
const PORTAL_CASE_PHASE: &str = "portal case page `GET /portal/cases/{id}`";
/// The web UI views the view phase rotates through.
const WEB_VIEWS: [&str; 4] = [
    "/views/all",
    "/views/unassigned",
    "/views/pending",
    "/views/all?sort=created_at",
];
/// How long the bench's web session lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(24 * 3600);

impl LoadArgs {
    fn plan(&self) -> anyhow::Result<seed::Plan> {
        let cases = usize::try_from(self.cases)?;
        let customers = match self.customers {
            Some(n) => usize::try_from(n)?,
            None => (cases / 20).max(100),
        };
        Ok(seed::Plan {
            cases,
            customers,
            seed: self.seed,
            batch: usize::try_from(self.seed_batch)?,
        })
    }
}

/// Runs the benchmark: seed, start the server, measure, report.
pub async fn run(store_args: StoreArgs, args: LoadArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(&store_args, &ServeArgs::default())?;
    // Found before seeding, so a missing binary fails at once.
    let server_bin = if args.seed_only {
        None
    } else {
        Some(process::server_binary(args.server_bin.as_deref())?)
    };
    eprintln!("database: {}", settings.database_url_redacted());
    let store = server::open_store(&settings).await?;
    let dialect = store.dialect();
    let prepared = prepare(&store, &args).await;
    // Closed before the server starts (also on error), so SQLite
    // checkpoints and the server is the only process using the database
    // while it is measured.
    store.close().await;
    let (Some((dataset, credentials, heavy)), Some(server_bin)) = (prepared?, server_bin) else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut server = process::Server::spawn(&server_bin, &settings, store_args.config.as_deref())?;
    let target = Target::new(server.addr(), &credentials)?;
    let started_in = server.wait_ready(&target).await?;
    eprintln!(
        "{} serve (pid {}) ready on {} after {:.2} s; its log: {}",
        server_bin.display(),
        server.pid(),
        server.addr(),
        started_in.as_secs_f64(),
        server.log().display()
    );
    let mut bench = Bench {
        target,
        pid: server.pid(),
        workload: Workload::new(&dataset),
        report: new_report(&settings, dialect, &dataset, started_in),
        heavy,
    };
    // On Ctrl-C or SIGTERM, return instead of dying, so the guard still
    // stops the server.
    let measured = tokio::select! {
        result = bench.measure(&args) => result,
        () = server::shutdown_signal() => Err(anyhow!("interrupted")),
    };
    measured
        .with_context(|| format!("measuring stopped (server log: {})", server.log().display()))?;
    let status = server.stop().await?;
    if !status.success() {
        eprintln!("note: tend serve exited with {status}");
    }
    print!("{}", bench.report.markdown());
    if let Some(path) = &args.json {
        bench.report.write_json(path)?;
        eprintln!("raw results written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Seeds the dataset and, unless only seeding, makes a fresh API token and
/// web session for the bench admin (only their hashes are stored).
async fn prepare(
    store: &tend_store::Store,
    args: &LoadArgs,
) -> anyhow::Result<Option<(Dataset, Credentials, Heavy)>> {
    let dataset = seed::prepare(store, args.plan()?).await?;
    let heavy = heavy_customer(store, &dataset).await?;
    if args.sla {
        sla::prepare(store).await?;
    }
    let started = std::time::Instant::now();
    store.optimize().await.context("optimizing after seeding")?;
    eprintln!(
        "optimized (statistics, search indexes) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if args.seed_only {
        return Ok(None);
    }
    let token = auth::new_token();
    store
        .create_api_token(dataset.admin, &auth::token_hash(&token))
        .await
        .context("creating the bench API token")?;
    let session = auth::new_token();
    let expires_at = tend_store::now()
        .checked_add(SESSION_LIFETIME)
        .context("session expiry")?;
    store
        .create_session(&NewSession {
            id_hash: &auth::token_hash(&session),
            agent_id: dataset.admin,
            csrf_token: &auth::new_token(),
            expires_at,
        })
        .await
        .context("creating the bench web session")?;
    // The portal phases read as the customer of the first case.
    let portal = auth::new_token();
    if let Some(&first) = dataset.case_ids.first() {
        let customer = store.case(CaseId(first)).await?.customer_id;
        store
            .create_portal_session(
                &auth::token_hash(&portal),
                customer,
                &auth::new_token(),
                expires_at,
            )
            .await
            .context("creating the bench portal session")?;
    }
    let cookie = format!(
        "{}={session}; {}={portal}",
        tend::web::SESSION_COOKIE,
        tend::web::PORTAL_COOKIE
    );
    Ok(Some((dataset, Credentials { token, cookie }, heavy)))
}

/// The customer whose page the customer-page phase reads, and how many
/// cases they have.
struct Heavy {
    customer: CustomerId,
    cases: i64,
}

/// Customer 0 (the one with the most cases), in an organisation with the
/// next few customers (made once, on the first run over a dataset).
async fn heavy_customer(store: &tend_store::Store, dataset: &Dataset) -> anyhow::Result<Heavy> {
    let customer = *dataset
        .customers
        .first()
        .context("the dataset has no customers")?;
    if store.customer(customer).await?.organization_id.is_none() {
        let org = store
            .create_organization(
                &OrganizationFields {
                    name: Some("Bench organisation".into()),
                    ..OrganizationFields::default()
                },
                None,
            )
            .await?;
        for &member in dataset.customers.iter().take(ORGANIZATION_MEMBERS) {
            let change = CustomerChange {
                organization_id: Some(Some(org.id)),
                ..CustomerChange::default()
            };
            store.update_customer(member, &change).await?;
        }
    }
    let filter = CaseFilter {
        customer_id: Some(customer),
        ..CaseFilter::default()
    };
    let cases = store.count_cases(&filter, i64::MAX - 1).await?;
    eprintln!("customer page: customer {customer} has {cases} cases");
    Ok(Heavy { customer, cases })
}

fn new_report(
    settings: &Settings,
    dialect: Dialect,
    data: &Dataset,
    started_in: Duration,
) -> Report {
    Report {
        // The workspace's crates share one version, so this is tend's too.
        tend_version: env!("CARGO_PKG_VERSION"),
        backend: match dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        },
        database: settings.database_url_redacted(),
        sqlite_sync: (dialect == Dialect::Sqlite).then_some(match settings.store.sqlite_sync {
            SqliteSync::Full => "full",
            SqliteSync::Normal => "normal",
        }),
        pool_connections: settings.store.max_connections,
        machine: report::machine(),
        dataset: DatasetFacts {
            cases: data.case_ids.len(),
            messages: data.messages,
            customers: data.customers.len(),
            cases_after_creates: data.case_ids.len(),
        },
        seeding: data.summary.clone(),
        server_start_seconds: started_in.as_secs_f64(),
        rss: Vec::new(),
        phases: Vec::new(),
    }
}

/// What requests pick from: existing case ids and bench customers, shared
/// by every worker of every phase.
struct Workload {
    case_ids: Arc<[i64]>,
    customers: Arc<[CustomerId]>,
}

impl Workload {
    fn new(data: &Dataset) -> Self {
        Self {
            case_ids: data.case_ids.clone().into(),
            customers: data.customers.clone().into(),
        }
    }

    /// `POST /api/v1/cases` with generated support text.
    fn create(&self) -> impl Fn(&mut StdRng, usize) -> Call + Send + Sync + 'static {
        let customers = self.customers.clone();
        move |rng, _| Call::post_json("/api/v1/cases", seed::create_request(rng, &customers))
    }

    /// The case list, rotating through: no filter, `status=open`, a second
    /// page (one of `second_pages`), one customer's cases.
    fn list(
        &self,
        second_pages: Arc<[String]>,
    ) -> impl Fn(&mut StdRng, usize) -> Call + Send + Sync + 'static {
        let customers = self.customers.clone();
        move |rng, i| {
            Call::get(match i % 4 {
                0 => LIST.to_string(),
                1 => format!("{LIST}&status=open"),
                2 => second_pages[(i / 4) % second_pages.len()].clone(),
                _ => format!(
                    "{LIST}&customer_id={}",
                    seed::random_customer(rng, &customers)
                ),
            })
        }
    }

    /// `GET /api/v1/cases/{random id}{suffix}`.
    fn case_page(
        &self,
        suffix: &'static str,
    ) -> impl Fn(&mut StdRng, usize) -> Call + Send + Sync + 'static {
        self.case_page_at("/api/v1/cases", suffix)
    }

    /// `GET {prefix}/{random case id}{suffix}`.
    fn case_page_at(
        &self,
        prefix: &'static str,
        suffix: &'static str,
    ) -> impl Fn(&mut StdRng, usize) -> Call + Send + Sync + 'static {
        let ids = self.case_ids.clone();
        move |rng, _| {
            let id = ids[rng.random_range(0..ids.len())];
            Call::get(format!("{prefix}/{id}{suffix}"))
        }
    }

    /// A mix of every read, for warming the server up.
    fn mixed_reads(
        &self,
        second_pages: Arc<[String]>,
    ) -> impl Fn(&mut StdRng, usize) -> Call + Send + Sync + 'static {
        let list = self.list(second_pages);
        let case = self.case_page("");
        let messages = self.case_page("/messages");
        let search = search(corpus::COMMON_WORD);
        move |rng, i| match i % 4 {
            0 => list(rng, i / 4),
            1 => case(rng, i),
            2 => messages(rng, i),
            _ => search(rng, i),
        }
    }
}

/// `GET /api/v1/search?q=term`.
fn search(term: &'static str) -> impl Fn(&mut StdRng, usize) -> Call + Send + Sync + 'static {
    move |_, _| Call::get(format!("/api/v1/search?q={term}"))
}

/// One measuring session against a running server.
struct Bench {
    /// The customer the customer-page phase reads.
    heavy: Heavy,
    target: Target,
    pid: u32,
    workload: Workload,
    report: Report,
}

impl Bench {
    /// Every phase, in order; each is reported as it completes.
    async fn measure(&mut self, args: &LoadArgs) -> anyhow::Result<()> {
        if self.workload.case_ids.is_empty() {
            bail!("the database holds no cases to read");
        }
        self.rss("idle after start-up")?;
        // The server brings its report summary up to date when it starts (all
        // of it on a new dataset); a report waits for that, so the write
        // phases do not share the writer with it.
        let started = std::time::Instant::now();
        client::fetch_json(&self.target, "/api/v1/reports/service").await?;
        eprintln!(
            "report summary up to date after {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let second_pages = self.second_pages().await?;
        // Warm-up is not a measurement: printed, but not in the report.
        let warm_up = self.workload.mixed_reads(second_pages.clone());
        let outcome = client::run(&self.target, "warm-up", WARM_UP_REQUESTS, 1, warm_up).await?;
        eprintln!(
            "{}",
            PhaseRow::new("warm-up (mixed GETs)", 1, &outcome).summary()
        );
        self.rss(&format!("idle after {WARM_UP_REQUESTS} warm-up GETs"))?;
        self.creates(args).await?;
        for connections in READ_CONNECTIONS {
            let list = self.workload.list(second_pages.clone());
            self.phase(LIST_PHASE, args.reads, connections, list)
                .await?;
        }
        for (name, suffix) in [(CASE_PHASE, ""), (MESSAGES_PHASE, "/messages")] {
            for connections in READ_CONNECTIONS {
                let page = self.workload.case_page(suffix);
                self.phase(name, args.reads, connections, page).await?;
            }
        }
        for connections in READ_CONNECTIONS {
            let views = |_: &mut StdRng, i: usize| Call::get(WEB_VIEWS[i % WEB_VIEWS.len()].into());
            self.phase(WEB_VIEW_PHASE, args.reads, connections, views)
                .await?;
            let counts = |_: &mut StdRng, _: usize| Call::get("/views/counts".into());
            self.phase(VIEW_COUNTS_PHASE, args.reads, connections, counts)
                .await?;
            let page = self.workload.case_page_at("/cases", "");
            self.phase(WEB_CASE_PHASE, args.reads, connections, page)
                .await?;
            let name = format!(
                "web UI customer page `GET /customers/{{id}}` ({} cases)",
                self.heavy.cases
            );
            let path = format!("/customers/{}", self.heavy.customer);
            let page = move |_: &mut StdRng, _: usize| Call::get(path.clone());
            self.phase(&name, args.reads, connections, page).await?;
        }
        let portal_cases = self.portal_cases().await?;
        for connections in READ_CONNECTIONS {
            let home = |_: &mut StdRng, _: usize| Call::get("/portal".into());
            self.phase(PORTAL_HOME_PHASE, args.reads, connections, home)
                .await?;
            let cases = portal_cases.clone();
            let page = move |_: &mut StdRng, i: usize| {
                Call::get(format!("/portal/cases/{}", cases[i % cases.len()]))
            };
            self.phase(PORTAL_CASE_PHASE, args.reads, connections, page)
                .await?;
        }
        for term in [corpus::RARE_WORD, corpus::COMMON_WORD, corpus::ABSENT_WORD] {
            let name = format!("search `GET /search?q={term}`");
            self.phase(&name, args.search_requests, 1, search(term))
                .await?;
        }
        if args.report_requests > 0 {
            self.reports(args.report_requests).await?;
        }
        if args.sla {
            self.sla_lists(args.reads).await?;
        }
        self.rss("idle after all phases")
    }

    /// The reports over the 90 days up to today, through the API and as the
    /// web page (all three sections and their charts).
    async fn reports(&mut self, requests: usize) -> anyhow::Result<()> {
        let today = jiff::Zoned::now().date();
        let from = today.checked_sub(jiff::Span::new().days(REPORT_DAYS))?;
        let to = today.checked_add(jiff::Span::new().days(1))?;
        let period = format!("from={from}&to={to}");
        // Unfiltered reports read the per-day summary; a filter makes them
        // add up the matching cases (email: most of them).
        for (path, filter) in [
            ("/api/v1/reports/effort", ""),
            ("/api/v1/reports/service", ""),
            ("/api/v1/reports/surveys", ""),
            ("/reports", ""),
            ("/api/v1/reports/effort", "&channel=phone"),
            ("/api/v1/reports/effort", "&channel=email"),
        ] {
            let name = format!("report `GET {path}{filter}` ({REPORT_DAYS} days)");
            let url = format!("{path}?{period}{filter}");
            let call = move |_: &mut StdRng, _: usize| Call::get(url.clone());
            self.phase(&name, requests, 1, call).await?;
        }
        Ok(())
    }

    /// The SLA lists: through the API, the first and second page due
    /// soonest and the breached cases, due soonest first; and the web
    /// views "SLA due soonest" and "SLA breached".
    async fn sla_lists(&mut self, requests: usize) -> anyhow::Result<()> {
        let due = format!("{LIST}&sort=sla_due_at");
        let breached = format!("{LIST}&sla=breached&sort=sla_due_at");
        let first = client::fetch_json(&self.target, &due).await?;
        let second = match first["next_cursor"].as_str() {
            Some(cursor) => format!("{due}&cursor={cursor}"),
            None => due.clone(),
        };
        let pages: Arc<[String]> = [due, second, breached].into();
        for connections in READ_CONNECTIONS {
            let pages = pages.clone();
            let list = move |_: &mut StdRng, i: usize| Call::get(pages[i % pages.len()].clone());
            self.phase(SLA_LIST_PHASE, requests, connections, list)
                .await?;
            let views = |_: &mut StdRng, i: usize| Call::get(SLA_VIEWS[i % SLA_VIEWS.len()].into());
            self.phase(SLA_VIEW_PHASE, requests, connections, views)
                .await?;
        }
        Ok(())
    }

    /// Sequential, then concurrent case creation, sampling memory meanwhile.
    async fn creates(&mut self, args: &LoadArgs) -> anyhow::Result<()> {
        let create = self.workload.create();
        self.phase(CREATE, args.create_sequential, 1, create)
            .await?;
        if args.create_concurrent > 0 {
            let concurrency = usize::try_from(args.concurrency)?;
            let sampler = RssSampler::start(self.pid, RSS_EVERY);
            let create = self.workload.create();
            let result = self
                .phase(CREATE, args.create_concurrent, concurrency, create)
                .await;
            let max = sampler.finish().await?;
            result?;
            self.report.add_rss(
                &format!("max under create load ({concurrency} connections)"),
                max,
            );
        }
        let created: usize = self
            .report
            .phases
            .iter()
            .filter(|p| p.phase == CREATE)
            .map(|p| p.requests - p.errors)
            .sum();
        self.report.dataset.cases_after_creates += created;
        Ok(())
    }

    /// Runs one phase and records its row.
    async fn phase<F>(
        &mut self,
        name: &str,
        requests: usize,
        connections: usize,
        build: F,
    ) -> anyhow::Result<()>
    where
        F: Fn(&mut StdRng, usize) -> Call + Send + Sync + 'static,
    {
        if requests == 0 {
            return Ok(());
        }
        let outcome = client::run(&self.target, name, requests, connections, build).await?;
        self.report
            .add_phase(PhaseRow::new(name, connections, &outcome));
        Ok(())
    }

    fn rss(&mut self, moment: &str) -> anyhow::Result<()> {
        let kib = client::rss_kib(self.pid)?;
        self.report.add_rss(moment, kib);
        Ok(())
    }

    /// The cases of the portal's customer (the first case's), as the API
    /// lists them.
    async fn portal_cases(&self) -> anyhow::Result<Arc<[i64]>> {
        let first = self.workload.case_ids[0];
        let case = client::fetch_json(&self.target, &format!("/api/v1/cases/{first}")).await?;
        let customer = &case["customer_id"];
        let page =
            client::fetch_json(&self.target, &format!("{LIST}&customer_id={customer}")).await?;
        let ids: Vec<i64> = page["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_i64())
            .collect();
        if ids.is_empty() {
            bail!("the portal's customer {customer} has no cases");
        }
        Ok(ids.into())
    }

    /// Second pages of the unfiltered and the `status=open` list, found by
    /// asking for the first pages (the cursor is opaque). A list too short
    /// for a second page is read from its first page instead.
    async fn second_pages(&self) -> anyhow::Result<Arc<[String]>> {
        let mut pages = Vec::new();
        for first in [LIST.to_string(), format!("{LIST}&status=open")] {
            let page = client::fetch_json(&self.target, &first).await?;
            pages.push(match page["next_cursor"].as_str() {
                Some(cursor) => format!("{first}&cursor={cursor}"),
                None => first,
            });
        }
        Ok(pages.into())
    }
}
