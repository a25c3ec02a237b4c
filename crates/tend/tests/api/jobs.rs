//! The job runner: a job exists with the change that enqueued it and never
//! without it; a failing job is tried again after a growing back-off and is
//! kept as dead once out of attempts; an admin retries a dead job from the
//! admin page or the API; two claimers never take the same job.

use crate::email::{FIRST, cases, eventually, messages, send};
use crate::harness::{Backend, FreshDatabase, Options, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;
use tend_domain::agent::Role;
use tend_domain::case::Channel;
use tend_domain::event::Actor;
use tend_domain::ids::{AgentId, CaseId};
use tend_store::idempotency::IdempotencyKey;
use tend_store::jobs::{Failure, JobKind, JobState, NewJob};
use tend_store::messages::NewMessage;
use tend_store::outbound::OutboundEmail;
use tend_store::{Store, StoreError, StoreOptions};

crate::both_backends!(
    a_job_is_enqueued_with_its_change_and_not_without_it,
    a_failing_job_backs_off_and_dies_after_its_attempts,
    the_runner_backs_off_when_the_relay_is_down,
    a_dead_job_is_retried_from_the_admin_page,
    the_jobs_api_lists_and_retries_for_admins_only,
    two_claimers_never_take_the_same_job,
);

/// A Tend standing in for customers' mail server: it takes mail for Ann
/// (and Bob, whom she copies), and refuses other recipients for good (550).
async fn customer_side(b: Backend) -> TestServer {
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            ..Options::default()
        },
    )
    .await;
    crate::email::take_mail_for_ann_and_bob(&t).await;
    t
}

/// A Tend relaying to `relay`, with the inbox `support@example.com`.
async fn relaying(b: Backend, relay: &str) -> TestServer {
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            smtp_relay: Some(relay.to_owned()),
            ..Options::default()
        },
    )
    .await;
    t.post("/api/v1/inboxes", json!({"address": "support@example.com"}))
        .await;
    t
}

/// The case `from` opened by mailing the support inbox.
async fn case_from(t: &TestServer, from: &str) -> i64 {
    let mail = format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: Help\r\nMessage-ID: <{from}.1>\r\n\r\nHi\r\n"
    );
    send(t, from, "support@example.com", mail).await.unwrap();
    let all = cases(t).await;
    all.iter().filter_map(|c| c["id"].as_i64()).max().unwrap()
}

/// The `send_email` jobs in the store, any state.
async fn send_jobs(t: &TestServer) -> Vec<tend_store::jobs::Job> {
    let all = t.store.jobs(None).await.unwrap();
    all.into_iter()
        .filter(|j| j.kind == JobKind::SendEmail)
        .collect()
}

/// The delivery record of the latest reply on `case`.
async fn delivery(t: &TestServer, case: i64) -> Value {
    let all = messages(t, case).await;
    all.last().unwrap()["email"]["delivery"].clone()
}

