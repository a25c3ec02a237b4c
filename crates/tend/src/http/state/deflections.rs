//! Deflections (a suggested article opened, the request form left unsent)
//! counted per client address, so one visitor cannot inflate the help
//! centre's figures.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Deflections counted per client address within [`DEFLECTION_WINDOW`].
const DEFLECTIONS_PER_CLIENT: usize = 30;
/// The window deflections are limited over.
const DEFLECTION_WINDOW: Duration = Duration::from_secs(3600);
/// Most client addresses remembered.
const MAX_CLIENTS: usize = 100_000;

/// Recent deflections by client address, so one visitor cannot inflate
/// the counts. Kept in memory: a restart forgets.
#[derive(Debug, Default)]
pub struct DeflectionLimiter(Mutex<HashMap<IpAddr, Vec<Instant>>>);

impl DeflectionLimiter {
    /// Whether `ip` may record another deflection now (and counts it).
    pub fn allow(&self, ip: IpAddr) -> bool {
        let Ok(mut map) = self.0.lock() else {
            return false;
        };
        let now = Instant::now();
        if map.len() >= MAX_CLIENTS {
            map.retain(|_, times| {
                times
                    .iter()
                    .any(|t| now.duration_since(*t) < DEFLECTION_WINDOW)
            });
        }
        let times = map.entry(ip).or_default();
        times.retain(|t| now.duration_since(*t) < DEFLECTION_WINDOW);
        if times.len() >= DEFLECTIONS_PER_CLIENT {
            return false;
        }
        times.push(now);
        true
    }
}
