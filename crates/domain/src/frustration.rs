//! Frustration signals: how frustrated an inbound customer message reads,
//! 0 (calm) to 100, and the phrases that made it so ("third time", "still
//! not", "ALL CAPITALS", "!!!", "terrible"...). Pure and cheap: linear in
//! the text, of which only the first [`MAX_CHARS`] characters count.
//!
//! The score adds up, capped at 100:
//! - support phrases that say the customer has run out of patience
//!   ("third time", "still not", "nobody answers": 30 each; "again": 15,
//!   30 when said twice);
//! - negative words of the VADER sentiment lexicon (Hutto & Gilbert, 2014;
//!   MIT licence, trimmed copy in `frustration/vader_lexicon.tsv`), 8
//!   points per unit of valence, at most 40 in all; a positive word after
//!   "not", "never", "no"... counts as negative ("not happy"), a negative
//!   one after them does not ("not bad"). Words that describe a fault rather
//!   than a feeling ("error", "broken", "problem", "failed"...) do not
//!   count: every support message is full of them;
//! - the case's contacts beyond the first, when the customer writes again
//!   before anyone answered (10 each, at most 30; the caller passes 1
//!   otherwise);
//! - two or more words of four letters or more in capitals ("WHERE IS MY
//!   ORDER"; acronyms are mostly shorter): 15;
//! - a run of two or more "!" (15), or "?!", "!?" or "???" (10).
//!
//! [`FRUSTRATED`] is the threshold at which Tend calls a customer
//! frustrated; `docs/service-rules.md` gives the precision and recall
//! measured at it.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Characters of a message considered; the rest is ignored.
pub const MAX_CHARS: usize = 5_000;

/// The score at or above which a message counts as frustrated.
pub const FRUSTRATED: u8 = 30;

/// Most phrases reported with a score.
pub const MAX_SIGNALS: usize = 8;

/// A message's score and the phrases behind it, strongest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frustration {
    pub score: u8,
    pub signals: Vec<String>,
}

impl Frustration {
    /// Whether the score reaches [`FRUSTRATED`].
    pub fn is_frustrated(&self) -> bool {
        self.score >= FRUSTRATED
    }
}

/// Phrases of lost patience, matched on whole words ignoring case, with
/// their points and the signal they are reported as.
const PHRASES: &[(&str, u32, &str)] = &[
    ("third time", 30, "third time"),
    ("3rd time", 30, "third time"),
    ("fourth time", 30, "fourth time"),
    ("fifth time", 30, "fifth time"),
    ("three times", 30, "three times"),
    ("how many times", 30, "how many times"),
    ("so many times", 30, "so many times"),
    ("every single time", 30, "every single time"),
    ("once again", 30, "once again"),
    ("still not", 30, "still not"),
    ("still no", 30, "still no"),
    ("still nothing", 30, "still nothing"),
    ("still waiting", 30, "still waiting"),
    ("still haven't", 30, "still haven't"),
    ("still hasn't", 30, "still hasn't"),
    ("still isn't", 30, "still isn't"),
    ("still doesn't", 30, "still doesn't"),
    ("nobody answers", 30, "nobody answers"),
    ("no one answers", 30, "nobody answers"),
    ("nobody has answered", 30, "nobody answers"),
    ("no one has answered", 30, "nobody answers"),
    ("nobody replied", 30, "nobody answers"),
    ("no one replied", 30, "nobody answers"),
    ("nobody got back", 30, "nobody got back"),
    ("nobody cares", 30, "nobody cares"),
    ("no response", 30, "no response"),
    ("no reply", 30, "no reply"),
    ("heard nothing", 30, "heard nothing"),
    ("never heard back", 30, "never heard back"),
    ("is anyone there", 30, "is anyone there"),
    ("anyone there", 30, "is anyone there"),
    ("fed up", 30, "fed up"),
    ("sick of", 30, "sick of"),
    ("tired of", 30, "tired of"),
    ("enough is enough", 30, "enough is enough"),
    ("waste of time", 30, "waste of time"),
    ("waste of my time", 30, "waste of time"),
    ("speak to a manager", 30, "speak to a manager"),
    ("talk to a manager", 30, "speak to a manager"),
    ("reach a human", 30, "a human"),
    ("speak to a human", 30, "a human"),
    ("not acceptable", 30, "not acceptable"),
    ("unacceptable", 30, "unacceptable"),
    ("ridiculous", 20, "ridiculous"),
    ("thanks for nothing", 30, "thanks for nothing"),
    ("do you even", 30, "do you even"),
    ("are you even", 30, "are you even"),
    ("repeating myself", 30, "repeating myself"),
    ("chase you", 20, "chasing"),
    ("chasing you", 20, "chasing"),
    ("complaint", 20, "complaint"),
    ("never again", 30, "never again"),
    ("is a joke", 30, "a joke"),
    ("a joke", 30, "a joke"),
    ("is a lie", 30, "a lie"),
    ("a lie", 30, "a lie"),
    ("nightmare", 30, "nightmare"),
    ("done with", 30, "done with"),
    ("nothing happens", 30, "nothing happens"),
    ("can't believe", 20, "can't believe"),
    ("cannot believe", 20, "can't believe"),
    ("you people", 20, "you people"),
    ("so hard to", 20, "so hard to"),
    ("nobody can", 20, "nobody can"),
    ("no one will", 20, "no one will"),
    ("again", 15, "again"),
];

