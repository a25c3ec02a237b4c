//! Case views in the web UI: the team view, filters on every view (and in
//! their paging links), saved filters (private and shared) and bulk changes,
//! checked through the API; one bulk change in a real Chromium.

use crate::browser::Browser;
use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, Page, WebAgent};
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;
use tend_domain::agent::Role;
use tend_domain::email::EmailAddress;
use tend_domain::ids::{AgentId, TeamId};
use tend_store::saved_filters::NewSavedFilter;

crate::both_backends!(
    lists_show_the_customer_and_who_waits_longest,
    team_view_lists_exactly_the_teams_open_cases,
    filters_narrow_and_combine,
    filters_survive_sorting_and_paging,
    saved_filters_private_and_shared,
    bulk_changes_apply_per_case_and_report_failures,
    bulk_changes_need_a_token_and_a_working_role,
);

/// The subjects listed on a view page, in order.
fn subjects(page: &Page) -> Vec<String> {
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    page.html
        .split("<td><a href=\"/cases/")
        .skip(1)
        .map(|s| {
            let start = s.find('>').unwrap() + 1;
            s[start..start + s[start..].find("</a>").unwrap()].to_string()
        })
        .collect()
}

/// The subjects on `path`, sorted (for set comparisons).
async fn listed(web: &mut WebAgent, path: &str) -> Vec<String> {
    let mut s = subjects(&web.get(path).await);
    s.sort();
    s
}

