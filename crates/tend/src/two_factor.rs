//! Two-factor codes (TOTP, RFC 6238: HMAC-SHA-1, 6 digits, 30-second time
//! steps, one step of clock skew either way): new secrets, the otpauth:// URL
//! authenticator apps read (also drawn as a QR code), and checking a code.
//! Remembering which step was used, so a code works once, is the store's job.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use qrcode::QrCode;
use qrcode::render::svg;
use rand::RngCore;
use tend_store::account::TotpSecret;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The issuer authenticator apps show next to the account.
const ISSUER: &str = "Tend";

/// Why a secret could not be turned into a URL or QR code.
#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    #[error("the two-factor secret is not usable: {0}")]
    Secret(String),
    #[error("the QR code could not be drawn: {0}")]
    Qr(String),
}

/// A new random 160-bit secret (the size RFC 4226 recommends).
pub fn new_secret() -> TotpSecret {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    TotpSecret::new(Secret::from(bytes.to_vec()).to_base32())
}

/// The TOTP for `secret`, labelled with `account` for authenticator apps.
fn totp(secret: &TotpSecret, account: &str) -> Result<Totp, TwoFactorError> {
    let bytes = Secret::try_from_base32(secret.expose())
        .map_err(|e| TwoFactorError::Secret(e.to_string()))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(bytes)
        // A colon separates issuer and account in the URL's label.
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| TwoFactorError::Secret(format!("{e:?}")))
}

/// The otpauth:// URL that adds `secret` to an authenticator app.
pub fn otpauth_url(secret: &TotpSecret, account: &str) -> Result<String, TwoFactorError> {
    totp(secret, account)?
        .to_url()
        .map_err(|e| TwoFactorError::Secret(format!("{e:?}")))
}

/// `url` as a QR code: an SVG image in a `data:` URL, for an `<img>`.
pub fn qr_data_url(url: &str) -> Result<String, TwoFactorError> {
    let svg = QrCode::new(url.as_bytes())
        .map_err(|e| TwoFactorError::Qr(e.to_string()))?
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}

/// The time step `code` belongs to, if it is right for `secret` at `now`
/// (give or take one step). Spaces in the code are ignored.
pub fn check(secret: &TotpSecret, code: &str, now: Timestamp) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let seconds = u64::try_from(now.as_second()).ok()?;
    totp(secret, "").ok()?.check(&code, seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 test secret, "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::new(Secret::from(b"12345678901234567890".to_vec()).to_base32())
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    #[test]
    fn checks_rfc_6238_vectors_with_one_step_of_skew() {
        // RFC 6238 appendix B: 94287082 at 59 s; the 6-digit code is its tail.
        assert_eq!(check(&rfc_secret(), "287082", at(59)), Some(1));
        assert_eq!(check(&rfc_secret(), "287 082", at(59 + 30)), Some(1));
        assert_eq!(check(&rfc_secret(), "287082", at(59 + 60)), None);
        assert_eq!(check(&rfc_secret(), "287083", at(59)), None);
        assert_eq!(check(&rfc_secret(), "", at(59)), None);
    }

    #[test]
    fn urls_name_the_issuer_and_account_and_draw_as_svg() {
        let secret = new_secret();
        assert_ne!(secret, new_secret());
        let url = otpauth_url(&secret, "ann@example.com").unwrap();
        assert!(
            url.starts_with("otpauth://totp/Tend:ann%40example.com?"),
            "{url}"
        );
        assert!(
            url.contains(&format!("secret={}", secret.expose())),
            "{url}"
        );
        assert!(
            qr_data_url(&url)
                .unwrap()
                .starts_with("data:image/svg+xml;base64,")
        );
        assert!(!format!("{secret:?}").contains(secret.expose()));
    }
}
