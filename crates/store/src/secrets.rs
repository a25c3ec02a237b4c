//! Secrets sealed at rest: the TOTP seeds, IMAP passwords and OAuth client
//! secrets and tokens Tend must keep
//! in a form it can read back, encrypted with a key that lives outside the
//! database (a key file or the environment), so a copy of the database alone
//! does not give them away.
//!
//! A sealed value is text, `v1:<key id>:<base64url(nonce ‖ ciphertext)>`:
//! XChaCha20-Poly1305 with a random 24-byte nonce per value, the column it
//! belongs to as associated data (a value copied into another column does
//! not open). The key id names the key that sealed it, so a rotation can
//! tell old values from new ones. Text without the `v1:` prefix is a value
//! from before sealing, which start-up seals (see [`Store::seal_plaintext_secrets`]).

use crate::tx::{Tx, args};
use crate::{Result, Store};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "secret.key";

/// The prefix of every sealed value, naming the format.
const VERSION: &str = "v1:";
/// Key length in bytes.
const KEY_BYTES: usize = 32;
/// Nonce length in bytes (XChaCha20's extended nonce: safe to pick at random).
const NONCE_BYTES: usize = 24;

/// What can go wrong with keys and sealed values.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The key text is not 32 bytes in base64.
    #[error("the secret key must be 32 random bytes in base64 (44 characters): {0}")]
    BadKey(String),
    /// A key file could not be read or written.
    #[error("secret key file {path}: {why}")]
    KeyFile { path: String, why: String },
    /// A value names a key that is not loaded.
    #[error(
        "a stored secret was sealed with key {0}, which is not loaded; start Tend with that key"
    )]
    UnknownKey(String),
    /// A value does not open with its key: changed, or sealed for another column.
    #[error("a stored secret does not open with key {0}: it was altered or the key is wrong")]
    Tampered(String),
    /// A value starts like a sealed one but is not.
    #[error("a stored secret is malformed")]
    Malformed,
    /// Encryption failed (only possible for values beyond 256 GiB).
    #[error("a secret could not be sealed")]
    Seal,
    /// The store was opened without a key.
    #[error("no secret key is loaded, so secrets cannot be sealed or opened")]
    NoKey,
}

/// A 256-bit key. `Debug` shows only its id.
#[derive(Clone)]
pub struct SecretKey {
    id: String,
    bytes: [u8; KEY_BYTES],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({}, ***)", self.id)
    }
}

impl SecretKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        // The id is a hash of the key: the same key always has the same id,
        // and the id tells nothing about the key.
        let digest = Sha256::new()
            .chain_update(b"tend secret key id\0")
            .chain_update(bytes)
            .finalize();
        let id = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        SecretKey { id, bytes }
    }

    /// Parses a key from standard base64 (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        let decoded = STANDARD
            .decode(text.trim())
            .map_err(|e| SecretError::BadKey(e.to_string()))?;
        let bytes = <[u8; KEY_BYTES]>::try_from(decoded.as_slice())
            .map_err(|_| SecretError::BadKey(format!("it decodes to {} bytes", decoded.len())))?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key in standard base64, as key files and `TEND_SECRET_KEY` hold it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.bytes)
    }

    /// The key's id, written into every value it seals.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Reads the key file at `path`.
    pub fn read_file(path: &Path) -> Result<Self, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|e| key_file_error(path, e))?;
        Self::from_base64(&text).map_err(|e| SecretError::KeyFile {
            path: path.display().to_string(),
            why: e.to_string(),
        })
    }

    /// Reads the key file at `path`, first writing a fresh key there if
    /// there is no file yet. Answers the key and whether it was created.
    pub fn read_or_create_file(path: &Path) -> Result<(Self, bool), SecretError> {
        if path.exists() {
            return Ok((Self::read_file(path)?, false));
        }
        let key = Self::generate();
        write_new_file(path, &format!("{}\n", key.to_base64()))
            .map_err(|e| key_file_error(path, e))?;
        Ok((key, true))
    }
}

