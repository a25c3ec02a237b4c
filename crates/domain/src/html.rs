//! HTML that came from outside, made safe to show.

use crate::ids::AttachmentId;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Appends `c` to `out` escaped for HTML text or an attribute value
/// (`& < > " '` as character references, as the page templates write them).
pub fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&#38;"),
        '<' => out.push_str("&#60;"),
        '>' => out.push_str("&#62;"),
        '"' => out.push_str("&#34;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// Sanitises untrusted HTML: scripts, event handlers, styles and unsafe URLs
/// are removed; links get `rel="noopener noreferrer nofollow"`. The
/// markup's shape is bounded first ([`crate::html_bound`]), so the cost is
/// linear in the input however it is nested.
pub fn sanitize(untrusted: &str) -> String {
    clean(untrusted, &HashSet::new())
}

/// An email's HTML made safe, as [`sanitize`] does, ready to store: the
/// sanitising (CPU work on untrusted input) is done when this is made, so
/// storing it costs only a linear pass. `cid:` images naming one of the
/// message's inline parts are kept for [`EmailHtml::resolve`] to point at
/// the stored part; any other `cid:` reference is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailHtml {
    html: String,
    quote_start: Option<usize>,
}

impl EmailHtml {
    /// Sanitises `untrusted`, whose quoted history begins at byte
    /// `quote_start`: the history is sanitised apart from the new text, so
    /// the result knows where it begins in the safe HTML (`None` when nothing
    /// new is left above it). `inline` lists the Content-IDs of the message's
    /// inline parts.
    pub fn sanitize(untrusted: &str, quote_start: Option<usize>, inline: &HashSet<String>) -> Self {
        let split = quote_start
            .filter(|&at| at > 0 && at < untrusted.len() && untrusted.is_char_boundary(at));
        let Some(at) = split else {
            return EmailHtml {
                html: clean(untrusted, inline),
                quote_start: None,
            };
        };
        let mut html = clean(&untrusted[..at], inline);
        let new_part = html.len();
        html.push_str(&clean(&untrusted[at..], inline));
        let has_new_text = !html[..new_part].trim().is_empty();
        EmailHtml {
            html,
            quote_start: has_new_text.then_some(new_part),
        }
    }

    /// Sanitises HTML that has no quoted history or inline parts to keep
    /// apart (an agent's or an API client's).
    pub fn untrusted(untrusted: &str) -> Self {
        Self::sanitize(untrusted, None, &HashSet::new())
    }

    /// The safe HTML as it is, `cid:` images unresolved (for a reply sent by
    /// email, which has no stored parts to point at).
    pub fn as_str(&self) -> &str {
        &self.html
    }

    /// The safe HTML with each kept `cid:` image pointing at its stored
    /// attachment (`parts` maps a Content-ID to it) at [`attachment_url`],
    /// and where the quoted history begins in it. One pass over the HTML.
    pub fn resolve(&self, parts: &HashMap<String, AttachmentId>) -> (String, Option<usize>) {
        const MARK: &str = "src=\"cid:";
        let html = self.html.as_str();
        let mut out = String::with_capacity(html.len());
        let mut quote_start = self.quote_start;
        let mut from = 0;
        while let Some(at) = html[from..].find(MARK).map(|at| from + at) {
            let value_at = at + MARK.len();
            let Some(end) = html[value_at..].find('"').map(|end| value_at + end) else {
                break;
            };
            let url = parts
                .get(&html[value_at..end])
                .map(|&id| attachment_url(id))
                .unwrap_or_default();
            out.push_str(&html[from..at]);
            let before = out.len();
            out.push_str("src=\"");
            out.push_str(&url);
            out.push('"');
            // The history starts at a tag, never inside this attribute.
            if let Some(q) = quote_start.as_mut().filter(|q| **q > at) {
                *q = *q - (end + 1 - at) + (out.len() - before);
            }
            from = end + 1;
        }
        out.push_str(&html[from..]);
        (out, quote_start)
    }
}

/// Where Tend's API serves attachments: this, then the id.
pub const ATTACHMENT_URL_PREFIX: &str = "/api/v1/attachments/";

/// Where Tend serves an attachment (see `GET /api/v1/attachments/{id}`).
pub fn attachment_url(id: AttachmentId) -> String {
    format!("{ATTACHMENT_URL_PREFIX}{id}")
}

