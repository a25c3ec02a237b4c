//! The case page over HTTP: team and tags, merging cases (web and API, and
//! email threading after a merge), quoted history, an email's source,
//! attachment uploads in the composers, the customer's waiting time and
//! agreements, and paging back through a long timeline.

use crate::browser::Browser;
use crate::email::{FIRST, messages, send};
use crate::harness::{Backend, Options, TestServer};
use crate::web::{PASSWORD, Page, WebAgent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    team_and_tags_change_from_the_properties_form,
    merging_moves_messages_and_closes_the_merged_case,
    bad_merges_are_refused_with_nothing_changed,
    merging_from_the_web_confirms_first,
    email_to_a_merged_case_lands_in_the_case_it_joined,
    quoted_history_is_collapsed,
    source_is_plain_text_byte_for_byte,
    uploads_attach_files_to_replies_and_their_email,
    oversized_uploads_are_refused_and_keep_the_draft,
    multipart_forms_need_the_csrf_token,
    sidebar_shows_waiting_time_and_agreements,
    long_timelines_page_back_with_show_older,
    a_reply_sets_the_status_and_goes_on_in_one_step,
    event_lines_say_what_and_the_summary_counts,
);

/// A server with the SMTP listener, the inbox `support@example.com`, agent
/// Ann (password [`PASSWORD`]) and an attachment limit of `attachment_limit`.
async fn server(b: Backend, attachment_limit: Option<usize>) -> TestServer {
    let t = TestServer::start_with(
        b,
        Options {
            smtp: true,
            mail_rate_limit: Some(0),
            max_attachment_bytes: attachment_limit,
            ..Options::default()
        },
    )
    .await;
    let inbox = t
        .post("/api/v1/inboxes", json!({"address": "support@example.com"}))
        .await;
    assert_eq!(inbox.status, StatusCode::CREATED, "{}", inbox.body);
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    t
}

/// The case Ann Lee opened by email ([`FIRST`]).
async fn email_case(t: &TestServer) -> i64 {
    send(t, "ann@example.org", "support@example.com", FIRST)
        .await
        .unwrap();
    let all = crate::email::cases(t).await;
    all.iter()
        .find(|c| c["channel"] == "email")
        .expect("the emailed case")["id"]
        .as_i64()
        .unwrap()
}

async fn case(t: &TestServer, id: i64) -> Value {
    let r = t.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn events(t: &TestServer, id: i64) -> Vec<Value> {
    t.all(&format!("/api/v1/cases/{id}/events")).await
}

/// One part of a multipart body: a field, or a file when `filename` is set.
pub struct Part<'a> {
    name: &'a str,
    /// The file's name and content type.
    filename: Option<(&'a str, &'a str)>,
    data: &'a [u8],
}

pub fn field<'a>(name: &'a str, value: &'a str) -> Part<'a> {
    Part {
        name,
        filename: None,
        data: value.as_bytes(),
    }
}

pub fn file<'a>(filename: &'a str, data: &'a [u8]) -> Part<'a> {
    typed_file(filename, "text/plain", data)
}

/// A file of `content_type` (a phone's photo: `image/jpeg`).
pub fn typed_file<'a>(filename: &'a str, content_type: &'a str, data: &'a [u8]) -> Part<'a> {
    Part {
        name: "files",
        filename: Some((filename, content_type)),
        data,
    }
}

