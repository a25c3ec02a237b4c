//! The email channel's storage: inboxes, and taking in one email message.
//! Ingesting is one write transaction: the raw message, the sender as a
//! customer, and the message on the case it threads into (or a new case), so
//! a message acknowledged to the sending server is never half stored.

use crate::cases::{append_system_event, reopen_on_reply, write_message, write_new_case};
use crate::messages::NewMessage;
use crate::model::case_reference;
use crate::surveys::SurveySettings;
use crate::tx::{Arg, Tx, args};
use crate::{
    Dialect, Result, Store, StoreError, blobs, customers, now, participants, secrets,
    side_conversations,
};
use serde::Serialize;
use tend_domain::case::{Channel, Priority, Status};
use tend_domain::email::{ClosedReply, EmailAddress, ImapAuth, ImapSecurity};
use tend_domain::event::{Actor, EventData};
use tend_domain::ids::{CaseId, CustomerId, MessageId, SideConversationId};
use utoipa::ToSchema;

/// Most Cc'd addresses of one email recorded as customers; the rest stay
/// in the message's Cc header only, so one email cannot flood the customer
/// list.
pub const MAX_CC_CUSTOMERS: usize = 10;

/// An address Tend receives mail for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inbox {
    pub id: i64,
    pub address: String,
    pub name: String,
    pub closed_reply: ClosedReply,
    /// The mailbox Tend polls for this inbox, if any.
    pub imap: Option<ImapSettings>,
    /// The OAuth 2.0 client its mailbox is connected with, if any.
    pub oauth: Option<crate::inbox_oauth::OauthStatus>,
    /// Whether a new case opened by email is acknowledged to the sender.
    pub auto_acknowledge: bool,
    /// The first-reply promise the acknowledgement makes, in hours.
    pub first_reply_hours: Option<i64>,
    /// Surveys sent after its cases are resolved.
    pub survey: SurveySettings,
    pub created_at: jiff::Timestamp,
}

/// An inbox to create.
#[derive(Debug, Clone)]
pub struct NewInbox {
    pub address: EmailAddress,
    pub name: String,
    pub closed_reply: ClosedReply,
    pub imap: Option<ImapSettings>,
    pub auto_acknowledge: bool,
    pub first_reply_hours: Option<i64>,
    pub survey: SurveySettings,
}

/// The settings of an inbox that can change after it is created (its
/// address cannot; IMAP settings are managed from the API and CLI).
#[derive(Debug, Clone)]
pub struct InboxSettings {
    pub name: String,
    pub closed_reply: ClosedReply,
    pub auto_acknowledge: bool,
    pub first_reply_hours: Option<i64>,
    pub survey: SurveySettings,
}

/// An IMAP mailbox polled for an inbox's mail.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    pub user: String,
    /// Password, or OAuth 2.0 through the inbox's connected client.
    pub auth: ImapAuth,
    /// Never sent out: readers only learn that one is set (empty with
    /// OAuth 2.0).
    #[serde(rename = "password_set", serialize_with = "Password::serialize_is_set")]
    #[schema(value_type = bool)]
    pub password: Password,
    /// The folder read, e.g. `INBOX`.
    pub folder: String,
    /// Where stored messages are moved; `null` marks them `\Seen` instead.
    pub move_to: Option<String>,
}

/// A password Tend must keep to log in somewhere; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(password: String) -> Self {
        Password(password)
    }

    /// The password itself, for logging in.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn serialize_is_set<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bool(!self.0.is_empty())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// An email message to take in, already parsed.
#[derive(Debug, Clone)]
pub struct InboundEmail {
    /// The inbox it was delivered to.
    pub inbox: Inbox,
    /// The message exactly as received.
    pub raw: Vec<u8>,
    /// The sender, and their display name.
    pub from: EmailAddress,
    pub from_name: Option<String>,
    /// Cc'd people, recorded as customers too.
    pub cc: Vec<(EmailAddress, Option<String>)>,
    /// Where it may belong: Message-IDs it answers, a case number from the
    /// subject or from a plus address.
    pub thread: ThreadHints,
    /// The message itself, with `email` details filled in.
    pub message: NewMessage,
    /// Subject for a new case.
    pub subject: String,
    /// Whether a case it opens is acknowledged (when its inbox asks for
    /// that): mail arriving live is, imported mail never.
    pub acknowledge: bool,
}

