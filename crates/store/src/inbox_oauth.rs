//! OAuth 2.0 for inbox mailboxes: the client an inbox's mailbox is
//! connected with (provider URLs, client id and secret, scopes), the tokens
//! the authorisation-code flow gave, whether the grant needs an admin's
//! attention, and authorisations begun but not finished (single-use, tied
//! to an agent and, from the web, to their session). The client secret and
//! the tokens are sealed like IMAP passwords (see [`crate::secrets`]).

use crate::email::{Inbox, Password};
use crate::rows::{get, optional_time};
use crate::secrets::{self, OAUTH_ACCESS_TOKEN, OAUTH_CLIENT_SECRET, OAUTH_REFRESH_TOKEN};
use crate::time::micros;
use crate::tx::args;
use crate::{Result, Store, StoreError, now};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sqlx::any::AnyRow;
use tend_domain::ids::AgentId;
use utoipa::ToSchema;

/// How long an authorisation may take from redirect to callback.
pub const PENDING_LIFETIME: SignedDuration = SignedDuration::from_mins(15);
/// Most unfinished authorisations kept per inbox; older ones are dropped.
const MAX_PENDING_PER_INBOX: i64 = 20;

/// The OAuth 2.0 client (an app registered with the provider) a mailbox
/// is connected with.
#[derive(Debug, Clone, PartialEq)]
pub struct OauthClient {
    pub authorize_url: String,
    pub token_url: String,
    pub client_id: String,
    /// Empty for public clients; when changing a client, empty keeps the
    /// stored one.
    pub client_secret: Password,
    /// Space-separated, as sent to the provider.
    pub scopes: String,
}

/// Tokens from the provider's token endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct OauthTokens {
    pub access_token: Password,
    /// Absent when a refresh answer did not rotate it (the stored one stays).
    pub refresh_token: Option<Password>,
    pub expires_at: Option<Timestamp>,
}

/// What the poller needs to log in: the client and the current tokens
/// (`None` until an admin connects the mailbox).
#[derive(Debug, Clone)]
pub struct OauthGrant {
    pub client: OauthClient,
    pub tokens: Option<OauthTokens>,
}

/// An inbox's OAuth connection as readers see it: no secrets.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OauthStatus {
    pub authorize_url: String,
    pub token_url: String,
    pub client_id: String,
    /// Whether a client secret is stored (it is never sent out).
    pub client_secret_set: bool,
    pub scopes: String,
    /// Whether an admin connected the mailbox and Tend holds tokens for it.
    pub connected: bool,
    pub connected_at: Option<Timestamp>,
    /// When the current access token expires (Tend refreshes it before).
    pub expires_at: Option<Timestamp>,
    /// Why the mailbox needs an admin's attention (e.g. the grant was
    /// revoked: connect it again); `null` when all is well. Mail waits in
    /// the mailbox meanwhile.
    pub needs_attention: Option<String>,
    pub needs_attention_since: Option<Timestamp>,
}

/// An authorisation begun: the redirect to the provider is out, the
/// callback has not come back yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAuthorization {
    /// SHA-256 of the `state` parameter (the state itself is never stored).
    pub state_hash: String,
    pub inbox_id: i64,
    /// The agent who began it; only they may finish it.
    pub agent_id: AgentId,
    /// The web session it began in; `None` when begun through the API.
    pub session_hash: Option<String>,
    /// The redirect URI sent, which the code exchange must repeat.
    pub redirect_uri: String,
    pub created_at: Timestamp,
}

/// The columns [`status`] reads, for a query joining `inbox_oauth`.
pub(crate) const STATUS_COLUMNS: &str = "inbox_oauth.authorize_url AS oauth_authorize_url, \
     inbox_oauth.token_url AS oauth_token_url, inbox_oauth.client_id AS oauth_client_id, \
     inbox_oauth.client_secret AS oauth_client_secret, inbox_oauth.scopes AS oauth_scopes, \
     inbox_oauth.refresh_token AS oauth_refresh_token, inbox_oauth.expires_at AS oauth_expires_at, \
     inbox_oauth.connected_at AS oauth_connected_at, inbox_oauth.problem AS oauth_problem, \
     inbox_oauth.problem_at AS oauth_problem_at";

