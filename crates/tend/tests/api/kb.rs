//! The knowledge base: Markdown rendered safely, drafts and internal
//! articles never public, search, feedback and deflections with their
//! tokens, roles, CSRF on every agent form, the API, and suggestions in
//! Chromium.

use crate::browser::Browser;
use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tend_domain::agent::Role;

crate::both_backends!(
    markdown_is_rendered_and_hostile_html_stripped,
    drafts_and_internal_articles_are_never_public,
    search_finds_words_in_the_body,
    feedback_counts_once_and_needs_its_token,
    deflections_are_recorded_and_need_their_token,
    agents_write_and_light_agents_only_read,
    every_kb_form_rejects_a_missing_or_wrong_csrf_token,
);

/// A server with agent ann and light agent lee (password [`PASSWORD`]).
async fn server(b: Backend) -> TestServer {
    let t = TestServer::start(b).await;
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    t.agent_with_password("lee@example.com", "Lee Light", Role::LightAgent, PASSWORD)
        .await;
    t
}

/// The help token a public page gives its scripts.
fn help_token(html: &str) -> String {
    let start = html
        .find("id=\"help-token\" value=\"")
        .expect("a help token")
        + 23;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_string()
}

/// Creates an article through the API; answers it.
async fn article(t: &TestServer, body: Value) -> Value {
    let r = t.post("/api/v1/articles", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

/// A published public article, an internal one and a draft, all about printers.
async fn three(t: &TestServer) -> (Value, Value, Value) {
    let public = article(
        t,
        json!({"title": "Clearing a printer jam", "body": "Open the **tray** and pull the paper gently.", "state": "published"}),
    )
    .await;
    let internal = article(
        t,
        json!({"title": "Printer escalation", "body": "Internal printer notes: call the vendor.", "visibility": "internal", "state": "published"}),
    )
    .await;
    let draft = article(
        t,
        json!({"title": "Printer drafts", "body": "Unfinished printer advice.", "slug": "printer-draft"}),
    )
    .await;
    (public, internal, draft)
}

async fn markdown_is_rendered_and_hostile_html_stripped(b: Backend) {
    let t = server(b).await;
    let a = article(
        &t,
        json!({"title": "Hostile", "state": "published",
               "body": "# Heading\n\n**bold** and [safe](https://example.org)\n\n<script>alert(1)</script>\n<img src=x onerror=\"alert(2)\">\n\n[bad](javascript:alert(3))\n\n<iframe src=\"https://evil.example\"></iframe>"}),
    )
    .await;
    assert_eq!(a["slug"], "hostile");
    let mut web = WebAgent::new(&t);
    let page = web.get("/help/articles/hostile").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("<h1>Heading</h1>"), "{}", page.html);
    assert!(page.html.contains("<strong>bold</strong>"), "{}", page.html);
    assert!(page.html.contains("href=\"https://example.org\""));
    let body = &page.html[page.html.find("help-body").unwrap()..];
    assert!(body.contains(">bad</a>"), "the link text stays: {body}");
    for bad in ["<script>alert", "onerror", "href=\"javascript:", "<iframe"] {
        assert!(!body.contains(bad), "{bad} survived: {body}");
    }
    // The agents' preview is sanitised the same way.
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = ann.get(&format!("/kb/articles/{}", a["id"])).await;
    assert_eq!(page.status, StatusCode::OK);
    let preview = &page.html[page.html.find("kb-preview").unwrap()..];
    assert!(preview.contains("<strong>bold</strong>"));
    assert!(!preview.contains("onerror") && !preview.contains("<script>alert"));
}

async fn drafts_and_internal_articles_are_never_public(b: Backend) {
    let t = server(b).await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let form = ann.get("/kb").await;
    let page = ann
        .post(
            "/kb/categories",
            &[("csrf", &form.csrf()), ("name", "Printing")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let (public, internal, draft) = three(&t).await;
    let categories: Vec<i64> = [&public, &internal, &draft]
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    // File all three under the category (category ids start at 1).
    for id in &categories {
        let r = t
            .patch(&format!("/api/v1/articles/{id}"), json!({"category_id": 1}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let mut anon = WebAgent::new(&t);
    for path in ["/help", "/help/printing", "/help/search?q=printer"] {
        let page = anon.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
        assert!(page.html.contains("Clearing a printer jam"), "{path}");
        assert!(!page.html.contains("Printer escalation"), "{path}");
        assert!(!page.html.contains("Printer drafts"), "{path}");
    }
    let page = anon.get("/help/articles/clearing-a-printer-jam").await;
    assert_eq!(page.status, StatusCode::OK);
    for slug in [&internal["slug"], &draft["slug"]] {
        let page = anon
            .get(&format!("/help/articles/{}", slug.as_str().unwrap()))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{slug}");
    }
    let r = reqwest::get(format!("{}/help/suggest?q=printer", t.base))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let found: Vec<Value> = r.json().await.unwrap();
    let titles: Vec<&str> = found.iter().map(|s| s["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Clearing a printer jam"]);
    assert_eq!(found[0]["url"], "/help/articles/clearing-a-printer-jam");
    assert!(found[0]["snippet"].as_str().unwrap().contains("tray"));
    // Agents see all three, with the suggestion counted.
    let page = ann.get("/kb").await;
    for title in [
        "Clearing a printer jam",
        "Printer escalation",
        "Printer drafts",
    ] {
        assert!(page.html.contains(title), "{title}");
    }
    assert!(
        page.html.contains("<td class=\"kb-suggested\">1</td>"),
        "{}",
        page.html
    );
    // Unpublishing takes an article off the help centre.
    let edit = ann.get(&format!("/kb/articles/{}", public["id"])).await;
    let page = ann
        .post(
            &format!("/kb/articles/{}/state", public["id"]),
            &[("csrf", &edit.csrf()), ("state", "draft")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let page = anon.get("/help/articles/clearing-a-printer-jam").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = anon.get("/help").await;
    assert!(!page.html.contains("Clearing a printer jam"));
}

async fn search_finds_words_in_the_body(b: Backend) {
    let t = server(b).await;
    three(&t).await;
    article(
        &t,
        json!({"title": "Billing", "body": "Invoices are emailed monthly.", "state": "published"}),
    )
    .await;
    let mut anon = WebAgent::new(&t);
    let page = anon.get("/help/search?q=invoices").await;
    assert!(page.html.contains("Billing"), "{}", page.html);
    assert!(!page.html.contains("Clearing a printer jam"));
    let page = anon.get("/help/search?q=gently+tray").await;
    assert!(page.html.contains("Clearing a printer jam"));
    // Agents find internal articles by their body too.
    let r = t.get("/api/v1/articles?q=vendor").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let titles: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Printer escalation"]);
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = ann.get("/kb?q=unfinished").await;
    assert!(page.html.contains("Printer drafts"));
    assert!(!page.html.contains("Billing"));
    // A query without words finds nothing instead of failing.
    let page = anon.get("/help/search?q=%22%22").await;
    assert_eq!(page.status, StatusCode::OK);
}

async fn feedback_counts_once_and_needs_its_token(b: Backend) {
    let t = server(b).await;
    let (public, internal, _) = three(&t).await;
    let path = "/help/articles/clearing-a-printer-jam";
    let mut reader = WebAgent::new(&t);
    let page = reader.get(path).await;
    let csrf = page.csrf();
    let feedback = format!("{path}/feedback");
    // No token, a wrong token, or no cookie: refused, nothing counted.
    let page = reader.post(&feedback, &[("helpful", "yes")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = reader
        .post(&feedback, &[("csrf", "wrong"), ("helpful", "yes")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let mut stranger = WebAgent::new(&t);
    let page = stranger
        .post(&feedback, &[("csrf", &csrf), ("helpful", "yes")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = reader
        .post(&feedback, &[("csrf", &csrf), ("helpful", "maybe")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = reader
        .post(&feedback, &[("csrf", &csrf), ("helpful", "yes")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    // A second vote from the same browser is not counted.
    let page = reader
        .post(&feedback, &[("csrf", &csrf), ("helpful", "no")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = reader.get(path).await;
    assert!(page.html.contains("Thank you"));
    let mut other = WebAgent::new(&t);
    let token = other.get(path).await.csrf();
    let page = other
        .post(&feedback, &[("csrf", &token), ("helpful", "no")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let a = t
        .get(&format!("/api/v1/articles/{}", public["id"]))
        .await
        .body;
    assert_eq!(
        (a["helpful_yes"].as_i64(), a["helpful_no"].as_i64()),
        (Some(1), Some(1))
    );
    // Internal articles take no votes.
    let page = other
        .post(
            &format!(
                "/help/articles/{}/feedback",
                internal["slug"].as_str().unwrap()
            ),
            &[("csrf", &token), ("helpful", "yes")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = ann.get("/kb").await;
    assert!(
        page.html.contains("<td class=\"kb-helpful\">1 / 1</td>"),
        "{}",
        page.html
    );
}

async fn deflections_are_recorded_and_need_their_token(b: Backend) {
    let t = server(b).await;
    let (public, internal, _) = three(&t).await;
    let id = public["id"].to_string();
    let mut visitor = WebAgent::new(&t);
    let csrf = help_token(&visitor.get("/help").await.html);
    let page = visitor
        .post(
            "/help/deflections",
            &[("article_id", &id), ("query", "jam")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = visitor
        .post(
            "/help/deflections",
            &[
                ("csrf", &csrf),
                ("article_id", &id),
                ("query", "printer jam"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::NO_CONTENT, "{}", page.html);
    let page = visitor
        .post(
            "/help/deflections",
            &[("csrf", &csrf), ("article_id", &internal["id"].to_string())],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let a = t.get(&format!("/api/v1/articles/{id}")).await.body;
    assert_eq!(a["deflections"], 1);
    // One client cannot inflate the count without limit.
    let mut last = StatusCode::NO_CONTENT;
    for _ in 0..40 {
        last = visitor
            .post("/help/deflections", &[("csrf", &csrf), ("article_id", &id)])
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = ann.get("/kb").await;
    assert!(
        page.html.contains("<td class=\"kb-deflections\">29</td>"),
        "{}",
        page.html
    );
}

async fn agents_write_and_light_agents_only_read(b: Backend) {
    let t = server(b).await;
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = ann.get("/kb").await.csrf();
    let page = ann
        .post(
            "/kb/articles",
            &[
                ("csrf", &csrf),
                ("title", "Reset your password"),
                ("body", "Use *Forgot password*."),
                ("visibility", "public"),
                ("state", "published"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let mut anon = WebAgent::new(&t);
    let page = anon.get("/help/articles/reset-your-password").await;
    assert!(
        page.html.contains("<em>Forgot password</em>"),
        "{}",
        page.html
    );
    // Bad input comes back with the form and a message, nothing saved.
    let page = ann
        .post(
            "/kb/articles",
            &[
                ("csrf", &csrf),
                ("title", "X"),
                ("slug", "Bad Slug"),
                ("body", "b"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains("slug"), "{}", page.html);
    let page = ann
        .post(
            "/kb/articles",
            &[
                ("csrf", &csrf),
                ("title", "Again"),
                ("slug", "reset-your-password"),
                ("body", "b"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t.get("/api/v1/articles").await;
    assert_eq!(r.body.as_array().unwrap().len(), 1, "{}", r.body);
    let id = r.body[0]["id"].as_i64().unwrap();
    // Light agents read, with no forms, and every write is refused.
    let mut lee = WebAgent::signed_in(&t, "lee@example.com").await;
    let page = lee.get("/kb").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Reset your password"));
    assert!(!page.html.contains("id=\"new-article\""));
    let page = lee.get(&format!("/kb/articles/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("id=\"edit-article\""));
    let csrf = page.csrf();
    for (path, form) in [
        (
            "/kb/articles".to_string(),
            vec![("title", "T"), ("body", "B")],
        ),
        (
            format!("/kb/articles/{id}"),
            vec![("title", "T"), ("body", "B")],
        ),
        (format!("/kb/articles/{id}/state"), vec![("state", "draft")]),
        ("/kb/categories".to_string(), vec![("name", "N")]),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let page = lee.post(&path, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    let token = t.agent_token("lee2@example.com", Role::LightAgent).await;
    let r = t
        .send(
            Method::POST,
            "/api/v1/articles",
            Some(&token),
            Some(json!({"title": "T", "body": "B"})),
        )
        .await;
    r.error(StatusCode::FORBIDDEN, "forbidden");
    let r = t
        .send(
            Method::PATCH,
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"title": "T"})),
        )
        .await;
    r.error(StatusCode::FORBIDDEN, "forbidden");
    let r = t
        .send(
            Method::GET,
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let a = t.get(&format!("/api/v1/articles/{id}")).await.body;
    assert_eq!(a["title"], "Reset your password");
    assert_eq!(a["state"], "published");
}

async fn every_kb_form_rejects_a_missing_or_wrong_csrf_token(b: Backend) {
    let t = server(b).await;
    let (public, _, _) = three(&t).await;
    let id = public["id"].as_i64().unwrap();
    let mut ann = WebAgent::signed_in(&t, "ann@example.com").await;
    for (path, form) in [
        (
            "/kb/articles".to_string(),
            vec![("title", "T"), ("body", "B")],
        ),
        (
            format!("/kb/articles/{id}"),
            vec![("title", "T"), ("body", "B")],
        ),
        (format!("/kb/articles/{id}/state"), vec![("state", "draft")]),
        ("/kb/categories".to_string(), vec![("name", "N")]),
    ] {
        let page = ann.post(&path, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} without a token");
        let mut wrong = vec![("csrf", "not-the-token")];
        wrong.extend(form);
        let page = ann.post(&path, &wrong).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{path} with a wrong token"
        );
    }
    let a = t.get(&format!("/api/v1/articles/{id}")).await.body;
    assert_eq!(
        (a["title"].as_str(), a["state"].as_str()),
        (Some("Clearing a printer jam"), Some("published"))
    );
    assert_eq!(
        t.get("/api/v1/articles")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_show_while_typing_and_count_deflections_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = server(Backend::Sqlite).await;
    let (public, _, _) = three(&t).await;
    let c = &browser.client;
    c.goto(&format!("{}/help", t.base)).await.unwrap();
    browser.type_into("#help-q", "printer jam").await;
    browser
        .wait_for_text("suggestion", "Clearing a printer jam")
        .await;
    // The internal article and the draft are never suggested.
    let list = browser.wait_for(".suggestions").await.text().await.unwrap();
    assert!(
        !list.contains("escalation") && !list.contains("drafts"),
        "{list}"
    );
    browser.click("a.suggestion").await;
    browser.wait_for(".help-feedback").await;
    let mut deflections = Value::Null;
    for _ in 0..50 {
        deflections = t
            .get(&format!("/api/v1/articles/{}", public["id"]))
            .await
            .body["deflections"]
            .clone();
        if deflections == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(deflections, 1);
    browser.screenshot("kb.png").await;
}

/// "Insert article link" puts the article's address on a line of its own
/// in the reply, wherever the cursor was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inserted_article_link_gets_a_line_of_its_own_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = server(Backend::Sqlite).await;
    let (public, _, _) = three(&t).await;
    let cora = t.customer("Cora", "cora@example.org").await;
    let case = t.case(cora, "Paper stuck", "The printer jams.").await;
    browser.sign_in(&t, "ann@example.com").await;
    let c = &browser.client;
    c.goto(&format!("{}/cases/{case}", t.base)).await.unwrap();
    browser.type_into("#reply", "Hello Cora, this helps:").await;
    browser.type_into("#kb-link-q", "printer jam").await;
    browser.click("#kb-link-picker button[type=submit]").await;
    browser
        .wait_for_text("link", "Clearing a printer jam")
        .await;
    browser.click("#kb-link-results button.link").await;
    let reply = browser
        .wait_for("#reply")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    let url = format!(
        "{}/help/articles/{}",
        t.base,
        public["slug"].as_str().unwrap()
    );
    assert_eq!(
        reply,
        format!("Hello Cora, this helps:\n{url}\n"),
        "{reply}"
    );
}
