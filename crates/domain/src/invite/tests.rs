//! Invitations read back by the `icalendar` crate's parser and by Python's
//! `icalendar`, as a receiving calendar program would read them.

use super::*;
use icalendar::parser::{Calendar, Component, read_calendar, unfold};
use jiff::civil;
use proptest::prelude::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

/// The instant of local time `at` (`2026-10-25T01:30`) in `zone`.
fn local(zone: &TimeZone, at: &str) -> Timestamp {
    at.parse::<civil::DateTime>()
        .unwrap()
        .to_zoned(zone.clone())
        .unwrap()
        .timestamp()
}

/// An appointment in `zone` with plain text; tests change what they look at.
fn invitation<'a>(zone: &'a TimeZone, starts: &str, ends: &str) -> Invitation<'a> {
    Invitation {
        uid: "appointment-17@tend.example",
        sequence: 0,
        method: Method::Request,
        summary: "Boiler service",
        description: "A technician visits.",
        location: Some("Keizersgracht 1, Amsterdam"),
        starts_at: local(zone, starts),
        ends_at: local(zone, ends),
        zone,
        organizer: ("Tend Heating", "desk@tend.example"),
        attendee: Some(("Ada Lovelace", "ada@example.com")),
        stamp: "2026-05-01T08:00:00Z".parse().unwrap(),
    }
}

/// Every line is CRLF-terminated and at most 75 octets long.
fn assert_lines(ics: &str) {
    let body = ics.strip_suffix("\r\n").expect("ends with CRLF");
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(!line.contains(['\r', '\n']), "bare line break in {line:?}");
    }
}

/// The calendar's single component of kind `name`.
fn only<'c, 'a>(components: &'c [Component<'a>], name: &str) -> &'c Component<'a> {
    let found: Vec<_> = components.iter().filter(|c| c.name == name).collect();
    assert_eq!(found.len(), 1, "one {name}");
    found[0]
}

/// The value of the calendar's own property `name`.
fn top(calendar: &Calendar, name: &str) -> String {
    let found: Vec<_> = calendar
        .properties
        .iter()
        .filter(|p| p.name == name)
        .collect();
    assert_eq!(found.len(), 1, "one {name}");
    found[0].val.as_str().to_owned()
}

fn value(component: &Component, name: &str) -> String {
    component
        .find_prop(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .val
        .as_str()
        .to_owned()
}

fn param(component: &Component, name: &str, key: &str) -> Option<String> {
    component
        .find_prop(name)?
        .params
        .iter()
        .find(|p| p.key == key)
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str().to_owned())
}

/// The instant a receiving program gives local time `at` (basic format):
/// the offset of the observance with the latest onset at or before it.
fn resolve(vtimezone: &Component, at: &str) -> Timestamp {
    let observance = vtimezone
        .components
        .iter()
        .filter(|o| value(o, "DTSTART").as_str() <= at)
        .max_by_key(|o| value(o, "DTSTART"))
        .expect("an observance covers the time");
    let offset = value(observance, "TZOFFSETTO");
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i32 = offset[1..3].parse().unwrap();
    let minutes: i32 = offset[3..5].parse().unwrap();
    let offset = Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).unwrap();
    civil::DateTime::strptime("%Y%m%dT%H%M%S", at)
        .unwrap()
        .to_zoned(TimeZone::fixed(offset))
        .unwrap()
        .timestamp()
}

