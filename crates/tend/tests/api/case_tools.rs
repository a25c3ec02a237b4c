//! The case page's tools over HTTP, web forms and API alike: promises (due
//! time in the agent's zone, kept or broken) and channel switches, snoozing
//! (out of the working views until the store's clock passes the time, back
//! when the customer writes), following, related cases and splitting
//! messages off into a new case; with their refusals, CSRF and role checks.
//! Then the proof in Chromium: a promise and a call recorded from
//! the case page, and a split.

use crate::browser::Browser;
use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, Page, WebAgent};
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tend_domain::agent::Role;
use tend_domain::case::Channel;
use tend_domain::event::Actor;
use tend_domain::ids::{CaseId, CustomerId};
use tend_store::messages::NewMessage;

crate::both_backends!(
    promises_and_channel_switches_are_recorded_from_the_case_page,
    snoozed_cases_leave_the_working_views_until_their_time,
    a_customer_message_ends_a_snooze,
    following_is_per_agent,
    related_cases_are_linked_on_both_logs,
    splitting_moves_the_ticked_messages_to_a_new_case,
    case_tools_need_the_csrf_token_a_working_role_and_a_case,
);

/// A server with agents Ann and Bob, light agent Lee and customer Cora with
/// the case "Printer jam" assigned to Ann; answers the customer and case.
async fn server(b: Backend) -> (TestServer, i64, i64) {
    let t = TestServer::start(b).await;
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    t.agent_with_password("bob@example.com", "Bob Agent", Role::Agent, PASSWORD)
        .await;
    t.agent_with_password("lee@example.com", "Lee Light", Role::LightAgent, PASSWORD)
        .await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let case = t.case(cora, "Printer jam", "It jams on every page.").await;
    let ann = agent_id(&t, "ann@example.com").await;
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"assignee_id": ann}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (t, cora, case)
}

/// The id of the agent with `email`.
pub async fn agent_id(t: &TestServer, email: &str) -> i64 {
    t.get("/api/v1/agents")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Posts `fields` to `path` with the CSRF token of case `case`'s page.
async fn post(web: &mut WebAgent, case: i64, path: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = web.get(&format!("/cases/{case}")).await.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    web.post(path, &all).await
}

/// Posts and expects the redirect back to the case.
async fn done(web: &mut WebAgent, case: i64, path: &str, fields: &[(&str, &str)]) {
    let page = post(web, case, path, fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.html);
    assert_eq!(page.location(), format!("/cases/{case}"));
}

/// Posts and expects the case page again with a 422 and its error.
async fn refused(web: &mut WebAgent, case: i64, path: &str, fields: &[(&str, &str)]) -> String {
    let page = post(web, case, path, fields).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{path} {fields:?}: {}",
        page.html
    );
    assert!(page.html.contains("class=\"error\""), "{}", page.html);
    page.html
}

async fn events(t: &TestServer, case: i64) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{case}/events")).await
}

fn of_type(events: &[Value], kind: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["data"]["type"] == kind)
        .map(|e| e["data"].clone())
        .collect()
}

/// `at` as a `datetime-local` value in a zone `offset_minutes` east of UTC.
fn local(at: Timestamp, offset_minutes: i32) -> String {
    let zone =
        jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(offset_minutes * 60).unwrap());
    at.to_zoned(zone).strftime("%Y-%m-%dT%H:%M").to_string()
}

/// The ids of the cases a list page links.
fn listed(page: &Page, case: i64) -> bool {
    page.html.contains(&format!("href=\"/cases/{case}\""))
}

