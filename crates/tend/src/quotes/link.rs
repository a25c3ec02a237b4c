//! One-click decision links: `/quote/{id}/{token}`, where the token names
//! the decision (approve or decline) and carries a signature of it and
//! the quote's id ([`crate::signed_link`]). The quote's own validity ends
//! it.

use crate::signed_link::{self, LinkError, VerifyError};
use tend_domain::ids::QuoteId;
use tend_domain::quote::Decision;
use tend_store::{Store, StoreError};

/// What the signatures of quote links are made for (no other signed value
/// of Tend's can pass for one).
const PURPOSE: &str = "quote decision link v1";

/// One decision a link stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub quote: QuoteId,
    pub decision: Decision,
}

impl Link {
    /// What is signed: the quote and the decision.
    fn message(&self) -> String {
        format!("{}\n{}", self.quote, self.decision)
    }

    /// The link's token, signed with `store`'s secret key.
    pub fn token(&self, store: &Store) -> Result<String, StoreError> {
        let signature = signed_link::sign(store, PURPOSE, &self.message())?;
        Ok(format!("{}.{signature}", self.decision))
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
        let link = Link { quote, decision };
        signed_link::verify(store, PURPOSE, &link.message(), signature)?;
        Ok(link)
    }
}
