//! An admin's change to an agent holds from the agent's very next API
//! request: a deactivated agent's token is refused and a demoted admin's
//! token keeps only the new role's rights (no cache lets them through).

use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tend_domain::agent::Role;

crate::both_backends!(
    a_deactivated_agents_token_is_refused_on_the_next_request,
    a_demoted_admins_token_loses_its_rights_on_the_next_request,
);

const ROOT: &str = "root@example.com";

/// A server with an admin who signs in to the web UI.
async fn with_root(b: Backend) -> (TestServer, WebAgent) {
    let t = TestServer::start(b).await;
    t.agent_with_password(ROOT, "Rita Root", Role::Admin, PASSWORD)
        .await;
    let root = WebAgent::signed_in(&t, ROOT).await;
    (t, root)
}

/// The id of the agent with `email`.
async fn agent_id(t: &TestServer, email: &str) -> i64 {
    let agents = t.get("/api/v1/agents").await;
    agents
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Posts an admin form for agent `id` (`role` or `active`) as the admin does.
async fn change_agent(root: &mut WebAgent, id: i64, form: &str, field: (&str, &str)) {
    let csrf = root.get("/admin/agents").await.csrf();
    let page = root
        .post(
            &format!("/admin/agents/{id}/{form}"),
            &[("csrf", &csrf), field],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
}

async fn a_deactivated_agents_token_is_refused_on_the_next_request(b: Backend) {
    let (t, mut root) = with_root(b).await;
    let token = t.agent_token("nina@example.com", Role::Agent).await;
    let id = agent_id(&t, "nina@example.com").await;
    let cases = |token: String| {
        let t = &t;
        async move {
            t.send(Method::GET, "/api/v1/cases", Some(&token), None)
                .await
                .status
        }
    };
    // Seen twice, so any cache holds it.
    assert_eq!(cases(token.clone()).await, StatusCode::OK);
    assert_eq!(cases(token.clone()).await, StatusCode::OK);

    change_agent(&mut root, id, "active", ("active", "false")).await;
    assert_eq!(cases(token.clone()).await, StatusCode::UNAUTHORIZED);

    change_agent(&mut root, id, "active", ("active", "true")).await;
    assert_eq!(cases(token.clone()).await, StatusCode::OK);
}

async fn a_demoted_admins_token_loses_its_rights_on_the_next_request(b: Backend) {
    let (t, mut root) = with_root(b).await;
    let token = t.agent_token("boss@example.com", Role::Admin).await;
    let id = agent_id(&t, "boss@example.com").await;
    let team = |name: &str| {
        let (t, token) = (&t, token.clone());
        let body = json!({ "name": name });
        async move {
            t.send(Method::POST, "/api/v1/teams", Some(&token), Some(body))
                .await
                .status
        }
    };
    assert_eq!(team("First").await, StatusCode::CREATED);
    assert_eq!(team("Second").await, StatusCode::CREATED);

    change_agent(&mut root, id, "role", ("role", "light_agent")).await;
    assert_eq!(team("Third").await, StatusCode::FORBIDDEN);
    let customer = t
        .send(
            Method::POST,
            "/api/v1/customers",
            Some(&token),
            Some(json!({"name": "Cora", "email": "cora@example.org"})),
        )
        .await;
    assert_eq!(
        customer.status,
        StatusCode::FORBIDDEN,
        "a light agent only reads"
    );

    change_agent(&mut root, id, "role", ("role", "admin")).await;
    assert_eq!(team("Fourth").await, StatusCode::CREATED);
}
