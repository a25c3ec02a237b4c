//! Repeat contact: a new case from a customer about a matter one of their
//! recent cases was already about. Found by the same agreement or a similar
//! subject; agents can link and unlink by hand.

use crate::ids::{AgreementId, CaseId};

/// One of the customer's recent cases, as the detector sees it.
#[derive(Debug, Clone)]
pub struct Earlier {
    pub id: CaseId,
    pub subject: String,
    pub agreement_id: Option<AgreementId>,
}

/// Whether a lower-cased word is too common to say two subjects are about
/// the same thing (or a reply or forward prefix).
fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "the"
            | "and"
            | "for"
            | "with"
            | "from"
            | "your"
            | "you"
            | "our"
            | "not"
            | "has"
            | "have"
            | "was"
            | "are"
            | "this"
            | "that"
            | "about"
            | "again"
            | "still"
            | "please"
            | "help"
            | "question"
            | "issue"
            | "problem"
            | "request"
            | "hello"
            | "urgent"
            | "fwd"
    )
}

/// Share of words two subjects must have in common (of the smaller set).
const OVERLAP_NEEDED: f64 = 0.6;

/// The earlier case (newest first in `earlier`) that a new case with
/// `subject` and `agreement` repeats, and why.
pub fn find_repeat(
    subject: &str,
    agreement: Option<AgreementId>,
    earlier: &[Earlier],
) -> Option<(CaseId, String)> {
    let lowered = subject.to_lowercase();
    let words = subject_words(&lowered);
    earlier.iter().find_map(|case| {
        if agreement.is_some() && case.agreement_id == agreement {
            return Some((case.id, format!("same agreement as #{}", case.id)));
        }
        similar(&words, &subject_words(&case.subject.to_lowercase()))
            .then(|| (case.id, format!("similar subject to #{}", case.id)))
    })
}

/// The meaningful words of a lower-cased subject, sorted and each once:
/// without reply and forward prefixes, case tags or short and common words.
fn subject_words(lowered: &str) -> Vec<&str> {
    let mut words: Vec<&str> = lowered
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().nth(2).is_some() && !w.bytes().all(|b| b.is_ascii_digit()))
        .filter(|w| !is_stopword(w))
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Whether two sorted word lists share enough of the smaller one.
fn similar(a: &[&str], b: &[&str]) -> bool {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return false;
    }
    let shared = a.iter().filter(|w| b.binary_search(w).is_ok()).count();
    shared as f64 / smaller as f64 >= OVERLAP_NEEDED
}

#[cfg(test)]
mod tests {
    use super::*;

    fn earlier(id: i64, subject: &str, agreement: Option<i64>) -> Earlier {
        Earlier {
            id: CaseId(id),
            subject: subject.into(),
            agreement_id: agreement.map(AgreementId),
        }
    }

    #[test]
    fn a_similar_subject_is_a_repeat_and_an_unrelated_one_is_not() {
        let cases = [
            earlier(3, "Invoice for March", None),
            earlier(2, "Boiler leaking in the kitchen", None),
        ];
        assert_eq!(
            find_repeat("Re: [#2] boiler still leaking!", None, &cases),
            Some((CaseId(2), "similar subject to #2".into()))
        );
        assert_eq!(find_repeat("New address", None, &cases), None);
        assert_eq!(find_repeat("Help", None, &cases), None, "no words left");
    }

    #[test]
    fn the_same_agreement_is_a_repeat_whatever_the_subject() {
        let cases = [earlier(5, "Slow internet", Some(9))];
        assert_eq!(
            find_repeat("Router lights blinking", Some(AgreementId(9)), &cases),
            Some((CaseId(5), "same agreement as #5".into()))
        );
        assert_eq!(
            find_repeat("Router lights blinking", Some(AgreementId(8)), &cases),
            None
        );
    }
}
