//! Reading an inbox's OAuth client settings from the edge (API body or
//! admin form), with presets for Microsoft 365 and Google, naming the
//! field at fault.

use serde::Deserialize;
use tend_domain::{Invalid, text};
use tend_store::email::Password;
use tend_store::inbox_oauth::OauthClient;
use utoipa::ToSchema;

tend_domain::string_enum! {
    /// A provider whose endpoints and scopes Tend knows.
    OauthPreset {
        /// Microsoft 365 (Entra ID), for the tenant given.
        Microsoft365 = "microsoft365",
        /// Google Workspace and Gmail.
        Google = "google",
    }
}

/// Microsoft's scopes for IMAP and SMTP, with a refresh token.
pub const MICROSOFT_SCOPES: &str = "https://outlook.office.com/IMAP.AccessAsUser.All \
     https://outlook.office.com/SMTP.Send offline_access";
/// Google's scope for IMAP and SMTP.
pub const GOOGLE_SCOPES: &str = "https://mail.google.com/";

/// The OAuth 2.0 client an inbox's mailbox connects with. With a preset,
/// the URLs and scopes default to the provider's; without, they are
/// required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OauthRequest {
    /// `microsoft365` or `google` [default: none].
    pub preset: Option<OauthPreset>,
    /// The Microsoft 365 tenant (id or domain) [default: `organizations`].
    pub tenant: Option<String>,
    /// The provider's authorisation endpoint (HTTPS).
    pub authorize_url: Option<String>,
    /// The provider's token endpoint (HTTPS).
    pub token_url: Option<String>,
    /// The client (application) id registered with the provider.
    pub client_id: String,
    /// Stored sealed; never returned. Left out, the stored one is kept.
    pub client_secret: Option<String>,
    /// Space-separated scopes [default: the preset's].
    pub scopes: Option<String>,
}

impl OauthRequest {
    /// Checks every field and gives the client to store.
    pub fn parse(self) -> Result<OauthClient, Invalid> {
        let (authorize, token, scopes) = match self.preset {
            Some(OauthPreset::Microsoft365) => {
                let tenant = match self.tenant.as_deref() {
                    Some(t) => tenant("tenant", t)?,
                    None => "organizations".to_owned(),
                };
                let base = format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0");
                (
                    Some(format!("{base}/authorize")),
                    Some(format!("{base}/token")),
                    Some(MICROSOFT_SCOPES),
                )
            }
            Some(OauthPreset::Google) => (
                Some("https://accounts.google.com/o/oauth2/v2/auth".to_owned()),
                Some("https://oauth2.googleapis.com/token".to_owned()),
                Some(GOOGLE_SCOPES),
            ),
            None => (None, None, None),
        };
        let url = |field: &str, given: Option<String>, preset: Option<String>| {
            given
                .or(preset)
                .ok_or_else(|| Invalid::new(field, "is required without a preset"))
                .and_then(|u| endpoint(field, &u))
        };
        let authorize_url = url("authorize_url", self.authorize_url, authorize)?;
        let token_url = url("token_url", self.token_url, token)?;
        let scopes = match self.scopes {
            Some(s) => s,
            None => scopes
                .map(str::to_owned)
                .ok_or_else(|| Invalid::new("scopes", "is required without a preset"))?,
        };
        Ok(OauthClient {
            authorize_url,
            token_url,
            client_id: printable("client_id", &self.client_id, 500)?,
            client_secret: Password::new(match self.client_secret.as_deref() {
                Some(s) if !s.is_empty() => printable("client_secret", s, 1000)?,
                _ => String::new(),
            }),
            scopes: printable("scopes", &scopes, 2000)?,
        })
    }
}

/// Required text without control characters.
fn printable(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let value = text::required(field, raw, max)?;
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(value)
}

/// A tenant id or domain: letters, digits, `.` and `-`.
fn tenant(field: &str, raw: &str) -> Result<String, Invalid> {
    let value = text::required(field, raw, 100)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(Invalid::new(field, "must be a tenant id or domain"));
    }
    Ok(value)
}

/// An endpoint URL: HTTPS, or plain HTTP to this machine only (a local
/// test provider); no credentials or fragment.
fn endpoint(field: &str, raw: &str) -> Result<String, Invalid> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| Invalid::new(field, format!("must be a URL: {e}")))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let allowed = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !allowed || host.is_empty() {
        return Err(Invalid::new(
            field,
            "must be an https:// URL (http:// only to this machine)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(Invalid::new(
            field,
            "must not contain credentials or a fragment",
        ));
    }
    if url.as_str().len() > 2000 {
        return Err(Invalid::new(field, "is too long"));
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_fill_in_the_provider_and_urls_are_checked() {
        let ms = OauthRequest {
            preset: Some(OauthPreset::Microsoft365),
            tenant: Some("contoso.onmicrosoft.com".into()),
            client_id: "app".into(),
            ..OauthRequest::default()
        }
        .parse()
        .unwrap();
        assert_eq!(
            ms.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(ms.scopes, MICROSOFT_SCOPES);
        let google = OauthRequest {
            preset: Some(OauthPreset::Google),
            client_id: "app".into(),
            client_secret: Some("s".into()),
            ..OauthRequest::default()
        }
        .parse()
        .unwrap();
        assert_eq!(
            google.authorize_url,
            "https://accounts.google.com/o/oauth2/v2/auth"
        );
        assert_eq!(google.client_secret.expose(), "s");
        let field = |r: OauthRequest| r.parse().unwrap_err().field;
        let custom = |url: &str| OauthRequest {
            authorize_url: Some(url.into()),
            token_url: Some("https://idp.example.com/token".into()),
            client_id: "app".into(),
            scopes: Some("mail".into()),
            ..OauthRequest::default()
        };
        assert!(custom("http://127.0.0.1:8080/authorize").parse().is_ok());
        assert_eq!(
            field(custom("http://idp.example.com/authorize")),
            "authorize_url"
        );
        assert_eq!(
            field(custom("https://u:p@idp.example.com/a")),
            "authorize_url"
        );
        assert_eq!(field(custom("javascript:alert(1)")), "authorize_url");
        let bad_tenant = OauthRequest {
            preset: Some(OauthPreset::Microsoft365),
            tenant: Some("../evil".into()),
            client_id: "app".into(),
            ..OauthRequest::default()
        };
        assert_eq!(field(bad_tenant), "tenant");
        assert_eq!(
            field(OauthRequest {
                client_id: "app".into(),
                ..OauthRequest::default()
            }),
            "authorize_url"
        );
    }
}
