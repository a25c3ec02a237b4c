//! Delivering webhooks ([`tend_store::webhooks`]): the `webhook_delivery`
//! job POSTs a delivery's JSON body to its webhook's URL, signed so the
//! receiver can tell it came from Tend and is fresh:
//!
//! `Tend-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
//!
//! keyed with the webhook's secret (receivers refuse a `t` more than a few
//! minutes old: replay protection). A 2xx answer delivers it; a 5xx, 408,
//! 429 or no answer is retried with the job runner's back-off, up to
//! `tend_store::webhooks::ATTEMPTS` attempts; any other answer fails it at
//! once. Secrets and bodies are never logged.

use crate::jobs::{JobError, payload_id};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use tend_store::Store;
use tend_store::jobs::Job;
use tend_store::webhooks::{Attempt, DeliveryStatus};

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client deliveries go out with: system CA roots, no redirects,
/// a timeout.
pub fn client() -> Result<reqwest::Client, String> {
    let tls = crate::mail::imap::tls_config(None)?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls.as_ref().clone())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent("Tend-Webhooks/1")
        .build()
        .map_err(|e| format!("HTTP client for webhooks: {e}"))
}

/// The `Tend-Signature` header's value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => return String::new(),
    };
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

/// Makes one attempt at the job's delivery.
pub async fn deliver(store: Store, job: Job, http: &reqwest::Client) -> Result<(), JobError> {
    let id = payload_id(&job, "delivery_id")?;
    let Some(out) = store.outgoing(id).await? else {
        tracing::info!(delivery = id, "webhook switched off: delivery left queued");
        return Ok(());
    };
    if out.status == DeliveryStatus::Delivered {
        return Ok(());
    }
    let kind = store.delivery(id).await?.kind;
    let sent_at = store.clock().now().as_second();
    let answer = http
        .post(&out.url)
        .header("Content-Type", "application/json")
        .header("Tend-Event", &kind)
        .header("Tend-Delivery", id.to_string())
        .header("Tend-Signature", signature(&out.secret, sent_at, &out.body))
        .body(out.body)
        .send()
        .await;
    let (code, error, retry) = match answer {
        Ok(r) if r.status().is_success() => {
            let code = i64::from(r.status().as_u16());
            store
                .record_attempt(id, Attempt::Delivered { code })
                .await?;
            return Ok(());
        }
        Ok(r) => {
            let status = r.status();
            let retry = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
            (
                Some(i64::from(status.as_u16())),
                format!("the receiver answered {status}"),
                retry,
            )
        }
        Err(e) => (None, format!("no answer: {}", without_url(&e)), true),
    };
    let last = !retry || job.attempts >= job.max_attempts;
    store
        .record_attempt(
            id,
            Attempt::Failed {
                code,
                error: error.clone(),
                last,
            },
        )
        .await?;
    tracing::warn!(delivery = id, attempt = job.attempts, %error, "webhook delivery failed");
    if retry {
        Err(JobError::transient(error))
    } else {
        Err(JobError::permanent(error))
    }
}

/// A request error without the URL (which may carry a token in its path).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_secret_time_and_body() {
        let s = signature("whsec_1", 1_700_000_000, "{}");
        assert!(s.starts_with("t=1700000000,v1="), "{s}");
        assert_eq!(s.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(s, signature("whsec_2", 1_700_000_000, "{}"));
        assert_ne!(s, signature("whsec_1", 1_700_000_001, "{}"));
        assert_ne!(s, signature("whsec_1", 1_700_000_000, "{ }"));
    }
}
