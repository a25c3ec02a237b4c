//! Reading an inbox's settings from the edge (API body or CLI flags) into
//! what the store keeps, naming the field at fault. One parser for both, so
//! the API and `tend inbox create` accept exactly the same inboxes.

use serde::Deserialize;
use tend_domain::email::{ClosedReply, EmailAddress, ImapAuth, ImapSecurity};
use tend_domain::{Invalid, text};
use tend_store::email::{ImapSettings, NewInbox, Password};
use tend_store::surveys::SurveySettings;
use utoipa::ToSchema;

/// Longest first-reply promise accepted: 30 days.
const MAX_FIRST_REPLY_HOURS: i64 = 720;

/// A new inbox.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxRequest {
    /// The address customers write to, e.g. `support@example.com`.
    pub address: String,
    /// Shown to agents [default: the address].
    pub name: Option<String>,
    /// What a reply to a closed case does [default: reopen].
    pub closed_reply: Option<ClosedReply>,
    /// Poll this IMAP mailbox for the inbox's mail [default: none].
    pub imap: Option<ImapRequest>,
    /// Answer each new case opened by email with its reference [default: false].
    pub auto_acknowledge: Option<bool>,
    /// The first-reply promise the acknowledgement makes, in hours (1 to 720).
    pub first_reply_hours: Option<i64>,
    /// Surveys after resolution [default: off].
    pub survey: Option<SurveyRequest>,
}

/// An inbox's survey settings; fields left out take their defaults.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyRequest {
    /// Email customers the CES survey after their case is resolved [default: false].
    pub enabled: Option<bool>,
    /// Ask the CSAT question (1 to 5) too [default: false].
    pub csat: Option<bool>,
    /// Minutes after resolution the survey is sent (0 to 10080) [default: 60].
    pub delay_minutes: Option<i64>,
    /// At most one survey per customer in this many days (0 to 365) [default: 30].
    pub every_days: Option<i64>,
}

/// Longest wait before a survey: a week.
const MAX_SURVEY_DELAY_MINUTES: i64 = 7 * 24 * 60;
/// Longest period between two surveys of a customer: a year.
const MAX_SURVEY_EVERY_DAYS: i64 = 365;

impl SurveyRequest {
    /// Checks the settings, filling in defaults.
    pub fn parse(self) -> Result<SurveySettings, Invalid> {
        let defaults = SurveySettings::default();
        let within = |field: &str, value: Option<i64>, default: i64, max: i64| match value {
            Some(v) if !(0..=max).contains(&v) => {
                Err(Invalid::new(field, format!("must be between 0 and {max}")))
            }
            v => Ok(v.unwrap_or(default)),
        };
        Ok(SurveySettings {
            enabled: self.enabled.unwrap_or(defaults.enabled),
            csat: self.csat.unwrap_or(defaults.csat),
            delay_minutes: within(
                "survey.delay_minutes",
                self.delay_minutes,
                defaults.delay_minutes,
                MAX_SURVEY_DELAY_MINUTES,
            )?,
            every_days: within(
                "survey.every_days",
                self.every_days,
                defaults.every_days,
                MAX_SURVEY_EVERY_DAYS,
            )?,
        })
    }
}

/// The IMAP mailbox to poll.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImapRequest {
    /// The IMAP server's host name, e.g. `imap.example.com`.
    pub host: String,
    /// [default: 993 for imaps, 143 for starttls]
    pub port: Option<u16>,
    /// [default: imaps]
    pub security: Option<ImapSecurity>,
    pub user: String,
    /// `password`, or `oauth2` for Microsoft 365 and Google mailboxes
    /// (connect them afterwards, see `PUT /inboxes/{id}/oauth`) [default: password].
    pub auth: Option<ImapAuth>,
    /// Stored to log in; never returned (reads show `password_set`).
    /// Required with password login, not allowed with `oauth2`.
    #[serde(default)]
    pub password: String,
    /// The folder read [default: INBOX].
    pub folder: Option<String>,
    /// Move stored messages to this folder (created if missing) instead of
    /// marking them `\Seen`.
    pub move_to: Option<String>,
}

