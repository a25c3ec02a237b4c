//! Tend, a customer-centric service desk: configuration, the HTTP server and
//! REST API, and the operator CLI. The domain lives in `tend-domain`,
//! storage in `tend-store`; the load generator, `tend-bench`, in its own
//! crate.

pub mod accounts;
pub mod api;
pub mod app;
pub mod appointments;
pub mod auth;
pub mod brand;
pub mod cli;
pub mod compose;
pub mod config;
pub mod customer_reply;
pub mod formatted;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod quotes;
pub mod replies;
pub mod reports;
pub mod router;
pub mod secret_key;
pub mod server;
pub mod side_conversations;
pub mod signed_link;
pub mod surveys;
pub mod two_factor;
pub mod web;
pub mod webhooks;
