//! The customer and organisation pages, their lists and search, editing a
//! customer's contact points, and merging duplicate customers: over HTTP
//! on both backends, and in Chromium.

use crate::browser::Browser;
use crate::harness::{Backend, TestServer};
use crate::web::{PASSWORD, WebAgent};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tend_domain::agent::Role;

crate::both_backends!(
    customer_page_shows_their_cases_and_their_organisations_apart,
    customer_notes_are_escaped_newest_first_and_for_workers_only,
    customers_and_organisations_are_listed_and_searched,
    contact_points_are_added_and_removed_with_clear_refusals,
    merging_customers_moves_everything_and_records_it,
    merging_customers_refuses_what_makes_no_sense,
    agreements_are_added_and_changed_on_the_customer_page,
);

/// A server with agent `ann@example.com` (password [`PASSWORD`]).
async fn server(b: Backend) -> TestServer {
    let t = TestServer::start(b).await;
    t.agent_with_password("ann@example.com", "Ann Agent", Role::Agent, PASSWORD)
        .await;
    t
}

async fn organization(t: &TestServer, name: &str) -> i64 {
    t.post("/api/v1/organizations", json!({"name": name}))
        .await
        .id()
}

async fn member(t: &TestServer, name: &str, email: &str, org: i64) -> i64 {
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": name, "email": email, "organization_id": org}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.id()
}

async fn customer_of(t: &TestServer, case: i64) -> i64 {
    t.get(&format!("/api/v1/cases/{case}")).await.body["customer_id"]
        .as_i64()
        .unwrap()
}

