//! Sending replies by email: rendering an agent's reply as a message that
//! threads in the customer's mail program (its own Message-ID, In-Reply-To
//! and References, the case number in the subject, text and HTML, the
//! attachments, from the inbox address), and the `send_email` job handler
//! that hands queued messages to the SMTP relay (the job runner retries it
//! with back-off).

use super::mailboxes::Mailboxes;
use crate::jobs::outcome::JobError;
use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;
use tend_domain::email::EmailAddress;
use tend_domain::html::EmailHtml;
use tend_domain::ids::{CaseId, SideConversationId};
use tend_store::Store;
use tend_store::email::Inbox;
use tend_store::jobs::Job;
use tend_store::messages::{NewAttachment, NewMessage};
use tend_store::model::EmailDetails;
use tend_store::outbound::{Copy, OutboundEmail, QueuedEmail, ReplyContext};

/// A rendered email and the Message-ID it carries (without brackets).
pub struct Rendered {
    pub email: OutboundEmail,
    pub message_id: String,
    pub subject: String,
}

/// Who writes an outgoing email, for its `Auto-Submitted` header
/// (RFC 3834): mail programs answer people, never machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// An agent wrote it: `Auto-Submitted: no`.
    Person,
    /// Tend answered by itself: `Auto-Submitted: auto-replied`.
    Automatic,
}

/// Who an email goes to besides its recipient.
#[derive(Debug, Clone, Default)]
pub struct Copies {
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
}

impl Copies {
    /// The envelope's copies.
    fn envelope(&self) -> Vec<Copy> {
        let copy = |blind| {
            move |a: &String| Copy {
                address: a.clone(),
                blind,
            }
        };
        self.cc
            .iter()
            .map(copy(false))
            .chain(self.bcc.iter().map(copy(true)))
            .collect()
    }
}

/// An email Tend sends on a case: a reply, the first email of a case an
/// agent opens, or a forward.
pub struct Letter<'a> {
    pub inbox: &'a Inbox,
    pub to: &'a str,
    pub copies: &'a Copies,
    /// The subject without the case reference, which is added.
    pub subject: String,
    /// Message-IDs it answers, oldest first.
    pub references: &'a [String],
    pub sender: Sender,
    /// The side conversation it belongs to: its subject carries
    /// `[#123-S4]` instead of `[#123]`, its Message-ID `tend.123.s4.…`.
    pub side: Option<SideConversationId>,
}

/// Renders `msg` (a reply on `case`) as email for the conversation in `ctx`,
/// copied to `copies`, fills in its email details, and answers the email
/// to queue with it.
pub fn reply_email(
    ctx: &ReplyContext,
    case: CaseId,
    msg: &mut NewMessage,
    sender: Sender,
    copies: &Copies,
) -> Result<OutboundEmail, String> {
    let letter = Letter {
        inbox: &ctx.inbox,
        to: &ctx.recipient,
        copies,
        subject: format!("Re: {}", ctx.case_subject),
        references: &ctx.references,
        sender,
        side: None,
    };
    letter.write(case, msg)
}

