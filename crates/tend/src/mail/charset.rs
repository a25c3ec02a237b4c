//! Raw 8-bit text in a legacy charset: headers (subjects, display names,
//! file names) sent unencoded in GB2312, Shift_JIS, ISO-8859-x or
//! Windows-125x instead of as RFC 2047 encoded words, and text bodies that
//! declare no charset. The parser reads such bytes as UTF-8 and turns them
//! into U+FFFD; [`utf8_copy`] finds them and gives a copy of the message with
//! them decoded into UTF-8, to be parsed again. Bytes are decoded with the
//! part's declared charset, else the first charset the message declares,
//! else by detection; U+FFFD stays only where nothing fits. Linear in the
//! size of the message.

use chardetng::EncodingDetector;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use mail_parser::{Encoding as TransferEncoding, Message, MessagePart, MimeHeaders, PartType};
use std::borrow::Cow;

/// A stretch of the raw message that is not UTF-8, with the charset its
/// part declares.
struct Stretch<'a> {
    start: usize,
    end: usize,
    charset: Option<&'a str>,
}

/// A copy of `m`'s raw source with every header block (and every text body
/// without a declared charset) that is not UTF-8 decoded into UTF-8; `None`
/// when all of them are UTF-8 already, as in almost all mail. Parts of a
/// message attached in base64 keep their bytes (they are another buffer).
pub fn utf8_copy(m: &Message<'_>) -> Option<Vec<u8>> {
    let raw: &[u8] = &m.raw_message;
    let mut stretches = Vec::new();
    let mut declared = None;
    let mut messages = vec![m];
    while let Some(message) = messages.pop() {
        for part in &message.parts {
            let charset = part_charset(part);
            declared = declared.or(charset);
            let header = part.offset_header as usize..part.offset_body as usize;
            if raw.get(header.clone()).is_some_and(not_utf8) {
                stretches.push(Stretch {
                    start: header.start,
                    end: header.end,
                    charset,
                });
            }
            match &part.body {
                PartType::Message(nested) if same_buffer(&nested.raw_message, raw) => {
                    messages.push(nested);
                }
                PartType::Text(_) | PartType::Html(_)
                    if charset.is_none() && part.encoding == TransferEncoding::None =>
                {
                    let body = part.offset_body as usize..part.offset_end as usize;
                    if raw.get(body.clone()).is_some_and(not_utf8) {
                        stretches.push(Stretch {
                            start: body.start,
                            end: body.end,
                            charset: None,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    if stretches.is_empty() {
        return None;
    }
    stretches.sort_by_key(|s| s.start);
    // One guess for the whole message: its legacy text is in one charset,
    // and a guess from all of it beats one from a short subject.
    let mut detector = EncodingDetector::new();
    for s in &stretches {
        detector.feed(&raw[s.start..s.end], false);
    }
    detector.feed(&[], true);
    let guess = detector.guess(None, false);
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 4);
    let mut at = 0;
    for s in stretches.iter().filter(|s| s.end <= raw.len()) {
        if s.start < at {
            continue;
        }
        out.extend_from_slice(&raw[at..s.start]);
        let labels = [s.charset, declared].into_iter().flatten();
        out.extend_from_slice(decode(&raw[s.start..s.end], labels, guess).as_bytes());
        at = s.end;
    }
    out.extend_from_slice(&raw[at..]);
    Some(out)
}

/// `bytes` as text: as they are when UTF-8, else in the first of `declared`
/// that decodes them without error, else in `guess` (U+FFFD for what does
/// not fit it).
pub fn decode<'b, 'l>(
    bytes: &'b [u8],
    declared: impl IntoIterator<Item = &'l str>,
    guess: &'static Encoding,
) -> Cow<'b, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(text);
    }
    let legacy = declared
        .into_iter()
        .filter_map(|label| Encoding::for_label(label.trim().as_bytes()))
        .filter(usable);
    for encoding in legacy {
        if let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(bytes) {
            return text;
        }
    }
    let guess = if usable(&guess) { guess } else { WINDOWS_1252 };
    guess.decode_without_bom_handling(bytes).0
}

/// A charset that can stand for raw 8-bit bytes in a header: one that keeps
/// ASCII as it is (so the header's structure survives), other than UTF-8.
fn usable(encoding: &&'static Encoding) -> bool {
    encoding.is_ascii_compatible() && *encoding != UTF_8
}

fn part_charset<'a>(part: &'a MessagePart<'_>) -> Option<&'a str> {
    part.content_type()?.attribute("charset")
}

fn not_utf8(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_err()
}

/// Whether a nested message's offsets point into `raw` (an attached message
/// sent as it is) rather than into a decoded copy of its own.
fn same_buffer(nested: &[u8], raw: &[u8]) -> bool {
    std::ptr::eq(nested.as_ptr(), raw.as_ptr()) && nested.len() == raw.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;
    use proptest::prelude::*;

    fn encoded(label: &str, text: &str) -> Vec<u8> {
        let (bytes, _, failed) = Encoding::for_label(label.as_bytes()).unwrap().encode(text);
        assert!(!failed, "{text} fits {label}");
        bytes.into_owned()
    }

    fn reparsed_subject(raw: &[u8]) -> String {
        let m = MessageParser::default().parse(raw).unwrap();
        let copy = utf8_copy(&m).unwrap();
        let m = MessageParser::default().parse(&copy).unwrap();
        m.subject().unwrap().to_owned()
    }

    #[test]
    fn detects_legacy_subjects_without_a_declared_charset() {
        for (label, subject) in [
            ("gb2312", "关于发票的问题，请尽快回复"),
            ("shift_jis", "請求書についての問い合わせです"),
            ("windows-1251", "Вопрос по счёту за прошлый месяц"),
            (
                "iso-8859-2",
                "Dziękuję za szybką odpowiedź, proszę o fakturę",
            ),
        ] {
            let mut raw = b"From: a@example.org\r\nSubject: ".to_vec();
            raw.extend(encoded(label, subject));
            raw.extend(b"\r\n\r\nbody\r\n");
            assert_eq!(reparsed_subject(&raw), subject, "{label}");
        }
    }

    #[test]
    fn a_declared_charset_wins_and_utf8_is_left_alone() {
        let mut raw = b"From: a@example.org\r\nSubject: ".to_vec();
        raw.extend(encoded("koi8-r", "Счёт"));
        raw.extend(b"\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\nbody\r\n");
        assert_eq!(reparsed_subject(&raw), "Счёт");
        let utf8 = "From: a@example.org\r\nSubject: Grüße\r\n\r\nbody\r\n";
        let m = MessageParser::default().parse(utf8).unwrap();
        assert!(utf8_copy(&m).is_none());
    }

    #[test]
    fn a_text_body_without_charset_is_decoded_but_base64_parts_are_not() {
        let mut raw = b"From: a@example.org\r\nSubject: x\r\n\r\n".to_vec();
        raw.extend(encoded("windows-1252", "Le colis est arrivé cassé."));
        let m = MessageParser::default().parse(&raw).unwrap();
        let copy = utf8_copy(&m).unwrap();
        let m = MessageParser::default().parse(&copy).unwrap();
        assert_eq!(m.body_text(0).unwrap(), "Le colis est arrivé cassé.");
    }

    proptest! {
        #[test]
        fn utf8_is_returned_as_it_is(text in ".*") {
            prop_assert_eq!(decode(text.as_bytes(), ["gbk"], WINDOWS_1252), text.as_str());
        }

        #[test]
        fn a_declared_charset_round_trips(text in "[a-zA-Z0-9 àáâäçèéêëìíîïñòóôöùúûüÀÉÈÇ]{0,80}") {
            let bytes = encoded("iso-8859-1", &text);
            prop_assert_eq!(decode(&bytes, ["iso-8859-1"], WINDOWS_1252), text.as_str());
        }

        #[test]
        fn any_bytes_decode_to_text_of_bounded_length(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut detector = EncodingDetector::new();
            detector.feed(&bytes, true);
            let text = decode(&bytes, ["shift_jis", "nonsense"], detector.guess(None, false));
            // Every byte becomes at most one character.
            prop_assert!(text.chars().count() <= bytes.len());
        }

        #[test]
        fn any_message_copy_parses(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut raw = b"Subject: ".to_vec();
            raw.extend(bytes);
            if let Some(m) = MessageParser::default().parse(&raw)
                && let Some(copy) = utf8_copy(&m)
            {
                let again = MessageParser::default().parse(&copy);
                prop_assert!(again.is_some());
            }
        }
    }
}
