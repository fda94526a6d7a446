//! Console passwords: the length rule, argon2id hashing into PHC strings, and verification
//! that costs the same whether or not there is a hash to check (so sign-in timing does not
//! tell which users exist). Pure computation, but CPU-heavy: callers on an async runtime run
//! [`Password::hash`] and [`verify`] on a blocking thread.

use crate::secret::Secret;
use crate::{Error, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::distributions::{Alphanumeric, DistString};
use rand::RngCore;
use std::sync::OnceLock;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in characters (bounds the work one request can ask for).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Length of a generated password (alphanumeric, about 143 bits).
pub const GENERATED_PASSWORD_CHARS: usize = 24;

/// A password that meets the length rule; holding one means it may be hashed and stored.
#[derive(Debug, Clone)]
pub struct Password(Secret);

impl Password {
    /// Accepts a password of [`MIN_PASSWORD_CHARS`] to [`MAX_PASSWORD_CHARS`] characters;
    /// the error names the field "password" and never the value.
    pub fn parse(password: &Secret) -> Result<Password> {
        let chars = password.expose().chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(Error::invalid("password", format!("it must be at least {MIN_PASSWORD_CHARS} characters long")));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(Error::invalid("password", format!("it must be at most {MAX_PASSWORD_CHARS} characters long")));
        }
        Ok(Password(password.clone()))
    }

    /// A new random password (alphanumeric, from the thread's CSPRNG), valid by construction.
    pub fn generate() -> Password {
        Password(Secret::new(Alphanumeric.sample_string(&mut rand::thread_rng(), GENERATED_PASSWORD_CHARS)))
    }

    /// The password itself, for the one place that shows it once (bootstrap.json).
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// The argon2id hash (default parameters, a fresh random salt) as a PHC string.
    pub fn hash(&self) -> String {
        hash_phc(self.0.expose())
    }
}

fn hash_phc(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2id with default parameters cannot fail on a valid salt").to_string()
}

/// A hash of a password nobody knows, made once with the same parameters as real ones:
/// verifying against it costs what verifying a real hash costs.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_phc(&Alphanumeric.sample_string(&mut rand::thread_rng(), GENERATED_PASSWORD_CHARS)))
}

/// Whether `password` matches the PHC string `stored`. With no stored hash (an unknown user,
/// a user without a password) it verifies against a dummy hash and answers false, so both
/// cases take as long as a wrong password. A stored value that is not a PHC string is false.
pub fn verify(stored: Option<&str>, password: &Secret) -> bool {
    let (phc, real) = match stored {
        Some(phc) => (phc, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok();
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_and_errors_never_echo_the_password() {
        let eleven = Secret::new("ééééééééééé"); // 11 characters, 22 bytes
        let e = Password::parse(&eleven).unwrap_err();
        assert!(matches!(&e, Error::InvalidParameter { field, .. } if field == "password"), "{e:?}");
        assert!(!e.to_string().contains('é'), "{e}");
        assert!(Password::parse(&Secret::new("éééééééééééé")).is_ok(), "12 characters");
        assert!(Password::parse(&Secret::new("x".repeat(MAX_PASSWORD_CHARS))).is_ok());
        assert!(Password::parse(&Secret::new("x".repeat(MAX_PASSWORD_CHARS + 1))).is_err());
        assert_eq!(format!("{:?}", Password::parse(&Secret::new("correct horse battery")).unwrap()), "Password(<redacted>)");
    }

    #[test]
    fn hashes_are_salted_argon2id_phc_strings_that_verify() {
        let p = Password::parse(&Secret::new("correct horse battery")).unwrap();
        let (a, b) = (p.hash(), p.hash());
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify(Some(&a), p.secret()));
        assert!(verify(Some(&b), p.secret()));
        assert!(!verify(Some(&a), &Secret::new("correct horse batterY")));
        assert!(!verify(None, p.secret()), "no hash never verifies");
        assert!(!verify(Some("not a phc string"), p.secret()));
    }

    #[test]
    fn generated_passwords_are_long_random_and_alphanumeric() {
        let (a, b) = (Password::generate(), Password::generate());
        assert_eq!(a.secret().expose().chars().count(), GENERATED_PASSWORD_CHARS);
        assert!(a.secret().expose().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.secret(), b.secret());
        assert!(Password::parse(a.secret()).is_ok());
    }
}
