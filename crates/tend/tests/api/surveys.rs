//! Customer surveys end to end: cases opened by real SMTP mail, resolved
//! through the API; the survey job queues the email (read off the outbound
//! queue, or relayed over SMTP to another Tend standing in for the
//! customer's mail server); its one-click links answered in a browser-like
//! client; answers read back as case events, on the agent's case page and
//! in the portal.

use crate::bounces::dsn;
use crate::email::{cases, eventually, messages, raw_source, send};
use crate::harness::{Backend, Options, TestServer};
use crate::portal::{body_text, mail_to, signed_in};
use crate::web::{PASSWORD, Page, WebAgent};
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tend::surveys::link::Link;
use tend_domain::agent::Role;
use tend_domain::ids::CaseId;
use tend_domain::survey::SurveyKind;
use tend_store::jobs::JobKind;

crate::both_backends!(
    one_click_answers_are_recorded_once_and_may_change,
    forged_expired_and_other_case_links_store_nothing,
    automated_and_bounced_senders_are_not_surveyed,
    one_survey_per_customer_per_period_and_after_the_delay,
    survey_mail_goes_out_over_smtp_with_working_links,
    customers_answer_in_the_portal,
    admins_set_surveys_per_inbox_in_the_web_ui,
);

/// The survey settings tests use: sent at once, CSAT too.
fn survey_now() -> Value {
    json!({"enabled": true, "csat": true, "delay_minutes": 0, "every_days": 30})
}

/// A server taking mail for `support@example.com` ("Example Support"),
/// which surveys at once, optionally relaying its mail to `relay`.
async fn surveying_server(b: Backend, relay: Option<String>) -> TestServer {
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            smtp_relay: relay,
            mail_rate_limit: Some(0),
            ..Options::default()
        },
    )
    .await;
    let inbox = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "support@example.com", "name": "Example Support",
                   "survey": survey_now()}),
        )
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    assert_eq!(inbox.body["survey"], survey_now());
    t
}

/// `from` mails `to` with `extra` headers; answers the case it opened.
async fn mail_in(t: &TestServer, from: &str, to: &str, id: &str, extra: &str) -> i64 {
    let raw = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Printer jams ({id})\r\nMessage-ID: <{id}@example.org>\r\n\
         {extra}\r\nThe printer jams on every page.\r\n"
    );
    send(t, from, to, raw).await.unwrap();
    let all = cases(t).await;
    all.iter()
        .find(|c| c["subject"].as_str().unwrap().contains(id))
        .unwrap_or_else(|| panic!("no case for {id}: {all:?}"))["id"]
        .as_i64()
        .unwrap()
}

