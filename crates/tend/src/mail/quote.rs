//! Finding the quoted history below the new text of a reply, so it can be
//! collapsed when shown. Only history at the end counts: an answer written
//! between quoted lines is new text and stays visible.

/// Where the trailing quoted history of a plain-text reply begins (a byte
/// offset at the start of a line), if it has any and some new text is above.
/// Recognised: `>`-quoted lines (with an "On ... wrote:" line above them),
/// "-----Original Message-----" separators and Outlook's "From: / Sent: /
/// Subject:" header blocks.
pub fn text_quote_start(text: &str) -> Option<usize> {
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0, |at, line| {
            let start = *at;
            *at += line.len();
            Some((start, line.trim_end_matches(['\n', '\r'])))
        })
        .collect();
    let texts: Vec<&str> = lines.iter().map(|(_, l)| *l).collect();
    // quoted_from[i]: every line from i on is quoted or blank (one pass, so
    // long texts stay linear).
    let mut quoted_from = vec![true; texts.len() + 1];
    for i in (0..texts.len()).rev() {
        quoted_from[i] = quoted_from[i + 1] && (is_quoted(texts[i]) || texts[i].trim().is_empty());
    }
    for (i, &(start, line)) in lines.iter().enumerate() {
        // A forwarded message below is the content itself, not history.
        if is_forward(line) {
            return None;
        }
        let rest = &texts[i..];
        let begins = is_separator(line)
            || (is_underline(line) && is_header_block(&rest[1..]))
            || is_header_block(rest)
            || attribution_lines(rest).is_some_and(|n| quoted_from[i + n])
            || (is_quoted(line) && quoted_from[i]);
        if begins {
            return (!text[..start].trim().is_empty()).then_some(start);
        }
    }
    None
}

/// Where the quoted history of an HTML reply begins (a byte offset at the
/// start of a tag), for the markers mail programs put around it: Gmail's
/// `gmail_quote`, Apple Mail's and Thunderbird's `<blockquote type="cite">`,
/// Outlook's `divRplyFwdMsg` and its border-top separator, Yahoo's
/// `yahoo_quoted`. A cited blockquote followed by more text is an inline
/// answer, not history.
pub fn html_quote_start(html: &str) -> Option<usize> {
    let lower = html.to_ascii_lowercase();
    // Text after the last cited block closes makes every cited block an
    // inline answer's context rather than history.
    let last_close = lower.rfind("</blockquote>");
    let text_after_cites = last_close.is_some_and(|end| !visible_text(&lower[end..]).is_empty());
    let start = tags(&lower)
        .find(|&(at, tag)| {
            is_quote_container(tag)
                || (is_cite(tag) && !(text_after_cites && last_close.is_some_and(|end| end > at)))
        })?
        .0;
    (!visible_text(&lower[..start]).is_empty()).then_some(start)
}

/// Opening tags in (lowercased) HTML, with their byte offsets; one pass.
fn tags(html: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let at = from + html.get(from..)?.find('<')?;
            let rest = &html[at + 1..];
            let end = rest.find('>')?;
            from = at + 1 + end;
            if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
                return Some((at, &rest[..end]));
            }
        }
    })
}

fn is_quote_container(tag: &str) -> bool {
    let div = tag.starts_with("div ") || tag.starts_with("div\n");
    div && (tag.contains("gmail_quote")
        || tag.contains("divrplyfwdmsg")
        || tag.contains("yahoo_quoted")
        || tag.contains("moz-cite-prefix")
        || (tag.contains("border-top:solid #e1e1e1") || tag.contains("border-top:solid #b5c4df")))
}

/// `<blockquote type="cite">`, as Apple Mail and Thunderbird quote.
fn is_cite(tag: &str) -> bool {
    tag.starts_with("blockquote") && (tag.contains("type=\"cite\"") || tag.contains("type=cite"))
}

