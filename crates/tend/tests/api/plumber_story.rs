//! The plumber story, end to end over real SMTP on both backends: Pat
//! reports a leak by email; the agent asks a parts supplier in a side
//! conversation and gets the answer by email; sends a quote, which Pat
//! approves with one click from the email; Pat picks a 2-hour window from
//! the visit link; the day before, a reminder comes with a valid `.ics`;
//! the technician marks "on my way", "arrived" and "done" on the phone
//! page. Pat follows the progress in the portal throughout and never sees
//! the supplier's thread, and the case's effort stays low.

use crate::appointments::{
    event_property, first_after, invite_of, method, offer, offered_starts, post_form, python_reads,
    set_up, visit_links,
};
use crate::email::{eventually, messages, send};
use crate::harness::Backend;
use crate::mail_sink::MailSink;
use crate::portal::body_text;
use crate::quotes::{boiler_quote, confirm, event_kinds, links_in, page, send_quote};
use crate::side_conversations::{answer, effort_index, list, pats_case, portal_for};
use crate::web::{PASSWORD, WebAgent};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::json;
use tend_domain::agent::Role;

crate::both_backends!(the_business_carries_the_leak_to_the_end);

async fn the_business_carries_the_leak_to_the_end(b: Backend) {
    let sink = MailSink::start().await;
    let (t, case) = pats_case(b, &sink).await;
    let (kind, resource) = set_up(&t, 1).await;
    // Sam, the technician, is an agent with the phone page.
    t.agent_with_password("sam@example.com", "Sam", Role::Agent, PASSWORD)
        .await;
    let sam = list(&t, "/api/v1/agents")
        .await
        .into_iter()
        .find(|a| a["email"] == "sam@example.com")
        .unwrap()["id"]
        .clone();
    let mut definition = t.get(&format!("/api/v1/resources/{resource}")).await.body;
    let object = definition.as_object_mut().unwrap();
    for generated in ["id", "created_at", "updated_at"] {
        object.remove(generated);
    }
    object.insert("agent_id".into(), sam);
    let r = t
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/resources/{resource}"),
            Some(&t.admin),
            Some(definition),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // 1. The agent asks the supplier; the answer comes back by email.
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/side_conversations"),
            json!({"to": ["parts@supplier.example"], "subject": "Parts for the leak",
                   "body": "Do you have a 15 mm valve? marker-supplier-ask"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let side = r.body["id"].as_i64().unwrap();
    sink.wait_for("marker-supplier-ask").await;
    let path = format!("/api/v1/side_conversations/{side}/messages");
    let asked = list(&t, &path).await;
    send(
        &t,
        "parts@supplier.example",
        "support@example.com",
        answer(
            "parts@supplier.example",
            "valve-1@supplier.example",
            &asked[0]["email"]["message_id"],
            "In stock at 18.50, delivery Thursday. marker-supplier-answer",
        ),
    )
    .await
    .unwrap();
    eventually("the supplier's answer", || async {
        (list(&t, &path).await.len() == 2).then_some(())
    })
    .await;
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/tasks"),
            json!({"title": "Parts ordered", "owner_kind": "third_party", "owner_name": "Supplier Ltd"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // 2. A quote; Pat approves it with one click (and a confirm) from the email.
    send_quote(&t, case, boiler_quote()).await;
    let mail = sink.wait_for("Content-Type: application/pdf").await;
    let links = links_in(&body_text(mail.data.as_bytes()), &t.base);
    let (status, html) = confirm(&t, &links[0], "").await;
    assert_eq!(status, StatusCode::OK, "{html}");

    // 3. The visit: Pat picks a 2-hour window from the emailed link.
    let visit = offer(&t, case, kind).await;
    let id = visit["id"].as_i64().unwrap();
    let mail = sink.wait_for("/visit/").await;
    let link = visit_links(&body_text(mail.data.as_bytes()), &t.base)
        .pop()
        .unwrap();
    let (_, html) = page(&t, &link).await;
    let pick = first_after(&offered_starts(&html), 48);
    let (status, html) = post_form(
        &t,
        &link,
        &[("starts_at", &pick), ("address", "Canal Street 4")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let booked = t.get(&format!("/api/v1/appointments/{id}")).await.body;
    let window = booked["ends_at"]
        .as_str()
        .unwrap()
        .parse::<Timestamp>()
        .unwrap()
        .duration_since(pick.parse().unwrap());
    assert_eq!(window, SignedDuration::from_hours(2));

    // Pat's portal shows the progress, the quote and the visit, never the
    // supplier's thread.
    let mut portal = portal_for(&t, &sink, "pat@home.example").await;
    let mine = portal.get(&format!("/portal/cases/{case}")).await;
    assert_eq!(mine.status, StatusCode::OK);
    for shown in ["Parts ordered", "Your visits", "Boiler repair", "approved"] {
        assert!(mine.html.contains(shown), "{shown} in the portal");
    }
    for hidden in ["marker-supplier", "supplier.example", "Supplier Ltd"] {
        assert!(
            !mine.html.contains(hidden),
            "{hidden} shown to the customer"
        );
    }

    // 4. The day before: a reminder with a valid invitation.
    let start = pick.parse::<Timestamp>().unwrap();
    t.store
        .clock()
        .advance(start.duration_since(t.store.clock().now()) - SignedDuration::from_hours(20));
    let reminder = sink.wait_for("A reminder").await;
    assert_eq!(reminder.recipients[0], "pat@home.example");
    assert!(reminder.data.contains("invite.ics"), "{}", reminder.data);
    let thread = messages(&t, case).await;
    let ics = invite_of(&t, thread.last().unwrap()).await;
    assert_eq!(method(&ics), "REQUEST");
    let uid = event_property(&ics, "UID").0;
    if let Some(read) = python_reads(&ics) {
        assert!(
            read.starts_with(&format!("REQUEST {uid} 1 Europe/Amsterdam")),
            "{read}"
        );
    }

    // 5. On the day, Sam works from the phone page.
    t.store.clock().advance(SignedDuration::from_hours(20));
    let mut sam = WebAgent::signed_in(&t, "sam@example.com").await;
    let today = sam.get("/visits").await;
    assert_eq!(today.status, StatusCode::OK, "{}", today.html);
    assert!(today.html.contains("Canal Street 4"), "{}", today.html);
    let csrf = today.csrf();
    let progress = format!("/visits/{id}/progress");
    for form in [
        vec![
            ("csrf", csrf.as_str()),
            ("step", "on_the_way"),
            ("minutes", "20"),
        ],
        vec![("csrf", csrf.as_str()), ("step", "arrive")],
        vec![("csrf", csrf.as_str()), ("step", "done")],
    ] {
        let r = sam.post(&progress, &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{form:?}: {}", r.html);
        assert_eq!(r.location(), "/visits");
    }
    sink.wait_for("is on the way").await;
    let kinds = event_kinds(&t, case).await;
    for kind in [
        "side_conversation_started",
        "quote_approved",
        "appointment_booked",
        "appointment_reminded",
        "technician_on_the_way",
        "technician_arrived",
        "promise_kept",
        "appointment_done",
    ] {
        assert!(kinds.contains(&kind.into()), "{kind} in {kinds:?}");
    }
    assert!(!kinds.contains(&"promise_broken".into()), "{kinds:?}");

    // Pat never got the supplier's thread by email either.
    for got in sink.received() {
        if got.recipients.contains(&"pat@home.example".to_owned()) {
            assert!(!got.data.contains("marker-supplier"), "{}", got.data);
        }
    }

    // 6. What it cost Pat: one contact, answered at once; no chasers, no
    // pushed work, no wide window, no broken promise: an index of 0 (the
    // same story where Pat does the coordinating scores high, see
    // `effort::the_plumber_story_is_high_effort_with_every_driver_named`).
    let effort = t.get(&format!("/api/v1/cases/{case}/effort")).await.body;
    assert_eq!(effort["level"], "low", "{effort}");
    assert_eq!(effort_index(&t, case).await, 0, "{effort}");
    assert_eq!(effort["lines"], json!([]), "{effort}");
    assert_eq!(effort["tally"]["contacts"], 1, "{effort}");
}
