//! The words of a knowledge-base query that are worth looking for. People
//! type sentences ("Boiler pressure keeps dropping"), so articles are found
//! by any of the words and ranked by how many and which match (the store
//! ranks); the words that match everything ("the", "my", "is") or almost
//! anything (one or two letters) are left out, and a long paste is cut to
//! a few words so a query stays cheap.

/// Most characters of a query read; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words looked for.
pub const MAX_WORDS: usize = 8;
/// Fewest letters a word needs to count (numbers count from two digits).
const MIN_LETTERS: usize = 3;

/// Common English words that say nothing about what an article is about.
const STOP_WORDS: &[&str] = &[
    "about", "after", "again", "all", "also", "and", "any", "are", "because", "been", "before",
    "but", "can", "cannot", "could", "did", "does", "doing", "don", "for", "from", "get", "gets",
    "got", "had", "has", "have", "having", "her", "here", "hers", "him", "his", "how", "into",
    "its", "just", "more", "most", "not", "now", "off", "once", "only", "other", "our", "ours",
    "out", "over", "own", "same", "she", "should", "some", "such", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "too", "under", "until", "very",
    "was", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "won", "would", "you", "your", "yours",
];

/// The distinct words of `raw` to look for, lower-cased, in the order
/// typed: letters and digits only (so they can never be read as search
/// syntax), without stop words and very short words, at most
/// [`MAX_WORDS`] from the first [`MAX_QUERY_CHARS`] characters. Empty when
/// nothing in `raw` is worth looking for.
pub fn search_words(raw: &str) -> Vec<String> {
    let head: String = raw.chars().take(MAX_QUERY_CHARS).collect();
    let head = head.to_lowercase();
    let mut words: Vec<String> = Vec::new();
    for word in head.split(|c: char| !c.is_alphanumeric()) {
        let length = word.chars().count();
        let number = word.chars().all(|c| c.is_ascii_digit());
        let long_enough = length >= MIN_LETTERS || (number && length >= 2);
        if long_enough && !STOP_WORDS.contains(&word) && !words.iter().any(|w| w == word) {
            words.push(word.to_owned());
            if words.len() == MAX_WORDS {
                break;
            }
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_sentence_keeps_the_words_that_say_what_it_is_about() {
        assert_eq!(
            search_words("Boiler pressure keeps dropping"),
            ["boiler", "pressure", "keeps", "dropping"]
        );
        assert_eq!(
            search_words("My TV is on the blink, error 42!"),
            ["blink", "error", "42"]
        );
        assert_eq!(search_words("\"boiler\" OR NOT*"), ["boiler"]);
        assert!(search_words("is it on? a b c").is_empty());
        assert!(search_words("").is_empty());
        assert_eq!(search_words("Boiler boiler BOILER"), ["boiler"]);
    }

    proptest! {
        /// Whatever is typed, at most a few plain words come out.
        #[test]
        fn words_are_few_plain_and_distinct(raw in ".{0,600}") {
            let words = search_words(&raw);
            prop_assert!(words.len() <= MAX_WORDS);
            for (i, w) in words.iter().enumerate() {
                prop_assert!(w.chars().all(char::is_alphanumeric));
                prop_assert!(w.chars().count() >= 2);
                prop_assert!(!STOP_WORDS.contains(&w.as_str()));
                prop_assert!(!words[..i].contains(w));
            }
        }
    }
}