fn key_file_error(path: &Path, e: std::io::Error) -> SecretError {
    SecretError::KeyFile {
        path: path.display().to_string(),
        why: e.to_string(),
    }
}

/// Writes `text` to a file that must not exist yet, readable by its owner
/// only, synced to disk before answering.
fn write_new_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// The keys a store seals with (the current one) and opens with (the
/// current one and any others loaded, e.g. during a rotation).
#[derive(Clone, Debug)]
pub struct Keyring {
    current: SecretKey,
    others: Vec<SecretKey>,
}

impl Keyring {
    /// A keyring sealing and opening with `current`.
    pub fn new(current: SecretKey) -> Self {
        Keyring {
            current,
            others: Vec::new(),
        }
    }

    /// Also opens values sealed with `key`.
    pub fn also_opening(mut self, key: SecretKey) -> Self {
        if key.id != self.current.id {
            self.others.push(key);
        }
        self
    }

    /// The key new values are sealed with.
    pub fn current(&self) -> &SecretKey {
        &self.current
    }

    /// Seals `plaintext` for `column` (e.g. `inboxes.imap_password`).
    pub fn seal(&self, column: &str, plaintext: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(&self.current.bytes.into());
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: column.as_bytes(),
        };
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .map_err(|_| SecretError::Seal)?;
        let mut body = nonce.to_vec();
        body.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}{}:{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(body)
        ))
    }

    /// Opens a value sealed for `column` with any key on the ring.
    pub fn open(&self, column: &str, sealed: &str) -> Result<String, SecretError> {
        let (id, body) = sealed_parts(sealed)?;
        let key = std::iter::once(&self.current)
            .chain(&self.others)
            .find(|k| k.id == id)
            .ok_or_else(|| SecretError::UnknownKey(id.to_owned()))?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SecretError::Malformed)?;
        if body.len() < NONCE_BYTES {
            return Err(SecretError::Malformed);
        }
        let (nonce, ciphertext) = body.split_at(NONCE_BYTES);
        let cipher = XChaCha20Poly1305::new(&key.bytes.into());
        let payload = Payload {
            msg: ciphertext,
            aad: column.as_bytes(),
        };
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| SecretError::Tampered(id.to_owned()))?;
        String::from_utf8(plain).map_err(|_| SecretError::Tampered(id.to_owned()))
    }
}

/// HMAC-SHA256, for signed links.
type HmacSha256 = hmac::Hmac<Sha256>;

/// The MAC of `message` for `purpose` under `key`, keyed not with the
/// sealing key itself but with one derived from it for signing.
fn mac(key: &SecretKey, purpose: &str, message: &[u8]) -> HmacSha256 {
    use hmac::Mac;
    let derived = keyed(&key.bytes)
        .chain_update(b"tend signing key v1")
        .finalize()
        .into_bytes();
    keyed(&derived)
        .chain_update(purpose.as_bytes())
        .chain_update([0])
        .chain_update(message)
}

/// HMAC-SHA256 keyed with 32 bytes (zero-padded to the block, as HMAC does).
fn keyed(key: &[u8]) -> HmacSha256 {
    let mut block = [0u8; 64];
    block[..key.len().min(64)].copy_from_slice(&key[..key.len().min(64)]);
    <HmacSha256 as hmac::digest::KeyInit>::new(&block.into())
}

impl Keyring {
    /// Signs `message` for `purpose` (e.g. `survey`) with the current key:
    /// 32 bytes that only the holder of the key can make.
    pub fn sign(&self, purpose: &str, message: &[u8]) -> Vec<u8> {
        use hmac::Mac;
        mac(&self.current, purpose, message)
            .finalize()
            .into_bytes()
            .to_vec()
    }

    /// Whether `signature` (all of a [`Keyring::sign`] result, or its first
    /// 16 or more bytes) signs `message` for `purpose` under any loaded key,
    /// compared in constant time.
    pub fn verify(&self, purpose: &str, message: &[u8], signature: &[u8]) -> bool {
        use hmac::Mac;
        signature.len() >= 16
            && std::iter::once(&self.current)
                .chain(&self.others)
                .any(|key| {
                    mac(key, purpose, message)
                        .verify_truncated_left(signature)
                        .is_ok()
                })
    }
}

