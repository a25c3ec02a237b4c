//! Tend's integration tests: every test starts a real server on a free port
//! with a fresh database and talks HTTP to it. Each test runs twice, on
//! SQLite and on PostgreSQL (set `TEND_TEST_POSTGRES_URL`; in CI a missing
//! PostgreSQL is a failure, not a skip).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod accessibility;
mod acknowledge;
mod agent_changes;
mod agreements;
mod appointments;
mod bounces;
mod browser;
mod case_tools;
mod cases;
mod cli;
mod concurrency;
mod corpus;
mod crash;
mod customer_pages;
mod customers;
mod effort;
mod email;
mod errors;
mod frustration;
mod header_inputs;
mod hostile_mail;
mod idempotency;
mod imap;
mod imap_oauth;
mod jobs;
mod kb;
mod limits;
mod live;
mod logs;
mod mail_rate_limit;
mod mail_sink;
mod metrics;
mod nodes;
mod notifications;
mod openapi;
mod outbound_mail;
mod parsing;
mod permissions;
mod plumber_story;
mod portal;
mod portal_customer_side;
mod promises;
mod quotes;
mod remote_images;
mod replicas;
mod reports;
mod requests;
mod routing;
mod rules;
mod schema;
mod search;
mod secrets;
mod shutdown;
mod side_conversations;
mod sla;
mod smtp_tls;
mod surveys;
mod transfer;
mod web;
mod web_admin;
mod web_case;
mod web_effort;
mod web_live_views;
mod web_rules;
mod web_totp;
mod web_views;
mod web_visits;
mod webhooks;
mod write_path;

/// Generates `sqlite::name` and `postgres::name` tests from
/// `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::harness::postgres_available() {
                        super::$name($crate::harness::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}
