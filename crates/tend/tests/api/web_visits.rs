//! Visits in the web UI. On the case page an agent offers a visit, books
//! it for the customer, moves it (with a reason) and calls it off, each
//! through a form that needs the session's CSRF token and a role that may
//! work cases. On the technician's phone page (`/visits`) the agent linked
//! to a resource sees the day's visits booked with them, marks "on my
//! way", "arrived" and "done" (each a case event), and adds a note with a
//! photo to the case; another agent sees none of it. In Chromium at a
//! phone's size, a customer books from the visit link and a technician
//! taps through the day, with nothing wider than the screen.

use crate::appointments::{book, offer, set_up, visit_link};
use crate::browser::Browser;
use crate::harness::{Backend, TestServer};
use crate::quotes::event_kinds;
use crate::web::{PASSWORD, WebAgent, with_case};
use crate::web_case::{field, post_multipart, typed_file};
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    agents_offer_book_move_and_cancel_from_the_case_page,
    technicians_work_the_day_from_their_page,
);

/// A phone held upright.
const PHONE: (u32, u32) = (390, 844);

/// The window starts a case page offers for booking `visit`, in order.
fn window_options(html: &str, visit: i64) -> Vec<String> {
    let select = html
        .split(&format!("id=\"visit-{visit}-start\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no booking form for visit {visit} in {html}"));
    let select = &select[..select.find("</select>").unwrap()];
    select
        .split("<option value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// `at` in Amsterdam as the pages write a window's start: "Friday 11
/// December, 10:00".
fn amsterdam_start(at: &str) -> String {
    at.parse::<Timestamp>()
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap())
        .strftime("%A %-d %B, %H:%M")
        .to_string()
}

/// An appointment as the API has it.
async fn appointment(t: &TestServer, id: i64) -> Value {
    t.get(&format!("/api/v1/appointments/{id}")).await.body
}

async fn agents_offer_book_move_and_cancel_from_the_case_page(b: Backend) {
    let (t, case) = with_case(b).await;
    let (kind, resource) = set_up(&t, 1).await;
    t.agent_with_password("lee@example.com", "Lee Light", Role::LightAgent, PASSWORD)
        .await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = ann.get(&format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("No visits on this case."),
        "{}",
        page.html
    );
    assert!(page.html.contains("Offer a visit"));
    assert!(
        page.html
            .contains(&format!("<option value=\"{kind}\">Boiler repair</option>")),
        "{}",
        page.html
    );
    let csrf = page.csrf();
    let offer_path = format!("/cases/{case}/visits");
    let kind_id = kind.to_string();

    // Without the session's token nothing is offered.
    for token in [None, Some("forged")] {
        let mut form = vec![("type_id", kind_id.as_str())];
        form.extend(token.map(|t| ("csrf", t)));
        let page = ann.post(&offer_path, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{token:?}");
    }
    // A light agent reads the panel but has no forms, and posting is 403.
    let mut lee = WebAgent::signed_in(&t, "lee@example.com").await;
    let page = lee.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("id=\"visits\""), "{}", page.html);
    assert!(!page.html.contains("Offer a visit"));
    let lee_csrf = page.csrf();
    let page = lee
        .post(&offer_path, &[("csrf", &lee_csrf), ("type_id", &kind_id)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let listed = t.get(&format!("/api/v1/cases/{case}/appointments")).await;
    assert_eq!(listed.body, json!([]));

    // Ann offers: the customer is sent the visit's link.
    let page = ann
        .post(&offer_path, &[("csrf", &csrf), ("type_id", &kind_id)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(page.location(), format!("/cases/{case}#visits"));
    let listed = t.get(&format!("/api/v1/cases/{case}/appointments")).await;
    let id = listed.body[0]["id"].as_i64().unwrap();
    assert_eq!(listed.body[0]["status"], "offered");
    assert!(
        visit_link(&t, case)
            .await
            .starts_with(&format!("/visit/{id}/"))
    );
    let offered = t
        .all(&format!("/api/v1/cases/{case}/events"))
        .await
        .into_iter()
        .find(|e| e["data"]["type"] == "appointment_offered")
        .expect("appointment_offered");
    assert_eq!(offered["actor"]["kind"], "agent");

    // The panel lists it with the free windows the API has.
    let page = ann.get(&format!("/cases/{case}")).await;
    assert!(
        page.html.contains("waiting for a time to be picked"),
        "{}",
        page.html
    );
    assert!(page.html.contains("Book for the customer"));
    let windows = window_options(&page.html, id);
    let slots = t
        .get(&format!("/api/v1/appointments/{id}/slots"))
        .await
        .body;
    let api: Vec<&str> = slots
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(windows, api);
    let book_path = format!("/cases/{case}/visits/{id}/book");

    // The type needs an address: refused on the case page, nothing booked.
    let pick = windows[2].clone();
    let page = ann
        .post(&book_path, &[("csrf", &csrf), ("starts_at", &pick)])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("role=\"alert\""), "{}", page.html);
    assert!(page.html.contains("address"), "{}", page.html);
    assert_eq!(appointment(&t, id).await["status"], "offered");

    // Booked for the customer, shown in the resource's zone.
    let page = ann
        .post(
            &book_path,
            &[
                ("csrf", &csrf),
                ("starts_at", &pick),
                ("address", "Prinsengracht 2, Amsterdam"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let booked = appointment(&t, id).await;
    assert_eq!(booked["status"], "booked");
    assert_eq!(booked["starts_at"], pick.as_str());
    assert_eq!(booked["resource_id"], resource);
    assert_eq!(booked["address"], "Prinsengracht 2, Amsterdam");
    let page = ann.get(&format!("/cases/{case}")).await;
    let when = amsterdam_start(&pick);
    assert!(
        page.html.contains(&when) && page.html.contains("(Europe/Amsterdam time)"),
        "{when} in {}",
        page.html
    );
    assert!(page.html.contains("Move for the customer"));

    // Moving or calling it off also needs the token, and a role that
    // may work cases.
    let cancel_path = format!("/cases/{case}/visits/{id}/cancel");
    let later = window_options(&page.html, id)
        .into_iter()
        .find(|w| *w > pick)
        .unwrap();
    for path in [&book_path, &cancel_path] {
        let fields = [("starts_at", later.as_str()), ("reason", "Sam is ill")];
        for token in [None, Some("forged")] {
            let mut form = fields.to_vec();
            form.extend(token.map(|t| ("csrf", t)));
            let page = ann.post(path, &form).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} {token:?}");
        }
        let mut form = fields.to_vec();
        form.push(("csrf", &lee_csrf));
        assert_eq!(lee.post(path, &form).await.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(appointment(&t, id).await["starts_at"], pick.as_str());

    // Moving it is the business's change: a reason is asked, and told.
    let page = ann
        .post(&book_path, &[("csrf", &csrf), ("starts_at", &later)])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("reason"), "{}", page.html);
    let page = ann
        .post(
            &book_path,
            &[
                ("csrf", &csrf),
                ("starts_at", &later),
                ("reason", "Sam is ill"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let moved = appointment(&t, id).await;
    assert_eq!(moved["starts_at"], later.as_str());
    assert_eq!(moved["address"], "Prinsengracht 2, Amsterdam");
    let kinds = event_kinds(&t, case).await;
    for kind in [
        "appointment_booked",
        "appointment_rescheduled",
        "promise_broken",
    ] {
        assert!(kinds.contains(&kind.into()), "{kind} in {kinds:?}");
    }
    // (The day-before reminder may come after it: the windows are close.)
    let messages = crate::email::messages(&t, case).await;
    assert!(messages.iter().any(|m| {
        m["body_text"]
            .as_str()
            .unwrap()
            .contains("We are sorry: Sam is ill.")
    }),);

    // Another case's page cannot reach this visit.
    let other = t
        .case(t.customer("Olly", "olly@example.org").await, "Tap", "Drips")
        .await;
    let page = ann
        .post(
            &format!("/cases/{other}/visits/{id}/cancel"),
            &[("csrf", &csrf), ("reason", "Wrong case")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // Calling it off needs a reason too; then it is cancelled, for good.
    let page = ann.post(&cancel_path, &[("csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(appointment(&t, id).await["status"], "booked");
    let page = ann
        .post(
            &cancel_path,
            &[("csrf", &csrf), ("reason", "The part is not in stock")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(appointment(&t, id).await["status"], "cancelled");
    assert!(
        event_kinds(&t, case)
            .await
            .contains(&"appointment_cancelled".into())
    );
    let page = ann.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains(">cancelled</small>"), "{}", page.html);
    assert!(!page.html.contains(&cancel_path));
    assert!(!page.html.contains(&book_path));
}

/// The set-up with Sam's resource linked to the agent Sam (who signs in
/// with [`PASSWORD`]); answers the appointment type.
async fn technician(t: &TestServer) -> i64 {
    let (kind, resource) = set_up(t, 1).await;
    t.agent_with_password("sam@example.com", "Sam Field", Role::Agent, PASSWORD)
        .await;
    let sam = crate::case_tools::agent_id(t, "sam@example.com").await;
    let mut definition = t.get(&format!("/api/v1/resources/{resource}")).await.body;
    let fields = definition.as_object_mut().unwrap();
    for stamp in ["id", "created_at", "updated_at"] {
        fields.remove(stamp);
    }
    fields.insert("agent_id".into(), json!(sam));
    let r = t
        .send(
            Method::PUT,
            &format!("/api/v1/resources/{resource}"),
            Some(&t.admin),
            Some(definition),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    kind
}

/// A visit of `kind` on `case`, booked through the API in the first free
/// window, with the clock moved to ten minutes into it; answers its id.
async fn booked_and_due(t: &TestServer, case: i64, kind: i64) -> i64 {
    let id = offer(t, case, kind).await["id"].as_i64().unwrap();
    let slots = t
        .get(&format!("/api/v1/appointments/{id}/slots"))
        .await
        .body;
    let start = slots[0]["starts_at"].as_str().unwrap().to_owned();
    let r = book(t, id, &start).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let due = start.parse::<Timestamp>().unwrap() + SignedDuration::from_mins(10);
    let ahead = due.duration_since(t.store.clock().now());
    if ahead.is_positive() {
        t.store.clock().advance(ahead);
    }
    id
}

async fn technicians_work_the_day_from_their_page(b: Backend) {
    let (t, case) = with_case(b).await;
    let kind = technician(&t).await;
    let id = booked_and_due(&t, case, kind).await;
    let card = format!("id=\"visit-{id}\"");

    // Another agent's page does not show Sam's visit.
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = ann.get("/visits").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains(&card), "{}", page.html);
    assert!(page.html.contains("No visits booked with you"));

    // Sam's does: the window, the customer, the address, the case.
    let mut sam = WebAgent::signed_in(&t, "sam@example.com").await;
    let page = sam.get("/visits").await;
    assert!(page.html.contains(&card), "{}", page.html);
    assert!(page.html.contains("Boiler repair for Cora Customer"));
    assert!(page.html.contains("Dam 1, Amsterdam"));
    assert!(page.html.contains(&format!("href=\"/cases/{case}\"")));
    assert!(page.html.contains("On my way"));
    let csrf = page.csrf();
    let progress = format!("/visits/{id}/progress");

    // Each button moves the visit on, as a case event, and comes back.
    for (form, status, shown, event) in [
        (
            vec![("step", "on_the_way"), ("minutes", "30")],
            "on_the_way",
            "On the way",
            "technician_on_the_way",
        ),
        (
            vec![("step", "arrive")],
            "arrived",
            "Arrived",
            "technician_arrived",
        ),
        (vec![("step", "done")], "done", "Done", "appointment_done"),
    ] {
        let mut posted = vec![("csrf", csrf.as_str())];
        posted.extend(form);
        let page = sam.post(&progress, &posted).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{status}: {}",
            page.html
        );
        assert_eq!(page.location(), "/visits");
        assert_eq!(appointment(&t, id).await["status"], status);
        assert!(
            event_kinds(&t, case).await.contains(&event.into()),
            "{event}"
        );
        let page = sam.get("/visits").await;
        assert!(
            page.html.contains(&format!(
                "<p class=\"visit-status\" role=\"status\">{shown}</p>"
            )),
            "{shown} in {}",
            page.html
        );
    }
    let page = sam.get("/visits").await;
    assert!(!page.html.contains("On my way"));
    assert!(!page.html.contains("value=\"arrive\""));
    // The customer was told Sam is on the way; arriving kept the promise.
    let messages = crate::email::messages(&t, case).await;
    assert!(
        messages
            .iter()
            .any(|m| m["body_text"].as_str().unwrap().contains("is on the way")),
    );
    assert!(event_kinds(&t, case).await.contains(&"promise_kept".into()));

    // Without the token, no step is taken.
    let page = sam.post(&progress, &[("step", "no_show")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // A note with a photo, from the page's form, lands on the case as an
    // internal note and comes back to the page.
    let photo: &[u8] = b"\xff\xd8\xff\xe0 a boiler, photographed";
    let page = post_multipart(
        &t,
        &sam,
        &format!("/cases/{case}/note"),
        &[
            field("csrf", &csrf),
            field("next", "/visits"),
            field("body", "Replaced the pump; the pressure holds."),
            typed_file("boiler.jpg", "image/jpeg", photo),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(page.location(), "/visits");
    let messages = crate::email::messages(&t, case).await;
    let note = messages
        .iter()
        .find(|m| m["body_text"] == "Replaced the pump; the pressure holds.")
        .expect("the note");
    assert_eq!(note["internal"], true, "{note}");
    assert_eq!(note["author"]["kind"], "agent", "{note}");
    let attachment = &note["attachments"][0];
    assert_eq!(attachment["filename"], "boiler.jpg", "{note}");
    assert_eq!(attachment["content_type"], "image/jpeg", "{note}");
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
    assert_eq!(r.bytes().await.unwrap().as_ref(), photo);
}

/// Whether the page is wider than the window.
async fn overflows(browser: &Browser) -> bool {
    browser
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_books_a_visit_on_a_phone() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = TestServer::start(Backend::Sqlite).await;
    let (kind, _) = set_up(&t, 1).await;
    let customer = t.customer("Ann Lee", "ann@example.org").await;
    let case = t.case(customer, "Boiler leaks", "Water under it").await;
    let id = offer(&t, case, kind).await["id"].as_i64().unwrap();
    let link = visit_link(&t, case).await;
    let b = &browser;
    let c = &b.client;
    c.set_window_size(PHONE.0, PHONE.1).await.unwrap();
    c.goto(&format!("{}{link}", t.base)).await.unwrap();
    b.wait_for_text("visit-booking", "Pick a time that suits you")
        .await;
    assert!(!overflows(b).await, "the booking page fits a phone");
    let problems = c
        .execute(crate::accessibility::AUDIT, vec![])
        .await
        .unwrap();
    assert_eq!(problems, json!([]), "the booking page on a phone");

    // Pick a window two days ahead (so it can still be moved), type the
    // address, book.
    let window = ".visit-day:nth-of-type(3) .visit-window:nth-of-type(2)";
    let pick = b
        .wait_for(&format!("{window} input"))
        .await
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    b.click(window).await;
    b.type_into("#visit-address", "Keizersgracht 1, Amsterdam")
        .await;
    b.click("form.visit-booking button[type=submit]").await;
    b.wait_for_text("visit-when", "Booked for").await;
    let when = b.wait_for(".visit-when").await.text().await.unwrap();
    assert!(when.contains(&amsterdam_start(&pick)), "{when}");
    assert!(when.contains("Keizersgracht 1, Amsterdam"), "{when}");
    b.wait_for_text("visit-booking", "Move it to another time")
        .await;
    assert!(!overflows(b).await, "the booked page fits a phone");
    b.screenshot("visit-booking-phone.png").await;
    let booked = appointment(&t, id).await;
    assert_eq!(booked["status"], "booked");
    assert_eq!(booked["starts_at"], pick.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_technician_taps_through_a_visit_on_a_phone() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (t, case) = with_case(Backend::Sqlite).await;
    let kind = technician(&t).await;
    let id = booked_and_due(&t, case, kind).await;
    let b = &browser;
    let c = &b.client;
    c.set_window_size(PHONE.0, PHONE.1).await.unwrap();
    b.sign_in(&t, "sam@example.com").await;
    c.goto(&format!("{}/visits", t.base)).await.unwrap();
    let card = format!("#visit-{id}");
    b.wait_for_text("visit-status", "Booked").await;
    assert!(!overflows(b).await, "the technician's page fits a phone");
    let problems = c
        .execute(crate::accessibility::AUDIT, vec![])
        .await
        .unwrap();
    assert_eq!(problems, json!([]), "the technician's page on a phone");

    b.wait_for(&format!("{card} select[name=minutes]"))
        .await
        .select_by_value("15")
        .await
        .unwrap();
    b.click(&format!("{card} form.on-the-way button")).await;
    b.wait_for_text("visit-status", "On the way").await;
    assert!(!overflows(b).await, "on the way, the page fits a phone");
    b.screenshot("technician-phone.png").await;
    b.click(&format!("{card} button[value=arrive]")).await;
    b.wait_for_text("visit-status", "Arrived").await;
    b.click(&format!("{card} button[value=done]")).await;
    b.wait_for_text("visit-status", "Done").await;
    assert!(!overflows(b).await, "done, the page fits a phone");
    assert_eq!(appointment(&t, id).await["status"], "done");
    let kinds = event_kinds(&t, case).await;
    for kind in [
        "technician_on_the_way",
        "technician_arrived",
        "appointment_done",
    ] {
        assert!(kinds.contains(&kind.into()), "{kind} in {kinds:?}");
    }

    // On a laptop, the case page's Visits panel lists the visit done and
    // one offered, with its forms labelled.
    let next = offer(&t, case, kind).await["id"].as_i64().unwrap();
    c.set_window_size(1280, 800).await.unwrap();
    c.goto(&format!("{}/cases/{case}", t.base)).await.unwrap();
    b.wait_for_text("case-visits", "Offer a visit").await;
    b.click(&format!("#case-visit-{next} .visit-book summary"))
        .await;
    let select = b.wait_for(&format!("#visit-{next}-start")).await;
    assert!(select.is_displayed().await.unwrap());
    let problems = c
        .execute(crate::accessibility::AUDIT, vec![])
        .await
        .unwrap();
    assert_eq!(problems, json!([]), "the case page with visits");
}
