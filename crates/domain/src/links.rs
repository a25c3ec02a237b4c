//! Plain text shown as HTML with its web addresses made links: everything
//! escaped, and only `http` and `https` addresses linked (never
//! `javascript:` or any other scheme), opening apart from the page.

use linkify::{LinkFinder, LinkKind};

/// `text` escaped for HTML, each `http://` or `https://` address in it a
/// link with `rel="noopener noreferrer nofollow"`. Line breaks are kept as
/// they are (the page shows the text with `white-space: pre-wrap`).
pub fn linked_text(text: &str) -> String {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for span in finder.spans(text) {
        let part = span.as_str();
        let is_web = span.kind().is_some() && {
            let lower = part.get(..8).unwrap_or(part).to_ascii_lowercase();
            lower.starts_with("http://") || lower.starts_with("https://")
        };
        if is_web {
            let escaped = escape(part);
            out.push_str(&format!(
                r#"<a href="{escaped}" rel="noopener noreferrer nofollow" target="_blank">{escaped}</a>"#
            ));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

/// `text` escaped for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        crate::html::push_escaped(&mut out, c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn web_addresses_become_links_and_nothing_else_does() {
        assert_eq!(
            linked_text("See https://example.com/a?b=1&c=2. <b>Thanks</b>"),
            "See <a href=\"https://example.com/a?b=1&#38;c=2\" rel=\"noopener noreferrer nofollow\" \
             target=\"_blank\">https://example.com/a?b=1&#38;c=2</a>. &#60;b&#62;Thanks&#60;/b&#62;"
        );
        for plain in [
            "javascript:alert(1)",
            "JavaScript://%0aalert(1)",
            "data:text/html,<script>x</script>",
            "ftp://example.com/file",
            "mail me at ann@example.com",
        ] {
            assert!(!linked_text(plain).contains("<a "), "{plain}");
        }
        assert!(linked_text("HTTPS://EXAMPLE.COM").contains("<a href=\"HTTPS://EXAMPLE.COM\""));
        assert_eq!(linked_text("a\nb"), "a\nb");
    }

    proptest! {
        #[test]
        fn only_its_own_links_are_markup(text in "(?s).{0,200}") {
            let html = linked_text(&text);
            let without_links = html
                .replace(" rel=\"noopener noreferrer nofollow\" target=\"_blank\">", "")
                .replace("</a>", "")
                .replace("<a href=\"", "");
            prop_assert!(!without_links.contains('<') && !without_links.contains('>'), "{}", html);
        }
    }
}
