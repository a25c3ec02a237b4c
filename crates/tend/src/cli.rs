//! The operator command line. Scripts and tests rely on these names:
//! `serve`, `migrate`, `version`, `admin create`, `token create`,
//! `inbox create`, `mail import`, `secrets rotate`, `backup`, `restore`. The load generator is
//! the separate `tend-bench` (crates/bench).

use crate::app::App;
use crate::config::{ServeArgs, Settings, StoreArgs};
use crate::mail::inbox::{ImapRequest, InboxRequest};
use crate::{auth, secret_key, server};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::io::Read;
use std::process::ExitCode;
use tend_domain::agent::Role;
use tend_domain::email::{ClosedReply, EmailAddress, ImapSecurity};
use tend_store::agents::NewAgent;
use tend_store::transfer;
use tracing_subscriber::EnvFilter;

/// Tend: a customer-centric service desk.
#[derive(Debug, Parser)]
#[command(name = "tend", version, about)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    /// How log lines are written to standard error: `text` for people, `json` (one object a line, with the request id) for log collectors.
    #[arg(long, global = true, env = "TEND_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (HTTP API) until Ctrl-C or SIGTERM.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit. With --from and --to, copy a SQLite
    /// install into a new PostgreSQL database instead (see docs/moving-data.md).
    Migrate(MigrateArgs),
    /// Write every table of the database to a new backup archive.
    Backup {
        /// The archive to write (it must not exist yet).
        #[arg(long)]
        to: std::path::PathBuf,
        #[command(flatten)]
        transfer: TransferFlags,
    },
    /// Restore a backup archive into a new, empty database.
    Restore {
        /// The archive `tend backup` wrote.
        #[arg(long)]
        from: std::path::PathBuf,
        #[command(flatten)]
        transfer: TransferFlags,
    },
    /// Print the version.
    Version,
    /// Manage admin agents.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage inboxes (the addresses Tend takes email for).
    Inbox {
        #[command(subcommand)]
        command: InboxCommand,
    },
    /// Work with email.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Manage the key that seals secrets at rest (see docs/security.md).
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
}

/// `tend migrate`: migrations only, or a copy from SQLite to PostgreSQL.
#[derive(Debug, clap::Args)]
struct MigrateArgs {
    /// The SQLite data directory (or its tend.db) to copy from.
    #[arg(long, requires = "to")]
    from: Option<std::path::PathBuf>,
    /// The PostgreSQL database to copy into (postgres://...): new and empty,
    /// or holding an interrupted copy, which continues.
    #[arg(long, requires = "from")]
    to: Option<String>,
    #[command(flatten)]
    transfer: TransferFlags,
}

/// How `migrate --from`, `backup` and `restore` copy tables.
#[derive(Debug, clap::Args)]
struct TransferFlags {
    /// Leave out sign-in sessions (everyone signs in again). By default they
    /// are copied, so agents and customers stay signed in.
    #[arg(long)]
    skip_sessions: bool,
    /// Most rows per batch (one transaction each).
    #[arg(long, default_value_t = 500)]
    batch_rows: usize,
}

impl TransferFlags {
    fn options(&self) -> transfer::Options {
        transfer::Options {
            skip_sessions: self.skip_sessions,
            batch_rows: self.batch_rows,
        }
    }
}

/// Prints a transfer's verification; fails on any mismatch.
fn verified(check: &transfer::Verification) -> anyhow::Result<ExitCode> {
    print!("{check}");
    if !check.ok() {
        bail!(
            "verification failed: {} differ",
            check.mismatches().join(", ")
        );
    }
    println!("verified: every table's rows and checksum match");
    Ok(ExitCode::SUCCESS)
}

/// Progress lines on standard error.
fn progress(line: &str) {
    eprintln!("{line}");
}

#[derive(Debug, Subcommand)]
enum InboxCommand {
    /// Create an inbox and print its id.
    Create {
        /// The address customers write to, e.g. support@example.com.
        #[arg(long)]
        address: String,
        /// Shown to agents [default: the address].
        #[arg(long)]
        name: Option<String>,
        /// What a reply to a closed case does.
        #[arg(long, default_value = "reopen", value_parser = ["reopen", "follow_up"])]
        closed_reply: String,
        #[command(flatten)]
        imap: ImapFlags,
        /// Answer each new case opened by email with its reference and the promise.
        #[arg(long)]
        auto_acknowledge: bool,
        /// The first-reply promise of the acknowledgement, in hours.
        #[arg(long)]
        first_reply_hours: Option<i64>,
    },
}