/// Words that make the next few words' valence flip.
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "none", "nothing", "nobody", "neither", "nor", "cannot", "cant", "can't",
    "dont", "don't", "doesnt", "doesn't", "didnt", "didn't", "isnt", "isn't", "wasnt", "wasn't",
    "arent", "aren't", "wont", "won't", "wouldnt", "wouldn't", "havent", "haven't", "hasnt",
    "hasn't", "without",
];

/// Lexicon words that name a fault, not a feeling: support messages are
/// full of them, calm or not.
const FAULT_WORDS: &[&str] = &[
    "problem",
    "problems",
    "error",
    "errors",
    "broken",
    "break",
    "broke",
    "fail",
    "failed",
    "fails",
    "failing",
    "failure",
    "crash",
    "crashes",
    "crashed",
    "lost",
    "lose",
    "stuck",
    "wrong",
    "missing",
    "miss",
    "cancel",
    "cancelled",
    "canceled",
    "sorry",
    "delay",
    "delayed",
    "unfortunately",
    "worried",
    "worry",
    "damage",
    "damaged",
    "leak",
    "leaks",
    "denied",
    "declined",
    "expired",
    "fault",
    "bug",
    "bugs",
    "down",
    "noise",
    "alarm",
    "alarms",
    "false",
    "died",
    "dead",
    "low",
    "loss",
    "forgot",
    "forget",
    "bother",
    "urgent",
    "no",
    "hard",
    "doubt",
    "excuse",
    "confused",
    "charged",
    "charges",
    "charge",
    "mistake",
    "accidentally",
    "accidental",
    "emergency",
    "warning",
    "limit",
    "limited",
];

/// The lexicon's words and valences, read once.
fn lexicon() -> &'static HashMap<&'static str, f32> {
    static LEXICON: OnceLock<HashMap<&'static str, f32>> = OnceLock::new();
    LEXICON.get_or_init(|| {
        include_str!("frustration/vader_lexicon.tsv")
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (word, valence) = line.split_once('\t')?;
                let valence: f32 = valence.trim().parse().ok()?;
                (!FAULT_WORDS.contains(&word)).then_some((word, valence))
            })
            .collect()
    })
}