/// Clues to the case an email answers, strongest first.
#[derive(Debug, Clone, Default)]
pub struct ThreadHints {
    /// In-Reply-To and References, newest first, without angle brackets.
    pub references: Vec<String>,
    /// A `[#1234]` in the subject.
    pub subject_case: Option<i64>,
    /// A plus address (`support+1234@`).
    pub address_case: Option<i64>,
}

/// What became of an ingested email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ingested {
    pub case_id: CaseId,
    pub message_id: MessageId,
    pub outcome: IngestOutcome,
}

/// How an email was filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestOutcome {
    /// It opened a new case.
    NewCase,
    /// It joined an open case.
    Threaded,
    /// It reopened a closed case.
    Reopened,
    /// It answered a closed case and opened a follow-up.
    FollowUp,
    /// The same message was already stored; nothing changed.
    Duplicate,
    /// It was a bounce report for an email Tend sent, now marked bounced;
    /// `message_id` is that email's message. No case opened or reopened.
    Bounced,
}

const INBOX_COLUMNS: &str = "id, address, name, closed_reply, created_at, imap_host, imap_port, \
     imap_security, imap_user, imap_password, imap_folder, imap_move_to, imap_auth, auto_acknowledge, first_reply_hours, \
     survey_enabled, survey_csat, survey_delay_minutes, survey_every_days";

impl Store {
    /// Creates an inbox; addresses are unique.
    pub async fn create_inbox(&self, new: &NewInbox) -> Result<Inbox> {
        let address = &new.address;
        if self.inbox_by_address(address).await?.is_some() {
            return Err(StoreError::Conflict {
                field: "address".into(),
                message: format!("an inbox for {address} already exists"),
                existing_id: None,
            });
        }
        let imap = new.imap.as_ref();
        let id = self
            .insert_returning_id(
                "INSERT INTO inboxes (address, name, closed_reply, created_at, imap_host, imap_port, \
                 imap_security, imap_user, imap_password, imap_folder, imap_move_to, auto_acknowledge, \
                 first_reply_hours, survey_enabled, survey_csat, survey_delay_minutes, survey_every_days, \
                 imap_auth) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                 RETURNING id",
                args![
                    address.as_str(),
                    new.name.as_str(),
                    new.closed_reply.as_str(),
                    crate::time::micros(now()),
                    imap.map(|i| i.host.clone()),
                    imap.map(|i| i64::from(i.port)),
                    imap.map(|i| i.security.as_str().to_owned()),
                    imap.map(|i| i.user.clone()),
                    imap.map(|i| secrets::seal(self, &secrets::IMAP_PASSWORD, i.password.expose()))
                        .transpose()?,
                    imap.map(|i| i.folder.clone()),
                    imap.and_then(|i| i.move_to.clone()),
                    new.auto_acknowledge,
                    new.first_reply_hours,
                    new.survey.enabled,
                    new.survey.csat,
                    new.survey.delay_minutes,
                    new.survey.every_days,
                    imap.map_or(ImapAuth::Password, |i| i.auth).as_str()
                ],
                "inbox",
                None,
            )
            .await?;
        self.inbox(id).await
    }

