//! An agent's own sign-in settings: password changes, the two-factor (TOTP)
//! secret with the last time step a code was accepted for, and sign-ins
//! whose password was right and which wait for their code.

use crate::rows::get;
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, StoreError, now, secrets};
use jiff::Timestamp;
use tend_domain::ids::AgentId;

/// A TOTP secret in base32. Never printed: `Debug` shows no part of it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(String);

impl TotpSecret {
    /// Wraps a base32 secret.
    pub fn new(base32: String) -> Self {
        TotpSecret(base32)
    }

    /// The secret, in base32.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

/// An agent's two-factor secret: being set up, or on.
#[derive(Debug, Clone)]
pub struct AgentTotp {
    pub secret: TotpSecret,
    /// Whether sign-in asks for a code (set once a code confirmed the secret).
    pub enabled: bool,
}

/// A sign-in waiting for its two-factor code.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    pub agent_id: AgentId,
    /// The agent's email, which keys the failed-attempt limit.
    pub email: String,
}

impl Store {
    /// The argon2 hash of an agent's password, if the agent has one.
    pub async fn password_hash(&self, agent: AgentId) -> Result<Option<String>> {
        let row = sqlx::query("SELECT password_hash FROM agents WHERE id = $1")
            .bind(agent.0)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound("agent"))?;
        get(&row, "password_hash")
    }

    /// Sets an agent's password and signs out the agent's other browsers,
    /// keeping the session `keep` (the one that made the change).
    pub async fn change_password(&self, agent: AgentId, hash: String, keep: String) -> Result<()> {
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE agents SET password_hash = $1 WHERE id = $2",
                    args![hash, agent.0],
                )
                .await?;
                tx.execute(
                    "DELETE FROM web_sessions WHERE agent_id = $1 AND id_hash <> $2",
                    args![agent.0, keep],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The agent's two-factor secret, whether on or being set up.
    pub async fn agent_totp(&self, agent: AgentId) -> Result<Option<AgentTotp>> {
        let row = sqlx::query("SELECT secret, enabled_at FROM agent_totp WHERE agent_id = $1")
            .bind(agent.0)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| {
            Ok(AgentTotp {
                secret: TotpSecret(secrets::open(
                    self,
                    &secrets::TOTP_SECRET,
                    get(&r, "secret")?,
                )?),
                enabled: get::<Option<i64>>(&r, "enabled_at")?.is_some(),
            })
        })
        .transpose()
    }

    /// Starts setting up two-factor with a new secret, replacing one not yet
    /// confirmed. Fails with a conflict when two-factor is already on.
    pub async fn begin_totp(&self, agent: AgentId, secret: &TotpSecret) -> Result<()> {
        let secret = secrets::seal(self, &secrets::TOTP_SECRET, &secret.0)?;
        let changed = self
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "INSERT INTO agent_totp (agent_id, secret, created_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (agent_id) DO UPDATE SET secret = excluded.secret, \
                         created_at = excluded.created_at, last_step = NULL \
                         WHERE agent_totp.enabled_at IS NULL",
                        args![agent.0, secret, micros(now())],
                    )
                    .await
                })
            })
            .await?;
        if changed == 0 {
            return Err(conflict(
                "two-factor sign-in is already on; turn it off first",
            ));
        }
        Ok(())
    }

    /// Turns two-factor on, the secret being set up having been confirmed by
    /// the code of time step `step` (which is then used up). Fails with a
    /// conflict when it is already on or was never set up.
    pub async fn enable_totp(&self, agent: AgentId, step: u64) -> Result<()> {
        let step = stored_step(step)?;
        let changed = self
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "UPDATE agent_totp SET enabled_at = $1, last_step = $2 \
                         WHERE agent_id = $3 AND enabled_at IS NULL",
                        args![micros(now()), step, agent.0],
                    )
                    .await
                })
            })
            .await?;
        if changed == 0 {
            return Err(conflict(
                "two-factor sign-in is already on, or its setup was not started",
            ));
        }
        Ok(())
    }

    /// Uses up the code of time step `step`: answers false when a code of this
    /// step or a later one was already accepted (a replay), or two-factor is
    /// off. Checking and recording is one statement, so two requests racing
    /// with the same code cannot both win.
    pub async fn use_totp_step(&self, agent: AgentId, step: u64) -> Result<bool> {
        let step = stored_step(step)?;
        let changed = self
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "UPDATE agent_totp SET last_step = $1 WHERE agent_id = $2 \
                         AND enabled_at IS NOT NULL AND (last_step IS NULL OR last_step < $1)",
                        args![step, agent.0],
                    )
                    .await
                })
            })
            .await?;
        Ok(changed == 1)
    }

    /// Turns two-factor off (or abandons its setup), ending sign-ins that
    /// wait for a code. Fails with not found when the agent does not exist.
    pub async fn disable_totp(&self, agent: AgentId) -> Result<()> {
        self.write(move |tx| {
            Box::pin(async move {
                let exists = tx
                    .fetch_optional("SELECT id FROM agents WHERE id = $1", args![agent.0])
                    .await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound("agent"));
                }
                tx.execute(
                    "DELETE FROM web_pending_signins WHERE agent_id = $1",
                    args![agent.0],
                )
                .await?;
                tx.execute("DELETE FROM agent_totp WHERE agent_id = $1", args![agent.0])
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Stores a sign-in waiting for its code until `expires_at`, clearing
    /// out expired ones so the table stays small.
    pub async fn create_pending_signin(
        &self,
        id_hash: &str,
        agent: AgentId,
        expires_at: Timestamp,
    ) -> Result<()> {
        let id_hash = id_hash.to_owned();
        self.write(move |tx| {
            Box::pin(async move {
                let at = micros(now());
                tx.execute(
                    "INSERT INTO web_pending_signins (id_hash, agent_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                    args![id_hash, agent.0, at, micros(expires_at)],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The unexpired pending sign-in with this id hash, if its agent is
    /// still active.
    pub async fn pending_signin(&self, id_hash: &str) -> Result<Option<PendingSignIn>> {
        let row = sqlx::query(
            "SELECT a.id, a.email FROM web_pending_signins p \
             JOIN agents a ON a.id = p.agent_id \
             WHERE p.id_hash = $1 AND p.expires_at > $2 AND a.active = 1",
        )
        .bind(id_hash)
        .bind(micros(now()))
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(PendingSignIn {
                agent_id: AgentId(get(&r, "id")?),
                email: get(&r, "email")?,
            })
        })
        .transpose()
    }

    /// Ends a pending sign-in; answers whether it was still there (so only
    /// one request can turn it into a session).
    pub async fn finish_pending_signin(&self, id_hash: &str) -> Result<bool> {
        let id_hash = id_hash.to_owned();
        let deleted = self
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "DELETE FROM web_pending_signins WHERE id_hash = $1",
                        args![id_hash],
                    )
                    .await
                })
            })
            .await?;
        Ok(deleted == 1)
    }
}

/// A time step as stored.
fn stored_step(step: u64) -> Result<i64> {
    i64::try_from(step)
        .map_err(|_| StoreError::State("the code's time step is out of range".into()))
}

/// A two-factor change that does not fit the current state.
fn conflict(message: &str) -> StoreError {
    StoreError::Conflict {
        field: "totp".into(),
        message: message.into(),
        existing_id: None,
    }
}
