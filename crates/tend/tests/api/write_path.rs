//! Every write goes through one path: on SQLite the group-commit writer
//! thread owns the only connection that writes the file. Writes of the
//! kinds that used to take a second connection (sessions, portal links and
//! sessions, agreement and organisation updates, agents, tokens and teams)
//! run here all at once beside case writes, and none of them meets
//! "database is locked" or any other error.

use crate::harness::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use tend_domain::agent::Role;
use tend_domain::email::EmailAddress;
use tend_domain::ids::{CustomerId, TeamId};
use tend_store::agents::NewAgent;
use tend_store::sessions::NewSession;

crate::both_backends!(concurrent_writes_of_every_kind_all_succeed);

/// Tasks writing at once.
const WRITERS: usize = 8;
/// Rounds each task writes.
const ROUNDS: usize = 12;

async fn concurrent_writes_of_every_kind_all_succeed(b: Backend) {
    let t = Arc::new(TestServer::start(b).await);
    let customer = t.customer("Ann", "ann@example.com").await;
    let organization = t
        .post("/api/v1/organizations", json!({"name": "Acme"}))
        .await
        .id();
    let agreement = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Broadband", "customer_id": customer, "starts_on": "2026-01-01"}),
        )
        .await
        .id();
    let team = TeamId(
        t.post("/api/v1/teams", json!({"name": "Everyone"}))
            .await
            .id(),
    );
    let ann = EmailAddress::parse("email", "ann@example.com").unwrap();

    let writers = (0..WRITERS).map(|w| {
        let (t, ann) = (t.clone(), ann.clone());
        tokio::spawn(async move {
            for r in 0..ROUNDS {
                let n = w * ROUNDS + r;
                let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
                let agent = t
                    .store
                    .create_agent(&NewAgent {
                        email: EmailAddress::parse("email", &format!("agent{n}@example.com"))
                            .unwrap(),
                        name: format!("Agent {n}"),
                        role: Role::Agent,
                        password_hash: None,
                    })
                    .await
                    .unwrap();
                t.store
                    .create_api_token(agent.id, &format!("token-hash-{n}"))
                    .await
                    .unwrap();
                t.store.add_team_member(team, agent.id).await.unwrap();
                let web = format!("web-session-{n}");
                t.store
                    .create_session(&NewSession {
                        id_hash: &web,
                        agent_id: agent.id,
                        csrf_token: "csrf",
                        expires_at: later,
                    })
                    .await
                    .unwrap();
                t.store.delete_session(&web).await.unwrap();
                let link = t
                    .store
                    .create_portal_link(&ann, &format!("link-{n}"), later)
                    .await
                    .unwrap();
                assert_eq!(link, Some(CustomerId(customer)));
                let portal = format!("portal-session-{n}");
                t.store
                    .create_portal_session(&portal, CustomerId(customer), "csrf", later)
                    .await
                    .unwrap();
                t.store.delete_portal_session(&portal).await.unwrap();
                let r = t
                    .patch(
                        &format!("/api/v1/agreements/{agreement}"),
                        json!({"terms": format!("terms {n}")}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                let r = t
                    .patch(
                        &format!("/api/v1/organizations/{organization}"),
                        json!({"name": format!("Acme {n}")}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                t.case(customer, &format!("case {n}"), "Hello").await;
            }
        })
    });
    for writer in futures_util::future::join_all(writers).await {
        writer.unwrap();
    }

    let cases = t.all("/api/v1/cases").await;
    assert_eq!(cases.len(), WRITERS * ROUNDS);
    let members = t.get(&format!("/api/v1/teams/{}", team.0)).await;
    assert_eq!(
        members.body["member_ids"].as_array().map(Vec::len),
        Some(WRITERS * ROUNDS)
    );
}
