//! Customer effort in the web UI over HTTP: the case page's effort panel
//! and its forms (work asked of the customer, a logged call, repeated
//! information, linking a repeat), their CSRF and role checks, what the
//! portal shows the customer, the "New case" page with its open-case
//! confirmation step, and the views' effort column and filter. Figures
//! follow the default weights (docs/effort.md): call a third party 15,
//! chaser 8, channel switch 10, repeated information 8; high from 40.

use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, Page, WebAgent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    the_panel_records_asks_calls_and_repeated_information,
    repeats_are_linked_and_unlinked_from_the_panel,
    effort_forms_need_the_csrf_token_and_a_working_role,
    the_portal_shows_what_was_asked_but_never_call_notes,
    new_case_page_opens_a_phone_case_for_a_new_customer,
    a_call_about_an_open_case_is_logged_on_it_not_opened_again,
    views_show_effort_and_filter_by_level,
);

/// A server with an inbox (for portal sign-in mail), agent Ann, light
/// agent Lee and customer Cora with the case "Printer jam"; answers the
/// case id.
async fn server(b: Backend) -> (TestServer, i64) {
    let t = TestServer::start(b).await;
    let inbox = t
        .post("/api/v1/inboxes", json!({"address": "support@example.com"}))
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    t.agent_with_password("lee@example.com", "Lee Light", Role::LightAgent, PASSWORD)
        .await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let case = t.case(cora, "Printer jam", "It jams on every page.").await;
    (t, case)
}

/// Posts a form of the case page with the page's CSRF token.
async fn post_on_case(web: &mut WebAgent, case: i64, form: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = web.get(&format!("/cases/{case}")).await.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    web.post(&format!("/cases/{case}/effort/{form}"), &all)
        .await
}

/// Posts a form and expects the redirect back to the case.
async fn recorded(web: &mut WebAgent, case: i64, form: &str, fields: &[(&str, &str)]) {
    let page = post_on_case(web, case, form, fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{form}: {}", page.html);
    assert_eq!(page.location(), format!("/cases/{case}"));
}

async fn events(t: &TestServer, case: i64) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{case}/events")).await
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["data"]["type"] == kind)
        .collect()
}

/// The panel's figure as shown.
fn figure(page: &Page) -> String {
    const FIGURE: &str = "class=\"effort-figure\"><strong>";
    let start = page.html.find(FIGURE).expect("the panel") + FIGURE.len();
    let end = start + page.html[start..].find('<').unwrap();
    page.html[start..end].to_string()
}

async fn case_count(t: &TestServer) -> usize {
    t.all("/api/v1/cases").await.len()
}

