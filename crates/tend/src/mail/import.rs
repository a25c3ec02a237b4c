//! `tend mail import`: files `.eml` files, mbox files and Maildir folders
//! into an inbox, for migrations and for operators. Messages are filed
//! concurrently, so their commits are shared, and each gets a line of output.

use super::deliver;
use std::collections::VecDeque;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use tend_store::Store;
use tend_store::email::{Inbox, IngestOutcome};
use tokio::task::JoinSet;

/// Messages filed at once.
const IN_FLIGHT: usize = 64;

/// One message to import and where it came from.
struct Source {
    label: String,
    raw: Vec<u8>,
}

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub new_cases: usize,
    pub threaded: usize,
    pub duplicates: usize,
    pub failed: usize,
}

impl Summary {
    /// Messages filed (new, threaded or already there).
    pub fn imported(&self) -> usize {
        self.new_cases + self.threaded + self.duplicates
    }
}

/// Imports every message under `paths` into `inbox`, writing a line per
/// message and a summary to `out`.
pub async fn import(
    store: &Store,
    inbox: &Inbox,
    paths: &[PathBuf],
    out: &mut impl Write,
) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    let mut queue: VecDeque<Source> = VecDeque::new();
    let mut running = JoinSet::new();
    for path in paths {
        match sources(path) {
            Ok(found) => queue.extend(found),
            Err(e) => {
                summary.failed += 1;
                writeln!(out, "FAIL {}: {e}", path.display())?;
            }
        }
        while let Some(source) = queue.pop_front() {
            if running.len() >= IN_FLIGHT {
                report(running.join_next().await, &mut summary, out)?;
            }
            let (store, inbox) = (store.clone(), inbox.clone());
            running.spawn(async move {
                let filed = deliver(&store, &inbox, source.raw, None, None).await;
                (source.label, filed)
            });
        }
    }
    while !running.is_empty() {
        report(running.join_next().await, &mut summary, out)?;
    }
    writeln!(
        out,
        "{} imported ({} new cases, {} added to cases, {} already there), {} failed",
        summary.imported(),
        summary.new_cases,
        summary.threaded,
        summary.duplicates,
        summary.failed
    )?;
    Ok(summary)
}

type Finished = Option<
    Result<
        (
            String,
            Result<tend_store::email::Ingested, tend_store::StoreError>,
        ),
        tokio::task::JoinError,
    >,
>;

fn report(done: Finished, summary: &mut Summary, out: &mut impl Write) -> std::io::Result<()> {
    match done {
        Some(Ok((label, Ok(filed)))) => {
            let what = match filed.outcome {
                IngestOutcome::NewCase | IngestOutcome::FollowUp => {
                    summary.new_cases += 1;
                    "new case"
                }
                IngestOutcome::Threaded | IngestOutcome::Reopened => {
                    summary.threaded += 1;
                    "added to case"
                }
                IngestOutcome::Bounced => {
                    summary.threaded += 1;
                    "bounce report for a reply on case"
                }
                IngestOutcome::Duplicate => {
                    summary.duplicates += 1;
                    "already there, case"
                }
            };
            writeln!(out, "ok   {label}: {what} #{}", filed.case_id)
        }
        Some(Ok((label, Err(e)))) => {
            summary.failed += 1;
            writeln!(out, "FAIL {label}: {e}")
        }
        Some(Err(e)) => {
            summary.failed += 1;
            writeln!(out, "FAIL a message: {e}")
        }
        None => Ok(()),
    }
}

/// The messages at `path`: a Maildir folder, an mbox file or one message.
fn sources(path: &Path) -> std::io::Result<Vec<Source>> {
    if path.is_dir() {
        return maildir(path);
    }
    let data = std::fs::read(path)?;
    if data.starts_with(b"From ") {
        let label = path.display().to_string();
        let mut found = Vec::new();
        for (i, message) in
            mail_parser::mailbox::mbox::MessageIterator::new(BufReader::new(data.as_slice()))
                .enumerate()
        {
            found.push(Source {
                label: format!("{label} message {}", i + 1),
                raw: message?.unwrap_contents(),
            });
        }
        return Ok(found);
    }
    Ok(vec![Source {
        label: path.display().to_string(),
        raw: data,
    }])
}

/// Every message in a Maildir's `new` and `cur` folders, by file name.
fn maildir(path: &Path) -> std::io::Result<Vec<Source>> {
    let folders: Vec<PathBuf> = ["new", "cur"]
        .iter()
        .map(|f| path.join(f))
        .filter(|p| p.is_dir())
        .collect();
    if folders.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a folder must be a Maildir (with new/ or cur/)",
        ));
    }
    let mut files = Vec::new();
    for folder in folders {
        for entry in std::fs::read_dir(folder)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|file| {
            Ok(Source {
                label: file.display().to_string(),
                raw: std::fs::read(&file)?,
            })
        })
        .collect()
}
