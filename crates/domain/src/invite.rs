//! Appointment invitations as iCalendar (RFC 5545) text with an iTIP method
//! (RFC 5546), for mail programs to add to, update in, or remove from a
//! calendar. Times are written in the business's zone with a VTIMEZONE built
//! from jiff's transitions, so a receiving program needs no zone database.
//!
//! The text is written here rather than with the `icalendar` crate's
//! builder: that builder gives every component, VTIMEZONE and its
//! observances included, a DTSTAMP from the clock and a random UID.

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

#[cfg(test)]
mod tests;

/// Longest content line in octets, line break excluded (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;
/// How far before the start and after the end the VTIMEZONE covers.
const ZONE_MARGIN: SignedDuration = SignedDuration::from_hours(366 * 24);
/// Most observances in a VTIMEZONE, a bound on the output for absurd spans.
const MAX_OBSERVANCES: usize = 64;

/// What an invitation asks of the calendar program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add the appointment, or update it when the UID is known.
    Request,
    /// Remove the appointment.
    Cancel,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }

    fn status(self) -> &'static str {
        match self {
            Method::Request => "CONFIRMED",
            Method::Cancel => "CANCELLED",
        }
    }
}

/// One appointment as an invitation. Text fields may hold anything; control
/// characters are dropped (line breaks kept) before they are written.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    /// Stable across updates, e.g. `appointment-17@tend.example`.
    pub uid: &'a str,
    /// Bumped on every change (reschedule, cancel, new arrival time).
    pub sequence: u32,
    pub method: Method,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: Option<&'a str>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// The business's zone: an IANA zone, or UTC. A zone without an IANA
    /// name (a bare offset) is written as UTC.
    pub zone: &'a TimeZone,
    /// Name and email address.
    pub organizer: (&'a str, &'a str),
    /// The customer: name and email address.
    pub attendee: Option<(&'a str, &'a str)>,
    /// When this version of the invitation was made (DTSTAMP).
    pub stamp: Timestamp,
}

impl Invitation<'_> {
    /// The invitation as an iCalendar object: CRLF line endings, lines
    /// folded at 75 octets.
    pub fn render(&self) -> String {
        let zone = ZoneRules::new(
            self.zone,
            self.starts_at.min(self.ends_at),
            self.starts_at.max(self.ends_at),
        );
        let mut ics = Ics::default();
        ics.line("BEGIN:VCALENDAR");
        ics.line("VERSION:2.0");
        ics.line("PRODID:-//Tend//Appointments//EN");
        ics.line("CALSCALE:GREGORIAN");
        ics.line(&format!("METHOD:{}", self.method.as_str()));
        if let Some(zone) = &zone {
            zone.write(&mut ics);
        }
        ics.line("BEGIN:VEVENT");
        ics.text("UID", self.uid);
        ics.line(&format!("SEQUENCE:{}", self.sequence));
        ics.line(&format!("DTSTAMP:{}", utc(self.stamp)));
        for (name, at) in [("DTSTART", self.starts_at), ("DTEND", self.ends_at)] {
            ics.line(&match &zone {
                Some(zone) => format!(
                    "{name};TZID={}:{}",
                    zone.tzid,
                    basic(self.zone.to_datetime(at))
                ),
                None => format!("{name}:{}", utc(at)),
            });
        }
        ics.text("SUMMARY", self.summary);
        ics.text("DESCRIPTION", self.description);
        if let Some(location) = self.location {
            ics.text("LOCATION", location);
        }
        let (name, email) = self.organizer;
        ics.line(&format!("ORGANIZER{}:{}", common_name(name), mailto(email)));
        if let Some((name, email)) = self.attendee {
            ics.line(&format!(
                "ATTENDEE{};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:{}",
                common_name(name),
                mailto(email)
            ));
        }
        ics.line(&format!("STATUS:{}", self.method.status()));
        ics.line("TRANSP:OPAQUE");
        ics.line("END:VEVENT");
        ics.line("END:VCALENDAR");
        ics.0
    }
}

/// A zone's offsets around an event, for its VTIMEZONE.
struct ZoneRules<'z> {
    tzid: &'z str,
    observances: Vec<Observance>,
}

/// One STANDARD or DAYLIGHT sub-component: an offset and when it began.
struct Observance {
    daylight: bool,
    /// Local time before the change.
    onset: DateTime,
    from: Offset,
    to: Offset,
    name: String,
}

