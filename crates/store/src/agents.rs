//! Agents, teams and API tokens.

use crate::model::{Agent, Team};
use crate::rows::{flag, get, json, time, word};
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, StoreError, now};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tend_domain::agent::Role;
use tend_domain::email::EmailAddress;
use tend_domain::ids::{AgentId, TeamId};
use tend_domain::routing::RoutingMode;

/// A new agent.
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    /// Argon2 PHC string, when the agent may sign in with a password.
    pub password_hash: Option<String>,
}

/// Changes to an agent; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AgentChange {
    pub role: Option<Role>,
    /// Inactive agents cannot sign in or use their API tokens; deactivating
    /// one hands their unanswered cases back to their teams.
    pub active: Option<bool>,
    /// The availability switch; turning it off hands the agent's
    /// unanswered cases back to their teams.
    pub available: Option<bool>,
    /// Their own maximum of open cases (`Some(None)`: the team's).
    pub max_open_cases: Option<Option<u32>>,
    pub skills: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
}

/// Who an API token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenOwner {
    pub agent_id: AgentId,
    pub role: Role,
}

/// How long a token's owner is remembered without asking the database. A
/// change made through this process to an agent's role or active flag
/// clears the cache at once; this bound is only for changes made by
/// another process sharing a PostgreSQL database.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(2);

/// Tokens most remembered at once; past that the cache starts afresh.
const TOKEN_CACHE_SIZE: usize = 10_000;

/// Recently seen tokens and their owners, for [`Store::token_owner`].
#[derive(Debug, Default, Clone)]
pub(crate) struct TokenCache(Arc<Mutex<CachedOwners>>);

/// The cache's entries and how many times it was cleared.
#[derive(Debug, Default)]
struct CachedOwners {
    owners: HashMap<String, (TokenOwner, Instant)>,
    /// Bumped by every clear, so that an answer read from the database
    /// before a change is not cached after it.
    generation: u64,
}

impl TokenCache {
    fn get(&self, token_hash: &str) -> Option<TokenOwner> {
        let cache = self.0.lock().ok()?;
        let (owner, seen) = cache.owners.get(token_hash)?;
        (seen.elapsed() < TOKEN_CACHE_TTL).then_some(*owner)
    }

    /// The generation to pass to [`TokenCache::put`]: read it before asking
    /// the database.
    fn generation(&self) -> Option<u64> {
        self.0.lock().ok().map(|cache| cache.generation)
    }

    /// Remembers `owner` unless the cache was cleared since `generation`.
    fn put(&self, token_hash: &str, owner: TokenOwner, generation: u64) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.generation != generation {
                return;
            }
            if cache.owners.len() >= TOKEN_CACHE_SIZE {
                cache.owners.clear();
            }
            cache
                .owners
                .insert(token_hash.to_owned(), (owner, Instant::now()));
        }
    }

    /// Forgets every owner: called after any change to who owns a token or
    /// what they may do, so the next request asks the database.
    fn clear(&self) {
        // A poisoned lock still holds a usable map; clearing it is right.
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cache.owners.clear();
        cache.generation += 1;
    }
}

const AGENT_COLUMNS: &str =
    "id, email, name, role, active, available, max_open_cases, skills, languages, created_at";

fn agent(row: &AnyRow, team_ids: Vec<TeamId>) -> Result<Agent> {
    Ok(Agent {
        id: AgentId(get(row, "id")?),
        email: get(row, "email")?,
        name: get(row, "name")?,
        role: word(row, "role", Role::parse)?,
        active: flag(row, "active")?,
        team_ids,
        available: flag(row, "available")?,
        max_open_cases: maximum(get(row, "max_open_cases")?),
        skills: json(row, "skills")?,
        languages: json(row, "languages")?,
        created_at: time(row, "created_at")?,
    })
}