impl Letter<'_> {
    /// Renders `msg` on `case` as this email, fills in its email details,
    /// and answers the email to queue with it.
    pub fn write(&self, case: CaseId, msg: &mut NewMessage) -> Result<OutboundEmail, String> {
        let rendered = self.render(
            case,
            &msg.body_text,
            msg.body_html.as_ref().map(EmailHtml::as_str),
            &msg.attachments,
        )?;
        msg.email = Some(EmailDetails {
            message_id: Some(rendered.message_id),
            from: self.inbox.address.clone(),
            subject: rendered.subject,
            to: vec![self.to.to_owned()],
            cc: self.copies.cc.clone(),
            bcc: self.copies.bcc.clone(),
            automated: self.sender == Sender::Automatic,
            has_raw: true,
            inbox_id: Some(self.inbox.id),
            delivery: None,
        });
        Ok(rendered.email)
    }

    /// The email itself.
    fn render(
        &self,
        case: CaseId,
        body_text: &str,
        body_html: Option<&str>,
        attachments: &[NewAttachment],
    ) -> Result<Rendered, String> {
        let (reference, thread) = match self.side {
            Some(side) => (format!("[#{case}-S{side}]"), format!("{case}.s{side}")),
            None => (format!("[#{case}]"), case.to_string()),
        };
        let subject = if self.subject.contains(&reference) {
            self.subject.clone()
        } else {
            format!("{} {reference}", self.subject)
        };
        let domain = self
            .inbox
            .address
            .rsplit_once('@')
            .map_or("tend.invalid", |(_, d)| d);
        let message_id = format!("tend.{thread}.{}@{domain}", random_token());
        let mailbox = |field: &str, a: &str| -> Result<Mailbox, String> {
            a.parse().map_err(|e| format!("{field}: {e}"))
        };
        let mut builder = lettre::Message::builder()
            .from(inbox_mailbox(self.inbox)?)
            .to(mailbox("recipient", self.to)?)
            .subject(subject.clone())
            .message_id(Some(format!("<{message_id}>")))
            .header(AutoSubmitted(self.sender));
        for cc in &self.copies.cc {
            builder = builder.cc(mailbox("cc", cc)?);
        }
        if let Some(last) = self.references.last() {
            builder = builder.in_reply_to(format!("<{last}>"));
        }
        if !self.references.is_empty() {
            let all: Vec<String> = self.references.iter().map(|r| format!("<{r}>")).collect();
            builder = builder.references(all.join(" "));
        }
        let text = SinglePart::plain(body_text.to_owned());
        let body = match body_html {
            Some(html) => MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::html(html.to_owned())),
            None => MultiPart::mixed().singlepart(text),
        };
        let body = attachments.iter().fold(body, |body, file| {
            let content_type = ContentType::parse(&file.content_type).unwrap_or(
                ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN),
            );
            body.singlepart(
                Attachment::new(file.filename.clone()).body(file.data.clone(), content_type),
            )
        });
        let message = builder
            .multipart(body)
            .map_err(|e| format!("building the email: {e}"))?;
        Ok(Rendered {
            email: OutboundEmail {
                sender: self.inbox.address.clone(),
                recipient: self.to.to_owned(),
                copies: self.copies.envelope(),
                raw: message.formatted(),
            },
            message_id,
            subject,
        })
    }
}

/// The inbox as a From mailbox, with its name when that parses.
fn inbox_mailbox(inbox: &Inbox) -> Result<Mailbox, String> {
    format!(
        "{} <{}>",
        inbox.name.replace(['<', '>', '"'], ""),
        inbox.address
    )
    .parse()
    .or_else(|_| inbox.address.parse())
    .map_err(|e| format!("inbox address: {e}"))
}

/// Renders a plain-text email Tend sends by itself outside any case (a
/// sign-in link), from `inbox` to `recipient`.
pub fn system_email(
    inbox: &Inbox,
    recipient: &str,
    subject: &str,
    text: String,
) -> Result<OutboundEmail, String> {
    let domain = inbox
        .address
        .rsplit_once('@')
        .map_or("tend.invalid", |(_, d)| d);
    let to: Mailbox = recipient.parse().map_err(|e| format!("recipient: {e}"))?;
    let message = lettre::Message::builder()
        .from(inbox_mailbox(inbox)?)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<tend.system.{}@{domain}>", random_token())))
        .header(AutoSubmitted(Sender::Automatic))
        .singlepart(SinglePart::plain(text))
        .map_err(|e| format!("building the email: {e}"))?;
    Ok(OutboundEmail {
        sender: inbox.address.clone(),
        recipient: recipient.to_owned(),
        copies: Vec::new(),
        raw: message.formatted(),
    })
}