#[test]
fn request_reads_back_with_zone_escapes_and_folding() {
    let amsterdam = zone("Europe/Amsterdam");
    let location = "Keizersgracht 1, 1015 CJ Amsterdam — tweede verdieping, bel \
                    bij ‘Tend’ 🔔 en wacht even; de lift is soms traag";
    let invite = Invitation {
        summary: "Boiler; service, \\ check",
        description: "Line one\nLine two; with, commas \\ and a backslash",
        location: Some(location),
        ..invitation(&amsterdam, "2026-06-15T14:00", "2026-06-15T15:30")
    };
    let ics = invite.render();
    assert_lines(&ics);
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(ics.contains("\r\nSUMMARY:Boiler\\; service\\, \\\\ check\r\n"));
    assert!(
        ics.contains("\r\nLOCATION:Keizersgracht 1\\, 1015 CJ"),
        "{ics}"
    );
    assert!(
        ics.lines().any(|l| l.starts_with(' ')),
        "the long location is folded"
    );

    let unfolded = unfold(&ics);
    let calendar = read_calendar(&unfolded).unwrap();
    assert_eq!(top(&calendar, "VERSION"), "2.0");
    assert_eq!(top(&calendar, "PRODID"), "-//Tend//Appointments//EN");
    assert_eq!(top(&calendar, "CALSCALE"), "GREGORIAN");
    assert_eq!(top(&calendar, "METHOD"), "REQUEST");

    let event = only(&calendar.components, "VEVENT");
    assert_eq!(value(event, "UID"), "appointment-17@tend.example");
    assert_eq!(value(event, "SEQUENCE"), "0");
    assert_eq!(value(event, "DTSTAMP"), "20260501T080000Z");
    assert_eq!(
        param(event, "DTSTART", "TZID").as_deref(),
        Some("Europe/Amsterdam")
    );
    assert_eq!(value(event, "DTSTART"), "20260615T140000");
    assert_eq!(value(event, "DTEND"), "20260615T153000");
    assert_eq!(value(event, "SUMMARY"), invite.summary);
    assert_eq!(value(event, "DESCRIPTION"), invite.description);
    assert_eq!(value(event, "LOCATION"), location);
    assert_eq!(value(event, "ORGANIZER"), "mailto:desk@tend.example");
    assert_eq!(
        param(event, "ORGANIZER", "CN").as_deref(),
        Some("Tend Heating")
    );
    assert_eq!(value(event, "ATTENDEE"), "mailto:ada@example.com");
    for (key, expected) in [
        ("CN", "Ada Lovelace"),
        ("ROLE", "REQ-PARTICIPANT"),
        ("PARTSTAT", "NEEDS-ACTION"),
        ("RSVP", "FALSE"),
    ] {
        assert_eq!(param(event, "ATTENDEE", key).as_deref(), Some(expected));
    }
    assert_eq!(value(event, "STATUS"), "CONFIRMED");
    assert_eq!(value(event, "TRANSP"), "OPAQUE");

    let vtimezone = only(&calendar.components, "VTIMEZONE");
    assert_eq!(value(vtimezone, "TZID"), "Europe/Amsterdam");
    assert_eq!(resolve(vtimezone, "20260615T140000"), invite.starts_at);
    assert_eq!(resolve(vtimezone, "20260615T153000"), invite.ends_at);
    let summer = vtimezone
        .components
        .iter()
        .find(|o| value(o, "DTSTART") == "20260329T020000")
        .expect("the 2026 spring-forward");
    assert_eq!(summer.name, "DAYLIGHT");
    assert_eq!(value(summer, "TZOFFSETFROM"), "+0100");
    assert_eq!(value(summer, "TZOFFSETTO"), "+0200");
    assert_eq!(value(summer, "TZNAME"), "CEST");
}

#[test]
fn appointment_across_the_fall_back_keeps_both_local_times() {
    let amsterdam = zone("Europe/Amsterdam");
    let invite = invitation(&amsterdam, "2026-10-25T01:30", "2026-10-25T03:30");
    assert_eq!(
        invite.ends_at.duration_since(invite.starts_at),
        SignedDuration::from_hours(3),
        "two hours on the clock, three in fact"
    );
    let ics = invite.render();
    assert_lines(&ics);
    let unfolded = unfold(&ics);
    let calendar = read_calendar(&unfolded).unwrap();
    let event = only(&calendar.components, "VEVENT");
    assert_eq!(value(event, "DTSTART"), "20261025T013000");
    assert_eq!(value(event, "DTEND"), "20261025T033000");
    assert_eq!(
        param(event, "DTEND", "TZID").as_deref(),
        Some("Europe/Amsterdam")
    );

    let vtimezone = only(&calendar.components, "VTIMEZONE");
    let fall_back = vtimezone
        .components
        .iter()
        .find(|o| value(o, "DTSTART") == "20261025T030000")
        .expect("the 2026-10-25 transition");
    assert_eq!(fall_back.name, "STANDARD");
    assert_eq!(value(fall_back, "TZOFFSETFROM"), "+0200");
    assert_eq!(value(fall_back, "TZOFFSETTO"), "+0100");
    assert_eq!(value(fall_back, "TZNAME"), "CET");
    assert_eq!(resolve(vtimezone, "20261025T013000"), invite.starts_at);
    assert_eq!(resolve(vtimezone, "20261025T033000"), invite.ends_at);
}

