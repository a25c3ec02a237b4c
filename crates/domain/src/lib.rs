//! Tend's domain: the people, cases and the append-only case event log, with
//! the pure functions that derive case state from that log. Nothing here does
//! I/O; storage and the web layer build on these types.

pub mod agent;
pub mod case;
pub mod customer;
pub mod email;
pub mod event;
pub mod html;
pub mod ids;
pub mod invalid;
mod string_enum;
pub mod text;

pub use invalid::Invalid;
