//! Service levels: business-hours calendars, SLA policies and the SLA
//! projection of each case (see [`upkeep`]).

pub mod calendars;
pub mod policies;
mod refresh;
mod setup;
pub mod upkeep;

pub(crate) use setup::{SlaCache, SlaSetup};