/// The OAuth status in a row with [`STATUS_COLUMNS`]; `None` without a client.
pub(crate) fn status(r: &AnyRow) -> Result<Option<OauthStatus>> {
    let Some(authorize_url) = get::<Option<String>>(r, "oauth_authorize_url")? else {
        return Ok(None);
    };
    let set =
        |col| Ok::<_, StoreError>(get::<Option<String>>(r, col)?.is_some_and(|v| !v.is_empty()));
    Ok(Some(OauthStatus {
        authorize_url,
        token_url: get(r, "oauth_token_url")?,
        client_id: get(r, "oauth_client_id")?,
        client_secret_set: set("oauth_client_secret")?,
        scopes: get(r, "oauth_scopes")?,
        connected: set("oauth_refresh_token")?,
        connected_at: optional_time(r, "oauth_connected_at")?,
        expires_at: optional_time(r, "oauth_expires_at")?,
        needs_attention: get(r, "oauth_problem")?,
        needs_attention_since: optional_time(r, "oauth_problem_at")?,
    }))
}

/// Opens a sealed column that may be null or empty.
fn open_optional(
    store: &Store,
    r: &AnyRow,
    col: &str,
    column: &secrets::SecretColumn,
) -> Result<Option<Password>> {
    match get::<Option<String>>(r, col)? {
        Some(sealed) if !sealed.is_empty() => {
            Ok(Some(Password::new(secrets::open(store, column, sealed)?)))
        }
        _ => Ok(None),
    }
}