async fn promises_and_channel_switches_are_recorded_from_the_case_page(b: Backend) {
    let (t, _, case) = server(b).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let path = format!("/cases/{case}/promise");
    // Due in two days at 09:30 in the agent's zone (+01:00): 08:30 UTC.
    let day = (Timestamp::now() + SignedDuration::from_hours(48))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let due_local = format!("{day}T09:30");
    done(
        &mut web,
        case,
        &path,
        &[
            ("promise", "A technician calls back"),
            ("due", &due_local),
            ("tz_offset", "60"),
        ],
    )
    .await;
    let made = of_type(&events(&t, case).await, "promise_made");
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["promise"], "A technician calls back");
    assert_eq!(made[0]["due_at"], format!("{day}T08:30:00Z"));
    // Without the script's offset the time is read as UTC.
    done(
        &mut web,
        case,
        &path,
        &[("promise", "Refund by Friday"), ("due", &due_local)],
    )
    .await;
    let made = of_type(&events(&t, case).await, "promise_made");
    assert_eq!(made[1]["due_at"], format!("{day}T09:30:00Z"));
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html.contains("class=\"open-promises\""),
        "{}",
        page.html
    );
    assert!(page.html.contains(&format!(
        "promised “A technician calls back” by {day} 08:30 UTC"
    )));

    // Kept and broken, from the open promises' buttons.
    let outcome = format!("/cases/{case}/promise/outcome");
    done(
        &mut web,
        case,
        &outcome,
        &[("promise", "A technician calls back"), ("outcome", "kept")],
    )
    .await;
    done(
        &mut web,
        case,
        &outcome,
        &[("promise", "Refund by Friday"), ("outcome", "broken")],
    )
    .await;
    let all = events(&t, case).await;
    assert_eq!(of_type(&all, "promise_kept").len(), 1);
    assert_eq!(of_type(&all, "promise_broken").len(), 1);
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(!page.html.contains("class=\"open-promises\""));
    assert!(
        page.html
            .contains("kept the promise “A technician calls back”")
    );
    assert!(page.html.contains("1 promise broken"), "the summary line");

    // Refusals write nothing.
    let before = events(&t, case).await.len();
    let past = local(Timestamp::now() - SignedDuration::from_hours(1), 0);
    let long = "x".repeat(1001);
    for fields in [
        vec![("promise", "Call back"), ("due", past.as_str())],
        vec![("promise", " "), ("due", due_local.as_str())],
        vec![("promise", long.as_str()), ("due", due_local.as_str())],
        vec![("promise", "Call back"), ("due", "tomorrow-ish")],
        vec![("promise", "Call back"), ("due", "")],
        vec![
            ("promise", "Call back"),
            ("due", due_local.as_str()),
            ("tz_offset", "east"),
        ],
    ] {
        refused(&mut web, case, &path, &fields).await;
    }
    let html = refused(
        &mut web,
        case,
        &outcome,
        &[("promise", "Never promised"), ("outcome", "kept")],
    )
    .await;
    assert!(html.contains("no open promise"), "{html}");
    refused(
        &mut web,
        case,
        &outcome,
        &[("promise", "Refund by Friday"), ("outcome", "maybe")],
    )
    .await;

    // A channel switch, and its refusals.
    let switch = format!("/cases/{case}/channel-switch");
    done(
        &mut web,
        case,
        &switch,
        &[("from", "email"), ("to", "phone")],
    )
    .await;
    refused(
        &mut web,
        case,
        &switch,
        &[("from", "phone"), ("to", "phone")],
    )
    .await;
    refused(&mut web, case, &switch, &[("from", "fax"), ("to", "phone")]).await;
    let all = events(&t, case).await;
    assert_eq!(all.len(), before + 1, "only the good switch was recorded");
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html
            .contains("noted the customer moved from email to phone")
    );

    // The API checks promises the same way.
    let api = format!("/api/v1/cases/{case}/events");
    let r = t
        .post(
            &api,
            json!({"type": "promise_made", "promise": "x", "due_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "due_at"
    );
    let r = t
        .post(
            &api,
            json!({"type": "promise_kept", "promise": "Never promised"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "promise"
    );
    let r = t
        .post(
            &api,
            json!({"type": "channel_switched", "from": "email", "to": "email"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "to"
    );
}

async fn snoozed_cases_leave_the_working_views_until_their_time(b: Backend) {
    let (t, cora, case) = server(b).await;
    let unassigned = t.case(cora, "Toner low", "Toner.").await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    assert!(listed(&web.get("/views/mine").await, case));
    assert!(!listed(&web.get("/views/snoozed").await, case));

    done(
        &mut web,
        case,
        &format!("/cases/{case}/snooze"),
        &[("preset", "tomorrow"), ("tz_offset", "60")],
    )
    .await;
    let snoozed = of_type(&events(&t, case).await, "snoozed");
    assert_eq!(snoozed.len(), 1);
    let until: Timestamp = snoozed[0]["until"].as_str().unwrap().parse().unwrap();
    assert!(
        until.strftime("%H:%M").to_string() == "08:00",
        "9:00 at +01:00: {until}"
    );
    let api = t.get(&format!("/api/v1/cases/{case}")).await.body;
    assert_eq!(api["snoozed_until"], snoozed[0]["until"]);
    assert!(!listed(&web.get("/views/mine").await, case), "out of Mine");
    assert!(listed(&web.get("/views/snoozed").await, case));
    assert!(
        listed(&web.get("/views/all").await, case),
        "All lists every case"
    );
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("Snoozed until"), "{}", page.html);
    assert!(page.html.contains("snoozed the case until"));

    // An unassigned case snoozed until a chosen time leaves Unassigned.
    let chosen = local(t.store.clock().now() + SignedDuration::from_hours(30), 0);
    done(
        &mut web,
        unassigned,
        &format!("/cases/{unassigned}/snooze"),
        &[("until", &chosen)],
    )
    .await;
    assert!(!listed(&web.get("/views/unassigned").await, unassigned));

    // Two days on by the store's clock, both are back and nothing is snoozed.
    t.store.clock().advance(SignedDuration::from_hours(48));
    assert!(listed(&web.get("/views/mine").await, case), "back in Mine");
    assert!(listed(&web.get("/views/unassigned").await, unassigned));
    let snoozed_view = web.get("/views/snoozed").await;
    assert!(!listed(&snoozed_view, case) && !listed(&snoozed_view, unassigned));
    assert!(
        !web.get(&format!("/cases/{case}"))
            .await
            .html
            .contains("Snoozed until")
    );

    // Woken early by hand.
    done(
        &mut web,
        case,
        &format!("/cases/{case}/snooze"),
        &[("preset", "4h")],
    )
    .await;
    assert!(!listed(&web.get("/views/mine").await, case));
    done(&mut web, case, &format!("/cases/{case}/snooze/wake"), &[]).await;
    assert!(listed(&web.get("/views/mine").await, case));
    let woken = of_type(&events(&t, case).await, "unsnoozed");
    assert_eq!(
        woken,
        vec![json!({"type": "unsnoozed", "by_customer": false})]
    );

    // Refusals: a past or unreadable time, an unknown preset, waking a case
    // that is not snoozed, snoozing a resolved case; through the API too.
    let snooze = format!("/cases/{case}/snooze");
    let past = local(t.store.clock().now() - SignedDuration::from_hours(1), 0);
    let far = local(
        t.store.clock().now() + SignedDuration::from_hours(24 * 400),
        0,
    );
    for fields in [
        vec![("until", past.as_str())],
        vec![("until", far.as_str())],
        vec![("until", "")],
        vec![("until", "next tuesday")],
        vec![("preset", "someday")],
    ] {
        refused(&mut web, case, &snooze, &fields).await;
    }
    refused(&mut web, case, &format!("/cases/{case}/snooze/wake"), &[]).await;
    let api = format!("/api/v1/cases/{case}/snooze");
    let r = t
        .send(
            Method::PUT,
            &api,
            Some(&t.admin),
            Some(json!({"until": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "until"
    );
    let r = t.send(Method::DELETE, &api, Some(&t.admin), None).await;
    r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let until = (t.store.clock().now() + SignedDuration::from_hours(5)).to_string();
    let r = t
        .send(
            Method::PUT,
            &api,
            Some(&t.admin),
            Some(json!({"until": until})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["snoozed_until"], json!(until));
    let r = t.send(Method::DELETE, &api, Some(&t.admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["snoozed_until"], Value::Null);
    let r = t
        .patch(
            &format!("/api/v1/cases/{case}"),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let html = refused(&mut web, case, &snooze, &[("preset", "tomorrow")]).await;
    assert!(html.contains("resolved or closed"), "{html}");
}

async fn a_customer_message_ends_a_snooze(b: Backend) {
    let (t, cora, case) = server(b).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    done(
        &mut web,
        case,
        &format!("/cases/{case}/snooze"),
        &[("preset", "next_week")],
    )
    .await;
    assert!(!listed(&web.get("/views/mine").await, case));
    // An agent's note leaves the snooze alone; the customer writing ends it.
    let note = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": "Parts ordered.", "internal": true}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    assert!(!listed(&web.get("/views/mine").await, case));
    t.store
        .add_message(
            CaseId(case),
            NewMessage::text(
                Actor::customer(CustomerId(cora)),
                Channel::Email,
                false,
                "Any news?".into(),
            ),
            None,
            None,
        )
        .await
        .unwrap();
    assert!(listed(&web.get("/views/mine").await, case), "back in Mine");
    let all = events(&t, case).await;
    let woken: Vec<&Value> = all
        .iter()
        .filter(|e| e["data"]["type"] == "unsnoozed")
        .collect();
    assert_eq!(woken.len(), 1);
    assert_eq!(woken[0]["data"]["by_customer"], true);
    assert_eq!(woken[0]["actor"]["kind"], "system");
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html
            .contains("Tend ended the snooze: the customer wrote")
    );
    assert_eq!(
        t.get(&format!("/api/v1/cases/{case}")).await.body["snoozed_until"],
        Value::Null
    );
}

async fn following_is_per_agent(b: Backend) {
    let (t, cora, case) = server(b).await;
    let other = t.case(cora, "Paper jam", "Paper.").await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let mut bob = WebAgent::signed_in(&t, "bob@example.com").await;
    assert!(
        ann.get("/views/following")
            .await
            .html
            .contains("You follow no case")
    );
    let page = ann.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains(">Follow</button>"), "{}", page.html);
    done(
        &mut ann,
        case,
        &format!("/cases/{case}/follow"),
        &[("follow", "yes")],
    )
    .await;
    // Following twice is still following once.
    done(
        &mut ann,
        case,
        &format!("/cases/{case}/follow"),
        &[("follow", "yes")],
    )
    .await;
    let following = ann.get("/views/following").await;
    assert!(listed(&following, case) && !listed(&following, other));
    assert!(
        ann.get(&format!("/cases/{case}"))
            .await
            .html
            .contains("Following ✓")
    );
    assert!(
        !listed(&bob.get("/views/following").await, case),
        "per agent"
    );
    assert!(
        bob.get(&format!("/cases/{case}"))
            .await
            .html
            .contains(">Follow</button>")
    );
    refused(
        &mut ann,
        case,
        &format!("/cases/{case}/follow"),
        &[("follow", "maybe")],
    )
    .await;
    done(
        &mut ann,
        case,
        &format!("/cases/{case}/follow"),
        &[("follow", "no")],
    )
    .await;
    assert!(!listed(&ann.get("/views/following").await, case));
    assert!(
        of_type(&events(&t, case).await, "followed").is_empty(),
        "following is not a case event"
    );

    // The API follows as the token's agent.
    let api = format!("/api/v1/cases/{other}/follow");
    let r = t.send(Method::PUT, &api, Some(&t.admin), None).await;
    assert_eq!(r.body, json!({"following": true}));
    let r = t.send(Method::DELETE, &api, Some(&t.admin), None).await;
    assert_eq!(r.body, json!({"following": false}));
    let r = t
        .send(
            Method::PUT,
            "/api/v1/cases/9999/follow",
            Some(&t.admin),
            None,
        )
        .await;
    r.error(StatusCode::NOT_FOUND, "not_found");
}

async fn related_cases_are_linked_on_both_logs(b: Backend) {
    let (t, cora, case) = server(b).await;
    let other = t.case(cora, "Paper jam", "Paper.").await;
    let third = t.case(cora, "Toner low", "Toner.").await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let link = format!("/cases/{case}/related");
    done(&mut web, case, &link, &[("case", &format!("#{other}"))]).await;
    assert_eq!(
        of_type(&events(&t, case).await, "related_linked"),
        vec![json!({"type": "related_linked", "case_id": other})]
    );
    assert_eq!(
        of_type(&events(&t, other).await, "related_linked"),
        vec![json!({"type": "related_linked", "case_id": case})]
    );
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html.contains("class=\"related-cases\""),
        "{}",
        page.html
    );
    assert!(page.html.contains(&format!("#{other} Paper jam")));
    assert!(page.html.contains(&format!("linked related case #{other}")));
    let theirs = web.get(&format!("/cases/{other}")).await;
    assert!(theirs.html.contains(&format!("#{case} Printer jam")));

    // Refusals: itself, an unknown case, a link that exists, not a number.
    for raw in [
        format!("#{case}"),
        "#9999".into(),
        format!("{other}"),
        "soon".into(),
    ] {
        refused(&mut web, case, &link, &[("case", &raw)]).await;
    }

    // The API lists, links and unlinks.
    let api = format!("/api/v1/cases/{case}/related");
    let r = t.post(&api, json!({"case_id": third})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ids: Vec<i64> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![other, third]);
    let r = t.post(&api, json!({"case_id": case})).await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "case_id"
    );
    let r = t
        .send(
            Method::DELETE,
            &format!("{api}/{third}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    let r = t
        .send(
            Method::DELETE,
            &format!("{api}/{third}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "case_id"
    );
    let r = t
        .send(Method::DELETE, &format!("{api}/x"), Some(&t.admin), None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // Unlinked from the page: both logs say so, and the list empties.
    done(
        &mut web,
        case,
        &format!("/cases/{case}/related/{other}/unlink"),
        &[],
    )
    .await;
    assert_eq!(
        of_type(&events(&t, other).await, "related_unlinked"),
        vec![json!({"type": "related_unlinked", "case_id": case})]
    );
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("No related cases."));
    assert!(
        page.html
            .contains(&format!("unlinked related case #{other}"))
    );
    refused(
        &mut web,
        case,
        &format!("/cases/{case}/related/{other}/unlink"),
        &[],
    )
    .await;
    assert_eq!(t.get(&api).await.body, json!([]));
}

/// Adds an agent reply to `case` with a file; answers the message id.
async fn reply_with_file(t: &TestServer, case: i64, body: &str) -> i64 {
    let r = t
        .post(
            &format!("/api/v1/cases/{case}/messages"),
            json!({"body": body, "attachments": [{"filename": "photo.txt", "content_base64": "aGVsbG8="}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

fn message_ids(messages: &[Value]) -> Vec<i64> {
    messages.iter().map(|m| m["id"].as_i64().unwrap()).collect()
}

async fn splitting_moves_the_ticked_messages_to_a_new_case(b: Backend) {
    let (t, cora, case) = server(b).await;
    let first = message_ids(&t.all(&format!("/api/v1/cases/{case}/messages")).await)[0];
    let second = reply_with_file(&t, case, "Also: the scanner is broken?").await;
    let third = reply_with_file(&t, case, "Back to the printer.").await;
    let elsewhere = t.case(cora, "Paper jam", "Paper.").await;
    let stray = message_ids(&t.all(&format!("/api/v1/cases/{elsewhere}/messages")).await)[0];
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html
            .contains(&format!("name=\"message\" value=\"{second}\"")),
        "{}",
        page.html
    );

    // Refusals first: nothing moves.
    let split = format!("/cases/{case}/split");
    let (s1, s2, s3, s4) = (
        first.to_string(),
        second.to_string(),
        third.to_string(),
        stray.to_string(),
    );
    let many: Vec<(&str, &str)> = std::iter::repeat_n(("message", s2.as_str()), 102)
        .chain([("subject", "Many")])
        .collect();
    for fields in [
        vec![("subject", "Scanner")],
        vec![
            ("message", s1.as_str()),
            ("message", s2.as_str()),
            ("message", s3.as_str()),
            ("subject", "All"),
        ],
        vec![("message", s4.as_str()), ("subject", "Stray")],
        vec![("message", "two"), ("subject", "Bad")],
        vec![("message", s2.as_str()), ("subject", " ")],
        many,
    ] {
        refused(&mut web, case, &split, &fields).await;
    }
    assert_eq!(
        t.all(&format!("/api/v1/cases/{case}/messages")).await.len(),
        3
    );

    let page = post(
        &mut web,
        case,
        &split,
        &[("message", &s2), ("subject", "Scanner broken")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let new: i64 = page
        .location()
        .strip_prefix("/cases/")
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(new, case);
    let moved = t.all(&format!("/api/v1/cases/{new}/messages")).await;
    assert_eq!(message_ids(&moved), vec![second]);
    let file = moved[0]["attachments"][0]["id"].as_i64().unwrap();
    let download = web.get(&format!("/attachments/{file}")).await;
    assert_eq!(
        download.html, "hello",
        "the attachment moved with its message"
    );
    assert_eq!(
        message_ids(&t.all(&format!("/api/v1/cases/{case}/messages")).await),
        vec![first, third]
    );
    let new_case = t.get(&format!("/api/v1/cases/{new}")).await.body;
    assert_eq!(new_case["subject"], "Scanner broken");
    assert_eq!(new_case["customer_id"], cora);
    assert_eq!(new_case["message_count"], 1);
    assert_eq!(
        t.get(&format!("/api/v1/cases/{case}")).await.body["message_count"],
        2
    );
    assert_eq!(
        of_type(&events(&t, case).await, "split_into"),
        vec![json!({"type": "split_into", "case_id": new, "message_ids": [second]})]
    );
    assert_eq!(
        of_type(&events(&t, new).await, "split_from"),
        vec![json!({"type": "split_from", "case_id": case, "message_ids": [second]})]
    );
    let page = web.get(&format!("/cases/{new}")).await;
    assert!(page.html.contains(&format!(
        "split this case off #{case}, bringing 1 message(s)"
    )));
    assert!(page.html.contains("Also: the scanner is broken?"));
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(
        page.html
            .contains(&format!("split 1 message(s) off into case #{new}"))
    );
    assert!(!page.html.contains("Also: the scanner is broken?"));

    // The API splits too, with the case's subject by default.
    let api = format!("/api/v1/cases/{case}/split");
    let r = t.post(&api, json!({"message_ids": []})).await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "message_ids"
    );
    let r = t.post(&api, json!({"message_ids": [third]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["new"]["subject"], "Printer jam");
    assert_eq!(r.body["from"]["message_count"], 1);
    let r = t
        .post("/api/v1/cases/9999/split", json!({"message_ids": [first]}))
        .await;
    r.error(StatusCode::NOT_FOUND, "not_found");
    // A closed case keeps its messages.
    let closed = t.case(cora, "Old", "Old one.").await;
    reply_with_file(&t, closed, "Answer").await;
    let r = t
        .patch(
            &format!("/api/v1/cases/{closed}"),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let old = message_ids(&t.all(&format!("/api/v1/cases/{closed}/messages")).await);
    let r = t
        .post(
            &format!("/api/v1/cases/{closed}/split"),
            json!({"message_ids": [old[1]]}),
        )
        .await;
    r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

async fn case_tools_need_the_csrf_token_a_working_role_and_a_case(b: Backend) {
    let (t, cora, case) = server(b).await;
    let other = t.case(cora, "Paper jam", "Paper.").await;
    let message = reply_with_file(&t, case, "Second").await;
    let message = message.to_string();
    let other_ref = format!("#{other}");
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/cases/{case}/promise"),
            vec![("promise", "x"), ("due", "2030-01-01T09:00")],
        ),
        (
            format!("/cases/{case}/promise/outcome"),
            vec![("promise", "x"), ("outcome", "kept")],
        ),
        (
            format!("/cases/{case}/channel-switch"),
            vec![("from", "email"), ("to", "phone")],
        ),
        (
            format!("/cases/{case}/snooze"),
            vec![("preset", "tomorrow")],
        ),
        (format!("/cases/{case}/snooze/wake"), vec![]),
        (format!("/cases/{case}/follow"), vec![("follow", "yes")]),
        (
            format!("/cases/{case}/related"),
            vec![("case", other_ref.as_str())],
        ),
        (format!("/cases/{case}/related/{other}/unlink"), vec![]),
        (
            format!("/cases/{case}/split"),
            vec![("message", message.as_str()), ("subject", "S")],
        ),
    ];
    let before = events(&t, case).await.len();
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let mut lee = WebAgent::signed_in(&t, "lee@example.com").await;
    let lee_page = lee.get(&format!("/cases/{case}")).await;
    assert!(
        lee_page.html.contains("read-only access"),
        "{}",
        lee_page.html
    );
    assert!(
        !lee_page
            .html
            .contains(&format!("action=\"/cases/{case}/snooze\""))
    );
    assert!(
        !lee_page.html.contains("name=\"message\""),
        "no split boxes"
    );
    for (path, fields) in &forms {
        for csrf in [None, Some("wrong")] {
            let mut all = fields.clone();
            all.extend(csrf.map(|c| ("csrf", c)));
            let page = ann.post(path, &all).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} csrf {csrf:?}");
        }
        let page = post(&mut lee, case, path, fields).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "light agent {path}: {}",
            page.html
        );
        let unknown = path.replacen(&format!("/cases/{case}/"), "/cases/9999/", 1);
        let page = post(&mut ann, case, &unknown, fields).await;
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "{unknown}: {}",
            page.html
        );
    }
    assert_eq!(events(&t, case).await.len(), before, "nothing was recorded");
    assert!(!listed(&ann.get("/views/following").await, case));

    let light = t.agent_token("light@example.com", Role::LightAgent).await;
    let api = [
        (
            Method::PUT,
            format!("/api/v1/cases/{case}/snooze"),
            Some(json!({"until": "2030-01-01T00:00:00Z"})),
        ),
        (Method::DELETE, format!("/api/v1/cases/{case}/snooze"), None),
        (Method::PUT, format!("/api/v1/cases/{case}/follow"), None),
        (Method::DELETE, format!("/api/v1/cases/{case}/follow"), None),
        (
            Method::POST,
            format!("/api/v1/cases/{case}/related"),
            Some(json!({"case_id": other})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/cases/{case}/related/{other}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/cases/{case}/split"),
            Some(json!({"message_ids": [1]})),
        ),
    ];
    for (method, path, body) in api {
        t.send(method.clone(), &path, None, body.clone())
            .await
            .error(StatusCode::UNAUTHORIZED, "unauthorized");
        t.send(method.clone(), &path, Some(&light), body.clone())
            .await
            .error(StatusCode::FORBIDDEN, "forbidden");
        let unknown = path.replacen(&format!("/cases/{case}/"), "/cases/9999/", 1);
        t.send(method, &unknown, Some(&t.admin), body)
            .await
            .error(StatusCode::NOT_FOUND, "not_found");
    }
    let r = t
        .send(
            Method::GET,
            &format!("/api/v1/cases/{case}/related"),
            Some(&light),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "light agents read related cases");
    assert_eq!(events(&t, case).await.len(), before);
}

/// Decorates `case` of a `with_case` server so its page shows every tool in
/// use (open promise, related case, snooze banner, split boxes), for the
/// accessibility audit; answers the page's path.
pub async fn case_with_tools_in_use(t: &TestServer, case: i64) -> String {
    let cora = t.get(&format!("/api/v1/cases/{case}")).await.body["customer_id"]
        .as_i64()
        .unwrap();
    let other = t.case(cora, "Scanner broken", "It will not scan.").await;
    reply_with_file(t, case, "We are on it.").await;
    for (method, path, body) in [
        (
            Method::POST,
            format!("/api/v1/cases/{case}/events"),
            Some(
                json!({"type": "promise_made", "promise": "A technician calls back", "due_at": "2030-01-01T09:00:00Z"}),
            ),
        ),
        (
            Method::POST,
            format!("/api/v1/cases/{case}/related"),
            Some(json!({"case_id": other})),
        ),
        (
            Method::PUT,
            format!("/api/v1/cases/{case}/snooze"),
            Some(json!({"until": (Timestamp::now() + SignedDuration::from_hours(20)).to_string()})),
        ),
    ] {
        let r = t.send(method, &path, Some(&t.admin), body).await;
        assert!(r.status.is_success(), "{path}: {}", r.body);
    }
    format!("/cases/{case}")
}

/// The proof: a promise and a phone call recorded from the case
/// page, shown in the timeline and the open promises, kept from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_a_promise_and_a_call_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (t, _, case) = server(Backend::Sqlite).await;
    browser.sign_in(&t, "ann@example.com").await;
    let c = &browser.client;
    c.goto(&format!("{}/cases/{case}", t.base)).await.unwrap();
    browser.click("#record-promise > summary").await;
    browser
        .type_into("#promise-text", "A technician calls back")
        .await;
    // The browser's own zone reads the local time; the script sends its
    // offset, so the stored time is that local time in UTC.
    let due = c
        .execute(
            "const d = new Date(Date.now() + 2 * 86400000); d.setHours(9, 30, 0, 0); \
             const p = (n) => String(n).padStart(2, '0'); \
             const field = document.getElementById('promise-due'); \
             field.value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T09:30`; \
             return d.toISOString();",
            vec![],
        )
        .await
        .unwrap();
    browser.click("#record-promise button[type=submit]").await;
    browser
        .wait_for_text("open-promises", "A technician calls back")
        .await;
    browser
        .wait_for_text("event", "promised “A technician calls back”")
        .await;
    let made = of_type(&events(&t, case).await, "promise_made");
    let stored: Timestamp = made[0]["due_at"].as_str().unwrap().parse().unwrap();
    let expected: Timestamp = due.as_str().unwrap().parse().unwrap();
    assert_eq!(stored, expected);

    // A phone call from the customer, from the same place.
    browser
        .click("#record details.effort-record:nth-of-type(1) > summary")
        .await;
    c.find(fantoccini::Locator::Css(
        "#record form[action$='/effort/contact'] select[name=direction]",
    ))
    .await
    .unwrap()
    .select_by_value("inbound")
    .await
    .unwrap();
    browser
        .type_into("#contact-summary", "Rang to ask when the technician comes.")
        .await;
    browser
        .click("#record form[action$='/effort/contact'] button")
        .await;
    browser
        .wait_for_text("event", "logged a call from the customer")
        .await;
    browser
        .wait_for_text("message-note", "Rang to ask when the technician comes.")
        .await;
    let logged = of_type(&events(&t, case).await, "contact_logged");
    assert_eq!(logged[0]["direction"], "inbound");
    browser.screenshot("case-tools.png").await;

    // Kept, from the open promises.
    browser.click(".promise-outcome button[value=kept]").await;
    browser
        .wait_for_text("event", "kept the promise “A technician calls back”")
        .await;
    assert!(
        c.find(fantoccini::Locator::Css(".open-promises"))
            .await
            .is_err()
    );
}

/// Split in Chromium: tick a message, name the new case, and it opens with
/// that message; then snooze it for tomorrow and find it in "Snoozed".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn splitting_and_snoozing_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (t, _, case) = server(Backend::Sqlite).await;
    let second = reply_with_file(&t, case, "Also: the scanner is broken?").await;
    browser.sign_in(&t, "ann@example.com").await;
    let c = &browser.client;
    c.goto(&format!("{}/cases/{case}", t.base)).await.unwrap();
    browser
        .click(&format!("input[name=message][value='{second}']"))
        .await;
    let subject = browser.wait_for("#split-subject").await;
    subject.clear().await.unwrap();
    subject.send_keys("Scanner broken").await.unwrap();
    browser.click("#split-form button").await;
    browser.wait_for_text("crumbs", "#").await;
    browser
        .wait_for_text("message-reply", "Also: the scanner is broken?")
        .await;
    let title = browser.wait_for("#case-title").await.text().await.unwrap();
    assert_eq!(title, "Scanner broken");
    let url = c.current_url().await.unwrap();
    let new: i64 = url.path().strip_prefix("/cases/").unwrap().parse().unwrap();
    assert_ne!(new, case);

    browser.click("#snooze > summary").await;
    browser.click("#snooze button[value=tomorrow]").await;
    browser
        .wait_for_text("snoozed-banner", "Snoozed until")
        .await;
    let snoozed = of_type(&events(&t, new).await, "snoozed");
    assert_eq!(snoozed.len(), 1);
    c.goto(&format!("{}/views/snoozed", t.base)).await.unwrap();
    browser.wait_for(&format!("a[href='/cases/{new}']")).await;
}
