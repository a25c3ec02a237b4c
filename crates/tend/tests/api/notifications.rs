//! Agent notifications over HTTP on both backends: who is told about an
//! assignment, a customer's reply and an @mention (and that nobody is told
//! about their own action); each agent reads and marks only their own; the
//! bell's count (the live view counts) and email, at once or as an hourly
//! digest, each notification emailed once; and in a real Chromium, the bell
//! lighting up without a reload and the note box suggesting @mentions.

use crate::browser::Browser;
use crate::email::{eventually, send, server};
use crate::harness::{Backend, TestServer};
use crate::portal::{body_text, take_queued_mail};
use crate::web::{PASSWORD, WebAgent};
use fantoccini::Locator;
use fantoccini::key::Key;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tend_domain::agent::Role;
use tend_domain::email::EmailAddress;
use tend_domain::ids::{AgentId, CaseId, TeamId};
use tend_domain::notification::NotificationKind;
use tend_store::jobs::{JobKind, NewJob};
use tend_store::notifications::Recipient;

crate::both_backends!(
    an_assignment_tells_the_assignee_and_never_the_actor,
    a_customer_reply_tells_the_assignee,
    a_mention_tells_the_mentioned_agent_once,
    rules_tell_an_agent_or_a_whole_team_directly,
    nobody_reads_or_marks_another_agents_notifications,
    the_bell_counts_live_and_email_goes_once,
    a_digest_bundles_several_once_an_hour,
);

/// A staff member with a web password and an API token.
struct Staff {
    id: AgentId,
    token: String,
    email: &'static str,
}

async fn staff(t: &TestServer, email: &'static str, name: &str, role: Role) -> Staff {
    t.agent_with_password(email, name, role, PASSWORD).await;
    let id = t
        .store
        .agent_id_by_email(&EmailAddress::parse("email", email).unwrap())
        .await
        .unwrap()
        .unwrap();
    let token = tend::auth::new_token();
    t.store
        .create_api_token(id, &tend::auth::token_hash(&token))
        .await
        .unwrap();
    Staff { id, token, email }
}

/// A server taking mail for `support@example.com` with agents Ann and Bob.
async fn staffed(b: Backend) -> (TestServer, Staff, Staff) {
    let t = server(b).await;
    let ann = staff(&t, "ann@example.com", "Ann Agent", Role::Agent).await;
    let bob = staff(&t, "bob@example.com", "Bob Agent", Role::Agent).await;
    (t, ann, bob)
}

impl Staff {
    async fn send(&self, t: &TestServer, method: Method, path: &str, body: Option<Value>) -> Value {
        let r = t.send(method, path, Some(&self.token), body).await;
        assert!(r.status.is_success(), "{path}: {} {}", r.status, r.body);
        r.body
    }

    /// Assigns `case` to `to` (or nobody).
    async fn assign(&self, t: &TestServer, case: i64, to: Option<AgentId>) {
        let body = json!({"assignee_id": to.map(|a| a.0)});
        self.send(
            t,
            Method::PATCH,
            &format!("/api/v1/cases/{case}"),
            Some(body),
        )
        .await;
    }

    /// Adds an internal note to `case`.
    async fn note(&self, t: &TestServer, case: i64, text: &str) {
        let body = json!({"body": text, "internal": true});
        self.send(
            t,
            Method::POST,
            &format!("/api/v1/cases/{case}/messages"),
            Some(body),
        )
        .await;
    }

    /// Every notification, newest first.
    async fn notifications(&self, t: &TestServer) -> Vec<Value> {
        let page = self
            .send(t, Method::GET, "/api/v1/notifications?limit=100", None)
            .await;
        page["data"].as_array().unwrap().clone()
    }

    async fn unread(&self, t: &TestServer) -> Value {
        self.send(t, Method::GET, "/api/v1/notifications/unread", None)
            .await
    }
}

/// A case the customer opened by email; answers its id.
async fn mailed_case(t: &TestServer, from: &str, id: &str) -> i64 {
    let raw = format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: Boiler ({id})\r\n\
         Message-ID: <{id}@example.org>\r\n\r\nThe boiler is cold.\r\n"
    );
    send(t, from, "support@example.com", raw).await.unwrap();
    let all = crate::email::cases(t).await;
    all.iter()
        .find(|c| c["subject"].as_str().unwrap().contains(id))
        .unwrap_or_else(|| panic!("no case for {id}"))["id"]
        .as_i64()
        .unwrap()
}

