//! Bounding the shape of HTML from outside before any HTML parser sees it.
//! A tree-building parser does work proportional to the depth of the open
//! elements for every tag (scope checks, reconstructing misnested formatting),
//! so deeply nested or misnested input costs time quadratic in its size. One
//! linear pass here rewrites the markup so that: nesting stops at
//! [`MAX_DEPTH`] (deeper tags are dropped, their text kept), every element
//! closed implicitly gets an explicit end tag (so a parser never has to
//! repair misnesting), stray end tags and comments are dropped, and a tag
//! with more than [`MAX_ATTRIBUTES`] attributes is dropped. Every later step
//! (sanitising, text extraction, quote detection) then runs in time linear
//! in the input. The result is still untrusted: it must be sanitised.

use std::borrow::Cow;

/// Deepest element nesting kept; legitimate email rarely passes 40.
pub const MAX_DEPTH: usize = 128;

/// Most attributes one tag may have before it is dropped.
pub const MAX_ATTRIBUTES: usize = 64;

/// Elements that never have content or an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr",
];

/// Elements whose content is text up to their own end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Elements a sibling of the same name closes (`<li>a<li>b`).
const SELF_CLOSING_SIBLINGS: &[&str] = &["p", "li", "dt", "dd", "option", "tr", "td", "th"];

/// `html` with its nesting bounded and made explicit, as described in the
/// module header; borrowed unchanged when it has no tags at all.
pub fn bounded(html: &str) -> Cow<'_, str> {
    if !html.contains('<') {
        return Cow::Borrowed(html);
    }
    let mut shaper = Shaper {
        out: String::with_capacity(html.len()),
        open: Vec::new(),
        dropped: 0,
    };
    shaper.run(html);
    Cow::Owned(shaper.out)
}

struct Shaper {
    out: String,
    /// Names of the open elements, outermost first; at most [`MAX_DEPTH`].
    open: Vec<String>,
    /// Start tags dropped for depth whose end tags are still to come.
    dropped: usize,
}

impl Shaper {
    fn run(&mut self, html: &str) {
        let mut rest = html;
        while let Some(lt) = rest.find('<') {
            self.out.push_str(&rest[..lt]);
            rest = &rest[lt..];
            rest = self.markup(rest);
        }
        self.out.push_str(rest);
        while let Some(name) = self.open.pop() {
            self.close(&name);
        }
    }

    /// Handles the markup at the start of `rest` (which begins with `<`) and
    /// answers what follows it.
    fn markup<'a>(&mut self, rest: &'a str) -> &'a str {
        let after = &rest[1..];
        if let Some(comment) = after.strip_prefix("!--") {
            return comment.find("-->").map_or("", |end| &comment[end + 3..]);
        }
        if after.starts_with(['!', '?']) {
            return after.find('>').map_or("", |end| &after[end + 1..]);
        }
        let (closing, body) = match after.strip_prefix('/') {
            Some(body) => (true, body),
            None => (false, after),
        };
        if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            self.out.push_str("&lt;");
            return after;
        }
        let name_len = body
            .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .unwrap_or(body.len());
        let name = body[..name_len].to_ascii_lowercase();
        let Some(tag_end) = tag_end(&body[name_len..]) else {
            // An unfinished tag at the end of input is dropped, as parsers do.
            return "";
        };
        let attributes = &body[name_len..name_len + tag_end.at];
        let following = &body[name_len + tag_end.at + 1..];
        if closing {
            self.end_tag(&name);
            return following;
        }
        if tag_end.attributes > MAX_ATTRIBUTES {
            return following;
        }
        self.start_tag(&name, attributes, following)
    }

    fn start_tag<'a>(&mut self, name: &str, attributes: &str, following: &'a str) -> &'a str {
        let tag = |out: &mut String| {
            out.push('<');
            out.push_str(name);
            out.push_str(attributes);
            out.push('>');
        };
        if VOID.contains(&name) {
            tag(&mut self.out);
            return following;
        }
        if SELF_CLOSING_SIBLINGS.contains(&name) && self.open.last().is_some_and(|top| top == name)
        {
            self.open.pop();
            self.close(name);
        }
        if self.open.len() >= MAX_DEPTH {
            self.dropped += 1;
            return following;
        }
        tag(&mut self.out);
        self.open.push(name.to_owned());
        if !RAW_TEXT.contains(&name) {
            return following;
        }
        // Raw text runs to this element's own end tag, which is handled next.
        let end = find_end_tag(following, name).unwrap_or(following.len());
        self.out.push_str(&following[..end]);
        &following[end..]
    }

    fn end_tag(&mut self, name: &str) {
        match self.open.iter().rposition(|open| open == name) {
            Some(at) => {
                while self.open.len() > at {
                    if let Some(inner) = self.open.pop() {
                        self.close(&inner);
                    }
                }
            }
            // The end of an element dropped for depth, or a stray end tag.
            None => self.dropped = self.dropped.saturating_sub(1),
        }
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }
}