    /// Changes an inbox's name, closed-case, acknowledgement and survey settings.
    pub async fn update_inbox(&self, id: i64, settings: &InboxSettings) -> Result<Inbox> {
        let s = settings.clone();
        let changed = self
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "UPDATE inboxes SET name = $1, closed_reply = $2, auto_acknowledge = $3, \
                         first_reply_hours = $4, survey_enabled = $5, survey_csat = $6, \
                         survey_delay_minutes = $7, survey_every_days = $8 WHERE id = $9",
                        args![
                            s.name,
                            s.closed_reply.as_str(),
                            s.auto_acknowledge,
                            s.first_reply_hours,
                            s.survey.enabled,
                            s.survey.csat,
                            s.survey.delay_minutes,
                            s.survey.every_days,
                            id
                        ],
                    )
                    .await
                })
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound("inbox"));
        }
        self.inbox(id).await
    }

    /// One inbox.
    pub async fn inbox(&self, id: i64) -> Result<Inbox> {
        self.inboxes_where("id = $1", Arg::from(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound("inbox"))
    }

    /// The inbox for `address`, if there is one.
    pub async fn inbox_by_address(&self, address: &EmailAddress) -> Result<Option<Inbox>> {
        Ok(self
            .inboxes_where("address = $1", Arg::from(address.as_str()))
            .await?
            .pop())
    }

    /// The first inbox (lowest id), which sends mail that no conversation
    /// has chosen an inbox for.
    pub async fn first_inbox(&self) -> Result<Option<Inbox>> {
        Ok(self.inboxes().await?.into_iter().next())
    }

    /// Every inbox, by id.
    pub async fn inboxes(&self) -> Result<Vec<Inbox>> {
        self.inboxes_where("1 = $1", Arg::from(1)).await
    }

    async fn inboxes_where(&self, condition: &str, arg: Arg) -> Result<Vec<Inbox>> {
        let sql = format!(
            "SELECT {INBOX_COLUMNS}, {oauth} FROM inboxes \
             LEFT JOIN inbox_oauth ON inbox_oauth.inbox_id = inboxes.id \
             WHERE {condition} ORDER BY id",
            oauth = crate::inbox_oauth::STATUS_COLUMNS
        );
        let query = crate::tx::bind(&sql, vec![arg]);
        query
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|r| {
                Ok(Inbox {
                    oauth: crate::inbox_oauth::status(r)?,
                    id: crate::rows::get(r, "id")?,
                    address: crate::rows::get(r, "address")?,
                    name: crate::rows::get(r, "name")?,
                    closed_reply: crate::rows::word(r, "closed_reply", ClosedReply::parse)?,
                    imap: imap_settings(self, r)?,
                    auto_acknowledge: crate::rows::flag(r, "auto_acknowledge")?,
                    first_reply_hours: crate::rows::get(r, "first_reply_hours")?,
                    survey: SurveySettings {
                        enabled: crate::rows::flag(r, "survey_enabled")?,
                        csat: crate::rows::flag(r, "survey_csat")?,
                        delay_minutes: crate::rows::get(r, "survey_delay_minutes")?,
                        every_days: crate::rows::get(r, "survey_every_days")?,
                    },
                    created_at: crate::rows::time(r, "created_at")?,
                })
            })
            .collect()
    }

    /// Files an email: stores its raw source, finds or creates the sender
    /// (and anyone in Cc) as customers, and adds it to the case it answers
    /// or opens a new one. The same message delivered twice is stored once.
    pub async fn ingest_email(&self, mail: InboundEmail) -> Result<Ingested> {
        let dialect = self.dialect;
        self.write(move |tx| Box::pin(ingest(tx, dialect, mail)))
            .await
    }
}

/// The IMAP columns of an inbox row, the password opened; `None` when it
/// has no host. A password the loaded key does not open (a lost or wrong
/// key) reads as none, with a warning: polling that mailbox then fails to
/// log in, but the inbox, and mail delivered to it by SMTP, still work.
fn imap_settings(store: &Store, r: &sqlx::any::AnyRow) -> Result<Option<ImapSettings>> {
    use crate::rows::get;
    let Some(host) = get::<Option<String>>(r, "imap_host")? else {
        return Ok(None);
    };
    let port = u16::try_from(get::<i64>(r, "imap_port")?)
        .map_err(|_| StoreError::Corrupt("imap_port out of range".into()))?;
    let security = get::<String>(r, "imap_security")?;
    let password = secrets::open(store, &secrets::IMAP_PASSWORD, get(r, "imap_password")?)
        .unwrap_or_else(|e| {
            tracing::warn!(imap_host = %host, "the IMAP password cannot be used: {e}");
            String::new()
        });
    Ok(Some(ImapSettings {
        host,
        port,
        security: crate::rows::parse_word("imap_security", &security, ImapSecurity::parse)?,
        user: get(r, "imap_user")?,
        auth: crate::rows::word(r, "imap_auth", ImapAuth::parse)?,
        password: Password::new(password),
        folder: get(r, "imap_folder")?,
        move_to: get(r, "imap_move_to")?,
    }))
}

