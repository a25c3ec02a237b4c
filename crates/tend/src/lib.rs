//! Tend, a customer-centric service desk: configuration, the HTTP server and
//! REST API, the operator CLI and the load generator. The domain lives in
//! `tend-domain`, storage in `tend-store`.

pub mod api;
pub mod auth;
pub mod bench;
pub mod brand;
pub mod cli;
pub mod config;
pub mod jobs;
pub mod mail;
pub mod replies;
pub mod server;
pub mod two_factor;
pub mod web;
