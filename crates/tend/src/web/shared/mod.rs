//! What more than one audience's pages use: the signed-in agent's session
//! and cookies, CSRF checks, the page layout and error page, the timeline,
//! posted files, the survey forms' parts and the embedded assets.

pub mod assets;
pub mod csrf;
pub mod error;
pub mod expectation;
pub mod form_time;
pub mod layout;
pub mod quote_view;
pub mod session;
pub mod sla_badge;
pub mod survey_form;
pub mod timeline;
pub mod upload;