impl InboxRequest {
    /// Checks every field and gives the inbox to store.
    pub fn parse(self) -> Result<NewInbox, Invalid> {
        let address = EmailAddress::parse("address", &self.address)?;
        let name = match &self.name {
            Some(n) => text::required("name", n, 200)?,
            None => address.as_str().to_owned(),
        };
        let auto_acknowledge = self.auto_acknowledge.unwrap_or(false);
        let first_reply_hours = match self.first_reply_hours {
            Some(h) if !(1..=MAX_FIRST_REPLY_HOURS).contains(&h) => {
                return Err(Invalid::new(
                    "first_reply_hours",
                    format!("must be between 1 and {MAX_FIRST_REPLY_HOURS}"),
                ));
            }
            hours => hours,
        };
        Ok(NewInbox {
            address,
            name,
            closed_reply: self.closed_reply.unwrap_or(ClosedReply::Reopen),
            imap: self.imap.map(ImapRequest::parse).transpose()?,
            auto_acknowledge,
            first_reply_hours,
            survey: self
                .survey
                .map(SurveyRequest::parse)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

impl ImapRequest {
    fn parse(self) -> Result<ImapSettings, Invalid> {
        let host = text::required("imap.host", &self.host, 253)?;
        if host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            return Err(Invalid::new("imap.host", "must be a host name or address"));
        }
        let security = self.security.unwrap_or(ImapSecurity::Imaps);
        let port = match self.port {
            Some(0) => return Err(Invalid::new("imap.port", "must be between 1 and 65535")),
            Some(p) => p,
            None => security.default_port(),
        };
        let auth = self.auth.unwrap_or(ImapAuth::Password);
        match (auth, self.password.is_empty()) {
            (ImapAuth::Password, true) => {
                return Err(Invalid::new("imap.password", "must not be empty"));
            }
            (ImapAuth::Oauth2, false) => {
                return Err(Invalid::new(
                    "imap.password",
                    "must be left out with OAuth 2.0",
                ));
            }
            _ => {}
        }
        let folder = match self.folder.as_deref() {
            Some(f) => folder_name("imap.folder", f)?,
            None => "INBOX".to_owned(),
        };
        let move_to = self
            .move_to
            .as_deref()
            .map(|f| folder_name("imap.move_to", f))
            .transpose()?;
        if move_to.as_ref() == Some(&folder) {
            return Err(Invalid::new(
                "imap.move_to",
                "must differ from the folder read",
            ));
        }
        Ok(ImapSettings {
            host,
            port,
            security,
            user: text::required("imap.user", &self.user, 320)?,
            auth,
            password: Password::new(text::bounded("imap.password", &self.password, 1000)?),
            folder,
            move_to,
        })
    }
}

/// A folder name: not blank, no control characters (they would break the
/// IMAP command line).
fn folder_name(field: &str, raw: &str) -> Result<String, Invalid> {
    let name = text::required(field, raw, 200)?;
    if name.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imap() -> ImapRequest {
        ImapRequest {
            host: "imap.example.com".into(),
            user: "support".into(),
            password: "pw".into(),
            ..ImapRequest::default()
        }
    }

    fn with(imap: ImapRequest) -> Result<NewInbox, Invalid> {
        InboxRequest {
            address: "support@example.com".into(),
            imap: Some(imap),
            ..InboxRequest::default()
        }
        .parse()
    }

    #[test]
    fn fills_imap_defaults() {
        let inbox = with(imap()).unwrap();
        let settings = inbox.imap.unwrap();
        assert_eq!(
            (settings.port, settings.security),
            (993, ImapSecurity::Imaps)
        );
        assert_eq!(settings.folder, "INBOX");
        assert!(
            !format!("{settings:?}").contains("pw"),
            "Debug hides the password"
        );
        let starttls = with(ImapRequest {
            security: Some(ImapSecurity::Starttls),
            ..imap()
        })
        .unwrap();
        assert_eq!(starttls.imap.unwrap().port, 143);
        assert!(!inbox.auto_acknowledge);
    }

    #[test]
    fn names_the_bad_field() {
        let field = |r: Result<NewInbox, Invalid>| r.unwrap_err().field;
        assert_eq!(
            field(with(ImapRequest {
                host: " ".into(),
                ..imap()
            })),
            "imap.host"
        );
        assert_eq!(
            field(with(ImapRequest {
                port: Some(0),
                ..imap()
            })),
            "imap.port"
        );
        assert_eq!(
            field(with(ImapRequest {
                password: String::new(),
                ..imap()
            })),
            "imap.password"
        );
        assert_eq!(
            field(with(ImapRequest {
                move_to: Some("INBOX".into()),
                ..imap()
            })),
            "imap.move_to"
        );
        assert_eq!(
            field(with(ImapRequest {
                folder: Some("a\r\nb".into()),
                ..imap()
            })),
            "imap.folder"
        );
        let hours = InboxRequest {
            address: "support@example.com".into(),
            first_reply_hours: Some(0),
            ..InboxRequest::default()
        };
        assert_eq!(field(hours.parse()), "first_reply_hours");
        let survey = |s: SurveyRequest| {
            InboxRequest {
                address: "support@example.com".into(),
                survey: Some(s),
                ..InboxRequest::default()
            }
            .parse()
        };
        assert_eq!(
            field(survey(SurveyRequest {
                delay_minutes: Some(-1),
                ..SurveyRequest::default()
            })),
            "survey.delay_minutes"
        );
        assert_eq!(
            field(survey(SurveyRequest {
                every_days: Some(366),
                ..SurveyRequest::default()
            })),
            "survey.every_days"
        );
        let on = survey(SurveyRequest {
            enabled: Some(true),
            ..SurveyRequest::default()
        })
        .unwrap()
        .survey;
        assert!(on.enabled && !on.csat);
        assert_eq!((on.delay_minutes, on.every_days), (60, 30));
    }
}