/// Posts a multipart form as the signed-in `web` agent's browser would.
pub async fn post_multipart(
    t: &TestServer,
    web: &WebAgent,
    path: &str,
    parts: &[Part<'_>],
) -> Page {
    const BOUNDARY: &str = "tend-test-boundary-7MA4YWxk";
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p.filename {
            Some((f, content_type)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\n\
                     Content-Type: {content_type}\r\n\r\n",
                    p.name
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                    p.name
                )
                .as_bytes(),
            ),
        }
        body.extend_from_slice(p.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let cookies: Vec<String> = web
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{path}", t.base))
        .header("cookie", cookies.join("; "))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    Page {
        status: r.status(),
        headers: r.headers().clone(),
        html: r.text().await.unwrap(),
    }
}

async fn team_and_tags_change_from_the_properties_form(b: Backend) {
    let t = server(b, None).await;
    let customer = t.customer("Cora Customer", "cora@example.org").await;
    let id = t.case(customer, "Printer jam", "It jams.").await;
    let team = t.post("/api/v1/teams", json!({"name": "Hardware"})).await;
    assert_eq!(team.status, StatusCode::CREATED, "{}", team.body);
    let team_id = team.id().to_string();
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{id}")).await;
    assert!(page.html.contains("name=\"team\""), "{}", page.html);
    assert!(page.html.contains(">Hardware</option>"));
    let csrf = page.csrf();
    let path = format!("/cases/{id}/update");

    let saved = web
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("team", &team_id),
                ("add_tag", "VIP, toner"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let api = case(&t, id).await;
    assert_eq!(api["team_id"], team.id());
    assert_eq!(api["tags"], json!(["toner", "vip"]));
    let page = web.get(&format!("/cases/{id}")).await;
    assert!(page.html.contains("name=\"remove_tag\" value=\"vip\""));

    let removed = web
        .post(
            &path,
            &[("csrf", &csrf), ("remove_tag", "vip"), ("team", "none")],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.html);
    let api = case(&t, id).await;
    assert_eq!(api["tags"], json!(["toner"]));
    assert!(api["team_id"].is_null());
    let kinds: Vec<Value> = events(&t, id)
        .await
        .iter()
        .map(|e| e["data"]["type"].clone())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "handed_off").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| *k == "tags_changed").count(), 2);

    // Bad tags and unknown teams: a clear error on the case page, no change.
    let bad = web
        .post(&path, &[("csrf", &csrf), ("add_tag", "no<way>")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("is not a tag"), "{}", bad.html);
    assert!(bad.html.contains("id=\"case-title\""));
    let unknown = web.post(&path, &[("csrf", &csrf), ("team", "999")]).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.html.contains("no team with id 999"),
        "{}",
        unknown.html
    );
    assert_eq!(case(&t, id).await["tags"], json!(["toner"]));
}