/// Scores a customer's message, written on a case where the customer has
/// now been in touch `contacts` times (this message included).
pub fn score(text: &str, contacts: u32) -> Frustration {
    let text = match text.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    let mut found: Vec<(u32, String)> = Vec::new();
    let words = words(text);
    let lower: Vec<String> = words
        .iter()
        .map(|w| w.to_lowercase().replace('’', "'"))
        .collect();

    phrases(&lower, &mut found);
    lexicon_words(&lower, &mut found);
    if contacts >= 2 {
        let extra = contacts - 1;
        found.push((
            (extra * 10).min(30),
            format!("{} contact", ordinal(contacts)),
        ));
    }
    if shouting(&words) {
        found.push((15, "ALL CAPITALS".to_owned()));
    }
    if let Some((points, signal)) = punctuation(text) {
        found.push((points, signal.to_owned()));
    }

    let total: u32 = found.iter().map(|(points, _)| *points).sum();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    let mut signals: Vec<String> = Vec::new();
    for (_, signal) in found {
        if !signals.contains(&signal) && signals.len() < MAX_SIGNALS {
            signals.push(signal);
        }
    }
    Frustration {
        score: u8::try_from(total.min(100)).unwrap_or(100),
        signals,
    }
}

/// The text's words (runs of letters, digits and apostrophes), with a
/// [`STOP`] where a sentence or clause ends, so that neither phrases nor
/// negations reach across it.
fn words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let is_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '’';
    for (i, c) in text.char_indices() {
        if is_word(c) {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            push_word(&mut words, &text[s..i]);
        }
        if matches!(c, '.' | '!' | '?' | ';' | ':' | '\n') && words.last() != Some(&STOP) {
            words.push(STOP);
        }
    }
    if let Some(s) = start {
        push_word(&mut words, &text[s..]);
    }
    words
}

/// Marks the end of a sentence or clause among the words.
const STOP: &str = ".";

fn push_word<'a>(words: &mut Vec<&'a str>, word: &'a str) {
    let word = word.trim_matches(|c| c == '\'' || c == '’');
    if !word.is_empty() {
        words.push(word);
    }
}

/// Finds the patience phrases among the (lower-cased) words; a shorter
/// phrase inside a longer one found is not counted again. Linear: each
/// phrase is tried at each word.
fn phrases(lower: &[String], found: &mut Vec<(u32, String)>) {
    let mut covered = vec![false; lower.len()];
    for (phrase, points, signal) in PHRASES {
        let parts: Vec<&str> = phrase.split(' ').collect();
        let mut hits = 0u32;
        for start in 0..lower.len() {
            let end = start + parts.len();
            if end > lower.len() || covered[start] {
                continue;
            }
            let matches = parts.iter().zip(&lower[start..end]).all(|(p, w)| w == p);
            if matches {
                covered[start..end].iter_mut().for_each(|c| *c = true);
                hits += 1;
            }
        }
        if hits > 0 {
            // Said twice ("again ... again") weighs double, up to 30.
            let points = if hits > 1 {
                (points * 2).min(30)
            } else {
                *points
            };
            found.push((points, (*signal).to_owned()));
        }
    }
}

/// Scores the lexicon's words (lower-cased, plain apostrophes), flipping
/// those within three words after a negation.
fn lexicon_words(lower: &[String], found: &mut Vec<(u32, String)>) {
    let lexicon = lexicon();
    let mut total = 0.0f32;
    let mut words_found: Vec<(f32, String)> = Vec::new();
    for (i, word) in lower.iter().enumerate() {
        let Some(valence) = lexicon.get(word.as_str()).copied() else {
            continue;
        };
        let negator = lower[i.saturating_sub(3)..i]
            .iter()
            .rev()
            .take_while(|w| *w != STOP)
            .find(|w| NEGATIONS.contains(&w.as_str()));
        let (weight, signal) = match negator {
            Some(not) if valence > 0.0 => (valence * 0.74, format!("{not} {word}")),
            Some(_) => (0.0, String::new()),
            None if valence < 0.0 => (-valence, word.clone()),
            None => (0.0, String::new()),
        };
        if weight > 0.0 {
            total += weight;
            words_found.push((weight, signal));
        }
    }
    if total <= 0.0 {
        return;
    }
    let points = ((total * 8.0).round() as u32).min(40);
    words_found.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (i, (_, signal)) in words_found.into_iter().enumerate() {
        // The points go with the strongest word; the others are named.
        found.push((if i == 0 { points } else { 0 }, signal));
    }
}

