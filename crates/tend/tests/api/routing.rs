//! Routing (issue 15): a case landing on a team with nobody assigned goes
//! to one of its available agents by the team's mode, every decision a
//! `routed` event with its reason; agents going away or deactivated hand
//! their unanswered cases back.

use crate::harness::{Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use tend_domain::agent::Role;

crate::both_backends!(
    round_robin_is_fair_and_skips_away_and_full_agents,
    least_loaded_picks_the_agent_with_fewest_open_cases,
    skills_and_language_must_be_covered,
    handing_off_and_unassigning_route_again,
    going_away_returns_unanswered_cases_to_the_team,
    deactivation_returns_unanswered_cases_too,
    manual_teams_record_no_decision,
    invalid_routing_settings_are_refused_naming_the_field,
    routing_settings_are_in_the_openapi_document,
    the_workspace_switches_availability_and_sets_routing,
    concurrent_routing_stays_fair,
);

/// A team with `n` agents (each with a token), in `mode`.
struct Team {
    id: i64,
    agents: Vec<(i64, String)>,
}

async fn team(t: &TestServer, name: &str, n: usize, mode: &str) -> Team {
    let team = t.post("/api/v1/teams", json!({"name": name})).await;
    assert_eq!(team.status, StatusCode::CREATED, "{}", team.body);
    let id = team.id();
    let mut agents = Vec::new();
    for i in 0..n {
        let email = format!("{name}-{i}@example.com")
            .to_lowercase()
            .replace(' ', "-");
        let token = t.agent_token(&email, Role::Agent).await;
        let me = t.send(Method::GET, "/api/v1/me", Some(&token), None).await;
        let agent = me.id();
        let added = t
            .post(
                &format!("/api/v1/teams/{id}/members"),
                json!({"agent_id": agent}),
            )
            .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        agents.push((agent, token));
    }
    let set = t
        .patch(
            &format!("/api/v1/teams/{id}"),
            json!({"routing_mode": mode}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["routing_mode"], mode);
    Team { id, agents }
}

/// Opens a case with `extra` fields; answers it as the API shows it.
async fn open(t: &TestServer, customer: i64, extra: Value) -> Value {
    let mut body = json!({"subject": "Help", "customer_id": customer, "message": "It broke"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = t.post("/api/v1/cases", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

async fn events(t: &TestServer, case: i64) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{case}/events"))
        .await
        .into_iter()
        .map(|e| e["data"].clone())
        .collect()
}

/// The `routed` events of a case.
async fn routed(t: &TestServer, case: i64) -> Vec<Value> {
    events(t, case)
        .await
        .into_iter()
        .filter(|d| d["type"] == "routed")
        .collect()
}

async fn assignee(t: &TestServer, case: i64) -> Value {
    t.get(&format!("/api/v1/cases/{case}")).await.body["assignee_id"].clone()
}

async fn round_robin_is_fair_and_skips_away_and_full_agents(b: Backend) {
    let t = TestServer::start(b).await;
    let cora = t.customer("Cora", "cora@example.com").await;
    let team = team(&t, "Support", 5, "round_robin").await;
    let away = &team.agents[3];
    let full = team.agents[4].0;
    // One away (through their own switch), one at their maximum of 2.
    let r = t
        .send(
            Method::PATCH,
            "/api/v1/me",
            Some(&away.1),
            Some(json!({"available": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["available"], false);
    let r = t
        .patch(
            &format!("/api/v1/agents/{full}"),
            json!({"max_open_cases": 2}),
        )
        .await;
    assert_eq!(r.body["max_open_cases"], 2, "{}", r.body);
    for _ in 0..2 {
        open(&t, cora, json!({"team_id": team.id, "assignee_id": full})).await;
    }
    let mut got: HashMap<i64, usize> = HashMap::new();
    for i in 0..100 {
        let case = open(&t, cora, json!({"team_id": team.id})).await;
        let to = case["assignee_id"].as_i64().expect("every case is routed");
        *got.entry(to).or_default() += 1;
        if i < 3 {
            let decisions = routed(&t, case["id"].as_i64().unwrap()).await;
            assert_eq!(decisions.len(), 1, "{decisions:?}");
            assert_eq!(decisions[0]["to"], to);
            assert_eq!(decisions[0]["team_id"], team.id);
            assert_eq!(
                decisions[0]["reason"],
                "round robin among 3 available agents (1 away, 1 at their maximum)"
            );
        }
    }
    for (agent, _) in &team.agents[..3] {
        let n = got.get(agent).copied().unwrap_or(0);
        assert!((33..=34).contains(&n), "agent {agent} got {n}: {got:?}");
    }
    assert_eq!(got.get(&away.0), None, "the away agent got nothing");
    assert_eq!(got.get(&full), None, "the full agent got nothing");
}

async fn least_loaded_picks_the_agent_with_fewest_open_cases(b: Backend) {
    let t = TestServer::start(b).await;
    let cora = t.customer("Cora", "cora@example.com").await;
    let team = team(&t, "Billing", 3, "least_loaded").await;
    let ids: Vec<i64> = team.agents.iter().map(|a| a.0).collect();
    for (agent, n) in [(ids[0], 3), (ids[1], 1)] {
        for _ in 0..n {
            open(&t, cora, json!({"team_id": team.id, "assignee_id": agent})).await;
        }
    }
    // A resolved case does not count.
    let done = open(&t, cora, json!({"team_id": team.id, "assignee_id": ids[2]})).await;
    let r = t
        .patch(
            &format!("/api/v1/cases/{}", done["id"]),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut picks = Vec::new();
    for _ in 0..5 {
        let case = open(&t, cora, json!({"team_id": team.id})).await;
        picks.push(case["assignee_id"].as_i64().unwrap());
    }
    assert_eq!(picks, [ids[2], ids[1], ids[2], ids[1], ids[2]]);
    let case = open(&t, cora, json!({"team_id": team.id})).await;
    let why = routed(&t, case["id"].as_i64().unwrap()).await;
    assert_eq!(
        why[0]["reason"],
        "least loaded (3 open) among 3 available agents"
    );
}

async fn skills_and_language_must_be_covered(b: Backend) {
    let t = TestServer::start(b).await;
    let team = team(&t, "Europe", 2, "round_robin").await;
    let (anna, ben) = (team.agents[0].0, team.agents[1].0);
    let r = t
        .patch(
            &format!("/api/v1/teams/{}", team.id),
            json!({"match_skills": true}),
        )
        .await;
    assert_eq!(r.body["match_skills"], true, "{}", r.body);
    let r = t
        .patch(
            &format!("/api/v1/agents/{anna}"),
            json!({"skills": ["Billing"], "languages": ["DE"]}),
        )
        .await;
    assert_eq!(r.body["skills"], json!(["billing"]), "{}", r.body);
    assert_eq!(r.body["languages"], json!(["de"]));
    t.patch(
        &format!("/api/v1/agents/{ben}"),
        json!({"languages": ["en"]}),
    )
    .await;
    let dieter = t.customer("Dieter", "dieter@example.com").await;
    let r = t
        .patch(
            &format!("/api/v1/customers/{dieter}"),
            json!({"language": "de"}),
        )
        .await;
    assert_eq!(r.body["language"], "de", "{}", r.body);
    let emma = t.customer("Emma", "emma@example.com").await;
    t.patch(
        &format!("/api/v1/customers/{emma}"),
        json!({"language": "en"}),
    )
    .await;

    let case = open(&t, dieter, json!({"team_id": team.id, "tags": ["billing"]})).await;
    assert_eq!(case["assignee_id"], anna);
    let case = open(&t, emma, json!({"team_id": team.id})).await;
    assert_eq!(case["assignee_id"], ben);
    let case = open(&t, emma, json!({"team_id": team.id, "tags": ["billing"]})).await;
    assert_eq!(
        case["assignee_id"],
        Value::Null,
        "nobody has billing and en"
    );
    let why = routed(&t, case["id"].as_i64().unwrap()).await;
    assert_eq!(why[0]["to"], Value::Null);
    assert_eq!(
        why[0]["reason"],
        "no agent available with billing, en (2 without the skills): left unassigned"
    );
}

async fn handing_off_and_unassigning_route_again(b: Backend) {
    let t = TestServer::start(b).await;
    let cora = t.customer("Cora", "cora@example.com").await;
    let team = team(&t, "Second line", 2, "round_robin").await;
    let case = open(&t, cora, json!({})).await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!(case["assignee_id"], Value::Null);
    let r = t
        .patch(&format!("/api/v1/cases/{id}"), json!({"team_id": team.id}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let first = r.body["assignee_id"].as_i64().expect("routed on handoff");
    // Unassigned: it goes to the other agent.
    let r = t
        .patch(&format!("/api/v1/cases/{id}"), json!({"assignee_id": null}))
        .await;
    let second = r.body["assignee_id"].as_i64().expect("routed again");
    assert_ne!(first, second);
    let kinds: Vec<String> = events(&t, id)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    let tail = &kinds[kinds.len() - 6..];
    assert_eq!(
        tail,
        [
            "handed_off",
            "routed",
            "assigned",
            "assigned",
            "routed",
            "assigned"
        ]
    );
    // Reassigning by hand to a named agent routes nothing.
    let r = t
        .patch(
            &format!("/api/v1/cases/{id}"),
            json!({"assignee_id": first}),
        )
        .await;
    assert_eq!(r.body["assignee_id"], first);
    assert_eq!(routed(&t, id).await.len(), 2);
}

/// A team of two in round robin; the first agent's two cases, one of which
/// they answered. Answers (team, first agent's token, answered case,
/// unanswered case).
async fn two_cases_of_one_agent(t: &TestServer) -> (Team, i64, i64) {
    let cora = t.customer("Cora", "cora@example.com").await;
    let team = team(t, "Support", 2, "round_robin").await;
    let anna = team.agents[0].0;
    let answered = open(t, cora, json!({"team_id": team.id})).await;
    assert_eq!(answered["assignee_id"], anna);
    let answered = answered["id"].as_i64().unwrap();
    open(t, cora, json!({"team_id": team.id})).await;
    let waiting = open(t, cora, json!({"team_id": team.id})).await;
    assert_eq!(waiting["assignee_id"], anna);
    let r = t
        .send(
            Method::POST,
            &format!("/api/v1/cases/{answered}/messages"),
            Some(&team.agents[0].1),
            Some(json!({"body": "On it."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (team, answered, waiting["id"].as_i64().unwrap())
}

async fn going_away_returns_unanswered_cases_to_the_team(b: Backend) {
    let t = TestServer::start(b).await;
    let (team, answered, waiting) = two_cases_of_one_agent(&t).await;
    let (anna, ben) = (team.agents[0].0, team.agents[1].0);
    let r = t
        .send(
            Method::PATCH,
            "/api/v1/me",
            Some(&team.agents[0].1),
            Some(json!({"available": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(assignee(&t, answered).await, anna, "answered cases stay");
    assert_eq!(assignee(&t, waiting).await, ben, "the waiting one moved");
    let log = events(&t, waiting).await;
    let tail: Vec<Value> = log[log.len() - 4..].to_vec();
    assert_eq!(
        tail,
        [
            json!({"type": "routed", "to": null, "team_id": team.id, "reason": "agent went away: returned to team"}),
            json!({"type": "assigned", "from": anna, "to": null}),
            json!({"type": "routed", "to": ben, "team_id": team.id, "reason": "round robin among 1 available agent (1 away)"}),
            json!({"type": "assigned", "from": null, "to": ben}),
        ]
    );
    // Away again (already away) changes nothing; back, nothing moves back.
    let again = t
        .send(
            Method::PATCH,
            "/api/v1/me",
            Some(&team.agents[0].1),
            Some(json!({"available": true})),
        )
        .await;
    assert_eq!(again.body["available"], true);
    assert_eq!(assignee(&t, waiting).await, ben);
}

async fn deactivation_returns_unanswered_cases_too(b: Backend) {
    let t = TestServer::start(b).await;
    let (team, answered, waiting) = two_cases_of_one_agent(&t).await;
    let (anna, ben) = (team.agents[0].0, team.agents[1].0);
    let r = t
        .patch(&format!("/api/v1/agents/{anna}"), json!({"active": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["active"], false);
    assert_eq!(assignee(&t, answered).await, anna);
    assert_eq!(assignee(&t, waiting).await, ben);
    let why = routed(&t, waiting).await;
    assert_eq!(
        why[why.len() - 2]["reason"],
        "agent deactivated: returned to team"
    );
    assert_eq!(why[why.len() - 1]["to"], ben);
}

async fn manual_teams_record_no_decision(b: Backend) {
    let t = TestServer::start(b).await;
    let cora = t.customer("Cora", "cora@example.com").await;
    let team = team(&t, "Walk-ins", 2, "manual").await;
    let case = open(&t, cora, json!({"team_id": team.id})).await;
    assert_eq!(case["assignee_id"], Value::Null);
    assert!(routed(&t, case["id"].as_i64().unwrap()).await.is_empty());
    // A round-robin team whose agents are all away says so.
    let t2 = team;
    t.patch(
        &format!("/api/v1/teams/{}", t2.id),
        json!({"routing_mode": "round_robin"}),
    )
    .await;
    for (_, token) in &t2.agents {
        t.send(
            Method::PATCH,
            "/api/v1/me",
            Some(token),
            Some(json!({"available": false})),
        )
        .await;
    }
    let case = open(&t, cora, json!({"team_id": t2.id})).await;
    assert_eq!(case["assignee_id"], Value::Null);
    let why = routed(&t, case["id"].as_i64().unwrap()).await;
    assert_eq!(
        why[0]["reason"],
        "no agent available (2 away): left unassigned"
    );
}

async fn invalid_routing_settings_are_refused_naming_the_field(b: Backend) {
    let t = TestServer::start(b).await;
    let team = team(&t, "Support", 1, "round_robin").await;
    let agent = team.agents[0].0;
    let team_path = format!("/api/v1/teams/{}", team.id);
    let agent_path = format!("/api/v1/agents/{agent}");
    let cases = [
        (
            &team_path,
            json!({"routing_mode": "random"}),
            "routing_mode",
        ),
        (&team_path, json!({"max_open_cases": 0}), "max_open_cases"),
        (
            &team_path,
            json!({"max_open_cases": 10001}),
            "max_open_cases",
        ),
        (&team_path, json!({"max_open_cases": -1}), "max_open_cases"),
        (&team_path, json!({"match_skills": "yes"}), "match_skills"),
        (&team_path, json!({"nonsense": 1}), "nonsense"),
        (&agent_path, json!({"skills": ["no spaces"]}), "skills"),
        (&agent_path, json!({"languages": ["english"]}), "languages"),
        (&agent_path, json!({"max_open_cases": 0}), "max_open_cases"),
        (&agent_path, json!({"available": "no"}), "available"),
    ];
    for (path, body, field) in cases {
        let r = t.patch(path, body.clone()).await;
        assert_eq!(
            r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            field,
            "{body}"
        );
    }
    let cora = t.customer("Cora", "cora@example.com").await;
    let r = t
        .patch(
            &format!("/api/v1/customers/{cora}"),
            json!({"language": "klingon!"}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "language"
    );
    // Only admins change agents and teams; an agent switches only
    // themselves.
    let token = &team.agents[0].1;
    let r = t
        .send(
            Method::PATCH,
            &team_path,
            Some(token),
            Some(json!({"routing_mode": "manual"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An admin cannot deactivate themselves.
    let me = t.get("/api/v1/me").await.id();
    let r = t
        .patch(&format!("/api/v1/agents/{me}"), json!({"active": false}))
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "active"
    );
    // A null maximum clears it.
    let r = t.patch(&team_path, json!({"max_open_cases": 5})).await;
    assert_eq!(r.body["max_open_cases"], 5);
    let r = t.patch(&team_path, json!({"max_open_cases": null})).await;
    assert_eq!(r.body["max_open_cases"], Value::Null);
}

async fn routing_settings_are_in_the_openapi_document(b: Backend) {
    let t = TestServer::start(b).await;
    let doc = t.get("/api/v1/openapi.json").await.body;
    let team = team(&t, "Support", 1, "least_loaded").await;
    let r = t.get(&format!("/api/v1/teams/{}", team.id)).await;
    crate::openapi::check(&doc, "/api/v1/teams/{id}", "get", 200, &r.body);
    let r = t
        .patch(
            &format!("/api/v1/agents/{}", team.agents[0].0),
            json!({"skills": ["vip"], "max_open_cases": 4}),
        )
        .await;
    crate::openapi::check(&doc, "/api/v1/agents/{id}", "patch", 200, &r.body);
    for (path, method) in [
        ("/api/v1/me", "patch"),
        ("/api/v1/agents/{id}", "patch"),
        ("/api/v1/teams/{id}", "patch"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    let events = doc["components"]["schemas"]["EventData"].to_string();
    assert!(events.contains("routed"), "the routed event is documented");
}

/// The workspace: the header's availability switch, the admin forms, and
/// the decision on the case's timeline.
async fn the_workspace_switches_availability_and_sets_routing(b: Backend) {
    use crate::web::{PASSWORD, WebAgent};
    let t = TestServer::start(b).await;
    t.agent_with_password("root@example.com", "Rita Root", Role::Admin, PASSWORD)
        .await;
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    let ann = t
        .get("/api/v1/agents")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "ann@example.com")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let team = t
        .post("/api/v1/teams", json!({"name": "Support"}))
        .await
        .id();
    t.post(
        &format!("/api/v1/teams/{team}/members"),
        json!({"agent_id": ann}),
    )
    .await;

    let mut root = WebAgent::signed_in(&t, "root@example.com").await;
    let page = root.get("/admin/teams").await;
    assert!(page.html.contains("Save routing"), "{}", page.html);
    let csrf = page.csrf();
    let path = format!("/admin/teams/{team}/routing");
    let refused = root
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("routing_mode", "round_robin"),
                ("max_open_cases", "0"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("max_open_cases"), "{}", refused.html);
    let saved = root
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("routing_mode", "round_robin"),
                ("max_open_cases", "20"),
                ("match_skills", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let r = t.get(&format!("/api/v1/teams/{team}")).await;
    assert_eq!(
        (
            &r.body["routing_mode"],
            &r.body["max_open_cases"],
            &r.body["match_skills"]
        ),
        (&json!("round_robin"), &json!(20), &json!(true))
    );
    let saved = root
        .post(
            &format!("/admin/agents/{ann}/routing"),
            &[
                ("csrf", &csrf),
                ("skills", "billing, vip"),
                ("languages", "en de"),
                ("max_open_cases", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let agents = root.get("/admin/agents").await;
    assert!(agents.html.contains("billing, vip"), "{}", agents.html);

    let cora = t.customer("Cora", "cora@example.com").await;
    let case = open(&t, cora, json!({"team_id": team})).await;
    assert_eq!(case["assignee_id"], ann);
    let mut agent = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = agent.get(&format!("/cases/{}", case["id"])).await;
    assert!(
        page.html.contains(
            "routed the case in Support to Ann Agent: round robin among 1 available agent"
        ),
        "{}",
        page.html
    );
    assert!(page.html.contains("● Available"));
    let csrf = page.csrf();
    let away = agent
        .post(
            "/account/availability",
            &[("csrf", &csrf), ("available", "false")],
        )
        .await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    let page = agent.get(&format!("/cases/{}", case["id"])).await;
    assert!(page.html.contains("○ Away"), "{}", page.html);
    assert!(
        page.html
            .contains("routed the case in Support: agent went away: returned to team"),
        "{}",
        page.html
    );
    assert_eq!(
        assignee(&t, case["id"].as_i64().unwrap()).await,
        Value::Null
    );
    let wrong = agent
        .post(
            "/account/availability",
            &[("csrf", &csrf), ("available", "maybe")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Forty cases opened at once on a round-robin team of four: the team row
/// lock makes each decision see the one before, so each agent gets ten.
async fn concurrent_routing_stays_fair(b: Backend) {
    let t = TestServer::start(b).await;
    let cora = t.customer("Cora", "cora@example.com").await;
    let team = team(&t, "Rush", 4, "round_robin").await;
    let mut senders = tokio::task::JoinSet::new();
    for i in 0..40 {
        let request = t
            .http
            .post(format!("{}/api/v1/cases", t.base))
            .bearer_auth(&t.admin)
            .json(&json!({"subject": format!("case {i}"), "customer_id": cora,
                          "message": "hello", "team_id": team.id}));
        senders
            .spawn(async move { crate::harness::Reply::from(request.send().await.unwrap()).await });
    }
    let mut got: HashMap<i64, usize> = HashMap::new();
    for reply in senders.join_all().await {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        *got.entry(reply.body["assignee_id"].as_i64().unwrap())
            .or_default() += 1;
    }
    for (agent, _) in &team.agents {
        assert_eq!(got.get(agent), Some(&10), "{got:?}");
    }
}