impl Store {
    /// Sets the OAuth client of an inbox's mailbox and makes its IMAP
    /// login use OAuth 2.0. Tokens are kept when the client id and token
    /// URL stay the same, else dropped (the mailbox must be connected
    /// again); an empty client secret keeps the stored one.
    pub async fn set_inbox_oauth(&self, inbox_id: i64, client: &OauthClient) -> Result<Inbox> {
        let inbox = self.inbox(inbox_id).await?;
        if inbox.imap.is_none() {
            return Err(StoreError::State(
                "this inbox polls no IMAP mailbox; create it with IMAP settings first".into(),
            ));
        }
        let secret = match client.client_secret.expose() {
            "" => None,
            s => Some(secrets::seal(self, &OAUTH_CLIENT_SECRET, s)?),
        };
        let values = args![
            inbox_id,
            client.authorize_url.clone(),
            client.token_url.clone(),
            client.client_id.clone(),
            secret,
            client.scopes.clone()
        ];
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO inbox_oauth (inbox_id, authorize_url, token_url, client_id, \
                     client_secret, scopes) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (inbox_id) DO UPDATE SET authorize_url = excluded.authorize_url, \
                     scopes = excluded.scopes, \
                     client_secret = COALESCE(excluded.client_secret, inbox_oauth.client_secret), \
                     access_token = CASE WHEN inbox_oauth.client_id = excluded.client_id \
                       AND inbox_oauth.token_url = excluded.token_url \
                       THEN inbox_oauth.access_token END, \
                     refresh_token = CASE WHEN inbox_oauth.client_id = excluded.client_id \
                       AND inbox_oauth.token_url = excluded.token_url \
                       THEN inbox_oauth.refresh_token END, \
                     client_id = excluded.client_id, token_url = excluded.token_url",
                    values,
                )
                .await?;
                tx.execute(
                    "UPDATE inboxes SET imap_auth = 'oauth2' WHERE id = $1",
                    args![inbox_id],
                )
                .await
            })
        })
        .await?;
        self.inbox(inbox_id).await
    }

    /// The OAuth client and tokens of an inbox's mailbox, secrets opened;
    /// `None` when it has no client.
    pub async fn inbox_oauth_grant(&self, inbox_id: i64) -> Result<Option<OauthGrant>> {
        let row = sqlx::query(
            "SELECT authorize_url, token_url, client_id, client_secret, scopes, access_token, \
             refresh_token, expires_at FROM inbox_oauth WHERE inbox_id = $1",
        )
        .bind(inbox_id)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let client = OauthClient {
            authorize_url: get(&r, "authorize_url")?,
            token_url: get(&r, "token_url")?,
            client_id: get(&r, "client_id")?,
            client_secret: open_optional(self, &r, "client_secret", &OAUTH_CLIENT_SECRET)?
                .unwrap_or_else(|| Password::new(String::new())),
            scopes: get(&r, "scopes")?,
        };
        let access = open_optional(self, &r, "access_token", &OAUTH_ACCESS_TOKEN)?;
        let refresh = open_optional(self, &r, "refresh_token", &OAUTH_REFRESH_TOKEN)?;
        let tokens = access.map(|access_token| OauthTokens {
            access_token,
            refresh_token: refresh,
            expires_at: optional_time(&r, "expires_at").ok().flatten(),
        });
        Ok(Some(OauthGrant { client, tokens }))
    }

    /// Stores fresh tokens and clears any problem. `connected` marks tokens
    /// from a new authorisation (rather than a refresh). A missing refresh
    /// token keeps the stored one.
    pub async fn store_oauth_tokens(
        &self,
        inbox_id: i64,
        tokens: &OauthTokens,
        connected: bool,
    ) -> Result<()> {
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map(|t| secrets::seal(self, &OAUTH_REFRESH_TOKEN, t.expose()))
            .transpose()?;
        let values = args![
            secrets::seal(self, &OAUTH_ACCESS_TOKEN, tokens.access_token.expose())?,
            refresh,
            tokens.expires_at.map(micros),
            connected.then(|| micros(now())),
            inbox_id
        ];
        let changed = self
            .execute_write(
                "UPDATE inbox_oauth SET access_token = $1, \
                 refresh_token = COALESCE($2, refresh_token), expires_at = $3, \
                 connected_at = COALESCE($4, connected_at), problem = NULL, problem_at = NULL \
                 WHERE inbox_id = $5",
                values,
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound("inbox OAuth client"));
        }
        Ok(())
    }

    /// Records why an inbox's mailbox needs attention (the first time it
    /// went wrong is kept), or that it no longer does (`None`).
    pub async fn set_oauth_problem(&self, inbox_id: i64, problem: Option<&str>) -> Result<()> {
        match problem {
            Some(problem) => self.execute_write(
                "UPDATE inbox_oauth SET problem = $1, problem_at = COALESCE(problem_at, $2) \
                 WHERE inbox_id = $3",
                args![problem.to_owned(), micros(now()), inbox_id],
            ),
            None => self.execute_write(
                "UPDATE inbox_oauth SET problem = NULL, problem_at = NULL WHERE inbox_id = $1",
                args![inbox_id],
            ),
        }
        .await
        .map(drop)
    }

    /// Records an authorisation begun, dropping expired ones and the
    /// oldest beyond the per-inbox cap.
    pub async fn begin_oauth(&self, pending: &PendingAuthorization) -> Result<()> {
        let p = pending.clone();
        let expired = micros(now() - PENDING_LIFETIME);
        self.write(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "DELETE FROM oauth_pending WHERE created_at < $1",
                    args![expired],
                )
                .await?;
                tx.execute(
                    "DELETE FROM oauth_pending WHERE inbox_id = $1 AND created_at <= (\
                     SELECT created_at FROM oauth_pending WHERE inbox_id = $1 \
                     ORDER BY created_at DESC LIMIT 1 OFFSET $2)",
                    args![p.inbox_id, MAX_PENDING_PER_INBOX - 1],
                )
                .await?;
                tx.execute(
                    "INSERT INTO oauth_pending (state_hash, inbox_id, agent_id, session_hash, \
                     redirect_uri, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    args![
                        p.state_hash,
                        p.inbox_id,
                        p.agent_id.0,
                        p.session_hash,
                        p.redirect_uri,
                        micros(p.created_at)
                    ],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Takes (deletes and answers) the unexpired authorisation with this
    /// state hash: each state is good for one callback.
    pub async fn take_oauth_pending(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingAuthorization>> {
        let hash = state_hash.to_owned();
        let oldest = now() - PENDING_LIFETIME;
        self.write(move |tx| {
            Box::pin(async move {
                let row = tx
                    .fetch_optional(
                        "SELECT inbox_id, agent_id, session_hash, redirect_uri, created_at \
                         FROM oauth_pending WHERE state_hash = $1",
                        args![hash.clone()],
                    )
                    .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                tx.execute(
                    "DELETE FROM oauth_pending WHERE state_hash = $1",
                    args![hash.clone()],
                )
                .await?;
                let created_at = crate::time::from_micros(row.int("created_at")?)?;
                if created_at < oldest {
                    return Ok(None);
                }
                Ok(Some(PendingAuthorization {
                    state_hash: hash,
                    inbox_id: row.int("inbox_id")?,
                    agent_id: AgentId(row.int("agent_id")?),
                    session_hash: row.opt_text("session_hash")?,
                    redirect_uri: row.text("redirect_uri")?,
                    created_at,
                }))
            })
        })
        .await
    }
}
