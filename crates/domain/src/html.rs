//! HTML that came from outside, made safe to show.

/// Sanitises untrusted HTML: scripts, event handlers, styles and unsafe URLs
/// are removed; links get `rel="noopener noreferrer nofollow"`.
pub fn sanitize(untrusted: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(untrusted)
        .to_string()
}

#[cfg(test)]
mod tests {
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
}
