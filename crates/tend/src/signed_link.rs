//! Signed single-purpose links in emails (a quote's decision, a visit's
//! booking page): the link carries a signature of what it is for, made
//! with the server's secret key (see `tend_store::secrets::Keyring::sign`)
//! under a purpose no other signed value shares, so a link works only for
//! its own object and cannot be made up or changed; nothing is stored per
//! link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tend_store::{Store, StoreError};

/// Bytes of the signature a link carries (128 bits).
const SIGNATURE_BYTES: usize = 16;

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link of this kind at all (cut short, mangled).
    #[error("this link is incomplete; copy the whole link from the email")]
    Malformed,
    /// The signature does not match: made up, altered, or for another object.
    #[error("this link is not valid here")]
    Forged,
}

/// A refused link, or the store failing to check it.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The signature part of a link for `message`, signed for `purpose`.
pub fn sign(store: &Store, purpose: &str, message: &str) -> Result<String, StoreError> {
    let signature = store.sign(purpose, message.as_bytes())?;
    let short = signature.get(..SIGNATURE_BYTES).unwrap_or(&signature);
    Ok(URL_SAFE_NO_PAD.encode(short))
}

/// Checks the signature part `signature` of a link for `message`.
pub fn verify(
    store: &Store,
    purpose: &str,
    message: &str,
    signature: &str,
) -> Result<(), VerifyError> {
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| LinkError::Malformed)?;
    if !store.verify_signature(purpose, message.as_bytes(), &signature)? {
        return Err(LinkError::Forged.into());
    }
    Ok(())
}
