//! ACS3-HMAC-SHA256, the request signature of Alibaba Cloud's V3 OpenAPI, computed exactly
//! as the official SDKs compute it (`get_authorization` in alibabacloud-tea-openapi):
//!
//! ```text
//! CanonicalRequest = METHOD \n path-as-sent \n canonical-query \n
//!                    (lower-name:trimmed-value \n)* \n signed-header-names \n payload-hash
//! StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
//! Signature        = hex(hmac_sha256(secret, StringToSign))
//! ```
//!
//! The SDK sends the query form-encoded (space as `+`) but signs it RFC 3986-encoded and
//! sorted, so the verifier decodes what arrived and re-encodes it. Both the server
//! (verification) and clients (the testkit, the CLI) use this one module.

use crate::error::AuthFailure;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// The only algorithm codeport accepts.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// RFC 3986: everything but unreserved characters is percent-encoded.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The parts of an `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The AccessKey id.
    pub access_key_id: String,
    /// Lowercase header names, in the order given.
    pub signed_headers: Vec<String>,
    /// Lowercase hex signature as sent.
    pub signature: String,
}

/// Parses an Authorization header value; anything else than the exact ACS3 shape is refused.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthFailure> {
    let rest = value.trim().strip_prefix(ALGORITHM).ok_or_else(|| {
        // Another known scheme (ACS3-HMAC-SM3, Bearer...) is "unsupported", anything else malformed.
        if value.starts_with("ACS3-") || value.starts_with("Bearer") || value.starts_with("acs ") {
            AuthFailure::UnsupportedCredential
        } else {
            AuthFailure::MalformedAuthorization
        }
    })?;
    if !rest.starts_with(' ') {
        return Err(AuthFailure::MalformedAuthorization);
    }
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.trim().split(',') {
        let (k, v) = part.trim().split_once('=').ok_or(AuthFailure::MalformedAuthorization)?;
        let slot = match k {
            "Credential" => &mut cred,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut sig,
            _ => return Err(AuthFailure::MalformedAuthorization),
        };
        if slot.replace(v.to_string()).is_some() {
            return Err(AuthFailure::MalformedAuthorization);
        }
    }
    let (cred, signed, sig) = match (cred, signed, sig) {
        (Some(c), Some(h), Some(s)) if !c.is_empty() && !h.is_empty() && !s.is_empty() => (c, h, s),
        _ => return Err(AuthFailure::MalformedAuthorization),
    };
    if sig.len() != 64 || !sig.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthFailure::MalformedAuthorization);
    }
    let signed_headers: Vec<String> = signed.split(';').map(|h| h.trim().to_ascii_lowercase()).collect();
    if signed_headers.iter().any(|h| h.is_empty()) {
        return Err(AuthFailure::MalformedAuthorization);
    }
    Ok(Authorization { access_key_id: cred, signed_headers, signature: sig.to_ascii_lowercase() })
}

/// RFC 3986 percent-encoding of raw bytes (uppercase hex), as the SDK encodes query values.
pub fn encode_rfc3986(raw: &[u8]) -> String {
    percent_encoding::percent_encode(raw, RFC3986).to_string()
}

/// RFC 3986 percent-encoding of a string; also what a client uses for path segments.
pub fn encode_str(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// Decodes one `application/x-www-form-urlencoded` component to raw bytes (`+` is a space).
fn form_decode(s: &str) -> Vec<u8> {
    let spaced = s.replace('+', " ");
    percent_decode(spaced.as_bytes()).collect()
}

/// The canonical query string of a query as it arrived on the wire: decoded, sorted by key
/// (then value), re-encoded RFC 3986-style, empty values kept as `k=`.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(p), Vec::new()),
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode_rfc3986(k));
        out.push('=');
        out.push_str(&encode_rfc3986(v));
    }
    out
}

/// Builds the canonical request. `header_values(name)` returns every value of the (lowercase)
/// header as received; several values are sorted and joined with `,` as the SDK does.
pub fn canonical_request<'a, F, I>(
    method: &str,
    path: &str,
    raw_query: &str,
    signed_headers: &[String],
    mut header_values: F,
    payload_hash: &str,
) -> String
where
    F: FnMut(&str) -> I,
    I: Iterator<Item = &'a str>,
{
    let mut sorted: Vec<&String> = signed_headers.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut out = String::with_capacity(512);
    out.push_str(method);
    out.push('\n');
    out.push_str(if path.is_empty() { "/" } else { path });
    out.push('\n');
    out.push_str(&canonical_query(raw_query));
    out.push('\n');
    for name in &sorted {
        let mut values: Vec<&str> = header_values(name).map(str::trim).collect();
        values.sort_unstable();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    let names: Vec<&str> = sorted.iter().map(|s| s.as_str()).collect();
    out.push_str(&names.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// Lowercase hex of bytes, table-driven (it runs several times per signed request).
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    to_hex(&Sha256::digest(data))
}

/// `ACS3-HMAC-SHA256\n` + hex(sha256(canonical request)).
pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The signature bytes of a string to sign.
pub fn signature_bytes(secret: &str, string_to_sign: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(string_to_sign.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Lowercase hex signature of a string to sign.
pub fn signature_hex(secret: &str, string_to_sign: &str) -> String {
    to_hex(&signature_bytes(secret, string_to_sign))
}

/// Constant-time check of a presented hex signature against the expected one.
pub fn signature_matches(secret: &str, string_to_sign: &str, presented_hex: &str) -> bool {
    let expected = signature_bytes(secret, string_to_sign);
    match hex::decode(presented_hex) {
        Ok(p) => crate::secret::constant_time_eq(&p, &expected),
        Err(_) => false,
    }
}

/// The full Authorization header value, for clients.
pub fn authorization_value(access_key_id: &str, signed_headers: &[String], signature: &str) -> String {
    let mut sorted: Vec<&str> = signed_headers.iter().map(|s| s.as_str()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    format!("{ALGORITHM} Credential={access_key_id},SignedHeaders={},Signature={signature}", sorted.join(";"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sdk_authorization_shape() {
        let a = parse_authorization("ACS3-HMAC-SHA256 Credential=LTAIx,SignedHeaders=accept;host,Signature=4b453f45db1371dcff7aa9a376eb8127fb8738d316f4ac7fd0a141e437625736").unwrap();
        assert_eq!(a.access_key_id, "LTAIx");
        assert_eq!(a.signed_headers, vec!["accept", "host"]);
        for bad in [
            "",
            "ACS3-HMAC-SHA256",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=zz",
            "ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,Signature=4b453f45db1371dcff7aa9a376eb8127fb8738d316f4ac7fd0a141e437625736",
            "Basic dXNlcjpwYXNz",
        ] {
            assert_eq!(parse_authorization(bad), Err(AuthFailure::MalformedAuthorization), "{bad}");
        }
        assert_eq!(parse_authorization("ACS3-HMAC-SM3 Credential=a"), Err(AuthFailure::UnsupportedCredential));
    }

    #[test]
    fn hex_matches_the_reference_encoder() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(to_hex(&all), hex::encode(&all));
    }

    #[test]
    fn canonical_query_decodes_form_encoding_and_sorts() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=x+y%2Bz&c="), "a=x%20y%2Bz&b=2&c=");
        assert_eq!(canonical_query("flag"), "flag=");
        assert_eq!(canonical_query("k=%E4%B8%AD~*"), "k=%E4%B8%AD~%2A");
    }
}