async fn set_status(t: &TestServer, case: i64, status: &str) {
    let r = t
        .patch(&format!("/api/v1/cases/{case}"), json!({"status": status}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// The events of `case` of type `kind`.
async fn events_of(t: &TestServer, case: i64, kind: &str) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .into_iter()
        .filter(|e| e["data"]["type"] == kind)
        .collect()
}

/// Waits until no survey job is left (each ran to its end).
async fn surveys_done(t: &TestServer) {
    eventually("the survey jobs to run", || async {
        let jobs = t.store.jobs(None).await.unwrap();
        jobs.iter().all(|j| j.kind != JobKind::Survey).then_some(())
    })
    .await;
}

/// The survey links (paths) in an email, in order.
fn links_in(text: &str, base: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|w| w.strip_prefix(base))
        .filter(|path| path.starts_with("/survey/"))
        .map(str::to_owned)
        .collect()
}

/// The survey links Tend queued for `to` (taken off the queue).
async fn survey_links(t: &TestServer, to: &str) -> Vec<String> {
    let mails = mail_to(t, to).await;
    let text = body_text(mails.last().unwrap());
    let links = links_in(&text, &t.base);
    assert_eq!(links.len(), 12, "7 CES and 5 CSAT links in {text}");
    assert!(
        text.contains("Example Support made it easy for me to handle my issue."),
        "{text}"
    );
    links
}

/// Opens `link`, then posts its form with `score` and `comment`.
async fn answer(web: &mut WebAgent, link: &str, score: &str, comment: &str) -> Page {
    let page = web.get(link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let csrf = page.csrf();
    web.post(
        link,
        &[("csrf", &csrf), ("score", score), ("comment", comment)],
    )
    .await
}

/// (kind, score, comment) of each answer on `case`, in order.
async fn answers(t: &TestServer, case: i64) -> Vec<(String, i64, Value)> {
    events_of(t, case, "survey_answered")
        .await
        .iter()
        .map(|e| {
            assert_eq!(e["actor"]["kind"], "customer", "{e}");
            (
                e["data"]["kind"].as_str().unwrap().to_owned(),
                e["data"]["score"].as_i64().unwrap(),
                e["data"]["comment"].clone(),
            )
        })
        .collect()
}

async fn one_click_answers_are_recorded_once_and_may_change(b: Backend) {
    let t = surveying_server(b, None).await;
    let case = mail_in(&t, "ann@example.org", "support@example.com", "a1", "").await;
    set_status(&t, case, "resolved").await;
    let links = survey_links(&t, "ann@example.org").await;
    let sent = events_of(&t, case, "survey_sent").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["data"]["csat"], true);
    assert_eq!(
        t.get(&format!("/api/v1/cases/{case}")).await.body["status"],
        "resolved",
        "a survey is no message: the case stays resolved"
    );

    // Opening a link shows the score chosen and records nothing: a mail
    // scanner following every link answers nothing.
    let mut web = WebAgent::new(&t);
    for link in &links {
        let page = web.get(link).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    }
    let six = web.get(&links[5]).await;
    assert!(
        six.html.contains("value=\"6\" checked"),
        "score 6 is chosen: {}",
        six.html
    );
    assert!(answers(&t, case).await.is_empty());

    // One click on the page's button records it; a second records nothing.
    let first = answer(&mut web, &links[5], "6", "").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.html);
    assert!(first.html.contains("We have your answer"), "{}", first.html);
    let again = answer(&mut web, &links[5], "6", "").await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.html.contains("We already had this answer"));
    assert_eq!(answers(&t, case).await, [("ces".into(), 6, Value::Null)]);

    // The answer changes within the window; the latest counts.
    let changed = answer(&mut web, &links[2], "3", "Took <b>two</b> calls").await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.html);
    let csat = answer(&mut web, &links[11], "5", "").await;
    assert_eq!(csat.status, StatusCode::OK, "{}", csat.html);
    assert_eq!(
        answers(&t, case).await,
        [
            ("ces".into(), 6, Value::Null),
            ("ces".into(), 3, json!("Took <b>two</b> calls")),
            ("csat".into(), 5, Value::Null),
        ]
    );

    // Hostile or out-of-scale input is refused with the form, storing nothing.
    let bell = answer(&mut web, &links[0], "1", "ring\u{7}").await;
    assert_eq!(
        bell.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bell.html
    );
    let long = answer(&mut web, &links[0], "1", &"x".repeat(2001)).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let off_scale = answer(&mut web, &links[0], "8", "").await;
    assert_eq!(off_scale.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without the form's token (another site posting) it is refused too.
    let mut stranger = WebAgent::new(&t);
    let forged = stranger
        .post(&links[0], &[("csrf", "guess"), ("score", "1")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(answers(&t, case).await.len(), 3);

    // Agents see the answers on the timeline and in the customer sidebar,
    // the comment escaped.
    t.agent_with_password("lee@example.com", "Lee", Role::Agent, PASSWORD)
        .await;
    let mut agent = WebAgent::signed_in(&t, "lee@example.com").await;
    let page = agent.get(&format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html
            .contains("answered the survey: CES 3 of 7 (Somewhat disagree)"),
        "{}",
        page.html
    );
    assert!(page.html.contains("CSAT 5 of 5 (Very satisfied)"));
    assert!(
        page.html.contains("Took &lt;b&gt;two&lt;/b&gt; calls")
            || page.html.contains("Took &#60;b&#62;two&#60;/b&#62; calls"),
        "{}",
        page.html
    );
    assert!(!page.html.contains("<b>two</b>"));
    let sidebar = &page.html[page.html.find("survey-answers").unwrap()..];
    assert!(sidebar.contains("CES 3 of 7"), "{sidebar}");

    // Survey events are made only by answering.
    let recorded = t
        .post(
            &format!("/api/v1/cases/{case}/events"),
            json!({"type": "survey_answered", "survey": "00", "kind": "ces", "score": 7}),
        )
        .await;
    assert_eq!(
        recorded.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        recorded.body
    );
}

/// The token at the end of a link.
fn token_of(link: &str) -> &str {
    link.rsplit('/').next().unwrap()
}

async fn forged_expired_and_other_case_links_store_nothing(b: Backend) {
    let t = surveying_server(b, None).await;
    let ann = mail_in(&t, "ann@example.org", "support@example.com", "a1", "").await;
    let bob = mail_in(&t, "bob@example.net", "support@example.com", "b1", "").await;
    set_status(&t, ann, "resolved").await;
    let ann_links = survey_links(&t, "ann@example.org").await;
    set_status(&t, bob, "resolved").await;
    survey_links(&t, "bob@example.net").await;
    let mut web = WebAgent::new(&t);
    // A valid page first, so the browser holds the form's cookie.
    let valid = web.get(&ann_links[0]).await;
    assert_eq!(valid.status, StatusCode::OK);
    let csrf = valid.csrf();

    let token = token_of(&ann_links[0]);
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts[..2], ["ces", "1"]);
    let survey = parts[2];
    let tampered = format!("/survey/{ann}/{}", token.replacen("ces.1.", "ces.7.", 1));
    let other_case = format!("/survey/{bob}/{token}");
    let cut_short = format!("/survey/{ann}/{}", &token[..token.len() / 2]);
    let made_up = format!("/survey/{ann}/ces.7.{survey}.9999999999.AAAAAAAAAAAAAAAAAAAAAA");
    // A genuine signature over a past expiry (the test signs with the
    // server's key, as only the server could): refused as expired.
    let expired = Link {
        case: CaseId(ann),
        survey: survey.to_owned(),
        kind: SurveyKind::Ces,
        score: 2,
        expires: Timestamp::now()
            .checked_sub(SignedDuration::from_secs(60))
            .unwrap(),
    }
    .url(&t.store, "")
    .unwrap();
    // A genuine signature for a survey the case never sent.
    let unknown_survey = Link {
        case: CaseId(ann),
        survey: "0123456789abcdef".into(),
        kind: SurveyKind::Ces,
        score: 2,
        expires: Timestamp::now()
            .checked_add(SignedDuration::from_hours(1))
            .unwrap(),
    }
    .url(&t.store, "")
    .unwrap();

    for (link, status) in [
        (&tampered, StatusCode::NOT_FOUND),
        (&other_case, StatusCode::NOT_FOUND),
        (&made_up, StatusCode::NOT_FOUND),
        (&cut_short, StatusCode::BAD_REQUEST),
        (&expired, StatusCode::GONE),
        (&unknown_survey, StatusCode::NOT_FOUND),
    ] {
        let page = web.get(link).await;
        assert_eq!(page.status, status, "GET {link}: {}", page.html);
        assert!(page.html.contains("Nothing was recorded"), "{}", page.html);
        let posted = web
            .post(link, &[("csrf", &csrf), ("score", "2"), ("comment", "")])
            .await;
        assert_eq!(posted.status, status, "POST {link}: {}", posted.html);
    }
    assert!(answers(&t, ann).await.is_empty());
    assert!(answers(&t, bob).await.is_empty());
}

async fn automated_and_bounced_senders_are_not_surveyed(b: Backend) {
    let t = surveying_server(b, None).await;
    let auto = mail_in(
        &t,
        "robot@example.net",
        "support@example.com",
        "r1",
        "Auto-Submitted: auto-generated\r\n",
    )
    .await;
    // Dana's address bounced a reply before.
    let dana = mail_in(&t, "dana@example.org", "support@example.com", "d1", "").await;
    let reply = t
        .post(
            &format!("/api/v1/cases/{dana}/messages"),
            json!({"body": "Please try a new cartridge."}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let sent_id = reply.body["email"]["message_id"].as_str().unwrap();
    send(
        &t,
        "MAILER-DAEMON@mx.example.org",
        "support@example.com",
        dsn(sent_id),
    )
    .await
    .unwrap();
    eventually("the reply marked bounced", || async {
        let all = messages(&t, dana).await;
        let mine = all.iter().find(|m| m["id"] == reply.body["id"]).cloned()?;
        (mine["email"]["delivery"]["status"] == "bounced").then_some(())
    })
    .await;
    let ann = mail_in(&t, "ann@example.org", "support@example.com", "a1", "").await;
    for case in [auto, dana, ann] {
        set_status(&t, case, "resolved").await;
    }
    surveys_done(&t).await;
    survey_links(&t, "ann@example.org").await;
    assert_eq!(events_of(&t, ann, "survey_sent").await.len(), 1);
    assert!(events_of(&t, auto, "survey_sent").await.is_empty());
    assert!(events_of(&t, dana, "survey_sent").await.is_empty());
    let queued = crate::portal::take_queued_mail(&t).await;
    assert!(
        queued
            .iter()
            .all(|m| m.recipient != "robot@example.net" && m.recipient != "dana@example.org"),
        "{:?}",
        queued.iter().map(|m| &m.recipient).collect::<Vec<_>>()
    );
}

async fn one_survey_per_customer_per_period_and_after_the_delay(b: Backend) {
    let t = surveying_server(b, None).await;
    let first = mail_in(&t, "ann@example.org", "support@example.com", "a1", "").await;
    set_status(&t, first, "resolved").await;
    survey_links(&t, "ann@example.org").await;

    // Reopened and resolved again: the case is not surveyed twice.
    set_status(&t, first, "open").await;
    set_status(&t, first, "resolved").await;
    // Another case of Ann's within the period: capped.
    let second = mail_in(&t, "ann@example.org", "support@example.com", "a2", "").await;
    set_status(&t, second, "resolved").await;
    surveys_done(&t).await;
    assert_eq!(events_of(&t, first, "survey_sent").await.len(), 1);
    assert!(
        events_of(&t, second, "survey_sent").await.is_empty(),
        "the second case within 30 days gets no survey"
    );

    // An inbox with the default delay schedules the survey an hour after
    // resolution; one without surveys schedules nothing.
    let sales = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "sales@example.com", "survey": {"enabled": true}}),
        )
        .await;
    assert_eq!(sales.status, StatusCode::CREATED, "{}", sales.body);
    assert_eq!(
        sales.body["survey"],
        json!({"enabled": true, "csat": false, "delay_minutes": 60, "every_days": 30})
    );
    let quiet = t
        .post("/api/v1/inboxes", json!({"address": "quiet@example.com"}))
        .await;
    assert_eq!(quiet.body["survey"]["enabled"], false);
    // Surveys can be turned on and off later, by admins.
    let path = format!("/api/v1/inboxes/{}/survey", quiet.id());
    let on = t
        .send(
            Method::PUT,
            &path,
            Some(&t.admin),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    assert_eq!(on.body["survey"]["enabled"], true);
    assert_eq!(on.body["address"], "quiet@example.com");
    let off = t
        .send(Method::PUT, &path, Some(&t.admin), Some(json!({})))
        .await;
    assert_eq!(off.body["survey"]["enabled"], false);
    let wrong = t
        .send(
            Method::PUT,
            &path,
            Some(&t.admin),
            Some(json!({"every_days": 400})),
        )
        .await;
    assert_eq!(
        wrong.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "survey.every_days"
    );
    let missing = t
        .send(
            Method::PUT,
            "/api/v1/inboxes/999/survey",
            Some(&t.admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "bad@example.com", "survey": {"delay_minutes": -5}}),
        )
        .await;
    assert_eq!(
        bad.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "survey.delay_minutes"
    );
    let eve = mail_in(&t, "eve@example.org", "sales@example.com", "e1", "").await;
    let ivan = mail_in(&t, "ivan@example.org", "quiet@example.com", "i1", "").await;
    let before = Timestamp::now();
    set_status(&t, eve, "resolved").await;
    set_status(&t, ivan, "resolved").await;
    let jobs: Vec<_> = t
        .store
        .jobs(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == JobKind::Survey)
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].payload["case_id"], eve);
    let wait = jobs[0].run_at.duration_since(before);
    assert!(
        wait >= SignedDuration::from_mins(59) && wait <= SignedDuration::from_mins(61),
        "{wait:?}"
    );
    assert!(events_of(&t, eve, "survey_sent").await.is_empty());
}