#[test]
fn cancel_keeps_the_uid_with_a_higher_sequence() {
    let amsterdam = zone("Europe/Amsterdam");
    let request = invitation(&amsterdam, "2026-06-15T14:00", "2026-06-15T15:00");
    let cancel = Invitation {
        method: Method::Cancel,
        sequence: 1,
        ..request.clone()
    };
    let (request, cancel) = (request.render(), cancel.render());
    let (request, cancel) = (unfold(&request), unfold(&cancel));
    let request = read_calendar(&request).unwrap();
    let cancel = read_calendar(&cancel).unwrap();
    assert_eq!(top(&cancel, "METHOD"), "CANCEL");
    let before = only(&request.components, "VEVENT");
    let after = only(&cancel.components, "VEVENT");
    assert_eq!(value(after, "STATUS"), "CANCELLED");
    assert_eq!(value(after, "UID"), value(before, "UID"));
    let sequence = |event| value(event, "SEQUENCE").parse::<u32>().unwrap();
    assert!(sequence(after) > sequence(before));
}

#[test]
fn utc_and_bare_offsets_use_utc_times_and_a_fixed_zone_one_standard() {
    let starts = "2026-06-15T14:00:00Z".parse().unwrap();
    let ends = "2026-06-15T15:00:00Z".parse().unwrap();
    for utc in [
        TimeZone::UTC,
        zone("Etc/UTC"),
        TimeZone::fixed(jiff::tz::offset(5)),
    ] {
        let ics = Invitation {
            starts_at: starts,
            ends_at: ends,
            ..invitation(&utc, "2026-06-15T14:00", "2026-06-15T15:00")
        }
        .render();
        assert!(!ics.contains("VTIMEZONE"), "{ics}");
        assert!(!ics.contains("TZID"), "{ics}");
        assert!(ics.contains("\r\nDTSTART:20260615T140000Z\r\n"), "{ics}");
        assert!(ics.contains("\r\nDTEND:20260615T150000Z\r\n"), "{ics}");
    }

    let plus_five = zone("Etc/GMT-5");
    let ics = invitation(&plus_five, "2026-06-15T14:00", "2026-06-15T15:00").render();
    let unfolded = unfold(&ics);
    let calendar = read_calendar(&unfolded).unwrap();
    let vtimezone = only(&calendar.components, "VTIMEZONE");
    assert_eq!(value(vtimezone, "TZID"), "Etc/GMT-5");
    let [standard] = vtimezone.components.as_slice() else {
        panic!("one observance: {ics}");
    };
    assert_eq!(standard.name, "STANDARD");
    assert_eq!(value(standard, "TZOFFSETFROM"), "+0500");
    assert_eq!(value(standard, "TZOFFSETTO"), "+0500");
    let event = only(&calendar.components, "VEVENT");
    assert_eq!(value(event, "DTSTART"), "20260615T140000");
}

#[test]
fn control_characters_cannot_inject_lines_or_parameters() {
    let amsterdam = zone("Europe/Amsterdam");
    let ics = Invitation {
        uid: "a@b\r\nMETHOD:CANCEL",
        summary: "Visit\r\nATTENDEE:mailto:evil@example.com\u{0}\u{7f}\u{85}\ttoday",
        organizer: ("Tend \"Heating\"\r\n;X=1", "desk@tend.example\r\nX:1"),
        ..invitation(&amsterdam, "2026-06-15T14:00", "2026-06-15T15:00")
    }
    .render();
    assert_lines(&ics);
    let unfolded = unfold(&ics);
    let calendar = read_calendar(&unfolded).unwrap();
    let event = only(&calendar.components, "VEVENT");
    assert_eq!(value(event, "UID"), "a@b\nMETHOD:CANCEL");
    assert_eq!(
        value(event, "SUMMARY"),
        "Visit\nATTENDEE:mailto:evil@example.com today"
    );
    assert_eq!(
        param(event, "ORGANIZER", "CN").as_deref(),
        Some("Tend 'Heating' ;X=1")
    );
    assert_eq!(value(event, "ORGANIZER"), "mailto:desk@tend.exampleX:1");
    assert_eq!(
        event
            .properties
            .iter()
            .filter(|p| p.name == "ATTENDEE")
            .count(),
        1
    );
    assert_eq!(top(&calendar, "METHOD"), "REQUEST");
}

