//! Secrets: a redacting wrapper, sealing under the master key (AES-256-GCM), token hashing
//! and constant-time comparison. Secrets must never reach a log line, an error or a panic;
//! the `Secret` type makes `{:?}` safe by construction.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A string that must not be shown. `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The value, for the few places that must use it (HMAC keys, sealing, the one-time print).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why a master key or a sealed value could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The master key text is not 32 bytes of base64 or hex.
    #[error("the master key must be 32 bytes, given as 64 hex digits or base64")]
    BadKey,
    /// The ciphertext was tampered with or sealed under another key.
    #[error("a sealed secret could not be opened: wrong master key or corrupted data")]
    Open,
}

/// The key that encrypts secrets at rest. Loaded from CODEPORT_MASTER_KEY or DIR/master.key.
#[derive(Clone)]
pub struct MasterKey {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A fresh random key, returned with its text form (64 hex digits) for storing.
    pub fn generate() -> (MasterKey, String) {
        let mut k = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut k);
        let text = hex::encode(k);
        (MasterKey::from_bytes(&k), text)
    }

    /// Parses the text form: 64 hex digits or base64 of 32 bytes (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<MasterKey, SealError> {
        let t = text.trim();
        let bytes = if t.len() == 64 {
            hex::decode(t).map_err(|_| SealError::BadKey)?
        } else {
            base64::engine::general_purpose::STANDARD.decode(t).map_err(|_| SealError::BadKey)?
        };
        if bytes.len() != 32 {
            return Err(SealError::BadKey);
        }
        Ok(MasterKey::from_bytes(&bytes))
    }

    fn from_bytes(k: &[u8]) -> MasterKey {
        MasterKey { cipher: Aes256Gcm::new_from_slice(k).expect("32-byte key") }
    }

    /// Encrypts `plain`; the output is `nonce(12) || ciphertext+tag`.
    pub fn seal(&self, plain: &str) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        let ct = self.cipher.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).expect("AES-GCM encryption cannot fail for in-memory data");
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts what `seal` produced.
    pub fn open(&self, sealed: &[u8]) -> Result<Secret, SealError> {
        if sealed.len() < 12 + 16 {
            return Err(SealError::Open);
        }
        let (nonce, ct) = sealed.split_at(12);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), ct).map_err(|_| SealError::Open)?;
        String::from_utf8(plain).map(Secret).map_err(|_| SealError::Open)
    }
}

/// SHA-256 of a high-entropy token, hex; what we store instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// HMAC-SHA256 of `message` under `key`, hex: a value derived from a secret that cannot be
/// computed without it (the console's per-session CSRF token).
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time equality of two byte strings.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_detects_tampering_and_wrong_keys() {
        let (k, text) = MasterKey::generate();
        let sealed = k.seal("s3cret");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(k.open(&sealed).unwrap().expose(), "s3cret");
        assert_eq!(MasterKey::parse(&text).unwrap().open(&sealed).unwrap().expose(), "s3cret");
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(k.open(&bad).is_err());
        let (other, _) = MasterKey::generate();
        assert!(other.open(&sealed).is_err());
        assert!(MasterKey::parse("short").is_err());
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        assert_eq!(hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_display() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
    }
}
