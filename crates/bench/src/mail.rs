//! `tend-bench mail`: measures the email channel. Generates a Maildir of
//! realistic support mail (a fifth of it replies that thread into earlier
//! messages), times `tend mail import` of it, then times SMTP delivery from
//! several concurrent senders (each a connection reused for its messages, as
//! mail servers do) to the listener, each message acknowledged only
//! once committed.

use crate::corpus;
use anyhow::Context;
use clap::Args;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tend::config::{ServeArgs, Settings, StoreArgs};
use tend::mail::{import, smtp};
use tend::server;
use tend_domain::email::{ClosedReply, EmailAddress};
use tend_store::email::NewInbox;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Options of `tend-bench mail`.
#[derive(Debug, Args)]
pub struct MailBenchArgs {
    /// Messages in the generated Maildir to import.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// Messages delivered over SMTP.
    #[arg(long, default_value_t = 5_000)]
    smtp_messages: usize,
    /// Concurrent SMTP senders.
    #[arg(long, default_value_t = 8)]
    senders: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

const INBOX: &str = "support@bench.example";

/// Runs the email benchmark against the store `store_args` names.
pub async fn run(store_args: StoreArgs, args: MailBenchArgs) -> anyhow::Result<ExitCode> {
    // One bench sender sends thousands of messages: no rate limit.
    let no_limit = ServeArgs {
        mail_rate_limit: Some(0),
        ..ServeArgs::default()
    };
    let settings = Settings::resolve(&store_args, &no_limit)?;
    let store = server::open_store(&settings).await?;
    let address = EmailAddress::parse("inbox", INBOX)?;
    let inbox = match store.inbox_by_address(&address).await? {
        Some(inbox) => inbox,
        None => {
            store
                .create_inbox(&NewInbox {
                    address,
                    name: "Bench".into(),
                    closed_reply: ClosedReply::Reopen,
                    imap: None,
                    auto_acknowledge: false,
                    first_reply_hours: None,
                    survey: Default::default(),
                })
                .await?
        }
    };
    let maildir = settings.data_dir.join("bench-maildir");
    let started = Instant::now();
    let bytes = write_maildir(&maildir, args.messages, args.seed)?;
    eprintln!(
        "generated {} messages ({:.1} MiB) in {:.1} s",
        args.messages,
        bytes as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let summary = import::import(
        &store,
        &inbox,
        std::slice::from_ref(&maildir),
        &mut std::io::sink(),
    )
    .await?;
    let took = started.elapsed().as_secs_f64();
    println!(
        "mail import of a {}-message Maildir: {:.1} s, {:.0} messages/s ({} new cases, {} threaded, {} duplicates, {} failed)",
        args.messages,
        took,
        summary.imported() as f64 / took,
        summary.new_cases,
        summary.threaded,
        summary.duplicates,
        summary.failed
    );
    std::fs::remove_dir_all(&maildir).context("removing the generated Maildir")?;

    let stop = tokio_util::sync::CancellationToken::new();
    let (listen, listener) = smtp::start(
        "127.0.0.1:0".parse()?,
        store.clone(),
        smtp::SmtpSettings::from_settings(&settings, &tend::metrics::Metrics::new())
            .map_err(anyhow::Error::msg)?,
        stop.clone(),
    )
    .await?;
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for sender in 0..args.senders {
        let count = args.smtp_messages / args.senders;
        let seed = args.seed + 1 + sender as u64;
        senders.spawn(async move { send_many(listen, sender, count, seed).await });
    }
    let mut latencies = Vec::new();
    for done in senders.join_all().await {
        latencies.extend(done?);
    }
    let took = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!(
        "SMTP delivery, {} senders: {} messages in {:.1} s, {:.0} messages/s, p50 {:.2} ms, p99 {:.2} ms per message",
        args.senders,
        latencies.len(),
        took,
        latencies.len() as f64 / took,
        at(0.5),
        at(0.99)
    );
    stop.cancel();
    listener.await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Writes `count` messages into `dir/new`; answers the bytes written.
fn write_maildir(dir: &Path, count: usize, seed: u64) -> anyhow::Result<u64> {
    let new = dir.join("new");
    std::fs::create_dir_all(&new)?;
    std::fs::create_dir_all(dir.join("cur"))?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut bytes = 0;
    let mut senders = Vec::with_capacity(count);
    for i in 0..count {
        let raw = message(&mut rng, i, "maildir", &mut senders);
        bytes += raw.len() as u64;
        std::fs::write(new.join(format!("{i:08}.bench")), raw)?;
    }
    Ok(bytes)
}

/// One realistic message; every fifth answers an earlier one, from that
/// one's sender (Tend threads mail only from people in the case).
/// `senders` holds the customer of each earlier message of the run.
fn message(rng: &mut impl Rng, i: usize, run: &str, senders: &mut Vec<usize>) -> String {
    let answered = (i > 0 && i.is_multiple_of(5)).then(|| rng.random_range(0..i));
    let customer = match answered {
        Some(earlier) => senders[earlier],
        None => rng.random_range(0..i.max(1) / 3 + 1),
    };
    senders.push(customer);
    let name = corpus::customer_name(customer);
    let text = corpus::case_text(rng, &name, 1);
    let body = text.messages.into_iter().next().unwrap_or_default();
    let threading = match answered {
        Some(earlier) => format!("In-Reply-To: <{run}-{earlier}@bench.example>\r\n"),
        None => String::new(),
    };
    format!(
        "From: {name} <customer{customer}@bench.example>\r\nTo: {INBOX}\r\nSubject: {}\r\n\
         Message-ID: <{run}-{i}@bench.example>\r\n{threading}Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        text.subject,
        body.replace('\n', "\r\n")
    )
}

/// Sends `count` messages one after another over one SMTP connection (as
/// mail servers do, with `TCP_NODELAY`); answers each one's latency.
async fn send_many(
    listen: std::net::SocketAddr,
    sender: usize,
    count: usize,
    seed: u64,
) -> anyhow::Result<Vec<Duration>> {
    let socket = TcpStream::connect(listen).await?;
    socket.set_nodelay(true)?;
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    expect(&mut read, "220").await?;
    command(&mut write, &mut read, "EHLO bench.example", "250").await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut latencies = Vec::with_capacity(count);
    let mut senders = Vec::with_capacity(count);
    for i in 0..count {
        let raw = message(&mut rng, i, &format!("smtp{sender}"), &mut senders);
        let started = Instant::now();
        command(
            &mut write,
            &mut read,
            "MAIL FROM:<customer@bench.example>",
            "250",
        )
        .await?;
        command(&mut write, &mut read, &format!("RCPT TO:<{INBOX}>"), "250").await?;
        command(&mut write, &mut read, "DATA", "354").await?;
        let mut data = String::with_capacity(raw.len() + 8);
        for line in raw.split_inclusive("\r\n") {
            if line.starts_with('.') {
                data.push('.');
            }
            data.push_str(line);
        }
        data.push_str(".\r\n");
        write.write_all(data.as_bytes()).await?;
        expect(&mut read, "250").await?;
        latencies.push(started.elapsed());
    }
    command(&mut write, &mut read, "QUIT", "221").await?;
    Ok(latencies)
}

async fn command(
    write: &mut OwnedWriteHalf,
    read: &mut BufReader<OwnedReadHalf>,
    line: &str,
    code: &str,
) -> anyhow::Result<()> {
    write.write_all(format!("{line}\r\n").as_bytes()).await?;
    expect(read, code).await
}

/// Reads one (possibly multi-line) reply and checks its code.
async fn expect(read: &mut BufReader<OwnedReadHalf>, code: &str) -> anyhow::Result<()> {
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
            anyhow::bail!("the server closed the connection");
        }
        if !line.starts_with(code) {
            anyhow::bail!("expected {code}, got: {}", line.trim_end());
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}