/// Whether `stored` is a sealed value (rather than one from before sealing).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(VERSION)
}

/// A sealed value's key id and body.
fn sealed_parts(sealed: &str) -> Result<(&str, &str), SecretError> {
    sealed
        .strip_prefix(VERSION)
        .and_then(|rest| rest.split_once(':'))
        .ok_or(SecretError::Malformed)
}

/// A column holding secrets, with the key that names its rows.
pub(crate) struct SecretColumn {
    table: &'static str,
    key: &'static str,
    column: &'static str,
}

impl SecretColumn {
    /// The associated data a value of this column is sealed with.
    fn label(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }
}

/// Agents' TOTP seeds.
pub(crate) const TOTP_SECRET: SecretColumn = SecretColumn {
    table: "agent_totp",
    key: "agent_id",
    column: "secret",
};

/// Inboxes' IMAP passwords.
pub(crate) const IMAP_PASSWORD: SecretColumn = SecretColumn {
    table: "inboxes",
    key: "id",
    column: "imap_password",
};

/// Inboxes' OAuth client secrets.
pub(crate) const OAUTH_CLIENT_SECRET: SecretColumn = SecretColumn {
    table: "inbox_oauth",
    key: "inbox_id",
    column: "client_secret",
};

/// Inboxes' OAuth access tokens.
pub(crate) const OAUTH_ACCESS_TOKEN: SecretColumn = SecretColumn {
    table: "inbox_oauth",
    key: "inbox_id",
    column: "access_token",
};

/// Inboxes' OAuth refresh tokens.
pub(crate) const OAUTH_REFRESH_TOKEN: SecretColumn = SecretColumn {
    table: "inbox_oauth",
    key: "inbox_id",
    column: "refresh_token",
};

/// Webhooks' signing secrets.
pub(crate) const WEBHOOK_SECRET: SecretColumn = SecretColumn {
    table: "webhooks",
    key: "id",
    column: "secret",
};

/// Every column that holds a secret.
const SECRET_COLUMNS: [&SecretColumn; 6] = [
    &TOTP_SECRET,
    &IMAP_PASSWORD,
    &OAUTH_CLIENT_SECRET,
    &OAUTH_ACCESS_TOKEN,
    &OAUTH_REFRESH_TOKEN,
    &WEBHOOK_SECRET,
];

/// What a pass over the secret columns found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Values sealed (from clear) or re-sealed (from another key).
    pub changed: u64,
    /// Values already sealed with the wanted key.
    pub unchanged: u64,
    /// Values no loaded key opens (left as they are).
    pub unreadable: u64,
}

impl Store {
    /// This store with `keys` to seal and open secrets with.
    pub fn with_secrets(mut self, keys: Keyring) -> Self {
        self.secrets = Some(std::sync::Arc::new(keys));
        self
    }

    /// Signs `message` for `purpose` with the current secret key (see
    /// [`Keyring::sign`]).
    pub fn sign(&self, purpose: &str, message: &[u8]) -> Result<Vec<u8>> {
        Ok(self.keys()?.sign(purpose, message))
    }

