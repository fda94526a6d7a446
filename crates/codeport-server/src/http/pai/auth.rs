//! Request signature verification: ACS3-HMAC-SHA256, and the legacy ROA signature
//! (`Authorization: acs AccessKeyId:Signature`, HMAC-SHA1) that the official SDKs send with
//! `signature_algorithm="v2"` and alipai sends on every call. [`Signed`] is the only way a PAI
//! handler gets a principal and the body, so an unverified request cannot reach a handler by
//! construction.
//!
//! The Authorization header's scheme word picks the verifier: `acs ` is the legacy ROA
//! scheme ([`codeport_core::roa_legacy`]); anything else goes to ACS3's parser
//! ([`codeport_core::acs3`]), which refuses other schemes. Both schemes end in the same
//! [`Call`] and share, here, the date window, the nonce rule, the body read and the key
//! lookup, so they refuse the same things with the same codes.
//!
//! Order of checks: cheap shape checks first, then the clock, then the body (ACS3: its hash;
//! legacy ROA: its content-md5 when sent), then the AccessKey and the signature
//! (constant-time), and only after a valid signature the nonce, so that unauthenticated
//! traffic cannot burn nonces.

use super::wire::PaiError;
use crate::identity_cache::CachedKey;
use crate::services::Call;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use codeport_core::acs3::SIGNATURE_WINDOW_MS;
use codeport_core::error::AuthFailure;
use codeport_core::timefmt::{now_millis, parse_acs_date, parse_http_date, Millis};
use codeport_core::{acs3, roa_legacy, Error};
use http::request::Parts;
use http::{HeaderMap, HeaderName};
use std::sync::Arc;

/// A request whose signature (ACS3 or legacy ROA) was verified: the call (who signed, for
/// which operation) and the exact body bytes.
pub struct Signed {
    /// Who signed, the route's operation and the request facts; the same for both schemes.
    pub call: Call,
    /// The body as received. ACS3: its SHA-256 matched x-acs-content-sha256. Legacy ROA: the
    /// signature does not cover it; when the client sent content-md5, that matched.
    pub body: Bytes,
    /// The raw query string.
    pub raw_query: String,
}

// Pre-parsed names: looking a header up by &str parses the name every time.
const AUTHORIZATION: HeaderName = HeaderName::from_static("authorization");
const SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-acs-security-token");
const BEARER_TOKEN: HeaderName = HeaderName::from_static("x-acs-bearer-token");
const ACS3_DATE: HeaderName = HeaderName::from_static("x-acs-date");
const NONCE: HeaderName = HeaderName::from_static("x-acs-signature-nonce");
const CONTENT_SHA256: HeaderName = HeaderName::from_static("x-acs-content-sha256");
const CONTENT_LENGTH: HeaderName = HeaderName::from_static("content-length");
const HTTP_DATE: HeaderName = HeaderName::from_static("date");
const CONTENT_MD5: HeaderName = HeaderName::from_static("content-md5");
const SIGNATURE_METHOD: HeaderName = HeaderName::from_static("x-acs-signature-method");
/// Headers every accepted ACS3 signature must cover.
const REQUIRED_SIGNED: [&str; 4] = ["host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"];

fn header<'a>(h: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn fail(f: AuthFailure) -> PaiError {
    PaiError(Error::Auth(f))
}

/// What a scheme's verifier established once the signature matched.
struct Verified<'a> {
    /// The AccessKey that signed.
    key: Arc<CachedKey>,
    /// The signature's nonce, not yet recorded.
    nonce: &'a str,
    /// The signature's date, within the window.
    date: Millis,
    /// The body as received.
    body: Bytes,
}

impl FromRequest<AppState> for Signed {
    type Rejection = PaiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let h = &parts.headers;
        if h.contains_key(SECURITY_TOKEN) || h.contains_key(BEARER_TOKEN) {
            return Err(fail(AuthFailure::UnsupportedCredential));
        }
        let auth = header(h, &AUTHORIZATION).ok_or(fail(AuthFailure::MissingAuthorization))?;
        let now = now_millis();
        let verified = if roa_legacy::is_legacy_roa(auth) {
            verify_legacy_roa(&parts, auth, body, now, state).await?
        } else {
            verify_acs3(&parts, auth, body, now, state).await?
        };
        state.identities().check_nonce(&verified.key.key.id, verified.nonce, now, verified.date.max(now) + SIGNATURE_WINDOW_MS + 1_000).await?;
        let call = crate::http::call_of(&parts, state, verified.key.principal.clone())?;
        Ok(Signed { call, body: verified.body, raw_query: parts.uri.query().unwrap_or("").to_string() })
    }
}

/// The signature's date, if it parsed and is within [`SIGNATURE_WINDOW_MS`] of `now` either way.
fn within_window(date: Option<Millis>, now: Millis) -> Result<Millis, PaiError> {
    date.filter(|d| (d - now).abs() <= SIGNATURE_WINDOW_MS).ok_or(fail(AuthFailure::IllegalTimestamp))
}

