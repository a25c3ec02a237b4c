//! An agent's own settings for how the workspace shows things: the time zone
//! and locale exact times are written in (by default the browser's), and
//! whether a case reads newest message first.

use crate::Invalid;
use serde::{Deserialize, Serialize};

/// Longest locale tag accepted (BCP 47 tags in use are far shorter).
const LOCALE_MAX: usize = 35;

/// How one agent wants the workspace to show times and cases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// An IANA time zone such as `Europe/Amsterdam`; `None`: the browser's.
    pub time_zone: Option<String>,
    /// A BCP 47 language tag such as `en-GB`; `None`: the browser's.
    pub locale: Option<String>,
    /// Whether a case page lists its newest message first.
    pub newest_first: bool,
}

impl Preferences {
    /// Checks and normalises raw settings; empty text means "the browser's".
    pub fn parse(time_zone: &str, locale: &str, newest_first: bool) -> Result<Self, Invalid> {
        Ok(Preferences {
            time_zone: non_empty(time_zone).map(parse_time_zone).transpose()?,
            locale: non_empty(locale).map(parse_locale).transpose()?,
            newest_first,
        })
    }
}

fn non_empty(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|s| !s.is_empty())
}

/// A time zone the time zone database knows, by its canonical name.
fn parse_time_zone(raw: &str) -> Result<String, Invalid> {
    crate::calendar::time_zone_name("time_zone", raw).map_err(|e| {
        Invalid::new(
            "time_zone",
            format!("{}, or leave it empty for the browser's", e.message),
        )
    })
}

/// A well-formed language tag: a 2–3 letter language, then up to four
/// subtags of 2–8 letters or digits (`en`, `en-GB`, `zh-Hant-TW`).
fn parse_locale(raw: &str) -> Result<String, Invalid> {
    let mut parts = raw.split(['-', '_']);
    let language = parts.next().unwrap_or_default();
    let subtags: Vec<&str> = parts.collect();
    let well_formed = raw.len() <= LOCALE_MAX
        && (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_alphabetic())
        && subtags.len() <= 4
        && subtags
            .iter()
            .all(|s| (2..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()));
    if !well_formed {
        return Err(Invalid::new(
            "locale",
            format!(
                "`{}` is not a language tag; use one such as en-GB or nl-NL, or leave it empty for the browser's",
                raw.escape_debug()
            ),
        ));
    }
    Ok(std::iter::once(language)
        .chain(subtags)
        .collect::<Vec<_>>()
        .join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_settings_mean_the_browsers() {
        assert_eq!(
            Preferences::parse(" ", "", true).unwrap(),
            Preferences {
                newest_first: true,
                ..Preferences::default()
            }
        );
    }

    #[test]
    fn zones_and_tags_are_checked_and_normalised() {
        let p = Preferences::parse("Asia/Tokyo", "en_GB", false).unwrap();
        assert_eq!(p.time_zone.as_deref(), Some("Asia/Tokyo"));
        assert_eq!(p.locale.as_deref(), Some("en-GB"));
        assert_eq!(
            Preferences::parse("Mars/Olympus", "", false)
                .unwrap_err()
                .field,
            "time_zone"
        );
        for bad in ["e", "english", "en-", "en-G", "en-GB-x<y", "en-a-b-c-d-e"] {
            assert_eq!(
                Preferences::parse("", bad, false).unwrap_err().field,
                "locale",
                "{bad}"
            );
        }
    }

    proptest! {
        /// Whatever is typed, parsing answers without panicking, and what
        /// it accepts parses again to itself.
        #[test]
        fn parsing_is_total_and_stable(zone in "\\PC{0,70}", locale in "\\PC{0,40}") {
            if let Ok(p) = Preferences::parse(&zone, &locale, false) {
                let again = Preferences::parse(
                    p.time_zone.as_deref().unwrap_or(""),
                    p.locale.as_deref().unwrap_or(""),
                    false,
                );
                prop_assert_eq!(again, Ok(p));
            }
        }
    }
}