/// `Auto-Submitted`: `no` lets auto-responders answer a person's reply;
/// `auto-replied` tells them to keep quiet, so two robots never loop.
#[derive(Clone)]
struct AutoSubmitted(Sender);

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(raw: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted(if raw.trim() == "no" {
            Sender::Person
        } else {
            Sender::Automatic
        }))
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        let value = match self.0 {
            Sender::Person => "no",
            Sender::Automatic => "auto-replied",
        };
        lettre::message::header::HeaderValue::new(Self::name(), value.into())
    }
}

fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How Tend talks to the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RelaySecurity {
    /// `smtp://`: in the clear (a relay on the same host or network).
    Plain,
    /// `smtp+starttls://`: upgraded with STARTTLS before anything is sent;
    /// no upgrade, no delivery.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Tls,
}

impl RelaySecurity {
    fn scheme(self) -> &'static str {
        match self {
            RelaySecurity::Plain => "smtp",
            RelaySecurity::StartTls => "smtp+starttls",
            RelaySecurity::Tls => "smtps",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            RelaySecurity::Plain => 25,
            RelaySecurity::StartTls => 587,
            RelaySecurity::Tls => 465,
        }
    }
}

/// Where to hand outgoing mail: `smtp://`, `smtp+starttls://` or
/// `smtps://`, then `[user:password@]host[:port]`.
#[derive(Clone)]
pub struct Relay {
    security: RelaySecurity,
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
    /// A PEM CA certificate trusted besides the built-in roots.
    extra_ca: Option<Vec<u8>>,
    /// For a relay without a password: mail from an inbox connected with
    /// OAuth signs in as that mailbox with its token (XOAUTH2).
    oauth: Option<Mailboxes>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}:{}",
            self.security.scheme(),
            self.host,
            self.port
        )
    }
}

impl Relay {
    /// Parses a relay URL.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (security, rest) = [
            RelaySecurity::Plain,
            RelaySecurity::StartTls,
            RelaySecurity::Tls,
        ]
        .into_iter()
        .find_map(|s| Some((s, url.strip_prefix(s.scheme())?.strip_prefix("://")?)))
        .ok_or_else(|| {
            format!(
                "`{}` is not an smtp://, smtp+starttls:// or smtps:// URL",
                crate::config::redact_url(url)
            )
        })?;
        let rest = rest.trim_end_matches('/');
        let (credentials, host_port) = match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                (Some((user.to_owned(), password.to_owned())), host)
            }
            None => (None, rest),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| format!("bad relay port `{p}`"))?),
            None => (host_port, security.default_port()),
        };
        if host.is_empty() {
            return Err("the relay URL names no host".into());
        }
        Ok(Relay {
            security,
            host: host.to_owned(),
            port,
            credentials,
            extra_ca: None,
            oauth: None,
        })
    }

    /// Signs in as the sending inbox's mailbox with its OAuth token when
    /// the inbox is connected with OAuth and the relay URL gives no
    /// password (Microsoft 365's and Google's relays take no passwords).
    pub fn with_oauth(mut self, mailboxes: Mailboxes) -> Self {
        self.oauth = Some(mailboxes);
        self
    }

    /// Also trusts the CA certificate in the PEM file at `path` (a private
    /// CA, or a relay with a self-signed certificate).
    pub fn trusting(mut self, path: &std::path::Path) -> Result<Self, String> {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read the relay CA file {}: {e}", path.display()))?;
        self.extra_ca = Some(pem);
        Ok(self)
    }

    /// Uses the password in the first line of the file at `path`, so it
    /// need not be in the relay URL (nor in a config file or the process
    /// list). The URL still names the user; a password in it is replaced.
    pub fn with_password_file(mut self, path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read the relay password file {}: {e}",
                path.display()
            )
        })?;
        let password = text.lines().next().unwrap_or_default();
        if password.is_empty() {
            return Err(format!(
                "the relay password file {} is empty",
                path.display()
            ));
        }
        let Some((user, _)) = self.credentials else {
            return Err(
                "a relay password file needs a user in the relay URL: smtp://USER@host".into(),
            );
        };
        self.credentials = Some((user, password.to_owned()));
        Ok(self)
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let mut builder = self.builder()?;
        if let Some((user, password)) = &self.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }

    /// A connection signing in as `user` with the OAuth access `token`.
    fn oauth_transport(
        &self,
        user: &str,
        token: String,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        Ok(self
            .builder()?
            .credentials(Credentials::new(user.to_owned(), token))
            .authentication(vec![Mechanism::Xoauth2])
            .build())
    }

    fn builder(&self) -> Result<AsyncSmtpTransportBuilder, String> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(Duration::from_secs(60)));
        if self.security != RelaySecurity::Plain {
            let mut params = TlsParameters::builder(self.host.clone());
            if let Some(pem) = &self.extra_ca {
                let ca = Certificate::from_pem(pem)
                    .map_err(|e| format!("the relay CA file holds no usable certificate: {e}"))?;
                params = params.add_root_certificate(ca);
            }
            let params = params
                .build_rustls()
                .map_err(|e| format!("cannot set up TLS to the relay: {e}"))?;
            builder = builder.tls(match self.security {
                RelaySecurity::Tls => Tls::Wrapper(params),
                _ => Tls::Required(params),
            });
        }
        Ok(builder)
    }
}

