//! User input that ends up in a response header (a redirect's `Location`):
//! the bulk form's `back` and the help centre's article slugs. A control
//! character in it is refused with a 4xx before anything changes (or reaches
//! the database, where PostgreSQL refuses NUL), never a 5xx.

use crate::harness::{Backend, TestServer};
use crate::web::{WebAgent, with_case};
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::both_backends!(
    bulk_refuses_a_control_character_in_back_before_changing_anything,
    redirect_parameters_with_control_characters_never_cause_a_5xx,
);

/// Control characters (and DEL) placed inside a value, where trimming
/// cannot remove them.
const CONTROLS: [char; 8] = [
    '\0', '\u{1}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}',
];

/// A case's status and how many events it has.
async fn state(t: &TestServer, case: i64) -> (Value, usize) {
    let status = t.get(&format!("/api/v1/cases/{case}")).await.body["status"].clone();
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await.len();
    (status, events)
}

async fn bulk_refuses_a_control_character_in_back_before_changing_anything(b: Backend) {
    let (t, case) = with_case(b).await;
    let before = state(&t, case).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = web.get("/views/all").await.csrf();
    let case_s = case.to_string();
    let page = web
        .post(
            "/views/bulk",
            &[
                ("csrf", &csrf),
                ("back", "/views/all?sort=-updated_at\u{1}x"),
                ("case", &case_s),
                ("status", "open"),
                ("tag", "bulk"),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    assert!(page.html.contains("return page"), "{}", page.html);
    assert_eq!(state(&t, case).await, before, "no case changed");
    assert_eq!(
        t.get(&format!("/api/v1/cases/{case}")).await.body["tags"],
        json!([])
    );
}

async fn redirect_parameters_with_control_characters_never_cause_a_5xx(b: Backend) {
    let (t, case) = with_case(b).await;
    let before = state(&t, case).await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = web.get("/views/all").await.csrf();
    let case_s = case.to_string();
    // The bulk form's `back`, the one redirect target a form names.
    for c in CONTROLS {
        for back in [format!("/views/all{c}x"), format!("/views/{c}all")] {
            let page = web
                .post(
                    "/views/bulk",
                    &[
                        ("csrf", &csrf),
                        ("back", &back),
                        ("case", &case_s),
                        ("status", "open"),
                    ],
                )
                .await;
            assert!(page.status.is_client_error(), "{back:?}: {}", page.status);
        }
    }
    assert_eq!(state(&t, case).await, before, "no case changed");

    // The help centre's feedback redirects to the article named in its path.
    let article = t
        .post(
            "/api/v1/articles",
            json!({"title": "Clearing a jam", "body": "Pull gently.", "state": "published"}),
        )
        .await;
    assert_eq!(article.status, StatusCode::CREATED, "{}", article.body);
    let slug = article.body["slug"].as_str().unwrap().to_string();
    let mut reader = WebAgent::new(&t);
    let csrf = reader.get(&format!("/help/articles/{slug}")).await.csrf();
    for c in ["%00", "%01", "%0A", "%0D", "%7F", "%C2%85"] {
        for path in [
            format!("/help/articles/{slug}{c}x/feedback"),
            format!("/help/articles/{c}{slug}/feedback"),
        ] {
            let page = reader
                .post(&path, &[("csrf", &csrf), ("helpful", "yes")])
                .await;
            assert!(page.status.is_client_error(), "{path}: {}", page.status);
        }
        // The pages it returns to, and the categories beside them.
        for path in [
            format!("/help/articles/{slug}{c}x"),
            format!("/help/{c}faq"),
        ] {
            let page = reader.get(&path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        }
    }
    for c in CONTROLS {
        let page = reader
            .post(
                &format!("/help/articles/{slug}/feedback"),
                &[("csrf", &csrf), ("helpful", &format!("yes{c}"))],
            )
            .await;
        assert!(page.status.is_client_error(), "{c:?}: {}", page.status);
    }
    let a = t
        .get(&format!("/api/v1/articles/{}", article.id()))
        .await
        .body;
    assert_eq!(a["helpful_yes"], 0, "no vote counted: {a}");
}
