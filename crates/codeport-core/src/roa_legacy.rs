//! The legacy ROA signature (`Authorization: acs AccessKeyId:Signature`), computed exactly as
//! the official SDKs compute it when `signature_algorithm="v2"` (`get_string_to_sign` and
//! `get_roasignature` in alibabacloud-tea-openapi; alipai signs every PAI call this way):
//!
//! ```text
//! StringToSign = METHOD \n accept \n content-md5 \n content-type \n date \n
//!                (x-acs-name:value \n)*        every x-acs-* header, lower-case, sorted by name
//!                path [? k=v & k & ...]        the raw path; decoded query pairs sorted by key
//! Signature    = base64(hmac_sha1(secret, StringToSign))
//! ```
//!
//! The four named header values are empty when the header is absent. There is no list of
//! signed headers: every `x-acs-*` header counts, values as received. Query values are
//! signed decoded (`DisplayName=a b`), a key with an empty value as the key alone.
//!
//! **The body is not covered.** Only `content-md5`, when a client sends it (the SDK never
//! does), ties a body to the signature, and the verifier must then check it against the body
//! ([`content_md5`]). Replay protection is the `x-acs-signature-nonce` and the `date` window,
//! the same as ACS3's ([`crate::acs3::SIGNATURE_WINDOW_MS`]).

use crate::acs3::{sorted_query_pairs, RequestSigner, PAI_API_VERSION};
use crate::error::AuthFailure;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;
use std::collections::BTreeMap;

/// The Authorization scheme word; the header is `acs {AccessKeyId}:{Signature}`.
pub const SCHEME: &str = "acs";

/// The only signature method of the scheme (`x-acs-signature-method`, optional).
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";

/// The header that carries the signature's time (an HTTP date, [`crate::timefmt::http_date`]).
pub const DATE_HEADER: &str = "date";

/// The header that carries the signature's single-use nonce.
pub const NONCE_HEADER: &str = "x-acs-signature-nonce";

/// Length of an HMAC-SHA1 signature in bytes.
const SIGNATURE_LEN: usize = 20;

/// The parts of an `Authorization: acs AccessKeyId:Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The AccessKey id.
    pub access_key_id: String,
    /// The decoded signature (20 bytes).
    pub signature: Vec<u8>,
}

/// Whether an Authorization header value names this scheme (`acs ` then anything).
pub fn is_legacy_roa(value: &str) -> bool {
    value.strip_prefix(SCHEME).is_some_and(|rest| rest.starts_with(' '))
}

/// Parses an Authorization header value of this scheme; anything but `acs AK:base64(20
/// bytes)` is malformed.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthFailure> {
    let rest = value.strip_prefix(SCHEME).and_then(|r| r.strip_prefix(' ')).ok_or(AuthFailure::MalformedAuthorization)?;
    let (id, signature) = rest.rsplit_once(':').ok_or(AuthFailure::MalformedAuthorization)?;
    if id.is_empty() || id.bytes().any(|b| !b.is_ascii_graphic() || b == b':') {
        return Err(AuthFailure::MalformedAuthorization);
    }
    let signature = BASE64.decode(signature).map_err(|_| AuthFailure::MalformedAuthorization)?;
    if signature.len() != SIGNATURE_LEN {
        return Err(AuthFailure::MalformedAuthorization);
    }
    Ok(Authorization { access_key_id: id.to_string(), signature })
}

/// `path`, then `?` and the decoded query pairs sorted by key (`k=v`, or `k` for an empty
/// value) joined by `&` when the query has any. The path is the raw request path.
pub fn canonicalized_resource(path: &str, raw_query: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + raw_query.len() + 1);
    out.extend_from_slice(path.as_bytes());
    for (i, (k, v)) in sorted_query_pairs(raw_query).iter().enumerate() {
        out.push(if i == 0 { b'?' } else { b'&' });
        out.extend_from_slice(k);
        if !v.is_empty() {
            out.push(b'=');
            out.extend_from_slice(v);
        }
    }
    out
}

/// The string to sign of a request. `headers` are every header received, `(name, value)`,
/// names in any case; a header received several times signs its values joined with `,` in
/// the order received (one header line to HTTP). Bytes, since a decoded query need not be
/// UTF-8.
pub fn string_to_sign<'a>(method: &str, headers: impl IntoIterator<Item = (&'a str, &'a [u8])>, path: &str, raw_query: &str) -> Vec<u8> {
    let mut named: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "accept" | "content-md5" | "content-type" | DATE_HEADER) && !name.starts_with("x-acs-") {
            continue;
        }
        let slot = named.entry(name).or_default();
        if !slot.is_empty() {
            slot.push(b',');
        }
        slot.extend_from_slice(value);
    }
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(method.as_bytes());
    out.push(b'\n');
    for name in ["accept", "content-md5", "content-type", DATE_HEADER] {
        out.extend_from_slice(named.get(name).map(Vec::as_slice).unwrap_or_default());
        out.push(b'\n');
    }
    // BTreeMap iterates sorted by name, as the SDK sorts.
    for (name, value) in named.iter().filter(|(n, _)| n.starts_with("x-acs-")) {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out.extend_from_slice(&canonicalized_resource(path, raw_query));
    out
}

