//! The audit chain's keys. Every audit row is signed with HMAC-SHA256 under a secret kept
//! outside the database (`POLES_AUDIT_KEY`, or a key file), so that whoever can write to the
//! database cannot rewrite the trail and hash it again. A key has an id, stored with each row
//! it signed: rotating puts a new key first and keeps the old ones, which verify older rows.
//!
//! The text form, in the environment or in a file: `ID:HEX` entries separated by white space
//! or commas, `#` starting a comment line; the first entry signs new rows. An id is 1-32
//! letters, digits, `-`, `_` or `.`; a secret is at least 16 bytes (32 hex digits).

use crate::error::{Result, StoreError};
use crate::util::{hex, random_hex};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;
use std::sync::Arc;

struct Key {
    id: String,
    secret: Vec<u8>,
}

/// The keys the chain is signed and verified with. Cheap to clone; its secrets never show in
/// `Debug`.
#[derive(Clone)]
pub struct Keyring {
    keys: Arc<Vec<Key>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("ids", &self.ids().collect::<Vec<_>>())
            .finish()
    }
}

fn bad(reason: impl Into<String>) -> StoreError {
    StoreError::Key(reason.into())
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    s.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => {
                Some(((*hi as char).to_digit(16)? * 16 + (*lo as char).to_digit(16)?) as u8)
            }
            _ => None,
        })
        .collect()
}

impl Keyring {
    /// Parses the text form (see the module's documentation).
    pub fn parse(text: &str) -> Result<Keyring> {
        let mut keys: Vec<Key> = Vec::new();
        let entries = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(|l| l.split(|c: char| c.is_whitespace() || c == ','))
            .filter(|e| !e.is_empty());
        for entry in entries {
            let Some((id, secret)) = entry.split_once(':') else {
                return Err(bad("a key is written ID:HEX"));
            };
            let id_ok = (1..=32).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !id_ok {
                return Err(bad(format!(
                    "key id {id:?}: 1-32 letters, digits, '-', '_' or '.'"
                )));
            }
            let secret = match unhex(secret) {
                Some(s) if s.len() >= 16 => s,
                _ => {
                    return Err(bad(format!(
                        "key {id}: the secret is at least 32 hexadecimal digits"
                    )))
                }
            };
            if keys.iter().any(|k| k.id == id) {
                return Err(bad(format!("key id {id} is given twice")));
            }
            keys.push(Key {
                id: id.to_string(),
                secret,
            });
        }
        if keys.is_empty() {
            return Err(bad("no key given"));
        }
        Ok(Keyring {
            keys: Arc::new(keys),
        })
    }

    /// A new key in the text form: a random 8-digit id and a random 32-byte secret.
    pub fn generate() -> String {
        format!("{}:{}", random_hex(4), random_hex(32))
    }

    /// The id of the key that signs new rows.
    pub fn current(&self) -> &str {
        self.keys.first().map(|k| k.id.as_str()).unwrap_or_default()
    }

    /// Every key's id, the current one first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    /// HMAC-SHA256 of `message` under the key `id`, in hex; `None` for a key not in the ring.
    pub(crate) fn sign(&self, id: &str, message: &str) -> Option<String> {
        let key = self.keys.iter().find(|k| k.id == id)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&key.secret).ok()?;
        mac.update(message.as_bytes());
        Some(hex(&mac.finalize().into_bytes()))
    }

    /// Reads a key file. A file others may read is used, with a warning.
    pub fn read_file(path: &Path) -> Result<Keyring> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(path) {
                if meta.permissions().mode() & 0o077 != 0 {
                    tracing::warn!(
                        file = %path.display(),
                        "the audit key file can be read by others: chmod 600 it"
                    );
                }
            }
        }
        Keyring::parse(&text).map_err(|e| bad(format!("{}: {e}", path.display())))
    }

    /// Creates a key file holding one new key, readable by its owner alone; refuses to
    /// replace an existing file.
    pub fn create_file(path: &Path) -> Result<Keyring> {
        use std::io::Write;
        let key = Keyring::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let text = format!(
            "# The key of the Pôles audit chain (ID:HEX; the first key signs, the others verify\n\
             # older rows). Keep a copy outside this machine's backups of the database: whoever\n\
             # holds it and the database can rewrite the audit trail undetected.\n{key}\n"
        );
        options
            .open(path)
            .and_then(|mut f| {
                f.write_all(text.as_bytes())?;
                f.sync_all()
            })
            .map_err(|e| bad(format!("cannot create {}: {e}", path.display())))?;
        Keyring::parse(&key)
    }
}

#[cfg(test)]
mod tests {
    use super::Keyring;

    const A: &str = "a:000102030405060708090a0b0c0d0e0f";

    #[test]
    fn the_text_form_parses_and_refuses() {
        let ring = Keyring::parse(&format!(
            "# comment\n{A}\n  b:{}, c:{}",
            "ff".repeat(32),
            "11".repeat(16)
        ))
        .unwrap();
        assert_eq!(ring.ids().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(ring.current(), "a");
        for bad in [
            "",
            "# only a comment",
            "nocolon",
            "a:0011",
            "a:zz0102030405060708090a0b0c0d0e0f",
            &format!("{A} {A}"),
            &format!("bad id:{}", "00".repeat(16)),
            &format!("{}:{}", "x".repeat(33), "00".repeat(16)),
        ] {
            assert!(Keyring::parse(bad).is_err(), "{bad:?}");
        }
        assert!(!format!("{ring:?}").contains("0a0b"), "no secret in Debug");
    }

    #[test]
    fn signatures_depend_on_the_key() {
        let ring = Keyring::parse(&format!("{A} b:{}", "ff".repeat(16))).unwrap();
        let a = ring.sign("a", "message").unwrap();
        assert_eq!(a.len(), 64);
        assert_eq!(ring.sign("a", "message").unwrap(), a);
        assert_ne!(ring.sign("b", "message").unwrap(), a);
        assert_ne!(ring.sign("a", "messagf").unwrap(), a);
        assert_eq!(ring.sign("c", "message"), None);
        let generated = Keyring::parse(&Keyring::generate()).unwrap();
        assert_eq!(generated.current().len(), 8);
    }

    /// RFC 4231, test case 1.
    #[test]
    fn the_mac_is_hmac_sha256() {
        let ring = Keyring::parse(&format!("k:{}", "0b".repeat(20))).unwrap();
        assert_eq!(
            ring.sign("k", "Hi There").unwrap(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }
}