/// Hands queued email to the relay: the handler of `send_email` jobs. A
/// refusal for good (5xx, or an address the envelope cannot carry) fails
/// the email and kills the job at once; anything else is retried by the
/// runner with its back-off, and the email fails when the job runs out of
/// attempts. An email already sent is not sent again.
pub struct Sending {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    relay: Relay,
}

impl Sending {
    /// Sets up the connection to `relay`; fails when TLS to it cannot be
    /// set up.
    pub fn new(relay: &Relay) -> Result<Self, String> {
        Ok(Sending {
            transport: relay.transport()?,
            relay: relay.clone(),
        })
    }

    /// Sends the email `job` names and records the outcome on it.
    pub async fn run(&self, store: Store, job: Job) -> Result<(), JobError> {
        let id = crate::jobs::outcome::payload_id(&job, "outbound_id")?;
        let mail = store.outbound_email(id).await?;
        if mail.delivered {
            return Ok(());
        }
        let Err((permanent, error)) = self.send(&store, &mail).await else {
            store.outbound_sent(id).await?;
            return Ok(());
        };
        let given_up = permanent || job.attempts >= job.max_attempts;
        store.outbound_failed(id, &error, given_up).await?;
        Err(if permanent {
            JobError::permanent(error)
        } else {
            JobError::transient(error)
        })
    }

    /// Hands `mail` to the relay; on failure, whether it is for good.
    async fn send(&self, store: &Store, mail: &QueuedEmail) -> Result<(), (bool, String)> {
        let envelope = envelope(mail).map_err(|e| (true, e))?;
        if let Some((mailboxes, inbox)) = self.oauth_sender(store, mail).await {
            return self.send_as(store, mailboxes, inbox, &envelope, mail).await;
        }
        self.transport
            .send_raw(&envelope, &mail.raw)
            .await
            .map(|_| ())
            .map_err(|e| (e.is_permanent(), e.to_string()))
    }

    /// The inbox `mail` comes from, when the relay signs in as its mailbox
    /// with OAuth (see [`Relay::with_oauth`]).
    async fn oauth_sender(&self, store: &Store, mail: &QueuedEmail) -> Option<(&Mailboxes, Inbox)> {
        let mailboxes = self
            .relay
            .oauth
            .as_ref()
            .filter(|_| self.relay.credentials.is_none())?;
        let address = EmailAddress::parse("sender", &mail.sender).ok()?;
        let inbox = store.inbox_by_address(&address).await.ok()??;
        let grant = store.inbox_oauth_grant(inbox.id).await.ok()??;
        grant.tokens.is_some().then_some((mailboxes, inbox))
    }

