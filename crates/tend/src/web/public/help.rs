//! The public help centre: published public articles by category, search,
//! "Did this help?" feedback, suggestions while typing (JSON for
//! `suggest.js`) and deflections. No sign-in; drafts and internal articles
//! are not found. Forms carry a token that must match the help cookie.

use crate::brand::Brand;
use crate::http::AppState;
use crate::http::client_ip::ClientIp;
use crate::http::state::rate_limit;
use crate::web::shared::csrf::{HELP_COOKIE, HelpPosted, double_submit_token};
use crate::web::shared::error::WebError;
use crate::web::shared::session::{cookie, set_cookie};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tend_domain::kb::{render, snippet};
use tend_store::kb::{Article, Audience, Category, Feedback};

/// Most suggestions sent for one query.
const SUGGESTIONS: i64 = 5;
/// How long the help cookie and the vote cookies last.
const COOKIE_SECS: u64 = 30 * 24 * 3600;

/// The public address of an article.
pub fn article_url(slug: &str) -> String {
    format!("/help/articles/{slug}")
}

/// A slug from the path, if Tend could have made it; anything else (a
/// control character, say) is not found before it reaches the database or
/// a redirect's `Location`.
fn path_slug(raw: String) -> Result<String, WebError> {
    match tend_domain::kb::slug(&raw, "") {
        Ok(slug) if slug == raw => Ok(raw),
        _ => Err(WebError::NotFound),
    }
}

/// An article as a list shows it.
pub struct Listed {
    pub title: String,
    pub url: String,
    pub snippet: String,
}

impl From<&Article> for Listed {
    fn from(a: &Article) -> Self {
        Listed {
            title: a.title.clone(),
            url: article_url(&a.slug),
            snippet: snippet(&a.body, 160),
        }
    }
}

/// The help centre's home, a category, or search results.
#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage<'a> {
    brand: &'a Brand,
    heading: String,
    query: String,
    categories: Vec<Category>,
    articles: Vec<Listed>,
    csrf: String,
}

/// One article with its feedback form.
#[derive(Template)]
#[template(path = "help_article.html")]
struct ArticlePage<'a> {
    brand: &'a Brand,
    /// The search box starts empty.
    query: String,
    title: String,
    html: String,
    slug: String,
    csrf: String,
    voted: bool,
    thanks: bool,
}

/// The browser's help token, or a new one with the cookie that sets it.
fn token(s: &AppState, headers: &HeaderMap) -> Result<(String, Option<HeaderValue>), WebError> {
    double_submit_token(s, headers, HELP_COOKIE, COOKIE_SECS)
}

/// Sends a page, setting the help cookie when it was new.
fn send(status: StatusCode, html: String, set: Option<HeaderValue>) -> Response {
    let mut response = (status, Html(html)).into_response();
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    response
}

async fn list_page(
    s: &AppState,
    headers: &HeaderMap,
    heading: String,
    query: String,
    articles: Vec<Article>,
) -> Result<Response, WebError> {
    let (csrf, set) = token(s, headers)?;
    let page = HelpPage {
        brand: &s.web.brand,
        heading,
        query,
        categories: s.store.kb_categories().await?,
        articles: articles.iter().map(Listed::from).collect(),
        csrf,
    };
    Ok(send(StatusCode::OK, page.render()?, set))
}

/// The home page: every published public article.
pub async fn home(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let articles = s.store.kb_articles(Audience::Public, None).await?;
    list_page(&s, &headers, "Help centre".into(), String::new(), articles).await
}

/// One category's published public articles.
pub async fn category(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let category = s.store.kb_category_by_slug(&path_slug(slug)?).await?;
    let articles = s
        .store
        .kb_articles(Audience::Public, Some(category.id))
        .await?;
    list_page(&s, &headers, category.name, String::new(), articles).await
}

/// A search box's query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Search {
    q: String,
}

