//! Appointments: an admin sets up a calendar, a visit type and a
//! technician; an agent offers a visit on Ann's emailed case; Ann takes
//! the link out of the email, picks a 2-hour window and gets a
//! confirmation with a calendar invitation that the `icalendar` crate and
//! Python's `icalendar` both read; she moves it before the cut-off, not
//! after; the business moves it only with a reason (a broken promise);
//! the day-before reminder, "on the way", arrival and done follow, each a
//! case event. Two customers taking the last window at once: one wins.
//! Windows across a clock change are as long as they really are, and a
//! link from another visit is refused.

use crate::harness::{Backend, TestServer};
use crate::mail_sink::MailSink;
use crate::portal::body_text;
use crate::quotes::{anns_case, event_kinds, page};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::both_backends!(
    ann_books_a_window_from_the_email_and_gets_an_invitation,
    the_cutoff_and_the_business_reason_are_enforced,
    reminder_on_the_way_arrival_and_done_are_events,
    two_customers_taking_the_last_window_one_wins,
    windows_across_a_clock_change_and_setup_errors,
);

/// The set-up: a calendar open every day 08:00–18:00 in Amsterdam, a
/// "Boiler repair" type (2-hour windows, an address needed, 24-hour
/// cut-off) and Sam, who takes one visit per window.
pub async fn set_up(t: &TestServer, capacity: u16) -> (i64, i64) {
    let calendar = t
        .post(
            "/api/v1/calendars",
            json!({"name": "Field", "time_zone": "Europe/Amsterdam", "hours": "mon-sun 08:00-18:00"}),
        )
        .await;
    assert_eq!(calendar.status, StatusCode::CREATED, "{}", calendar.body);
    let kind = t
        .post(
            "/api/v1/appointment_types",
            json!({"name": "Boiler repair", "duration_minutes": 60, "needs_address": true}),
        )
        .await;
    assert_eq!(kind.status, StatusCode::CREATED, "{}", kind.body);
    let doc = t.get("/api/v1/openapi.json").await.body;
    crate::openapi::check(&doc, "/api/v1/appointment_types", "post", 201, &kind.body);
    assert_eq!(kind.body["window_minutes"], 120);
    assert_eq!(kind.body["cutoff_hours"], 24);
    let resource = t
        .post(
            "/api/v1/resources",
            json!({"name": "Sam", "calendar_id": calendar.id(), "capacity": capacity}),
        )
        .await;
    assert_eq!(resource.status, StatusCode::CREATED, "{}", resource.body);
    crate::openapi::check(&doc, "/api/v1/resources", "post", 201, &resource.body);
    (kind.id(), resource.id())
}

/// Offers a visit of `kind` on `case`.
pub async fn offer(t: &TestServer, case: i64, kind: i64) -> Value {
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/appointments"),
            json!({"type_id": kind}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "offered");
    r.body
}

/// The visit page links (paths) in a text.
pub fn visit_links(text: &str, base: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|w| w.strip_prefix(base))
        .filter(|path| path.starts_with("/visit/"))
        .map(|p| p.trim_end_matches(['.', ',']).to_owned())
        .collect()
}

/// The visit link in the latest message on `case` that has one.
pub async fn visit_link(t: &TestServer, case: i64) -> String {
    let messages = crate::email::messages(t, case).await;
    messages
        .iter()
        .rev()
        .find_map(|m| {
            visit_links(m["body_text"].as_str().unwrap_or(""), &t.base)
                .into_iter()
                .next()
        })
        .expect("a message with the visit's link")
}

