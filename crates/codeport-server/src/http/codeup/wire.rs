//! Codeup / Yunxiao wire conventions: error bodies `{"errorCode","errorMessage","requestId"}`
//! with `Content-Type: application/json` (the official MCP client only parses JSON bodies with
//! that type), bare JSON arrays for lists with the `x-total`... paging headers, and a token
//! extractor so a handler's signature says it needs a caller.

use crate::http::request_id;
use crate::services::platform::TokenCaller;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use codeport_core::error::AuthFailure;
use codeport_core::values::Page;
use codeport_core::Error;
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use serde::Serialize;

/// A domain error on the Codeup wire.
#[derive(Debug)]
pub struct CodeupError(pub Error);

impl From<Error> for CodeupError {
    fn from(e: Error) -> Self {
        CodeupError(e)
    }
}

/// The Codeup family's error table: every domain error's HTTP status and `errorCode`, in one
/// place (codes from the official error-code table where one fits). The match is exhaustive,
/// so a new error variant cannot ship without its row.
pub fn status_and_code(e: &Error) -> (StatusCode, &'static str) {
    match e {
        Error::MissingParameter { .. } | Error::InvalidParameter { .. } => (StatusCode::BAD_REQUEST, "BadRequest"),
        Error::InvalidOperation { code, .. } => (StatusCode::BAD_REQUEST, code),
        Error::NotFound { .. } | Error::UnknownOperation => (StatusCode::NOT_FOUND, "NotFound"),
        Error::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
        Error::AlreadyExists { .. } | Error::Conflict { .. } => (StatusCode::CONFLICT, "Conflict"),
        // A RAM denial's errorMessage (its Display) names the action, resource and decision.
        Error::Forbidden { .. } | Error::AccessDenied(_) => (StatusCode::FORBIDDEN, "Forbidden"),
        Error::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge"),
        Error::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests"),
        Error::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        Error::Auth(f) => {
            let status = match f {
                AuthFailure::NotOrganizationMember
                | AuthFailure::NotDeploymentOrganizationMember
                | AuthFailure::TokenScope
                | AuthFailure::AccessKeyDisabled => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            (status, f.code())
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    error_code: &'a str,
    error_message: String,
    request_id: String,
}

impl IntoResponse for CodeupError {
    fn into_response(self) -> Response {
        if let Error::Internal { detail } = &self.0 {
            tracing::error!(request_id = %request_id::current(), %detail, "internal error");
        }
        let (status, code) = status_and_code(&self.0);
        let body = ErrorBody { error_code: code, error_message: self.0.to_string(), request_id: request_id::current() };
        let mut resp = (status, json(&body)).into_response();
        if let Error::TooManyRequests { retry_after_ms } = self.0 {
            if let Ok(v) = HeaderValue::from_str(&retry_after_ms.div_ceil(1000).max(1).to_string()) {
                resp.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

/// A JSON response with `Content-Type: application/json`.
pub fn json<T: Serialize>(body: &T) -> Response {
    crate::http::json_with_type(body, "application/json")
}

/// A page of a list: the bare JSON array plus `x-total`, `x-total-pages`, `x-page`,
/// `x-per-page`, `x-next-page` and `x-prev-page` (the last two empty at the ends).
pub fn paged<T: Serialize>(items: &[T], total: u64, page: Page) -> Response {
    let mut resp = json(&items);
    let pages = total.div_ceil(page.size as u64).max(1);
    let next = if (page.number as u64) < pages { (page.number + 1).to_string() } else { String::new() };
    let prev = if page.number > 1 { (page.number - 1).to_string() } else { String::new() };
    for (name, value) in [
        ("x-total", total.to_string()),
        ("x-total-pages", pages.to_string()),
        ("x-page", page.number.to_string()),
        ("x-per-page", page.size.to_string()),
        ("x-next-page", next),
        ("x-prev-page", prev),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, v);
        }
    }
    resp
}

/// Parses `page` and `perPage` (1–100) with the given default page size.
pub fn page_of(page: Option<i64>, per_page: Option<i64>, default_size: i64) -> Result<Page, Error> {
    Page::parse(page, Some(per_page.unwrap_or(default_size))).map_err(|e| match e {
        Error::InvalidParameter { field, reason } => {
            Error::InvalidParameter { field: if field == "PageSize" { "perPage".into() } else { "page".into() }, reason }
        }
        other => other,
    })
}

/// `page` and `perPage` of a query string (text, as clients send them) with the given default
/// page size.
pub fn query_page(page: Option<&str>, per_page: Option<&str>, default_size: i64) -> Result<Page, Error> {
    use crate::http::params::int_param;
    page_of(int_param("page", page)?, int_param("perPage", per_page)?, default_size)
}

/// The caller of a Codeup request, authenticated by `x-yunxiao-token`.
pub struct Caller(pub TokenCaller);

impl FromRequestParts<AppState> for Caller {
    type Rejection = CodeupError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts.headers.get("x-yunxiao-token").and_then(|v| v.to_str().ok());
        let operation = crate::http::operation_of(parts)?;
        Ok(Caller(state.platform().authenticate_token(token, operation, crate::http::request_facts(&parts.extensions, &parts.headers, state)).await?))
    }
}

/// The route's path parameters by name (none in the region edition), percent-decoded by axum
/// (so `ORG%2Fgroup` arrives as one `ORG/group` value).
pub struct PathParams(pub std::collections::HashMap<String, String>);

impl FromRequestParts<AppState> for PathParams {
    type Rejection = CodeupError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| CodeupError(Error::invalid("path", "a path parameter is not valid UTF-8")))?;
        let mut out = std::collections::HashMap::new();
        for (k, v) in &raw {
            out.insert(k.to_string(), v.to_string());
        }
        Ok(PathParams(out))
    }
}

/// Query parameters; a query that does not parse is a BadRequest in the Codeup format
/// (axum's own rejection would be plain text, which the official client cannot read).
pub struct CodeupQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequestParts<AppState> for CodeupQuery<T> {
    type Rejection = CodeupError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| CodeupQuery(q.0))
            .map_err(|e| CodeupError(Error::invalid("query", e.body_text())))
    }
}

