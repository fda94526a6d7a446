//! ACS3-HMAC-SHA256 verification. [`Signed`] is the only way a PAI handler gets a principal
//! and the body, so an unverified request cannot reach a handler by construction.
//!
//! Order of checks: cheap shape checks first, then the clock, then the body hash, then the
//! AccessKey and the signature (constant-time), and only after a valid signature the nonce,
//! so that unauthenticated traffic cannot burn nonces.

use super::wire::PaiError;
use crate::services::Call;
use crate::state::AppState;
use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use codeport_core::acs3;
use codeport_core::acs3::SIGNATURE_WINDOW_MS;
use codeport_core::error::AuthFailure;
use codeport_core::timefmt::{now_millis, parse_acs_date};
use codeport_core::Error;
use http::{HeaderMap, HeaderName};

/// A request whose ACS3 signature was verified: the call (who signed, for which operation)
/// and the exact body bytes.
pub struct Signed {
    /// Who signed, the route's operation and the request facts.
    pub call: Call,
    /// The body as received (its SHA-256 matched x-acs-content-sha256).
    pub body: Bytes,
    /// The raw query string.
    pub raw_query: String,
}

// Pre-parsed names: looking a header up by &str parses the name every time.
const AUTHORIZATION: HeaderName = HeaderName::from_static("authorization");
const SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-acs-security-token");
const BEARER_TOKEN: HeaderName = HeaderName::from_static("x-acs-bearer-token");
const DATE: HeaderName = HeaderName::from_static("x-acs-date");
const NONCE: HeaderName = HeaderName::from_static("x-acs-signature-nonce");
const CONTENT_SHA256: HeaderName = HeaderName::from_static("x-acs-content-sha256");
const CONTENT_LENGTH: HeaderName = HeaderName::from_static("content-length");
/// Headers every accepted signature must cover.
const REQUIRED_SIGNED: [&str; 4] = ["host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"];

fn header<'a>(h: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn fail(f: AuthFailure) -> PaiError {
    PaiError(Error::Auth(f))
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
        let now = now_millis();
        let date = header(h, &DATE).and_then(parse_acs_date).ok_or(fail(AuthFailure::IllegalTimestamp))?;
        if (date - now).abs() > SIGNATURE_WINDOW_MS {
            return Err(fail(AuthFailure::IllegalTimestamp));
        }
        let nonce = header(h, &NONCE).filter(|n| !n.is_empty() && n.len() <= 128).ok_or(fail(AuthFailure::MissingSignatureHeader))?;
        let claimed_hash = header(h, &CONTENT_SHA256).ok_or(fail(AuthFailure::MissingSignatureHeader))?;

        let limit = state.config.max_body_bytes;
        if let Some(len) = header(h, &CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok()) {
            if len > limit as u64 {
                return Err(PaiError(Error::PayloadTooLarge { limit }));
            }
        }
        let body = axum::body::to_bytes(body, limit).await.map_err(|_| PaiError(Error::PayloadTooLarge { limit }))?;
        if !acs3::sha256_hex(&body).eq_ignore_ascii_case(claimed_hash) {
            return Err(fail(AuthFailure::ContentHashMismatch));
        }

        let signer = state.signing_key(&auth.access_key_id).await?;
        let raw_query = parts.uri.query().unwrap_or("");
        let creq = acs3::canonical_request(
            parts.method.as_str(),
            parts.uri.path(),
            raw_query,
            &auth.signed_headers,
            |name| signed_values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_slice()).unwrap_or_default().iter().copied(),
            claimed_hash,
        );
        if !acs3::signature_matches(signer.secret.expose(), &acs3::string_to_sign(&creq), &auth.signature) {
            return Err(fail(AuthFailure::SignatureMismatch));
        }
        state.check_nonce(&signer.key.id, nonce, now, date.max(now) + SIGNATURE_WINDOW_MS + 1_000).await?;
        let call = crate::http::call_of(&parts, state, signer.principal.clone())?;
        Ok(Signed { call, body, raw_query: raw_query.to_string() })
    }
}
