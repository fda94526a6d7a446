//! `GET/POST /login` and `POST /logout`. A failure says the same thing whatever was wrong;
//! throttling (slower answers, then a pause) is `ConsoleAuth`'s and the page says so.

use super::layout::{self, html_response, page};
use super::session::{cookie, form_field, set_cookie, CsrfForm, Viewer, SESSION_COOKIE, SIGN_IN_COOKIE};
use crate::services::console_auth::SignInRefusal;
use crate::state::AppState;
use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use codeport_core::secret::Secret;
use http::{header, StatusCode};
use maud::{html, Markup};
use serde::Deserialize;

/// The sign-in page's query.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path on this server: `/x`, never `//host`, `/\host` or a scheme, so a link to
/// the sign-in page cannot send a user elsewhere afterwards.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.chars().any(|c| c.is_control() || c == '\\') => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn form(next: &str, csrf: &str, user_name: &str, notice: Option<Markup>) -> Markup {
    let body = html! {
        div.login {
            h1 { "Sign in to codeport" }
            @if let Some(n) = notice { (n) }
            div.box { div.box-body {
                form.stack method="post" action="/login" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="next" value=(next);
                    div.field {
                        label for="user_name" { "User name" }
                        input #user_name type="text" name="user_name" value=(user_name) autocomplete="username" autofocus required;
                    }
                    div.field {
                        label for="password" { "Password" }
                        input #password type="password" name="password" autocomplete="current-password" required;
                    }
                    button.primary type="submit" { "Sign in" }
                }
            } }
            p.muted { "After repeated failed attempts for one user or from one address, sign-in is slowed down and then paused for a while." }
        }
    };
    page("Sign in", None, body)
}

/// A fresh double-submit token for the sign-in form.
fn new_sign_in_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// The sign-in form's token: the browser's current one when it has one, so a second tab or
/// a background request for `/login` (a favicon redirect) does not invalidate a form already
/// shown; else a fresh one.
fn sign_in_token(headers: &http::HeaderMap) -> String {
    cookie(headers, SIGN_IN_COOKIE)
        .filter(|t| t.len() == 22 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .unwrap_or_else(new_sign_in_token)
}

fn form_response(state: &AppState, headers: &http::HeaderMap, status: StatusCode, next: &str, user_name: &str, notice: Option<Markup>) -> Response {
    let token = sign_in_token(headers);
    let mut resp = html_response(status, form(next, &token, user_name, notice));
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(state, SIGN_IN_COOKIE, &token, Some(std::time::Duration::from_secs(3600))));
    resp
}

/// `GET /login`: the form, or straight on when already signed in.
pub async fn show(State(state): State<AppState>, Query(q): Query<NextQuery>, headers: http::HeaderMap) -> Response {
    let next = safe_next(q.next.as_deref());
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        if let Ok(Some(_)) = state.console_auth().session(&value).await {
            return Redirect::to(&next).into_response();
        }
    }
    form_response(&state, &headers, StatusCode::OK, &next, "", None)
}

/// `POST /login`.
pub async fn submit(State(state): State<AppState>, req: Request) -> Response {
    let facts = crate::http::request_facts(req.extensions(), req.headers(), &state);
    let headers = req.headers().clone();
    let expected = cookie(req.headers(), SIGN_IN_COOKIE).unwrap_or_default();
    const MAX_SIGN_IN_BYTES: usize = 16 * 1024;
    let Ok(body) = axum::body::to_bytes(req.into_body(), MAX_SIGN_IN_BYTES).await else {
        return layout::error_page(None, codeport_core::Error::PayloadTooLarge { limit: MAX_SIGN_IN_BYTES });
    };
    let field = |name| form_field(&body, name).unwrap_or_default();
    let submitted = field("csrf");
    use subtle::ConstantTimeEq;
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) {
        return layout::forbidden(None, "The sign-in form's security token is missing or stale. Reload the page and try again.");
    }
    let next = safe_next(Some(&field("next")));
    let user_name = field("user_name");
    let password = Secret::new(field("password"));
    match state.console_auth().sign_in(user_name.trim(), &password, &facts).await {
        Ok(Ok(new)) => {
            let mut resp = Redirect::to(&next).into_response();
            let h = resp.headers_mut();
            h.append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, new.cookie_value.expose(), Some(state.config.session_ttl)));
            h.append(header::SET_COOKIE, set_cookie(&state, SIGN_IN_COOKIE, "", None));
            resp
        }
        Ok(Err(SignInRefusal::Invalid)) => {
            let notice = html! { div.notice.error role="alert" { "Invalid user name or password" } };
            form_response(&state, &headers, StatusCode::UNAUTHORIZED, &next, &user_name, Some(notice))
        }
        Ok(Err(SignInRefusal::Locked { retry_after })) => {
            let minutes = retry_after.as_secs().div_ceil(60).max(1);
            let notice = html! {
                div.notice.error role="alert" {
                    "Too many failed sign-ins for this user or from this address. Sign-in is paused; try again in "
                    (minutes) @if minutes == 1 { " minute." } @else { " minutes." }
                }
            };
            let mut resp = form_response(&state, &headers, StatusCode::TOO_MANY_REQUESTS, &next, &user_name, Some(notice));
            if let Ok(v) = http::HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(e) => layout::error_page(None, e),
    }
}

/// The sign-out form's (empty) fields besides the CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

/// `POST /logout`: ends the session server-side and clears the cookie.
pub async fn sign_out(State(state): State<AppState>, headers: http::HeaderMap, CsrfForm(_): CsrfForm<Empty>) -> Response {
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = state.console_auth().sign_out(&value).await {
            return layout::error_page(None, e);
        }
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", None));
    resp
}

/// `GET /`: the viewer's organization.
pub async fn home(viewer: Viewer) -> Response {
    Redirect::to(&format!("/{}", viewer.principal.organization_id())).into_response()
}