/// What the parser should give back for `text`: control characters
/// dropped, line breaks as `\n`, tabs as spaces.
fn cleaned(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace(['\r'], "\n")
        .replace('\t', " ")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

/// Text with many characters that need care, and anything else.
fn hostile_text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        4 => any::<char>(),
        1 => prop::sample::select(vec![
            '\r', '\n', '\t', '\0', '\u{7f}', '\u{85}', ';', ',', '\\', ':', '"', ' ', 'é',
            '老', '😀', '\u{2028}', '\u{feff}',
        ]),
    ];
    prop::collection::vec(c, 0..300).prop_map(String::from_iter)
}

proptest! {
    #[test]
    fn any_text_reads_back_cleaned_in_short_lines(
        summary in hostile_text(),
        description in hostile_text(),
        location in hostile_text(),
        name in hostile_text(),
    ) {
        let amsterdam = zone("Europe/Amsterdam");
        let ics = Invitation {
            summary: &summary,
            description: &description,
            location: Some(&location),
            attendee: Some((&name, "ada@example.com")),
            ..invitation(&amsterdam, "2026-10-25T01:30", "2026-10-25T03:30")
        }
        .render();
        assert_lines(&ics);
        let unfolded = unfold(&ics);
        let calendar = read_calendar(&unfolded).unwrap();
        let event = only(&calendar.components, "VEVENT");
        prop_assert_eq!(value(event, "SUMMARY"), cleaned(&summary));
        prop_assert_eq!(value(event, "DESCRIPTION"), cleaned(&description));
        prop_assert_eq!(value(event, "LOCATION"), cleaned(&location));
        let name = cleaned(&name).replace('\n', " ").replace('"', "'");
        prop_assert_eq!(
            param(event, "ATTENDEE", "CN"),
            (!name.is_empty()).then_some(name)
        );
        prop_assert_eq!(value(event, "ATTENDEE"), "mailto:ada@example.com");
        prop_assert_eq!(value(event, "DTSTART"), "20261025T013000");
    }
}

/// The Python that Debian's `python3-icalendar` is installed for (another
/// `python3`, such as pyenv's, may come first on the PATH).
fn python() -> &'static str {
    if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// Whether Python's `icalendar` can be run. Under CI it must be.
fn python_icalendar() -> bool {
    let available = Command::new(python())
        .args(["-c", "import icalendar"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !available {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "python3 with the icalendar package is needed (apt-get install python3-icalendar)"
        );
        eprintln!("notice: python3 with icalendar is missing; the Python reading is not checked");
    }
    available
}

const PYTHON_READER: &str = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.read())
event = next(iter(cal.walk('VEVENT')))
start, end = event['DTSTART'].dt, event['DTEND'].dt
zone = start.tzinfo
print(json.dumps({
    'method': str(cal['METHOD']),
    'zone': getattr(zone, 'zone', None) or getattr(zone, 'key', None) or str(zone),
    'start': start.replace(tzinfo=None).isoformat(),
    'end': end.replace(tzinfo=None).isoformat(),
    'start_offset': start.utcoffset().total_seconds(),
    'end_offset': end.utcoffset().total_seconds(),
    'summary': str(event['SUMMARY']),
    'description': str(event['DESCRIPTION']),
    'timezones': [str(tz['TZID']) for tz in cal.walk('VTIMEZONE')],
}))
"#;

#[test]
fn python_icalendar_reads_the_zone_and_local_times() {
    if !python_icalendar() {
        return;
    }
    let amsterdam = zone("Europe/Amsterdam");
    let invite = Invitation {
        summary: "Boiler; service, \\ check — één 🔔",
        description: "Line one\nLine two; with, commas",
        ..invitation(&amsterdam, "2026-10-25T01:30", "2026-10-25T03:30")
    };
    let mut python = Command::new(python())
        .args(["-c", PYTHON_READER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    python
        .stdin
        .take()
        .unwrap()
        .write_all(invite.render().as_bytes())
        .unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        read,
        serde_json::json!({
            "method": "REQUEST",
            "zone": "Europe/Amsterdam",
            "start": "2026-10-25T01:30:00",
            "end": "2026-10-25T03:30:00",
            "start_offset": 7200.0,
            "end_offset": 3600.0,
            "summary": invite.summary,
            "description": invite.description,
            "timezones": ["Europe/Amsterdam"],
        })
    );
}
