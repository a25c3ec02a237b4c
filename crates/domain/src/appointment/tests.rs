use super::*;
use crate::calendar::WeeklyHours;
use jiff::civil::date;
use jiff::tz::TimeZone;
use proptest::prelude::*;

fn calendar(zone: &str, hours: &str) -> BusinessCalendar {
    BusinessCalendar::new(
        TimeZone::get(zone).unwrap(),
        WeeklyHours::parse(hours).unwrap(),
        [],
    )
}

fn at(zone: &str, y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    date(y, m, d)
        .at(h, min, 0, 0)
        .to_zoned(TimeZone::get(zone).unwrap())
        .unwrap()
        .timestamp()
}

fn kind(window: u16, duration: u16) -> AppointmentTypeDefinition {
    AppointmentTypeDefinition {
        name: "Boiler repair".into(),
        duration_minutes: duration,
        window_minutes: window,
        team_id: None,
        skills: vec![],
        needs_address: true,
        cutoff_hours: 24,
    }
}

fn resource(skills: &[&str]) -> ResourceDefinition {
    ResourceDefinition {
        name: "Sam".into(),
        agent_id: None,
        team_id: None,
        calendar_id: None,
        skills: skills.iter().map(|s| s.to_string()).collect(),
        capacity: 1,
        travel_buffer_minutes: 0,
        active: true,
    }
}

const AMS: &str = "Europe/Amsterdam";

#[test]
fn types_and_resources_are_checked_field_by_field() {
    assert!(kind(120, 60).check().is_ok());
    assert_eq!(
        kind(120, 121).check().unwrap_err().field,
        "duration_minutes"
    );
    assert_eq!(kind(10, 10).check().unwrap_err().field, "window_minutes");
    assert_eq!(
        kind(24 * 60, 60).check().unwrap_err().field,
        "window_minutes"
    );
    let mut bad = kind(120, 60);
    bad.name = "a\nb".into();
    assert_eq!(bad.check().unwrap_err().field, "name");
    assert!(!kind(120, 60).wide_window());
    assert!(kind(240, 60).wide_window());

    let mut r = resource(&[" Gas ", "gas", "Boilers"]).check().unwrap();
    assert_eq!(r.skills, vec!["boilers", "gas"]);
    r.capacity = 0;
    assert_eq!(r.clone().check().unwrap_err().field, "capacity");
    r.capacity = 1;
    r.travel_buffer_minutes = MAX_BUFFER_MINUTES + 1;
    assert_eq!(r.check().unwrap_err().field, "travel_buffer_minutes");
}

#[test]
fn a_resource_does_a_type_with_its_team_and_every_skill() {
    let mut k = kind(120, 60);
    k.skills = vec!["gas".into()];
    assert!(resource(&["gas", "water"]).can_do(&k));
    assert!(!resource(&["water"]).can_do(&k));
    k.team_id = Some(TeamId(3));
    assert!(!resource(&["gas"]).can_do(&k));
    let mut r = resource(&["gas"]);
    r.team_id = Some(TeamId(3));
    assert!(r.can_do(&k));
    r.active = false;
    assert!(!r.can_do(&k));
}

#[test]
fn windows_tile_each_open_period_in_local_time() {
    let cal = calendar(AMS, "mon-fri 08:00-12:00 13:00-17:00");
    // Monday 7 December 2026.
    let from = at(AMS, 2026, 12, 7, 0, 0);
    let to = at(AMS, 2026, 12, 8, 0, 0);
    let windows = cal.windows(from, to, 120);
    let starts: Vec<_> = windows
        .iter()
        .map(|(s, _)| s.to_zoned(TimeZone::get(AMS).unwrap()).hour())
        .collect();
    // 13:00-15:00 and 15:00-17:00 after lunch; 17:00 has no whole window.
    assert_eq!(starts, vec![8, 10, 13, 15]);
    assert!(
        windows
            .iter()
            .all(|(s, e)| e.duration_since(*s).as_hours() == 2)
    );
    // Only whole windows inside [from, to).
    let late = cal.windows(at(AMS, 2026, 12, 7, 9, 0), to, 120);
    assert_eq!(late.len(), 3);
}

#[test]
fn windows_across_a_clock_change_are_as_long_as_they_really_are() {
    let cal = calendar(AMS, "always");
    // Clocks go forward at 02:00 on 29 March 2026: 02:00-04:00 lasts an hour.
    let spring = cal.windows(at(AMS, 2026, 3, 29, 0, 0), at(AMS, 2026, 3, 29, 6, 0), 120);
    let hours: Vec<i64> = spring
        .iter()
        .map(|(s, e)| e.duration_since(*s).as_hours())
        .collect();
    assert_eq!(hours, vec![2, 1, 2]);
    // And back at 03:00 on 25 October 2026: 02:00-04:00 lasts three.
    let autumn = cal.windows(
        at(AMS, 2026, 10, 25, 0, 0),
        at(AMS, 2026, 10, 25, 6, 0),
        120,
    );
    let hours: Vec<i64> = autumn
        .iter()
        .map(|(s, e)| e.duration_since(*s).as_hours())
        .collect();
    assert_eq!(hours, vec![2, 3, 2]);
}