impl<'z> ZoneRules<'z> {
    /// The rules from a year before `first` to a year after `last`, the one
    /// in force at the window's start included; `None` when times are
    /// written in UTC (UTC itself, or a zone without an IANA name).
    fn new(zone: &'z TimeZone, first: Timestamp, last: Timestamp) -> Option<Self> {
        let tzid = zone.iana_name()?;
        let from = first.checked_sub(ZONE_MARGIN).unwrap_or(Timestamp::MIN);
        let until = last.checked_add(ZONE_MARGIN).unwrap_or(Timestamp::MAX);
        let in_force = zone.preceding(from).next();
        let after = in_force.as_ref().map_or(Timestamp::MIN, |t| t.timestamp());
        let mut observances: Vec<Observance> = in_force
            .into_iter()
            .chain(zone.following(after))
            .take_while(|t| t.timestamp() <= until)
            .take(MAX_OBSERVANCES)
            .map(|t| {
                let before = offset_before(zone, t.timestamp());
                Observance {
                    daylight: t.dst().is_dst(),
                    onset: before.to_datetime(t.timestamp()),
                    from: before,
                    to: t.offset(),
                    name: t.abbreviation().to_owned(),
                }
            })
            .collect();
        if observances.is_empty() {
            let info = zone.to_offset_info(from);
            if info.offset() == Offset::UTC {
                return None;
            }
            observances.push(Observance {
                daylight: false,
                onset: DateTime::constant(1970, 1, 1, 0, 0, 0, 0),
                from: info.offset(),
                to: info.offset(),
                name: info.abbreviation().to_owned(),
            });
        }
        Some(ZoneRules { tzid, observances })
    }

    fn write(&self, ics: &mut Ics) {
        ics.line("BEGIN:VTIMEZONE");
        ics.text("TZID", self.tzid);
        for observance in &self.observances {
            let kind = if observance.daylight {
                "DAYLIGHT"
            } else {
                "STANDARD"
            };
            ics.line(&format!("BEGIN:{kind}"));
            ics.line(&format!("DTSTART:{}", basic(observance.onset)));
            ics.line(&format!("TZOFFSETFROM:{}", utc_offset(observance.from)));
            ics.line(&format!("TZOFFSETTO:{}", utc_offset(observance.to)));
            ics.text("TZNAME", &observance.name);
            ics.line(&format!("END:{kind}"));
        }
        ics.line("END:VTIMEZONE");
    }
}

/// The offset in force just before `at`.
fn offset_before(zone: &TimeZone, at: Timestamp) -> Offset {
    zone.to_offset(at.checked_sub(SignedDuration::from_nanos(1)).unwrap_or(at))
}

/// Content lines, folded and CRLF-terminated.
#[derive(Default)]
struct Ics(String);

impl Ics {
    /// Appends `line`, folded before any character that would take it past
    /// [`LINE_OCTETS`]; continuation lines start with a space.
    fn line(&mut self, line: &str) {
        let mut used = 0;
        for c in line.chars() {
            if used + c.len_utf8() > LINE_OCTETS {
                self.0.push_str("\r\n ");
                used = 1;
            }
            self.0.push(c);
            used += c.len_utf8();
        }
        self.0.push_str("\r\n");
    }

    /// Appends a TEXT property: cleaned, then escaped.
    fn text(&mut self, name: &str, value: &str) {
        let mut line = format!("{name}:");
        for c in clean(value).chars() {
            match c {
                '\\' => line.push_str("\\\\"),
                ';' => line.push_str("\\;"),
                ',' => line.push_str("\\,"),
                '\n' => line.push_str("\\n"),
                c => line.push(c),
            }
        }
        self.line(&line);
    }
}

/// `text` without control characters: line breaks become `\n`, tabs spaces,
/// the rest are dropped.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The `;CN="…"` parameter: one line, no double quotes (a quoted parameter
/// value cannot hold them), empty when nothing is left.
fn common_name(name: &str) -> String {
    let name: String = clean(name)
        .chars()
        .map(|c| match c {
            '\n' => ' ',
            '"' => '\'',
            c => c,
        })
        .collect();
    if name.is_empty() {
        String::new()
    } else {
        format!(";CN=\"{name}\"")
    }
}

/// A `mailto:` URI, without the control characters and spaces no address has.
fn mailto(email: &str) -> String {
    let email: String = email
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    format!("mailto:{email}")
}

/// DATE-TIME in the basic format, `20261025T013000`.
fn basic(at: DateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// DATE-TIME in UTC, `20261024T233000Z`.
fn utc(at: Timestamp) -> String {
    format!("{}Z", basic(Offset::UTC.to_datetime(at)))
}

/// UTC-OFFSET, `+0100`, with seconds only when there are any.
fn utc_offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if seconds == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{seconds:02}")
    }
}