async fn the_panel_records_asks_calls_and_repeated_information(b: Backend) {
    let (t, case) = server(b).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert_eq!(figure(&page), "0");
    assert!(
        page.html
            .contains("Nothing has cost this customer extra effort")
    );

    recorded(
        &mut web,
        case,
        "ask",
        &[
            ("kind", "call_third_party"),
            ("action", "Call the landlord for the key"),
        ],
    )
    .await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert_eq!(figure(&page), "15");
    assert!(
        page.html.contains("asked to call a third party +15"),
        "{}",
        page.html
    );
    let asked = events(&t, case).await;
    let asked = of_type(&asked, "customer_action_requested");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["data"]["action"], "Call the landlord for the key");

    // The customer calls while still waiting: a chaser and a switch from
    // the API channel the case came in on.
    recorded(
        &mut web,
        case,
        "contact",
        &[
            ("channel", "phone"),
            ("direction", "inbound"),
            ("minutes", "5"),
            ("summary", "Rang to ask where we are."),
        ],
    )
    .await;
    let all = events(&t, case).await;
    let logged = of_type(&all, "contact_logged");
    assert_eq!(logged.len(), 1, "{all:?}");
    assert_eq!(logged[0]["data"]["channel"], "phone");
    assert_eq!(logged[0]["data"]["direction"], "inbound");
    assert_eq!(logged[0]["data"]["duration_seconds"], 300);
    let page = web.get(&format!("/cases/{case}")).await;
    assert_eq!(figure(&page), "33");
    assert!(page.html.contains("→ phone +10"), "{}", page.html);
    assert!(
        page.html.contains("Rang to ask where we are."),
        "the call's note"
    );

    recorded(
        &mut web,
        case,
        "repeated",
        &[("what", "their meter number")],
    )
    .await;
    let page = web.get(&format!("/cases/{case}")).await;
    assert_eq!(figure(&page), "41");
    assert!(
        page.html.contains("had to repeat information +8"),
        "{}",
        page.html
    );
    assert!(page.html.contains("high effort"));
    let effort = t.get(&format!("/api/v1/cases/{case}/effort")).await.body;
    assert_eq!(effort["index"], 41, "{effort}");

    // Bad input re-renders the page with the error and writes nothing.
    let before = events(&t, case).await.len();
    for (form, fields) in [
        (
            "contact",
            vec![
                ("channel", "phone"),
                ("direction", "inbound"),
                ("minutes", "ten"),
                ("summary", "x"),
            ],
        ),
        (
            "contact",
            vec![
                ("channel", "email"),
                ("direction", "inbound"),
                ("minutes", ""),
                ("summary", "x"),
            ],
        ),
        (
            "contact",
            vec![
                ("channel", "phone"),
                ("direction", "sideways"),
                ("minutes", ""),
                ("summary", "x"),
            ],
        ),
        (
            "contact",
            vec![
                ("channel", "phone"),
                ("direction", "inbound"),
                ("minutes", ""),
                ("summary", "bell\u{7}"),
            ],
        ),
        ("ask", vec![("kind", "juggle"), ("action", "Juggle")]),
        ("ask", vec![("kind", "other"), ("action", "  ")]),
        ("repeated", vec![("what", "esc\u{1b}[2J")]),
    ] {
        let page = post_on_case(&mut web, case, form, &fields).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form} {fields:?}"
        );
        assert!(
            page.html.contains("role=\"alert\""),
            "{form}: {}",
            page.html
        );
    }
    assert_eq!(events(&t, case).await.len(), before);
}

async fn repeats_are_linked_and_unlinked_from_the_panel(b: Backend) {
    let (t, first) = server(b).await;
    let cora = t.get(&format!("/api/v1/cases/{first}")).await.body["customer_id"].clone();
    let again = t
        .case(cora.as_i64().unwrap(), "Printer still jams", "Same again.")
        .await;
    let other = t.customer("Otto Other", "otto@example.org").await;
    let otto_case = t.case(other, "Scanner", "Broken.").await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    // Whatever detection found, start unlinked.
    recorded(&mut web, again, "repeat", &[("of", "")]).await;
    let before = events(&t, again).await.len();

    // Bad numbers re-render with the error and change nothing.
    for bad in [
        "#abc".to_string(),
        format!("#{again}"),
        "#999999".into(),
        format!("#{otto_case}"),
    ] {
        let page = post_on_case(&mut web, again, "repeat", &[("of", &bad)]).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            page.html
        );
        assert!(page.html.contains("role=\"alert\""), "{bad}");
    }
    assert_eq!(events(&t, again).await.len(), before);

    recorded(&mut web, again, "repeat", &[("of", &format!("#{first}"))]).await;
    let all = events(&t, again).await;
    let linked = of_type(&all, "repeat_linked");
    assert_eq!(linked.last().unwrap()["data"]["of"], first);
    let page = web.get(&format!("/cases/{again}")).await;
    assert!(page.html.contains(&format!(
        "Repeat of <a href=\"/cases/{first}\">#{first}</a>"
    )));
    assert!(page.html.contains("repeat of #"), "{}", page.html);
    assert_eq!(
        t.get(&format!("/api/v1/cases/{again}")).await.body["repeat_of_id"],
        first
    );

    recorded(&mut web, again, "repeat", &[("of", "")]).await;
    let all = events(&t, again).await;
    assert_eq!(
        of_type(&all, "repeat_unlinked").last().unwrap()["data"]["of"],
        first
    );
    let page = web.get(&format!("/cases/{again}")).await;
    assert!(!page.html.contains("Repeat of <a"), "{}", page.html);
    assert!(t.get(&format!("/api/v1/cases/{again}")).await.body["repeat_of_id"].is_null());
}

