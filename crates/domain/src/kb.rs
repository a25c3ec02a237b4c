//! The knowledge base: the checks on articles and categories, and turning an
//! article's Markdown into HTML that is safe to show anyone.

use crate::{Invalid, html, text};

/// Longest article or category title accepted.
pub const MAX_TITLE: usize = 200;
/// Longest article body accepted.
pub const MAX_BODY: usize = 100_000;
/// Longest slug accepted.
pub const MAX_SLUG: usize = 80;

crate::string_enum!(
    /// Who may read an article.
    Visibility {
        /// Anyone, on the public help centre.
        Public = "public",
        /// Agents only.
        Internal = "internal",
    }
);

crate::string_enum!(
    /// Whether an article is out.
    ArticleState {
        /// Being written; agents only.
        Draft = "draft",
        /// Out (on the help centre, when public).
        Published = "published",
    }
);

/// A title: trimmed, not empty, at most [`MAX_TITLE`].
pub fn title(raw: &str) -> Result<String, Invalid> {
    text::required("title", raw, MAX_TITLE)
}

/// An article body in Markdown: not blank, at most [`MAX_BODY`].
pub fn body(raw: &str) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        return Err(Invalid::new("body", "must not be empty"));
    }
    text::bounded("body", raw, MAX_BODY)
}

/// A slug: lower-case letters, digits and single hyphens. A blank slug is
/// made from `title`.
pub fn slug(raw: &str, title: &str) -> Result<String, Invalid> {
    let given = raw.trim();
    let source = if given.is_empty() { title } else { given };
    let mut slug = String::new();
    for c in source.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        return Err(Invalid::new(
            "slug",
            "needs at least one letter or digit (a-z, 0-9)",
        ));
    }
    if !given.is_empty() && slug != given {
        return Err(Invalid::new(
            "slug",
            format!("use lower-case letters, digits and hyphens only, such as `{slug}`"),
        ));
    }
    Ok(slug
        .chars()
        .take(MAX_SLUG)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned())
}

/// Renders Markdown to HTML, then sanitises it: raw HTML in the Markdown
/// (scripts, handlers, `javascript:` links) never reaches a reader.
pub fn render(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser};
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, parser);
    html::sanitize(&raw)
}

/// The start of an article as plain text, for lists and suggestions.
pub fn snippet(markdown: &str, max_chars: usize) -> String {
    use pulldown_cmark::{Event, Parser};
    let mut out = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => out.push(' '),
            _ => {}
        }
        if out.chars().count() > max_chars {
            break;
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max_chars {
        return joined;
    }
    let mut cut: String = joined.chars().take(max_chars).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_hostile_html_goes() {
        let html = render(
            "# Hi\n\n**bold** <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>",
        );
        assert!(
            html.contains("<h1>Hi</h1>") && html.contains("<strong>bold</strong>"),
            "{html}"
        );
        assert!(
            !html.contains("script") && !html.contains("javascript") && !html.contains("onerror"),
            "{html}"
        );
    }

    #[test]
    fn slugs_are_made_or_checked() {
        assert_eq!(
            slug("", "Reset your Password!").unwrap(),
            "reset-your-password"
        );
        assert_eq!(slug("ok-1", "x").unwrap(), "ok-1");
        assert_eq!(slug("Bad Slug", "x").unwrap_err().field, "slug");
        assert_eq!(slug("", "!!!").unwrap_err().field, "slug");
    }

    #[test]
    fn snippets_are_plain_and_short() {
        assert_eq!(snippet("# T\n\nSome *text* here", 100), "T Some text here");
        assert_eq!(snippet("abcdef", 3), "abc…");
    }
}