/// The customer answers case `case` by email.
async fn customer_writes(t: &TestServer, from: &str, case: i64, id: &str, text: &str) {
    let raw = format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: Re: Boiler [#{case}]\r\n\
         Message-ID: <{id}@example.org>\r\n\r\n{text}\r\n"
    );
    send(t, from, "support@example.com", raw).await.unwrap();
}

async fn an_assignment_tells_the_assignee_and_never_the_actor(b: Backend) {
    let (t, ann, bob) = staffed(b).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let case = t.case(cora, "Printer jams", "On every page.").await;

    bob.assign(&t, case, Some(ann.id)).await;
    let told = ann.notifications(&t).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["kind"], "assigned");
    assert_eq!(told[0]["case_id"], case);
    assert_eq!(
        told[0]["text"],
        format!("Bob Agent assigned #{case} Printer jams to you")
    );
    assert!(told[0]["read_at"].is_null());
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    let assigned = events.iter().find(|e| e["data"]["type"] == "assigned");
    assert_eq!(told[0]["event_id"], assigned.unwrap()["id"]);
    assert!(bob.notifications(&t).await.is_empty(), "not the actor");
    let doc = t.get("/api/v1/openapi.json").await.body;
    let page = t
        .send(Method::GET, "/api/v1/notifications", Some(&ann.token), None)
        .await;
    crate::openapi::check(&doc, "/api/v1/notifications", "get", 200, &page.body);
    let unread = ann.unread(&t).await;
    crate::openapi::check(&doc, "/api/v1/notifications/unread", "get", 200, &unread);
    assert_eq!(unread["count"], 1);

    // Taking a case oneself, or unassigning, tells nobody; handing it on
    // tells the next assignee.
    let other = t.case(cora, "Scanner", "Streaks.").await;
    ann.assign(&t, other, Some(ann.id)).await;
    ann.assign(&t, case, None).await;
    assert_eq!(ann.notifications(&t).await.len(), 1);
    ann.assign(&t, other, Some(bob.id)).await;
    let bobs = bob.notifications(&t).await;
    assert_eq!(bobs.len(), 1);
    assert_eq!(
        bobs[0]["text"],
        format!("Ann Agent assigned #{other} Scanner to you")
    );
    // A case opened by an agent for a customer tells nobody either.
    assert!(
        ann.notifications(&t)
            .await
            .iter()
            .all(|n| n["case_id"] != other)
    );
}

async fn a_customer_reply_tells_the_assignee(b: Backend) {
    let (t, ann, bob) = staffed(b).await;
    let case = mailed_case(&t, "cora@example.org", "reply-1").await;
    // Nobody is assigned: a reply tells nobody.
    customer_writes(&t, "cora@example.org", case, "reply-2", "Still cold.").await;
    let messages = crate::email::messages(&t, case).await;
    assert_eq!(messages.len(), 2, "the reply joined the case: {messages:?}");
    assert!(ann.notifications(&t).await.is_empty());

    bob.assign(&t, case, Some(ann.id)).await;
    customer_writes(
        &t,
        "cora@example.org",
        case,
        "reply-3",
        "Hello?\nIt is   still cold.",
    )
    .await;
    let told = ann.notifications(&t).await;
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!(told[0]["kind"], "customer_replied");
    let name = customer_name(&t, case).await;
    assert_eq!(
        told[0]["text"],
        format!("{name} wrote on #{case} Boiler (reply-1): “Hello? It is still cold.”")
    );
    // Bob assigned it but is not the assignee: the reply is none of his.
    assert!(bob.notifications(&t).await.is_empty());
    // The agent's own reply tells nobody.
    ann.send(
        &t,
        Method::POST,
        &format!("/api/v1/cases/{case}/messages"),
        Some(json!({"body": "We are on our way."})),
    )
    .await;
    assert_eq!(ann.notifications(&t).await.len(), 2);
}

/// The name of the customer of `case`.
async fn customer_name(t: &TestServer, case: i64) -> String {
    let c = t.get(&format!("/api/v1/cases/{case}")).await.body;
    let customer = t
        .get(&format!("/api/v1/customers/{}", c["customer_id"]))
        .await
        .body;
    customer["name"].as_str().unwrap().to_owned()
}