async fn ingest(tx: &mut Tx, dialect: Dialect, mut mail: InboundEmail) -> Result<Ingested> {
    let raw_sha256 = blobs::put(tx, &mail.raw).await?;
    let message_id = mail
        .message
        .email
        .as_ref()
        .and_then(|e| e.message_id.clone());
    if let Some(message_id) = &message_id {
        let seen = tx
            .fetch_optional(
                "SELECT id, case_id FROM messages WHERE email_message_id = $1 AND raw_sha256 = $2",
                args![message_id, &raw_sha256],
            )
            .await?;
        if let Some(row) = seen {
            return Ok(Ingested {
                case_id: CaseId(row.int("case_id")?),
                message_id: MessageId(row.int("id")?),
                outcome: IngestOutcome::Duplicate,
            });
        }
    }
    let customer =
        customers::find_or_create_by_email(tx, &mail.from, mail.from_name.as_deref()).await?;
    let copied = mail
        .cc
        .iter()
        .filter(|(address, _)| *address != mail.from && !is_inbox(&mail.inbox, address))
        .take(MAX_CC_CUSTOMERS);
    for (address, name) in copied {
        customers::find_or_create_by_email(tx, address, name.as_deref()).await?;
    }
    mail.message.author = Actor::customer(customer);
    mail.message.channel = Channel::Email;
    mail.message.raw_sha256 = Some(raw_sha256);
    if let Some(email) = &mut mail.message.email {
        email.inbox_id = Some(mail.inbox.id);
    }
    let at = now();
    let Some(thread) = thread_case(tx, &mail.thread).await? else {
        let (case_id, message_id) = open_case(tx, &mail, customer, None).await?;
        crate::outbound::acknowledge_later(tx, &mail, case_id, message_id).await?;
        return Ok(Ingested {
            case_id,
            message_id,
            outcome: IngestOutcome::NewCase,
        });
    };
    let case_id = thread.case_id;
    let status = tx
        .fetch_one("SELECT status FROM cases WHERE id = $1", args![case_id.0])
        .await?
        .text("status")?;
    let refused = match thread.side {
        // A side conversation hears only from its participants, and only
        // while its case is open: a closed case is never reopened by a
        // third party behind the customer's back.
        Some(side) if !side_conversations::is_participant(tx, side, &mail.from).await? => Some(
            format!("its sender takes no part in side conversation S{side} of that case"),
        ),
        Some(_) if status == Status::Closed.as_str() => Some("that case is closed".to_owned()),
        Some(_) => None,
        None if !participants::is_participant(tx, case_id, customer, &mail.from).await? => {
            Some("its sender takes no part in that case".to_owned())
        }
        None => None,
    };
    if let Some(why) = refused {
        // A reference proves nothing about who sent it: the sender gets a
        // case of their own, and agents see the link.
        let (new_case, message_id) = open_case(tx, &mail, customer, None).await?;
        let reason = format!(
            "an email from {} referred to #{case_id}, but {why}",
            mail.from
        );
        let link = EventData::PossiblyRelated { case_id, reason };
        append_system_event(tx, dialect, new_case, link, at).await?;
        return Ok(Ingested {
            case_id: new_case,
            message_id,
            outcome: IngestOutcome::NewCase,
        });
    }
    if let Some(side) = thread.side {
        mail.message.internal = true;
        let message_id = write_message(tx, dialect, case_id, &mail.message, at).await?;
        side_conversations::file_into(tx, side, message_id).await?;
        return Ok(Ingested {
            case_id,
            message_id,
            outcome: IngestOutcome::Threaded,
        });
    }
    let outcome = if status != Status::Closed.as_str() {
        IngestOutcome::Threaded
    } else if mail.inbox.closed_reply == ClosedReply::FollowUp {
        let (case_id, message_id) = open_case(tx, &mail, customer, Some(case_id)).await?;
        return Ok(Ingested {
            case_id,
            message_id,
            outcome: IngestOutcome::FollowUp,
        });
    } else {
        reopen_on_reply(tx, dialect, case_id, at).await?;
        IngestOutcome::Reopened
    };
    // An answer to Tend's internal mail (a forward to a supplier) stays
    // between agents: the customer never sees it.
    mail.message.internal |= thread.answers_note;
    let message_id = write_message(tx, dialect, case_id, &mail.message, at).await?;
    Ok(Ingested {
        case_id,
        message_id,
        outcome,
    })
}