async fn merging_moves_messages_and_closes_the_merged_case(b: Backend) {
    let t = server(b, None).await;
    let customer = t.customer("Cora Customer", "cora@example.org").await;
    let a = t.case(customer, "Printer jam", "It jams.").await;
    let reply = t
        .post(
            &format!("/api/v1/cases/{a}/messages"),
            json!({"body": "Try this.", "attachments": [
                {"filename": "steps.txt", "content_type": "text/plain", "content_base64": "c3RlcHM="}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let effort = t
        .post(
            &format!("/api/v1/cases/{a}/events"),
            json!({"type": "identity_requested", "reason": "account change"}),
        )
        .await;
    assert_eq!(effort.status, StatusCode::CREATED, "{}", effort.body);
    let b_id = t.case(customer, "Printer jam again", "Still jams.").await;

    let merged = t
        .post(&format!("/api/v1/cases/{a}/merge"), json!({"into": b_id}))
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);
    let doc = t.get("/api/v1/openapi.json").await.body;
    let path = "/api/v1/cases/{id}/merge";
    crate::openapi::check(&doc, path, "post", 200, &merged.body);
    let again = t
        .post(&format!("/api/v1/cases/{a}/merge"), json!({"into": b_id}))
        .await;
    crate::openapi::check(&doc, path, "post", 422, &again.body);
    let events_page = t.get(&format!("/api/v1/cases/{a}/events")).await;
    crate::openapi::check(
        &doc,
        "/api/v1/cases/{id}/events",
        "get",
        200,
        &events_page.body,
    );
    assert_eq!(merged.body["merged"]["status"], "closed");
    assert_eq!(merged.body["merged"]["merged_into_id"], b_id);
    assert_eq!(merged.body["into"]["message_count"], 3);
    assert_eq!(case(&t, a).await["merged_into_id"], b_id);
    assert_eq!(case(&t, a).await["message_count"], 0);

    // The messages (and the attachment) are on B now, none left on A.
    assert!(messages(&t, a).await.is_empty());
    let moved = messages(&t, b_id).await;
    let texts: Vec<&str> = moved
        .iter()
        .map(|m| m["body_text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["It jams.", "Try this.", "Still jams."]);
    assert_eq!(moved[1]["attachments"][0]["filename"], "steps.txt");
    let download = t
        .get(&format!(
            "/api/v1/attachments/{}",
            moved[1]["attachments"][0]["id"]
        ))
        .await;
    assert_eq!(download.status, StatusCode::OK);

    // The logs: A closed then case_merged; B got merged_from; A's effort
    // event stays on A's log, which B's event links.
    let a_log = events(&t, a).await;
    let last = &a_log[a_log.len() - 1]["data"];
    assert_eq!(last["type"], "case_merged");
    assert_eq!(last["into"], b_id);
    assert_eq!(last["message_ids"].as_array().unwrap().len(), 2);
    assert_eq!(a_log[a_log.len() - 2]["data"]["to"], "closed");
    assert!(
        a_log
            .iter()
            .any(|e| e["data"]["type"] == "identity_requested")
    );
    let b_log = events(&t, b_id).await;
    let last = &b_log[b_log.len() - 1]["data"];
    assert_eq!(last["type"], "merged_from");
    assert_eq!(last["from"], a);

    // The merged case cannot be reopened, replied to or merged again.
    let reopen = t
        .patch(&format!("/api/v1/cases/{a}"), json!({"status": "open"}))
        .await;
    assert_eq!(reopen.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A's page says where its messages went; B's timeline says where they came from.
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{a}")).await;
    assert!(
        page.html.contains("class=\"merged-banner\""),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains(&format!("<a href=\"/cases/{b_id}\">#{b_id}</a>"))
    );
    let page = web.get(&format!("/cases/{b_id}")).await;
    assert!(
        page.html
            .contains(&format!("merged case #{a} into this one"))
    );
    assert!(page.html.contains("steps.txt"));
}

async fn bad_merges_are_refused_with_nothing_changed(b: Backend) {
    let t = server(b, None).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let dan = t.customer("Dan Other", "dan@example.org").await;
    let a = t.case(cora, "Printer jam", "It jams.").await;
    let closed = t.case(cora, "Old", "Old question.").await;
    t.patch(
        &format!("/api/v1/cases/{closed}"),
        json!({"status": "closed"}),
    )
    .await;
    let dans = t.case(dan, "Dan's case", "Hello.").await;
    let merge = |into: Value| {
        let t = &t;
        async move { t.post(&format!("/api/v1/cases/{a}/merge"), into).await }
    };

    let refused = |r: &crate::harness::Reply, field: &str, says: &str| {
        assert_eq!(
            r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            field
        );
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    };
    refused(
        &merge(json!({"into": a})).await,
        "into",
        "cannot be merged into itself",
    );
    refused(&merge(json!({"into": closed})).await, "into", "is closed");
    refused(&merge(json!({"into": 9999})).await, "into", "no case #9999");
    refused(
        &merge(json!({"into": dans})).await,
        "confirm_other_customer",
        "another customer",
    );
    let from_closed = t
        .post(&format!("/api/v1/cases/{closed}/merge"), json!({"into": a}))
        .await;
    from_closed.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let light = t.agent_token("light@example.com", Role::LightAgent).await;
    let forbidden = t
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/cases/{a}/merge"),
            Some(&light),
            Some(json!({"into": dans, "confirm_other_customer": true})),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

    // Nothing moved.
    assert_eq!(messages(&t, a).await.len(), 1);
    assert_eq!(case(&t, a).await["status"], "new");
    assert!(case(&t, a).await["merged_into_id"].is_null());
    assert_eq!(events(&t, a).await.len(), 2);

    // Across customers only when confirmed.
    let confirmed = merge(json!({"into": dans, "confirm_other_customer": true})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(messages(&t, dans).await.len(), 2);
    let again = merge(json!({"into": dans})).await;
    again.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

async fn merging_from_the_web_confirms_first(b: Backend) {
    let t = server(b, None).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let dan = t.customer("Dan Other", "dan@example.org").await;
    let a = t.case(cora, "Printer jam", "It jams.").await;
    let b_id = t.case(cora, "Paper jam", "Paper stuck.").await;
    let dans = t.case(dan, "Dan's <b>case</b>", "Hello.").await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{a}")).await;
    assert!(page.html.contains("Merge into…"), "{}", page.html);

    let confirm = web.get(&format!("/cases/{a}/merge?into=%23{b_id}")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.html);
    assert!(confirm.html.contains("Printer jam") && confirm.html.contains("Paper jam"));
    assert!(!confirm.html.contains("confirm_other_customer"));
    let csrf = confirm.csrf();
    // Nothing happens before the confirmation is posted.
    assert!(case(&t, a).await["merged_into_id"].is_null());

    let bad = web.get(&format!("/cases/{a}/merge?into=banana")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("is not a case reference"), "{}", bad.html);
    let missing = web.get(&format!("/cases/{a}/merge?into=9999")).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Another customer's case: the page warns, and posting without the tick fails.
    let across = web.get(&format!("/cases/{a}/merge?into={dans}")).await;
    assert!(
        across.html.contains("different customers"),
        "{}",
        across.html
    );
    assert!(
        across
            .html
            .contains("Dan&#39;s &#60;b&#62;case&#60;/b&#62;"),
        "{}",
        across.html
    );
    let refused = web
        .post(
            &format!("/cases/{a}/merge"),
            &[("csrf", &csrf), ("into", &dans.to_string())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("another customer"),
        "{}",
        refused.html
    );

    let no_csrf = web
        .post(&format!("/cases/{a}/merge"), &[("into", &b_id.to_string())])
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let itself = web
        .post(
            &format!("/cases/{a}/merge"),
            &[("csrf", &csrf), ("into", &a.to_string())],
        )
        .await;
    assert_eq!(itself.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(case(&t, a).await["merged_into_id"].is_null());

    let done = web
        .post(
            &format!("/cases/{a}/merge"),
            &[("csrf", &csrf), ("into", &b_id.to_string())],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), format!("/cases/{b_id}"));
    assert_eq!(case(&t, a).await["merged_into_id"], b_id);
    assert_eq!(messages(&t, b_id).await.len(), 2);
    let page = web.get(&format!("/cases/{a}")).await;
    assert!(
        page.html.contains("This case was merged into"),
        "{}",
        page.html
    );
    assert!(
        !page.html.contains("Merge into…"),
        "a closed case offers no merge"
    );
}

async fn email_to_a_merged_case_lands_in_the_case_it_joined(b: Backend) {
    let t = server(b, None).await;
    let a = email_case(&t).await;
    let customer = case(&t, a).await["customer_id"].as_i64().unwrap();
    let b_id = t.case(customer, "The same printer", "Also this.").await;
    let merged = t
        .post(&format!("/api/v1/cases/{a}/merge"), json!({"into": b_id}))
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);

    // Threaded by the Message-ID of A's first message.
    let answer = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Re: printer\r\n\
                  Message-ID: <after-merge-1@example.org>\r\nIn-Reply-To: <first-1@example.org>\r\n\r\nStill broken.\r\n";
    send(&t, "ann@example.org", "support@example.com", answer)
        .await
        .unwrap();
    // Threaded by A's number in the subject.
    let by_subject = format!(
        "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Re: printer [#{a}]\r\n\
         Message-ID: <after-merge-2@example.org>\r\n\r\nAnd again.\r\n"
    );
    send(&t, "ann@example.org", "support@example.com", by_subject)
        .await
        .unwrap();
    let on_b: Vec<String> = messages(&t, b_id)
        .await
        .iter()
        .map(|m| m["body_text"].as_str().unwrap().trim().to_owned())
        .collect();
    assert!(on_b.contains(&"Still broken.".to_owned()), "{on_b:?}");
    assert!(on_b.contains(&"And again.".to_owned()), "{on_b:?}");
    assert!(messages(&t, a).await.is_empty());
    assert_eq!(case(&t, a).await["status"], "closed");
    assert_eq!(
        crate::email::cases(&t).await.len(),
        2,
        "no follow-up case opened"
    );
}

async fn quoted_history_is_collapsed(b: Backend) {
    let t = server(b, None).await;
    let a = email_case(&t).await;
    let answer = "From: ann@example.org\r\nTo: support@example.com\r\nSubject: Re: printer\r\n\
                  Message-ID: <quoted-1@example.org>\r\nIn-Reply-To: <first-1@example.org>\r\n\r\n\
                  The new cartridge fixed it.\r\n\r\nOn Mon, 1 Jun 2026, Support wrote:\r\n\
                  > Please try a new cartridge.\r\n> It usually helps.\r\n";
    send(&t, "ann@example.org", "support@example.com", answer)
        .await
        .unwrap();
    let all = messages(&t, a).await;
    let msg = all.last().unwrap();
    assert!(
        msg["quoted_text"]
            .as_str()
            .unwrap()
            .contains("> Please try"),
        "{msg}"
    );

    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{a}")).await;
    let details = page
        .html
        .find("<details class=\"quoted\"><summary>Show quoted text</summary>")
        .expect("the quoted history collapsed");
    let new_text = page.html.find("The new cartridge fixed it.").unwrap();
    let quoted = page.html.find("&#62; Please try a new cartridge.").unwrap();
    let closed = details + page.html[details..].find("</details>").unwrap();
    assert!(new_text < details, "the new text stays visible");
    assert!(
        details < quoted && quoted < closed,
        "the history is inside <details>"
    );
    assert_eq!(page.html.matches("Please try a new cartridge.").count(), 1);
}

async fn source_is_plain_text_byte_for_byte(b: Backend) {
    let t = server(b, None).await;
    let a = email_case(&t).await;
    let latin = b"From: ann@example.org\r\nTo: support@example.com\r\nSubject: Caf\xe9\r\n\
                  Message-ID: <latin-1@example.org>\r\nIn-Reply-To: <first-1@example.org>\r\n\
                  Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
                  <p>Caf\xe9 <script>alert(1)</script></p>\r\n";
    send(&t, "ann@example.org", "support@example.com", latin)
        .await
        .unwrap();
    let all = messages(&t, a).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{a}")).await;
    for m in &all {
        let id = m["id"].as_i64().unwrap();
        assert!(
            page.html
                .contains(&format!("href=\"/messages/{id}/source\""))
        );
        let api_raw = t
            .http
            .get(format!("{}/api/v1/messages/{id}/raw", t.base))
            .bearer_auth(&t.admin)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let r = reqwest::Client::new()
            .get(format!("{}/messages/{id}/source", t.base))
            .header(
                "cookie",
                format!("tend_session={}", web.cookies["tend_session"]),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("text/plain; charset="),
            "{content_type}"
        );
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("inline")
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let body = r.bytes().await.unwrap();
        assert_eq!(body, api_raw, "byte for byte");
        if body.contains(&0xe9) {
            assert_eq!(content_type, "text/plain; charset=iso-8859-1");
        }
    }
    assert!(
        all.iter()
            .any(|m| m["email"]["message_id"] == "latin-1@example.org")
    );

    // A message that did not come by email has no source.
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let api_case = t.case(cora, "By API", "No email here.").await;
    let api_msg = messages(&t, api_case).await[0]["id"].as_i64().unwrap();
    let page = web.get(&format!("/cases/{api_case}")).await;
    assert!(!page.html.contains("View source"));
    assert_eq!(
        web.get(&format!("/messages/{api_msg}/source")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        web.get("/messages/99999/source").await.status,
        StatusCode::NOT_FOUND
    );

    // Signed-out visitors are sent to sign in.
    let id = all[0]["id"].as_i64().unwrap();
    let anonymous = WebAgent::new(&t)
        .get(&format!("/messages/{id}/source"))
        .await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location(), "/signin");
}

async fn uploads_attach_files_to_replies_and_their_email(b: Backend) {
    let t = server(b, None).await;
    let a = email_case(&t).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{a}")).await;
    assert!(page.html.contains("enctype=\"multipart/form-data\""));
    let csrf = page.csrf();
    let posted = post_multipart(
        &t,
        &web,
        &format!("/cases/{a}/reply"),
        &[
            field("csrf", &csrf),
            field("body", "Here are the steps."),
            file("steps.txt", b"1. open the tray\n"),
            file("../../etc/more.txt", b"2. close it\n"),
        ],
    )
    .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.html);
    let all = messages(&t, a).await;
    let reply = all.last().unwrap();
    assert_eq!(reply["body_text"], "Here are the steps.");
    let names: Vec<&str> = reply["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["steps.txt", "more.txt"]);
    assert_eq!(reply["attachments"][0]["size"], 17);
    let stored = t
        .http
        .get(format!(
            "{}/api/v1/attachments/{}",
            t.base, reply["attachments"][0]["id"]
        ))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(stored, "1. open the tray\n");
    // The email queued for the customer carries both files.
    assert_eq!(reply["email"]["delivery"]["status"], "queued", "{reply}");
    let raw = crate::email::raw_source(&t, reply).await;
    assert!(
        raw.contains("steps.txt") && raw.contains("more.txt"),
        "{raw}"
    );
    let page = web.get(&format!("/cases/{a}")).await;
    assert!(page.html.contains(">steps.txt</a>"));

    // A note with a file: stored, never emailed.
    let note = post_multipart(
        &t,
        &web,
        &format!("/cases/{a}/note"),
        &[
            field("csrf", &csrf),
            field("body", "Internal photo."),
            file("photo.txt", b"pretend photo"),
        ],
    )
    .await;
    assert_eq!(note.status, StatusCode::SEE_OTHER, "{}", note.html);
    let all = messages(&t, a).await;
    let note = all.last().unwrap();
    assert_eq!(note["internal"], true);
    assert_eq!(note["attachments"][0]["filename"], "photo.txt");
    assert!(note["email"].is_null());

    // Without files the multipart form still posts a plain reply.
    let plain = post_multipart(
        &t,
        &web,
        &format!("/cases/{a}/reply"),
        &[
            field("csrf", &csrf),
            field("body", "No files."),
            file("", b""),
        ],
    )
    .await;
    assert_eq!(plain.status, StatusCode::SEE_OTHER, "{}", plain.html);
    assert!(
        messages(&t, a).await.last().unwrap()["attachments"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn oversized_uploads_are_refused_and_keep_the_draft(b: Backend) {
    let t = server(b, Some(1024)).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let a = t.case(cora, "Printer jam", "It jams.").await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = web.get(&format!("/cases/{a}")).await.csrf();
    let big = vec![b'x'; 2048];
    let refused = post_multipart(
        &t,
        &web,
        &format!("/cases/{a}/reply"),
        &[
            field("csrf", &csrf),
            field("body", "My carefully written <reply>"),
            file("small.txt", b"fine"),
            file("big.txt", &big),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        refused.html.contains("big.txt") && refused.html.contains("1024 bytes"),
        "{}",
        refused.html
    );
    assert!(
        refused
            .html
            .contains("My carefully written &#60;reply&#62;</textarea>"),
        "the draft is kept: {}",
        refused.html
    );
    let note = post_multipart(
        &t,
        &web,
        &format!("/cases/{a}/note"),
        &[
            field("csrf", &csrf),
            field("body", "A note draft"),
            file("big.txt", &big),
        ],
    )
    .await;
    assert_eq!(note.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(note.html.contains("A note draft</textarea>"));
    // An empty body with a file is refused too, keeping nothing half-written.
    let empty = post_multipart(
        &t,
        &web,
        &format!("/cases/{a}/reply"),
        &[
            field("csrf", &csrf),
            field("body", " "),
            file("small.txt", b"fine"),
        ],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(messages(&t, a).await.len(), 1, "nothing stored");
    assert_eq!(case(&t, a).await["message_count"], 1);
}

async fn multipart_forms_need_the_csrf_token(b: Backend) {
    let t = server(b, None).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let a = t.case(cora, "Printer jam", "It jams.").await;
    let web = WebAgent::signed_in(&t, "ann@example.com").await;
    for parts in [
        vec![field("body", "no token"), file("a.txt", b"a")],
        vec![
            field("csrf", "forged"),
            field("body", "wrong token"),
            file("a.txt", b"a"),
        ],
    ] {
        for path in [format!("/cases/{a}/reply"), format!("/cases/{a}/note")] {
            let page = post_multipart(&t, &web, &path, &parts).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        }
    }
    // Without a session: to the sign-in page.
    let anonymous = WebAgent::new(&t);
    let page = post_multipart(
        &t,
        &anonymous,
        &format!("/cases/{a}/reply"),
        &[field("csrf", "x"), field("body", "hi")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(messages(&t, a).await.len(), 1, "nothing stored");
}

/// "Send and set pending" and "Send and resolve" reply and change the
/// status in one step, and "then open the next case" goes there; a status a
/// reply cannot set, or a next page that is not a case, changes nothing /
/// goes nowhere else.
async fn a_reply_sets_the_status_and_goes_on_in_one_step(b: Backend) {
    let t = server(b, None).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let a = t.case(cora, "Printer jam", "It jams.").await;
    let other = t.case(cora, "Toner", "Empty.").await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = web.get(&format!("/cases/{a}")).await.csrf();
    let path = format!("/cases/{a}/reply");
    let status = |id: i64| {
        let t = &t;
        async move { t.get(&format!("/api/v1/cases/{id}")).await.body["status"].clone() }
    };

    let bad = post_multipart(
        &t,
        &web,
        &path,
        &[
            field("csrf", &csrf),
            field("body", "Hello"),
            field("then", "open"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(
        bad.html.contains("pending_customer or resolved"),
        "{}",
        bad.html
    );
    assert_eq!(messages(&t, a).await.len(), 1, "nothing sent");

    let page = post_multipart(
        &t,
        &web,
        &path,
        &[
            field("csrf", &csrf),
            field("body", "Could you send a photo?"),
            field("then", "pending_customer"),
            field("next", "https://evil.example/"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), format!("/cases/{a}#latest"));
    assert_eq!(status(a).await, "pending_customer");
    assert_eq!(messages(&t, a).await.len(), 2);

    let page = post_multipart(
        &t,
        &web,
        &path,
        &[
            field("csrf", &csrf),
            field("body", "Fixed with the new firmware."),
            field("then", "resolved"),
            field("next", &format!("/cases/{other}")),
        ],
    )
    .await;
    assert_eq!(page.location(), format!("/cases/{other}"));
    assert_eq!(status(a).await, "resolved");
    assert_eq!(messages(&t, a).await.len(), 3);
    // The page offers all three.
    let html = web.get(&format!("/cases/{other}")).await.html;
    assert!(
        html.contains(r#"name="then" value="pending_customer""#)
            && html.contains("Send and resolve")
    );
}

/// Event lines name the teams, agreement, channels and promise involved,
/// and the line under the title sums the case up from its events.
async fn event_lines_say_what_and_the_summary_counts(b: Backend) {
    let t = server(b, None).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let a = t.case(cora, "Printer jam", "It jams.").await;
    let mut ids = Vec::new();
    for name in ["Billing", "Field"] {
        let r = t.post("/api/v1/teams", json!({"name": name})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.id());
    }
    let plan = t
        .post(
            "/api/v1/agreements",
            json!({"customer_id": cora, "name": "Printer care plan", "reference": "PC-7"}),
        )
        .await
        .id();
    let path = format!("/api/v1/cases/{a}");
    for change in [
        json!({"team_id": ids[0]}),
        json!({"team_id": ids[1]}),
        json!({"agreement_id": plan}),
    ] {
        let r = t.patch(&path, change).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    for event in [
        json!({"type": "channel_switched", "from": "email", "to": "phone"}),
        json!({"type": "promise_made", "promise": "A technician calls back", "due_at": "2030-01-01T09:00:00Z"}),
    ] {
        let r = t.post(&format!("{path}/events"), event).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let html = web.get(&format!("/cases/{a}")).await.html;
    for line in [
        "handed the case from no team to Billing",
        "handed the case from Billing to Field",
        "linked the case to the agreement “Printer care plan”",
        "noted the customer moved from email to phone",
        "promised “A technician calls back” by 2030-01-01 09:00 UTC",
    ] {
        assert!(html.contains(line), "{line}: {html}");
    }
    assert!(
        html.contains(
            r#"<p class="case-summary">1 handoff · 1 channel switch · waiting under a minute</p>"#
        ),
        "{html}"
    );
}

async fn sidebar_shows_waiting_time_and_agreements(b: Backend) {
    let t = server(b, None).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let a = t.case(cora, "Printer jam", "It jams.").await;
    let plan = t
        .post(
            "/api/v1/agreements",
            json!({"customer_id": cora, "name": "Printer care plan", "reference": "PC-7"}),
        )
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{}", plan.body);
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/cases/{a}")).await;
    assert!(
        page.html.contains("Printer care plan") && page.html.contains("PC-7"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("waiting for under a minute"),
        "{}",
        page.html
    );

    // A note is not an answer; a reply is.
    let csrf = page.csrf();
    web.post(
        &format!("/cases/{a}/note"),
        &[("csrf", &csrf), ("body", "Checking.")],
    )
    .await;
    assert!(
        web.get(&format!("/cases/{a}"))
            .await
            .html
            .contains("waiting for under a minute")
    );
    web.post(
        &format!("/cases/{a}/reply"),
        &[("csrf", &csrf), ("body", "Fixed?")],
    )
    .await;
    let page = web.get(&format!("/cases/{a}")).await;
    assert!(page.html.contains("not waiting"), "{}", page.html);
    assert!(!page.html.contains("waiting for"));

    let other = t.customer("Dan Other", "dan@example.org").await;
    let dans = t.case(other, "Dan's case", "Hello.").await;
    let page = web.get(&format!("/cases/{dans}")).await;
    assert!(page.html.contains("No agreements."));
    assert!(!page.html.contains("Printer care plan"));
}

async fn long_timelines_page_back_with_show_older(b: Backend) {
    let t = server(b, None).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let a = t.case(cora, "Long story", "The very first message.").await;
    const NOTES: usize = 105;
    for i in 0..NOTES {
        let r = t
            .post(
                &format!("/api/v1/cases/{a}/messages"),
                json!({"body": format!("Note number {i:03}."), "internal": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let newest = web.get(&format!("/cases/{a}")).await;
    assert!(!newest.html.contains("Only the first 100"));
    assert!(!newest.html.contains("The very first message."));
    assert!(newest.html.contains("Note number 104."));
    assert!(!newest.html.contains("Back to the latest entries"));
    // The customer's message is older than the newest page of the log, and
    // more than 100 notes later they are still waiting for an answer.
    assert!(newest.html.contains("waiting for"), "{}", newest.html);

    // Follow "Show older" to the start: every entry shows on exactly one page.
    let mut pages = vec![newest];
    loop {
        let html = &pages.last().unwrap().html;
        let Some(end) = html.find("\" rel=\"prev\"") else {
            break;
        };
        let start = html[..end].rfind("href=\"").unwrap() + 6;
        let href = html[start..end].replace("&#38;", "&").replace("&amp;", "&");
        assert!(href.starts_with(&format!("/cases/{a}?older_")), "{href}");
        let older = web.get(&href).await;
        assert_eq!(older.status, StatusCode::OK, "{}", older.html);
        assert!(older.html.contains("Back to the latest entries"));
        pages.push(older);
        assert!(pages.len() < 5, "paging ends");
    }
    assert_eq!(pages.len(), 3, "213 entries in pages of 100");
    let last = &pages.last().unwrap().html;
    assert!(last.contains("The very first message."));
    assert!(last.contains("opened the case"));
    for i in 0..NOTES {
        let text = format!("Note number {i:03}.");
        let shown: usize = pages.iter().map(|p| p.html.matches(&text).count()).sum();
        assert_eq!(shown, 1, "{text} on exactly one page");
    }
    let bad = web
        .get(&format!("/cases/{a}?older_messages=nonsense"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_page_keys_resolve_and_walk_the_list_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = server(Backend::Sqlite, None).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let a = t.case(cora, "Printer jam", "It jams.").await;
    browser.sign_in(&t, "ann@example.com").await;
    browser
        .client
        .goto(&format!("{}/cases/{a}", t.base))
        .await
        .unwrap();
    browser.wait_for("#resolve").await;
    browser.press("e").await;
    browser.wait_for_text("status", "resolved").await;
    assert_eq!(case(&t, a).await["status"], "resolved");

    // `[` and `]` walk the list the case was opened from (newest first).
    let second = t.case(cora, "Paper jam", "Paper.").await;
    let third = t.case(cora, "Toner low", "Toner.").await;
    browser
        .client
        .goto(&format!("{}/views/all", t.base))
        .await
        .unwrap();
    browser.wait_for("table.cases").await;
    browser
        .client
        .goto(&format!("{}/cases/{second}", t.base))
        .await
        .unwrap();
    browser.wait_for_text("crumbs", &format!("#{second}")).await;
    browser.press("[").await;
    browser.wait_for_text("crumbs", &format!("#{third}")).await;
    browser.press("]").await;
    browser.wait_for_text("crumbs", &format!("#{second}")).await;
    browser.press("]").await;
    browser.wait_for_text("crumbs", &format!("#{a}")).await;
    // The last case has no next one: `]` stays put.
    browser.press("]").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let url = browser.client.current_url().await.unwrap();
    assert!(url.path().ends_with(&format!("/cases/{a}")), "{url}");
}

/// A long case opens at its latest message with the reply box in view, and
/// "Then open the next case" sends the reply and goes on down the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_opens_at_the_reply_and_goes_on_to_the_next_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = server(Backend::Sqlite, None).await;
    let cora = t.customer("Cora Customer", "cora@example.org").await;
    let first = t.case(cora, "Printer jam", "It jams.").await;
    let long = t.case(cora, "Long story", "It began on Monday.").await;
    for i in 0..30 {
        let r = t
            .post(
                &format!("/api/v1/cases/{long}/messages"),
                json!({"body": format!("Update {i}:\nstill looking into it.\nMore soon.")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    browser.sign_in(&t, "ann@example.com").await;
    let c = &browser.client;
    c.set_window_size(1280, 800).await.unwrap();
    c.goto(&format!("{}/views/all?sort=-created_at", t.base))
        .await
        .unwrap();
    browser.wait_for("table.cases").await;
    c.goto(&format!("{}/cases/{long}", t.base)).await.unwrap();
    browser.wait_for("#then-next").await;
    let seen = c
        .execute(
            "const r = document.getElementById('reply').getBoundingClientRect(); \
             return [window.scrollY > 0, r.top < window.innerHeight && r.bottom > 0];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(seen, json!([true, true]), "scrolled to the reply box");

    browser
        .type_into("#reply", "Found it: a loose cable.")
        .await;
    browser.click("#then-next").await;
    browser
        .click("#reply-form button[type=submit]:not([name])")
        .await;
    browser.wait_for_text("crumbs", &format!("#{first}")).await;
    let bodies: Vec<String> = messages(&t, long)
        .await
        .iter()
        .map(|m| m["body_text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        bodies.iter().any(|b| b.contains("loose cable")),
        "{bodies:?}"
    );
}
