//! Files sent uuencoded inside a text body (`begin 644 name` ... `end`), as
//! old mail programs and some scanners still do: each block becomes a file
//! of its own and leaves the text. One pass over the text.

/// Most uuencoded files taken from one text; later blocks stay text.
const MAX_FILES: usize = 100;

/// A file found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UuFile {
    pub name: String,
    pub data: Vec<u8>,
}

/// `text` without its uuencoded blocks, and the files they held. A block
/// that is not well formed (no `end`, a line that is not uuencoding) stays
/// in the text.
pub fn extract(text: &str) -> (String, Vec<UuFile>) {
    if !text.contains("begin ") {
        return (text.to_owned(), Vec::new());
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut kept = String::with_capacity(text.len());
    let mut files = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let begin = (files.len() < MAX_FILES)
            .then(|| file_name(lines[i]))
            .flatten();
        let Some(name) = begin else {
            kept.push_str(lines[i]);
            i += 1;
            continue;
        };
        match block(&lines[i + 1..]) {
            Ok((data, used)) => {
                files.push(UuFile { name, data });
                i += 1 + used;
            }
            Err(read) => {
                // Resume after the lines already looked at: they hold no
                // `begin` (a `begin` line is no uuencoding), so each line
                // is read at most twice.
                for line in &lines[i..=i + read] {
                    kept.push_str(line);
                }
                i += 1 + read;
            }
        }
    }
    (kept, files)
}

/// The file name of a `begin <mode> <name>` line.
fn file_name(line: &str) -> Option<String> {
    let rest = line.trim_end().strip_prefix("begin ")?;
    let (mode, name) = rest.split_once(' ')?;
    let is_mode = (3..=4).contains(&mode.len()) && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
    let name = super::part_names::sanitize(name);
    (is_mode && !name.is_empty()).then_some(name)
}

/// Decodes the lines after a `begin` line up to `end`: the data and the
/// number of lines used (with `end`), or the number of lines read before
/// the block proved not to be one.
fn block(lines: &[&str]) -> Result<(Vec<u8>, usize), usize> {
    let mut data = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let line = line.trim_end_matches(['\r', '\n']);
        if line == "end" {
            return Ok((data, at + 1));
        }
        if !decode_line(line, &mut data) {
            return Err(at);
        }
    }
    Err(lines.len())
}

/// Appends one uuencoded line's bytes to `out`; false when it is not one.
fn decode_line(line: &str, out: &mut Vec<u8>) -> bool {
    let bytes = line.as_bytes();
    let Some((&count, body)) = bytes.split_first() else {
        // Some encoders leave the final empty line out or blank.
        return true;
    };
    if !(32..=96).contains(&count) || !body.iter().all(|b| (32..=96).contains(b)) {
        return false;
    }
    let count = usize::from((count - 32) & 63);
    let sextet = |b: u8| (b - 32) & 63;
    let mut decoded = Vec::with_capacity(body.len() / 4 * 3);
    for group in body.chunks(4) {
        let mut s = [0u8; 4];
        for (slot, &b) in s.iter_mut().zip(group) {
            *slot = sextet(b);
        }
        decoded.push((s[0] << 2) | (s[1] >> 4));
        decoded.push((s[1] << 4) | (s[2] >> 2));
        decoded.push((s[2] << 6) | s[3]);
    }
    if decoded.len() < count {
        return false;
    }
    out.extend_from_slice(&decoded[..count]);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn takes_files_out_of_the_text() {
        // "Cat" and "hello world\n", as uuencode(1) writes them.
        let text = "See the files.\r\n\r\nbegin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\n\
                    Between.\nbegin 600 hello.txt\n,:&5L;&\\@=V]R;&0*\n`\nend\nAfter.\n";
        let (kept, files) = extract(text);
        assert_eq!(kept, "See the files.\r\n\r\nBetween.\nAfter.\n");
        assert_eq!(
            files[0],
            UuFile {
                name: "cat.txt".into(),
                data: b"Cat".to_vec()
            }
        );
        assert_eq!(files[1].name, "hello.txt");
        assert_eq!(files[1].data, b"hello world\n");
    }

    #[test]
    fn leaves_what_is_not_a_block() {
        for text in [
            "begin 644 a.txt\n#0V%T\n",
            "begin here we go\nend\n",
            "begin 644 a.txt\nnot uuencoding at all\nend\n",
            "Let us begin 644 a.txt\nend\n",
        ] {
            assert_eq!(extract(text), (text.to_owned(), Vec::new()), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn never_loses_text_it_does_not_take(lines in proptest::collection::vec("(begin 644 x|end|`|#0V%T|[a-z ]{0,12})", 0..60)) {
            let text = lines.join("\n");
            let (kept, files) = extract(&text);
            prop_assert!(kept.len() <= text.len());
            if files.is_empty() {
                prop_assert_eq!(kept, text);
            }
        }
    }
}
