//! HTML that came from outside, made safe to show.

use crate::ids::AttachmentId;
use std::borrow::Cow;
use std::collections::HashMap;

/// Sanitises untrusted HTML: scripts, event handlers, styles and unsafe URLs
/// are removed; links get `rel="noopener noreferrer nofollow"`.
pub fn sanitize(untrusted: &str) -> String {
    builder(&HashMap::new()).clean(untrusted).to_string()
}

/// An email's HTML made safe, as [`sanitize`] does, with two additions:
/// `cid:` images pointing at the message's inline parts (`inline` maps a
/// Content-ID to its stored attachment) show that attachment, at
/// [`attachment_url`]; and the quoted history from byte `quote_start` on is
/// sanitised apart from the new text, so the answer says where it begins in
/// the safe HTML (`None` when nothing new is left above it).
pub fn sanitize_email(
    untrusted: &str,
    quote_start: Option<usize>,
    inline: &HashMap<String, AttachmentId>,
) -> (String, Option<usize>) {
    let clean = builder(inline);
    let split =
        quote_start.filter(|&at| at > 0 && at < untrusted.len() && untrusted.is_char_boundary(at));
    let Some(at) = split else {
        return (clean.clean(untrusted).to_string(), None);
    };
    let mut html = clean.clean(&untrusted[..at]).to_string();
    let new_part = html.len();
    html.push_str(&clean.clean(&untrusted[at..]).to_string());
    let has_new_text = !html[..new_part].trim().is_empty();
    (html, has_new_text.then_some(new_part))
}

/// Where Tend's API serves attachments: this, then the id.
pub const ATTACHMENT_URL_PREFIX: &str = "/api/v1/attachments/";

/// Where Tend serves an attachment (see `GET /api/v1/attachments/{id}`).
pub fn attachment_url(id: AttachmentId) -> String {
    format!("{ATTACHMENT_URL_PREFIX}{id}")
}

fn builder(inline: &HashMap<String, AttachmentId>) -> ammonia::Builder<'static> {
    // (ammonia wants a filter that owns what it uses.)
    let inline = inline.clone();
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"))
        // cid: passes the scheme check only to be rewritten or dropped below.
        .add_url_schemes(["cid"])
        .attribute_filter(move |element, attribute, value| {
            let Some(cid) = strip_prefix_ci(value.trim(), "cid:") else {
                return Some(Cow::Borrowed(value));
            };
            let image = element == "img" && attribute == "src";
            image
                .then(|| inline.get(cid.trim_matches(['<', '>'])))
                .flatten()
                .map(|&id| Cow::Owned(attachment_url(id)))
        });
    b
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

    #[test]
    fn points_inline_images_at_their_attachments() {
        let inline = HashMap::from([("logo@x".to_owned(), AttachmentId(7))]);
        let (html, _) = sanitize_email(
            r#"<img src="CID:logo@x" onerror="a()"><img src="cid:missing"><a href="cid:logo@x">l</a><img src="javascript:b()">"#,
            None,
            &inline,
        );
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
        let (html, start) = sanitize_email(raw, Some(at), &HashMap::new());
        let start = start.unwrap();
        assert_eq!(&html[..start], "<div><p>New <b>text</b></p></div>");
        assert_eq!(&html[start..], "<div>old</div>");
        // Nothing visible above the history: nothing to collapse it under.
        let (_, none) = sanitize_email("<style>p{}</style><p>old</p>", Some(18), &HashMap::new());
        assert_eq!(none, None);
        // An offset inside a character is ignored rather than trusted.
        let (html, none) = sanitize_email("é<p>x</p>", Some(1), &HashMap::new());
        assert_eq!((html.as_str(), none), ("é<p>x</p>", None));
    }
}