async fn effort_forms_need_the_csrf_token_and_a_working_role(b: Backend) {
    let (t, case) = server(b).await;
    let forms: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "contact",
            vec![
                ("channel", "phone"),
                ("direction", "inbound"),
                ("minutes", "3"),
                ("summary", "Called."),
            ],
        ),
        (
            "ask",
            vec![("kind", "send_document"), ("action", "Send the receipt")],
        ),
        ("repeated", vec![("what", "address")]),
        ("repeat", vec![("of", "")]),
    ];
    let before = events(&t, case).await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    for (form, fields) in &forms {
        for csrf in [None, Some("wrong")] {
            let mut all = fields.clone();
            all.extend(csrf.map(|c| ("csrf", c)));
            let page = ann
                .post(&format!("/cases/{case}/effort/{form}"), &all)
                .await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{form} {csrf:?}");
        }
    }
    let new_case = [
        ("customer", "cora@example.org"),
        ("subject", "Forged"),
        ("channel", "phone"),
        ("summary", "Forged."),
        ("priority", "normal"),
        ("team", "none"),
        ("anyway", "yes"),
    ];
    assert_eq!(
        ann.post("/cases/new", &new_case).await.status,
        StatusCode::FORBIDDEN
    );

    // A light agent reads the panel but has no forms and may post none.
    let mut lee = WebAgent::signed_in(&t, "lee@example.com").await;
    let page = lee.get(&format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("effort-figure"));
    assert!(
        !page.html.contains("/effort/contact"),
        "no forms for light agents"
    );
    assert!(
        !page.html.contains("href=\"/cases/new\""),
        "no New case link"
    );
    for (form, fields) in &forms {
        let page = post_on_case(&mut lee, case, form, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{form}");
    }
    assert_eq!(lee.get("/cases/new").await.status, StatusCode::FORBIDDEN);
    let csrf = page.csrf();
    let mut posted = vec![("csrf", csrf.as_str())];
    posted.extend_from_slice(&new_case);
    assert_eq!(
        lee.post("/cases/new", &posted).await.status,
        StatusCode::FORBIDDEN
    );

    assert_eq!(events(&t, case).await, before, "nothing written");
    assert_eq!(case_count(&t).await, 1);
}

async fn the_portal_shows_what_was_asked_but_never_call_notes(b: Backend) {
    let (t, case) = server(b).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    recorded(
        &mut web,
        case,
        "ask",
        &[
            ("kind", "send_document"),
            ("action", "Send a photo of the printer's label"),
        ],
    )
    .await;
    recorded(
        &mut web,
        case,
        "contact",
        &[
            ("channel", "walk_in"),
            ("direction", "inbound"),
            ("minutes", ""),
            ("summary", "CALL NOTE: customer seemed annoyed"),
        ],
    )
    .await;
    recorded(
        &mut web,
        case,
        "repeated",
        &[("what", "REPEATED: serial number")],
    )
    .await;

    let mut cora = crate::portal::signed_in(&t, "cora@example.org").await;
    let page = cora.get(&format!("/portal/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(
        page.html.contains("What we asked you to do"),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("Send a photo of the printer&#39;s label")
            || page.html.contains("Send a photo of the printer's label"),
        "{}",
        page.html
    );
    assert!(page.html.contains("It jams on every page."));
    assert!(
        !page.html.contains("CALL NOTE"),
        "a logged call's summary is internal"
    );
    assert!(
        !page.html.contains("REPEATED"),
        "agents' effort marks are internal"
    );
}

/// The New case form's fields, with `changes` applied.
fn new_case_form<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("customer", "+44 20 7946 0000"),
        ("name", "Dana Caller"),
        ("subject", "Boiler leaking"),
        ("channel", "phone"),
        ("summary", "Water under the boiler since this morning."),
        ("minutes", "7"),
        ("priority", "high"),
        ("team", "none"),
    ];
    for (k, v) in changes {
        match form.iter_mut().find(|(f, _)| f == k) {
            Some(field) => field.1 = v,
            None => form.push((k, v)),
        }
    }
    form
}

