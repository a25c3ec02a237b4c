//! Webhook subscriptions and their deliveries
//! ([`tend_domain::webhook`]). Every case event a subscription wants
//! becomes a delivery row and a `webhook_delivery` job in the same write as
//! the event ([`dispatch`]), so none is lost and none is made for an event
//! that was rolled back; the job POSTs it (in the `tend` crate) and
//! records each attempt here. A subscription whose deliveries fail
//! [`DISABLE_AFTER`] times in a row (each after all its retries) is
//! switched off, and the admins are told.

pub(crate) mod dispatch;

use crate::jobs::{JobKind, NewJob, enqueue};
use crate::rows::{flag, get, json, time, word};
use crate::secrets::{WEBHOOK_SECRET, open, seal};
use crate::time::micros;
use crate::tx::{args, bind};
use crate::{Result, Store, StoreError, now};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use tend_domain::event::EventData;
use tend_domain::ids::{CaseId, EventId};
use tend_domain::notification::NotificationKind;
use tend_domain::webhook::{DISABLE_AFTER, WebhookDefinition};
use utoipa::ToSchema;

/// Most webhooks one desk holds.
pub const MAX_WEBHOOKS: i64 = 100;
/// Most deliveries one listing answers.
pub const MAX_LISTED: i64 = 100;

tend_domain::string_enum!(
    /// Where a delivery stands.
    DeliveryStatus {
        /// Waiting for its (next) attempt.
        Queued = "queued",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Every attempt failed.
        Failed = "failed",
    }
);

/// A stored webhook (its secret is shown once, when it is made).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The event kinds it wants (`*`: all).
    pub events: Vec<String>,
    pub description: Option<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Deliveries failed in a row.
    pub failures: i64,
    /// Why Tend switched it off, if it did.
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The events and description kept as the `definition` column.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    events: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

/// One delivery of one event to one webhook.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: EventId,
    pub case_id: CaseId,
    /// The event's kind (`status_changed`...).
    pub kind: String,
    /// The JSON body sent, the same on every attempt.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// The receiver's status code on the latest attempt, if it answered.
    pub response_code: Option<i64>,
    /// What went wrong on the latest attempt.
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a delivery job needs to make an attempt.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub url: String,
    /// The webhook's signing secret.
    pub secret: String,
    pub body: String,
    pub status: DeliveryStatus,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx with `code`.
    Delivered { code: i64 },
    /// It did not; `last` when no retry follows.
    Failed {
        code: Option<i64>,
        error: String,
        last: bool,
    },
}

const COLUMNS: &str =
    "id, url, definition, enabled, failures, disabled_reason, created_at, updated_at";
const DELIVERY_COLUMNS: &str = "id, webhook_id, event_id, case_id, kind, payload, status, attempts, \
     response_code, error, created_at, updated_at";