/// The characters of HTML outside tags, without whitespace; good enough to
/// tell whether a stretch of markup shows any text.
fn visible_text(html: &str) -> String {
    let mut inside = false;
    html.chars()
        .filter(|&c| {
            let keep = !inside && c != '<';
            match c {
                '<' => inside = true,
                '>' => inside = false,
                _ => {}
            }
            keep && c != '>' && !c.is_whitespace()
        })
        .collect::<String>()
        .replace("&nbsp;", "")
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// "-----Original Message-----" and its translations.
fn is_separator(line: &str) -> bool {
    let line = line.trim().trim_matches(['-', '_', ' ']).to_lowercase();
    [
        "original message",
        "ursprüngliche nachricht",
        "message d'origine",
        "mensaje original",
        "messaggio originale",
        "oorspronkelijk bericht",
    ]
    .contains(&line.as_str())
}

/// "---------- Forwarded message ---------" (Gmail, Outlook) and Apple
/// Mail's "Begin forwarded message:".
fn is_forward(line: &str) -> bool {
    let line = line.trim().trim_matches(['-', ' ']).to_lowercase();
    line == "forwarded message" || line == "begin forwarded message:"
}

/// Outlook's line of underscores above its header block.
fn is_underline(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 10 && line.chars().all(|c| c == '_')
}

/// The one or two lines of an "On <date>, <name> wrote:" attribution.
fn attribution_lines(lines: &[&str]) -> Option<usize> {
    let first = lines.first()?.trim();
    let opens = ["On ", "Am ", "Le ", "El ", "Il ", "Op ", "Em "]
        .iter()
        .any(|p| first.starts_with(p));
    if !opens {
        return None;
    }
    // "... wrote:", "Am ... schrieb Name <address>:", "Le ... a écrit :".
    let closes = |s: &str| {
        let s = s.trim_end();
        s.ends_with(':')
            && [
                " wrote",
                " schrieb ",
                " a écrit",
                " escribió",
                " ha scritto",
                " schreef",
                " escreveu",
            ]
            .iter()
            .any(|w| s.contains(w))
    };
    if closes(first) {
        return Some(1);
    }
    let second = lines.get(1)?;
    closes(&format!("{first} {second}")).then_some(2)
}

/// A "From:" line with a "Sent:"/"Date:" line and a "To:"/"Subject:" line
/// among the next few: the header block mail programs put above history.
fn is_header_block(lines: &[&str]) -> bool {
    let field = |line: &str, names: &[&str]| {
        let line = line.trim().trim_start_matches('*').to_lowercase();
        names.iter().any(|n| line.starts_with(n))
    };
    let Some(first) = lines.first() else {
        return false;
    };
    let next = &lines[1..lines.len().min(6)];
    field(first, &["from:", "von:", "de:", "de :", "da:", "van:"])
        && next.iter().any(|l| {
            field(
                l,
                &[
                    "sent:",
                    "date:",
                    "gesendet:",
                    "datum:",
                    "envoyé :",
                    "envoyé:",
                    "enviado:",
                    "inviato:",
                    "verzonden:",
                ],
            )
        })
        && next.iter().any(|l| {
            field(
                l,
                &[
                    "to:",
                    "subject:",
                    "an:",
                    "betreff:",
                    "à :",
                    "objet :",
                    "para:",
                    "asunto:",
                    "oggetto:",
                    "aan:",
                    "onderwerp:",
                ],
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(text: &str) -> Option<&str> {
        text_quote_start(text).map(|at| &text[at..])
    }

    #[test]
    fn finds_trailing_angle_quotes_with_their_attribution() {
        let gmail = "Thanks, that worked.\n\nOn Wed, Mar 4, 2026 at 5:00 PM Support <support@example.com> wrote:\n\n> Try again.\n>\n";
        assert_eq!(
            quoted(gmail),
            Some(
                "On Wed, Mar 4, 2026 at 5:00 PM Support <support@example.com> wrote:\n\n> Try again.\n>\n"
            )
        );
        let wrapped = "Yes.\r\nOn Wed, Mar 4, 2026 at 5:00 PM Support <\r\nsupport@example.com> wrote:\r\n> Try again.\r\n";
        assert!(quoted(wrapped).unwrap().starts_with("On Wed"));
        let bare = "New text\n> old text\n> more old text\n";
        assert_eq!(quoted(bare), Some("> old text\n> more old text\n"));
        let german = "Danke!\n\nAm 03.03.2026 um 10:00 schrieb Support <s@example.com>:\n> Hallo\n";
        assert!(quoted(german).unwrap().starts_with("Am 03.03.2026"));
        let apple = "The parcel never arrived.\n\n> On 2 Mar 2026, at 10:15, Shop <s@example.com> wrote:\n> \n> Shipped.\n";
        assert!(quoted(apple).unwrap().starts_with("> On 2 Mar"));
    }

    #[test]
    fn finds_outlook_separators_and_header_blocks() {
        let original = "Please fix it.\r\n\r\n-----Original Message-----\r\nFrom: Support\r\nSent: Monday\r\n\r\nWe fixed it.\r\n";
        assert!(
            quoted(original)
                .unwrap()
                .starts_with("-----Original Message-----")
        );
        let header = "Please fix it.\n\nFrom: Support <support@example.com>\nSent: Monday, March 2, 2026 4:01 PM\nTo: Jörg\nSubject: Invoice\n\nWe fixed it.\n";
        assert!(quoted(header).unwrap().starts_with("From: Support"));
        let underline = "OK\n\n________________________________\nVon: Support\nGesendet: Montag\nAn: Jörg\nBetreff: Rechnung\n\nText\n";
        assert!(quoted(underline).unwrap().starts_with("____"));
        let bold = "OK\n\n**From:** Support\n**Sent:** Monday\n**Subject:** Invoice\n\nOld\n";
        assert!(quoted(bold).unwrap().starts_with("**From:**"));
        let german = "Gut.\n\n-----Ursprüngliche Nachricht-----\nVon: Support\n";
        assert!(quoted(german).is_some());
    }

    #[test]
    fn leaves_new_text_alone() {
        // Answers between quoted lines are new text: only the tail collapses.
        let inline = "On Monday Support wrote:\n> Is it on?\nYes.\n> Which model?\nThe X1.\n\n> Anything else?\n";
        assert_eq!(quoted(inline), Some("> Anything else?\n"));
        // Nothing new above the quote: nothing to collapse it under.
        assert_eq!(quoted("> only a quote\n"), None);
        assert_eq!(quoted("\n\nOn Monday Support wrote:\n> hi\n"), None);
        // Ordinary text that merely mentions the words.
        assert_eq!(
            quoted("On Monday I wrote to you twice.\nNo answer.\n"),
            None
        );
        assert_eq!(quoted("From: my phone\nStill broken.\n"), None);
        assert_eq!(quoted("a > b is true\n"), None);
        assert_eq!(quoted(""), None);
        // "Forwarded message" is content, not history.
        let forward = "FYI\n---------- Forwarded message ---------\nFrom: bank\nDate: today\nSubject: charge\n\nA charge.\n";
        assert_eq!(quoted(forward), None);
    }

    #[test]
    fn finds_html_quote_markers() {
        let cases = [
            (
                r#"<div dir="ltr">Thanks</div><div class="gmail_quote"><div class="gmail_attr">On Mon wrote:</div><blockquote class="gmail_quote">old</blockquote></div>"#,
                r#"<div class="gmail_quote">"#,
            ),
            (
                r#"New<div><br><blockquote type="cite"><div>On Mon wrote:</div>old</blockquote></div>"#,
                r#"<blockquote type="cite">"#,
            ),
            (
                r#"<p>New</p><div class="moz-cite-prefix">On Mon wrote:<br></div><blockquote type="cite">old</blockquote>"#,
                r#"<div class="moz-cite-prefix">"#,
            ),
            (
                r#"<p>New</p><hr><div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Support</div><div>old</div>"#,
                r#"<div id="divRplyFwdMsg""#,
            ),
            (
                r#"<p class=MsoNormal>New</p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p><b>From:</b> Support</p></div><p>old</p>"#,
                r#"<div style="border:none;border-top"#,
            ),
            (
                r#"<div>New</div><div class="yahoo_quoted">old</div>"#,
                r#"<div class="yahoo_quoted">"#,
            ),
        ];
        for (html, marker) in cases {
            let at = html_quote_start(html).unwrap_or_else(|| panic!("no quote in {html}"));
            assert!(html[at..].starts_with(marker), "{html}: {}", &html[at..]);
        }
    }

    #[test]
    fn leaves_html_without_trailing_history_alone() {
        // An inline answer after a cited block.
        let inline = r#"<blockquote type="cite">Is it on?</blockquote>Yes, it is.<blockquote type="cite">Model?</blockquote>X1"#;
        assert_eq!(html_quote_start(inline), None);
        // A quote with nothing new above it.
        assert_eq!(
            html_quote_start(r#"<html><body><div class="gmail_quote">old</div></body></html>"#),
            None
        );
        assert_eq!(
            html_quote_start("<p>Just <b>text</b> &lt;div class=gmail_quote&gt;</p>"),
            None
        );
        assert_eq!(html_quote_start("<"), None);
        assert_eq!(html_quote_start("<<div"), None);
    }
}