async fn a_mention_tells_the_mentioned_agent_once(b: Backend) {
    let (t, ann, bob) = staffed(b).await;
    let cy = staff(&t, "Cy.Lee@example.com", "Cy Lee", Role::LightAgent).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let case = t.case(cora, "Printer jams", "On every page.").await;

    bob.note(
        &t,
        case,
        "@ann can you call Cora? @ANN knows the model. Ask cy.lee@example.com, or @cy.lee.",
    )
    .await;
    let told = ann.notifications(&t).await;
    assert_eq!(told.len(), 1, "one note, one notification: {told:?}");
    assert_eq!(told[0]["kind"], "mentioned");
    let text = told[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!(
            "Bob Agent mentioned you on #{case} Printer jams: “@ann can you call Cora?"
        )),
        "{text}"
    );
    assert_eq!(cy.notifications(&t).await.len(), 1, "handles ignore case");
    assert!(bob.notifications(&t).await.is_empty());

    // Mentioning oneself, an unknown handle or an address tells nobody.
    ann.note(
        &t,
        case,
        "Note to self, @ann: ask @nobody or bob@example.com",
    )
    .await;
    assert_eq!(ann.notifications(&t).await.len(), 1);
    assert!(bob.notifications(&t).await.is_empty());
    // A second note is a second event: one more notification.
    bob.note(&t, case, "@ann ping").await;
    assert_eq!(ann.notifications(&t).await.len(), 2);
    // A deactivated agent is not told.
    let off = tend_store::agents::AgentChange {
        active: Some(false),
        ..Default::default()
    };
    t.store.update_agent(cy.id, off).await.unwrap();
    bob.note(&t, case, "@cy.lee are you there?").await;
    let cy_now = t.store.notifications(cy.id, false, None, 10).await.unwrap();
    assert_eq!(cy_now.data.len(), 1);

    // The note box's suggestions: active agents by handle or name.
    let mut web = WebAgent::signed_in(&t, ann.email).await;
    let page = web.get("/agents/mentions?q=bo").await;
    assert_eq!(page.status, StatusCode::OK);
    let found: Value = serde_json::from_str(&page.html).unwrap();
    assert_eq!(found, json!([{"handle": "bob", "name": "Bob Agent"}]));
    let page = web.get("/agents/mentions?q=agent").await;
    let found: Value = serde_json::from_str(&page.html).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 2, "{found}");
    let page = web.get("/agents/mentions?q=cy").await;
    assert_eq!(page.html, "[]", "deactivated agents are not offered");
}