/// The IMAP mailbox `inbox create` polls, if any.
#[derive(Debug, clap::Args)]
struct ImapFlags {
    /// Poll this IMAP server for the inbox's mail.
    #[arg(long, requires_all = ["imap_user", "imap_password_stdin"])]
    imap_host: Option<String>,
    /// [default: 993 for imaps, 143 for starttls]
    #[arg(long, requires = "imap_host")]
    imap_port: Option<u16>,
    /// TLS from the start, or STARTTLS.
    #[arg(long, requires = "imap_host", value_parser = ["imaps", "starttls"])]
    imap_security: Option<String>,
    #[arg(long, requires = "imap_host")]
    imap_user: Option<String>,
    /// Read the IMAP password from standard input (one line).
    #[arg(long, requires = "imap_host")]
    imap_password_stdin: bool,
    /// The folder to read [default: INBOX].
    #[arg(long, requires = "imap_host")]
    imap_folder: Option<String>,
    /// Move stored messages to this folder instead of marking them seen.
    #[arg(long, requires = "imap_host")]
    imap_move_to: Option<String>,
}

impl ImapFlags {
    /// The request these flags make, reading the password if one is asked for.
    fn request(self) -> anyhow::Result<Option<ImapRequest>> {
        let Some(host) = self.imap_host else {
            return Ok(None);
        };
        Ok(Some(ImapRequest {
            host,
            port: self.imap_port,
            security: self
                .imap_security
                .map(|s| ImapSecurity::parse("imap-security", &s))
                .transpose()?,
            user: self.imap_user.unwrap_or_default(),
            auth: None,
            password: read_password()?,
            folder: self.imap_folder,
            move_to: self.imap_move_to,
        }))
    }
}