async fn new_case_page_opens_a_phone_case_for_a_new_customer(b: Backend) {
    let (t, _) = server(b).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let views = web.get("/views/all").await;
    assert!(
        views.html.contains("href=\"/cases/new\""),
        "a New case link"
    );
    let page = web.get("/cases/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("action=\"/cases/new\""));
    let csrf = page.csrf();

    // Refused input keeps what was typed and writes nothing.
    for (changes, says) in [
        (vec![("name", "")], "give a name"),
        (vec![("customer", "")], "customer"),
        (vec![("customer", "not a phone")], "customer"),
        (vec![("channel", "api")], "channel"),
        (vec![("subject", " ")], "subject"),
        (vec![("summary", "ring\u{7}ring")], "summary"),
        (vec![("minutes", "seven")], "minutes"),
        (vec![("minutes", "2000")], "minutes"),
        (vec![("priority", "whenever")], "priority"),
        (vec![("team", "424242")], "team"),
        (vec![("name", "Dana\u{0}")], "name"),
    ] {
        let page = web
            .post("/cases/new", &new_case_form(&csrf, &changes))
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{changes:?}: {}",
            page.html
        );
        assert!(page.html.contains(says), "{changes:?}: {}", page.html);
        assert!(page.html.contains("role=\"alert\""));
        assert!(
            page.html.contains("value=\"Boiler leaking\"") || changes[0].0 == "subject",
            "kept"
        );
    }
    assert_eq!(case_count(&t).await, 1);
    let customers = t.all("/api/v1/customers").await;
    assert_eq!(customers.len(), 1, "no customer half-made");

    let page = web.post("/cases/new", &new_case_form(&csrf, &[])).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let id: i64 = page
        .location()
        .strip_prefix("/cases/")
        .unwrap()
        .parse()
        .unwrap();
    let case = t.get(&format!("/api/v1/cases/{id}")).await.body;
    assert_eq!(case["channel"], "phone");
    assert_eq!(case["priority"], "high");
    assert_eq!(case["subject"], "Boiler leaking");
    let customer = t
        .get(&format!("/api/v1/customers/{}", case["customer_id"]))
        .await
        .body;
    assert_eq!(customer["name"], "Dana Caller");
    assert!(customer.to_string().contains("+442079460000"), "{customer}");
    let messages = t.all(&format!("/api/v1/cases/{id}/messages")).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["channel"], "phone");
    assert_eq!(messages[0]["internal"], false);
    let body = messages[0]["body_text"].as_str().unwrap();
    assert!(
        body.starts_with("Water under the boiler since this morning."),
        "{body}"
    );
    assert!(body.contains("7 min"), "{body}");
    let effort = t.get(&format!("/api/v1/cases/{id}/effort")).await.body;
    assert_eq!(effort["tally"]["contacts"], 1, "{effort}");
    let page = web.get(&format!("/cases/{id}")).await;
    assert!(page.html.contains("Water under the boiler"));

    // The same number again is now a known customer (no name needed), and
    // their open case is offered first.
    let page = web
        .post(
            "/cases/new",
            &new_case_form(&csrf, &[("name", ""), ("customer", "+442079460000")]),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(
        page.html.contains("Dana Caller already has open cases"),
        "{}",
        page.html
    );
}

