//! Identifier formats and their generators. Formats follow the products: organization ids
//! are 24 lowercase hex digits, user and workspace ids numeric strings, code sources
//! `code-` plus lowercase alphanumerics, AccessKey ids `LTAI` plus alphanumerics.

use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
}

/// A new organization id: 24 lowercase hex digits, as Codeup shows them.
pub fn new_organization_id() -> String {
    let bytes: [u8; 12] = rand::thread_rng().gen();
    hex::encode(bytes)
}

/// A new user id: a 16-digit numeric string, like an Alibaba Cloud account/user id.
pub fn new_user_id() -> String {
    rand::thread_rng().gen_range(1_000_000_000_000_000u64..10_000_000_000_000_000u64).to_string()
}

/// A new workspace id: a numeric string, as PAI shows them.
pub fn new_workspace_id() -> String {
    rand::thread_rng().gen_range(100_000u64..10_000_000_000u64).to_string()
}

/// A new code source id: `code-` and 20 lowercase alphanumerics.
pub fn new_code_source_id() -> String {
    format!("code-{}", random_from(LOWER_ALNUM, 20))
}

/// A new AccessKey id: `LTAI` and 20 alphanumerics (24 characters, like Alibaba Cloud's).
pub fn new_access_key_id() -> String {
    format!("LTAI{}", Alphanumeric.sample_string(&mut rand::thread_rng(), 20))
}

/// A new AccessKey secret: 30 alphanumerics, like Alibaba Cloud's.
pub fn new_access_key_secret() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 30)
}

/// A new personal access token: `pt-` and 40 alphanumerics (~238 bits of entropy, so a
/// plain SHA-256 is a sufficient hash at rest).
pub fn new_personal_access_token() -> String {
    format!("pt-{}", Alphanumeric.sample_string(&mut rand::thread_rng(), 40))
}

/// A short public id for a token, so it can be listed and revoked without the token itself.
pub fn new_token_id() -> String {
    format!("tok-{}", random_from(LOWER_ALNUM, 12))
}

/// A new console session id: `cs-` and 16 lowercase hex digits, for listing and revoking
/// a session without its cookie value.
pub fn new_console_session_id() -> String {
    format!("cs-{}", hex::encode(rand::thread_rng().gen::<[u8; 8]>()))
}

/// A new console session cookie value: 32 random bytes (256 bits), base64url without
/// padding, so a plain SHA-256 is a sufficient hash at rest.
pub fn new_console_cookie_value() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::thread_rng().gen::<[u8; 32]>())
}

/// A request id in the form Alibaba Cloud uses (uppercase UUID).
pub fn new_request_id() -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let b: [u8; 16] = rand::thread_rng().gen();
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 0xf) as usize] as char);
    }
    out
}

/// True when `s` is a well-formed organization id.
pub fn is_organization_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// True when `s` is a numeric-string id (users, workspaces).
pub fn is_numeric_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_their_documented_shapes() {
        assert!(is_organization_id(&new_organization_id()));
        assert!(is_numeric_id(&new_user_id()));
        assert_eq!(new_user_id().len(), 16);
        assert!(is_numeric_id(&new_workspace_id()));
        let c = new_code_source_id();
        assert!(c.starts_with("code-") && c[5..].bytes().all(|b| LOWER_ALNUM.contains(&b)));
        assert_eq!(new_access_key_id().len(), 24);
        assert!(new_personal_access_token().starts_with("pt-"));
        let cs = new_console_session_id();
        assert!(cs.len() == 19 && cs.starts_with("cs-") && cs[3..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{cs}");
        let cookie = new_console_cookie_value();
        assert_eq!(cookie.len(), 43, "{cookie}");
        assert!(cookie.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{cookie}");
        let rid = new_request_id();
        assert_eq!(rid.len(), 36);
        assert_eq!(rid.split('-').map(str::len).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(rid.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
    }
}
