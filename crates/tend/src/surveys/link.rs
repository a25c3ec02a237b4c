//! One-click survey links: `/survey/{case}/{token}`, where the token names
//! the question, the score, the survey (the id its `survey_sent` event
//! carries) and when the link expires, signed with the server's secret key
//! (HMAC-SHA256 under a key derived from it, see
//! `tend_store::secrets::Keyring::sign`) together with the case id. A link
//! therefore works only for its own case and survey, cannot be made up or
//! changed, and stops working after the answer window, all without a
//! sign-in and without storing anything per link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use rand::RngCore;
use tend_domain::ids::CaseId;
use tend_domain::survey::SurveyKind;
use tend_store::{Store, StoreError};

/// What the signatures of survey links are made for (no other signed
/// value of Tend's can pass for one).
const PURPOSE: &str = "survey link v1";
/// Bytes of the signature a link carries (128 bits).
const SIGNATURE_BYTES: usize = 16;
/// Longest survey id accepted.
const MAX_SURVEY_ID: usize = 32;

/// One answer a link stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub case: CaseId,
    /// The survey's id, as its `survey_sent` event records it.
    pub survey: String,
    pub kind: SurveyKind,
    /// The score the link answers (it is preselected on the page).
    pub score: u8,
    /// After this the link is refused.
    pub expires: Timestamp,
}

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a survey link at all (cut short, mangled).
    #[error("this survey link is incomplete; copy the whole link from the email")]
    Malformed,
    /// The signature does not match: made up, altered, or for another case.
    #[error("this survey link is not valid for this request")]
    Forged,
    /// Past its answer window.
    #[error("this survey has closed; thank you all the same")]
    Expired,
}

/// A fresh survey id: 16 random hex digits.
pub fn new_survey_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Link {
    /// What is signed: every part of the link and the case.
    fn message(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}",
            self.case,
            self.survey,
            self.kind,
            self.score,
            self.expires.as_second()
        )
    }

    /// The link's token, signed with `store`'s secret key.
    pub fn token(&self, store: &Store) -> Result<String, StoreError> {
        let signature = store.sign(PURPOSE, self.message().as_bytes())?;
        let short = signature.get(..SIGNATURE_BYTES).unwrap_or(&signature);
        Ok(format!(
            "{}.{}.{}.{}.{}",
            self.kind,
            self.score,
            self.survey,
            self.expires.as_second(),
            URL_SAFE_NO_PAD.encode(short)
        ))
    }

    /// The whole link, under the server's public URL `base`.
    pub fn url(&self, store: &Store, base: &str) -> Result<String, StoreError> {
        Ok(format!(
            "{}/survey/{}/{}",
            base.trim_end_matches('/'),
            self.case,
            self.token(store)?
        ))
    }

    /// Reads and checks the `token` of a link to `case` at `now`: its
    /// signature first (so nothing about a forged link is believed), then
    /// its expiry.
    pub fn verify(
        store: &Store,
        case: CaseId,
        token: &str,
        now: Timestamp,
    ) -> Result<Link, VerifyError> {
        let link = Self::parse(case, token)?;
        let signature = token
            .rsplit('.')
            .next()
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .ok_or(LinkError::Malformed)?;
        if !store.verify_signature(PURPOSE, link.message().as_bytes(), &signature)? {
            return Err(LinkError::Forged.into());
        }
        if link.expires <= now {
            return Err(LinkError::Expired.into());
        }
        Ok(link)
    }

    /// The parts of a token, unchecked.
    fn parse(case: CaseId, token: &str) -> Result<Link, LinkError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [kind, score, survey, expires, _signature] = parts.as_slice() else {
            return Err(LinkError::Malformed);
        };
        let kind = SurveyKind::parse("kind", kind).map_err(|_| LinkError::Malformed)?;
        let score = kind.parse_score(score).map_err(|_| LinkError::Malformed)?;
        let survey_ok = !survey.is_empty()
            && survey.len() <= MAX_SURVEY_ID
            && survey.chars().all(|c| c.is_ascii_hexdigit());
        if !survey_ok {
            return Err(LinkError::Malformed);
        }
        let expires = expires
            .parse::<i64>()
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
            .ok_or(LinkError::Malformed)?;
        Ok(Link {
            case,
            survey: (*survey).to_owned(),
            kind,
            score,
            expires,
        })
    }
}

/// A refused link, or the store failing to check it.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_back_and_refuse_mangling() {
        let link = Link {
            case: CaseId(12),
            survey: "00ff".into(),
            kind: SurveyKind::Csat,
            score: 4,
            expires: Timestamp::from_second(1_900_000_000).unwrap(),
        };
        let token = "csat.4.00ff.1900000000.c2ln";
        assert_eq!(Link::parse(CaseId(12), token), Ok(link));
        for bad in [
            "csat.6.00ff.1900000000.c2ln",
            "nps.4.00ff.1900000000.c2ln",
            "csat.4.zz.1900000000.c2ln",
            "csat.4.00ff.soon.c2ln",
            "csat.4.00ff.1900000000",
            "",
        ] {
            assert_eq!(Link::parse(CaseId(12), bad), Err(LinkError::Malformed));
        }
        assert_eq!(new_survey_id().len(), 16);
    }
}
