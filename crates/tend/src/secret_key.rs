//! The key that seals secrets at rest (agents' TOTP seeds, IMAP passwords):
//! where it comes from, loading it once at start-up, and `tend secrets
//! rotate`, which moves every secret to a new key. The sealing itself is
//! `tend_store::secrets`. See docs/security.md.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use tend_store::Store;
use tend_store::secrets::{KEY_FILE, Keyring, SecretKey};

/// Where the key comes from, strongest first: `TEND_SECRET_KEY`,
/// `--secret-key-file`, else `secret.key` in the data directory.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The key itself, in base64, from `TEND_SECRET_KEY`.
    Env(String),
    /// A file holding the key in base64 (`--secret-key-file`); it must exist.
    File(PathBuf),
    /// `secret.key` in this data directory, created with a fresh random key
    /// on first start.
    DataDir(PathBuf),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env(_) => f.write_str("TEND_SECRET_KEY (***)"),
            KeySource::File(path) => write!(f, "file {}", path.display()),
            KeySource::DataDir(dir) => write!(f, "file {}", dir.join(KEY_FILE).display()),
        }
    }
}

/// The name a rotation writes the new key under in the data directory,
/// until every secret is sealed with it.
const NEW_KEY_FILE: &str = "secret.key.new";
/// The name the replaced key is kept under in the data directory.
const OLD_KEY_FILE: &str = "secret.key.old";

impl KeySource {
    /// Loads the key, creating the data directory's key file if it is
    /// missing. In the data directory, the keys a rotation left beside it
    /// (`secret.key.new` before the swap, `secret.key.old` after) open
    /// secrets too, so values a running server sealed during the rotation
    /// are not lost; start-up re-seals them with the current key.
    pub fn load(&self) -> anyhow::Result<Keyring> {
        match self {
            KeySource::Env(text) => Ok(Keyring::new(
                SecretKey::from_base64(text).context("TEND_SECRET_KEY")?,
            )),
            KeySource::File(path) => Ok(Keyring::new(SecretKey::read_file(path)?)),
            KeySource::DataDir(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create data directory {}", dir.display()))?;
                let path = dir.join(KEY_FILE);
                let (key, created) = SecretKey::read_or_create_file(&path)?;
                if created {
                    tracing::warn!(
                        "created the secret key {} (id {}); back it up apart from the database: \
                         the secrets it seals are lost without it",
                        path.display(),
                        key.id()
                    );
                }
                [NEW_KEY_FILE, OLD_KEY_FILE]
                    .iter()
                    .map(|name| dir.join(name))
                    .filter(|path| path.exists())
                    .try_fold(Keyring::new(key), |keys, path| {
                        Ok(keys.also_opening(SecretKey::read_file(&path)?))
                    })
            }
        }
    }
}

/// Moves every secret in `store` (opened with the current keys) to a new
/// key in one transaction, and answers what the operator is told.
///
/// With `new_key_file`, the new key is read from that file (written there
/// first, owner-only, when the file does not exist) and the operator swaps
/// keys. Without, the current key must be the data directory's
/// `secret.key`: the new key is written as `secret.key.new`, the secrets
/// re-sealed, the old key kept as `secret.key.old` and the new one moved
/// to `secret.key`. Each step can be run again after an interruption.
pub async fn rotate(
    store: &Store,
    source: &KeySource,
    new_key_file: Option<&Path>,
) -> anyhow::Result<String> {
    let (path, swap_in) = match (new_key_file, source) {
        (Some(path), _) => (path.to_path_buf(), None),
        (None, KeySource::DataDir(dir)) => (dir.join(NEW_KEY_FILE), Some(dir.as_path())),
        (None, _) => bail!(
            "the secret key comes from {source:?}, not the data directory: \
             give the new key with --new-key-file PATH"
        ),
    };
    let (new, _) = SecretKey::read_or_create_file(&path)?;
    let done = store.reseal_secrets(new.clone()).await?;
    let sealed = format!(
        "{} secrets re-sealed with key {} ({} already were)",
        done.changed,
        new.id(),
        done.unchanged
    );
    let Some(dir) = swap_in else {
        return Ok(format!(
            "{sealed}.\nNow stop Tend and start it with this key: \
             TEND_SECRET_KEY_FILE={} (or its contents in TEND_SECRET_KEY). \
             The old key no longer opens anything.",
            path.display()
        ));
    };
    let current = dir.join(KEY_FILE);
    let old = dir.join(OLD_KEY_FILE);
    // Copy, then rename over: secret.key exists at every moment.
    std::fs::copy(&current, &old)
        .with_context(|| format!("keeping the old key as {}", old.display()))?;
    std::fs::rename(&path, &current)
        .with_context(|| format!("moving {} to {}", path.display(), current.display()))?;
    Ok(format!(
        "{sealed}.\nThe new key is {}; the old one is kept as {} until you delete it. \
         Restart Tend now, and back up the new key apart from the database.",
        current.display(),
        old.display()
    ))
}