    /// Sends `mail` signed in as `inbox`'s mailbox; a token the relay
    /// refuses (535) is refreshed once. A grant the provider refuses marks
    /// the inbox as needing attention, and the email waits, queued.
    async fn send_as(
        &self,
        store: &Store,
        mailboxes: &Mailboxes,
        inbox: Inbox,
        envelope: &Envelope,
        mail: &QueuedEmail,
    ) -> Result<(), (bool, String)> {
        let mut refused = String::new();
        for force in [false, true] {
            let token = super::oauth::access_token(store, mailboxes, inbox.id, force)
                .await
                .map_err(|e| (false, e.to_string()))?;
            let transport = self
                .relay
                .oauth_transport(&inbox.address, token)
                .map_err(|e| (false, e))?;
            match transport.send_raw(envelope, &mail.raw).await {
                Ok(_) => return Ok(()),
                Err(e) if e.status().is_some_and(|c| c.to_string() == "535") => {
                    refused = e.to_string();
                }
                Err(e) => return Err((e.is_permanent(), e.to_string())),
            }
        }
        let why = format!("the relay refused the mailbox's OAuth token: {refused}");
        let _ = store.set_oauth_problem(inbox.id, Some(&why)).await;
        Err((false, why))
    }
}

fn envelope(mail: &QueuedEmail) -> Result<Envelope, String> {
    let from = mail.sender.parse().map_err(|e| format!("sender: {e}"))?;
    let to = std::iter::once(&mail.recipient)
        .chain(&mail.copies)
        .map(|a| a.parse().map_err(|e| format!("recipient {a}: {e}")))
        .collect::<Result<Vec<_>, String>>()?;
    Envelope::new(Some(from), to).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_relay_urls() {
        let r = Relay::parse("smtp://user:secret@mail.example.com:2525").unwrap();
        assert_eq!((r.host.as_str(), r.port), ("mail.example.com", 2525));
        assert_eq!(r.credentials, Some(("user".into(), "secret".into())));
        assert!(!format!("{r:?}").contains("secret"));
        assert_eq!(Relay::parse("smtp://localhost").unwrap().port, 25);
        let starttls = Relay::parse("smtp+starttls://relay.example.com").unwrap();
        assert_eq!(
            (starttls.security, starttls.port),
            (RelaySecurity::StartTls, 587)
        );
        let tls = Relay::parse("smtps://relay.example.com").unwrap();
        assert_eq!((tls.security, tls.port), (RelaySecurity::Tls, 465));
        assert!(Relay::parse("http://x").is_err());
        assert!(Relay::parse("smtps:/x").is_err());
    }

    #[test]
    fn reads_the_relay_password_from_a_file_and_never_prints_it() {
        let dir = std::env::temp_dir().join(format!("tend-relay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("relay-password");
        std::fs::write(&file, "file-s3cret\n").unwrap();
        let r = Relay::parse("smtp://user:url-s3cret@mail.example.com")
            .unwrap()
            .with_password_file(&file)
            .unwrap();
        assert_eq!(r.credentials, Some(("user".into(), "file-s3cret".into())));
        assert!(!format!("{r:?}").contains("s3cret"), "{r:?}");
        let r = Relay::parse("smtp://user@mail.example.com")
            .unwrap()
            .with_password_file(&file)
            .unwrap();
        assert_eq!(r.credentials, Some(("user".into(), "file-s3cret".into())));
        let no_user = Relay::parse("smtp://mail.example.com").unwrap();
        assert!(no_user.with_password_file(&file).is_err());
        std::fs::write(&file, "\n").unwrap();
        let empty = Relay::parse("smtp://user@mail.example.com").unwrap();
        assert!(empty.with_password_file(&file).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