async fn survey_mail_goes_out_over_smtp_with_working_links(b: Backend) {
    // The customer's mail server: another Tend taking Ann's mail.
    let customer_side = TestServer::start_with(
        b,
        Options {
            smtp: true,
            ..Options::default()
        },
    )
    .await;
    customer_side
        .post("/api/v1/inboxes", json!({"address": "ann@example.org"}))
        .await;
    let relay = format!("smtp://{}", customer_side.smtp.unwrap());
    let t = surveying_server(b, Some(relay)).await;
    let case = mail_in(&t, "ann@example.org", "support@example.com", "a1", "").await;
    set_status(&t, case, "resolved").await;
    let received = eventually("the survey at Ann's mail server", || async {
        let all = cases(&customer_side).await;
        all.into_iter().find(|c| {
            c["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("How did we do?"))
        })
    })
    .await;
    assert_eq!(received["subject"], format!("How did we do? [#{case}]"));
    let arrived = messages(&customer_side, received["id"].as_i64().unwrap()).await;
    let raw = raw_source(&customer_side, &arrived[0]).await;
    assert!(raw.contains("Auto-Submitted: auto-replied"), "{raw}");
    let text = arrived[0]["body_text"].as_str().unwrap();
    let links = links_in(text, &t.base);
    assert_eq!(links.len(), 12, "{text}");

    let mut web = WebAgent::new(&t);
    let done = answer(&mut web, &links[6], "7", "Easy").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert_eq!(answers(&t, case).await, [("ces".into(), 7, json!("Easy"))]);
}

async fn customers_answer_in_the_portal(b: Backend) {
    let t = surveying_server(b, None).await;
    let case = mail_in(&t, "ann@example.org", "support@example.com", "a1", "").await;
    let open = mail_in(&t, "ann@example.org", "support@example.com", "a2", "").await;
    set_status(&t, case, "resolved").await;
    survey_links(&t, "ann@example.org").await;

    let mut ann = signed_in(&t, "ann@example.org").await;
    let page = ann.get(&format!("/portal/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html
            .contains("Example Support made it easy for me to handle my issue."),
        "{}",
        page.html
    );
    let other = ann.get(&format!("/portal/cases/{open}")).await;
    assert!(
        !other.html.contains("How did we do?"),
        "no survey on an open case"
    );

    let csrf = page.csrf();
    let path = format!("/portal/cases/{case}/survey");
    let posted = ann
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("kind", "ces"),
                ("score", "2"),
                ("comment", "Slow"),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.html);
    let csat = ann
        .post(&path, &[("csrf", &csrf), ("kind", "csat"), ("score", "4")])
        .await;
    assert_eq!(csat.status, StatusCode::SEE_OTHER, "{}", csat.html);
    let bad = ann
        .post(&path, &[("csrf", &csrf), ("kind", "csat"), ("score", "7")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        answers(&t, case).await,
        [
            ("ces".into(), 2, json!("Slow")),
            ("csat".into(), 4, Value::Null)
        ]
    );
    let shown = ann.get(&format!("/portal/cases/{case}")).await;
    assert!(
        shown.html.contains("Your answer: <strong>CES 2 of 7"),
        "{}",
        shown.html
    );

    // Another customer cannot reach the case, let alone answer for Ann.
    mail_in(&t, "bob@example.net", "support@example.com", "b1", "").await;
    let mut bob = signed_in(&t, "bob@example.net").await;
    let bob_csrf = bob.get("/portal").await.csrf();
    let refused = bob
        .post(
            &path,
            &[("csrf", &bob_csrf), ("kind", "ces"), ("score", "7")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(answers(&t, case).await.len(), 2);
}

async fn admins_set_surveys_per_inbox_in_the_web_ui(b: Backend) {
    let t = TestServer::start(b).await;
    let inbox = t
        .post(
            "/api/v1/inboxes",
            json!({"address": "support@example.com", "name": "Support"}),
        )
        .await
        .id();
    t.agent_with_password("root@example.com", "Root", Role::Admin, PASSWORD)
        .await;
    let mut root = WebAgent::signed_in(&t, "root@example.com").await;
    let path = format!("/admin/inboxes/{inbox}");
    let form = root.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.html.contains("name=\"survey_enabled\">"),
        "off by default: {}",
        form.html
    );
    assert!(
        form.html
            .contains("name=\"survey_delay_minutes\" value=\"60\"")
    );
    assert!(
        form.html
            .contains("name=\"survey_every_days\" value=\"30\"")
    );
    let csrf = form.csrf();
    let refused = save_inbox(&mut root, &path, &csrf, "soon").await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(refused.html.contains("value=\"soon\""), "{}", refused.html);
    let listed = t.get("/api/v1/inboxes").await;
    assert_eq!(
        listed.body[0]["survey"]["enabled"], false,
        "nothing half-written"
    );

    let saved = save_inbox(&mut root, &path, &csrf, "15").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let listed = t.get("/api/v1/inboxes").await;
    assert_eq!(
        listed.body[0]["survey"],
        json!({"enabled": true, "csat": false, "delay_minutes": 15, "every_days": 7})
    );
}

/// Posts the inbox form with surveys on, every 7 days, after `delay` minutes.
async fn save_inbox(web: &mut WebAgent, path: &str, csrf: &str, delay: &str) -> Page {
    web.post(
        path,
        &[
            ("csrf", csrf),
            ("name", "Support"),
            ("closed_reply", "reopen"),
            ("survey_enabled", "on"),
            ("survey_delay_minutes", delay),
            ("survey_every_days", "7"),
        ],
    )
    .await
}
