//! Spotting remote images in sanitised HTML: the agent pages' policy loads
//! images only from Tend itself, so the page can say what it held back.

/// Whether `safe_html` (the output of [`crate::html::sanitize`] or
/// [`crate::html::sanitize_email`]) shows an image from another site: an
/// `<img>` whose `src` has a scheme other than `data:` or starts with `//`.
/// It reads the sanitiser's own serialisation (lower-case names, values in
/// double quotes with `"` escaped), once and in linear time.
pub fn has_remote_images(safe_html: &str) -> bool {
    safe_html
        .match_indices("<img")
        .filter_map(|(at, tag)| img_src(&safe_html[at + tag.len()..]))
        .any(is_remote)
}

/// The `src` of the `<img` tag whose name `rest` follows, if it has one.
fn img_src(mut rest: &str) -> Option<&str> {
    if !rest.starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/') {
        return None;
    }
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() || rest.starts_with('>') {
            return None;
        }
        let name_end = rest
            .find(|c: char| c == '=' || c == '>' || c == '/' || c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = &rest[name_end..];
        let value = match rest.strip_prefix("=\"") {
            Some(quoted) => {
                let end = quoted.find('"')?;
                rest = &quoted[end + 1..];
                &quoted[..end]
            }
            None => {
                // A stray `=` (never written by the sanitiser) is skipped.
                rest = rest.strip_prefix('=').unwrap_or(rest);
                ""
            }
        };
        if name == "src" {
            return Some(value);
        }
    }
}

/// Whether an image URL points at another site.
fn is_remote(src: &str) -> bool {
    let src = src.trim();
    if src.starts_with("//") {
        return true;
    }
    let Some((scheme, _)) = src.split_once(':') else {
        return false;
    };
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme && !scheme.eq_ignore_ascii_case("data")
}

#[cfg(test)]
mod tests {
    use super::has_remote_images;
    use crate::html::sanitize;

    #[test]
    fn finds_images_from_other_sites_only() {
        for remote in [
            r#"<p>Hi <img src="https://tracker.example/p.gif"></p>"#,
            r#"<img alt="a > b" width="1" src="HTTP://x.example/a.png">"#,
            r#"<img src="//cdn.example/logo.png" alt="logo">"#,
        ] {
            assert!(has_remote_images(&sanitize(remote)), "{remote}");
        }
        for local in [
            "<p>No images, just text about &lt;img src=\"https://x\"&gt;</p>",
            r#"<img src="/api/v1/attachments/7"><img src="data:image/png;base64,AAAA">"#,
            r#"<img alt="https://x.example/a.png"><a href="https://x.example">link</a>"#,
            r#"<img src="cid:missing@x">"#,
        ] {
            assert!(!has_remote_images(&sanitize(local)), "{local}");
        }
    }

    #[test]
    fn reads_hostile_markup_without_looping() {
        for odd in [
            "<img",
            "<img ",
            "<img =",
            "<img src",
            "<img src=",
            "<img src=\"x",
            "<img/src=\"https://a\">",
            "<imgsrc=\"https://a\">",
        ] {
            // Raw, not sanitised: the scanner must stop on anything.
            let _ = has_remote_images(odd);
        }
        assert!(has_remote_images("<img/src=\"https://a\">"));
        assert!(!has_remote_images("<imgsrc=\"https://a\">"));
    }
}
