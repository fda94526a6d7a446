//! Who is looking at a page: the session cookie, resolved through `ConsoleAuth` to the
//! same [`Principal`] the API would authorize, and the CSRF check every form post passes.

use super::layout;
use crate::services::console_auth::ConsoleSession;
use crate::services::platform::TokenCaller;
use crate::services::{Call, Principal, RequestFacts};
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Redirect, Response};
use codeport_core::actions::Operation;
use codeport_core::values::TokenScopes;
use http::request::Parts;
use http::{header, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The session cookie: an opaque random value; the server keeps only its hash.
pub const SESSION_COOKIE: &str = "codeport_session";
/// The sign-in form's double-submit CSRF cookie (there is no session yet to bind it to).
pub const SIGN_IN_COOKIE: &str = "codeport_sign_in";
/// The largest form body a console page accepts.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// A signed-in user looking at a page.
pub struct Viewer {
    /// Who they are, exactly as the API's authenticators build it.
    pub principal: Arc<Principal>,
    /// Their session record.
    pub session: ConsoleSession,
    /// The token every form of this session carries.
    pub csrf: String,
    /// What RAM conditions read about this request.
    pub facts: RequestFacts,
}

impl Viewer {
    /// The service call for `operation` on behalf of this viewer: the console authorizes
    /// exactly as the API does for the same user.
    pub fn call(&self, operation: Operation) -> Call {
        Call { principal: self.principal.clone(), operation, facts: self.facts.clone() }
    }

    /// The Codeup services' caller: a session carries everything its user may do (a
    /// token's scopes can only narrow that, and a session has none).
    pub fn token_caller(&self, operation: Operation) -> TokenCaller {
        TokenCaller { call: self.call(operation), scopes: TokenScopes::default() }
    }
}

/// The value of one cookie of a request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when clients reach the server
/// over https; `max_age` None deletes the cookie.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<std::time::Duration>) -> HeaderValue {
    let secure = if state.config.external_url.starts_with("https://") { "; Secure" } else { "" };
    let age = max_age.map_or(0, |d| d.as_secs());
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={age}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("codeport_invalid=; Max-Age=0"))
}

/// Where a request without a session goes: a page to the sign-in page, coming back to it
/// afterwards; a form post is refused (403) like any post without this session's token.
fn to_sign_in(parts: &Parts) -> Response {
    if parts.method != http::Method::GET && parts.method != http::Method::HEAD {
        return layout::forbidden(None, "You are not signed in, or your session has ended. Sign in and try again.");
    }
    let here = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let next: String = url_encode(here);
    Redirect::to(&format!("/login?next={next}")).into_response()
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else { return Err(to_sign_in(parts)) };
        match state.console_auth().session(&value).await {
            Ok(Some((session, principal))) => Ok(Viewer {
                principal,
                session,
                csrf: state.console_auth().csrf_token(&value),
                facts: crate::http::request_facts(&parts.extensions, &parts.headers, state),
            }),
            Ok(None) => Err(to_sign_in(parts)),
            Err(e) => Err(layout::error_page(None, e)),
        }
    }
}

/// A form post that carried this session's CSRF token in its `csrf` field (else 403,
/// nothing done), deserialized into `T`.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let cookie_value = cookie(req.headers(), SESSION_COOKIE).unwrap_or_default();
        let body = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| layout::error_page(None, codeport_core::Error::PayloadTooLarge { limit: MAX_FORM_BYTES }))?;
        let submitted = form_field(&body, "csrf").unwrap_or_default();
        if cookie_value.is_empty() || !state.console_auth().csrf_matches(&cookie_value, &submitted) {
            return Err(layout::forbidden(None, "The form's security token is missing or stale. Reload the page and try again."));
        }
        serde_urlencoded::from_bytes(&body).map(CsrfForm).map_err(|e| layout::error_page(None, codeport_core::Error::invalid("form", e)))
    }
}

/// One field of a url-encoded form body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()?.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}
