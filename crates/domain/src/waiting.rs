//! How long a customer has been waiting, in words. When a wait starts and
//! ends is one rule, folded in [`crate::effort::EffortTally`]: it runs from
//! the oldest customer contact no agent has answered; chasers do not restart
//! it and automatic mail never ends it.

use jiff::Timestamp;

/// A span of seconds for people: "under a minute", "12 min", "3 h 5 min",
/// "2 d 15 h". Negative spans read as none.
pub fn human_duration(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => "under a minute".into(),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// How long someone has waited from `since` to `now`, for people.
pub fn waited(since: Timestamp, now: Timestamp) -> String {
    human_duration(now.as_second() - since.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_units() {
        assert_eq!(human_duration(-5), "under a minute");
        assert_eq!(human_duration(59), "under a minute");
        assert_eq!(human_duration(12 * 60 + 30), "12 min");
        assert_eq!(human_duration(3 * 3600 + 5 * 60), "3 h 5 min");
        assert_eq!(human_duration((2 * 24 + 15) * 3600 + 59), "2 d 15 h");
    }
}