fn availability(capacity: u16, buffer: i64, booked: Vec<(Timestamp, Timestamp)>) -> Availability {
    Availability {
        calendar: calendar(AMS, "mon-fri 08:00-18:00"),
        capacity,
        buffer: SignedDuration::from_mins(buffer),
        booked,
    }
}

#[test]
fn a_booking_and_its_travel_buffer_take_the_windows_they_touch() {
    let day = |h| at(AMS, 2026, 12, 7, h, 0);
    let busy = availability(1, 30, vec![(day(10), day(12))]);
    let slots = free_slots(&[busy], 120, day(0), day(23));
    let starts: Vec<_> = slots
        .iter()
        .map(|s| s.starts_at.to_zoned(TimeZone::get(AMS).unwrap()).hour())
        .collect();
    // 08-10 and 12-14 are within 30 minutes of 10-12.
    assert_eq!(starts, vec![14, 16]);
    let roomy = availability(2, 30, vec![(day(10), day(12))]);
    assert_eq!(free_slots(&[roomy], 120, day(0), day(23)).len(), 5);
}

#[test]
fn slots_count_the_resources_free_and_pick_spreads_the_work() {
    let day = |h| at(AMS, 2026, 12, 7, h, 0);
    let a = availability(1, 0, vec![(day(8), day(10)), (day(14), day(16))]);
    let b = availability(1, 0, vec![(day(8), day(10))]);
    let both = [a, b];
    let slots = free_slots(&both, 120, day(0), day(23));
    assert_eq!(slots[0].starts_at, day(10));
    assert_eq!(slots[0].free, 2);
    // b has fewer visits that day.
    assert_eq!(pick(&both, 120, day(10), day(12)), Some(1));
    // 08-10 is full everywhere; 09-11 is no window of theirs.
    assert_eq!(pick(&both, 120, day(8), day(10)), None);
    assert_eq!(pick(&both, 120, day(9), day(11)), None);
}

#[test]
fn the_cutoff_is_measured_back_from_the_start() {
    let start = at(AMS, 2026, 12, 7, 10, 0);
    assert!(before_cutoff(
        start,
        24,
        start - SignedDuration::from_hours(24)
    ));
    assert!(!before_cutoff(
        start,
        24,
        start - SignedDuration::from_hours(23)
    ));
    assert!(before_cutoff(start, 0, start));
}

proptest! {
    /// However visits are booked, no resource ever holds more than its
    /// capacity in overlapping windows (buffer included), and every slot
    /// offered can be booked.
    #[test]
    fn booking_what_is_offered_never_overbooks(
        capacity in 1u16..3,
        buffer in 0i64..90,
        width in prop::sample::select(vec![60u16, 120, 180]),
        choices in prop::collection::vec(any::<prop::sample::Index>(), 1..40),
    ) {
        let from = at(AMS, 2026, 12, 7, 0, 0);
        let to = at(AMS, 2026, 12, 10, 0, 0);
        let mut resources = vec![
            availability(capacity, buffer, vec![]),
            availability(capacity, buffer, vec![]),
        ];
        for choice in choices {
            let slots = free_slots(&resources, width, from, to);
            if slots.is_empty() {
                break;
            }
            let slot = slots[choice.index(slots.len())];
            let i = pick(&resources, width, slot.starts_at, slot.ends_at);
            prop_assert!(i.is_some(), "an offered slot could not be booked");
            let booked = &mut resources[i.unwrap()].booked;
            booked.push((slot.starts_at, slot.ends_at));
            booked.sort();
        }
        for r in &resources {
            for (i, &(s, e)) in r.booked.iter().enumerate() {
                // Each booking would still be allowed beside all the others.
                let mut others = r.clone();
                others.booked.remove(i);
                prop_assert!(others.fits(s, e));
            }
        }
    }

    /// Walking any sequence of steps, a final status accepts none, and
    /// only an offered appointment can be booked.
    #[test]
    fn the_visit_state_machine_holds(steps in prop::collection::vec(prop::sample::select(Step::ALL.to_vec()), 0..20)) {
        let mut status = AppointmentStatus::Offered;
        for step in steps {
            match step.from(status) {
                Ok(next) => {
                    prop_assert!(!status.is_final());
                    prop_assert!(step != Step::Book || status == AppointmentStatus::Offered);
                    status = next;
                }
                Err(e) => prop_assert_eq!(e.field, "status"),
            }
        }
    }
}