/// Opens a case for `mail`; a follow-up records the case it follows.
async fn open_case(
    tx: &mut Tx,
    mail: &InboundEmail,
    customer: CustomerId,
    follows: Option<CaseId>,
) -> Result<(CaseId, MessageId)> {
    let mut custom_fields = serde_json::Map::new();
    if let Some(previous) = follows {
        custom_fields.insert(
            "follow_up_of".into(),
            serde_json::Value::String(case_reference(previous)),
        );
    }
    let new = crate::cases::NewCase {
        subject: mail.subject.clone(),
        customer_id: customer,
        channel: Channel::Email,
        priority: Priority::Normal,
        tags: Vec::new(),
        team_id: None,
        assignee_id: None,
        agreement_id: None,
        custom_fields,
        message: mail.message.clone(),
        follows,
    };
    let at = now();
    let repeat = crate::repeat::find_in(tx, &new, at).await?;
    let (case_id, _, message_id) = write_new_case(tx, &new, repeat, Actor::system(), at).await?;
    Ok((case_id, message_id))
}

fn is_inbox(inbox: &Inbox, address: &EmailAddress) -> bool {
    inbox.address == address.as_str()
}

/// Where an email belongs.
struct Thread {
    case_id: CaseId,
    /// Whether the message it answers is internal (Tend's forward).
    answers_note: bool,
    /// The side conversation whose message it answers, if any.
    side: Option<SideConversationId>,
}

/// The case an email answers: by the Message-IDs it refers to (inbound and
/// outbound), then a case number in its subject, then a plus address; and
/// whether the message it answers is internal or in a side conversation.
async fn thread_case(tx: &mut Tx, hints: &ThreadHints) -> Result<Option<Thread>> {
    if !hints.references.is_empty() {
        let refs: Vec<&String> = hints.references.iter().take(50).collect();
        let placeholders: Vec<String> = (1..=refs.len()).map(|i| format!("${i}")).collect();
        let found = tx
            .fetch_optional(
                &format!(
                    "SELECT case_id, internal, side_conversation_id FROM messages \
                     WHERE email_message_id IN ({}) ORDER BY id DESC LIMIT 1",
                    placeholders.join(", ")
                ),
                refs.into_iter().map(Arg::from).collect(),
            )
            .await?;
        if let Some(row) = found {
            return Ok(Some(Thread {
                case_id: CaseId(row.int("case_id")?),
                answers_note: row.int("internal")? != 0,
                side: row.opt_int("side_conversation_id")?.map(SideConversationId),
            }));
        }
    }
    for candidate in [hints.subject_case, hints.address_case]
        .into_iter()
        .flatten()
    {
        if let Some(found) = surviving_case(tx, candidate).await? {
            return Ok(Some(Thread {
                case_id: found,
                answers_note: false,
                side: None,
            }));
        }
    }
    Ok(None)
}

/// Longest chain of merges followed from a case number in an email.
const MAX_MERGE_HOPS: usize = 16;

/// Case `id` if it exists, or the case it was merged into (followed along
/// any later merges). Messages threaded by Message-ID need no such step:
/// a merge moves them.
async fn surviving_case(tx: &mut Tx, id: i64) -> Result<Option<CaseId>> {
    let mut current = id;
    for _ in 0..MAX_MERGE_HOPS {
        let Some(row) = tx
            .fetch_optional(
                "SELECT merged_into_id FROM cases WHERE id = $1",
                args![current],
            )
            .await?
        else {
            return Ok(None);
        };
        match row.opt_int("merged_into_id")? {
            Some(next) => current = next,
            None => break,
        }
    }
    Ok(Some(CaseId(current)))
}
