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
use std::collections::BTreeMap;

/// The only algorithm codeport accepts.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// How far a signature's `x-acs-date` may be from the server clock, either way, in
/// milliseconds. The one replay-window setting: the verifier refuses dates outside it, and a
/// nonce store must remember a nonce at least as long as a signature carrying it stays valid.
pub const SIGNATURE_WINDOW_MS: i64 = 15 * 60 * 1000;

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

/// The pairs of a query as it arrived on the wire, form-decoded to raw bytes and sorted by
/// key, then value (a key without `=` has an empty value). Both signature schemes sign this
/// list: ACS3 re-encoded ([`canonical_query`]), the legacy ROA scheme as is
/// (`crate::roa_legacy::canonicalized_resource`).
pub fn sorted_query_pairs(raw_query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(p), Vec::new()),
        })
        .collect();
    pairs.sort();
    pairs
}

/// The canonical query string of a query as it arrived on the wire: decoded, sorted by key
/// (then value), re-encoded RFC 3986-style, empty values kept as `k=`.
pub fn canonical_query(raw_query: &str) -> String {
    let pairs = sorted_query_pairs(raw_query);
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

/// The API version every PAI AIWorkspace request names in `x-acs-version`.
pub const PAI_API_VERSION: &str = "2021-02-04";

/// Form-encodes query pairs as the official SDK sends them (Python's `urlencode`): RFC 3986
/// with a space as `+`, in keys and values.
/// The server re-encodes what arrives (see [`canonical_query`]), so this is what a client
/// puts after the `?` and signs.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode_str(k).replace("%20", "+"));
        out.push('=');
        out.push_str(&encode_str(v).replace("%20", "+"));
    }
    out
}

/// One client request to sign, with everything the signature covers. Clients (the testkit
/// and the `codeport` shell client) build their headers here so there is exactly one
/// definition of "a request signed the way the official SDK signs it".
#[derive(Clone, Copy)]
pub struct RequestSigner<'a> {
    /// HTTP method, uppercase.
    pub method: &'a str,
    /// The `host` header as sent (`host` or `host:port`).
    pub host: &'a str,
    /// The path as sent (already percent-encoded).
    pub path: &'a str,
    /// The query as sent, form-encoded ([`form_encode`]); empty for none.
    pub raw_query: &'a str,
    /// The exact body bytes; `None` sends no body and no content type.
    pub body: Option<&'a [u8]>,
    /// The operation name for `x-acs-action` (the server routes by path; the SDK sends it anyway).
    pub action: &'a str,
    /// The AccessKey id, named in the Authorization header.
    pub access_key_id: &'a str,
    /// The AccessKey secret, only ever used as the HMAC key.
    pub secret: &'a str,
    /// `user-agent`; it is signed, as the SDK signs it.
    pub user_agent: &'a str,
    /// The signing time, sent as `x-acs-date` (the server accepts a 15-minute window).
    pub now: time::OffsetDateTime,
    /// A fresh, never reused value for `x-acs-signature-nonce` (the server refuses replays).
    pub nonce: &'a str,
}

impl RequestSigner<'_> {
    /// Every header the request must carry, lowercase names, `authorization` included. The
    /// set is the SDK's: host, x-acs-version, x-acs-action, x-acs-date,
    /// x-acs-signature-nonce, x-acs-content-sha256, x-acs-credentials-provider, accept,
    /// user-agent, and content-type when there is a body; all of them are signed.
    pub fn headers(&self) -> BTreeMap<String, String> {
        let mut h = BTreeMap::new();
        let now = self.now.to_offset(time::UtcOffset::UTC);
        let date = format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", now.year(), now.month() as u8, now.day(), now.hour(), now.minute(), now.second());
        for (name, value) in [
            ("host", self.host),
            ("x-acs-version", PAI_API_VERSION),
            ("x-acs-action", self.action),
            ("user-agent", self.user_agent),
            ("x-acs-date", &date),
            ("x-acs-signature-nonce", self.nonce),
            ("accept", "application/json"),
            ("x-acs-credentials-provider", "static_ak"),
        ] {
            h.insert(name.to_string(), value.to_string());
        }
        if self.body.is_some() {
            h.insert("content-type".to_string(), "application/json; charset=utf-8".to_string());
        }
        h.insert("x-acs-content-sha256".to_string(), sha256_hex(self.body.unwrap_or_default()));
        sign_headers(self.method, self.path, self.raw_query, &mut h, self.access_key_id, self.secret);
        h
    }
}