/// Whether a Content-ID can be kept in an attribute as it is (so
/// [`EmailHtml::resolve`] finds it again byte for byte).
fn plain_content_id(cid: &str) -> bool {
    !cid.is_empty()
        && cid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@._-+$=~".contains(&b))
}

/// Bounds, then sanitises, keeping `cid:` images that name `inline` parts.
fn clean(untrusted: &str, inline: &HashSet<String>) -> String {
    // (ammonia wants a filter that owns what it uses.)
    let inline = inline.clone();
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"))
        // cid: passes the scheme check only to be kept or dropped below.
        .add_url_schemes(["cid"])
        .attribute_filter(move |element, attribute, value| {
            let Some(cid) = strip_prefix_ci(value.trim(), "cid:") else {
                return Some(Cow::Borrowed(value));
            };
            let cid = cid.trim_matches(['<', '>']);
            let image = element == "img" && attribute == "src";
            (image && plain_content_id(cid) && inline.contains(cid))
                .then(|| Cow::Owned(format!("cid:{cid}")))
        });
    b.clean(&crate::html_bound::bounded(untrusted)).to_string()
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_script_and_handlers() {
        let clean = super::sanitize(
            r#"<p onclick="x()">hi<script>alert(1)</script><a href="javascript:y()">l</a></p>"#,
        );
        assert!(!clean.contains("script"));
        assert!(!clean.contains("onclick"));
        assert!(!clean.contains("javascript"));
        assert!(clean.contains("hi"));
    }

    fn email(raw: &str, quote_start: Option<usize>, cids: &[&str]) -> EmailHtml {
        let inline = cids.iter().map(|c| c.to_string()).collect();
        EmailHtml::sanitize(raw, quote_start, &inline)
    }

    #[test]
    fn points_inline_images_at_their_attachments() {
        let parts = HashMap::from([("logo@x".to_owned(), AttachmentId(7))]);
        let (html, _) = email(
            r#"<img src="CID:logo@x" onerror="a()"><img src="cid:missing"><a href="cid:logo@x">l</a><img src="javascript:b()">"#,
            None,
            &["logo@x"],
        )
        .resolve(&parts);
        assert!(
            html.contains(r#"<img src="/api/v1/attachments/7">"#),
            "{html}"
        );
        assert!(!html.contains("cid:") && !html.contains("CID:"), "{html}");
        assert!(
            !html.contains("onerror") && !html.contains("javascript"),
            "{html}"
        );
        // Agents' HTML has no inline parts: cid: references are dropped.
        assert!(!sanitize(r#"<img src="cid:logo@x">"#).contains("cid"));
    }

    #[test]
    fn sanitises_new_text_and_history_apart() {
        let raw = r#"<div><p>New <b>text</b><div class="gmail_quote">old<script>x()</script></div></div>"#;
        let at = raw.find("<div class").unwrap();
        let (html, start) = email(raw, Some(at), &[]).resolve(&HashMap::new());
        let start = start.unwrap();
        assert_eq!(&html[..start], "<div><p>New <b>text</b></p></div>");
        assert_eq!(&html[start..], "<div>old</div>");
        // Nothing visible above the history: nothing to collapse it under.
        let none = email("<style>p{}</style><p>old</p>", Some(18), &[]);
        assert_eq!(none.resolve(&HashMap::new()).1, None);
        // An offset inside a character is ignored rather than trusted.
        let (html, none) = email("é<p>x</p>", Some(1), &[]).resolve(&HashMap::new());
        assert_eq!((html.as_str(), none), ("é<p>x</p>", None));
    }

    #[test]
    fn the_history_start_moves_with_resolved_images() {
        let raw = r#"<p><img src="cid:a@b">new</p><blockquote type="cite">old</blockquote>"#;
        let at = raw.find("<blockquote").unwrap();
        let parts = HashMap::from([("a@b".to_owned(), AttachmentId(12345))]);
        let (html, start) = email(raw, Some(at), &["a@b"]).resolve(&parts);
        assert!(html[start.unwrap()..].starts_with("<blockquote"), "{html}");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let depth = 50_000;
        let raw = format!("{}deep{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let clean = sanitize(&raw);
        assert!(clean.contains("deep"));
        assert_eq!(clean.matches("<div>").count(), crate::html_bound::MAX_DEPTH);
    }
}