/// The signature nonce (`x-acs-signature-nonce` in both schemes): present, at most 128 bytes.
fn nonce_of(h: &HeaderMap) -> Result<&str, PaiError> {
    header(h, &NONCE).filter(|n| !n.is_empty() && n.len() <= 128).ok_or(fail(AuthFailure::MissingSignatureHeader))
}

/// The body, refused past the configured size (by its content-length before reading it).
async fn read_body(h: &HeaderMap, body: Body, state: &AppState) -> Result<Bytes, PaiError> {
    let limit = state.config.max_body_bytes;
    if let Some(len) = header(h, &CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok()) {
        if len > limit as u64 {
            return Err(PaiError(Error::PayloadTooLarge { limit }));
        }
    }
    axum::body::to_bytes(body, limit).await.map_err(|_| PaiError(Error::PayloadTooLarge { limit }))
}

/// ACS3-HMAC-SHA256: the signed headers named in the Authorization header, the body by its
/// x-acs-content-sha256.
async fn verify_acs3<'a>(parts: &'a Parts, auth: &str, body: Body, now: Millis, state: &AppState) -> Result<Verified<'a>, PaiError> {
    let h = &parts.headers;
    let auth = acs3::parse_authorization(auth).map_err(fail)?;
    if REQUIRED_SIGNED.iter().any(|r| !auth.signed_headers.iter().any(|s| s == r)) {
        return Err(fail(AuthFailure::MissingSignatureHeader));
    }
    // Every signed header must be present; gather each one's values once.
    let mut signed_values: Vec<(&str, Vec<&str>)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let values: Vec<&str> = h.get_all(name.as_str()).iter().filter_map(|v| v.to_str().ok()).collect();
        if values.is_empty() {
            return Err(fail(AuthFailure::MissingSignatureHeader));
        }
        signed_values.push((name.as_str(), values));
    }
    let date = within_window(header(h, &ACS3_DATE).and_then(parse_acs_date), now)?;
    let nonce = nonce_of(h)?;
    let claimed_hash = header(h, &CONTENT_SHA256).ok_or(fail(AuthFailure::MissingSignatureHeader))?;

    let body = read_body(h, body, state).await?;
    if !acs3::sha256_hex(&body).eq_ignore_ascii_case(claimed_hash) {
        return Err(fail(AuthFailure::ContentHashMismatch));
    }

    let key = state.identities().signing_key(&auth.access_key_id).await?;
    let creq = acs3::canonical_request(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query().unwrap_or(""),
        &auth.signed_headers,
        |name| signed_values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_slice()).unwrap_or_default().iter().copied(),
        claimed_hash,
    );
    if !acs3::signature_matches(key.secret.expose(), &acs3::string_to_sign(&creq), &auth.signature) {
        return Err(fail(AuthFailure::SignatureMismatch));
    }
    Ok(Verified { key, nonce, date, body })
}

/// The legacy ROA signature: method, accept, content-md5, content-type, date, every
/// `x-acs-*` header, the path and the decoded query. **It does not cover the body**: a body
/// is tied to the signature only when the client sends content-md5 (signed), which is then
/// checked against the body; without it (the official SDKs never send it) the body is taken
/// as received, and the nonce and date window are the only replay protection.
async fn verify_legacy_roa<'a>(parts: &'a Parts, auth: &str, body: Body, now: Millis, state: &AppState) -> Result<Verified<'a>, PaiError> {
    let h = &parts.headers;
    let auth = roa_legacy::parse_authorization(auth).map_err(fail)?;
    if h.get(SIGNATURE_METHOD).is_some_and(|m| m.as_bytes() != roa_legacy::SIGNATURE_METHOD.as_bytes()) {
        return Err(fail(AuthFailure::UnsupportedCredential));
    }
    if !h.contains_key(HTTP_DATE) {
        return Err(fail(AuthFailure::MissingSignatureHeader));
    }
    let nonce = nonce_of(h)?;
    let date = within_window(header(h, &HTTP_DATE).and_then(parse_http_date), now)?;

    let body = read_body(h, body, state).await?;
    if h.get_all(CONTENT_MD5).iter().any(|md5| md5.as_bytes() != roa_legacy::content_md5(&body).as_bytes()) {
        return Err(fail(AuthFailure::ContentMd5Mismatch));
    }

    let key = state.identities().signing_key(&auth.access_key_id).await?;
    let string_to_sign = roa_legacy::string_to_sign(
        parts.method.as_str(),
        h.iter().map(|(name, value)| (name.as_str(), value.as_bytes())),
        parts.uri.path(),
        parts.uri.query().unwrap_or(""),
    );
    if !roa_legacy::signature_matches(key.secret.expose(), &string_to_sign, &auth.signature) {
        return Err(fail(AuthFailure::SignatureMismatch));
    }
    Ok(Verified { key, nonce, date, body })
}
