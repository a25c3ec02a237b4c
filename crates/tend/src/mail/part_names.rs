//! File names for a message's parts, as mail clients give them: the part's
//! own file name; an attached message by its subject (`<subject>.eml`); a
//! delivery report's parts by what they are (`delivery-status.txt`); an
//! image by its Content-Location or Content-ID; only then
//! `attachment-N.ext`.

use mail_parser::{MessagePart, MimeHeaders, PartType};

/// Longest file name kept, in characters.
const MAX_NAME: usize = 200;

/// Parts of reports and notifications, named by what they hold.
const REPORT_PARTS: [(&str, &str); 6] = [
    ("message/delivery-status", "delivery-status.txt"),
    ("message/global-delivery-status", "delivery-status.txt"),
    ("text/rfc822-headers", "returned-headers.txt"),
    ("message/global-headers", "returned-headers.txt"),
    (
        "message/disposition-notification",
        "disposition-notification.txt",
    ),
    ("message/feedback-report", "feedback-report.txt"),
];

/// The name of attachment number `n` (from 1), whose type is `content_type`
/// (lower case).
pub fn name(part: &MessagePart<'_>, n: usize, content_type: &str) -> String {
    let own = part.attachment_name().map(sanitize);
    let by_subject = || match &part.body {
        // A subject's slashes are no path: keep what they separate.
        PartType::Message(m) => m
            .subject()
            .map(|s| format!("{}.eml", sanitize(&s.replace(['/', '\\'], "_")))),
        _ => None,
    };
    let by_kind = || {
        REPORT_PARTS
            .iter()
            .find(|(kind, _)| *kind == content_type)
            .map(|(_, name)| (*name).to_owned())
    };
    let by_location = || {
        let location = part.content_location()?;
        let path = location.split(['?', '#']).next().unwrap_or_default();
        Some(with_extension(&sanitize(path), extension(content_type)))
    };
    let by_id = || {
        let id = part.content_id()?.trim().trim_matches(['<', '>']);
        let local = id.split('@').next().unwrap_or_default();
        Some(with_extension(&sanitize(local), extension(content_type)))
    };
    own.filter(|n| !n.is_empty())
        .or_else(|| by_subject().filter(|n| n != ".eml"))
        .or_else(by_kind)
        .or_else(|| by_location().filter(|n| !n.starts_with('.')))
        .or_else(|| by_id().filter(|n| !n.starts_with('.')))
        .unwrap_or_else(|| format!("attachment-{n}.{}", extension(content_type)))
}

/// A file name without path parts or control characters, at most
/// [`MAX_NAME`] characters.
pub fn sanitize(raw: &str) -> String {
    raw.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `name`, with `.ext` added unless it has an extension already.
fn with_extension(name: &str, ext: &str) -> String {
    let has_extension = name
        .rsplit_once('.')
        .is_some_and(|(stem, e)| !stem.is_empty() && (1..=5).contains(&e.len()));
    if has_extension || name.is_empty() {
        name.to_owned()
    } else {
        format!("{name}.{ext}")
    }
}

/// The usual file extension of a content type.
fn extension(content_type: &str) -> &'static str {
    match content_type {
        "message/rfc822" | "message/global" => "eml",
        "text/plain" | "text/rfc822-headers" => "txt",
        "text/html" => "html",
        "text/calendar" => "ics",
        "text/csv" => "csv",
        "application/pdf" => "pdf",
        "application/zip" => "zip",
        "image/png" => "png",
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/bmp" => "bmp",
        "image/tiff" => "tif",
        "image/svg+xml" => "svg",
        _ if content_type.starts_with("message/") => "txt",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    /// Names of the attachments of `raw`.
    fn names(raw: &str) -> Vec<String> {
        let m = MessageParser::default().parse(raw).unwrap();
        m.attachments()
            .enumerate()
            .map(|(i, p)| {
                let ct = p.content_type().unwrap();
                let ct = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default());
                name(p, i + 1, &ct.to_lowercase())
            })
            .collect()
    }

    #[test]
    fn names_parts_as_mail_clients_do() {
        let raw = "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: Re: the/old invoice\r\n\r\nold\r\n\
--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n\
--b\r\nContent-Type: image/png\r\nContent-Location: http://example.org/a/chart?x=1\r\n\r\nP\r\n\
--b\r\nContent-Type: image/jpeg\r\nContent-ID: <image001.jpg@01D1>\r\n\r\nJ\r\n\
--b\r\nContent-Type: image/gif\r\nContent-ID: <ii_abc>\r\n\r\nG\r\n\
--b\r\nContent-Type: application/octet-stream\r\n\r\nX\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@example.org\r\n\r\nno subject\r\n\
--b--\r\n";
        assert_eq!(
            names(raw),
            [
                "Re: the_old invoice.eml",
                "delivery-status.txt",
                "chart.png",
                "image001.jpg",
                "ii_abc.gif",
                "attachment-6.bin",
                "attachment-7.eml",
            ]
        );
    }

    #[test]
    fn sanitizes_names() {
        assert_eq!(sanitize("../../etc/pass\u{7}wd "), "passwd");
        assert_eq!(sanitize("C:\\x\\y.doc"), "y.doc");
        assert_eq!(sanitize(&"a".repeat(500)).len(), MAX_NAME);
        assert_eq!(with_extension("report.v2", "pdf"), "report.v2");
        assert_eq!(with_extension("report", "pdf"), "report.pdf");
    }
}
