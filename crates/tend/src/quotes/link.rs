//! One-click decision links: `/quote/{id}/{token}`, where the token names
//! the decision (approve or decline) and carries a signature of it and
//! the quote's id, made with the server's secret key (see
//! `tend_store::secrets::Keyring::sign`). A link works only for its own
//! quote and decision and cannot be made up or changed; the quote's own
//! validity ends it, so nothing is stored per link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tend_domain::ids::QuoteId;
use tend_domain::quote::Decision;
use tend_store::{Store, StoreError};

/// What the signatures of quote links are made for (no other signed value
/// of Tend's can pass for one).
const PURPOSE: &str = "quote decision link v1";
/// Bytes of the signature a link carries (128 bits).
const SIGNATURE_BYTES: usize = 16;

/// One decision a link stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub quote: QuoteId,
    pub decision: Decision,
}

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a quote link at all (cut short, mangled).
    #[error("this link is incomplete; copy the whole link from the email")]
    Malformed,
    /// The signature does not match: made up, altered, or for another quote.
    #[error("this link is not valid for this quote")]
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

impl Link {
    /// What is signed: the quote and the decision.
    fn message(&self) -> String {
        format!("{}\n{}", self.quote, self.decision)
    }

    /// The link's token, signed with `store`'s secret key.
    pub fn token(&self, store: &Store) -> Result<String, StoreError> {
        let signature = store.sign(PURPOSE, self.message().as_bytes())?;
        let short = signature.get(..SIGNATURE_BYTES).unwrap_or(&signature);
        Ok(format!(
            "{}.{}",
            self.decision,
            URL_SAFE_NO_PAD.encode(short)
        ))
    }

    /// The whole link, under the server's public URL `base`.
    pub fn url(&self, store: &Store, base: &str) -> Result<String, StoreError> {
        Ok(format!(
            "{}/quote/{}/{}",
            base.trim_end_matches('/'),
            self.quote,
            self.token(store)?
        ))
    }

    /// Reads and checks the `token` of a link to quote `quote`.
    pub fn verify(store: &Store, quote: QuoteId, token: &str) -> Result<Link, VerifyError> {
        let (decision, signature) = token.split_once('.').ok_or(LinkError::Malformed)?;
        let decision = Decision::parse("decision", decision).map_err(|_| LinkError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkError::Malformed)?;
        let link = Link { quote, decision };
        if !store.verify_signature(PURPOSE, link.message().as_bytes(), &signature)? {
            return Err(LinkError::Forged.into());
        }
        Ok(link)
    }
}
