//! The customer's side of a case: when to expect an answer (thank-you
//! page, portal list and case page), "My request is solved" confirmed and
//! undone, article suggestions that match some of the words typed, and the
//! help centre branded, sized for phones and offering to contact support
//! when nothing matches. Over HTTP on both backends, then in Chromium.

use crate::harness::{Backend, Options, TestServer};
use crate::portal::{sign_in_link, signed_in, world};
use crate::requests::{HUMAN, Visitor, request};
use crate::web::WebAgent;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::both_backends!(
    customers_are_told_when_to_expect_an_answer,
    solving_in_the_portal_is_confirmed_and_can_be_undone,
    undo_ends_with_its_window,
    articles_are_found_by_some_of_the_words_best_first,
    help_centre_offers_support_when_nothing_matches,
);

/// A server whose inbox promises a first reply within `hours`.
async fn promising(b: Backend, hours: i64, options: Options) -> TestServer {
    let t = TestServer::start_with(b, options).await;
    let inbox = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "help@example.com", "name": "Example Help", "first_reply_hours": hours}),
        )
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    t
}

/// The case as the API shows it.
async fn case(t: &TestServer, id: i64) -> Value {
    let r = t.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// The `datetime` the pages give for an answer due `hours` after the case's
/// wait began.
async fn due_attribute(t: &TestServer, id: i64, hours: i64) -> String {
    let since: Timestamp = case(t, id).await["waiting_since"]
        .as_str()
        .expect("the customer is waiting")
        .parse()
        .unwrap();
    format!("datetime=\"{}\"", since + SignedDuration::from_hours(hours))
}

const PROMISE: &str = "We aim to answer within 4 hours \u{2014} by <time";

async fn customers_are_told_when_to_expect_an_answer(b: Backend) {
    let t = promising(b, 4, Options::default()).await;
    let dan = t.customer("Dan Waiting", "dan@example.org").await;
    let id = t
        .case(dan, "Boiler pressure keeps dropping", "Since Monday.")
        .await;
    let due = due_attribute(&t, id, 4).await;
    let mut web = signed_in(&t, "dan@example.org").await;
    let path = format!("/portal/cases/{id}");

    // While Dan waits, the list and the case say by when, from the start
    // of his wait; the time is in UTC until the browser rewrites it.
    for page in ["/portal", path.as_str()] {
        let html = web.get(page).await.html;
        assert!(html.contains(PROMISE), "{page}: {html}");
        assert!(html.contains(&due), "{page}: {due} in {html}");
        assert!(html.contains(" UTC "), "{page}: the zone is named");
    }

    // Once we answered, nothing is promised; his next message starts a
    // new wait and a new promise.
    let reply = t
        .post(
            &format!("/api/v1/cases/{id}/messages"),
            json!({"body": "Please check the filling loop."}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    for page in ["/portal", path.as_str()] {
        let html = web.get(page).await.html;
        assert!(!html.contains("answer-expectation"), "{page}: {html}");
    }
    let form = web.get(&path).await;
    let sent = web
        .post(
            &format!("{path}/reply"),
            &[("csrf", &form.csrf()), ("body", "Still dropping.")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let due_again = due_attribute(&t, id, 4).await;
    let html = web.get(&path).await.html;
    assert!(
        html.contains(PROMISE) && html.contains(&due_again),
        "{html}"
    );

    // The thank-you page of the public form says it too.
    let visitor = Visitor::open(&t, HUMAN).await;
    let thanks = visitor
        .send(&request("pat@example.net", "Where is my order?"), &[])
        .await;
    assert_eq!(thanks.status, StatusCode::OK, "{}", thanks.html);
    assert!(thanks.html.contains(PROMISE), "{}", thanks.html);
    assert!(thanks.html.contains("/assets/localtime.js"));

    // An inbox that promises nothing: "as soon as we can", never a time.
    let w = world(b).await;
    let mut bob = signed_in(&w.t, "bob@acme.example").await;
    let html = bob.get(&format!("/portal/cases/{}", w.bob_case)).await.html;
    assert!(
        html.contains("<p class=\"answer-expectation\">We will answer as soon as we can.</p>"),
        "{html}"
    );
}

/// The status of case `id`.
async fn status(t: &TestServer, id: i64) -> String {
    case(t, id).await["status"].as_str().unwrap().to_owned()
}

const REOPEN: &str = "Reopen my request";

async fn solving_in_the_portal_is_confirmed_and_can_be_undone(b: Backend) {
    let w = world(b).await;
    let t = &w.t;
    let mut ann = signed_in(t, "ann@acme.example").await;
    let path = format!("/portal/cases/{}", w.ann_case);
    let page = ann.get(&path).await;
    let before = status(t, w.ann_case).await;
    assert_eq!(before, "open");

    // "Solved" is its own section after the reply box, and asks twice.
    let reply_at = page.html.find(">Send reply</button>").unwrap();
    let solved_at = page
        .html
        .find("<summary id=\"portal-solved\">My request is solved</summary>")
        .expect("the solved step");
    assert!(reply_at < solved_at);
    assert!(page.html.contains("name=\"confirm\" value=\"yes\""));
    assert!(
        page.html
            .contains("For 10 minutes you can take that back here")
    );

    // One tap without the confirmation changes nothing.
    let unconfirmed = ann
        .post(&format!("{path}/resolve"), &[("csrf", &page.csrf())])
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.html.contains("Yes, it is solved"));
    assert_eq!(status(t, w.ann_case).await, "open");

    // Confirmed, it is resolved and the page offers to reopen.
    let solved = ann
        .post(
            &format!("{path}/resolve"),
            &[("csrf", &page.csrf()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(solved.status, StatusCode::SEE_OTHER, "{}", solved.html);
    assert_eq!(status(t, w.ann_case).await, "resolved");
    let page = ann.get(&path).await;
    assert!(page.html.contains(REOPEN), "{}", page.html);
    assert!(!page.html.contains("My request is solved"));

    // Bob shares the case through the organisation, but the resolve is
    // Ann's to take back.
    let mut bob = signed_in(t, "bob@acme.example").await;
    let bobs = bob.get(&path).await;
    assert_eq!(bobs.status, StatusCode::OK);
    assert!(!bobs.html.contains(REOPEN));
    let refused = bob
        .post(&format!("{path}/reopen"), &[("csrf", &bobs.csrf())])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status(t, w.ann_case).await, "resolved");
    // No token, no change; Carl cannot reach the case at all.
    let forged = ann.post(&format!("{path}/reopen"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut carl = signed_in(t, "carl@other.example").await;
    let carls = carl.get("/portal").await;
    let outsider = carl
        .post(&format!("{path}/reopen"), &[("csrf", &carls.csrf())])
        .await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
    assert_eq!(status(t, w.ann_case).await, "resolved");

    // Ann takes it back: the case is where it was, and the log has both.
    let reopened = ann
        .post(&format!("{path}/reopen"), &[("csrf", &page.csrf())])
        .await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER, "{}", reopened.html);
    assert_eq!(status(t, w.ann_case).await, before);
    let log = t.all(&format!("/api/v1/cases/{}/events", w.ann_case)).await;
    let changes: Vec<(&str, &str, i64)> = log
        .iter()
        .filter(|e| e["data"]["type"] == "status_changed")
        .map(|e| {
            (
                e["data"]["from"].as_str().unwrap(),
                e["data"]["to"].as_str().unwrap(),
                e["actor"]["id"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        &changes[changes.len() - 2..],
        [("open", "resolved", w.ann), ("resolved", "open", w.ann)],
        "{log:?}"
    );
    // Reopened, there is nothing left to undo.
    let again = ann
        .post(&format!("{path}/reopen"), &[("csrf", &page.csrf())])
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status(t, w.ann_case).await, "open");
}

async fn undo_ends_with_its_window(b: Backend) {
    let options = Options {
        portal_undo_seconds: Some(0),
        ..Options::default()
    };
    let t = promising(b, 4, options).await;
    let eve = t.customer("Eve Quick", "eve@example.org").await;
    let id = t.case(eve, "Printer offline", "It says offline.").await;
    let mut web = signed_in(&t, "eve@example.org").await;
    let path = format!("/portal/cases/{id}");
    let page = web.get(&path).await;
    assert!(page.html.contains("If you write to us again, it reopens."));
    let solved = web
        .post(
            &format!("{path}/resolve"),
            &[("csrf", &page.csrf()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(solved.status, StatusCode::SEE_OTHER, "{}", solved.html);
    // The window has passed the moment it was resolved: no offer, and a
    // reopen is refused with what to do instead.
    let page = web.get(&path).await;
    assert!(!page.html.contains(REOPEN), "{}", page.html);
    let late = web
        .post(&format!("{path}/reopen"), &[("csrf", &page.csrf())])
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.html.contains("Write to us below and it reopens."));
    assert_eq!(status(&t, id).await, "resolved");
}

/// Publishes an article.
async fn publish(t: &TestServer, title: &str, body: &str) {
    let r = t
        .post(
            "/api/v1/articles",
            json!({"title": title, "body": body, "state": "published"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

/// The titles `/help/suggest` gives for `q`, best first.
async fn suggested(t: &TestServer, q: &str) -> Vec<String> {
    let r = t
        .http
        .get(format!("{}/help/suggest", t.base))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let found: Vec<Value> = r.json().await.unwrap();
    found
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn articles_are_found_by_some_of_the_words_best_first(b: Backend) {
    let t = TestServer::start(b).await;
    publish(
        &t,
        "Topping up boiler pressure",
        "If the boiler pressure gauge reads below 1 bar, top it up with the filling loop.",
    )
    .await;
    publish(
        &t,
        "Why the pressure of a boiler falls",
        "Low pressure in a boiler usually means a small leak or a radiator that was bled.",
    )
    .await;
    publish(
        &t,
        "Signal dropping on your router",
        "Calls dropping? Move the router away from the microwave.",
    )
    .await;
    publish(
        &t,
        "Bleeding radiators",
        "Turn the valve a quarter turn until water appears.",
    )
    .await;

    // The sentence: not every word matches any article, yet both
    // boiler-pressure articles come first; the one matching a single word
    // comes after them and the unrelated one not at all.
    let found = suggested(&t, "Boiler pressure keeps dropping").await;
    assert!(found.len() >= 2, "{found:?}");
    let mut best: Vec<&str> = found[..2].iter().map(String::as_str).collect();
    best.sort();
    assert_eq!(
        best,
        [
            "Topping up boiler pressure",
            "Why the pressure of a boiler falls"
        ],
        "{found:?}"
    );
    assert!(
        !found.iter().any(|t| t == "Bleeding radiators"),
        "{found:?}"
    );
    if let Some(i) = found
        .iter()
        .position(|t| t == "Signal dropping on your router")
    {
        assert_eq!(i, 2, "{found:?}");
    }
    // Fewer words find the same; stop words and letters alone find nothing.
    assert_eq!(suggested(&t, "Boiler pressure").await.len(), 2);
    assert!(suggested(&t, "is it on? a b").await.is_empty());
    // A pasted essay is cut to its first words, not refused.
    let essay = "boiler ".repeat(600);
    assert_eq!(suggested(&t, &essay).await.len(), 2);
    let syntax = suggested(&t, "\"boiler\" OR NOT* (pressure").await;
    assert_eq!(syntax.len(), 2, "{syntax:?}");
    // The help centre's search and the agents' API rank the same way.
    let mut anon = WebAgent::new(&t);
    let page = anon
        .get("/help/search?q=Boiler+pressure+keeps+dropping")
        .await;
    assert!(page.html.contains("Topping up boiler pressure"));
    assert!(!page.html.contains("Bleeding radiators"));
    let api = t.get("/api/v1/articles?q=radiator%20valve%20turn").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(api.body[0]["title"], "Bleeding radiators", "{}", api.body);
}

async fn help_centre_offers_support_when_nothing_matches(b: Backend) {
    let t = TestServer::start_with(
        b,
        Options {
            brand_name: Some("Warm Homes".into()),
            brand_color: Some("#aa3300".into()),
            ..Options::default()
        },
    )
    .await;
    publish(&t, "Topping up boiler pressure", "Use the filling loop.").await;
    let mut anon = WebAgent::new(&t);
    // Branded like the portal: the brand's name, stylesheet and bar.
    let home = anon.get("/help").await;
    assert!(
        home.html
            .contains("<span class=\"brand-name\">Warm Homes</span>")
    );
    assert!(home.html.contains("href=\"/brand.css\""));
    assert!(
        home.html
            .contains("<title>Help centre · Warm Homes</title>")
    );
    assert!(!home.html.contains("/assets/tend.js"), "no agent shortcuts");
    // Nothing found: contact support, the query kept as the subject.
    let none = anon.get("/help/search?q=solar+%3Cpanel%3E").await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.html.contains("Ask our support team"), "{}", none.html);
    assert!(
        none.html
            .contains("href=\"/request?subject=solar%20%3Cpanel%3E\""),
        "{}",
        none.html
    );
    let form = anon.get("/request?subject=solar%20%3Cpanel%3E").await;
    assert!(
        form.html.contains("value=\"solar &#60;panel&#62;\""),
        "{}",
        form.html
    );
    // Found something: no such offer; an empty query neither.
    let found = anon.get("/help/search?q=boiler").await;
    assert!(!found.html.contains("Ask our support team"));
    let long = "x".repeat(5000);
    let form = anon.get(&format!("/request?subject={long}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.html
            .contains(&format!("value=\"{}\"", "x".repeat(250)))
    );
    assert!(!form.html.contains(&"x".repeat(251)));
}

/// Signs `email` in to the portal in the browser.
async fn browser_sign_in(browser: &crate::browser::Browser, t: &TestServer, email: &str) {
    let c = &browser.client;
    c.goto(&format!("{}/portal/signin", t.base)).await.unwrap();
    browser.type_into("#portal-email", email).await;
    browser.click("form.request-form button[type=submit]").await;
    browser.wait_for_text("notice", "on its way").await;
    let link = sign_in_link(t, email).await;
    c.goto(&format!("{}{link}", t.base)).await.unwrap();
    browser.click("#portal-continue").await;
    browser.wait_for(".portal-cases").await;
}

/// Runs the accessibility audit on the current page.
async fn audit(browser: &crate::browser::Browser, what: &str) {
    let problems = browser
        .client
        .execute(crate::accessibility::AUDIT, vec![])
        .await
        .unwrap();
    assert_eq!(problems, json!([]), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_expectation_links_and_solving_in_chromium() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let t = promising(Backend::Sqlite, 4, Options::default()).await;
    let dan = t.customer("Dan Waiting", "dan@example.org").await;
    let id = t
        .case(
            dan,
            "Boiler pressure keeps dropping",
            "The manual at https://example.com/manual?a=1&b=2 did not help. Not javascript:alert(1) either.",
        )
        .await;
    let c = &browser.client;
    c.set_window_size(390, 844).await.unwrap();
    browser_sign_in(&browser, &t, "dan@example.org").await;

    // The list and the case say when to expect an answer, in the
    // browser's own zone: the script replaced the UTC text.
    browser
        .wait_for_text("answer-expectation", "We aim to answer within 4 hours")
        .await;
    c.goto(&format!("{}/portal/cases/{id}", t.base))
        .await
        .unwrap();
    let due = browser
        .wait_for(".answer-expectation time[data-local]")
        .await;
    let text = due.text().await.unwrap();
    assert!(!text.contains("UTC"), "{text}");
    assert!(
        text.ends_with("today") || text.ends_with("tomorrow"),
        "{text}"
    );
    let title = due.attr("title").await.unwrap().unwrap_or_default();
    assert!(!title.is_empty());
    browser.wait_for(".message time[data-local]").await;
    browser.screenshot("portal-expectation.png").await;

    // The web address is a safe link; `javascript:` stays text.
    let link = browser
        .wait_for(".message a[href^='https://example.com/manual']")
        .await;
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some("https://example.com/manual?a=1&b=2")
    );
    let rel = link.attr("rel").await.unwrap().unwrap_or_default();
    assert!(
        rel.contains("noopener") && rel.contains("noreferrer"),
        "{rel}"
    );
    let scripted: bool = c
        .execute(
            "return document.querySelector(\"a[href^='javascript']\") !== null;",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(!scripted, "no javascript: link");
    audit(&browser, "the case page on a phone").await;

    // "My request is solved" asks first; the confirmation is a second,
    // different button.
    let confirm = browser.wait_for("#portal-solved-confirm").await;
    assert!(!confirm.is_displayed().await.unwrap(), "hidden until asked");
    browser.click("#portal-solved").await;
    assert!(confirm.is_displayed().await.unwrap());
    let looks: Value = c
        .execute(
            "const s = getComputedStyle(document.querySelector('#portal-solved-confirm'));\
             const r = getComputedStyle(document.querySelector('form.request-form button[type=submit]'));\
             return [s.backgroundColor, r.backgroundColor];",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(looks[0], looks[1], "solved does not look like Send reply");
    audit(&browser, "the case page with the confirmation open").await;
    browser.click("#portal-solved-confirm").await;
    browser
        .wait_for_text("portal-undo", "You marked this request solved")
        .await;
    assert_eq!(status(&t, id).await, "resolved");
    audit(&browser, "the case page offering to reopen").await;
    browser.screenshot("portal-solved.png").await;

    // Undo puts it back (a new case comes back open: it has been read).
    browser.click("#portal-reopen").await;
    browser.wait_for("#portal-solved").await;
    assert_eq!(status(&t, id).await, "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_centre_fits_a_phone_and_offers_support_in_chromium() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let t = TestServer::start_with(
        Backend::Sqlite,
        Options {
            brand_name: Some("Warm Homes".into()),
            ..Options::default()
        },
    )
    .await;
    publish(&t, "Topping up boiler pressure", "Use the filling loop.").await;
    let c = &browser.client;
    c.set_window_size(375, 812).await.unwrap();
    for page in ["/help", "/help/search?q=solar+panels"] {
        c.goto(&format!("{}{page}", t.base)).await.unwrap();
        let input = browser.wait_for("#help-q").await;
        // Neither the box nor the form around it grows tall in the
        // stacked header.
        for css in ["#help-q", "form.help-search"] {
            let height: f64 = c
                .execute(
                    "return document.querySelector(arguments[0]).getBoundingClientRect().height;",
                    vec![json!(css)],
                )
                .await
                .unwrap()
                .as_f64()
                .unwrap();
            assert!(height < 60.0, "{page}: {css} is {height} px tall");
        }
        assert!(input.is_displayed().await.unwrap());
        browser.wait_for_text("brand-name", "Warm Homes").await;
        audit(&browser, page).await;
    }
    browser.screenshot("help-phone.png").await;
    c.goto(&format!(
        "{}/help/articles/topping-up-boiler-pressure",
        t.base
    ))
    .await
    .unwrap();
    browser.wait_for_text("brand-name", "Warm Homes").await;
    audit(&browser, "an article on a phone").await;

    // "Ask our support team" opens the request form about the search; the
    // thank-you page says when to expect an answer (nothing is promised
    // here: no inbox says a time).
    c.goto(&format!("{}/help/search?q=solar+panels", t.base))
        .await
        .unwrap();
    browser.click(".help-none a.button").await;
    let subject = browser.wait_for("#request-subject").await;
    assert_eq!(
        subject.prop("value").await.unwrap().as_deref(),
        Some("solar panels")
    );
    browser.type_into("#request-email", "sam@example.net").await;
    browser
        .type_into("#request-message", "Do you install solar panels?")
        .await;
    tokio::time::sleep(HUMAN).await;
    browser.click("form.request-form button[type=submit]").await;
    browser
        .wait_for_text("answer-expectation", "We will answer as soon as we can.")
        .await;
    audit(&browser, "the thank-you page on a phone").await;
}
