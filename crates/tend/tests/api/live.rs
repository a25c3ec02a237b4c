//! Live updates and the collision warning: over HTTP, the case page's event
//! stream names the other agents on the case and says when it changed; in
//! two real Chromium sessions, each agent sees the other, and a new message
//! appears without a reload.

use crate::browser::Browser;
use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tend_domain::agent::Role;

crate::both_backends!(
    the_stream_names_other_agents_and_reports_changes,
    typing_and_streams_are_guarded,
);

/// An event read off a server-sent-event stream.
#[derive(Debug, PartialEq)]
pub struct Sse {
    pub event: String,
    pub data: String,
}

/// A case page's live stream, read as a browser's EventSource would.
pub struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(t: &TestServer, agent: &WebAgent, case: i64) -> Self {
        Self::open_at(&t.base, agent, case).await
    }

    /// The stream of `case` from the server at `base`.
    pub async fn open_at(base: &str, agent: &WebAgent, case: i64) -> Self {
        let response = reqwest::Client::new()
            .get(format!("{base}/cases/{case}/live"))
            .header("cookie", agent.cookie_header())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Stream {
            response,
            buffer: String::new(),
        }
    }

    /// The next event, skipping keep-alive comments; fails after 10 s.
    pub async fn next(&mut self) -> Sse {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Sse {
                    event: String::new(),
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().into();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        event.data = v.trim().into();
                    }
                }
                if !event.event.is_empty() {
                    return event;
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("an event within 10 s")
                .unwrap()
                .expect("the stream stays open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Skips events until one with this name and data arrives.
    pub async fn until(&mut self, event: &str, data: &str) {
        loop {
            let next = self.next().await;
            if next.event == event && (data.is_empty() || next.data == data) {
                return;
            }
        }
    }
}

/// Ann and Bob, agents, and a case.
async fn two_agents_one_case(b: Backend) -> (TestServer, i64) {
    let (t, case) = crate::web::with_case(b).await;
    t.agent_with_password("bob@example.com", "Bob Agent", Role::Agent, PASSWORD)
        .await;
    (t, case)
}

async fn the_stream_names_other_agents_and_reports_changes(b: Backend) {
    let (t, case) = two_agents_one_case(b).await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let mut bob = WebAgent::signed_in(&t, "bob@example.com").await;

    // Nobody else yet; then Bob opens the page and Ann's page names him.
    let page = ann.get(&format!("/cases/{case}")).await;
    assert!(
        page.html.contains(
            r#"id="presence" class="presence" role="status" aria-live="polite" hidden></p>"#
        ),
        "{}",
        page.html
    );
    let bobs_page = bob.get(&format!("/cases/{case}")).await;
    assert!(bobs_page.html.contains("Ann Agent is viewing this case."));
    let page = ann.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains("Bob Agent is viewing this case."));

    // Ann's stream starts with the warning, then follows Bob's typing.
    let mut stream = Stream::open(&t, &ann, case).await;
    let first = stream.next().await;
    assert_eq!(first.event, "presence");
    assert_eq!(first.data, "Bob Agent is viewing this case.");
    let typed = bob
        .post(
            &format!("/cases/{case}/typing"),
            &[("csrf", &bobs_page.csrf())],
        )
        .await;
    assert_eq!(typed.status, StatusCode::NO_CONTENT);
    stream
        .until("presence", "Bob Agent is typing a reply.")
        .await;

    // A change from anywhere (here the API) reaches the open page.
    t.post(
        &format!("/api/v1/cases/{case}/messages"),
        json!({"body": "Checked the toner.", "internal": true}),
    )
    .await;
    stream.until("changed", "").await;

    // Bob's own stream does not warn him about himself.
    let mut bobs = Stream::open(&t, &bob, case).await;
    let first = bobs.next().await;
    assert_eq!(first.event, "presence");
    assert_eq!(first.data, "Ann Agent is viewing this case.");

    // When Ann closes her page, Bob's warning clears.
    drop(stream);
    bobs.until("presence", "").await;
}

async fn typing_and_streams_are_guarded(b: Backend) {
    let (t, case) = two_agents_one_case(b).await;
    t.agent_with_password("lee@example.com", "Lee Light", Role::LightAgent, PASSWORD)
        .await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = ann.get(&format!("/cases/{case}")).await;
    let typing = format!("/cases/{case}/typing");

    // Typing signals need the session's CSRF token.
    assert_eq!(ann.post(&typing, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        ann.post(&typing, &[("csrf", "forged")]).await.status,
        StatusCode::FORBIDDEN
    );
    // Unknown cases are 404, for the stream too.
    let csrf = page.csrf();
    assert_eq!(
        ann.post("/cases/999999/typing", &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ann.get("/cases/999999/live").await.status,
        StatusCode::NOT_FOUND
    );

    // A light agent may watch but cannot claim to be replying.
    let mut lee = WebAgent::signed_in(&t, "lee@example.com").await;
    let lees_page = lee.get(&format!("/cases/{case}")).await;
    assert_eq!(
        lee.post(&typing, &[("csrf", &lees_page.csrf())])
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Without a session there is no stream.
    let anonymous = WebAgent::new(&t).get(&format!("/cases/{case}/live")).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location(), "/signin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_agent_sees_the_collision_warning_and_live_updates_in_chromium() {
    let Some(ann) = Browser::start().await else {
        return;
    };
    let Some(bob) = Browser::start().await else {
        return;
    };
    let (t, case) = two_agents_one_case(Backend::Sqlite).await;
    ann.sign_in(&t, "ann@example.com").await;
    bob.sign_in(&t, "bob@example.com").await;
    let url = format!("{}/cases/{case}", t.base);
    ann.client.goto(&url).await.unwrap();
    ann.wait_for("#case-title").await;
    bob.client.goto(&url).await.unwrap();
    bob.wait_for("#case-title").await;

    // Each sees the other.
    ann.wait_for_text("presence", "Bob Agent is viewing this case.")
        .await;
    bob.wait_for_text("presence", "Ann Agent is viewing this case.")
        .await;

    // Bob types a reply: Ann is warned.
    bob.type_into("#reply", "Let me look into").await;
    ann.wait_for_text("presence", "Bob Agent is typing a reply.")
        .await;
    ann.screenshot("collision.png").await;

    // Ann adds a note; it appears on Bob's page without a reload, and his
    // half-written reply is still there.
    bob.client
        .execute("window.notReloaded = true;", vec![])
        .await
        .unwrap();
    ann.type_into("#note", "I called the customer this morning.")
        .await;
    ann.click("#note-form button").await;
    bob.wait_for_text("message-note", "I called the customer this morning.")
        .await;
    let still = bob
        .client
        .execute(
            "return [window.notReloaded === true, document.getElementById('reply').value];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(still, json!([true, "Let me look into"]));

    // A customer message arriving by the API shows up for both.
    t.post(
        &format!("/api/v1/cases/{case}/messages"),
        json!({"body": "Any news on my printer?"}),
    )
    .await;
    bob.wait_for_text("timeline", "Any news on my printer?")
        .await;
    ann.wait_for_text("timeline", "Any news on my printer?")
        .await;
}
