//! A message's HTML body, made of every part that shows inline, in order:
//! HTML parts as they are, text parts as paragraphs, and inline images
//! (`<img src="cid:...">`) where they were, so a message written as text,
//! picture, text (or HTML, picture, HTML, as Apple Mail sends it) reads as
//! it was written. The result is untrusted and still to be sanitised.

use mail_parser::{Message, MessagePart, MessagePartId, MimeHeaders, PartType};

/// The HTML body of `m`, or `None` when its inline parts are text only (the
/// text body says it all).
pub fn compose(m: &Message<'_>) -> Option<String> {
    let parts: Vec<(MessagePartId, &MessagePart<'_>)> = m
        .html_body
        .iter()
        .filter_map(|&id| Some((id, m.part(id)?)))
        .collect();
    let shows_more_than_text = parts
        .iter()
        .any(|(_, p)| matches!(p.body, PartType::Html(_)) || is_image(p));
    if !shows_more_than_text {
        return None;
    }
    let mut html = String::new();
    for (id, part) in parts {
        match &part.body {
            PartType::Html(markup) => html.push_str(markup),
            PartType::Text(text) if !text.trim().is_empty() => {
                html.push_str("<div>");
                escape_into(&mut html, text);
                html.push_str("</div>");
            }
            _ if is_image(part) => {
                html.push_str("<div><img src=\"cid:");
                escape_into(&mut html, &content_id(id, part));
                html.push_str("\"></div>");
            }
            _ => {}
        }
    }
    Some(html)
}

/// The Content-ID a part is shown by: its own, else one made up from its
/// position (for images placed between text parts, which often have none).
pub fn content_id(id: MessagePartId, part: &MessagePart<'_>) -> String {
    part.content_id()
        .map(|cid| cid.trim().trim_matches(['<', '>']))
        .filter(|cid| !cid.is_empty())
        .map_or_else(|| format!("part-{id}@inline.invalid"), str::to_owned)
}

/// Whether `part` is an image shown in the body.
pub fn is_image(part: &MessagePart<'_>) -> bool {
    matches!(part.body, PartType::InlineBinary(_) | PartType::Binary(_))
        && part
            .content_type()
            .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("image"))
}

/// Appends `text` to `html` as HTML text, line breaks kept.
fn escape_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            '\n' => html.push_str("<br>\n"),
            '\r' => {}
            c => html.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    #[test]
    fn places_images_between_the_text_parts() {
        let raw = "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nBefore <1>\r\n\
--b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n\r\nPNG\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nAfter\r\n--b--\r\n";
        let m = MessageParser::default().parse(raw).unwrap();
        assert_eq!(
            compose(&m).unwrap(),
            "<div>Before &lt;1&gt;</div><div><img src=\"cid:part-2@inline.invalid\"></div><div>After</div>"
        );
        let plain = MessageParser::default()
            .parse("From: a@example.org\r\n\r\nJust text\r\n")
            .unwrap();
        assert_eq!(compose(&plain), None);
    }
}
