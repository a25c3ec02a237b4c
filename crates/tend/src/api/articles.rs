//! Knowledge-base articles. Every agent role reads (internal articles and
//! drafts included); changes need [`Action::Work`].

use super::extract::{Id, Json, Params, Principal};
use super::nullable;
use crate::http::AppState;
use crate::http::error::ApiResult;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tend_domain::Invalid;
use tend_domain::agent::Action;
use tend_domain::kb::{self, ArticleState, Visibility};
use tend_store::kb::{Article, ArticleFields, Audience};
use utoipa::{IntoParams, ToSchema};

/// An article, new or changed; on change, absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleBody {
    /// Required when creating.
    title: Option<String>,
    /// Lower-case letters, digits and hyphens; made from the title when
    /// absent on creation.
    slug: Option<String>,
    /// Markdown; required when creating.
    body: Option<String>,
    /// A category id, or null for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    category_id: Option<Option<i64>>,
    /// Defaults to `public` on creation.
    visibility: Option<Visibility>,
    /// Defaults to `draft` on creation.
    state: Option<ArticleState>,
}

impl ArticleBody {
    /// The article's fields: these over `current` (or over nothing).
    fn fields(&self, current: Option<&Article>) -> Result<ArticleFields, Invalid> {
        let missing = |field: &str| Invalid::new(field, "is required");
        let title = match (&self.title, current) {
            (Some(t), _) => kb::title(t)?,
            (None, Some(a)) => a.title.clone(),
            (None, None) => return Err(missing("title")),
        };
        let slug = match (&self.slug, current) {
            (Some(s), _) => kb::slug(s, &title)?,
            (None, Some(a)) => a.slug.clone(),
            (None, None) => kb::slug("", &title)?,
        };
        let body = match (&self.body, current) {
            (Some(b), _) => kb::body(b)?,
            (None, Some(a)) => a.body.clone(),
            (None, None) => return Err(missing("body")),
        };
        Ok(ArticleFields {
            category_id: self
                .category_id
                .unwrap_or_else(|| current.and_then(|a| a.category_id)),
            visibility: self
                .visibility
                .or(current.map(|a| a.visibility))
                .unwrap_or(Visibility::Public),
            state: self
                .state
                .or(current.map(|a| a.state))
                .unwrap_or(ArticleState::Draft),
            title,
            slug,
            body,
        })
    }
}

/// The article list's search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Words to look for in the title or body: articles with any of them,
    /// those with the most first, then by relevance. Common words ("the",
    /// "my") and words under three letters are ignored; at most 8 words
    /// from the first 200 characters are used.
    q: Option<String>,
}

/// Every article (newest change first), or the best matches for `q`.
#[utoipa::path(get, path = "/articles", tag = "knowledge_base", params(ArticleQuery),
    responses((status = 200, description = "Articles", body = Vec<Article>)))]
pub async fn list(
    State(s): State<AppState>,
    me: Principal,
    Params(query): Params<ArticleQuery>,
) -> ApiResult<axum::Json<Vec<Article>>> {
    me.require(Action::Read)?;
    let articles = match query.q.as_deref() {
        Some(q) => s.store.search_kb(q, Audience::Agents, 100).await?,
        None => s.store.kb_articles(Audience::Agents, None).await?,
    };
    Ok(axum::Json(articles))
}

/// Creates an article.
#[utoipa::path(post, path = "/articles", tag = "knowledge_base", request_body = ArticleBody,
    responses((status = 201, description = "The new article", body = Article)))]
pub async fn create(
    State(s): State<AppState>,
    me: Principal,
    body: Json<ArticleBody>,
) -> ApiResult<Response> {
    me.require(Action::Work)?;
    let article = s.store.create_kb_article(&body.value.fields(None)?).await?;
    Ok(super::created(
        format!("/api/v1/articles/{}", article.id),
        false,
        article,
    ))
}

/// One article.
#[utoipa::path(get, path = "/articles/{id}", tag = "knowledge_base", params(("id" = i64, Path)),
    responses((status = 200, description = "The article", body = Article)))]
pub async fn get(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
) -> ApiResult<axum::Json<Article>> {
    me.require(Action::Read)?;
    Ok(axum::Json(s.store.kb_article(id).await?))
}

/// Changes an article.
#[utoipa::path(patch, path = "/articles/{id}", tag = "knowledge_base", params(("id" = i64, Path)), request_body = ArticleBody,
    responses((status = 200, description = "The changed article", body = Article)))]
pub async fn update(
    State(s): State<AppState>,
    me: Principal,
    Id(id): Id,
    body: Json<ArticleBody>,
) -> ApiResult<axum::Json<Article>> {
    me.require(Action::Work)?;
    let current = s.store.kb_article(id).await?;
    let fields = body.value.fields(Some(&current))?;
    Ok(axum::Json(s.store.update_kb_article(id, &fields).await?))
}