#[derive(Debug, Subcommand)]
enum MailCommand {
    /// File .eml files, mbox files and Maildir folders into an inbox, printing a
    /// line per message and a summary; exits non-zero if any message failed.
    Import {
        /// The inbox to file into [default: the only inbox].
        #[arg(long)]
        inbox: Option<String>,
        /// Files and Maildir folders.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum SecretsCommand {
    /// Re-seal every stored secret with a new key, in one transaction. Without
    /// --new-key-file, a new data-directory key replaces secret.key (the old one
    /// is kept as secret.key.old); stop Tend first, start it after.
    Rotate {
        /// Take the new key from this file (base64), writing a fresh one there if it
        /// does not exist; then start Tend with it (TEND_SECRET_KEY_FILE).
        #[arg(long)]
        new_key_file: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an admin agent.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Print a new API token for an agent on standard output. Only its hash is stored.
    Create {
        #[arg(long)]
        email: String,
    },
}

/// Parses arguments, runs the command and maps errors to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.log_format == "json";
    run_command_logging(json, run(cli))
}

/// Runs a command's future the way every Tend binary does: logs (filtered by
/// `TEND_LOG`) to standard error, a multi-threaded runtime, and an error
/// printed with its causes and answered with a failing exit code.
pub fn run_command(command: impl Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    run_command_logging(false, command)
}

/// [`run_command`], logging as JSON lines when `json`.
fn run_command_logging(
    json: bool,
    command: impl Future<Output = anyhow::Result<ExitCode>>,
) -> ExitCode {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("TEND_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr);
    let _ = JSON_LOGS.set(json);
    if json {
        logs.json()
            .with_current_span(true)
            .with_span_list(true)
            .init();
    } else {
        logs.init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Version => {
            println!("tend {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(serve) => {
            let settings = Settings::resolve(&cli.store, &serve)?;
            run_server(settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate(MigrateArgs {
            from: Some(from),
            to: Some(to),
            transfer: flags,
        }) => {
            let file = if from.is_dir() {
                from.join("tend.db")
            } else {
                from
            };
            let from = format!("sqlite://{}", file.display());
            let check = transfer::migrate(&from, &to, &flags.options(), &progress).await?;
            eprintln!(
                "Start Tend on {} with the same secret key (secret.key in the old data directory).",
                crate::config::redact_url(&to)
            );
            verified(&check)
        }
        Command::Backup {
            to,
            transfer: flags,
        } => {
            let settings = Settings::resolve(&cli.store, &ServeArgs::default())?;
            let check =
                transfer::backup(&settings.database_url, &to, &flags.options(), &progress).await?;
            verified(&check)
        }
        Command::Restore {
            from,
            transfer: flags,
        } => {
            let settings = Settings::resolve(&cli.store, &ServeArgs::default())?;
            if settings.database_url.starts_with("sqlite:") {
                std::fs::create_dir_all(&settings.data_dir).with_context(|| {
                    format!("creating data directory {}", settings.data_dir.display())
                })?;
            }
            let check =
                transfer::restore(&from, &settings.database_url, &flags.options(), &progress)
                    .await?;
            verified(&check)
        }
        Command::Migrate(_) => {
            let settings = Settings::resolve(&cli.store, &ServeArgs::default())?;
            let store = server::open_store(&settings).await?;
            store.close().await;
            println!(
                "database is up to date: {}",
                settings.database_url_redacted()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    name,
                    password_stdin,
                },
        } => {
            let settings = Settings::resolve(&cli.store, &ServeArgs::default())?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let hash = password
                .map(|p| crate::auth::checked_password_hash(&p))
                .transpose()?;
            let store = server::open_store(&settings).await?;
            let agent = store
                .create_agent(&NewAgent {
                    email: EmailAddress::parse("email", &email)?,
                    name: tend_domain::text::required("name", &name, 200)?,
                    role: Role::Admin,
                    password_hash: hash,
                })
                .await?;
            store.close().await;
            println!(
                "created admin {} <{}> (id {})",
                agent.name, agent.email, agent.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command: TokenCommand::Create { email },
        } => {
            let settings = Settings::resolve(&cli.store, &ServeArgs::default())?;
            let store = server::open_store(&settings).await?;
            let email = EmailAddress::parse("email", &email)?;
            let Some(agent) = store.agent_id_by_email(&email).await? else {
                bail!("no agent with email {}", email.as_str());
            };
            let token = auth::new_token();
            store
                .create_api_token(agent, &auth::token_hash(&token))
                .await?;
            store.close().await;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Inbox {
            command:
                InboxCommand::Create {
                    address,
                    name,
                    closed_reply,
                    imap,
                    auto_acknowledge,
                    first_reply_hours,
                },
        } => {
            let settings = Settings::resolve(&cli.store, &ServeArgs::default())?;
            let new = InboxRequest {
                address,
                name,
                closed_reply: Some(ClosedReply::parse("closed-reply", &closed_reply)?),
                imap: imap.request()?,
                auto_acknowledge: Some(auto_acknowledge),
                first_reply_hours,
                survey: None,
            }
            .parse()?;
            let store = server::open_store(&settings).await?;
            let inbox = store.create_inbox(&new).await?;
            store.close().await;
            println!(
                "created inbox {} <{}> (id {})",
                inbox.name, inbox.address, inbox.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Mail {
            command: MailCommand::Import { inbox, paths },
        } => {
            let settings = Settings::resolve(&cli.store, &ServeArgs::default())?;
            let store = server::open_store(&settings).await?;
            let inbox = match inbox {
                Some(address) => {
                    let address = EmailAddress::parse("inbox", &address)?;
                    store.inbox_by_address(&address).await?.with_context(|| {
                        format!("no inbox for {address}; create it with `tend inbox create`")
                    })?
                }
                None => match store.inboxes().await?.as_slice() {
                    [only] => only.clone(),
                    [] => bail!("no inbox yet; create one with `tend inbox create --address ...`"),
                    _ => bail!("there are several inboxes; name one with --inbox ADDRESS"),
                },
            };
            let mut out = std::io::stdout().lock();
            let summary = crate::mail::import::import(&store, &inbox, &paths, &mut out).await?;
            store.close().await;
            Ok(if summary.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Secrets {
            command: SecretsCommand::Rotate { new_key_file },
        } => {
            let settings = Settings::resolve(&cli.store, &ServeArgs::default())?;
            let store = server::open_store(&settings).await?;
            let rotated =
                secret_key::rotate(&store, &settings.secret_key, new_key_file.as_deref()).await;
            store.close().await;
            println!("{}", rotated?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Whether logs are JSON lines (`--log-format json`), set once at start.
static JSON_LOGS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Tells the operator something: a plain line on standard error, or with
/// JSON logs a log line like every other (so every line stays JSON).
macro_rules! say {
    ($($arg:tt)*) => {
        if JSON_LOGS.get().copied().unwrap_or(false) {
            tracing::info!($($arg)*);
        } else {
            eprintln!($($arg)*);
        }
    };
}

/// Runs the whole application (see [`crate::app`]) until Ctrl-C or SIGTERM,
/// then shuts it down gracefully.
async fn run_server(settings: Settings) -> anyhow::Result<()> {
    let app = App::start(settings.clone()).await?;
    let addr = app.http;
    say!(
        "Tend {} listening on http://{addr}",
        env!("CARGO_PKG_VERSION")
    );
    say!("database: {}", settings.database_url_redacted());
    say!("agents sign in at http://{addr}/signin");
    if !app.store.has_admin().await? {
        say!(
            "\nNo admin yet. Create one and an API token (same --data-dir/--database-url):\n  \
             echo 'a long password' | tend admin create --email you@example.com --name 'Your Name' --password-stdin\n  \
             tend token create --email you@example.com\n\
             then call the API with `Authorization: Bearer <token>`; the API is described at http://{addr}/api/v1/openapi.json\n"
        );
    }
    if let Some(bound) = app.smtp {
        say!("SMTP listening on {bound}");
    }
    say!(
        "inboxes with IMAP settings are polled every {}s",
        settings.imap_poll.as_secs()
    );
    app.run_until(server::shutdown_signal()).await;
    say!("Tend stopped");
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the password from standard input")?;
    let password = input.lines().next().unwrap_or_default().to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}
