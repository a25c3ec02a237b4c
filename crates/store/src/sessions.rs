//! Web sign-in: agents' password hashes and server-side browser sessions.
//! A session is stored by the hash of its cookie value, with its CSRF token
//! and an expiry; deleting the row signs the browser out.

use crate::rows::{get, word};
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, now};
use jiff::Timestamp;
use tend_domain::agent::Role;
use tend_domain::email::EmailAddress;
use tend_domain::ids::AgentId;
use tend_domain::preferences::Preferences;

/// What a sign-in attempt needs to know about an agent.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub agent_id: AgentId,
    /// Argon2 PHC string; absent for agents who may not sign in.
    pub password_hash: Option<String>,
    pub active: bool,
}

/// A live session and the agent it belongs to.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub agent_id: AgentId,
    pub agent_name: String,
    pub role: Role,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// How the agent wants times and cases shown.
    pub preferences: Preferences,
    /// The agent's availability switch (routing gives cases only to
    /// available agents).
    pub available: bool,
}

/// A session to store.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub agent_id: AgentId,
    pub csrf_token: &'a str,
    pub expires_at: Timestamp,
}

impl Store {
    /// The sign-in details of the agent with this email, if any.
    pub async fn credentials(&self, email: &EmailAddress) -> Result<Option<Credentials>> {
        let row = sqlx::query("SELECT id, password_hash, active FROM agents WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| {
            Ok(Credentials {
                agent_id: AgentId(get(&r, "id")?),
                password_hash: get(&r, "password_hash")?,
                active: get::<i64>(&r, "active")? != 0,
            })
        })
        .transpose()
    }

    /// Stores a new session.
    pub async fn create_session(&self, new: &NewSession<'_>) -> Result<()> {
        let at = micros(now());
        let values = args![
            new.id_hash,
            new.agent_id.0,
            new.csrf_token,
            at,
            micros(new.expires_at)
        ];
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO web_sessions (id_hash, agent_id, csrf_token, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                    values,
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The unexpired session with this id hash, if its agent is still active.
    pub async fn session(&self, id_hash: &str) -> Result<Option<WebSession>> {
        let row = sqlx::query(
            "SELECT a.id, a.name, a.role, a.time_zone, a.locale, a.newest_first, a.available, \
             s.csrf_token \
             FROM web_sessions s \
             JOIN agents a ON a.id = s.agent_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND a.active = 1",
        )
        .bind(id_hash)
        .bind(micros(now()))
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(WebSession {
                agent_id: AgentId(get(&r, "id")?),
                agent_name: get(&r, "name")?,
                role: word(&r, "role", Role::parse)?,
                csrf_token: get(&r, "csrf_token")?,
                preferences: Preferences {
                    time_zone: get(&r, "time_zone")?,
                    locale: get(&r, "locale")?,
                    newest_first: get::<i64>(&r, "newest_first")? != 0,
                },
                available: get::<i64>(&r, "available")? != 0,
            })
        })
        .transpose()
    }

    /// Stores how agent `id` wants times and cases shown.
    pub async fn set_preferences(&self, id: AgentId, preferences: &Preferences) -> Result<()> {
        let values = args![
            preferences.time_zone.clone(),
            preferences.locale.clone(),
            i64::from(preferences.newest_first),
            id.0
        ];
        self.execute_write(
            "UPDATE agents SET time_zone = $1, locale = $2, newest_first = $3 WHERE id = $4",
            values,
        )
        .await
        .map(drop)
    }

    /// Ends a session (sign-out).
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.execute_write(
            "DELETE FROM web_sessions WHERE id_hash = $1",
            args![id_hash],
        )
        .await
        .map(|_| ())
    }
}