/// A stored maximum of open cases.
pub(crate) fn maximum(stored: Option<i64>) -> Option<u32> {
    stored.map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

const TEAM_COLUMNS: &str = "id, name, routing_mode, max_open_cases, match_skills, created_at";

impl Store {
    /// Creates an agent; the email must be new.
    pub async fn create_agent(&self, new: &NewAgent) -> Result<Agent> {
        let inserted = self
            .insert_returning_id(
                "INSERT INTO agents (email, name, role, password_hash, active, created_at) \
                 VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
                args![
                    new.email.as_str(),
                    &new.name,
                    new.role.as_str(),
                    new.password_hash.as_deref(),
                    micros(now()),
                ],
                "agent",
                None,
            )
            .await;
        match inserted {
            Ok(id) => self.agent(AgentId(id)).await,
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict {
                field: "email".into(),
                message: format!("an agent with email {} already exists", new.email.as_str()),
                existing_id: None,
            }),
            Err(e) => Err(e),
        }
    }

    /// One agent with their teams.
    pub async fn agent(&self, id: AgentId) -> Result<Agent> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("agent"))?;
        let teams =
            sqlx::query("SELECT team_id FROM team_members WHERE agent_id = $1 ORDER BY team_id")
                .bind(id.0)
                .fetch_all(&self.reader)
                .await?;
        let team_ids = teams
            .iter()
            .map(|r| get(r, "team_id").map(TeamId))
            .collect::<Result<_>>()?;
        agent(&row, team_ids)
    }

    /// The agent with this email, if any.
    pub async fn agent_id_by_email(&self, email: &EmailAddress) -> Result<Option<AgentId>> {
        let row = sqlx::query("SELECT id FROM agents WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| get(&r, "id").map(AgentId)).transpose()
    }

    /// Every agent, by id (agent counts are small).
    pub async fn agents(&self) -> Result<Vec<Agent>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {AGENT_COLUMNS} FROM agents ORDER BY id"
        )))
        .fetch_all(&self.reader)
        .await?;
        let members = sqlx::query("SELECT agent_id, team_id FROM team_members ORDER BY team_id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = get(row, "id")?;
                let mut teams = Vec::new();
                for m in &members {
                    if get::<i64>(m, "agent_id")? == id {
                        teams.push(TeamId(get(m, "team_id")?));
                    }
                }
                agent(row, teams)
            })
            .collect()
    }

    /// Whether any admin exists (for the first-run hint).
    pub async fn has_admin(&self) -> Result<bool> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM agents WHERE role = 'admin' AND active = 1")
                .fetch_one(&self.reader)
                .await?;
        Ok(get::<i64>(&row, "n")? > 0)
    }

    /// Stores a new API token by its hash.
    pub async fn create_api_token(&self, agent: AgentId, token_hash: &str) -> Result<()> {
        self.execute_write(
            "INSERT INTO api_tokens (agent_id, token_hash, created_at) VALUES ($1, $2, $3)",
            args![agent.0, token_hash, micros(now())],
        )
        .await
        .map(|_| ())
    }

    /// The active agent owning the token with this hash. Answers are cached
    /// for [`TOKEN_CACHE_TTL`], so a request costs no query for a token seen
    /// moments ago; changing an agent through this store clears the cache, so
    /// a deactivated or demoted agent's next request sees the change.
    /// Unknown tokens are never cached.
    pub async fn token_owner(&self, token_hash: &str) -> Result<Option<TokenOwner>> {
        if let Some(owner) = self.token_cache.get(token_hash) {
            return Ok(Some(owner));
        }
        let generation = self.token_cache.generation();
        let row = sqlx::query(
            "SELECT a.id, a.role FROM api_tokens t JOIN agents a ON a.id = t.agent_id \
             WHERE t.token_hash = $1 AND a.active = 1",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        let owner = row
            .map(|r| {
                Ok::<_, StoreError>(TokenOwner {
                    agent_id: AgentId(get(&r, "id")?),
                    role: word(&r, "role", Role::parse)?,
                })
            })
            .transpose()?;
        if let (Some(owner), Some(generation)) = (owner, generation) {
            self.token_cache.put(token_hash, owner, generation);
        }
        Ok(owner)
    }

    /// Creates a team; names are unique.
    pub async fn create_team(&self, name: &str) -> Result<Team> {
        let inserted = self
            .insert_returning_id(
                "INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id",
                args![name, micros(now())],
                "team",
                None,
            )
            .await;
        match inserted {
            Ok(id) => self.team(TeamId(id)).await,
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict {
                field: "name".into(),
                message: format!("a team named {name} already exists"),
                existing_id: None,
            }),
            Err(e) => Err(e),
        }
    }

    /// One team with its members.
    pub async fn team(&self, id: TeamId) -> Result<Team> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TEAM_COLUMNS} FROM teams WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound("team"))?;
        let members =
            sqlx::query("SELECT agent_id FROM team_members WHERE team_id = $1 ORDER BY agent_id")
                .bind(id.0)
                .fetch_all(&self.reader)
                .await?;
        Ok(Team {
            id,
            name: get(&row, "name")?,
            member_ids: members
                .iter()
                .map(|r| get(r, "agent_id").map(AgentId))
                .collect::<Result<_>>()?,
            routing_mode: word(&row, "routing_mode", RoutingMode::parse)?,
            max_open_cases: maximum(get(&row, "max_open_cases")?),
            match_skills: flag(&row, "match_skills")?,
            created_at: time(&row, "created_at")?,
        })
    }

    /// Every team, by id.
    pub async fn teams(&self) -> Result<Vec<Team>> {
        let rows = sqlx::query("SELECT id FROM teams ORDER BY id")
            .fetch_all(&self.reader)
            .await?;
        let mut teams = Vec::with_capacity(rows.len());
        for row in &rows {
            teams.push(self.team(TeamId(get(row, "id")?)).await?);
        }
        Ok(teams)
    }

    /// Adds an agent to a team (a no-op when already a member).
    pub async fn add_team_member(&self, team: TeamId, agent: AgentId) -> Result<Team> {
        self.team(team).await?;
        self.agent(agent).await.map_err(|_| {
            tend_domain::Invalid::new("agent_id", format!("no agent with id {agent}"))
        })?;
        self.execute_write(
            "INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            args![team.0, agent.0],
        )
        .await?;
        self.team(team).await
    }

    /// Removes an agent from a team (a no-op when not a member).
    pub async fn remove_team_member(&self, team: TeamId, agent: AgentId) -> Result<Team> {
        self.team(team).await?;
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "DELETE FROM team_members WHERE team_id = $1 AND agent_id = $2",
                    args![team.0, agent.0],
                )
                .await
            })
        })
        .await?;
        self.team(team).await
    }

    /// Changes an agent's role, whether they are active or available, and
    /// what routing knows of them. Deactivating an agent or turning their
    /// availability off hands their unanswered cases back to their teams
    /// (each routed again), in the same transaction.
    pub async fn update_agent(&self, id: AgentId, change: AgentChange) -> Result<Agent> {
        let current = self.agent(id).await?;
        let role = change.role.unwrap_or(current.role);
        let active = change.active.unwrap_or(current.active);
        let available = change.available.unwrap_or(current.available);
        let max = change.max_open_cases.unwrap_or(current.max_open_cases);
        let skills = serde_json::to_string(change.skills.as_ref().unwrap_or(&current.skills))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let languages =
            serde_json::to_string(change.languages.as_ref().unwrap_or(&current.languages))
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let hand_back = if current.active && !active {
            Some(tend_domain::routing::HandBack::Deactivated)
        } else if current.active && current.available && !available {
            Some(tend_domain::routing::HandBack::WentAway)
        } else {
            None
        };
        let dialect = self.dialect;
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE agents SET role = $1, active = $2, available = $3, \
                     max_open_cases = $4, skills = $5, languages = $6 WHERE id = $7",
                    args![
                        role.as_str(),
                        active,
                        available,
                        max.map(i64::from),
                        skills,
                        languages,
                        id.0
                    ],
                )
                .await?;
                if let Some(why) = hand_back {
                    crate::routing::hand_back(tx, dialect, id, why, now()).await?;
                }
                Ok(())
            })
        })
        .await?;
        self.token_cache.clear();
        self.agent(id).await
    }

    /// Changes how a team routes its cases.
    pub async fn update_team(&self, id: TeamId, change: TeamChange) -> Result<Team> {
        let current = self.team(id).await?;
        let mode = change.routing_mode.unwrap_or(current.routing_mode);
        let max = change.max_open_cases.unwrap_or(current.max_open_cases);
        let match_skills = change.match_skills.unwrap_or(current.match_skills);
        self.execute_write(
            "UPDATE teams SET routing_mode = $1, max_open_cases = $2, match_skills = $3 \
             WHERE id = $4",
            args![mode.as_str(), max.map(i64::from), match_skills, id.0],
        )
        .await?;
        self.team(id).await
    }
}

/// Changes to a team's routing; `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct TeamChange {
    pub routing_mode: Option<RoutingMode>,
    /// `Some(None)`: no limit.
    pub max_open_cases: Option<Option<u32>>,
    pub match_skills: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_forgets_owners_and_refuses_answers_read_before_it() {
        let cache = TokenCache::default();
        let owner = TokenOwner {
            agent_id: AgentId(7),
            role: Role::Admin,
        };
        let before = cache.generation().unwrap();
        cache.put("a", owner, before);
        assert_eq!(cache.get("a"), Some(owner));
        // A lookup that began before a change finishes after it.
        let stale = cache.generation().unwrap();
        cache.clear();
        assert_eq!(cache.get("a"), None);
        cache.put("a", owner, stale);
        assert_eq!(
            cache.get("a"),
            None,
            "an answer older than the clear is dropped"
        );
        cache.put("a", owner, cache.generation().unwrap());
        assert_eq!(cache.get("a"), Some(owner));
    }
}