async fn rules_tell_an_agent_or_a_whole_team_directly(b: Backend) {
    let (t, ann, bob) = staffed(b).await;
    let cy = staff(&t, "cy@example.com", "Cy", Role::Agent).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let case = t.case(cora, "Printer jams", "On every page.").await;
    let team = t
        .post("/api/v1/teams", json!({"name": "Support"}))
        .await
        .id();
    for member in [&ann, &bob] {
        t.post(
            &format!("/api/v1/teams/{team}/members"),
            json!({"agent_id": member.id.0}),
        )
        .await;
    }
    let told = t
        .store
        .notify(
            vec![
                Recipient::Team(TeamId(team)),
                Recipient::Agent(cy.id),
                Recipient::Agent(ann.id),
            ],
            NotificationKind::Notice,
            CaseId(case),
            format!("SLA breached on #{case}: {}", "x".repeat(500)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(told, 3, "each agent once");
    for agent in [&ann, &bob, &cy] {
        let mine = agent.notifications(&t).await;
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["kind"], "notice");
        assert_eq!(
            mine[0]["text"].as_str().unwrap().chars().count(),
            301,
            "capped"
        );
    }
    // Caused by an event: its actor is left out, and nobody is told twice.
    bob.assign(&t, case, Some(cy.id)).await;
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    let cause = tend_domain::ids::EventId(events.last().unwrap()["id"].as_i64().unwrap());
    for _ in 0..2 {
        t.store
            .notify(
                vec![Recipient::Team(TeamId(team))],
                NotificationKind::Notice,
                CaseId(case),
                "Look at this".into(),
                Some(cause),
            )
            .await
            .unwrap();
    }
    assert_eq!(ann.notifications(&t).await.len(), 2);
    assert_eq!(bob.notifications(&t).await.len(), 1, "bob acted");
}

async fn nobody_reads_or_marks_another_agents_notifications(b: Backend) {
    let (t, ann, bob) = staffed(b).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let first = t.case(cora, "One", "1").await;
    let second = t.case(cora, "Two", "2").await;
    bob.assign(&t, first, Some(ann.id)).await;
    bob.assign(&t, second, Some(ann.id)).await;
    let mine = ann.notifications(&t).await;
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0]["case_id"], second, "newest first");
    let id = mine[1]["id"].as_i64().unwrap();

    // Bob can neither mark nor open Ann's notification, over the API or
    // the web; to him it does not exist.
    t.send(
        Method::POST,
        &format!("/api/v1/notifications/{id}/read"),
        Some(&bob.token),
        None,
    )
    .await
    .error(StatusCode::NOT_FOUND, "not_found");
    let mut web = WebAgent::signed_in(&t, bob.email).await;
    assert_eq!(
        web.get(&format!("/notifications/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let form = web.get("/notifications").await;
    assert!(!form.html.contains("Bob Agent assigned"), "{}", form.html);
    let marked = web
        .post(
            &format!("/notifications/{id}/read"),
            &[("csrf", &form.csrf())],
        )
        .await;
    assert_eq!(marked.status, StatusCode::NOT_FOUND);
    let all = web
        .post("/notifications/read", &[("csrf", &form.csrf())])
        .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER);
    assert_eq!(ann.unread(&t).await["count"], 2, "untouched");
    for path in ["/api/v1/notifications", "/api/v1/notifications/unread"] {
        t.send(Method::GET, path, None, None)
            .await
            .error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    t.send(
        Method::POST,
        &format!("/api/v1/notifications/{id}/read"),
        None,
        None,
    )
    .await
    .error(StatusCode::UNAUTHORIZED, "unauthorized");

    // Ann marks one read, then all; paging walks newest to oldest.
    let read = ann
        .send(
            &t,
            Method::POST,
            &format!("/api/v1/notifications/{id}/read"),
            None,
        )
        .await;
    assert!(read["read_at"].is_string(), "{read}");
    let unread = ann
        .send(&t, Method::GET, "/api/v1/notifications?unread=true", None)
        .await;
    assert_eq!(unread["data"].as_array().unwrap().len(), 1);
    let page = ann
        .send(&t, Method::GET, "/api/v1/notifications?limit=1", None)
        .await;
    assert_eq!(page["data"][0]["case_id"], second);
    let next = page["next_cursor"].as_str().unwrap();
    let older = ann
        .send(
            &t,
            Method::GET,
            &format!("/api/v1/notifications?limit=1&cursor={next}"),
            None,
        )
        .await;
    assert_eq!(older["data"][0]["case_id"], first);
    assert!(older["next_cursor"].is_null());
    let marked = ann
        .send(&t, Method::POST, "/api/v1/notifications/read", None)
        .await;
    assert_eq!(marked["marked"], 1);
    assert_eq!(ann.unread(&t).await["count"], 0);
}

/// `/views/counts` as the agent's browser polls it.
async fn counts(web: &mut WebAgent) -> Value {
    let page = web.get("/views/counts").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    serde_json::from_str(&page.html).unwrap()
}

/// Email queued for `to` (taken off the queue), once some is there.
async fn mail_for(t: &TestServer, to: &str) -> Vec<String> {
    crate::portal::mail_to(t, to)
        .await
        .iter()
        .map(|raw| {
            let text = body_text(raw);
            let subject = mail_parser::MessageParser::default()
                .parse(raw)
                .unwrap()
                .subject()
                .unwrap_or_default()
                .to_owned();
            format!("{subject}\n{text}")
        })
        .collect()
}

/// Waits until no `notification_email` job is due, then answers the mail
/// queued for `to` meanwhile (none if none).
async fn no_more_mail_for(t: &TestServer, to: &str) -> usize {
    eventually("the notification jobs to run", || async {
        let jobs = t.store.jobs(None).await.unwrap();
        let now = tend_store::now();
        jobs.iter()
            .all(|j| j.kind != JobKind::NotificationEmail || j.run_at > now)
            .then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    take_queued_mail(t)
        .await
        .iter()
        .filter(|m| m.recipient == to)
        .count()
}

async fn the_bell_counts_live_and_email_goes_once(b: Backend) {
    let (t, ann, bob) = staffed(b).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let case = t.case(cora, "Printer jams", "On every page.").await;
    let mut web = WebAgent::signed_in(&t, ann.email).await;
    let home = web.get("/views/mine").await;
    assert!(
        home.html
            .contains(r#"<a href="/notifications" class="bell""#)
    );
    for asset in ["bell.svg", "notifications.js", "mentions.js"] {
        let served = web.get(&format!("/assets/{asset}")).await;
        assert_eq!(served.status, StatusCode::OK, "{asset}");
    }
    let quiet = counts(&mut web).await;
    assert_eq!(quiet["notifications"]["count"], 0);
    assert_eq!(quiet["notifications"]["newest"], json!([]));

    // Immediately: the account page's setting.
    let account = web.get("/account").await;
    assert!(account.html.contains("@ann"), "the handle is shown");
    let saved = web
        .post(
            "/account/notifications",
            &[("csrf", &account.csrf()), ("email", "immediately")],
        )
        .await;
    assert_eq!(saved.location(), "/account?done=notifications");
    let account = web.get("/account").await;
    assert!(
        account.html.contains(r#"value="immediately" checked"#),
        "{}",
        account.html
    );
    let refused = web
        .post(
            "/account/notifications",
            &[("csrf", &account.csrf()), ("email", "hourly")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    bob.assign(&t, case, Some(ann.id)).await;
    let live = counts(&mut web).await;
    assert_eq!(live["notifications"]["count"], 1);
    let text = format!("Bob Agent assigned #{case} Printer jams to you");
    assert_eq!(live["notifications"]["newest"][0]["text"], text);
    let id = live["notifications"]["newest"][0]["id"].as_i64().unwrap();
    let background = web.get("/notifications/unread").await;
    let background: Value = serde_json::from_str(&background.html).unwrap();
    assert_eq!(background, live["notifications"]);
    // Others' counts do not move.
    let mut bobs = WebAgent::signed_in(&t, bob.email).await;
    assert_eq!(counts(&mut bobs).await["notifications"]["count"], 0);

    // One email, saying it, with the link that opens it.
    let mails = mail_for(&t, ann.email).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].starts_with(&format!("[Tend] {text}\n")),
        "{}",
        mails[0]
    );
    assert!(
        mails[0].contains(&format!("{}/notifications/{id}", t.base)),
        "{}",
        mails[0]
    );
    // Running the job again emails nothing more.
    let again = NewJob::new(
        JobKind::NotificationEmail,
        json!({"agent_id": ann.id.0}),
        tend_store::now(),
    );
    t.store.enqueue_job(again).await.unwrap();
    assert_eq!(no_more_mail_for(&t, ann.email).await, 0, "emailed once");

    // The page lists it; opening it goes to the case and reads it.
    let page = web.get("/notifications").await;
    assert!(
        page.html
            .contains(&format!("assigned #{case} Printer jams")),
        "{}",
        page.html
    );
    assert!(page.html.contains("class=\"notification unread\""));
    let opened = web.get(&format!("/notifications/{id}")).await;
    assert_eq!(opened.location(), format!("/cases/{case}"));
    assert_eq!(counts(&mut web).await["notifications"]["count"], 0);
    let page = web.get("/notifications").await;
    assert!(!page.html.contains("class=\"notification unread\""));

    // With email off, nothing is mailed; the bell still counts.
    let api = t
        .send(
            Method::PUT,
            "/api/v1/me/notifications",
            Some(&ann.token),
            Some(json!({"email": "off"})),
        )
        .await;
    assert_eq!(api.body, json!({"email": "off"}));
    bob.assign(&t, case, None).await;
    bob.assign(&t, case, Some(ann.id)).await;
    assert_eq!(no_more_mail_for(&t, ann.email).await, 0, "email is off");
    assert_eq!(counts(&mut web).await["notifications"]["count"], 1);
}

async fn a_digest_bundles_several_once_an_hour(b: Backend) {
    let (t, ann, bob) = staffed(b).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let first = t.case(cora, "Printer jams", "On every page.").await;
    let second = t.case(cora, "Scanner streaks", "Lines.").await;
    let set = t
        .send(
            Method::PUT,
            "/api/v1/me/notifications",
            Some(&ann.token),
            Some(json!({"email": "digest"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let doc = t.get("/api/v1/openapi.json").await.body;
    crate::openapi::check(&doc, "/api/v1/me/notifications", "put", 200, &set.body);
    t.send(
        Method::PUT,
        "/api/v1/me/notifications",
        Some(&ann.token),
        Some(json!({"email": "hourly"})),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    bob.assign(&t, first, Some(ann.id)).await;
    bob.assign(&t, second, Some(ann.id)).await;
    bob.note(&t, first, "@ann the customer called").await;
    // One digest job, due on the next full hour; nothing is mailed now.
    let jobs: Vec<_> = t
        .store
        .jobs(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == JobKind::NotificationEmail)
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let due = jobs[0].run_at;
    assert_eq!(due.as_second() % 3600, 0, "{due}");
    assert!(due > tend_store::now());
    assert_eq!(jobs[0].payload, json!({"agent_id": ann.id.0}));
    assert_eq!(no_more_mail_for(&t, ann.email).await, 0);

    // The hour comes (a run now stands in for it): one email lists all
    // three; a later run has nothing left to send.
    let now = NewJob::new(
        JobKind::NotificationEmail,
        json!({"agent_id": ann.id.0}),
        tend_store::now(),
    );
    t.store.enqueue_job(now.clone()).await.unwrap();
    let mails = mail_for(&t, ann.email).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let digest = &mails[0];
    assert!(digest.starts_with("[Tend] 3 notifications\n"), "{digest}");
    for said in [
        format!("Bob Agent assigned #{first} Printer jams to you"),
        format!("Bob Agent assigned #{second} Scanner streaks to you"),
        format!("Bob Agent mentioned you on #{first} Printer jams"),
    ] {
        assert!(digest.contains(&said), "{said} in {digest}");
    }
    t.store.enqueue_job(now).await.unwrap();
    assert_eq!(
        no_more_mail_for(&t, ann.email).await,
        0,
        "each emailed once"
    );
    // Still unread in the workspace: email does not mark them read.
    assert_eq!(ann.unread(&t).await["count"], 3);
}

/// Ann has the workspace open; Bob assigns her a case over the API, and
/// her bell shows it without a reload; the bell's panel lists it and
/// opens the case. On the case page the note box suggests @mentions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bell_lights_up_without_a_reload_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (t, ann, bob) = staffed(Backend::Sqlite).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let case = t.case(cora, "Printer jams", "On every page.").await;
    let b = &browser;
    let c = &b.client;
    b.sign_in(&t, ann.email).await;
    b.wait_for("#bell").await;
    assert!(
        !b.wait_for("#bell-count")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    c.execute("window.stayed = true;", vec![]).await.unwrap();

    bob.assign(&t, case, Some(ann.id)).await;
    // The counts are polled every 10 s.
    let count = c
        .wait()
        .at_most(std::time::Duration::from_secs(25))
        .for_element(Locator::Css("#bell[data-unread='1'] #bell-count"))
        .await
        .unwrap();
    assert_eq!(count.text().await.unwrap(), "1");
    assert_eq!(
        c.execute("return window.stayed === true;", vec![])
            .await
            .unwrap(),
        json!(true),
        "no reload"
    );

    b.click("#bell").await;
    b.wait_for_text("notification-panel", "Bob Agent assigned")
        .await;
    b.screenshot("notifications.png").await;
    b.click("#notification-panel .notification a").await;
    b.wait_for("#case-title").await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with(&format!("/cases/{case}"))
    );

    // @mention suggestions in the note box.
    b.type_into("#note", "Please call her @bo").await;
    c.wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//ul[@id='mention-list'][count(li)=1]/li[contains(., 'Bob Agent')]",
        ))
        .await
        .unwrap();
    b.press(&char::from(Key::Enter).to_string()).await;
    let note = b.wait_for("#note").await;
    assert_eq!(
        note.prop("value").await.unwrap().unwrap(),
        "Please call her @bob "
    );
    b.type_into("#note", "now").await;
    b.click("#note-form button").await;
    b.wait_for_text("message-note", "Please call her @bob now")
        .await;
    let bobs = bob.notifications(&t).await;
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0]["kind"], "mentioned");
}
