//! The corpus of real-world and tricky messages (`tests/corpus/`), each
//! delivered through a real SMTP session: every one is accepted and stored
//! with its raw source, and what `manifest.toml` expects of it holds.

use crate::email::{messages, send, server_with_limit};
use crate::harness::{Backend, TestServer};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

crate::both_backends!(every_corpus_message_is_stored_as_expected);

/// What the manifest says about one corpus file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    file: String,
    from: Option<String>,
    subject: Option<String>,
    /// The subject's length in characters (for subjects too long to list).
    subject_chars: Option<usize>,
    /// Snippets the text body contains.
    #[serde(default)]
    text: Vec<String>,
    /// Snippets the sanitised HTML contains, and ones it must not.
    #[serde(default)]
    html: Vec<String>,
    #[serde(default)]
    html_lacks: Vec<String>,
    /// Every attachment, in order, as `filename content/type`.
    attachments: Option<Vec<String>>,
    /// The size in bytes of every attachment, in the same order.
    attachment_sizes: Option<Vec<i64>>,
    /// Snippets of the quoted history below the new text; `[]` expects none.
    quoted: Option<Vec<String>>,
    automated: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    message: Vec<Expect>,
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Every message file in the corpus, by name.
fn corpus() -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

async fn raw(t: &TestServer, message: i64) -> Vec<u8> {
    let r = t
        .http
        .get(format!("{}/api/v1/messages/{message}/raw", t.base))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.unwrap().to_vec()
}

async fn every_corpus_message_is_stored_as_expected(b: Backend) {
    let t = server_with_limit(b, 1024 * 1024).await;
    let files = corpus();
    assert!(files.len() >= 70, "the corpus is {} files", files.len());
    for (name, bytes) in &files {
        let answer = send(&t, "corpus@example.net", "support@example.com", bytes).await;
        assert!(answer.is_ok(), "{name}: {answer:?}");
    }
    // Nothing lost: each file is exactly one stored message, raw source kept.
    let mut stored: BTreeMap<String, Value> = BTreeMap::new();
    for case in t.all("/api/v1/cases").await {
        for m in messages(&t, case["id"].as_i64().unwrap()).await {
            assert_eq!(m["email"]["has_raw"], true, "{m}");
            let kept = raw(&t, m["id"].as_i64().unwrap()).await;
            // (lettre ends DATA with a CRLF of its own when the file lacks one.)
            let name = files
                .iter()
                .find(|(_, f)| f.trim_ascii_end() == kept.trim_ascii_end())
                .map(|(n, _)| n.clone())
                .unwrap_or_else(|| {
                    panic!(
                        "message {} matches no corpus file: {:?}",
                        m["id"],
                        String::from_utf8_lossy(&kept[..kept.len().min(300)])
                    )
                });
            invariants(&name, &m);
            assert!(stored.insert(name.clone(), m).is_none(), "{name} twice");
        }
    }
    assert_eq!(stored.len(), files.len(), "every file is one message");

    let manifest: Manifest =
        toml::from_str(&std::fs::read_to_string(corpus_dir().join("manifest.toml")).unwrap())
            .unwrap();
    assert!(manifest.message.len() >= 60);
    for e in &manifest.message {
        let m = stored
            .get(&e.file)
            .unwrap_or_else(|| panic!("{} is not in the corpus", e.file));
        check(e, m);
    }
}

/// What holds for every message, listed in the manifest or not: safe HTML
/// without unresolved `cid:` references, and quoted history that is the end
/// of its body.
fn invariants(file: &str, m: &Value) {
    if let Some(html) = m["body_html"].as_str() {
        let lower = html.to_lowercase();
        for hostile in ["<script", "onerror", "javascript:", "cid:", "<style"] {
            assert!(
                !lower.contains(hostile),
                "{file}: html has {hostile}: {html}"
            );
        }
        if let Some(quoted) = m["quoted_html"].as_str() {
            assert!(
                html.ends_with(quoted) && quoted.len() < html.len(),
                "{file}"
            );
        }
    }
    if let Some(quoted) = m["quoted_text"].as_str() {
        let text = m["body_text"].as_str().unwrap();
        assert!(
            text.ends_with(quoted) && quoted.len() < text.len(),
            "{file}"
        );
    }
}

fn check(e: &Expect, m: &Value) {
    let file = &e.file;
    if let Some(from) = &e.from {
        assert_eq!(m["email"]["from"], from.as_str(), "{file}: from");
    }
    if let Some(subject) = &e.subject {
        assert_eq!(m["email"]["subject"], subject.as_str(), "{file}: subject");
    }
    if let Some(chars) = e.subject_chars {
        let subject = m["email"]["subject"].as_str().unwrap();
        assert_eq!(subject.chars().count(), chars, "{file}: subject length");
    }
    let text = m["body_text"].as_str().unwrap();
    for snippet in &e.text {
        assert!(
            text.contains(snippet.as_str()),
            "{file}: text lacks {snippet:?}: {text:?}"
        );
    }
    let html = m["body_html"].as_str().unwrap_or_default();
    for snippet in &e.html {
        assert!(
            html.contains(snippet.as_str()),
            "{file}: html lacks {snippet:?}: {html}"
        );
    }
    for snippet in &e.html_lacks {
        assert!(
            !html.contains(snippet.as_str()),
            "{file}: html has {snippet:?}: {html}"
        );
    }
    if let Some(expected) = &e.attachments {
        let found: Vec<String> = m["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                format!(
                    "{} {}",
                    a["filename"].as_str().unwrap(),
                    a["content_type"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(&found, expected, "{file}: attachments");
    }
    if let Some(expected) = &e.attachment_sizes {
        let sizes: Vec<i64> = m["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["size"].as_i64().unwrap())
            .collect();
        assert_eq!(&sizes, expected, "{file}: attachment sizes");
    }
    if let Some(snippets) = &e.quoted {
        let quoted = m["quoted_text"].as_str();
        if snippets.is_empty() {
            assert_eq!(quoted, None, "{file}: quoted text");
        }
        for snippet in snippets {
            let quoted = quoted.unwrap_or_else(|| panic!("{file}: no quoted text in {m}"));
            assert!(
                quoted.contains(snippet.as_str()),
                "{file}: quoted lacks {snippet:?}: {quoted:?}"
            );
            assert!(
                text.ends_with(quoted),
                "{file}: quoted text is the end of the text"
            );
        }
    }
    if let Some(automated) = e.automated {
        assert_eq!(m["email"]["automated"], automated, "{file}: automated");
    }
}