async fn customer_page_shows_their_cases_and_their_organisations_apart(b: Backend) {
    let t = server(b).await;
    let acme = organization(&t, "Acme & Sons").await;
    let dora = member(&t, "Dora Diaz", "dora@acme.example", acme).await;
    let eli = member(&t, "Eli Evans", "eli@acme.example", acme).await;
    let stranger = t.customer("Sam Stranger", "sam@elsewhere.example").await;
    for i in 1..=27 {
        t.case(dora, &format!("Dora issue {i:02}"), "help").await;
    }
    let eli_case = t.case(eli, "Eli printer", "it jams").await;
    t.case(stranger, "Stranger thing", "hello").await;

    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/customers/{dora}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let html = &page.html;
    assert!(
        html.contains("<h1 id=\"customer-name\">Dora Diaz</h1>"),
        "{html}"
    );
    assert!(html.contains("dora@acme.example"));
    assert!(
        html.contains(&format!(
            "<a href=\"/organizations/{acme}\">Acme &#38; Sons</a>"
        )),
        "{html}"
    );
    // Her own cases, newest activity first, 25 a page; the organisation's
    // other cases apart, each naming its customer; no stranger's case.
    assert!(html.contains("1–25 of 27"), "{html}");
    assert!(html.contains("Dora issue 27") && !html.contains("Dora issue 02"));
    let own = &html[..html
        .find("id=\"organization-cases\"")
        .expect("organisation section")];
    assert!(!own.contains("Eli printer"));
    let theirs = &html[html.find("id=\"organization-cases\"").unwrap()..];
    assert!(
        theirs.contains("Other cases of Acme &#38; Sons"),
        "{theirs}"
    );
    assert!(theirs.contains(&format!("<a href=\"/cases/{eli_case}\">Eli printer</a>")));
    assert!(theirs.contains(&format!("<a href=\"/customers/{eli}\">Eli Evans</a>")));
    assert!(!html.contains("Stranger thing"));
    let next = html
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("cursor=") && h.ends_with("#cases"))
        .expect("a next page")
        .replace("&#38;", "&");
    let second = web.get(&next).await;
    assert!(second.html.contains("26–27 of 27"), "{}", second.html);
    assert!(second.html.contains("Dora issue 01") && second.html.contains("Dora issue 02"));
    assert!(!second.html.contains("Dora issue 27"));
    for bad in [
        "at=0",
        "at=x",
        "cursor=%25%25",
        "org_cursor=bm90LWEtY3Vyc29y",
        "org_at=-3",
    ] {
        let r = web.get(&format!("/customers/{dora}?{bad}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // The case sidebar links the customer and organisation, and counts the
    // organisation's other cases instead of "their only case".
    let case_page = web.get(&format!("/cases/{eli_case}")).await.html;
    assert!(case_page.contains(&format!("<a href=\"/customers/{eli}\">Eli Evans</a>")));
    assert!(case_page.contains(&format!(
        "<a href=\"/organizations/{acme}\">Acme &#38; Sons</a>"
    )));
    assert!(
        case_page.contains("27 other cases of Acme &#38; Sons"),
        "{case_page}"
    );
    assert!(!case_page.contains("This is their only case."));
    // The list's customer column links there too.
    let list = web.get("/views/all").await.html;
    assert!(list.contains(&format!(
        "<a href=\"/customers/{dora}\" class=\"customer-link\">Dora Diaz</a>"
    )));
    assert!(list.contains(&format!(
        "<a href=\"/organizations/{acme}\">Acme &#38; Sons</a>"
    )));

    // The organisation: members linked, every member's cases.
    let org = web.get(&format!("/organizations/{acme}")).await;
    assert_eq!(org.status, StatusCode::OK);
    assert!(
        org.html
            .contains(&format!("<a href=\"/customers/{dora}\">Dora Diaz</a>"))
    );
    assert!(
        org.html
            .contains(&format!("<a href=\"/customers/{eli}\">Eli Evans</a>"))
    );
    assert!(org.html.contains("1–25 of 28"), "{}", org.html);
    assert!(!org.html.contains("Stranger thing"));
    let next = org
        .html
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("cursor="))
        .expect("a next page of the organisation's cases")
        .replace("&#38;", "&");
    let second = web.get(&next).await.html;
    assert!(second.contains("26–28 of 28"), "{second}");
    assert!(second.contains("Dora issue 01") && second.contains("Dora issue 02"));
    assert!(!second.contains("Eli printer") && !second.contains("Dora issue 27"));

    assert_eq!(
        web.get("/customers/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        web.get("/organizations/999999").await.status,
        StatusCode::NOT_FOUND
    );
    // Signed out, nothing shows.
    let mut anonymous = WebAgent::new(&t);
    let r = anonymous.get(&format!("/customers/{dora}")).await;
    assert!(!r.html.contains("Dora Diaz"));
}

async fn customer_notes_are_escaped_newest_first_and_for_workers_only(b: Backend) {
    let t = server(b).await;
    t.agent_with_password("lia@example.com", "Lia Light", Role::LightAgent, PASSWORD)
        .await;
    let cora = t.customer("Cora <b>Customer</b>", "cora@example.org").await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/customers/{cora}")).await;
    assert!(
        page.html.contains("Cora &#60;b&#62;Customer&#60;/b&#62;"),
        "{}",
        page.html
    );
    let csrf = page.csrf();
    let path = format!("/customers/{cora}/notes");
    for body in ["Prefers phone calls.", "<script>alert(1)</script> VIP"] {
        let r = web.post(&path, &[("csrf", &csrf), ("body", body)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    }
    let html = web.get(&format!("/customers/{cora}")).await.html;
    let newest = html
        .find("&#60;script&#62;alert(1)&#60;/script&#62; VIP")
        .expect("escaped note");
    let older = html.find("Prefers phone calls.").expect("older note");
    assert!(newest < older, "newest first");
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("Ann Agent"));
    // Blank, too long, without a token, or by a light agent: refused.
    let blank = web.post(&path, &[("csrf", &csrf), ("body", "   ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    let long = "x".repeat(5_001);
    let too_long = web.post(&path, &[("csrf", &csrf), ("body", &long)]).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let forged = web.post(&path, &[("csrf", "nope"), ("body", "hi")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut light = WebAgent::signed_in(&t, "lia@example.com").await;
    let light_page = light.get(&format!("/customers/{cora}")).await;
    assert_eq!(light_page.status, StatusCode::OK);
    assert!(
        !light_page.html.contains("action=\"/customers/"),
        "no forms for light agents"
    );
    let light_csrf = light_page.csrf();
    let r = light
        .post(&path, &[("csrf", &light_csrf), ("body", "hi")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let html = web.get(&format!("/customers/{cora}")).await.html;
    assert_eq!(html.matches("<li><p class=\"note-body\">").count(), 2);
    let missing = web
        .post(
            "/customers/999999/notes",
            &[("csrf", &csrf), ("body", "hi")],
        )
        .await;
    assert!(missing.status.is_client_error(), "{}", missing.status);
}

async fn customers_and_organisations_are_listed_and_searched(b: Backend) {
    let t = server(b).await;
    let acme = organization(&t, "Acme Widgets").await;
    organization(&t, "Globex").await;
    let dora = member(&t, "Dora Diaz", "dora@acme.example", acme).await;
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "Phil Phone", "email": "phil@example.com", "phone": "+44 20 7946 0123"}),
        )
        .await;
    let phil = r.id();
    let gus = t.customer("Gus Gold", "gus@example.com").await;
    t.post(
        "/api/v1/agreements",
        json!({"name": "Gold care", "reference": "GC-7781", "customer_id": gus}),
    )
    .await;
    t.post(
        "/api/v1/agreements",
        json!({"name": "Fleet", "reference": "FL-5522", "organization_id": acme}),
    )
    .await;
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let everyone = web.get("/customers").await;
    assert_eq!(everyone.status, StatusCode::OK);
    for name in ["Dora Diaz", "Phil Phone", "Gus Gold"] {
        assert!(everyone.html.contains(name));
    }
    assert!(everyone.html.contains(&format!(
        "<a href=\"/organizations/{acme}\">Acme Widgets</a>"
    )));
    let found = |html: &str, id: i64| html.contains(&format!("href=\"/customers/{id}\""));
    let by_name = web.get("/customers?q=diaz").await.html;
    assert!(found(&by_name, dora) && !found(&by_name, phil) && !found(&by_name, gus));
    let by_email = web.get("/customers?q=phil%40example").await.html;
    assert!(found(&by_email, phil) && !found(&by_email, dora));
    let by_phone = web.get("/customers?q=79460123").await.html;
    assert!(found(&by_phone, phil) && !found(&by_phone, gus));
    let by_reference = web.get("/customers?q=gc-7781").await.html;
    assert!(found(&by_reference, gus) && !found(&by_reference, phil));
    let by_org_reference = web.get("/customers?q=FL-5522").await.html;
    assert!(found(&by_org_reference, dora) && !found(&by_org_reference, gus));
    let nobody = web.get("/customers?q=%3Cnobody%3E").await.html;
    assert!(
        nobody.contains("No customer matches “&#60;nobody&#62;”"),
        "{nobody}"
    );
    let too_long = web.get(&format!("/customers?q={}", "a".repeat(201))).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let api = t.all("/api/v1/customers?q=gc-7781").await;
    assert_eq!(api.len(), 1);
    assert_eq!(api[0]["id"], gus);

    let orgs = web.get("/organizations?q=acm").await.html;
    assert!(orgs.contains(&format!(
        "<a href=\"/organizations/{acme}\">Acme Widgets</a>"
    )));
    assert!(!orgs.contains("Globex"));
    let api = t.all("/api/v1/organizations?q=GLOB").await;
    assert_eq!(api.len(), 1);
    assert_eq!(api[0]["name"], "Globex");

    // Paged by 25 with "26–30".
    for i in 0..27 {
        t.customer(&format!("Many {i}"), &format!("many{i}@example.com"))
            .await;
    }
    let first = web.get("/customers").await.html;
    assert!(first.contains("1–25"), "{first}");
    let next = first
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("cursor="))
        .expect("a next page")
        .replace("&#38;", "&");
    let second = web.get(&next).await.html;
    assert!(second.contains("26–30"), "{second}");
    let nav = web.get("/customers").await.html;
    assert!(nav.contains("<a href=\"/customers\" aria-current=\"page\">Customers</a>"));
    assert!(nav.contains("<a href=\"/organizations\">Organisations</a>"));
}

async fn contact_points_are_added_and_removed_with_clear_refusals(b: Backend) {
    let t = server(b).await;
    let acme = organization(&t, "Acme").await;
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "Ann Lee", "email": "ann.lee@example.com", "phone": "+44 20 7946 0958"}),
        )
        .await;
    let ann = r.id();
    let other = t.customer("Other One", "other@example.com").await;
    let path = format!("/api/v1/customers/{ann}");

    let r = t
        .patch(
            &path,
            json!({"remove_phones": ["+44 20 7946 0958"], "add_emails": ["ann@home.example"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["contact_points"],
        json!([{"kind": "email", "value": "ann.lee@example.com"}, {"kind": "email", "value": "ann@home.example"}])
    );
    let r = t
        .patch(&path, json!({"remove_emails": ["nobody@example.com"]}))
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "remove_contact_points"
    );
    let r = t
        .patch(
            &path,
            json!({"remove_emails": ["ann.lee@example.com", "ann@home.example"]}),
        )
        .await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "remove_contact_points"
    );
    let r = t
        .patch(
            &path,
            json!({"name": "Changed", "add_emails": ["other@example.com"]}),
        )
        .await;
    r.error(StatusCode::CONFLICT, "conflict");
    assert_eq!(r.body["error"]["details"]["existing_id"], other);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("merge")
    );
    let r = t
        .patch(&path, json!({"remove_emails": ["not an email"]}))
        .await;
    r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let many: Vec<String> = (0..51).map(|i| format!("a{i}@example.com")).collect();
    let r = t.patch(&path, json!({"add_emails": many})).await;
    r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let now = t.get(&path).await.body;
    assert_eq!(now["name"], "Ann Lee", "refused changes change nothing");
    assert_eq!(now["contact_points"].as_array().unwrap().len(), 2);

    // The web form: name, organisation, add and remove.
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let page = web.get(&format!("/customers/{ann}")).await;
    let csrf = page.csrf();
    let edit = format!("/customers/{ann}/edit");
    let acme_id = acme.to_string();
    let r = web
        .post(
            &edit,
            &[
                ("csrf", &csrf),
                ("name", "Ann Lee-Smith"),
                ("organization", &acme_id),
                ("remove", "email:ann@home.example"),
                ("add_phone", "020 7946 0000"),
                ("add_email", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let now = t.get(&path).await.body;
    assert_eq!(now["name"], "Ann Lee-Smith");
    assert_eq!(now["organization_id"], acme);
    assert_eq!(
        now["contact_points"],
        json!([{"kind": "email", "value": "ann.lee@example.com"}, {"kind": "phone", "value": "02079460000"}])
    );
    // Another customer's address: the page says whose, and offers a merge.
    let r = web
        .post(
            &edit,
            &[
                ("csrf", &csrf),
                ("name", "Ann"),
                ("organization", ""),
                ("add_email", "other@example.com"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    assert!(r.html.contains("already belongs to customer"), "{}", r.html);
    assert!(
        r.html
            .contains(&format!("/customers/{ann}/merge?into={other}"))
    );
    assert!(
        r.html.contains("value=\"other@example.com\""),
        "what was typed stays"
    );
    // Removing everything, a bad address, an unknown organisation: refused.
    let r = web
        .post(
            &edit,
            &[
                ("csrf", &csrf),
                ("name", "Ann"),
                ("remove", "email:ann.lee@example.com"),
                ("remove", "phone:02079460000"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.html.contains("at least one"), "{}", r.html);
    let r = web
        .post(
            &edit,
            &[
                ("csrf", &csrf),
                ("name", "Ann"),
                ("add_email", "not-an-address"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = web
        .post(
            &edit,
            &[("csrf", &csrf), ("name", "Ann"), ("organization", "987654")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = web
        .post(
            &edit,
            &[("csrf", &csrf), ("name", "  "), ("organization", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let now = t.get(&path).await.body;
    assert_eq!(now["name"], "Ann Lee-Smith", "refused forms change nothing");
    assert_eq!(now["contact_points"].as_array().unwrap().len(), 2);
}

async fn merging_customers_moves_everything_and_records_it(b: Backend) {
    let t = server(b).await;
    let acme = organization(&t, "Acme").await;
    let ann = t.customer("Ann Lee", "ann.lee@example.com").await;
    let r = t
        .post(
            "/api/v1/customers",
            json!({"name": "A. Lee", "email": "a.lee@work.example", "phone": "+44 20 7946 0958", "organization_id": acme}),
        )
        .await;
    let dup = r.id();
    let kept = t.case(ann, "Kept case", "mine").await;
    let moved1 = t.case(dup, "Duplicate's first", "hello").await;
    let moved2 = t.case(dup, "Duplicate's second", "again").await;
    let verified = t
        .post(
            &format!("/api/v1/cases/{moved1}/events"),
            json!({"type": "identity_verified", "level": "agent_verified", "method": "passport"}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::CREATED, "{}", verified.body);
    let agreement = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Gold", "reference": "G-1", "customer_id": dup}),
        )
        .await
        .id();
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = web.get(&format!("/customers/{dup}")).await.csrf();
    web.post(
        &format!("/customers/{dup}/notes"),
        &[("csrf", &csrf), ("body", "Note on the duplicate")],
    )
    .await;

    // The web confirmation names both and what moves; the button merges.
    let confirm = web
        .get(&format!(
            "/customers/{dup}/merge?into=ANN.LEE%40example.com"
        ))
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.html);
    assert!(
        confirm.html.contains("Merge A. Lee into Ann Lee?"),
        "{}",
        confirm.html
    );
    assert!(confirm.html.contains("2 cases"));
    assert!(confirm.html.contains("class=\"danger\""));
    let r = web
        .post(
            &format!("/customers/{dup}/merge"),
            &[("csrf", &csrf), ("into", &ann.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    assert_eq!(r.location(), format!("/customers/{ann}"));

    for case in [moved1, moved2] {
        assert_eq!(customer_of(&t, case).await, ann);
        let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
        let merged: Vec<&Value> = events
            .iter()
            .filter(|e| e["data"]["type"] == "customer_merged")
            .collect();
        assert_eq!(merged.len(), 1, "{events:?}");
        assert_eq!(merged[0]["data"]["from"], dup);
        assert_eq!(merged[0]["data"]["into"], ann);
        assert_eq!(merged[0]["actor"]["kind"], "agent");
    }
    assert_eq!(customer_of(&t, kept).await, ann);
    let survivor = t.get(&format!("/api/v1/customers/{ann}")).await.body;
    let values: Vec<&str> = survivor["contact_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        values,
        ["ann.lee@example.com", "a.lee@work.example", "+442079460958"]
    );
    assert_eq!(survivor["verification_level"], "agent_verified");
    assert_eq!(
        survivor["organization_id"], acme,
        "the survivor had none; it takes the duplicate's"
    );
    assert_eq!(survivor["merged_into_id"], Value::Null);
    let tombstone = t.get(&format!("/api/v1/customers/{dup}")).await;
    assert_eq!(tombstone.status, StatusCode::OK);
    assert_eq!(tombstone.body["merged_into_id"], ann);
    assert_eq!(tombstone.body["contact_points"], json!([]));
    let listed = t.all("/api/v1/customers").await;
    assert!(
        listed.iter().all(|c| c["id"] != dup),
        "tombstones are not listed"
    );
    let by_email = t.all("/api/v1/customers?email=a.lee@work.example").await;
    assert_eq!(by_email.len(), 1);
    assert_eq!(by_email[0]["id"], ann);
    assert_eq!(
        t.get(&format!("/api/v1/agreements/{agreement}")).await.body["customer_id"],
        ann
    );
    let mail_case = t
        .post(
            "/api/v1/cases",
            json!({"subject": "New", "customer_id": dup, "message": "m"}),
        )
        .await;
    assert_eq!(
        mail_case.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "customer_id"
    );
    let r = t
        .patch(&format!("/api/v1/customers/{dup}"), json!({"name": "X"}))
        .await;
    r.error(StatusCode::CONFLICT, "conflict");

    // The old page leads to the survivor, whose page has everything.
    let old = web.get(&format!("/customers/{dup}")).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER);
    assert_eq!(old.location(), format!("/customers/{ann}"));
    let page = web.get(&format!("/customers/{ann}")).await.html;
    for text in [
        "Duplicate's first",
        "Duplicate's second",
        "Kept case",
        "Note on the duplicate",
        "Gold",
        "passport",
    ] {
        assert!(
            page.contains(&text.replace('\'', "&#39;")),
            "{text} in {page}"
        );
    }
    // Each moved case's timeline says who it was merged from and into.
    let case_page = web.get(&format!("/cases/{moved1}")).await.html;
    assert!(
        case_page.contains(&format!(
            "Ann Agent merged the duplicate customer “A. Lee” (customer {dup}) into “Ann Lee” (customer {ann})"
        )),
        "{case_page}"
    );
}

async fn merging_customers_refuses_what_makes_no_sense(b: Backend) {
    let t = server(b).await;
    let ann = t.customer("Ann", "ann1@example.com").await;
    let bea = t.customer("Bea", "bea@example.com").await;
    let cal = t.customer("Cal", "cal@example.com").await;
    let case = t.case(bea, "Bea's case", "hi").await;
    let light = t.agent_token("light@example.com", Role::LightAgent).await;
    let merge = |from: i64| format!("/api/v1/customers/{from}/merge");

    let r = t.post(&merge(ann), json!({"into": ann})).await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "into"
    );
    let r = t.post(&merge(ann), json!({"into": 999_999})).await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "into"
    );
    t.post(&merge(999_999), json!({"into": ann}))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    t.post(&merge(ann), json!({"into": "two"}))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.post(&merge(ann), json!({"into": bea, "extra": 1}))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.send(
        reqwest::Method::POST,
        &merge(bea),
        Some(&light),
        Some(json!({"into": ann})),
    )
    .await
    .error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(customer_of(&t, case).await, bea, "refusals change nothing");

    let r = t.post(&merge(bea), json!({"into": ann})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["survivor"]["id"], ann);
    assert_eq!(r.body["merged_id"], bea);
    assert_eq!(r.body["moved_case_ids"], json!([case]));
    // Merged once: not again, and nothing merges into a tombstone.
    t.post(&merge(bea), json!({"into": cal}))
        .await
        .error(StatusCode::CONFLICT, "conflict");
    let r = t.post(&merge(cal), json!({"into": bea})).await;
    assert_eq!(
        r.error(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "into"
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("merge into {ann}"))
    );
    // A survivor merged on later takes its tombstones along: no chains.
    let r = t.post(&merge(ann), json!({"into": cal})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        t.get(&format!("/api/v1/customers/{bea}")).await.body["merged_into_id"],
        cal
    );
    assert_eq!(customer_of(&t, case).await, cal);
    let events = t.all(&format!("/api/v1/cases/{case}/events")).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e["data"]["type"] == "customer_merged")
            .count(),
        2
    );

    // The web confirmation refuses the same, with a page that says why.
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let dan = t.customer("Dan", "dan@example.com").await;
    for into in [
        dan.to_string(),
        bea.to_string(),
        "nobody@example.com".into(),
        "not a thing".into(),
    ] {
        let r = web
            .get(&format!(
                "/customers/{dan}/merge?into={}",
                into.replace(' ', "+")
            ))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{into}: {}",
            r.html
        );
    }
    let csrf = web.get(&format!("/customers/{dan}")).await.csrf();
    let r = web
        .post(
            &format!("/customers/{dan}/merge"),
            &[("csrf", &csrf), ("into", &dan.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = web
        .post(
            &format!("/customers/{dan}/merge"),
            &[("csrf", "forged"), ("into", &cal.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.get(&format!("/api/v1/customers/{dan}")).await.body["merged_into_id"],
        Value::Null
    );
}

async fn agreements_are_added_and_changed_on_the_customer_page(b: Backend) {
    let t = server(b).await;
    let acme = organization(&t, "Acme").await;
    let dora = member(&t, "Dora Diaz", "dora@acme.example", acme).await;
    let other = t.customer("Other", "other@example.com").await;
    let theirs = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Fleet", "organization_id": acme}),
        )
        .await
        .id();
    let foreign = t
        .post(
            "/api/v1/agreements",
            json!({"name": "Foreign", "customer_id": other}),
        )
        .await
        .id();
    let mut web = WebAgent::signed_in(&t, "ann@example.com").await;
    let csrf = web.get(&format!("/customers/{dora}")).await.csrf();
    let add = format!("/customers/{dora}/agreements");
    let r = web
        .post(
            &add,
            &[
                ("csrf", &csrf),
                ("name", "Boiler <care>"),
                ("reference", "BC-1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let held = t
        .all(&format!("/api/v1/agreements?customer_id={dora}"))
        .await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["name"], "Boiler <care>");
    assert_eq!(held[0]["reference"], "BC-1");
    assert_eq!(held[0]["status"], "active");
    let mine = held[0]["id"].as_i64().unwrap();
    let page = web.get(&format!("/customers/{dora}")).await.html;
    assert!(page.contains("Boiler &#60;care&#62;") && page.contains("Fleet"));
    assert!(page.contains(&format!("action=\"/customers/{dora}/agreements/{mine}\"")));
    assert!(
        !page.contains(&format!("/agreements/{theirs}\"")),
        "the organisation's agreement is shown, not changed here"
    );
    let r = web
        .post(
            &format!("{add}/{mine}"),
            &[("csrf", &csrf), ("status", "suspended")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    assert_eq!(
        t.get(&format!("/api/v1/agreements/{mine}")).await.body["status"],
        "suspended"
    );
    // Refused: a blank name, an unknown status, someone else's agreement.
    let r = web.post(&add, &[("csrf", &csrf), ("name", " ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = web
        .post(
            &format!("{add}/{mine}"),
            &[("csrf", &csrf), ("status", "gone")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in [foreign, theirs, 999_999] {
        let r = web
            .post(
                &format!("{add}/{id}"),
                &[("csrf", &csrf), ("status", "ended")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "agreement {id}");
    }
    assert_eq!(
        t.get(&format!("/api/v1/agreements/{foreign}")).await.body["status"],
        "active"
    );
    assert_eq!(
        t.all(&format!("/api/v1/agreements?customer_id={dora}"))
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_page_shows_organisation_cases_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = server(Backend::Sqlite).await;
    let acme = organization(&t, "Acme").await;
    let dora = member(&t, "Dora Diaz", "dora@acme.example", acme).await;
    let eli = member(&t, "Eli Evans", "eli@acme.example", acme).await;
    t.case(dora, "Dora invoice", "wrong total").await;
    let eli_case = t.case(eli, "Eli printer", "it jams").await;
    browser.sign_in(&t, "ann@example.com").await;
    let c = &browser.client;
    c.goto(&format!("{}/cases/{eli_case}", t.base))
        .await
        .unwrap();
    // From the case, the customer's name opens their page.
    browser.click("#customer-title a").await;
    browser.wait_for("#customer-name").await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/customers/{eli}")
    );
    browser.wait_for_text("case-section", "Dora invoice").await;
    let org_section = browser
        .wait_for("#organization-cases")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        org_section.contains("Dora invoice") && org_section.contains("Dora Diaz"),
        "{org_section}"
    );
    let own = browser.wait_for("#cases").await.text().await.unwrap();
    assert!(
        own.contains("Eli printer") && !own.contains("Dora invoice"),
        "{own}"
    );
    browser.screenshot("customer-page.png").await;
    // A colleague's name leads to their page, the organisation to its own.
    browser
        .click("#organization-cases a[href^='/customers/']")
        .await;
    browser.wait_for_text("case-section", "Dora invoice").await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/customers/{dora}")
    );
    browser
        .click(".customer-facts a[href^='/organizations/']")
        .await;
    browser.wait_for("#members-title").await;
    let members = browser.wait_for(".members").await.text().await.unwrap();
    assert!(members.contains("Dora Diaz") && members.contains("Eli Evans"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_merge_through_the_ui_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let t = server(Backend::Sqlite).await;
    let ann = t.customer("Ann Lee", "ann.lee@example.com").await;
    let dup = t.customer("A. Lee", "a.lee@work.example").await;
    let case = t.case(dup, "Boiler broken", "no heat").await;
    browser.sign_in(&t, "ann@example.com").await;
    let c = &browser.client;
    c.goto(&format!("{}/customers/{dup}", t.base))
        .await
        .unwrap();
    browser
        .type_into("#merge-into", "ann.lee@example.com")
        .await;
    browser.click(".merge-form button[type=submit]").await;
    browser.wait_for("button.danger").await;
    let heading = browser.wait_for("h1").await.text().await.unwrap();
    assert_eq!(heading, "Merge A. Lee into Ann Lee?");
    browser.screenshot("customer-merge.png").await;
    browser.click("button.danger").await;
    browser.wait_for_text("case-section", "Boiler broken").await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/customers/{ann}")
    );
    let facts = browser
        .wait_for(".customer-facts")
        .await
        .text()
        .await
        .unwrap();
    assert!(facts.contains("a.lee@work.example"), "{facts}");
    assert_eq!(customer_of(&t, case).await, ann);
    // The duplicate's old address leads to the survivor.
    c.goto(&format!("{}/customers/{dup}", t.base))
        .await
        .unwrap();
    browser.wait_for("#customer-name").await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/customers/{ann}")
    );
}

/// What the accessibility audit opens beside `case`: its customer (put in
/// an organisation, with a note and a colleague's case) and a duplicate.
pub struct PageFixtures {
    pub customer: i64,
    pub duplicate: i64,
    pub organization: i64,
}

/// Makes [`PageFixtures`] for the case of [`crate::web::with_case`].
pub async fn page_fixtures(t: &TestServer, case: i64) -> PageFixtures {
    let customer = customer_of(t, case).await;
    let org = organization(t, "Acme").await;
    let r = t
        .patch(
            &format!("/api/v1/customers/{customer}"),
            json!({"organization_id": org}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let colleague = member(t, "Eli Evans", "eli@acme.example", org).await;
    t.case(colleague, "Eli printer", "it jams").await;
    let duplicate = t.customer("Cora again", "cora.again@example.org").await;
    PageFixtures {
        customer,
        duplicate,
        organization: org,
    }
}
