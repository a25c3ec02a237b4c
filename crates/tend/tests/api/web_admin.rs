//! The admin pages and canned replies: agents, teams, inboxes and canned
//! replies managed from the web UI, roles and CSRF on every admin route, the
//! canned-reply REST API and the picker on the case page (with and without
//! JavaScript).

use crate::browser::Browser;
use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, Page, WebAgent};
use fantoccini::Locator;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    admin_creates_an_agent_who_can_sign_in,
    agents_and_light_agents_get_403_on_every_admin_route,
    every_admin_form_rejects_a_missing_or_wrong_csrf_token,
    validation_errors_keep_the_input_and_name_the_field,
    admins_cannot_deactivate_or_demote_themselves,
    teams_and_inboxes_are_managed_from_the_web,
    canned_reply_crud_via_web_and_api,
    case_page_picker_prefills_the_reply,
);

const ROOT: &str = "root@example.com";
const ANN: &str = "ann@example.com";
const LEO: &str = "leo@example.com";

/// A server with an admin (Rita Root), an agent (Ann) and a light agent
/// (Leo), all signing in with [`PASSWORD`].
async fn staffed(b: Backend) -> TestServer {
    let t = TestServer::start(b).await;
    t.agent_with_password(ROOT, "Rita Root", Role::Admin, PASSWORD)
        .await;
    t.agent_with_password(ANN, "Ann Agent", Role::Agent, PASSWORD)
        .await;
    t.agent_with_password(LEO, "Leo Light", Role::LightAgent, PASSWORD)
        .await;
    t
}

/// The id of the agent with `email`, through the API.
async fn agent_id(t: &TestServer, email: &str) -> i64 {
    let agents = t.get("/api/v1/agents").await;
    agents
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {}", agents.body))["id"]
        .as_i64()
        .unwrap()
}

async fn agent_json(t: &TestServer, email: &str) -> Value {
    let id = agent_id(t, email).await;
    t.get(&format!("/api/v1/agents/{id}")).await.body
}

/// Posts `form` with the session's CSRF token (taken from `page`).
async fn post(web: &mut WebAgent, page: &str, path: &str, form: &[(&str, &str)]) -> Page {
    let csrf = web.get(page).await.csrf();
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    web.post(path, &fields).await
}

fn assert_redirect(page: &Page, to: &str) {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(page.location(), to);
}

/// Asserts a re-rendered form: 422, the field named, the input kept.
fn assert_rejected(page: &Page, field: &str, kept: &[&str]) {
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    assert!(
        page.html.contains(&format!("role=\"alert\">{field}: ")),
        "no message naming {field}: {}",
        page.html
    );
    for value in kept {
        assert!(page.html.contains(value), "{value} not kept: {}", page.html);
    }
}