fn webhook(row: &AnyRow) -> Result<Webhook> {
    let stored: Stored = json(row, "definition")?;
    Ok(Webhook {
        id: get(row, "id")?,
        url: get(row, "url")?,
        events: stored.events,
        description: stored.description,
        enabled: flag(row, "enabled")?,
        failures: get(row, "failures")?,
        disabled_reason: get(row, "disabled_reason")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn delivery(row: &AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        id: get(row, "id")?,
        webhook_id: get(row, "webhook_id")?,
        event_id: EventId(get(row, "event_id")?),
        case_id: CaseId(get(row, "case_id")?),
        kind: get(row, "kind")?,
        payload: json(row, "payload")?,
        status: word(row, "status", DeliveryStatus::parse)?,
        attempts: get(row, "attempts")?,
        response_code: get(row, "response_code")?,
        error: get(row, "error")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn stored(definition: &WebhookDefinition) -> Result<String> {
    serde_json::to_string(&Stored {
        events: definition.events.clone(),
        description: definition.description.clone(),
    })
    .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A new signing secret: 256 random bits, hex.
fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("whsec_{hex}")
}

impl Store {
    /// Every webhook, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let sql = format!("SELECT {COLUMNS} FROM webhooks ORDER BY id LIMIT {MAX_WEBHOOKS}");
        bind(&sql, args![])
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(webhook)
            .collect()
    }

    /// One webhook.
    pub async fn webhook(&self, id: i64) -> Result<Webhook> {
        let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1");
        let row = bind(&sql, args![id])
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("webhook"))?;
        webhook(&row)
    }

    /// Creates a webhook from a checked definition; answers it with its
    /// signing secret, which is shown this once.
    pub async fn create_webhook(&self, definition: WebhookDefinition) -> Result<(Webhook, String)> {
        let secret = new_secret();
        let sealed = seal(self, &WEBHOOK_SECRET, &secret)?;
        let json = stored(&definition)?;
        let id = self
            .write(move |tx| {
                Box::pin(async move {
                    let count = tx
                        .fetch_one("SELECT COUNT(*) AS n FROM webhooks", args![])
                        .await?;
                    if count.int("n")? >= MAX_WEBHOOKS {
                        return Err(StoreError::State(format!(
                            "at most {MAX_WEBHOOKS} webhooks: remove one first"
                        )));
                    }
                    let at = micros(now());
                    let row = tx
                        .fetch_one(
                            "INSERT INTO webhooks (url, definition, enabled, secret, created_at, \
                             updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                            args![
                                definition.url,
                                json,
                                i64::from(definition.enabled),
                                sealed,
                                at
                            ],
                        )
                        .await?;
                    row.int("id")
                })
            })
            .await?;
        self.setups.webhooks.forget();
        Ok((self.webhook(id).await?, secret))
    }

    /// Replaces webhook `id`'s definition; switching it on again clears its
    /// failures.
    pub async fn update_webhook(&self, id: i64, definition: WebhookDefinition) -> Result<Webhook> {
        let json = stored(&definition)?;
        self.write(move |tx| {
            Box::pin(async move {
                let changed = tx
                    .execute(
                        "UPDATE webhooks SET url = $1, definition = $2, enabled = $3, \
                         failures = CASE WHEN $3 = 1 AND enabled = 0 THEN 0 ELSE failures END, \
                         disabled_reason = CASE WHEN $3 = 1 THEN NULL ELSE disabled_reason END, \
                         updated_at = $4 WHERE id = $5",
                        args![
                            definition.url,
                            json,
                            i64::from(definition.enabled),
                            micros(now()),
                            id
                        ],
                    )
                    .await?;
                if changed == 0 {
                    return Err(StoreError::NotFound("webhook"));
                }
                Ok(())
            })
        })
        .await?;
        self.setups.webhooks.forget();
        self.webhook(id).await
    }

    /// Deletes webhook `id` with its delivery log.
    pub async fn delete_webhook(&self, id: i64) -> Result<()> {
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "DELETE FROM webhook_deliveries WHERE webhook_id = $1",
                    args![id],
                )
                .await?;
                if tx
                    .execute("DELETE FROM webhooks WHERE id = $1", args![id])
                    .await?
                    == 0
                {
                    return Err(StoreError::NotFound("webhook"));
                }
                Ok(())
            })
        })
        .await?;
        self.setups.webhooks.forget();
        Ok(())
    }

    /// Webhook `id`'s deliveries, newest first, older than `before` when given.
    pub async fn deliveries(&self, id: i64, before: Option<i64>) -> Result<Vec<Delivery>> {
        self.webhook(id).await?;
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 AND id < $2 \
             ORDER BY id DESC LIMIT {MAX_LISTED}"
        );
        bind(&sql, args![id, before.unwrap_or(i64::MAX)])
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(delivery)
            .collect()
    }

    /// One delivery.
    pub async fn delivery(&self, id: i64) -> Result<Delivery> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
        let row = bind(&sql, args![id])
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("delivery"))?;
        delivery(&row)
    }

    /// What delivery `id`'s next attempt sends, and where; `None` when its
    /// webhook is switched off.
    pub async fn outgoing(&self, id: i64) -> Result<Option<Outgoing>> {
        let row = bind(
            "SELECT d.payload, d.status, w.url, w.secret, w.enabled FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1",
            args![id],
        )
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("delivery"))?;
        if !flag(&row, "enabled")? {
            return Ok(None);
        }
        Ok(Some(Outgoing {
            url: get(&row, "url")?,
            secret: open(self, &WEBHOOK_SECRET, get(&row, "secret")?)?,
            body: get(&row, "payload")?,
            status: word(&row, "status", DeliveryStatus::parse)?,
        }))
    }

    /// Sends delivery `id` again (an admin asked): queued, with a new job.
    pub async fn redeliver(&self, id: i64) -> Result<Delivery> {
        self.delivery(id).await?;
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE webhook_deliveries SET status = 'queued', updated_at = $1 WHERE id = $2",
                    args![micros(now()), id],
                )
                .await?;
                enqueue(tx, &delivery_job(id, now())).await
            })
        })
        .await?;
        self.delivery(id).await
    }

    /// Records an attempt at delivery `id`. A last failure counts against
    /// its webhook, which is switched off (and the admins told) after
    /// [`DISABLE_AFTER`] in a row; a success starts the count afresh.
    pub async fn record_attempt(&self, id: i64, attempt: Attempt) -> Result<()> {
        self.write(move |tx| {
            Box::pin(async move {
                let at = micros(now());
                let row = tx
                    .fetch_one(
                        "SELECT webhook_id, case_id FROM webhook_deliveries WHERE id = $1",
                        args![id],
                    )
                    .await?;
                let webhook = row.int("webhook_id")?;
                let (status, code, error, failed) = match &attempt {
                    Attempt::Delivered { code } => ("delivered", Some(*code), None, false),
                    Attempt::Failed { code, error, last } => (
                        if *last { "failed" } else { "queued" },
                        *code,
                        Some(error.chars().take(500).collect::<String>()),
                        *last,
                    ),
                };
                tx.execute(
                    "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
                     response_code = $2, error = $3, updated_at = $4 WHERE id = $5",
                    args![status, code, error, at, id],
                )
                .await?;
                match (&attempt, failed) {
                    (Attempt::Delivered { .. }, _) => {
                        tx.execute(
                            "UPDATE webhooks SET failures = 0 WHERE id = $1",
                            args![webhook],
                        )
                        .await?;
                    }
                    (_, true) => {
                        count_failure(tx, webhook, CaseId(row.int("case_id")?)).await?;
                    }
                    _ => {}
                }
                Ok(())
            })
        })
        .await?;
        self.setups.webhooks.forget();
        Ok(())
    }
}

