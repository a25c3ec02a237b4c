//! Formatted replies: what an agent writes with the reply box's toolbar
//! (Markdown: `**bold**`, `*italic*`, lists, `[links](https://…)`) made into
//! an email's HTML part and a faithful text part. HTML typed into the
//! reply is shown as text, never interpreted.

use pulldown_cmark::{Event, Options, Parser, html};
use tend_domain::html::EmailHtml;

/// Line width of the text part.
const TEXT_WIDTH: usize = 78;

/// A reply with both parts.
pub struct Formatted {
    /// The text part: the words, list marks and link addresses of the HTML.
    pub text: String,
    /// The HTML part, sanitised.
    pub html: EmailHtml,
}

/// Renders `markdown` as a reply's HTML and text parts.
pub fn format(markdown: &str) -> Formatted {
    let events =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            other => other,
        });
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut rendered, events);
    let html = EmailHtml::untrusted(&rendered);
    let text = html2text::config::plain()
        .link_footnotes(true)
        .string_from_read(html.as_str().as_bytes(), TEXT_WIDTH)
        .map(|lines| lines.trim_end().to_owned())
        .unwrap_or_else(|_| markdown.to_owned());
    Formatted { text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_lists_and_links_reach_both_parts() {
        let f = format(
            "Hello **Ann**,\n\n- first\n- second\n\nSee [the guide](https://example.com/guide).",
        );
        let html = f.html.as_str();
        assert!(html.contains("<strong>Ann</strong>"), "{html}");
        assert!(html.contains("<li>first</li>"), "{html}");
        assert!(
            html.contains("href=\"https://example.com/guide\""),
            "{html}"
        );
        for words in [
            "Ann",
            "first",
            "second",
            "the guide",
            "https://example.com/guide",
        ] {
            assert!(f.text.contains(words), "{words} missing from {}", f.text);
        }
        assert!(!f.text.contains("<strong>"), "{}", f.text);
    }

    #[test]
    fn typed_html_is_text_not_markup() {
        let f = format("<script>alert(1)</script> <b onclick=x>hi</b>");
        assert!(!f.html.as_str().contains("<script"), "{}", f.html.as_str());
        assert!(!f.html.as_str().contains("<b "), "{}", f.html.as_str());
        assert!(f.text.contains("<script>alert(1)</script>"), "{}", f.text);
    }
}
