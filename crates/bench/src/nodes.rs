//! `tend-bench nodes`: the cost of running Tend as several nodes on one
//! PostgreSQL. Starts `--nodes` `tend serve` children behind HAProxy
//! (round robin, as in production) and measures, through the proxy: case
//! creates, case reads, notes (each change is a notification every node
//! hears) and presence signals (`POST /cases/{id}/typing`, sent to every
//! node). Run it with `--nodes 1` and `--nodes 3` to compare; see
//! docs/benchmarks.md and docs/scaling.md.

use crate::client::{self, Call, Credentials, Outcome, Target};
use crate::{process, seed};
use anyhow::{Context, bail};
use clap::Args;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use tend::auth;
use tend::config::{ServeArgs, Settings, StoreArgs};
use tend::server;
use tend_store::Dialect;
use tend_store::sessions::NewSession;

/// How the multi-node benchmark runs.
#[derive(Debug, Args)]
pub struct NodesBenchArgs {
    /// `tend serve` nodes behind the proxy.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=16))]
    nodes: u64,
    /// Requests per phase.
    #[arg(long, default_value_t = 3000)]
    requests: usize,
    /// Keep-alive connections to the proxy.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
    concurrency: u64,
    /// The HAProxy binary (Debian's `haproxy` package).
    #[arg(long, default_value = "/usr/sbin/haproxy")]
    haproxy: PathBuf,
    /// The `tend` binary to start [default: `tend` beside `tend-bench`].
    #[arg(long)]
    server_bin: Option<PathBuf>,
}

/// HAProxy, killed on drop.
struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts HAProxy on a free port in front of `nodes`, round robin.
fn start_proxy(haproxy: &PathBuf, nodes: &[process::Server]) -> anyhow::Result<(Proxy, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let servers: String = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| format!("    server n{i} {}\n", n.addr()))
        .collect();
    let config = format!(
        "global\n    maxconn 4096\n\
         defaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n\
         frontend tend\n    bind 127.0.0.1:{port}\n    option forwardfor\n    default_backend nodes\n\
         backend nodes\n    balance roundrobin\n{servers}"
    );
    let path = std::env::temp_dir().join(format!("tend-bench-haproxy-{}.cfg", std::process::id()));
    std::fs::write(&path, config)?;
    let child = Command::new(haproxy)
        .arg("-f")
        .arg(&path)
        .arg("-db")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", haproxy.display()))?;
    Ok((Proxy(child), port))
}

/// Runs the benchmark and prints its table.
pub async fn run(store_args: StoreArgs, args: NodesBenchArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(&store_args, &ServeArgs::default())?;
    let server_bin = process::server_binary(args.server_bin.as_deref())?;
    let store = server::open_store(&settings).await?;
    if store.dialect() != Dialect::Postgres {
        bail!("several nodes need PostgreSQL: pass --database-url postgres://…");
    }
    let admin = seed::ensure_admin(&store).await?;
    let customer = seed::bench_customer(&store, "Nodes Bench", "nodes").await?;
    let token = auth::new_token();
    store
        .create_api_token(admin, &auth::token_hash(&token))
        .await?;
    let (session, csrf) = (auth::new_token(), auth::new_token());
    store
        .create_session(&NewSession {
            id_hash: &auth::token_hash(&session),
            agent_id: admin,
            csrf_token: &csrf,
            expires_at: tend_store::now()
                .checked_add(jiff::SignedDuration::from_hours(24))
                .context("session expiry")?,
        })
        .await?;
    store.close().await;
    let credentials = Credentials {
        token,
        cookie: format!("{}={session}", tend::web::SESSION_COOKIE),
    };

    let mut nodes = Vec::new();
    for _ in 0..args.nodes {
        let mut node =
            process::Server::spawn(&server_bin, &settings, store_args.config.as_deref())?;
        node.wait_ready(&Target::new(node.addr(), &credentials)?)
            .await?;
        nodes.push(node);
    }
    let (_proxy, port) = start_proxy(&args.haproxy, &nodes)?;
    let target = Target::new(([127, 0, 0, 1], port).into(), &credentials)?;
    wait_for_proxy(&target).await?;
    eprintln!("{} nodes ready behind HAProxy on port {port}", nodes.len());

    let created = client::fetch(
        &target,
        &Call::post_json(
            "/api/v1/cases",
            format!(r#"{{"subject":"Nodes bench","customer_id":{customer},"message":"Hello"}}"#),
        ),
    )
    .await?;
    let case: serde_json::Value = serde_json::from_slice(&created.1)?;
    let case = case["id"].as_i64().context("the bench case's id")?;
    let (total, connections) = (args.requests, usize::try_from(args.concurrency)?);
    let mut rows = Vec::new();
    let create_body =
        format!(r#"{{"subject":"Nodes bench","customer_id":{customer},"message":"Hello"}}"#);
    rows.push((
        "case create `POST /cases`",
        client::run(&target, "create", total, connections, move |_, _| {
            Call::post_json("/api/v1/cases", create_body.clone())
        })
        .await?,
    ));
    let read = format!("/api/v1/cases/{case}");
    rows.push((
        "case read `GET /cases/{id}`",
        client::run(&target, "read", total, connections, move |_, _| {
            Call::get(read.clone())
        })
        .await?,
    ));
    let notes = format!("/api/v1/cases/{case}/messages");
    rows.push((
        "note `POST /cases/{id}/messages` (a change every node hears)",
        client::run(&target, "note", total, connections, move |_, i| {
            Call::post_json(&notes, format!(r#"{{"body":"note {i}","internal":true}}"#))
        })
        .await?,
    ));
    let typing = format!("/cases/{case}/typing");
    rows.push((
        "presence `POST /cases/{id}/typing` (a signal to every node)",
        client::run(&target, "typing", total, connections, move |_, _| {
            Call::post_form(&typing, format!("csrf={csrf}"))
        })
        .await?,
    ));
    for node in nodes {
        node.stop().await?;
    }
    print!("{}", table(args.nodes, connections, &rows));
    Ok(ExitCode::SUCCESS)
}

/// Waits until the proxy answers the health check.
async fn wait_for_proxy(target: &Target) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if let Ok((status, _)) = client::fetch(target, &Call::get("/healthz".into())).await
            && status.is_success()
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("HAProxy did not answer within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The results as a Markdown table.
fn table(nodes: u64, connections: usize, rows: &[(&str, Outcome)]) -> String {
    let mut out = format!(
        "\n{nodes} node(s) behind HAProxy, {connections} connections\n\n\
         | phase | requests | per second | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n"
    );
    for (phase, o) in rows {
        out.push_str(&format!(
            "| {phase} | {} | {:.0} | {:.2} | {:.2} |\n",
            o.requests,
            o.throughput(),
            o.percentile_ms(50.0),
            o.percentile_ms(99.0)
        ));
    }
    out
}