/// Published public articles matching the query; none for a query
/// without words.
async fn matches(s: &AppState, q: &str, limit: i64) -> Result<Vec<Article>, WebError> {
    match s.store.search_kb(q, Audience::Public, limit).await {
        Err(tend_store::StoreError::Invalid(_)) => Ok(Vec::new()),
        other => Ok(other?),
    }
}

/// Search results.
pub async fn search(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(search): Query<Search>,
) -> Result<Response, WebError> {
    let articles = matches(&s, &search.q, 50).await?;
    let heading = format!("Results for \u{201c}{}\u{201d}", search.q.trim());
    list_page(&s, &headers, heading, search.q, articles).await
}

/// A suggested article, as `suggest.js` shows it.
#[derive(Serialize)]
pub struct Suggestion {
    id: i64,
    title: String,
    url: String,
    snippet: String,
}

/// The best few published public articles for what someone is typing;
/// each one sent is counted as suggested.
pub async fn suggest(
    State(s): State<AppState>,
    Query(search): Query<Search>,
) -> Result<Json<Vec<Suggestion>>, WebError> {
    let found = matches(&s, &search.q, SUGGESTIONS).await?;
    if !found.is_empty() {
        let ids: Vec<i64> = found.iter().map(|a| a.id).collect();
        s.store.record_kb_suggested(&ids).await?;
    }
    Ok(Json(
        found
            .iter()
            .map(|a| Suggestion {
                id: a.id,
                title: a.title.clone(),
                url: article_url(&a.slug),
                snippet: snippet(&a.body, 160),
            })
            .collect(),
    ))
}

/// The cookie that remembers this browser answered about article `id`.
fn voted_cookie(id: i64) -> String {
    format!("tend_kb_voted_{id}")
}

/// The article page's `?thanks` after a vote.
#[derive(Debug, Default, Deserialize)]
pub struct Thanks {
    thanks: Option<String>,
}

/// A published public article.
pub async fn article(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(thanks): Query<Thanks>,
) -> Result<Response, WebError> {
    let slug = path_slug(slug)?;
    let article = s.store.kb_article_by_slug(&slug, Audience::Public).await?;
    let (csrf, set) = token(&s, &headers)?;
    let page = ArticlePage {
        brand: &s.web.brand,
        html: render(&article.body),
        voted: cookie(&headers, &voted_cookie(article.id)).is_some(),
        thanks: thanks.thanks.is_some(),
        query: String::new(),
        title: article.title,
        slug: article.slug,
        csrf,
    };
    Ok(send(StatusCode::OK, page.render()?, set))
}

/// The feedback form.
#[derive(Debug, Deserialize)]
pub struct Vote {
    helpful: String,
}

/// Counts "Did this help?" once per browser.
pub async fn feedback(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    posted: HelpPosted<Vote>,
) -> Result<Response, WebError> {
    let answer = match posted.form.helpful.as_str() {
        "yes" => Feedback::Helpful,
        "no" => Feedback::NotHelpful,
        _ => return Err(WebError::Invalid("helpful: answer yes or no".into())),
    };
    let slug = path_slug(slug)?;
    let article = s.store.kb_article_by_slug(&slug, Audience::Public).await?;
    let name = voted_cookie(article.id);
    let mut response = Redirect::to(&format!("{}?thanks", article_url(&slug))).into_response();
    if cookie(&headers, &name).is_none() {
        s.store.record_kb_feedback(article.id, answer).await?;
        let set = set_cookie(&s, &name, "1", COOKIE_SECS)?;
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    Ok(response)
}

/// A deflection as `suggest.js` reports it (the query it also sends is
/// not kept).
#[derive(Debug, Deserialize)]
pub struct Deflection {
    article_id: i64,
}

/// Records that a suggested article was opened and the form left unsent.
pub async fn deflection(
    State(s): State<AppState>,
    ClientIp(client): ClientIp,
    posted: HelpPosted<Deflection>,
) -> Result<Response, WebError> {
    if !rate_limit::admit_deflection(&s.store, &client.to_string()).await? {
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            "too many deflections; try later",
        )
            .into_response());
    }
    s.store.record_kb_deflection(posted.form.article_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