/// The signature bytes of a string to sign: HMAC-SHA1 keyed by the bare secret.
pub fn signature_bytes(secret: &str, string_to_sign: &[u8]) -> [u8; SIGNATURE_LEN] {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(string_to_sign);
    mac.finalize().into_bytes().into()
}

/// The signature as sent: base64 of the HMAC-SHA1.
pub fn signature_base64(secret: &str, string_to_sign: &[u8]) -> String {
    BASE64.encode(signature_bytes(secret, string_to_sign))
}

/// Constant-time check of a presented (decoded) signature against the expected one.
pub fn signature_matches(secret: &str, string_to_sign: &[u8], presented: &[u8]) -> bool {
    crate::secret::constant_time_eq(presented, &signature_bytes(secret, string_to_sign))
}

/// `base64(md5(body))`, the value of a `content-md5` header that covers `body`.
pub fn content_md5(body: &[u8]) -> String {
    BASE64.encode(Md5::digest(body))
}

/// The full Authorization header value, for clients.
pub fn authorization_value(access_key_id: &str, signature_base64: &str) -> String {
    format!("{SCHEME} {access_key_id}:{signature_base64}")
}

impl RequestSigner<'_> {
    /// Every header of the request signed with the legacy ROA scheme, as the SDK sends it
    /// with `signature_algorithm="v2"`: date, host, accept, x-acs-signature-nonce,
    /// x-acs-signature-method, x-acs-signature-version, x-acs-version, x-acs-action,
    /// user-agent, x-acs-credentials-provider, content-type when there is a body, and
    /// authorization. No content hash: this scheme does not cover the body.
    pub fn legacy_roa_headers(&self) -> BTreeMap<String, String> {
        let date = crate::timefmt::http_date((self.now.unix_timestamp_nanos() / 1_000_000) as i64);
        let mut h = BTreeMap::new();
        for (name, value) in [
            (DATE_HEADER, date.as_str()),
            ("host", self.host),
            ("accept", "application/json"),
            (NONCE_HEADER, self.nonce),
            ("x-acs-signature-method", SIGNATURE_METHOD),
            ("x-acs-signature-version", "1.0"),
            ("x-acs-version", PAI_API_VERSION),
            ("x-acs-action", self.action),
            ("user-agent", self.user_agent),
            ("x-acs-credentials-provider", "static_ak"),
        ] {
            h.insert(name.to_string(), value.to_string());
        }
        if self.body.is_some() {
            h.insert("content-type".to_string(), "application/json; charset=utf-8".to_string());
        }
        sign_headers(self.method, self.path, self.raw_query, &mut h, self.access_key_id, self.secret);
        h
    }
}

