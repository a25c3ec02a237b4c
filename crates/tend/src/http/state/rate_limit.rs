//! Slows down password guessing and request flooding: after too many failed
//! sign-ins (or public requests, or portal links asked for) for one
//! address, or from one client IP, within a window, further attempts are
//! refused until the window has passed. The counts live in the database
//! (`tend_store::throttle`), so a limit holds across every node behind a
//! load balancer and across restarts.

use std::time::Duration;
use tend_store::throttle::Allowance;
use tend_store::{Store, StoreError};

/// One kind of limit: a key prefix, the allowances per address and per
/// client IP, and the window they count over.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    kind: &'static str,
    per_address: usize,
    per_ip: usize,
    window: Duration,
}

/// Failed sign-ins: 5 per address, 20 per client IP (an office may share
/// one), in 15 minutes.
pub const SIGN_IN: Limit = Limit {
    kind: "signin",
    per_address: 5,
    per_ip: 20,
    window: Duration::from_secs(15 * 60),
};

/// Requests from the public form: 5 per address, 10 per client IP, an hour.
pub const PUBLIC_REQUEST: Limit = Limit {
    kind: "request",
    per_address: 5,
    per_ip: 10,
    window: Duration::from_secs(60 * 60),
};

/// Portal sign-in links asked for: as many as public requests.
pub const PORTAL_LINK: Limit = Limit {
    kind: "link",
    ..PUBLIC_REQUEST
};

impl Limit {
    /// The keys one attempt for `email` from `ip` counts against.
    fn allowances(&self, email: &str, ip: &str) -> [Allowance; 2] {
        [
            self.address_allowance(email),
            Allowance::new(format!("{}:ip:{ip}", self.kind), self.per_ip),
        ]
    }

    fn address_allowance(&self, email: &str) -> Allowance {
        Allowance::new(
            format!("{}:address:{}", self.kind, email.to_lowercase()),
            self.per_address,
        )
    }

    /// `Ok(Err(wait))` when an attempt for `email` from `ip` must wait.
    pub async fn check(
        &self,
        store: &Store,
        email: &str,
        ip: &str,
    ) -> Result<Result<(), Duration>, StoreError> {
        store
            .throttle_check(&self.allowances(email, ip), self.window)
            .await
    }

    /// Counts an attempt (a failure, or an accepted request).
    pub async fn count(&self, store: &Store, email: &str, ip: &str) -> Result<(), StoreError> {
        store.throttle_count(&self.allowances(email, ip)).await
    }

    /// Forgets an address's failures (after it signs in).
    pub async fn forget(&self, store: &Store, email: &str) -> Result<(), StoreError> {
        store
            .throttle_forget(&self.address_allowance(email).key)
            .await
    }
}

/// Why a sign-in must wait, for the agent to read.
pub fn wait_message(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    format!(
        "Too many failed sign-ins. Try again in {minutes} minute{}, or ask an admin to reset your password.",
        if minutes == 1 { "" } else { "s" }
    )
}

/// Deflections counted per client IP within an hour, so one visitor cannot
/// inflate the help centre's figures: `Ok(true)` (and counted) if allowed.
pub async fn admit_deflection(store: &Store, ip: &str) -> Result<bool, StoreError> {
    const PER_CLIENT: usize = 30;
    const WINDOW: Duration = Duration::from_secs(3600);
    store
        .throttle_admit(
            &[Allowance::new(format!("deflection:ip:{ip}"), PER_CLIENT)],
            WINDOW,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_count_case_insensitively_and_kinds_apart() {
        let [a, ip] = SIGN_IN.allowances("Ann@Example.com", "10.0.0.1");
        assert_eq!(a.key, "signin:address:ann@example.com");
        assert_eq!(ip.key, "signin:ip:10.0.0.1");
        let [link, _] = PORTAL_LINK.allowances("ann@example.com", "10.0.0.1");
        assert_ne!(link.key, a.key);
        assert!(wait_message(Duration::from_secs(61)).contains("2 minutes"));
    }
}