fn strings(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// An `href` in the page after `marker`, unescaped.
fn href_after(page: &Page, marker: &str) -> String {
    let at = page
        .html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {}", page.html));
    let start = page.html[..at].rfind("href=\"").unwrap() + 6;
    let end = start + page.html[start..].find('"').unwrap();
    page.html[start..end]
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

async fn agent_id(t: &TestServer, email: &str) -> AgentId {
    t.store
        .agent_id_by_email(&EmailAddress::parse("email", email).unwrap())
        .await
        .unwrap()
        .unwrap()
}

/// A server with agents Ann and Bob and light agent Lee.
async fn staffed(b: Backend) -> TestServer {
    let t = TestServer::start(b).await;
    for (email, name, role) in [
        ("ann@example.com", "Ann Agent", Role::Agent),
        ("bob@example.com", "Bob Agent", Role::Agent),
        ("lee@example.com", "Lee Light", Role::LightAgent),
    ] {
        t.agent_with_password(email, name, role, PASSWORD).await;
    }
    t
}

/// Opens a case through the API with extra fields; answers its id.
async fn case_with(t: &TestServer, customer: i64, subject: &str, extra: serde_json::Value) -> i64 {
    let mut body = json!({"subject": subject, "customer_id": customer, "message": "hello"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = t.post("/api/v1/cases", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

async fn set_status(t: &TestServer, case: i64, status: &str) {
    let r = t
        .patch(&format!("/api/v1/cases/{case}"), json!({"status": status}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn team(t: &TestServer, name: &str, members: &[AgentId]) -> TeamId {
    let team = t.store.create_team(name).await.unwrap();
    for m in members {
        t.store.add_team_member(team.id, *m).await.unwrap();
    }
    team.id
}

/// A list's rows (without the header), each as its HTML.
fn rows(page: &Page) -> Vec<&str> {
    let body = &page.html[page.html.find("<tbody>").expect("a list")..];
    body.split("<tr data-case=").skip(1).collect()
}

/// Posts to the API and checks it was accepted.
async fn posted(t: &TestServer, path: &str, body: serde_json::Value) -> i64 {
    let r = t.post(path, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.body);
    r.body["id"].as_i64().unwrap_or_default()
}

/// Lists say who the customer is, what was last written to or by them and
/// how long they have been waiting; "Unassigned" opens with the longest
/// wait first, whatever was updated last.
async fn lists_show_the_customer_and_who_waits_longest(b: Backend) {
    let t = staffed(b).await;
    let org = posted(&t, "/api/v1/organizations", json!({"name": "Acme Ltd"})).await;
    let ann = posted(
        &t,
        "/api/v1/customers",
        json!({"name": "Ann Archer", "email": "ann@example.org", "organization_id": org}),
    )
    .await;
    let bob = t.customer("Bob Baker", "bob@example.org").await;
    let boiler = t.case(ann, "Boiler", "The boiler is cold.").await;
    let invoice = t
        .case(
            bob,
            "Invoice",
            "The invoice\n\n  is wrong.\n> On Monday you wrote: old",
        )
        .await;
    let answered = t.case(bob, "Answered", "A question").await;
    for (case, body) in [
        (answered, json!({"body": "Here is the answer."})),
        (boiler, json!({"body": "We are on it."})),
        (
            invoice,
            json!({"body": "Check the VAT first.", "internal": true}),
        ),
    ] {
        posted(&t, &format!("/api/v1/cases/{case}/messages"), body).await;
    }
    // Ann calls back: she waits again, from now, so after Bob's invoice.
    posted(
        &t,
        &format!("/api/v1/cases/{boiler}/contacts"),
        json!({"channel": "phone", "direction": "inbound", "duration_seconds": 60, "summary": "Still cold."}),
    )
    .await;

    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get("/views/unassigned").await;
    assert_eq!(subjects(&page), ["Invoice", "Boiler", "Answered"]);
    let [invoice_row, boiler_row, answered_row] = rows(&page)[..] else {
        panic!("three rows: {}", page.html)
    };
    assert!(invoice_row.contains("Bob Baker"), "{invoice_row}");
    assert!(
        invoice_row.contains(r#"<span class="preview">The invoice is wrong.</span>"#),
        "the latest message on one line, without the quote or the note: {invoice_row}"
    );
    assert!(invoice_row.contains(r#"<span class="waiting">under a minute</span>"#));
    assert!(boiler_row.contains("Ann Archer") && boiler_row.contains("Acme Ltd"));
    assert!(answered_row.contains("Here is the answer."));
    assert!(
        answered_row.contains(r#"<span class="hint">—</span>"#),
        "nobody waits on an answered case: {answered_row}"
    );
    assert!(
        answered_row.contains("<time datetime=\"") && answered_row.contains(">just now</time>")
    );
    // The other orders are one choice away, and paging keeps the order.
    let recent = web.get("/views/unassigned?sort=-updated_at").await;
    assert_eq!(subjects(&recent), ["Boiler", "Invoice", "Answered"]);
    let api = t.get("/api/v1/cases?sort=waiting_since&limit=2").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let ids: Vec<i64> = api.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [invoice, boiler]);
    let cursor = api.body["next_cursor"].as_str().expect("a next page");
    let rest = t
        .get(&format!(
            "/api/v1/cases?sort=waiting_since&limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(rest.body["data"][0]["id"], answered, "{}", rest.body);
}

async fn team_view_lists_exactly_the_teams_open_cases(b: Backend) {
    let t = staffed(b).await;
    let ann = agent_id(&t, "ann@example.com").await;
    let billing = team(&t, "Billing", &[ann]).await;
    let sales = team(&t, "Sales", &[ann]).await;
    let support = team(&t, "Support", &[]).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    case_with(&t, cora, "Billing new", json!({"team_id": billing.0})).await;
    let held = case_with(&t, cora, "Billing held", json!({"team_id": billing.0})).await;
    set_status(&t, held, "on_hold").await;
    let done = case_with(&t, cora, "Billing resolved", json!({"team_id": billing.0})).await;
    set_status(&t, done, "resolved").await;
    let waiting = case_with(&t, cora, "Sales waiting", json!({"team_id": sales.0})).await;
    set_status(&t, waiting, "pending_customer").await;
    let open = case_with(&t, cora, "Sales open", json!({"team_id": sales.0})).await;
    set_status(&t, open, "open").await;
    case_with(&t, cora, "Support new", json!({"team_id": support.0})).await;
    t.case(cora, "No team", "hello").await;

    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get("/views/team").await;
    assert!(
        page.html
            .contains(r#"<a href="/views/team" aria-current="page">My team's<span"#),
        "in the navigation"
    );
    assert_eq!(
        listed(&mut web, "/views/team").await,
        strings(&["Billing new", "Billing held", "Sales open"])
    );
    // Its filters narrow it further, never widen it.
    assert_eq!(
        listed(&mut web, &format!("/views/team?team={}", sales.0)).await,
        strings(&["Sales open"])
    );
    assert!(
        listed(&mut web, &format!("/views/team?team={}", support.0))
            .await
            .is_empty()
    );
    assert!(
        listed(&mut web, "/views/team?status=resolved")
            .await
            .is_empty()
    );

    // Bob is in no team: the view says why it is empty.
    let mut bob = WebAgent::signed_in(&t, "bob@example.com").await;
    let page = bob.get("/views/team").await;
    assert!(subjects(&page).is_empty());
    assert!(
        page.html.contains("You are not in a team yet"),
        "{}",
        page.html
    );
}

async fn filters_narrow_and_combine(b: Backend) {
    let t = staffed(b).await;
    let ann = agent_id(&t, "ann@example.com").await;
    let billing = team(&t, "Billing", &[]).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let dan = t.customer("Dan Driver", "dan@example.org").await;
    case_with(
        &t,
        cora,
        "Invoice wrong",
        json!({"priority": "urgent", "tags": ["vip"], "team_id": billing.0, "channel": "email"}),
    )
    .await;
    case_with(
        &t,
        cora,
        "Printer 100% broken",
        json!({"priority": "urgent", "channel": "phone", "assignee_id": ann.0}),
    )
    .await;
    let closed = case_with(&t, dan, "Invoice copy", json!({"tags": ["vip"]})).await;
    set_status(&t, closed, "closed").await;
    case_with(&t, dan, "Printer_jam", json!({"team_id": billing.0})).await;

    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let all = strings(&[
        "Invoice wrong",
        "Printer 100% broken",
        "Invoice copy",
        "Printer_jam",
    ]);
    assert_eq!(listed(&mut web, "/views/all").await, all);
    let cases = [
        ("status=closed", vec!["Invoice copy"]),
        (
            "priority=urgent",
            vec!["Invoice wrong", "Printer 100% broken"],
        ),
        (
            &format!("team={}", billing.0) as &str,
            vec!["Invoice wrong", "Printer_jam"],
        ),
        ("assignee=me", vec!["Printer 100% broken"]),
        (&format!("assignee={}", ann.0), vec!["Printer 100% broken"]),
        (
            "assignee=none",
            vec!["Invoice wrong", "Invoice copy", "Printer_jam"],
        ),
        ("tag=VIP", vec!["Invoice wrong", "Invoice copy"]),
        ("channel=phone", vec!["Printer 100% broken"]),
        (
            "customer=dan%40example.org",
            vec!["Invoice copy", "Printer_jam"],
        ),
        (
            "customer=cora+cust",
            vec!["Invoice wrong", "Printer 100% broken"],
        ),
        (
            &format!("customer={dan}"),
            vec!["Invoice copy", "Printer_jam"],
        ),
        ("customer=example", vec![]),
        ("q=invoice", vec!["Invoice wrong", "Invoice copy"]),
        // LIKE wildcards are taken literally.
        ("q=100%25", vec!["Printer 100% broken"]),
        ("q=r_j", vec!["Printer_jam"]),
        // Combined filters intersect.
        ("q=invoice&tag=vip&status=new", vec!["Invoice wrong"]),
        ("priority=urgent&channel=email", vec!["Invoice wrong"]),
        ("priority=urgent&customer=dan", vec![]),
        // Blank values do not filter.
        (
            "status=&priority=&q=",
            all.iter().map(String::as_str).collect(),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(
            listed(&mut web, &format!("/views/all?{query}")).await,
            strings(&expected),
            "{query}"
        );
    }
    // A view's own filter and the agent's filters intersect.
    assert_eq!(
        listed(&mut web, "/views/unassigned?tag=vip").await,
        strings(&["Invoice wrong"])
    );
    assert!(
        listed(&mut web, "/views/mine?assignee=none")
            .await
            .is_empty()
    );
    let none = web.get("/views/mine?status=closed").await;
    assert!(none.html.contains("No case matches these filters"));
    // The form shows what is in force.
    let page = web.get("/views/all?priority=urgent&q=printer").await;
    assert!(page.html.contains(r#"<option value="urgent" selected>"#));
    assert!(page.html.contains(r#"name="q" value="printer""#));
    // Bad values are refused with a message naming the filter.
    for (query, message) in [
        ("status=bogus", "status"),
        ("priority=meh", "priority"),
        ("team=sales", "is not a team"),
        ("assignee=someone", "is not an agent"),
        ("tag=%21%21", "is not a tag"),
        ("colour=red", "colour"),
    ] {
        let page = web.get(&format!("/views/all?{query}")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(page.html.contains(message), "{query}: {}", page.html);
    }
}

async fn filters_survive_sorting_and_paging(b: Backend) {
    let t = staffed(b).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    for i in 0..30 {
        case_with(
            &t,
            cora,
            &format!("Tagged {i:02}"),
            json!({"tags": ["batch"]}),
        )
        .await;
    }
    for i in 0..3 {
        t.case(cora, &format!("Plain {i}"), "hello").await;
    }
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let first = web.get("/views/all?tag=batch&sort=created_at").await;
    let rows = subjects(&first);
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[0], "Tagged 00", "oldest first");
    // The sort form carries the filter; the filter form carries the sort.
    assert!(
        first
            .html
            .contains(r#"<input type="hidden" name="tag" value="batch">"#)
    );
    assert!(
        first
            .html
            .contains(r#"<input type="hidden" name="sort" value="created_at">"#)
    );
    let next = href_after(&first, "rel=\"next\"");
    assert!(
        next.contains("tag=batch") && next.contains("sort=created_at"),
        "{next}"
    );
    let second = web.get(&next).await;
    let rows = subjects(&second);
    assert_eq!(
        rows,
        (25..30).map(|i| format!("Tagged {i}")).collect::<Vec<_>>(),
        "the rest of the filtered cases, still in order"
    );
    let back = href_after(&second, ">First page<");
    assert_eq!(back, "/views/all?tag=batch&sort=created_at");
}

/// Posts the save-filter form.
async fn post(web: &mut WebAgent, form: Vec<(&str, String)>) -> Page {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    web.post("/views/saved", &pairs).await
}

async fn saved_filters_private_and_shared(b: Backend) {
    let t = staffed(b).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    case_with(&t, cora, "Server down", json!({"priority": "urgent"})).await;
    case_with(&t, cora, "Question", json!({})).await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = ann.get("/views/unassigned?priority=urgent").await;
    assert!(page.html.contains("Save these filters as"));
    let csrf = page.csrf();
    let save = |name: &str, shared: bool| {
        let mut form = vec![
            ("csrf", csrf.clone()),
            ("name", name.to_string()),
            ("view", "unassigned".to_string()),
            ("priority", "urgent".to_string()),
        ];
        if shared {
            form.push(("shared", "1".to_string()));
        }
        form
    };
    let shared = post(&mut ann, save("Urgent ones", true)).await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER, "{}", shared.html);
    let shared_path = shared.location().to_string();
    assert!(shared_path.starts_with("/views/saved/"), "{shared_path}");
    let private = post(&mut ann, save("Just mine", false)).await;
    let private_path = private.location().to_string();

    // Opening it applies the view and the saved filters.
    let page = ann.get(&shared_path).await;
    assert_eq!(subjects(&page), vec!["Server down"]);
    assert!(page.html.contains("<h1 id=\"view-title\">Urgent ones</h1>"));
    assert!(
        page.html.contains(&format!("href=\"{private_path}\"")),
        "listed"
    );
    // The same name twice is refused.
    let again = post(&mut ann, save("Urgent ones", false)).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.html
    );
    assert!(
        again
            .html
            .contains("already have a saved filter named Urgent ones")
    );
    // Bad input is refused and nothing is saved.
    let mut bad = save("Broken", false);
    bad.push(("status", "bogus".into()));
    assert_eq!(
        post(&mut ann, bad).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut nameless = save("  ", false);
    nameless.truncate(4);
    assert_eq!(
        post(&mut ann, nameless).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut no_token = save("No token", false);
    no_token.remove(0);
    assert_eq!(post(&mut ann, no_token).await.status, StatusCode::FORBIDDEN);
    let page = ann.get("/views/all").await;
    assert!(!page.html.contains("Broken") && !page.html.contains("No token"));

    // Bob sees the shared filter, not the private one, and deletes neither.
    let mut bob = WebAgent::signed_in(&t, "bob@example.com").await;
    let page = bob.get("/views/mine").await;
    assert!(page.html.contains("Urgent ones") && !page.html.contains("Just mine"));
    assert!(
        !page.html.contains("Delete saved filter"),
        "not his to delete"
    );
    assert_eq!(subjects(&bob.get(&shared_path).await), vec!["Server down"]);
    assert_eq!(bob.get(&private_path).await.status, StatusCode::NOT_FOUND);
    let bob_csrf = page.csrf();
    let forbidden = bob
        .post(&format!("{shared_path}/delete"), &[("csrf", &bob_csrf)])
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let hidden = bob
        .post(&format!("{private_path}/delete"), &[("csrf", &bob_csrf)])
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    // Ann deletes hers.
    let gone = ann
        .post(&format!("{shared_path}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(gone.location(), "/views/unassigned");
    assert_eq!(ann.get(&shared_path).await.status, StatusCode::NOT_FOUND);
    assert!(!bob.get("/views/mine").await.html.contains("Urgent ones"));

    // A stored filter that no longer parses is refused when opened.
    let ann_id = agent_id(&t, "ann@example.com").await;
    let stale = t
        .store
        .create_saved_filter(NewSavedFilter {
            owner: ann_id,
            name: "Stale".into(),
            view: "all".into(),
            params: BTreeMap::from([("status".to_string(), "archived".to_string())]),
            shared: false,
        })
        .await
        .unwrap();
    let page = ann.get(&format!("/views/saved/{}", stale.id)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("no longer applies"), "{}", page.html);
}

/// The event types of a case, through the API.
async fn event_types(t: &TestServer, case: i64) -> Vec<String> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .iter()
        .map(|e| e["data"]["type"].as_str().unwrap().to_string())
        .collect()
}

async fn bulk_changes_apply_per_case_and_report_failures(b: Backend) {
    let t = staffed(b).await;
    let ann = agent_id(&t, "ann@example.com").await;
    let bob = agent_id(&t, "bob@example.com").await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let one = t.case(cora, "First", "hello").await;
    let two = t.case(cora, "Second", "hello").await;
    let closed = t.case(cora, "Third", "hello").await;
    set_status(&t, closed, "closed").await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get("/views/all?q=ir").await;
    assert!(page.html.contains(&format!(
        r#"<input type="checkbox" name="case" value="{one}" form="bulk" id="pick-{one}"><label for="pick-{one}" class="visually-hidden">Select #{one} First</label>"#
    )), "{}", page.html);
    assert!(page.html.contains("Select all cases on this page"));
    let csrf = page.csrf();
    let back = "/views/all?q=ir&sort=-updated_at";
    let (one_s, two_s, closed_s) = (one.to_string(), two.to_string(), closed.to_string());

    // Assign two cases to me.
    let r = web
        .post(
            "/views/bulk",
            &[
                ("csrf", &csrf),
                ("back", back),
                ("case", &one_s),
                ("case", &two_s),
                ("assignee", "me"),
                ("status", ""),
                ("tag", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    assert_eq!(r.location(), back, "back to the view with its filters");
    let page = web.get(r.location()).await;
    assert!(page.html.contains("2 cases updated"), "{}", page.html);
    // The report shows once.
    assert!(!web.get(back).await.html.contains("cases updated"));
    for case in [one, two] {
        let c = t.get(&format!("/api/v1/cases/{case}")).await;
        assert_eq!(c.body["assignee_id"], ann.0);
        assert!(
            event_types(&t, case)
                .await
                .contains(&"assigned".to_string())
        );
    }
    assert!(t.get(&format!("/api/v1/cases/{closed}")).await.body["assignee_id"].is_null());

    // To another agent, and unassigning.
    web.post(
        "/views/bulk",
        &[
            ("csrf", &csrf),
            ("back", back),
            ("case", &one_s),
            ("assignee", &bob.0.to_string()),
        ],
    )
    .await;
    assert_eq!(
        t.get(&format!("/api/v1/cases/{one}")).await.body["assignee_id"],
        bob.0
    );
    web.post(
        "/views/bulk",
        &[
            ("csrf", &csrf),
            ("back", back),
            ("case", &one_s),
            ("assignee", "none"),
        ],
    )
    .await;
    assert!(t.get(&format!("/api/v1/cases/{one}")).await.body["assignee_id"].is_null());

    // A status for an open, a closed and a missing case: one changes, two fail.
    let r = web
        .post(
            "/views/bulk",
            &[
                ("csrf", &csrf),
                ("back", back),
                ("case", &two_s),
                ("case", &closed_s),
                ("case", "99999"),
                ("status", "resolved"),
            ],
        )
        .await;
    let page = web.get(r.location()).await;
    assert!(page.html.contains("1 case updated"), "{}", page.html);
    assert!(
        page.html.contains("#99999: there is no such case"),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains(&format!("#{closed}: a closed case cannot be reopened")),
        "{}",
        page.html
    );
    assert_eq!(
        t.get(&format!("/api/v1/cases/{two}")).await.body["status"],
        "resolved"
    );
    assert_eq!(
        t.get(&format!("/api/v1/cases/{closed}")).await.body["status"],
        "closed"
    );
    let types = event_types(&t, two).await;
    assert_eq!(
        types.iter().filter(|t| *t == "status_changed").count(),
        1,
        "{types:?}"
    );

    // "Select all on this page" tags every case listed, even closed ones.
    let r = web
        .post(
            "/views/bulk",
            &[
                ("csrf", &csrf),
                ("back", back),
                ("all", "1"),
                ("page", &one_s),
                ("page", &two_s),
                ("page", &closed_s),
                ("tag", "VIP"),
            ],
        )
        .await;
    assert!(web.get(r.location()).await.html.contains("3 cases updated"));
    for case in [one, two, closed] {
        let c = t.get(&format!("/api/v1/cases/{case}")).await;
        assert_eq!(c.body["tags"], json!(["vip"]), "{case}");
        assert!(
            event_types(&t, case)
                .await
                .contains(&"tags_changed".to_string())
        );
    }
    // Again: nothing to change.
    let r = web
        .post(
            "/views/bulk",
            &[
                ("csrf", &csrf),
                ("back", back),
                ("case", &one_s),
                ("tag", "vip"),
            ],
        )
        .await;
    assert!(
        web.get(r.location())
            .await
            .html
            .contains("0 cases updated</strong>; 1 already as asked")
    );

    // An incomplete form goes back to the list, which says what is missing.
    for (form, message) in [
        (vec![("status", "resolved")], "Select at least one case"),
        (vec![("case", one_s.as_str())], "Choose what to change"),
    ] {
        let mut fields = vec![("csrf", csrf.as_str()), ("back", back)];
        fields.extend(form);
        let r = web.post("/views/bulk", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{fields:?}: {}", r.html);
        let list = web.get(r.location()).await;
        assert!(list.html.contains(message), "{message}: {}", list.html);
        assert!(!list.html.contains("cases updated"), "{}", list.html);
    }
    // Bad forms are refused with a message and change nothing.
    for (form, message) in [
        (
            vec![("case", one_s.as_str()), ("status", "bogus")],
            "status",
        ),
        (
            vec![("case", one_s.as_str()), ("tag", "no way!")],
            "is not a tag",
        ),
        (vec![("case", "x1"), ("status", "open")], "is not a case"),
    ] {
        let mut fields = vec![("csrf", csrf.as_str()), ("back", back)];
        fields.extend(form);
        let page = web.post("/views/bulk", &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(page.html.contains(message), "{message}: {}", page.html);
    }
    let offsite = web
        .post(
            "/views/bulk",
            &[
                ("csrf", &csrf),
                ("back", "https://evil.example/"),
                ("case", &one_s),
                ("status", "open"),
            ],
        )
        .await;
    assert_eq!(offsite.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.get(&format!("/api/v1/cases/{one}")).await.body["status"],
        "new"
    );
}

async fn bulk_changes_need_a_token_and_a_working_role(b: Backend) {
    let t = staffed(b).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let case = t.case(cora, "First", "hello").await;
    let id = case.to_string();
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    for csrf in [None, Some("wrong")] {
        let mut form = vec![
            ("back", "/views/all"),
            ("case", id.as_str()),
            ("status", "open"),
        ];
        form.extend(csrf.map(|c| ("csrf", c)));
        let page = web.post("/views/bulk", &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{csrf:?}");
    }
    // Light agents see no checkboxes and may not post.
    let mut lee = WebAgent::signed_in(&t, "lee@example.com").await;
    let page = lee.get("/views/all").await;
    assert_eq!(subjects(&page), vec!["First"]);
    assert!(!page.html.contains("name=\"case\"") && !page.html.contains("/views/bulk"));
    let csrf = page.csrf();
    let page = lee
        .post(
            "/views/bulk",
            &[
                ("csrf", &csrf),
                ("back", "/views/all"),
                ("case", &id),
                ("status", "open"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let c = t.get(&format!("/api/v1/cases/{case}")).await;
    assert_eq!(c.body["status"], "new");
    assert_eq!(
        event_types(&t, case).await,
        vec!["case_opened", "message_received"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_status_change_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = staffed(Backend::Sqlite).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let one = t.case(cora, "Wifi drops", "hello").await;
    let two = t.case(cora, "Router hot", "hello").await;
    let other = t.case(cora, "Left alone", "hello").await;
    let b = &browser;
    b.sign_in(&t, "ann@example.com").await;
    b.client
        .goto(&format!("{}/views/all", t.base))
        .await
        .unwrap();
    // `j` highlights the first row (the newest, "Left alone"), `j` again the
    // second ("Router hot"), and `x` ticks it; then a click ticks another.
    b.wait_for("table.cases").await;
    b.press("jj").await;
    b.press("x").await;
    b.wait_for_text("hint", "1 case selected").await;
    b.click(&format!("#pick-{one}")).await;
    b.wait_for_text("hint", "2 cases selected").await;
    b.wait_for("#bulk select[name=status]")
        .await
        .select_by_value("resolved")
        .await
        .unwrap();
    b.screenshot("bulk.png").await;
    b.click("#bulk button[type=submit]").await;
    b.wait_for_text("report", "2 cases updated").await;
    let resolved = b
        .client
        .find_all(Locator::Css(".status-resolved"))
        .await
        .unwrap();
    assert_eq!(resolved.len(), 2);
    for (case, status) in [(one, "resolved"), (two, "resolved"), (other, "new")] {
        let c = t.get(&format!("/api/v1/cases/{case}")).await;
        assert_eq!(c.body["status"], status, "{case}");
    }
}