/// (Re)computes the `authorization` header over the other headers in `headers`.
/// [`RequestSigner::legacy_roa_headers`] uses it; tests use it to re-sign a request they
/// tampered with.
pub fn sign_headers(method: &str, path: &str, raw_query: &str, headers: &mut BTreeMap<String, String>, access_key_id: &str, secret: &str) {
    headers.remove("authorization");
    let sts = string_to_sign(method, headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())), path, raw_query);
    headers.insert("authorization".to_string(), authorization_value(access_key_id, &signature_base64(secret, &sts)));
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "ExampleSecret123";
    const DATE: &str = "Sat, 05 Dec 2026 07:40:20 GMT";
    const NONCE: &str = "3f2c9e7a1b5d4c6e8f0a1b2c3d4e5f60";

    /// The headers of the spec's captured ListCodeSources request (section 2.3).
    fn list_headers() -> Vec<(&'static str, &'static str)> {
        vec![
            ("date", DATE),
            ("host", "127.0.0.1:8080"),
            ("accept", "application/json"),
            ("x-acs-signature-nonce", NONCE),
            ("x-acs-signature-method", "HMAC-SHA1"),
            ("x-acs-signature-version", "1.0"),
            ("x-acs-version", "2021-02-04"),
            ("x-acs-action", "ListCodeSources"),
            ("user-agent", "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2"),
            ("x-acs-credentials-provider", "static_ak"),
        ]
    }

    fn sts_of(method: &str, headers: &[(&'static str, &'static str)], path: &str, raw_query: &str) -> String {
        String::from_utf8(string_to_sign(method, headers.iter().map(|(n, v)| (*n, v.as_bytes())), path, raw_query)).unwrap()
    }

    /// Spec 2.4, first vector: GET ListCodeSources with a space in a query value (sent
    /// form-encoded as the SDK's urlencode does, signed decoded).
    #[test]
    fn vector_list_code_sources() {
        let sts = sts_of("GET", &list_headers(), "/api/v1/codesources", "WorkspaceId=12&DisplayName=a+b");
        assert_eq!(
            sts,
            "GET\napplication/json\n\n\nSat, 05 Dec 2026 07:40:20 GMT\nx-acs-action:ListCodeSources\nx-acs-credentials-provider:static_ak\n\
             x-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:3f2c9e7a1b5d4c6e8f0a1b2c3d4e5f60\nx-acs-signature-version:1.0\n\
             x-acs-version:2021-02-04\n/api/v1/codesources?DisplayName=a b&WorkspaceId=12"
        );
        assert_eq!(signature_base64(SECRET, sts.as_bytes()), "isIVAnzuVYIe1uj66+iIQWpMlR0=");
        assert_eq!(authorization_value("LTAI5tExampleAk", "isIVAnzuVYIe1uj66+iIQWpMlR0="), "acs LTAI5tExampleAk:isIVAnzuVYIe1uj66+iIQWpMlR0=");
        let auth = parse_authorization("acs LTAI5tExampleAk:isIVAnzuVYIe1uj66+iIQWpMlR0=").unwrap();
        assert_eq!(auth.access_key_id, "LTAI5tExampleAk");
        assert!(signature_matches(SECRET, sts.as_bytes(), &auth.signature));
        // The same query encoded RFC 3986-style signs the same.
        assert_eq!(sts_of("GET", &list_headers(), "/api/v1/codesources", "DisplayName=a%20b&WorkspaceId=12"), sts);
    }

    /// Spec 2.4, second vector: PUT with a JSON content type and STS headers, which are
    /// `x-acs-*` headers and so signed.
    #[test]
    fn vector_update_configs_with_sts_headers() {
        let mut headers = list_headers();
        headers.retain(|(n, _)| !matches!(*n, "x-acs-action" | "x-acs-credentials-provider"));
        headers.extend([
            ("x-acs-action", "UpdateConfigs"),
            ("x-acs-credentials-provider", "static_sts"),
            ("content-type", "application/json; charset=utf-8"),
            ("x-acs-accesskey-id", "STS.NExampleId"),
            ("x-acs-security-token", "CAIS+token/=="),
        ]);
        let sts = sts_of("PUT", &headers, "/api/v1/workspaces/12/configs", "");
        assert_eq!(
            sts,
            "PUT\napplication/json\n\napplication/json; charset=utf-8\nSat, 05 Dec 2026 07:40:20 GMT\nx-acs-accesskey-id:STS.NExampleId\n\
             x-acs-action:UpdateConfigs\nx-acs-credentials-provider:static_sts\nx-acs-security-token:CAIS+token/==\n\
             x-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:3f2c9e7a1b5d4c6e8f0a1b2c3d4e5f60\nx-acs-signature-version:1.0\n\
             x-acs-version:2021-02-04\n/api/v1/workspaces/12/configs"
        );
        assert_eq!(signature_base64(SECRET, sts.as_bytes()), "Gk+sDdFLOzE0OrXOdbocl/DjnVk=");
    }

    #[test]
    fn tampering_with_what_is_signed_breaks_the_signature() {
        let path = "/api/v1/codesources";
        let query = "WorkspaceId=12&DisplayName=a+b";
        let good = parse_authorization("acs LTAI5tExampleAk:isIVAnzuVYIe1uj66+iIQWpMlR0=").unwrap().signature;
        let verifies = |method: &str, headers: &[(&'static str, &'static str)], path: &str, query: &str| {
            signature_matches(SECRET, sts_of(method, headers, path, query).as_bytes(), &good)
        };
        assert!(verifies("GET", &list_headers(), path, query));
        assert!(!signature_matches("ExampleSecret124", sts_of("GET", &list_headers(), path, query).as_bytes(), &good), "secret");
        assert!(!verifies("DELETE", &list_headers(), path, query), "method");
        assert!(!verifies("GET", &list_headers(), "/api/v1/codesources/", query), "path");
        assert!(!verifies("GET", &list_headers(), path, "WorkspaceId=13&DisplayName=a+b"), "query value");
        assert!(!verifies("GET", &list_headers(), path, "WorkspaceId=12&DisplayName=a+b&PageSize=1"), "added query pair");
        assert!(!verifies("GET", &list_headers(), path, "WorkspaceId=12"), "removed query pair");
        let with = |name: &'static str, value: &'static str| {
            let mut h: Vec<_> = list_headers().into_iter().filter(|(n, _)| *n != name).collect();
            h.push((name, value));
            h
        };
        assert!(!verifies("GET", &with("date", "Sat, 05 Dec 2026 07:40:21 GMT"), path, query), "date");
        assert!(!verifies("GET", &with("x-acs-signature-nonce", "0000"), path, query), "nonce");
        assert!(!verifies("GET", &with("accept", "application/xml"), path, query), "accept");
        assert!(!verifies("GET", &with("content-type", "text/plain"), path, query), "content-type");
        assert!(!verifies("GET", &with("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="), path, query), "content-md5");
        assert!(!verifies("GET", &with("x-acs-extra", "1"), path, query), "an added x-acs header");
        // Headers outside the scheme are not signed (host, user-agent), names in any case.
        assert!(verifies("GET", &with("user-agent", "other"), path, query));
        assert!(verifies("GET", &with("host", "example.com"), path, query));
        let upper: Vec<_> = list_headers().into_iter().map(|(n, v)| (if n == "x-acs-action" { "X-Acs-Action" } else { n }, v)).collect();
        assert!(verifies("GET", &upper, path, query));
        // A repeated header signs all its values, so a second one is not smuggled in unsigned.
        let mut twice = list_headers();
        twice.push(("x-acs-action", "DeleteCodeSource"));
        assert!(!verifies("GET", &twice, path, query));
    }

    #[test]
    fn canonicalized_resource_signs_decoded_values_and_bare_empty_keys() {
        let r = |q| String::from_utf8(canonicalized_resource("/p/a%2Fb", q)).unwrap();
        assert_eq!(r(""), "/p/a%2Fb");
        assert_eq!(r("b=2&a=x+y%2Bz&c=&d"), "/p/a%2Fb?a=x y+z&b=2&c&d");
        assert_eq!(r("k=%E4%B8%AD~*"), "/p/a%2Fb?k=中~*");
    }

    #[test]
    fn parses_only_the_exact_scheme_shape() {
        assert!(is_legacy_roa("acs AK:x"));
        assert!(!is_legacy_roa("acsAK:x"));
        assert!(!is_legacy_roa("ACS3-HMAC-SHA256 Credential=a"));
        for bad in [
            "acs ",
            "acs AK",
            "acs :isIVAnzuVYIe1uj66+iIQWpMlR0=",
            "acs AK:",
            "acs AK:not base64!",
            "acs AK:c2hvcnQ=",
            "acs A K:isIVAnzuVYIe1uj66+iIQWpMlR0=",
            "acs  AK:isIVAnzuVYIe1uj66+iIQWpMlR0=",
        ] {
            assert_eq!(parse_authorization(bad), Err(AuthFailure::MalformedAuthorization), "{bad}");
        }
    }

    #[test]
    fn content_md5_is_base64_of_the_md5() {
        assert_eq!(content_md5(b""), "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(content_md5(b"{}"), "mZFLkyvTelC5g8XnyQrpOw==");
    }

    #[test]
    fn request_signer_sends_the_sdk_headers_and_a_verifiable_signature() {
        let h = crate::acs3::tests::fixed_signer(Some(b"{}")).legacy_roa_headers();
        let names: Vec<&str> = h.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "accept",
                "authorization",
                "content-type",
                "date",
                "host",
                "user-agent",
                "x-acs-action",
                "x-acs-credentials-provider",
                "x-acs-signature-method",
                "x-acs-signature-nonce",
                "x-acs-signature-version",
                "x-acs-version"
            ]
        );
        assert_eq!(h["date"], "Tue, 02 Jan 2024 03:04:05 GMT");
        // Pinned: the SDK's own get_string_to_sign and get_roasignature over the same request.
        assert_eq!(h["authorization"], "acs LTAIkey:YSxpJGCVHAixRg9qz0KnV9l2cvU=");
        let auth = parse_authorization(&h["authorization"]).unwrap();
        let sts = string_to_sign("PUT", h.iter().map(|(n, v)| (n.as_str(), v.as_bytes())), "/api/v1/codesources/code-1", "b=x+y&a=1");
        assert!(signature_matches("s3cret", &sts, &auth.signature));
        // Without a body: no content type, and still no content hash.
        let h = crate::acs3::tests::fixed_signer(None).legacy_roa_headers();
        assert!(!h.contains_key("content-type") && !h.contains_key("x-acs-content-sha256"));
    }
}