/// Where a tag's closing `>` is (an offset into `attributes`), skipping
/// quoted attribute values, and how many attributes came before it.
struct TagEnd {
    at: usize,
    attributes: usize,
}

fn tag_end(attributes: &str) -> Option<TagEnd> {
    let bytes = attributes.as_bytes();
    let (mut i, mut count, mut in_name) = (0, 0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'>' => {
                return Some(TagEnd {
                    at: i,
                    attributes: count,
                });
            }
            b'=' => {
                in_name = false;
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if let Some(&quote @ (b'"' | b'\'')) = bytes.get(i) {
                    let close = attributes[i + 1..].find(char::from(quote))?;
                    i += close + 1;
                }
            }
            b if b.is_ascii_whitespace() || b == b'/' => in_name = false,
            _ if !in_name => {
                in_name = true;
                count += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset of `</name` (any case) in `text`, if present.
fn find_end_tag(text: &str, name: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find("</") {
        let start = from + at;
        let candidate = bytes.get(start + 2..start + 2 + name.len())?;
        if candidate.eq_ignore_ascii_case(name.as_bytes()) {
            return Some(start);
        }
        from = start + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_html_keeps_its_shape() {
        let html = r#"<div class="a"><p>Hi <b>there</b></p><img src="x.png"><br></div>"#;
        assert_eq!(bounded(html), html);
        assert_eq!(bounded("plain text"), "plain text");
    }

    #[test]
    fn nesting_stops_at_the_bound_and_text_stays() {
        let depth = 10_000;
        let html = format!("{}deep{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let out = bounded(&html);
        assert_eq!(out.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</div>").count(), MAX_DEPTH);
        assert!(out.contains("deep"));
    }

    #[test]
    fn implicit_ends_are_written_out() {
        assert_eq!(
            bounded("<p><b>bold</p>after<li>a<li>b"),
            "<p><b>bold</b></p>after<li>a</li><li>b</li>"
        );
        assert_eq!(bounded("</span>x<!-- c -->y"), "xy");
    }

    #[test]
    fn quoted_values_and_raw_text_are_not_markup() {
        assert_eq!(
            bounded(r#"<a title="<div>>">x</a>"#),
            r#"<a title="<div>>">x</a>"#
        );
        assert_eq!(
            bounded("<style>p > a { }</style><script>if (a<b) {}</script>"),
            "<style>p > a { }</style><script>if (a<b) {}</script>"
        );
    }

    #[test]
    fn tags_with_too_many_attributes_are_dropped() {
        let attrs: String = (0..100).map(|i| format!(" a{i}=1")).collect();
        assert_eq!(bounded(&format!("<span{attrs}>x</span>")), "x");
    }

    #[test]
    fn unfinished_markup_is_dropped_without_panicking() {
        for html in [
            "<div",
            "<a href=\"x",
            "<!-- open",
            "<",
            "a < b",
            "<é>",
            "</",
        ] {
            let _ = bounded(html);
        }
        assert_eq!(bounded("a < b"), "a &lt; b");
    }
}