pub async fn post_form(t: &TestServer, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = t
        .http
        .post(format!("{}{path}", t.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The window starts offered on a visit's page, in order.
pub fn offered_starts(html: &str) -> Vec<String> {
    html.split("name=\"starts_at\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// Free slots of appointment `id` through the API.
async fn slots(t: &TestServer, id: i64, query: &str) -> Vec<Value> {
    let r = t
        .get(&format!("/api/v1/appointments/{id}/slots{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

/// The text of the `invite.ics` attached to message `message`.
pub async fn invite_of(t: &TestServer, message: &Value) -> String {
    let attachment = message["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["filename"] == "invite.ics")
        .unwrap_or_else(|| panic!("no invite in {message}"));
    let r = t
        .http
        .get(format!(
            "{}/api/v1/attachments/{}",
            t.base, attachment["id"]
        ))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// One property of the first VEVENT, as the `icalendar` crate parses it:
/// its value and its parameters.
pub fn event_property(ics: &str, name: &str) -> (String, Vec<(String, String)>) {
    let unfolded = icalendar::parser::unfold(ics);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
    let event = calendar
        .components
        .iter()
        .find(|c| c.name == "VEVENT")
        .expect("a VEVENT");
    let p = event
        .properties
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no {name} in {ics}"));
    (
        p.val.to_string(),
        p.params
            .iter()
            .map(|param| {
                (
                    param.key.to_string(),
                    param
                        .val
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                )
            })
            .collect(),
    )
}

/// The calendar's METHOD, as the `icalendar` crate parses it.
pub fn method(ics: &str) -> String {
    let unfolded = icalendar::parser::unfold(ics);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
    calendar
        .properties
        .iter()
        .find(|p| p.name == "METHOD")
        .map(|p| p.val.to_string())
        .unwrap_or_default()
}

/// What Python's `icalendar` reads: METHOD, UID, SEQUENCE and the start
/// as zone name and local time. Missing Python fails in CI.
pub fn python_reads(ics: &str) -> Option<String> {
    let script = "import sys, icalendar\n\
        cal = icalendar.Calendar.from_ical(sys.stdin.read())\n\
        ev = [c for c in cal.walk('VEVENT')][0]\n\
        start = ev.decoded('DTSTART')\n\
        print(cal['METHOD'], ev['UID'], ev['SEQUENCE'], start.tzinfo, start.strftime('%Y-%m-%d %H:%M'))\n";
    // Debian's python3-icalendar is installed for /usr/bin/python3, which
    // another python3 (pyenv's) may shadow on the PATH.
    let python = if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let run = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match run {
        Ok(child) => child,
        Err(e) => {
            assert!(std::env::var("CI").is_err(), "python3 is needed in CI: {e}");
            return None;
        }
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("No module named 'icalendar'") {
        assert!(
            std::env::var("CI").is_err(),
            "python3-icalendar is needed in CI"
        );
        return None;
    }
    assert!(out.status.success(), "{stderr}");
    Some(String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

/// `t` in Amsterdam as `YYYY-MM-DD HH:MM`.
fn amsterdam(t: &str) -> String {
    t.parse::<Timestamp>()
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The first offered window starting at least `hours` from now.
pub fn first_after(starts: &[String], hours: i64) -> String {
    let after = Timestamp::now() + SignedDuration::from_hours(hours);
    starts
        .iter()
        .find(|s| s.parse::<Timestamp>().unwrap() > after)
        .expect("a window far enough ahead")
        .clone()
}

async fn ann_books_a_window_from_the_email_and_gets_an_invitation(b: Backend) {
    let sink = MailSink::start().await;
    let (t, case) = anns_case(b, &sink).await;
    let (kind, resource) = set_up(&t, 1).await;
    let visit = offer(&t, case, kind).await;
    let id = visit["id"].as_i64().unwrap();
    let doc = t.get("/api/v1/openapi.json").await.body;
    crate::openapi::check(&doc, "/api/v1/cases/{id}/appointments", "post", 201, &visit);

    // The email asks Ann to pick a window, with a link for this visit only.
    let got = sink.wait_for("/visit/").await;
    assert_eq!(got.recipients[0], "ann@example.org");
    let text = body_text(got.data.as_bytes());
    let link = visit_links(&text, &t.base).pop().expect("a visit link");
    assert_eq!(link, visit_link(&t, case).await);

    // The page lists two weeks of 2-hour windows, by day.
    let (status, html) = page(&t, &link).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Pick a time that suits you"), "{html}");
    let starts = offered_starts(&html);
    assert!(starts.len() >= 5 * 13, "{} windows", starts.len());
    let api = slots(&t, id, "").await;
    assert_eq!(api.len(), starts.len());
    let first = &api[0];
    let length = first["ends_at"]
        .as_str()
        .unwrap()
        .parse::<Timestamp>()
        .unwrap()
        .duration_since(first["starts_at"].as_str().unwrap().parse().unwrap());
    assert_eq!(length, SignedDuration::from_hours(2));

    // No address: refused, nothing booked.
    let pick = first_after(&starts, 48);
    let (status, html) = post_form(&t, &link, &[("starts_at", &pick)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("address"), "{html}");
    assert_eq!(
        t.get(&format!("/api/v1/appointments/{id}")).await.body["status"],
        "offered"
    );

    // Booked, with a promise and a confirmation carrying the invitation.
    let (status, html) = post_form(
        &t,
        &link,
        &[
            ("starts_at", &pick),
            ("address", "Keizersgracht 1, Amsterdam"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Booked for"), "{html}");
    let booked = t.get(&format!("/api/v1/appointments/{id}")).await.body;
    assert_eq!(booked["status"], "booked");
    assert_eq!(booked["starts_at"], pick.as_str());
    assert_eq!(booked["resource_id"], resource);
    assert_eq!(booked["address"], "Keizersgracht 1, Amsterdam");
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    let booking = events
        .iter()
        .find(|e| e["data"]["type"] == "appointment_booked")
        .unwrap();
    assert_eq!(booking["actor"]["kind"], "customer");
    assert_eq!(booking["data"]["window_minutes"], 120);
    let promises = t.get(&format!("/api/v1/cases/{case}/promises")).await.body;
    let promise = promises
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["promise"]
                .as_str()
                .unwrap()
                .contains("Boiler repair visit")
        })
        .expect("the visit's promise");
    assert_eq!(promise["from"], pick.as_str());
    assert_eq!(promise["state"], "open");
    assert_eq!(promise["visible_to_customer"], true);

    let mail = sink.wait_for("invite.ics").await;
    assert_eq!(mail.recipients[0], "ann@example.org");
    assert!(mail.data.contains("text/calendar"), "{}", mail.data);
    let messages = crate::email::messages(&t, case).await;
    let confirmation = messages.last().unwrap();
    assert!(
        confirmation["body_text"]
            .as_str()
            .unwrap()
            .contains("Your Boiler repair visit is booked"),
        "{confirmation}"
    );
    let ics = invite_of(&t, confirmation).await;
    assert_eq!(method(&ics), "REQUEST");
    let (uid, _) = event_property(&ics, "UID");
    assert!(uid.starts_with(&format!("appointment-{id}@")), "{uid}");
    let (start, params) = event_property(&ics, "DTSTART");
    assert!(
        params.contains(&("TZID".into(), "Europe/Amsterdam".into())),
        "{params:?}"
    );
    let local = amsterdam(&pick);
    assert_eq!(
        start,
        format!(
            "{}T{}00",
            local[..10].replace('-', ""),
            local[11..].replace(':', "")
        )
    );
    assert_eq!(
        event_property(&ics, "LOCATION").0,
        "Keizersgracht 1, Amsterdam"
    );
    if let Some(python) = python_reads(&ics) {
        assert_eq!(python, format!("REQUEST {uid} 1 Europe/Amsterdam {local}"));
    }

    // Ann moves it herself (well before the cut-off): same UID, next
    // SEQUENCE; her promise is let go, not broken.
    let (_, html) = page(&t, &link).await;
    assert!(html.contains("Move it to another time"), "{html}");
    let later = first_after(&offered_starts(&html), 72);
    let (status, html) = post_form(&t, &link, &[("starts_at", &later)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let moved = t.get(&format!("/api/v1/appointments/{id}")).await.body;
    assert_eq!(moved["starts_at"], later.as_str());
    assert_eq!(moved["sequence"], 2);
    let messages = crate::email::messages(&t, case).await;
    let ics = invite_of(&t, messages.last().unwrap()).await;
    assert_eq!(event_property(&ics, "UID").0, uid);
    assert_eq!(event_property(&ics, "SEQUENCE").0, "2");
    let kinds = event_kinds(&t, case).await;
    assert!(kinds.contains(&"appointment_rescheduled".into()));
    assert!(kinds.contains(&"promise_withdrawn".into()));
    assert!(!kinds.contains(&"promise_broken".into()));

    // A link from another visit, or a changed one, is refused.
    let other = offer(&t, case, kind).await;
    let other_link = visit_link(&t, case).await;
    assert!(other_link.starts_with(&format!("/visit/{}/", other["id"])));
    let signature = other_link.rsplit('/').next().unwrap();
    let (status, _) = page(&t, &format!("/visit/{id}/{signature}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_form(&t, &format!("/visit/{id}/{signature}/cancel"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = page(&t, &format!("/visit/{id}/not*base64")).await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(
        t.get(&format!("/api/v1/appointments/{id}")).await.body["status"],
        "booked"
    );

    // Ann cancels: the calendar gets METHOD:CANCEL for the same UID.
    let (status, html) = post_form(&t, &format!("{link}/cancel"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let messages = crate::email::messages(&t, case).await;
    let ics = invite_of(&t, messages.last().unwrap()).await;
    assert_eq!(method(&ics), "CANCEL");
    assert_eq!(event_property(&ics, "UID").0, uid);
    assert_eq!(event_property(&ics, "STATUS").0, "CANCELLED");
}

/// Books `id` through the API at `starts_at`.
pub async fn book(t: &TestServer, id: i64, starts_at: &str) -> crate::harness::Reply {
    t.post(
        &format!("/api/v1/appointments/{id}/book"),
        json!({"starts_at": starts_at, "address": "Dam 1, Amsterdam"}),
    )
    .await
}

async fn the_cutoff_and_the_business_reason_are_enforced(b: Backend) {
    let t = TestServer::start(b).await;
    let (kind, _) = set_up(&t, 1).await;
    let customer = t.customer("Bob", "bob@example.org").await;
    let case = t.case(customer, "Leaking boiler", "It drips").await;
    let id = offer(&t, case, kind).await["id"].as_i64().unwrap();
    let link = visit_link(&t, case).await;
    let all = slots(&t, id, "").await;
    let starts: Vec<String> = all
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .collect();
    // The agent books on Bob's behalf.
    let pick = first_after(&starts, 48);
    let r = book(&t, id, &pick).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        event_kinds(&t, case)
            .await
            .iter()
            .filter(|k| *k == "appointment_booked")
            .count(),
        1
    );
    // A start that is no window is refused.
    let odd = (pick.parse::<Timestamp>().unwrap() + SignedDuration::from_mins(30)).to_string();
    let r = t
        .post(
            &format!("/api/v1/appointments/{id}/book"),
            json!({"starts_at": odd, "reason": "Sam is ill"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "starts_at"
    );

    // The business moves it only with a reason, which breaks the promise.
    let later = first_after(&starts, 96);
    let r = t
        .post(
            &format!("/api/v1/appointments/{id}/book"),
            json!({"starts_at": later}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "reason"
    );
    let r = t
        .post(
            &format!("/api/v1/appointments/{id}/book"),
            json!({"starts_at": later, "reason": "Sam is ill"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    let moved = events
        .iter()
        .find(|e| e["data"]["type"] == "appointment_rescheduled")
        .unwrap();
    assert_eq!(moved["data"]["reason"], "Sam is ill");
    assert_eq!(moved["actor"]["kind"], "agent");
    assert!(
        event_kinds(&t, case)
            .await
            .contains(&"promise_broken".into())
    );
    let effort = t.get(&format!("/api/v1/cases/{case}/effort")).await.body;
    assert!(effort.to_string().contains("broken_promises"), "{effort}");
    let messages = crate::email::messages(&t, case).await;
    assert!(
        messages.last().unwrap()["body_text"]
            .as_str()
            .unwrap()
            .contains("We are sorry: Sam is ill."),
    );

    // Within 24 hours of the visit Bob can no longer move or cancel it
    // from the link; nothing changes.
    let start = later.parse::<Timestamp>().unwrap();
    let until = start.duration_since(Timestamp::now()) - SignedDuration::from_hours(23);
    t.store.clock().advance(until);
    let (status, html) = page(&t, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("can no longer be changed here"), "{html}");
    assert!(offered_starts(&html).is_empty());
    let (status, html) = post_form(&t, &format!("{link}/cancel"), &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("within 24 hours"), "{html}");
    assert_eq!(
        t.get(&format!("/api/v1/appointments/{id}")).await.body["status"],
        "booked"
    );
    // The business may still call it off, with a reason.
    let r = t
        .post(&format!("/api/v1/appointments/{id}/cancel"), json!({}))
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "reason"
    );
    let r = t
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            json!({"reason": "The part is not in stock"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    // Nothing more can happen to it.
    let r = t
        .post(
            &format!("/api/v1/appointments/{id}/progress"),
            json!({"step": "arrive"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "status"
    );
}

async fn reminder_on_the_way_arrival_and_done_are_events(b: Backend) {
    let t = TestServer::start(b).await;
    let (kind, _) = set_up(&t, 1).await;
    let customer = t.customer("Cleo", "cleo@example.org").await;
    let case = t.case(customer, "No hot water", "Since Monday").await;
    let id = offer(&t, case, kind).await["id"].as_i64().unwrap();
    let starts: Vec<String> = slots(&t, id, "")
        .await
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .collect();
    let pick = first_after(&starts, 72);
    assert_eq!(book(&t, id, &pick).await.status, StatusCode::OK);
    assert!(
        !event_kinds(&t, case)
            .await
            .contains(&"appointment_reminded".into())
    );

    // The day before, the reminder goes out once, with the invitation.
    let start = pick.parse::<Timestamp>().unwrap();
    t.store
        .clock()
        .advance(start.duration_since(Timestamp::now()) - SignedDuration::from_hours(20));
    crate::email::eventually("the reminder", || async {
        event_kinds(&t, case)
            .await
            .contains(&"appointment_reminded".into())
            .then_some(())
    })
    .await;
    let messages = crate::email::messages(&t, case).await;
    let reminder = messages.last().unwrap();
    assert!(
        reminder["body_text"]
            .as_str()
            .unwrap()
            .contains("A reminder"),
        "{reminder}"
    );
    assert_eq!(method(&invite_of(&t, reminder).await), "REQUEST");

    // On the visit's day: on the way (the customer gets the arrival time),
    // arrived within the window (the promise is kept), done.
    t.store
        .clock()
        .advance(SignedDuration::from_hours(20) + SignedDuration::from_mins(10));
    let now = t.store.clock().now();
    let arrival = (now + SignedDuration::from_mins(25)).to_string();
    let r = t
        .post(
            &format!("/api/v1/appointments/{id}/progress"),
            json!({"step": "on_the_way"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "arrival_at"
    );
    let r = t
        .post(
            &format!("/api/v1/appointments/{id}/progress"),
            json!({"step": "on_the_way", "arrival_at": arrival}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "on_the_way");
    let messages = crate::email::messages(&t, case).await;
    let on_the_way = messages.last().unwrap();
    assert!(
        on_the_way["body_text"]
            .as_str()
            .unwrap()
            .contains("is on the way"),
        "{on_the_way}"
    );
    let ics = invite_of(&t, on_the_way).await;
    assert_eq!(event_property(&ics, "SEQUENCE").0, "2");
    for step in ["arrive", "done"] {
        let r = t
            .post(
                &format!("/api/v1/appointments/{id}/progress"),
                json!({"step": step}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.body);
    }
    let kinds = event_kinds(&t, case).await;
    for kind in [
        "appointment_offered",
        "appointment_booked",
        "appointment_reminded",
        "technician_on_the_way",
        "technician_arrived",
        "promise_kept",
        "appointment_done",
    ] {
        assert!(kinds.contains(&kind.into()), "{kind} in {kinds:?}");
    }
    assert_eq!(
        t.get(&format!("/api/v1/appointments/{id}")).await.body["status"],
        "done"
    );
}

async fn two_customers_taking_the_last_window_one_wins(b: Backend) {
    let t = TestServer::start(b).await;
    let (kind, _) = set_up(&t, 1).await;
    let mut links = Vec::new();
    for (name, email) in [("Dan", "dan@example.org"), ("Eve", "eve@example.org")] {
        let customer = t.customer(name, email).await;
        let case = t.case(customer, "Boiler", "Broken").await;
        offer(&t, case, kind).await;
        links.push(visit_link(&t, case).await);
    }
    let (_, html) = page(&t, &links[0]).await;
    let pick = first_after(&offered_starts(&html), 48);
    let form = [("starts_at", pick.as_str()), ("address", "Dam 1")];
    let (a, b2) = tokio::join!(
        post_form(&t, &links[0], &form),
        post_form(&t, &links[1], &form)
    );
    let mut statuses = [a.0, b2.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} / {}",
        a.1,
        b2.1
    );
    let (loser, html) = if a.0 == StatusCode::CONFLICT {
        (&links[0], &a.1)
    } else {
        (&links[1], &b2.1)
    };
    assert!(html.contains("just been taken"), "{html}");
    // The window is no longer offered to the one who lost it.
    let (_, html) = page(&t, loser).await;
    assert!(html.contains("Pick a time"), "{html}");
    assert!(!offered_starts(&html).contains(&pick));
}

async fn windows_across_a_clock_change_and_setup_errors(b: Backend) {
    let t = TestServer::start(b).await;
    // Open all night around the spring clock change of 28 March 2027.
    let calendar = t
        .post(
            "/api/v1/calendars",
            json!({"name": "Night", "time_zone": "Europe/Amsterdam", "hours": "always"}),
        )
        .await;
    let kind = t
        .post(
            "/api/v1/appointment_types",
            json!({"name": "Emergency", "duration_minutes": 30, "cutoff_hours": 0}),
        )
        .await
        .id();
    t.post(
        "/api/v1/resources",
        json!({"name": "Night shift", "calendar_id": calendar.id(), "travel_buffer_minutes": 30}),
    )
    .await;
    let customer = t.customer("Fay", "fay@example.org").await;
    let case = t.case(customer, "Burst pipe", "Water everywhere").await;
    let id = offer(&t, case, kind).await["id"].as_i64().unwrap();
    let found = slots(
        &t,
        id,
        "?from=2027-03-28T00:00:00%2B01:00&to=2027-03-28T06:00:00%2B02:00",
    )
    .await;
    let hours: Vec<i64> = found
        .iter()
        .map(|s| {
            let start: Timestamp = s["starts_at"].as_str().unwrap().parse().unwrap();
            let end: Timestamp = s["ends_at"].as_str().unwrap().parse().unwrap();
            end.duration_since(start).as_hours()
        })
        .collect();
    // 00–02, 02–04 (an hour: 02:00–03:00 does not exist), 04–06.
    assert_eq!(hours, vec![2, 1, 2], "{found:?}");
    // Booking the short window takes it and, with the 30-minute buffer,
    // its neighbours.
    let short = found[1]["starts_at"].as_str().unwrap();
    let r = t
        .post(
            &format!("/api/v1/appointments/{id}/book"),
            json!({"starts_at": short}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let other = offer(&t, case, kind).await["id"].as_i64().unwrap();
    let left = slots(
        &t,
        other,
        "?from=2027-03-28T00:00:00%2B01:00&to=2027-03-28T06:00:00%2B02:00",
    )
    .await;
    assert!(left.is_empty(), "{left:?}");

    // Set-up errors name their field; agents may not set up.
    for (body, field) in [
        (
            json!({"name": "X", "duration_minutes": 180}),
            "duration_minutes",
        ),
        (
            json!({"name": "X", "duration_minutes": 60, "window_minutes": 5}),
            "window_minutes",
        ),
        (json!({"name": "", "duration_minutes": 60}), "name"),
        (
            json!({"name": "X", "duration_minutes": 60, "team_id": 999}),
            "team_id",
        ),
    ] {
        let r = t.post("/api/v1/appointment_types", body).await;
        assert_eq!(
            r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            field
        );
    }
    let r = t
        .post(
            "/api/v1/resources",
            json!({"name": "Y", "calendar_id": 999}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "calendar_id"
    );
    let r = t
        .post("/api/v1/resources", json!({"name": "Night shift"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let agent = t
        .agent_token("agent@example.com", tend_domain::agent::Role::Agent)
        .await;
    let r = t
        .send(
            reqwest::Method::POST,
            "/api/v1/appointment_types",
            Some(&agent),
            Some(json!({"name": "Z", "duration_minutes": 60})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Searching more than 31 days at once is refused; unknown visits are 404.
    let r = t
        .get(&format!(
            "/api/v1/appointments/{id}/slots?from=2027-03-01T00:00:00Z&to=2027-05-01T00:00:00Z"
        ))
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "to"
    );
    assert_eq!(
        t.get("/api/v1/appointments/999999").await.status,
        StatusCode::NOT_FOUND
    );
}
