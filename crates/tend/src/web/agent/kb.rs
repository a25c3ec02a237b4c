//! The knowledge base for agents: every article with its counters, search,
//! writing and editing articles, publishing and unpublishing them, and
//! categories. Agents who may work write; light agents read.

use super::admin::{respond, settle};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::web::public::help::article_url;
use crate::web::shared::csrf::Posted;
use crate::web::shared::error::WebError;
use crate::web::shared::layout::{Choice, Layout};
use crate::web::shared::session::Session;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tend_domain::agent::Action;
use tend_domain::kb::{self, ArticleState, Visibility};
use tend_store::kb::{Article, ArticleFields, Audience, Category};

/// Where these pages live.
const HOME: &str = "/kb";

/// An article's form, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ArticleForm {
    title: String,
    slug: String,
    body: String,
    category: String,
    visibility: String,
    state: String,
}

impl ArticleForm {
    /// The checked fields.
    pub fn checked(&self) -> Result<ArticleFields, tend_domain::Invalid> {
        let title = kb::title(&self.title)?;
        let category_id = match self.category.trim() {
            "" => None,
            raw => Some(raw.parse().map_err(|_| {
                tend_domain::Invalid::new("category", "choose a category from the list")
            })?),
        };
        Ok(ArticleFields {
            category_id,
            slug: kb::slug(&self.slug, &title)?,
            body: kb::body(&self.body)?,
            visibility: Visibility::parse("visibility", or(&self.visibility, "public"))?,
            state: ArticleState::parse("state", or(&self.state, "draft"))?,
            title,
        })
    }

    fn of(a: &Article) -> Self {
        ArticleForm {
            title: a.title.clone(),
            slug: a.slug.clone(),
            body: a.body.clone(),
            category: a.category_id.map(|c| c.to_string()).unwrap_or_default(),
            visibility: a.visibility.as_str().into(),
            state: a.state.as_str().into(),
        }
    }
}

fn or<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.is_empty() { default } else { value }
}

/// The list page's search box.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KbQuery {
    q: String,
}

/// An article in the agents' list.
struct Row {
    article: Article,
    category: String,
    url: String,
}

#[derive(Template)]
#[template(path = "kb_list.html")]
struct ListPage {
    layout: Layout,
    query: String,
    rows: Vec<Row>,
    categories: Vec<Category>,
    form: ArticleForm,
    choices: Choices,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "kb_edit.html")]
struct EditPage {
    layout: Layout,
    id: i64,
    url: String,
    published: bool,
    preview: String,
    form: ArticleForm,
    choices: Choices,
    error: Option<String>,
}

/// The selects of the article form.
struct Choices {
    categories: Vec<Choice>,
    visibility: Vec<Choice>,
    state: Vec<Choice>,
}

impl Choices {
    fn new(categories: &[Category], form: &ArticleForm) -> Self {
        let mut list = vec![Choice::blank("No category", &form.category)];
        list.extend(categories.iter().map(|c| Choice {
            value: c.id.to_string(),
            text: c.name.clone(),
            selected: c.id.to_string() == form.category,
        }));
        Choices {
            categories: list,
            visibility: Choice::list(
                [("public", "Public"), ("internal", "Internal (agents only)")],
                or(&form.visibility, "public"),
            ),
            state: Choice::list(
                [("draft", "Draft"), ("published", "Published")],
                or(&form.state, "draft"),
            ),
        }
    }
}

async fn render_list(
    s: &AppState,
    session: &Session,
    query: String,
    form: ArticleForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let articles = if query.trim().is_empty() {
        s.store.kb_articles(Audience::Agents, None).await?
    } else {
        s.store.search_kb(&query, Audience::Agents, 100).await?
    };
    let categories = s.store.kb_categories().await?;
    let name = |id: Option<i64>| {
        categories
            .iter()
            .find(|c| Some(c.id) == id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let rows = articles
        .into_iter()
        .map(|article| Row {
            category: name(article.category_id),
            url: article_url(&article.slug),
            article,
        })
        .collect();
    let page = ListPage {
        layout: Layout::new(session, "kb"),
        query,
        rows,
        choices: Choices::new(&categories, &form),
        categories,
        form,
        error,
    };
    respond(&page, &page.error)
}

async fn render_one(
    s: &AppState,
    session: &Session,
    id: i64,
    form: ArticleForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    let article = s.store.kb_article(id).await?;
    let categories = s.store.kb_categories().await?;
    let page = EditPage {
        layout: Layout::new(session, "kb"),
        id,
        url: article_url(&article.slug),
        published: article.state == ArticleState::Published,
        preview: kb::render(&article.body),
        choices: Choices::new(&categories, &form),
        form,
        error,
    };
    respond(&page, &page.error)
}

/// Every article (or those matching `?q=`) with the new-article form.
pub async fn list(
    State(s): State<AppState>,
    session: Session,
    Query(q): Query<KbQuery>,
) -> Result<Response, WebError> {
    let query = q.q;
    match render_list(&s, &session, query.clone(), ArticleForm::default(), None).await {
        // A query without words lists nothing rather than failing.
        Err(WebError::Invalid(m)) => {
            render_list(&s, &session, String::new(), ArticleForm::default(), Some(m)).await
        }
        other => other,
    }
}

/// Creates an article.
pub async fn create(
    State(s): State<AppState>,
    posted: Posted<ArticleForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let created = async {
        let fields = form.checked()?;
        Ok::<_, ApiError>(s.store.create_kb_article(&fields).await?)
    }
    .await;
    settle(created, HOME, |m| {
        render_list(&s, &session, String::new(), form, Some(m))
    })
    .await
}

/// One article: its form, with a preview.
pub async fn edit(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    session.require(Action::Read)?;
    let article = s.store.kb_article(id).await?;
    render_one(&s, &session, id, ArticleForm::of(&article), None).await
}

/// Saves an article.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<ArticleForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let updated = async {
        let fields = form.checked()?;
        Ok::<_, ApiError>(s.store.update_kb_article(id, &fields).await?)
    }
    .await;
    settle(updated, &format!("/kb/articles/{id}"), |m| {
        render_one(&s, &session, id, form, Some(m))
    })
    .await
}

/// The publish and unpublish buttons' form: the state to set.
#[derive(Debug, Deserialize)]
pub struct StateForm {
    state: String,
}

/// Publishes or unpublishes an article.
pub async fn set_state(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<StateForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let state = ArticleState::parse("state", &form.state).map_err(WebError::field)?;
    let article = s.store.kb_article(id).await?;
    let mut fields = ArticleForm::of(&article)
        .checked()
        .map_err(WebError::field)?;
    fields.state = state;
    s.store.update_kb_article(id, &fields).await?;
    Ok(Redirect::to(&format!("/kb/articles/{id}")).into_response())
}

/// The new-category form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CategoryForm {
    name: String,
    slug: String,
}

/// Creates a category.
pub async fn create_category(
    State(s): State<AppState>,
    posted: Posted<CategoryForm>,
) -> Result<Response, WebError> {
    let Posted { session, form } = posted;
    session.require(Action::Work)?;
    let created = async {
        let name =
            kb::title(&form.name).map_err(|e| tend_domain::Invalid::new("name", e.message))?;
        let slug = kb::slug(&form.slug, &name)?;
        Ok::<_, ApiError>(s.store.create_kb_category(&name, &slug).await?)
    }
    .await;
    settle(created, HOME, |m| {
        render_list(&s, &session, String::new(), ArticleForm::default(), Some(m))
    })
    .await
}