/// The request body, read up to the configured limit; a larger one is 413 in the Codeup format.
pub struct BodyBytes(pub bytes::Bytes);

impl axum::extract::FromRequest<AppState> for BodyBytes {
    type Rejection = CodeupError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.max_body_bytes;
        axum::body::to_bytes(req.into_body(), limit).await.map(BodyBytes).map_err(|_| CodeupError(Error::PayloadTooLarge { limit }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codeport_core::error::AccessDenied;

    fn denied(explicit: bool) -> Error {
        Error::access_denied(AccessDenied {
            action: "codeup:CreateRepository".into(),
            resource: "acs:codeup:cn-hangzhou:ORG1:repository/ORG1/x".into(),
            principal_id: "u-42".into(),
            principal_name: "alice".into(),
            account_id: "ORG1".into(),
            explicit,
        })
    }

    async fn render(e: Error) -> (StatusCode, http::HeaderMap, serde_json::Value) {
        let (parts, body) = CodeupError(e).into_response().into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn ram_denial_is_forbidden_naming_the_action() {
        let (status, headers, body) = render(denied(false)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
        let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["errorCode", "errorMessage", "requestId"]);
        assert_eq!(body["errorCode"], "Forbidden");
        assert_eq!(
            body["errorMessage"],
            "RAM policy denies codeup:CreateRepository on acs:codeup:cn-hangzhou:ORG1:repository/ORG1/x (implicit deny)"
        );
        let (_, _, body) = render(denied(true)).await;
        assert_eq!(
            body["errorMessage"],
            "RAM policy denies codeup:CreateRepository on acs:codeup:cn-hangzhou:ORG1:repository/ORG1/x (explicit deny)"
        );
    }
}