/// One canned reply, made through the API as the admin; answers its id.
async fn canned(t: &TestServer, title: &str, body: &str) -> i64 {
    let r = t
        .post(
            "/api/v1/canned_replies",
            json!({"title": title, "body": body}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

async fn admin_creates_an_agent_who_can_sign_in(b: Backend) {
    let t = staffed(b).await;
    let mut root = WebAgent::signed_in(&t, ROOT).await;
    let page = root.get("/admin").await;
    assert_redirect(&page, "/admin/agents");
    let page = root.get("/admin/agents").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(">Admin</a>"), "nav link for admins");
    assert!(page.html.contains("Leo Light") && page.html.contains("light agent"));

    let created = post(
        &mut root,
        "/admin/agents",
        "/admin/agents",
        &[
            ("name", "Nina New"),
            ("email", "nina@example.com"),
            ("role", "agent"),
            ("password", "a long enough secret"),
        ],
    )
    .await;
    assert_redirect(&created, "/admin/agents");
    let list = root.get("/admin/agents").await;
    assert!(list.html.contains("Nina New") && list.html.contains("nina@example.com"));
    let nina = agent_json(&t, "nina@example.com").await;
    assert_eq!(nina["role"], "agent");
    assert_eq!(nina["active"], true);

    // The password was hashed as sign-in expects: Nina signs in with it.
    let mut web = WebAgent::new(&t);
    let ok = web
        .sign_in("nina@example.com", "a long enough secret")
        .await;
    assert_redirect(&ok, "/");
    let home = web.get("/views/mine").await;
    assert!(home.html.contains("Nina New"));
    assert!(
        !home.html.contains(">Admin</a>"),
        "no admin link for agents"
    );

    // Role changes take effect; deactivation ends her session and sign-in.
    let id = nina["id"].as_i64().unwrap().to_string();
    let role = post(
        &mut root,
        "/admin/agents",
        &format!("/admin/agents/{id}/role"),
        &[("role", "light_agent")],
    )
    .await;
    assert_redirect(&role, "/admin/agents");
    assert_eq!(
        agent_json(&t, "nina@example.com").await["role"],
        "light_agent"
    );
    let off = post(
        &mut root,
        "/admin/agents",
        &format!("/admin/agents/{id}/active"),
        &[("active", "false")],
    )
    .await;
    assert_redirect(&off, "/admin/agents");
    assert_eq!(agent_json(&t, "nina@example.com").await["active"], false);
    assert_eq!(web.get("/views/mine").await.location(), "/signin");
    let refused = WebAgent::new(&t)
        .sign_in("nina@example.com", "a long enough secret")
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(root.get("/admin/agents").await.html.contains("Reactivate"));

    let on = post(
        &mut root,
        "/admin/agents",
        &format!("/admin/agents/{id}/active"),
        &[("active", "true")],
    )
    .await;
    assert_redirect(&on, "/admin/agents");
    let again = WebAgent::new(&t)
        .sign_in("nina@example.com", "a long enough secret")
        .await;
    assert_redirect(&again, "/");
}

/// Every admin page, and every admin form as (path, fields) with the ids of
/// a team, inbox, canned reply and agent that exist.
async fn admin_routes(t: &TestServer) -> (Vec<String>, Vec<(String, Vec<(&'static str, String)>)>) {
    let team = t
        .post("/api/v1/teams", json!({"name": "Billing"}))
        .await
        .id();
    let inbox = t
        .post("/api/v1/inboxes", json!({"address": "help@example.com"}))
        .await
        .id();
    let reply = canned(t, "Thanks", "Thank you, {{customer.first_name}}.").await;
    let calendar = t
        .post(
            "/api/v1/calendars",
            json!({"name": "Office", "time_zone": "Europe/Amsterdam", "hours": "mon-fri 09:00-17:00"}),
        )
        .await
        .id();
    let policy = t
        .post(
            "/api/v1/sla_policies",
            json!({"name": "Standard", "targets": [{"priority": "normal", "first_response": 60}]}),
        )
        .await
        .id();
    let rule = t
        .post(
            "/api/v1/rules",
            json!({"name": "Tag new", "when": {"on": "case_created"},
                   "then": [{"do": "add_tags", "tags": ["new"]}]}),
        )
        .await
        .id();
    let ann = agent_id(t, ANN).await;
    t.post(
        &format!("/api/v1/teams/{team}/members"),
        json!({"agent_id": ann}),
    )
    .await;
    let pages = vec![
        "/admin".to_string(),
        "/admin/agents".into(),
        "/admin/teams".into(),
        "/admin/inboxes".into(),
        format!("/admin/inboxes/{inbox}"),
        "/admin/canned".into(),
        format!("/admin/canned/{reply}"),
        "/admin/jobs".into(),
        "/admin/calendars".into(),
        format!("/admin/calendars/{calendar}"),
        "/admin/sla".into(),
        format!("/admin/sla/{policy}"),
        "/admin/rules".into(),
        format!("/admin/rules/{rule}"),
    ];
    let dead = crate::jobs::dead_job(t).await;
    let s = |v: &str| v.to_string();
    let forms = vec![
        (
            s("/admin/agents"),
            vec![
                ("name", s("Eve")),
                ("email", s("eve@example.com")),
                ("role", s("admin")),
                ("password", s("a long enough secret")),
            ],
        ),
        (
            format!("/admin/agents/{ann}/role"),
            vec![("role", s("admin"))],
        ),
        (
            format!("/admin/agents/{ann}/active"),
            vec![("active", s("false"))],
        ),
        (s("/admin/teams"), vec![("name", s("Sales"))]),
        (
            format!("/admin/teams/{team}/members"),
            vec![("agent_id", agent_id(t, LEO).await.to_string())],
        ),
        (format!("/admin/teams/{team}/members/{ann}/remove"), vec![]),
        (
            s("/admin/inboxes"),
            vec![
                ("address", s("sales@example.com")),
                ("closed_reply", s("reopen")),
            ],
        ),
        (
            format!("/admin/inboxes/{inbox}"),
            vec![("name", s("Renamed")), ("closed_reply", s("follow_up"))],
        ),
        (
            s("/admin/canned"),
            vec![("title", s("New")), ("body", s("Hello"))],
        ),
        (
            format!("/admin/canned/{reply}"),
            vec![("title", s("Changed")), ("body", s("Changed"))],
        ),
        (format!("/admin/canned/{reply}/delete"), vec![]),
        (format!("/admin/jobs/{dead}/retry"), vec![]),
        (
            s("/admin/calendars"),
            vec![
                ("name", s("Weekend")),
                ("time_zone", s("UTC")),
                ("hours", s("sat,sun 10:00-14:00")),
            ],
        ),
        (
            format!("/admin/calendars/{calendar}"),
            vec![
                ("name", s("Changed")),
                ("time_zone", s("UTC")),
                ("hours", s("always")),
            ],
        ),
        (format!("/admin/calendars/{calendar}/holidays"), vec![]),
        (
            s("/admin/calendars/assign"),
            vec![
                ("target", format!("team-{team}")),
                ("calendar_id", calendar.to_string()),
            ],
        ),
        (format!("/admin/calendars/{calendar}/delete"), vec![]),
        (
            s("/admin/sla"),
            vec![("name", s("Gold")), ("first_response.urgent", s("30m"))],
        ),
        (
            format!("/admin/sla/{policy}"),
            vec![("name", s("Changed")), ("resolution.low", s("8h"))],
        ),
        (
            format!("/admin/sla/{policy}/move"),
            vec![("position", s("2"))],
        ),
        (format!("/admin/sla/{policy}/delete"), vec![]),
        (
            s("/admin/rules"),
            vec![
                ("name", s("Urgent")),
                ("on", s("case_created")),
                ("conditions", s("{}")),
                (
                    "actions",
                    s(r#"[{"do": "set_priority", "priority": "urgent"}]"#),
                ),
            ],
        ),
        (
            s("/admin/rules/dry_run"),
            vec![
                ("name", s("Urgent")),
                ("on", s("case_created")),
                ("conditions", s("{}")),
                (
                    "actions",
                    s(r#"[{"do": "set_priority", "priority": "urgent"}]"#),
                ),
            ],
        ),
        (
            format!("/admin/rules/{rule}"),
            vec![
                ("name", s("Urgent")),
                ("on", s("case_created")),
                ("conditions", s("{}")),
                (
                    "actions",
                    s(r#"[{"do": "set_priority", "priority": "urgent"}]"#),
                ),
            ],
        ),
        (format!("/admin/rules/{rule}/enabled"), vec![]),
        (
            format!("/admin/rules/{rule}/move"),
            vec![("position", s("2"))],
        ),
        (format!("/admin/rules/{rule}/delete"), vec![]),
    ];
    (pages, forms)
}

/// What the admin forms could change, to show nothing did.
async fn admin_state(t: &TestServer) -> Value {
    json!({
        "agents": t.get("/api/v1/agents").await.body,
        "teams": t.get("/api/v1/teams").await.body,
        "inboxes": t.get("/api/v1/inboxes").await.body,
        "canned": t.get("/api/v1/canned_replies").await.body,
        "dead_jobs": t.get("/api/v1/jobs?state=dead").await.body,
        "calendars": t.get("/api/v1/calendars").await.body,
        "sla_policies": t.get("/api/v1/sla_policies").await.body,
        "rules": t.get("/api/v1/rules").await.body,
    })
}

async fn agents_and_light_agents_get_403_on_every_admin_route(b: Backend) {
    let t = staffed(b).await;
    let (pages, forms) = admin_routes(&t).await;
    let before = admin_state(&t).await;
    for email in [ANN, LEO] {
        let mut web = WebAgent::signed_in(&t, email).await;
        for page in &pages {
            let got = web.get(page).await;
            assert_eq!(got.status, StatusCode::FORBIDDEN, "{email} GET {page}");
            assert!(
                got.html.contains("your role may not do this"),
                "{}",
                got.html
            );
        }
        let csrf = web.get("/views/mine").await.csrf();
        for (path, fields) in &forms {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
            let got = web.post(path, &form).await;
            assert_eq!(
                got.status,
                StatusCode::FORBIDDEN,
                "{email} POST {path}: {}",
                got.html
            );
        }
    }
    assert_eq!(admin_state(&t).await, before, "nothing changed");
    // The admin may do what they were refused, so the refusals were real.
    let mut root = WebAgent::signed_in(&t, ROOT).await;
    for page in &pages {
        let got = root.get(page).await;
        assert!(
            got.status.is_success() || got.status == StatusCode::SEE_OTHER,
            "GET {page}: {}",
            got.html
        );
    }
}

async fn every_admin_form_rejects_a_missing_or_wrong_csrf_token(b: Backend) {
    let t = staffed(b).await;
    let (_, forms) = admin_routes(&t).await;
    let before = admin_state(&t).await;
    let mut root = WebAgent::signed_in(&t, ROOT).await;
    for (path, fields) in &forms {
        for csrf in [None, Some("forged")] {
            let mut form: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if let Some(token) = csrf {
                form.push(("csrf", token));
            }
            let got = root.post(path, &form).await;
            assert_eq!(
                got.status,
                StatusCode::FORBIDDEN,
                "POST {path} with {csrf:?}"
            );
            assert!(got.html.contains("this form has expired"), "{}", got.html);
        }
    }
    assert_eq!(admin_state(&t).await, before, "nothing changed");
}

async fn validation_errors_keep_the_input_and_name_the_field(b: Backend) {
    let t = staffed(b).await;
    let mut root = WebAgent::signed_in(&t, ROOT).await;
    let before = admin_state(&t).await;

    let duplicate = post(
        &mut root,
        "/admin/agents",
        "/admin/agents",
        &[
            ("name", "Another Ann"),
            ("email", ANN),
            ("role", "light_agent"),
            ("password", "a long enough secret"),
        ],
    )
    .await;
    assert_rejected(
        &duplicate,
        "email",
        &["value=\"Another Ann\"", "value=\"ann@example.com\""],
    );
    let new_form = &duplicate.html[duplicate.html.find("id=\"new-agent\"").unwrap()..];
    assert!(
        new_form.contains("<option value=\"light_agent\" selected"),
        "role kept"
    );
    assert!(
        duplicate.html.contains("already exists"),
        "{}",
        duplicate.html
    );
    assert!(
        !duplicate.html.contains("a long enough secret"),
        "password echoed"
    );

    let short = post(
        &mut root,
        "/admin/agents",
        "/admin/agents",
        &[
            ("name", "Sam"),
            ("email", "sam@example.com"),
            ("role", "agent"),
            ("password", "short"),
        ],
    )
    .await;
    assert_rejected(&short, "password", &["value=\"sam@example.com\""]);
    let bad_email = post(
        &mut root,
        "/admin/agents",
        "/admin/agents",
        &[
            ("name", "Sam"),
            ("email", "not an address"),
            ("role", "agent"),
            ("password", "a long enough secret"),
        ],
    )
    .await;
    assert_rejected(&bad_email, "email", &["value=\"not an address\""]);

    let untitled = post(
        &mut root,
        "/admin/canned",
        "/admin/canned",
        &[("title", "  "), ("body", "Kept <body> text")],
    )
    .await;
    assert_rejected(&untitled, "title", &["Kept &#60;body&#62; text"]);

    let hours = post(
        &mut root,
        "/admin/inboxes",
        "/admin/inboxes",
        &[
            ("address", "desk@example.com"),
            ("name", "Desk"),
            ("closed_reply", "follow_up"),
            ("first_reply_hours", "soon"),
        ],
    )
    .await;
    assert_rejected(
        &hours,
        "first_reply_hours",
        &[
            "value=\"desk@example.com\"",
            "value=\"soon\"",
            "<option value=\"follow_up\" selected",
        ],
    );

    let team = post(&mut root, "/admin/teams", "/admin/teams", &[("name", "")]).await;
    assert_rejected(&team, "name", &[]);
    assert_eq!(admin_state(&t).await, before, "nothing half-written");

    // The same title twice is named too, with the input kept.
    canned(&t, "Refund", "Your refund is on its way.").await;
    let taken = post(
        &mut root,
        "/admin/canned",
        "/admin/canned",
        &[("title", "Refund"), ("body", "Second try")],
    )
    .await;
    assert_rejected(&taken, "title", &["Second try", "value=\"Refund\""]);
}

async fn admins_cannot_deactivate_or_demote_themselves(b: Backend) {
    let t = staffed(b).await;
    let me = agent_id(&t, ROOT).await;
    let mut root = WebAgent::signed_in(&t, ROOT).await;
    let off = post(
        &mut root,
        "/admin/agents",
        &format!("/admin/agents/{me}/active"),
        &[("active", "false")],
    )
    .await;
    assert_rejected(&off, "active", &[]);
    assert!(
        off.html.contains("you cannot deactivate yourself"),
        "{}",
        off.html
    );
    let demote = post(
        &mut root,
        "/admin/agents",
        &format!("/admin/agents/{me}/role"),
        &[("role", "agent")],
    )
    .await;
    assert_rejected(&demote, "role", &[]);
    assert!(
        demote.html.contains("you cannot demote yourself"),
        "{}",
        demote.html
    );
    let still = agent_json(&t, ROOT).await;
    assert_eq!(
        (still["role"].as_str(), still["active"].as_bool()),
        (Some("admin"), Some(true))
    );
    assert_eq!(
        root.get("/admin/agents").await.status,
        StatusCode::OK,
        "still signed in"
    );

    // Another admin may do it.
    let bad = post(
        &mut root,
        "/admin/agents",
        &format!("/admin/agents/{me}/active"),
        &[("active", "maybe")],
    )
    .await;
    assert_rejected(&bad, "active", &[]);
    let ann = agent_id(&t, ANN).await;
    assert_redirect(
        &post(
            &mut root,
            "/admin/agents",
            &format!("/admin/agents/{ann}/role"),
            &[("role", "admin")],
        )
        .await,
        "/admin/agents",
    );
    let mut ann_web = WebAgent::signed_in(&t, ANN).await;
    let demoted = post(
        &mut ann_web,
        "/admin/agents",
        &format!("/admin/agents/{me}/role"),
        &[("role", "agent")],
    )
    .await;
    assert_redirect(&demoted, "/admin/agents");
    assert_eq!(
        root.get("/admin/agents").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn teams_and_inboxes_are_managed_from_the_web(b: Backend) {
    let t = staffed(b).await;
    let mut root = WebAgent::signed_in(&t, ROOT).await;
    let empty = root.get("/admin/teams").await;
    assert!(empty.html.contains("No teams yet"), "{}", empty.html);
    assert!(
        root.get("/admin/inboxes")
            .await
            .html
            .contains("No inboxes yet")
    );

    assert_redirect(
        &post(
            &mut root,
            "/admin/teams",
            "/admin/teams",
            &[("name", "Billing")],
        )
        .await,
        "/admin/teams",
    );
    let team = t.get("/api/v1/teams").await.body[0].clone();
    assert_eq!(team["name"], "Billing");
    let id = team["id"].as_i64().unwrap();
    let ann = agent_id(&t, ANN).await;
    let added = post(
        &mut root,
        "/admin/teams",
        &format!("/admin/teams/{id}/members"),
        &[("agent_id", &ann.to_string())],
    )
    .await;
    assert_redirect(&added, "/admin/teams");
    assert_eq!(
        t.get(&format!("/api/v1/teams/{id}")).await.body["member_ids"],
        json!([ann])
    );
    let agents = root.get("/admin/agents").await;
    assert!(
        agents.html.contains("<td>Billing</td>"),
        "teams column: {}",
        agents.html
    );
    let nobody = post(
        &mut root,
        "/admin/teams",
        &format!("/admin/teams/{id}/members"),
        &[("agent_id", "")],
    )
    .await;
    assert_rejected(&nobody, "agent_id", &[]);
    let removed = post(
        &mut root,
        "/admin/teams",
        &format!("/admin/teams/{id}/members/{ann}/remove"),
        &[],
    )
    .await;
    assert_redirect(&removed, "/admin/teams");
    assert_eq!(
        t.get(&format!("/api/v1/teams/{id}")).await.body["member_ids"],
        json!([])
    );

    let created = post(
        &mut root,
        "/admin/inboxes",
        "/admin/inboxes",
        &[
            ("address", "Support@Example.com"),
            ("name", ""),
            ("closed_reply", "follow_up"),
            ("auto_acknowledge", "on"),
            ("first_reply_hours", "8"),
        ],
    )
    .await;
    assert_redirect(&created, "/admin/inboxes");
    let inbox = t.get("/api/v1/inboxes").await.body[0].clone();
    assert_eq!(inbox["address"], "support@example.com");
    assert_eq!(inbox["name"], "support@example.com");
    assert_eq!(inbox["closed_reply"], "follow_up");
    assert_eq!(inbox["auto_acknowledge"], true);
    assert_eq!(inbox["first_reply_hours"], 8);
    let id = inbox["id"].as_i64().unwrap();
    let list = root.get("/admin/inboxes").await;
    assert!(list.html.contains("IMAP") && list.html.contains(&format!("/admin/inboxes/{id}")));
    let form = root.get(&format!("/admin/inboxes/{id}")).await;
    assert!(
        form.html.contains("value=\"8\"") && form.html.contains(" checked"),
        "{}",
        form.html
    );

    // Unticked box and blank hours clear them; the address cannot change.
    let saved = post(
        &mut root,
        &format!("/admin/inboxes/{id}"),
        &format!("/admin/inboxes/{id}"),
        &[
            ("address", "evil@example.com"),
            ("name", "Support desk"),
            ("closed_reply", "reopen"),
            ("first_reply_hours", ""),
        ],
    )
    .await;
    assert_redirect(&saved, "/admin/inboxes");
    let inbox = t.get("/api/v1/inboxes").await.body[0].clone();
    assert_eq!(inbox["address"], "support@example.com");
    assert_eq!(inbox["name"], "Support desk");
    assert_eq!(inbox["closed_reply"], "reopen");
    assert_eq!(inbox["auto_acknowledge"], false);
    assert_eq!(inbox["first_reply_hours"], Value::Null);
    let too_long = post(
        &mut root,
        &format!("/admin/inboxes/{id}"),
        &format!("/admin/inboxes/{id}"),
        &[
            ("name", "Support desk"),
            ("closed_reply", "reopen"),
            ("first_reply_hours", "1000"),
        ],
    )
    .await;
    assert_rejected(&too_long, "first_reply_hours", &["value=\"1000\""]);
    assert_eq!(
        root.get("/admin/inboxes/999999").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn canned_reply_crud_via_web_and_api(b: Backend) {
    let t = staffed(b).await;
    let doc = t.get("/api/v1/openapi.json").await.body;
    let mut root = WebAgent::signed_in(&t, ROOT).await;
    assert!(
        root.get("/admin/canned")
            .await
            .html
            .contains("No canned replies yet")
    );

    let created = post(
        &mut root,
        "/admin/canned",
        "/admin/canned",
        &[
            ("title", " Welcome "),
            ("body", "Hello {{customer.first_name}},\nwe are on it."),
        ],
    )
    .await;
    assert_redirect(&created, "/admin/canned");
    let list = t.get("/api/v1/canned_replies").await;
    assert_eq!(list.status, StatusCode::OK);
    crate::openapi::check(&doc, "/api/v1/canned_replies", "get", 200, &list.body);
    let web_made = list.body[0].clone();
    assert_eq!(web_made["title"], "Welcome");
    assert_eq!(
        web_made["body"],
        "Hello {{customer.first_name}},\nwe are on it."
    );
    let id = web_made["id"].as_i64().unwrap();
    assert!(root.get("/admin/canned").await.html.contains("Welcome"));

    // Agents read through the API; only admins write.
    let agent = t.agent_token("api-agent@example.com", Role::Agent).await;
    let read = t
        .send(
            Method::GET,
            &format!("/api/v1/canned_replies/{id}"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    crate::openapi::check(&doc, "/api/v1/canned_replies/{id}", "get", 200, &read.body);
    let refused = t
        .send(
            Method::POST,
            "/api/v1/canned_replies",
            Some(&agent),
            Some(json!({"title": "X", "body": "Y"})),
        )
        .await;
    refused.error(StatusCode::FORBIDDEN, "forbidden");
    let refused = t
        .send(
            Method::DELETE,
            &format!("/api/v1/canned_replies/{id}"),
            Some(&agent),
            None,
        )
        .await;
    refused.error(StatusCode::FORBIDDEN, "forbidden");

    // API create, conflicts and validation.
    let made = t
        .post(
            "/api/v1/canned_replies",
            json!({"title": "Refund", "body": "On its way."}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    crate::openapi::check(&doc, "/api/v1/canned_replies", "post", 201, &made.body);
    let api_id = made.id();
    assert_eq!(
        made.headers["location"],
        format!("/api/v1/canned_replies/{api_id}").as_str()
    );
    let dup = t
        .post(
            "/api/v1/canned_replies",
            json!({"title": "Welcome", "body": "Again"}),
        )
        .await;
    assert_eq!(dup.error(StatusCode::CONFLICT, "conflict"), "title");
    let empty = t
        .post(
            "/api/v1/canned_replies",
            json!({"title": "Empty", "body": " "}),
        )
        .await;
    assert_eq!(
        empty.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "body"
    );
    let missing = t
        .post("/api/v1/canned_replies", json!({"body": "No title"}))
        .await;
    assert_eq!(
        missing.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "title"
    );

    // PATCH changes only what it names; the web edit page shows it.
    let patched = t
        .patch(
            &format!("/api/v1/canned_replies/{id}"),
            json!({"title": "Hello"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    crate::openapi::check(
        &doc,
        "/api/v1/canned_replies/{id}",
        "patch",
        200,
        &patched.body,
    );
    assert_eq!(patched.body["body"], web_made["body"]);
    let clash = t
        .patch(
            &format!("/api/v1/canned_replies/{id}"),
            json!({"title": "Refund"}),
        )
        .await;
    assert_eq!(clash.error(StatusCode::CONFLICT, "conflict"), "title");
    let edit = root.get(&format!("/admin/canned/{id}")).await;
    assert!(edit.html.contains("value=\"Hello\""), "{}", edit.html);

    // Web edit, then web delete and API delete.
    let saved = post(
        &mut root,
        &format!("/admin/canned/{id}"),
        &format!("/admin/canned/{id}"),
        &[("title", "Greeting"), ("body", "Hi {{customer.name}}.")],
    )
    .await;
    assert_redirect(&saved, "/admin/canned");
    let now = t.get(&format!("/api/v1/canned_replies/{id}")).await.body;
    assert_eq!(
        (now["title"].as_str(), now["body"].as_str()),
        (Some("Greeting"), Some("Hi {{customer.name}}."))
    );
    let clash = post(
        &mut root,
        &format!("/admin/canned/{id}"),
        &format!("/admin/canned/{id}"),
        &[("title", "Refund"), ("body", "Kept")],
    )
    .await;
    assert_rejected(&clash, "title", &["value=\"Refund\"", ">Kept</textarea>"]);
    let deleted = post(
        &mut root,
        "/admin/canned",
        &format!("/admin/canned/{id}/delete"),
        &[],
    )
    .await;
    assert_redirect(&deleted, "/admin/canned");
    t.get(&format!("/api/v1/canned_replies/{id}"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        root.get(&format!("/admin/canned/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let gone = t
        .send(
            Method::DELETE,
            &format!("/api/v1/canned_replies/{api_id}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let again = t
        .send(
            Method::DELETE,
            &format!("/api/v1/canned_replies/{api_id}"),
            Some(&t.admin),
            None,
        )
        .await;
    again.error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(t.get("/api/v1/canned_replies").await.body, json!([]));
}

async fn case_page_picker_prefills_the_reply(b: Backend) {
    let t = staffed(b).await;
    let customer = t.customer("Cora Mae Customer", "cora@example.org").await;
    let case = t.case(customer, "Printer jam", "It jams.").await;
    let mut ann = WebAgent::signed_in(&t, ANN).await;
    let page = ann.get(&format!("/cases/{case}")).await;
    assert!(
        !page.html.contains("canned-picker"),
        "no picker without canned replies"
    );

    let id = canned(
        &t,
        "Looking into it",
        "Hi {{customer.first_name}}, about {{case.reference}} ({{case.subject}}): on it. {{agent.name}} {{customer.phone}} <b>",
    )
    .await;
    let expanded = format!(
        "Hi Cora, about #{case} (Printer jam): on it. Ann Agent {{{{customer.phone}}}} &#60;b&#62;"
    );
    let page = ann.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("/assets/canned.js"), "{}", page.html);
    assert!(
        page.html.contains(&format!(
            "<option value=\"{id}\" data-text=\"{expanded}\">Looking into it</option>"
        )),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("<textarea id=\"reply\" name=\"body\" rows=\"6\"></textarea>")
    );

    // Without JavaScript: the picker's GET form pre-fills the reply box.
    let filled = ann.get(&format!("/cases/{case}?canned={id}")).await;
    assert_eq!(filled.status, StatusCode::OK);
    assert!(
        filled
            .html
            .contains(&format!("name=\"body\" rows=\"6\">{expanded}</textarea>")),
        "{}",
        filled.html
    );
    assert!(
        ann.get(&format!("/cases/{case}?canned="))
            .await
            .html
            .contains("rows=\"6\"></textarea>")
    );
    assert_eq!(
        ann.get(&format!("/cases/{case}?canned=999999"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ann.get(&format!("/cases/{case}?canned=x")).await.status,
        StatusCode::NOT_FOUND
    );

    // Light agents cannot reply, so they get no picker.
    let mut leo = WebAgent::signed_in(&t, LEO).await;
    assert!(
        !leo.get(&format!("/cases/{case}"))
            .await
            .html
            .contains("canned-picker")
    );
}

/// In Chromium: an admin writes a canned reply on the admin pages; an agent
/// inserts it into a reply with the picker (no page load) and sends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_writes_a_canned_reply_and_an_agent_sends_it_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = staffed(Backend::Sqlite).await;
    let customer = t.customer("Cora Customer", "cora@example.org").await;
    let case = t.case(customer, "Printer jam", "It jams.").await;
    let b = &browser;
    let c = &b.client;

    b.sign_in(&t, ROOT).await;
    c.find(Locator::LinkText("Admin"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_for_text("admin-table", "Leo Light").await;
    b.screenshot("admin.png").await;
    c.find(Locator::LinkText("Canned replies"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_for_text("empty", "No canned replies yet").await;
    b.type_into("#new-canned input[name=title]", "Looking into it")
        .await;
    b.type_into(
        "#new-canned textarea[name=body]",
        "Hi {{customer.first_name}}, {{case.reference}} is with {{agent.name}}.",
    )
    .await;
    b.click("#new-canned button").await;
    b.wait_for_text("admin-table", "Looking into it").await;
    b.click(".who form[action='/signout'] button").await;

    b.sign_in(&t, ANN).await;
    let url = format!("{}/cases/{case}", t.base);
    c.goto(&url).await.unwrap();
    b.type_into("#reply", "Thanks for writing. ").await;
    let id = t.get("/api/v1/canned_replies").await.body[0]["id"]
        .as_i64()
        .unwrap();
    assert!(
        !b.wait_for("#canned-picker button")
            .await
            .is_displayed()
            .await
            .unwrap(),
        "JS hides the Insert button"
    );
    b.wait_for("#canned")
        .await
        .select_by_value(&id.to_string())
        .await
        .unwrap();
    let expected = format!("Thanks for writing. Hi Cora, #{case} is with Ann Agent.");
    let value = b.wait_for("#reply").await.prop("value").await.unwrap();
    assert_eq!(value.as_deref(), Some(expected.as_str()));
    assert_eq!(
        c.current_url().await.unwrap().as_str(),
        url,
        "no navigation"
    );
    b.click("#reply-form .send button").await;
    b.wait_for_text("message-reply", "is with Ann Agent").await;
    let messages = crate::email::messages(&t, case).await;
    assert!(
        messages.iter().any(|m| m["body_text"] == expected.as_str()),
        "{messages:?}"
    );
}
