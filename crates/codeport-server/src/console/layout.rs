//! The page shell every console page shares, the error pages, and the security headers.
//! Templates are maud: every interpolated string is HTML-escaped unless wrapped in
//! `PreEscaped`, which only the sanitizing renderer's output is.

use super::session::Viewer;
use axum::response::{IntoResponse, Response};
use codeport_core::values::CodeVisibility;
use codeport_core::Error;
use http::{header, HeaderValue, StatusCode};
use maud::{html, Markup, DOCTYPE};

/// A whole page: the top bar (with the signed-in user and "Sign out" when there is one)
/// and `body` in the main column.
pub fn page(title: &str, viewer: Option<&Viewer>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · codeport" }
                link rel="stylesheet" href=(super::assets::css_href());
                script src=(super::assets::js_src()) defer {}
            }
            body {
                header.topbar {
                    a.brand href="/" { "codeport" }
                    @if let Some(v) = viewer {
                        nav {
                            a href={ "/" (v.principal.organization_id()) } { "Code" }
                            a href="/pai/workspaces" { "PAI workspaces" }
                        }
                        div.who {
                            span { (v.principal.user.name) }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(v.csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// An HTML response with the given status.
pub fn html_response(status: StatusCode, markup: Markup) -> Response {
    let mut resp = (status, markup.into_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    resp
}

/// A 200 page.
pub fn ok_page(title: &str, viewer: &Viewer, body: Markup) -> Response {
    html_response(StatusCode::OK, page(title, Some(viewer), body))
}

/// The one "not found" page: an unknown path and a resource the viewer may not see answer
/// exactly this, so a page never reveals that something exists.
pub fn not_found(viewer: Option<&Viewer>) -> Response {
    let body = html! {
        h1 { "Page not found" }
        p.subtitle { "There is nothing here, or you do not have access to it." }
        p { a href="/" { "Back to the start page" } }
    };
    html_response(StatusCode::NOT_FOUND, page("Not found", viewer, body))
}

/// A refused form post (a missing or wrong CSRF token).
pub fn forbidden(viewer: Option<&Viewer>, why: &str) -> Response {
    let body = html! {
        h1 { "Forbidden" }
        p.subtitle { (why) }
    };
    html_response(StatusCode::FORBIDDEN, page("Forbidden", viewer, body))
}

/// A service error as a page, with the status the API gives it. Not found is the one
/// not-found page (the services already answer not found for what the viewer may not
/// see); a RAM denial or a refused action shows its message, as the API does; anything
/// unexpected is a generic 500 whose detail stays in the log.
pub fn error_page(viewer: Option<&Viewer>, e: Error) -> Response {
    let (status, title) = match &e {
        // An authentication failure on a signed-in session means the path's organization is
        // not the viewer's: as unknown as a path that names nothing.
        Error::NotFound { .. } | Error::Auth(_) => return not_found(viewer),
        Error::AccessDenied(_) | Error::Forbidden { .. } => (StatusCode::FORBIDDEN, "Not allowed"),
        Error::InvalidParameter { .. } | Error::MissingParameter { .. } | Error::AlreadyExists { .. } | Error::InvalidOperation { .. } => {
            (StatusCode::BAD_REQUEST, "That did not work")
        }
        Error::Conflict { .. } => (StatusCode::CONFLICT, "That did not work"),
        Error::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "Too large"),
        _ => {
            tracing::error!(error = ?e, "console page failed");
            let body = html! {
                h1 { "Something went wrong" }
                p.subtitle { "The error has been logged." }
            };
            return html_response(StatusCode::INTERNAL_SERVER_ERROR, page("Error", viewer, body));
        }
    };
    let body = html! {
        h1 { (title) }
        div.notice.error { (e.to_string()) }
        p { a href="/" { "Back to the start page" } }
    };
    html_response(status, page(title, viewer, body))
}

/// A visibility badge.
pub fn visibility_badge(v: CodeVisibility) -> Markup {
    let (class, text) = match v {
        CodeVisibility::Private => ("badge private", "Private"),
        CodeVisibility::Internal => ("badge internal", "Internal"),
        CodeVisibility::Public => ("badge public", "Public"),
    };
    html! { span class=(class) { (text) } }
}

/// The headers every console response carries: no inline script or style (CSP), no
/// framing, no sniffing, no caching of private pages, no referrer beyond this server.
pub async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let mut resp = next.run(req).await;
    add_security_headers(&mut resp, started);
    resp
}

/// See [`security_headers`]; also applied to pages served from the fallback route. Adds a
/// `Server-Timing` header with the time the server spent since `started`, so page speed can
/// be read in the browser's tools and measured from outside without guessing network time.
pub fn add_security_headers(resp: &mut Response, started: std::time::Instant) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={:.2}", started.elapsed().as_secs_f64() * 1000.0)) {
        h.insert("server-timing", v);
    }
    // A response that set its own, stricter policy keeps it (raw repository files).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
            ),
        );
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