/// Whether the message shouts: two words of four or more letters in
/// capitals (acronyms are mostly shorter).
fn shouting(words: &[&str]) -> bool {
    let loud = |w: &&str| {
        w.chars().filter(|c| c.is_alphabetic()).count() >= 4
            && w.chars().all(|c| !c.is_lowercase())
            && w.chars().any(|c| c.is_uppercase())
    };
    words.iter().filter(|w| loud(w)).take(2).count() == 2
}

/// Exclamation runs ("!!"), or "?!", "!?" and "???".
fn punctuation(text: &str) -> Option<(u32, &'static str)> {
    let mut best: Option<(u32, &'static str)> = None;
    let mut previous = ' ';
    let mut questions = 0;
    for c in text.chars() {
        let hit = match (previous, c) {
            ('!', '!') => Some((15, "!!!")),
            ('?', '!') | ('!', '?') => Some((10, "?!")),
            _ => None,
        };
        questions = if c == '?' { questions + 1 } else { 0 };
        let hit = hit.or((questions >= 3).then_some((10, "???")));
        if let Some(hit) = hit
            && best.is_none_or(|b| hit.0 > b.0)
        {
            best = Some(hit);
        }
        previous = c;
    }
    best
}

/// "2nd", "3rd", "11th"...
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn calm_messages_score_low_even_when_they_name_faults() {
        for calm in [
            "Hi, my printer shows error 52 after the update. Could you help me?",
            "The payment failed but the card is fine. Thanks!",
            "My VPN and SSO login fail since this morning.",
        ] {
            let f = score(calm, 1);
            assert!(!f.is_frustrated(), "{calm}: {f:?}");
        }
        assert_eq!(score("", 1), Frustration::default());
    }

    #[test]
    fn support_signals_are_found_and_named() {
        let f = score(
            "This is the THIRD TIME I write. Still not fixed!!! Terrible.",
            3,
        );
        assert!(f.is_frustrated(), "{f:?}");
        assert_eq!(f.score, 100);
        for signal in [
            "third time",
            "still not",
            "3rd contact",
            "ALL CAPITALS",
            "!!!",
            "terrible",
        ] {
            assert!(f.signals.iter().any(|s| s == signal), "{signal}: {f:?}");
        }
        let f = score("Nobody answers. I am not happy.", 1);
        assert_eq!(f.signals, ["nobody answers", "not happy"]);
        assert_eq!(score("again", 1).signals, ["again"]);
        assert_eq!(
            score("once again", 1).signals,
            ["once again"],
            "no double count"
        );
        assert!(score("It's not bad at all", 1).signals.is_empty());
        assert_eq!(score("Hello", 2).signals, ["2nd contact"]);
    }

    #[test]
    fn only_the_first_characters_count() {
        let long = format!("{} still not fixed", "a ".repeat(MAX_CHARS));
        assert_eq!(score(&long, 1).score, 0);
    }

    proptest! {
        #[test]
        fn never_panics_and_stays_bounded(text in ".{0,2000}", contacts in 0u32..1000) {
            let f = score(&text, contacts);
            prop_assert!(f.score <= 100);
            prop_assert!(f.signals.len() <= MAX_SIGNALS);
        }

        #[test]
        fn words_of_the_signals_never_panic(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("still"), Just("not"), Just("THIRD"), Just("time"), Just("!"),
                    Just("?"), Just("again"), Just("terrible"), Just("’"), Just("é"),
                    Just("NOBODY"), Just("answers"), Just(" "), Just("happy"),
                ],
                0..300,
            ),
        ) {
            let f = score(&parts.concat(), 1);
            prop_assert!(f.score <= 100);
        }
    }
}