/// Counts a failed delivery against `webhook`; at [`DISABLE_AFTER`] in a
/// row it is switched off and every admin gets a notice on the case of the
/// delivery that failed last.
async fn count_failure(tx: &mut crate::tx::Tx, webhook: i64, case: CaseId) -> Result<()> {
    let row = tx
        .fetch_one(
            "UPDATE webhooks SET failures = failures + 1 WHERE id = $1 RETURNING failures, enabled, url",
            args![webhook],
        )
        .await?;
    if row.int("failures")? < DISABLE_AFTER || row.int("enabled")? == 0 {
        return Ok(());
    }
    let reason = format!("{DISABLE_AFTER} deliveries in a row failed");
    tx.execute(
        "UPDATE webhooks SET enabled = 0, disabled_reason = $1, updated_at = $2 WHERE id = $3",
        args![reason.clone(), micros(now()), webhook],
    )
    .await?;
    let admins = tx
        .fetch_all(
            "SELECT id FROM agents WHERE role = 'admin' AND active = 1 ORDER BY id",
            args![],
        )
        .await?
        .iter()
        .map(|r| {
            r.int("id")
                .map(|id| crate::notifications::Recipient::Agent(tend_domain::ids::AgentId(id)))
        })
        .collect::<Result<Vec<_>>>()?;
    let text = format!(
        "Webhook {webhook} ({}) was switched off: {reason}. Fix the receiver, then switch it on again.",
        row.text("url")?
    );
    // No cause: the admin who made the event must be told too.
    crate::notifications::notify(tx, &admins, NotificationKind::Notice, case, &text, None).await?;
    Ok(())
}

/// Attempts one delivery gets before it fails.
pub const ATTEMPTS: i64 = 5;

/// The job that makes delivery `id`'s attempts, from `at`.
fn delivery_job(id: i64, at: Timestamp) -> NewJob {
    NewJob {
        max_attempts: ATTEMPTS,
        ..NewJob::new(
            JobKind::WebhookDelivery,
            serde_json::json!({ "delivery_id": id }),
            at,
        )
    }
}

/// Whether `data` is an event some delivery may be made for.
pub(crate) fn deliverable(data: &EventData) -> bool {
    tend_domain::webhook::EVENT_KINDS.contains(&data.kind())
}