/// (Re)computes the `authorization` header over every other header in `headers` (all of
/// them signed), whose `x-acs-content-sha256` must already be set. [`RequestSigner`] uses it;
/// tests use it directly to re-sign a request they tampered with.
pub fn sign_headers(method: &str, path: &str, raw_query: &str, headers: &mut BTreeMap<String, String>, access_key_id: &str, secret: &str) {
    headers.remove("authorization");
    let names: Vec<String> = headers.keys().cloned().collect();
    let payload_hash = headers.get("x-acs-content-sha256").map(String::as_str).unwrap_or_default();
    let creq = canonical_request(method, path, raw_query, &names, |n| headers.get(n).map(String::as_str).into_iter(), payload_hash);
    let signature = signature_hex(secret, &string_to_sign(&creq));
    headers.insert("authorization".to_string(), authorization_value(access_key_id, &names, &signature));
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn parses_the_sdk_authorization_shape() {
        let a = parse_authorization(
            "ACS3-HMAC-SHA256 Credential=LTAIx,SignedHeaders=accept;host,Signature=4b453f45db1371dcff7aa9a376eb8127fb8738d316f4ac7fd0a141e437625736",
        )
        .unwrap();
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

    /// A request with every field fixed; the legacy ROA tests sign it too.
    pub(crate) fn fixed_signer(body: Option<&[u8]>) -> RequestSigner<'_> {
        RequestSigner {
            method: "PUT",
            host: "127.0.0.1:8080",
            path: "/api/v1/codesources/code-1",
            raw_query: "b=x+y&a=1",
            body,
            action: "UpdateCodeSource",
            access_key_id: "LTAIkey",
            secret: "s3cret",
            user_agent: "ua/1",
            now: time::macros::datetime!(2024-01-02 03:04:05.678 UTC),
            nonce: "n-1",
        }
    }

    #[test]
    fn request_signer_sets_the_sdk_headers_and_a_verifiable_signature() {
        let h = fixed_signer(Some(b"{}")).headers();
        let names: Vec<&str> = h.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "accept",
                "authorization",
                "content-type",
                "host",
                "user-agent",
                "x-acs-action",
                "x-acs-content-sha256",
                "x-acs-credentials-provider",
                "x-acs-date",
                "x-acs-signature-nonce",
                "x-acs-version"
            ]
        );
        assert_eq!(h["x-acs-date"], "2024-01-02T03:04:05Z");
        assert_eq!(h["x-acs-version"], PAI_API_VERSION);
        assert_eq!(h["x-acs-content-sha256"], sha256_hex(b"{}"));
        // Verify it the way the server does.
        let auth = parse_authorization(&h["authorization"]).unwrap();
        assert_eq!(auth.access_key_id, "LTAIkey");
        let creq = canonical_request(
            "PUT",
            "/api/v1/codesources/code-1",
            "b=x+y&a=1",
            &auth.signed_headers,
            |n| h.get(n).map(String::as_str).into_iter(),
            &h["x-acs-content-sha256"],
        );
        assert!(creq.contains("\na=1&b=x%20y\n"), "{creq}");
        assert!(signature_matches("s3cret", &string_to_sign(&creq), &auth.signature));
        assert!(!signature_matches("other", &string_to_sign(&creq), &auth.signature));
        // Pinned: computed independently (Python hmac/hashlib) from the same canonical request.
        assert_eq!(auth.signature, "61b91c11af764a1a9a18cdbc439018f462ce72311e20149946668b94004ae9fb");
        // Without a body: no content type, the hash of nothing.
        let h = fixed_signer(None).headers();
        assert!(!h.contains_key("content-type"));
        assert_eq!(h["x-acs-content-sha256"], sha256_hex(b""));
    }

    #[test]
    fn form_encode_sends_spaces_as_plus_and_everything_else_rfc3986() {
        assert_eq!(form_encode(&[]), "");
        assert_eq!(form_encode(&[("Display Name", "a b+c/中"), ("k", "")]), "Display+Name=a+b%2Bc%2F%E4%B8%AD&k=");
        assert_eq!(canonical_query(&form_encode(&[("x", "a b~*")])), "x=a%20b~%2A");
    }

    #[test]
    fn canonical_query_decodes_form_encoding_and_sorts() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=x+y%2Bz&c="), "a=x%20y%2Bz&b=2&c=");
        assert_eq!(canonical_query("flag"), "flag=");
        assert_eq!(canonical_query("k=%E4%B8%AD~*"), "k=%E4%B8%AD~%2A");
    }
}