/// The hidden fields of the form posting to `action` on `page`.
fn hidden_fields(page: &Page, action: &str) -> Vec<(String, String)> {
    let start = page
        .html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form for {action} in {}", page.html));
    let form = &page.html[start..start + page.html[start..].find("</form>").unwrap()];
    form.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|input| {
            let name = input
                .split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let value = input
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

async fn post_hidden(web: &mut WebAgent, page: &Page, action: &str) -> Page {
    let fields = hidden_fields(page, action);
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    web.post(action, &form).await
}

async fn a_call_about_an_open_case_is_logged_on_it_not_opened_again(b: Backend) {
    let (t, case) = server(b).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = web.get("/cases/new").await.csrf();
    let call = new_case_form(
        &csrf,
        &[
            ("customer", "CORA@example.org"),
            ("name", ""),
            ("subject", "Printer"),
            ("summary", "Called again about the jam"),
            ("minutes", "4"),
        ],
    );
    let page = web.post("/cases/new", &call).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(
        page.html.contains("Cora Customer already has open cases"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains(&format!("#{case} Printer jam")),
        "{}",
        page.html
    );
    assert!(page.html.contains("Open a new case anyway"));
    assert_eq!(case_count(&t).await, 1, "nothing opened yet");

    let logged = post_hidden(&mut web, &page, &format!("/cases/{case}/effort/contact")).await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.html);
    assert_eq!(logged.location(), format!("/cases/{case}"));
    assert_eq!(case_count(&t).await, 1, "a contact, not a new case");
    let all = events(&t, case).await;
    let contacts = of_type(&all, "contact_logged");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["data"]["duration_seconds"], 240);
    assert_eq!(contacts[0]["data"]["direction"], "inbound");
    let effort = t.get(&format!("/api/v1/cases/{case}/effort")).await.body;
    assert_eq!(effort["tally"]["contacts"], 2, "{effort}");
    assert!(
        effort.to_string().contains("→ phone"),
        "a channel switch: {effort}"
    );
    let page = web.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("Called again about the jam"));

    // Or, when it is another matter, a new case after all.
    let confirm = web.post("/cases/new", &call).await;
    let opened = post_hidden(&mut web, &confirm, "/cases/new").await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.html);
    let id: i64 = opened
        .location()
        .strip_prefix("/cases/")
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(id, case);
    let new = t.get(&format!("/api/v1/cases/{id}")).await.body;
    let old = t.get(&format!("/api/v1/cases/{case}")).await.body;
    assert_eq!(new["customer_id"], old["customer_id"]);
    assert_eq!(new["subject"], "Printer");
    assert_eq!(case_count(&t).await, 2);

    // An emailed request offers the open cases but cannot be logged as a call.
    let email = new_case_form(
        &csrf,
        &[("customer", "cora@example.org"), ("channel", "email")],
    );
    let page = web.post("/cases/new", &email).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("already has open cases"));
    assert!(!page.html.contains("/effort/contact"), "{}", page.html);
}

async fn views_show_effort_and_filter_by_level(b: Backend) {
    let (t, high) = server(b).await;
    let cora = t.get(&format!("/api/v1/cases/{high}")).await.body["customer_id"]
        .as_i64()
        .unwrap();
    let low = t.case(cora, "Toner question", "Which toner fits?").await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    recorded(
        &mut web,
        high,
        "ask",
        &[("kind", "call_third_party"), ("action", "Call the dealer")],
    )
    .await;
    recorded(
        &mut web,
        high,
        "contact",
        &[
            ("channel", "phone"),
            ("direction", "inbound"),
            ("minutes", ""),
            ("summary", "Chased."),
        ],
    )
    .await;
    recorded(&mut web, high, "repeated", &[("what", "model number")]).await;

    let all = web.get("/views/all").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(
        all.html.contains("<th scope=\"col\">Effort</th>"),
        "{}",
        all.html
    );
    assert!(
        all.html.contains("title=\"high effort\">41<"),
        "{}",
        all.html
    );
    assert!(all.html.contains("Printer jam") && all.html.contains("Toner question"));

    let filtered = web.get("/views/all?effort=high").await;
    assert_eq!(filtered.status, StatusCode::OK);
    assert!(
        filtered.html.contains(&format!("href=\"/cases/{high}\"")),
        "{}",
        filtered.html
    );
    assert!(
        !filtered.html.contains(&format!("href=\"/cases/{low}\"")),
        "{}",
        filtered.html
    );
    let sorted = web.get("/views/all?sort=-effort_index").await;
    assert!(sorted.html.find("Printer jam").unwrap() < sorted.html.find("Toner question").unwrap());
}
