//! Customer surveys after resolution (CES, and CSAT when the inbox asks):
//! the signed one-click links their emails carry ([`link`]) and the job
//! that sends a resolved case's survey ([`send`]). The pages that take the
//! answers are in `web::public::survey` (from the email) and the portal;
//! the settings are per inbox; answers are case events (see
//! `tend_domain::survey`).

pub mod link;
pub mod send;
