//! Opening an IMAP session: TCP, TLS (from the start or after STARTTLS),
//! the greeting, and logging in with the stored password or, for mailboxes
//! connected with OAuth 2.0, AUTHENTICATE XOAUTH2 with a fresh access token
//! (refreshed once more when the server refuses it).

use super::{ImapSession, PollError, step};
use crate::mail::mailboxes::Mailboxes;
use crate::mail::oauth;
use async_imap::Client;
use rustls::pki_types::ServerName;
use tend_domain::email::{ImapAuth, ImapSecurity};
use tend_store::Store;
use tend_store::email::{ImapSettings, Inbox};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// What logging in needs besides the IMAP settings.
pub(super) struct Login<'a> {
    pub store: &'a Store,
    pub mailboxes: &'a Mailboxes,
    pub tls: &'a TlsConnector,
}

/// Connects, upgrades to TLS as configured, and logs in.
pub(super) async fn connect(
    login: &Login<'_>,
    inbox: &Inbox,
    imap: &ImapSettings,
) -> Result<ImapSession, PollError> {
    let server_name = ServerName::try_from(imap.host.clone())
        .map_err(|_| PollError::Server(format!("`{}` is not a valid host name", imap.host)))?;
    let tcp = step(
        "connecting",
        TcpStream::connect((imap.host.as_str(), imap.port)),
    )
    .await?;
    let tls = login.tls;
    let client = match imap.security {
        ImapSecurity::Imaps => {
            let stream = step("TLS handshake", tls.connect(server_name, tcp)).await?;
            let mut client = Client::new(stream);
            greeting(&mut client).await?;
            client
        }
        ImapSecurity::Starttls => {
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            step(
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await?;
            let tcp = client.into_inner();
            Client::new(step("TLS handshake", tls.connect(server_name, tcp)).await?)
        }
    };
    match imap.auth {
        ImapAuth::Password => {
            let password = async {
                client
                    .login(&imap.user, imap.password.expose())
                    .await
                    .map_err(|(e, _)| e)
            };
            step("LOGIN", password).await
        }
        ImapAuth::Oauth2 => xoauth2(login, inbox, imap, client).await,
    }
}

/// AUTHENTICATE XOAUTH2; when the server refuses the token, the token is
/// refreshed and tried once more. A token the server still refuses marks
/// the inbox as needing attention.
async fn xoauth2(
    login: &Login<'_>,
    inbox: &Inbox,
    imap: &ImapSettings,
    client: Client<TlsStream<TcpStream>>,
) -> Result<ImapSession, PollError> {
    let token = oauth::access_token(login.store, login.mailboxes, inbox.id, false).await?;
    let first = step("AUTHENTICATE", async {
        Ok::<_, async_imap::error::Error>(
            client
                .authenticate("XOAUTH2", Xoauth2::new(&imap.user, &token))
                .await,
        )
    })
    .await?;
    let session = match first {
        Ok(session) => session,
        Err((e, client)) => {
            tracing::info!(error = %e, "the server refused the access token; refreshing it");
            let token = oauth::access_token(login.store, login.mailboxes, inbox.id, true).await?;
            let again = async {
                client
                    .authenticate("XOAUTH2", Xoauth2::new(&imap.user, &token))
                    .await
                    .map_err(|(e, _)| e)
            };
            match step("AUTHENTICATE", again).await {
                Ok(session) => session,
                Err(e) => {
                    let why = format!("the IMAP server refuses the access token: {e}");
                    login.store.set_oauth_problem(inbox.id, Some(&why)).await?;
                    return Err(e);
                }
            }
        }
    };
    if inbox
        .oauth
        .as_ref()
        .is_some_and(|o| o.needs_attention.is_some())
    {
        login.store.set_oauth_problem(inbox.id, None).await?;
    }
    Ok(session)
}

/// The XOAUTH2 exchange: the initial response, then an empty answer to
/// the error challenge a refusing server sends.
struct Xoauth2 {
    response: Option<String>,
}

impl Xoauth2 {
    fn new(user: &str, token: &str) -> Self {
        Xoauth2 {
            response: Some(oauth::xoauth2(user, token)),
        }
    }
}

impl async_imap::Authenticator for Xoauth2 {
    type Response = String;

    fn process(&mut self, _challenge: &[u8]) -> String {
        self.response.take().unwrap_or_default()
    }
}

/// Reads the server's greeting.
async fn greeting<T>(client: &mut Client<T>) -> Result<(), PollError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    match step("greeting", client.read_response()).await? {
        Some(_) => Ok(()),
        None => Err(PollError::Server("the server closed the connection".into())),
    }
}