async fn a_job_is_enqueued_with_its_change_and_not_without_it(b: Backend) {
    let customers = customer_side(b).await;
    let t = relaying(b, &format!("smtp://{}", customers.smtp.unwrap())).await;
    send(&t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    let case = cases(&t).await[0]["id"].as_i64().unwrap();

    // A reply commits with its email and the job that sends it; the job
    // runs (the email arrives) and is gone once done.
    let reply = t
        .http
        .post(format!("{}/api/v1/cases/{case}/messages", t.base))
        .bearer_auth(&t.admin)
        .header("Idempotency-Key", "reply-1")
        .json(&json!({"body": "Try a new cartridge."}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);
    eventually("the reply at the customer's server", || async {
        (!cases(&customers).await.is_empty()).then_some(())
    })
    .await;
    eventually("the delivery recorded and the job done", || async {
        let sent = delivery(&t, case).await["status"] == "sent";
        (sent && send_jobs(&t).await.is_empty()).then_some(())
    })
    .await;

    // The same change in a transaction that fails (its idempotency key is
    // taken, so it rolls back after enqueueing) leaves no job behind.
    let me = t.get("/api/v1/me").await.body["id"].as_i64().unwrap();
    let before = messages(&t, case).await.len();
    let msg = NewMessage::text(
        Actor::agent(AgentId(me)),
        Channel::Email,
        false,
        "Again".into(),
    );
    let mail = OutboundEmail {
        sender: "support@example.com".into(),
        recipient: "ann@example.org".into(),
        copies: Vec::new(),
        raw: b"Subject: again\r\n\r\nAgain\r\n".to_vec(),
    };
    let key = IdempotencyKey {
        agent_id: AgentId(me),
        key: "reply-1".into(),
        request_hash: "another request".into(),
    };
    let failed = t
        .store
        .add_message(CaseId(case), msg, Some(mail), Some(&key))
        .await;
    assert!(
        matches!(failed, Err(StoreError::IdempotencyRace)),
        "{failed:?}"
    );
    assert_eq!(messages(&t, case).await.len(), before, "no message");
    assert!(send_jobs(&t).await.is_empty(), "and no job");
}

/// A store on a fresh database with no runner, so the test alone claims.
async fn bare_store(db: &FreshDatabase) -> Store {
    let store = Store::connect(&db.url, &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

async fn a_failing_job_backs_off_and_dies_after_its_attempts(b: Backend) {
    let db = FreshDatabase::new(b).await;
    let store = bare_store(&db).await;
    let kinds = [JobKind::SendEmail];
    let lease = Duration::from_secs(300);
    let t0 = tend_store::now();
    let at = |secs: i64| {
        t0.checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap()
    };
    let id = store
        .enqueue_job(NewJob {
            max_attempts: 3,
            ..NewJob::new(JobKind::SendEmail, json!({"outbound_id": 0}), t0)
        })
        .await
        .unwrap();

    // First run fails: due again after 30 s, not before.
    let first = store.claim_jobs(&kinds, 10, t0, lease).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].id, first[0].attempts), (id, 1));
    let failed = store
        .fail_job(&first[0], "relay down", Failure::Transient, t0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.state, JobState::Queued);
    assert_eq!(failed.run_at, at(30));
    assert_eq!(failed.last_error.as_deref(), Some("relay down"));
    assert!(
        store
            .claim_jobs(&kinds, 10, at(29), lease)
            .await
            .unwrap()
            .is_empty()
    );

    // Second run fails: the wait doubles.
    let second = store.claim_jobs(&kinds, 10, at(30), lease).await.unwrap();
    assert_eq!(second[0].attempts, 2);
    let failed = store
        .fail_job(&second[0], "still down", Failure::Transient, at(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.run_at, at(90));
    assert!(
        store
            .claim_jobs(&kinds, 10, at(89), lease)
            .await
            .unwrap()
            .is_empty()
    );

    // A worker that dies mid-run: its claim lapses and the job is taken
    // again; the first worker's late outcome then changes nothing.
    let third = store.claim_jobs(&kinds, 10, at(90), lease).await.unwrap();
    assert_eq!(third[0].attempts, 3);
    assert!(
        store
            .claim_jobs(&kinds, 10, at(389), lease)
            .await
            .unwrap()
            .is_empty()
    );
    let retaken = store.claim_jobs(&kinds, 10, at(390), lease).await.unwrap();
    assert_eq!(retaken[0].attempts, 4);
    let stale = store
        .fail_job(&third[0], "late", Failure::Transient, at(391))
        .await
        .unwrap();
    assert_eq!(stale, None, "a lapsed claim records nothing");

    // Out of attempts: dead, kept with its last error, never claimed.
    let dead = store
        .fail_job(&retaken[0], "gave up", Failure::Transient, at(391))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert!(
        store
            .claim_jobs(&kinds, 10, at(1_000_000), lease)
            .await
            .unwrap()
            .is_empty()
    );
    let listed = store.jobs(Some(JobState::Dead)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_error.as_deref(), Some("gave up"));

    // Retried: queued now with fresh attempts; only a dead job can be.
    let retried = store.retry_job(id, at(400)).await.unwrap();
    assert_eq!(
        (retried.state, retried.attempts, retried.run_at),
        (JobState::Queued, 0, at(400))
    );
    assert!(matches!(
        store.retry_job(id, at(400)).await,
        Err(StoreError::State(_))
    ));
    assert!(matches!(
        store.retry_job(id + 1000, at(400)).await,
        Err(StoreError::NotFound(_))
    ));

    // A permanent failure is dead at once; success deletes the job.
    let run = store.claim_jobs(&kinds, 10, at(400), lease).await.unwrap();
    let dead = store
        .fail_job(&run[0], "550 no such user", Failure::Permanent, at(400))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((dead.state, dead.attempts), (JobState::Dead, 1));
    store.retry_job(id, at(500)).await.unwrap();
    let run = store.claim_jobs(&kinds, 10, at(500), lease).await.unwrap();
    store.complete_job(&run[0], None).await.unwrap();
    assert!(matches!(store.job(id).await, Err(StoreError::NotFound(_))));
    store.close().await;
}

async fn the_runner_backs_off_when_the_relay_is_down(b: Backend) {
    // A port nothing listens on: every attempt fails, and may work later.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let t = relaying(b, &relay).await;
    let case = case_from(&t, "ann@example.org").await;
    let started = tend_store::now();
    t.post(
        &format!("/api/v1/cases/{case}/messages"),
        json!({"body": "Hello"}),
    )
    .await;
    let job = eventually("a failed attempt", || async {
        send_jobs(&t)
            .await
            .into_iter()
            .find(|j| j.attempts == 1 && j.state == JobState::Queued)
    })
    .await;
    assert!(job.last_error.is_some(), "{job:?}");
    let wait = job.run_at.duration_since(started);
    assert!(
        wait >= jiff::SignedDuration::from_secs(29),
        "tried again after the back-off, not at once: {job:?}"
    );
    let record = delivery(&t, case).await;
    assert_eq!(record["status"], "queued", "{record}");
    assert_eq!(record["attempts"], 1, "{record}");
    assert!(record["last_error"].is_string(), "{record}");
}

/// A dead `send_email` job (its email long gone) on `t`; answers its id.
/// The test's server has no relay, so no runner claims such jobs.
pub async fn dead_job(t: &TestServer) -> i64 {
    let id = t
        .store
        .enqueue_job(NewJob::new(
            JobKind::SendEmail,
            json!({"outbound_id": -1}),
            tend_store::now(),
        ))
        .await
        .unwrap();
    let claimed = t
        .store
        .claim_jobs(
            &[JobKind::SendEmail],
            50,
            tend_store::now(),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let mine = claimed.into_iter().find(|j| j.id == id).unwrap();
    t.store
        .fail_job(
            &mine,
            "no such email",
            Failure::Permanent,
            tend_store::now(),
        )
        .await
        .unwrap();
    id
}

async fn a_dead_job_is_retried_from_the_admin_page(b: Backend) {
    let customers = customer_side(b).await;
    let t = relaying(b, &format!("smtp://{}", customers.smtp.unwrap())).await;
    t.agent_with_password("root@example.com", "Rita Root", Role::Admin, PASSWORD)
        .await;
    // Carl's mail server refuses him for good: the job is dead at once.
    let case = case_from(&t, "carl@example.org").await;
    t.post(
        &format!("/api/v1/cases/{case}/messages"),
        json!({"body": "Hello Carl"}),
    )
    .await;
    let job = eventually("the dead job", || async {
        send_jobs(&t)
            .await
            .into_iter()
            .find(|j| j.state == JobState::Dead)
    })
    .await;
    assert!(
        job.last_error.as_deref().unwrap().contains("550"),
        "{job:?}"
    );
    assert_eq!(delivery(&t, case).await["status"], "failed");

    let mut root = WebAgent::signed_in(&t, "root@example.com").await;
    let page = root.get("/admin/jobs").await;
    assert_eq!(page.status, StatusCode::OK);
    let dead = &page.html[page.html.find("id=\"dead-jobs\"").expect("the dead jobs")..];
    assert!(
        dead.contains("send_email") && dead.contains("550"),
        "{}",
        page.html
    );
    let retry = format!("/admin/jobs/{}/retry", job.id);
    assert!(
        dead.contains(&format!("action=\"{retry}\"")),
        "{}",
        page.html
    );

    // The cause is fixed; the admin retries and the email goes out.
    customers
        .post("/api/v1/inboxes", json!({"address": "carl@example.org"}))
        .await;
    let csrf = page.csrf();
    let done = root.post(&retry, &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), "/admin/jobs");
    eventually("the retried email delivered", || async {
        (delivery(&t, case).await["status"] == "sent").then_some(())
    })
    .await;
    assert!(send_jobs(&t).await.is_empty(), "the job is done");
    assert_eq!(cases(&customers).await.len(), 1, "Carl has it");
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    let statuses: Vec<&str> = events
        .iter()
        .filter(|e| e["data"]["type"] == "email_delivery_changed")
        .filter_map(|e| e["data"]["status"].as_str())
        .collect();
    assert_eq!(statuses, ["queued", "failed", "sent"], "{events:?}");

    // Retrying it again, now that it is gone, is a plain 404 page.
    let again = root.post(&retry, &[("csrf", &csrf)]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.html);
}

async fn the_jobs_api_lists_and_retries_for_admins_only(b: Backend) {
    let t = TestServer::start(b).await;
    let id = dead_job(&t).await;
    let agent = t.agent_token("agent@example.com", Role::Agent).await;

    let dead = t.get("/api/v1/jobs?state=dead").await;
    assert_eq!(dead.status, StatusCode::OK, "{}", dead.body);
    let listed = dead.body.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", dead.body);
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["kind"], "send_email");
    assert_eq!(listed[0]["state"], "dead");
    assert_eq!(listed[0]["last_error"], "no such email");
    let doc = t.get("/api/v1/openapi.json").await.body;
    crate::openapi::check(&doc, "/api/v1/jobs", "get", 200, &dead.body);
    let field = t
        .get("/api/v1/jobs?state=sleeping")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(field, "state");

    let path = format!("/api/v1/jobs/{id}/retry");
    for token in [None, Some("tend_not-a-real-token")] {
        t.send(reqwest::Method::POST, &path, token, None)
            .await
            .error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    t.send(reqwest::Method::GET, "/api/v1/jobs", Some(&agent), None)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    t.send(reqwest::Method::POST, &path, Some(&agent), None)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        t.store.job(id).await.unwrap().state,
        JobState::Dead,
        "unchanged"
    );

    let retried = t
        .send(reqwest::Method::POST, &path, Some(&t.admin), None)
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(retried.body["state"], "queued");
    assert_eq!(retried.body["attempts"], 0);
    crate::openapi::check(&doc, "/api/v1/jobs/{id}/retry", "post", 200, &retried.body);
    t.send(reqwest::Method::POST, &path, Some(&t.admin), None)
        .await
        .error(StatusCode::CONFLICT, "conflict");
    t.send(
        reqwest::Method::POST,
        "/api/v1/jobs/999999/retry",
        Some(&t.admin),
        None,
    )
    .await
    .error(StatusCode::NOT_FOUND, "not_found");
}

async fn two_claimers_never_take_the_same_job(b: Backend) {
    let db = FreshDatabase::new(b).await;
    let first = bare_store(&db).await;
    // On PostgreSQL two nodes, each with its own pool; on SQLite one
    // process has one writer, which both workers share.
    let second = match b {
        Backend::Postgres => bare_store(&db).await,
        Backend::Sqlite => first.clone(),
    };
    let now = tend_store::now();
    let mut enqueued = HashSet::new();
    for n in 0..200 {
        let job = NewJob::new(JobKind::SendEmail, json!({ "outbound_id": n }), now);
        enqueued.insert(first.enqueue_job(job).await.unwrap());
    }
    let claimer = |store: Store| {
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_jobs(
                        &[JobKind::SendEmail],
                        3,
                        tend_store::now(),
                        Duration::from_secs(3600),
                    )
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|j| j.id));
                tokio::task::yield_now().await;
            }
        })
    };
    let (a, b2) = (claimer(first.clone()), claimer(second.clone()));
    let (a, b2) = (a.await.unwrap(), b2.await.unwrap());
    assert!(
        !a.is_empty() && !b2.is_empty(),
        "both claimed: {} and {}",
        a.len(),
        b2.len()
    );
    let a: HashSet<i64> = a.into_iter().collect();
    let b2: HashSet<i64> = b2.into_iter().collect();
    assert!(
        a.is_disjoint(&b2),
        "claimed twice: {:?}",
        a.intersection(&b2).collect::<Vec<_>>()
    );
    let all: HashSet<i64> = a.union(&b2).copied().collect();
    let seeded: HashSet<i64> = first
        .jobs(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == JobKind::CleanUp)
        .map(|j| j.id)
        .collect();
    assert_eq!(all, enqueued, "every job claimed once");
    assert_eq!(seeded.len(), 1, "the migration seeds one clean-up job");
    first.close().await;
    second.close().await;
}