    /// Whether `signature` signs `message` for `purpose` under a loaded key
    /// (see [`Keyring::verify`]).
    pub fn verify_signature(
        &self,
        purpose: &str,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool> {
        Ok(self.keys()?.verify(purpose, message, signature))
    }

    /// The keys loaded, or an error when the store was opened without.
    pub(crate) fn keys(&self) -> Result<&Keyring> {
        Ok(self.secrets.as_deref().ok_or(SecretError::NoKey)?)
    }

    /// Brings every secret under the current key, in one write transaction:
    /// seals values still in clear (from before Tend sealed secrets) and
    /// re-seals values of another loaded key (one a rotation replaced).
    /// Values no loaded key opens are counted and left alone, so a lost
    /// key costs its secrets, not the start. Run at start-up, after
    /// migrating.
    pub async fn seal_secrets(&self) -> Result<Resealed> {
        let keys = self.keys()?.clone();
        self.write(move |tx| Box::pin(reseal_all(tx, keys, false)))
            .await
    }

    /// Re-seals every secret with `new` (the store's keys opening the old
    /// values), in one write transaction: either every value moves to the
    /// new key or, when one does not open, none does. Values already
    /// sealed with `new` stay, so an interrupted rotation can run again.
    pub async fn reseal_secrets(&self, new: SecretKey) -> Result<Resealed> {
        let loaded = self.keys()?;
        let keys = std::iter::once(&loaded.current)
            .chain(&loaded.others)
            .fold(Keyring::new(new), |ring, key| {
                ring.also_opening(key.clone())
            });
        self.write(move |tx| Box::pin(reseal_all(tx, keys, true)))
            .await
    }
}

/// Seals every value of every secret column with `keys`' current key.
/// A value that no key opens fails the whole pass when `strict`, else it
/// is counted and left as it is.
async fn reseal_all(tx: &mut Tx, keys: Keyring, strict: bool) -> Result<Resealed> {
    let mut done = Resealed::default();
    for c in SECRET_COLUMNS {
        let label = c.label();
        let rows = tx
            .fetch_all(
                &format!(
                    "SELECT {key} AS k, {column} AS v FROM {table} WHERE {column} IS NOT NULL \
                     AND {column} <> $1 ORDER BY {key}",
                    key = c.key,
                    column = c.column,
                    table = c.table
                ),
                args![""],
            )
            .await?;
        for row in rows {
            let id = row.int("k")?;
            let stored = row.text("v")?;
            let plain = if is_sealed(&stored) {
                match keys.open(&label, &stored) {
                    Ok(_) if sealed_parts(&stored)?.0 == keys.current.id => {
                        done.unchanged += 1;
                        continue;
                    }
                    Ok(plain) => plain,
                    Err(e) if strict => return Err(e.into()),
                    Err(_) => {
                        done.unreadable += 1;
                        continue;
                    }
                }
            } else {
                stored
            };
            tx.execute(
                &format!(
                    "UPDATE {table} SET {column} = $1 WHERE {key} = $2",
                    table = c.table,
                    column = c.column,
                    key = c.key
                ),
                args![keys.seal(&label, &plain)?, id],
            )
            .await?;
            done.changed += 1;
        }
    }
    Ok(done)
}

/// Seals `plaintext` for `column` with the store's current key.
pub(crate) fn seal(store: &Store, column: &SecretColumn, plaintext: &str) -> Result<String> {
    Ok(store.keys()?.seal(&column.label(), plaintext)?)
}

/// Opens a stored `column` value: sealed values with the store's keys; a
/// value from before sealing (not yet sealed by start-up) as it is.
pub(crate) fn open(store: &Store, column: &SecretColumn, stored: String) -> Result<String> {
    if !is_sealed(&stored) {
        return Ok(stored);
    }
    Ok(store.keys()?.open(&column.label(), &stored)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMN: &str = "inboxes.imap_password";

    #[test]
    fn signatures_bind_key_purpose_and_message_and_survive_rotation() {
        let old = Keyring::new(SecretKey::generate());
        let signature = old.sign("link", b"case 1");
        assert_eq!(signature.len(), 32);
        assert!(old.verify("link", b"case 1", &signature));
        assert!(
            old.verify("link", b"case 1", &signature[..16]),
            "a prefix of 16 bytes"
        );
        assert!(
            !old.verify("link", b"case 1", &signature[..15]),
            "too short"
        );
        assert!(!old.verify("link", b"case 2", &signature));
        assert!(!old.verify("other", b"case 1", &signature));
        let mut flipped = signature.clone();
        flipped[0] ^= 1;
        assert!(!old.verify("link", b"case 1", &flipped));
        let stranger = Keyring::new(SecretKey::generate());
        assert!(!stranger.verify("link", b"case 1", &signature));
        // After a rotation the old key still verifies while it is loaded.
        let rotated = Keyring::new(SecretKey::generate()).also_opening(old.current().clone());
        assert!(rotated.verify("link", b"case 1", &signature));
        assert_ne!(rotated.sign("link", b"case 1"), signature);
    }

    #[test]
    fn seals_and_opens_with_a_fresh_nonce_each_time() {
        let keys = Keyring::new(SecretKey::generate());
        let a = keys.seal(COLUMN, "hunter2").unwrap();
        let b = keys.seal(COLUMN, "hunter2").unwrap();
        assert_ne!(a, b, "a random nonce per value");
        assert!(
            a.starts_with(&format!("v1:{}:", keys.current().id())),
            "{a}"
        );
        assert!(!a.contains("hunter2"));
        assert!(is_sealed(&a));
        assert_eq!(keys.open(COLUMN, &a).unwrap(), "hunter2");
        assert_eq!(keys.open(COLUMN, &b).unwrap(), "hunter2");
        assert_eq!(
            keys.open(COLUMN, &keys.seal(COLUMN, "").unwrap()).unwrap(),
            ""
        );
    }

    #[test]
    fn detects_tampering_and_a_value_moved_to_another_column() {
        let keys = Keyring::new(SecretKey::generate());
        let sealed = keys.seal(COLUMN, "hunter2").unwrap();
        let (head, body) = sealed.rsplit_once(':').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(body).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let altered = format!("{head}:{}", URL_SAFE_NO_PAD.encode(&bytes));
        assert!(matches!(
            keys.open(COLUMN, &altered),
            Err(SecretError::Tampered(_))
        ));
        assert!(matches!(
            keys.open("agent_totp.secret", &sealed),
            Err(SecretError::Tampered(_))
        ));
        assert!(matches!(
            keys.open(COLUMN, &format!("{head}:")),
            Err(SecretError::Malformed)
        ));
        assert!(matches!(
            keys.open(COLUMN, "v1:nokeyid"),
            Err(SecretError::Malformed)
        ));
    }

    #[test]
    fn a_wrong_key_does_not_open_and_old_keys_can_be_added() {
        let old = SecretKey::generate();
        let sealed = Keyring::new(old.clone()).seal(COLUMN, "hunter2").unwrap();
        let new = Keyring::new(SecretKey::generate());
        assert!(matches!(
            new.open(COLUMN, &sealed),
            Err(SecretError::UnknownKey(id)) if id == old.id()
        ));
        // A different key under the same id (a forged or mixed-up key file).
        let forged = Keyring::new(SecretKey {
            id: old.id().to_owned(),
            ..SecretKey::generate()
        });
        assert!(matches!(
            forged.open(COLUMN, &sealed),
            Err(SecretError::Tampered(_))
        ));
        let both = new.also_opening(old);
        assert_eq!(both.open(COLUMN, &sealed).unwrap(), "hunter2");
    }

    #[test]
    fn keys_round_trip_through_base64_and_files_and_never_print() {
        let key = SecretKey::generate();
        let again = SecretKey::from_base64(&format!(" {}\n", key.to_base64())).unwrap();
        assert_eq!(again.id(), key.id());
        assert!(!format!("{key:?}").contains(&key.to_base64()));
        assert!(format!("{key:?}").contains(key.id()));
        assert!(matches!(
            SecretKey::from_base64("c2hvcnQ="),
            Err(SecretError::BadKey(_))
        ));
        assert!(SecretKey::from_base64("not base64!").is_err());

        let dir = std::env::temp_dir().join(format!("tend-secrets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(KEY_FILE);
        let (made, created) = SecretKey::read_or_create_file(&path).unwrap();
        assert!(created);
        let (read, created) = SecretKey::read_or_create_file(&path).unwrap();
        assert!(!created);
        assert_eq!(made.id(), read.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
