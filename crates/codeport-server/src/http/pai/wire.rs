//! PAI's wire conventions: the error table and the error body
//! `{"RequestId","Code","Message","HostId"}` (with `AccessDeniedDetail` for RAM denials), and
//! PAI's JSON content type. Request parsing shared with Codeup lives in [`crate::http::params`].

use crate::http::request_id;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use codeport_core::error::{AccessDenied, AuthFailure};
use codeport_core::Error;
use http::StatusCode;
use serde::Serialize;

/// The host name PAI error bodies report.
const HOST_ID: &str = "codeport";

/// A domain error on the PAI wire.
#[derive(Debug)]
pub struct PaiError(pub Error);

impl From<Error> for PaiError {
    fn from(e: Error) -> Self {
        PaiError(e)
    }
}

/// The PAI family's error table: every domain error's HTTP status and `Code`, in one place.
/// The match is exhaustive, so a new error variant cannot ship without its row. Codes are the
/// domain's stable codes, which are PAI's own names (official common codes where they exist).
pub fn status_and_code(e: &Error) -> (StatusCode, &'static str) {
    let status = match e {
        Error::MissingParameter { .. } | Error::InvalidParameter { .. } | Error::InvalidOperation { .. } => StatusCode::BAD_REQUEST,
        Error::NotFound { .. } | Error::UnknownOperation => StatusCode::NOT_FOUND,
        Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Error::AlreadyExists { .. } | Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Forbidden { .. } | Error::AccessDenied(_) => StatusCode::FORBIDDEN,
        Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        Error::Auth(f) => match f {
            AuthFailure::MissingAuthorization | AuthFailure::MalformedAuthorization => StatusCode::UNAUTHORIZED,
            // Token failures belong to the Codeup family; PAI never produces them.
            AuthFailure::MissingToken | AuthFailure::InvalidToken | AuthFailure::ExpiredToken => StatusCode::UNAUTHORIZED,
            AuthFailure::NotOrganizationMember | AuthFailure::NotDeploymentOrganizationMember | AuthFailure::TokenScope => StatusCode::FORBIDDEN,
            AuthFailure::AccessKeyNotFound => StatusCode::NOT_FOUND,
            AuthFailure::AccessKeyDisabled => StatusCode::FORBIDDEN,
            AuthFailure::MissingSignatureHeader
            | AuthFailure::SignatureMismatch
            | AuthFailure::IllegalTimestamp
            | AuthFailure::NonceUsed
            | AuthFailure::ContentHashMismatch
            | AuthFailure::ContentMd5Mismatch
            | AuthFailure::UnsupportedCredential => StatusCode::BAD_REQUEST,
        },
    };
    (status, e.code())
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody<'a> {
    request_id: String,
    code: &'a str,
    message: String,
    host_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_denied_detail: Option<AccessDeniedDetail>,
}

/// The message Alibaba Cloud sends with `NoPermission` (STS, PAI and others).
pub const NO_PERMISSION_MESSAGE: &str = "You are not authorized to do this action. You should be authorized by RAM.";

/// Alibaba Cloud's `AccessDeniedDetail`: the official SDKs copy this object (key
/// `AccessDeniedDetail`) into the exception's `access_denied_detail` for a JSON 4xx answer
/// without a positive `x-acs-retry-after` header.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccessDeniedDetail {
    auth_action: String,
    auth_principal_type: &'static str,
    auth_principal_owner_id: String,
    auth_principal_display_name: String,
    policy_type: &'static str,
    no_permission_type: &'static str,
    encoded_diagnostic_message: String,
}

impl AccessDeniedDetail {
    fn of(d: &AccessDenied) -> Self {
        AccessDeniedDetail {
            auth_action: d.action.clone(),
            // Every codeport principal is a user of an organization: the cloud's RAM user.
            auth_principal_type: "SubUser",
            auth_principal_owner_id: d.account_id.clone(),
            // The cloud shows a RAM user's id here; fall back to the name if there is no id.
            auth_principal_display_name: if d.principal_id.is_empty() { d.principal_name.clone() } else { d.principal_id.clone() },
            policy_type: "AccountLevelIdentityBasedPolicy",
            no_permission_type: d.no_permission_type(),
            encoded_diagnostic_message: encoded_diagnostic_message(d),
        }
    }
}

/// The opaque `EncodedDiagnosticMessage`: base64 of a small JSON object naming the action,
/// the resource, the decision and the principal (never a secret).
fn encoded_diagnostic_message(d: &AccessDenied) -> String {
    let diag = serde_json::json!({
        "AuthAction": d.action,
        "AuthResource": d.resource,
        "Decision": d.no_permission_type(),
        "PolicyType": "AccountLevelIdentityBasedPolicy",
        "PrincipalId": d.principal_id,
        "PrincipalName": d.principal_name,
        "AccountId": d.account_id,
    });
    base64::engine::general_purpose::STANDARD.encode(diag.to_string())
}

impl IntoResponse for PaiError {
    fn into_response(self) -> Response {
        let request_id = request_id::current();
        match &self.0 {
            Error::Internal { detail } => tracing::error!(request_id = %request_id, %detail, "internal error"),
            Error::AccessDenied(d) => {
                let body = ErrorBody {
                    request_id,
                    code: status_and_code(&self.0).1,
                    message: NO_PERMISSION_MESSAGE.to_string(),
                    host_id: HOST_ID,
                    access_denied_detail: Some(AccessDeniedDetail::of(d)),
                };
                return (status_and_code(&self.0).0, json_response(&body)).into_response();
            }
            _ => {}
        }
        let (status, code) = status_and_code(&self.0);
        error_response(status, code, self.0.to_string())
    }
}

/// A PAI error response with the current request id.
pub fn error_response(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody { request_id: request_id::current(), code, message, host_id: HOST_ID, access_denied_detail: None };
    (status, json_response(&body)).into_response()
}

/// A JSON response with PAI's content type.
pub fn json_response<T: Serialize>(body: &T) -> Response {
    crate::http::json_with_type(body, "application/json;charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use codeport_core::error::AccessDenied;
    use serde_json::Value;

    fn denied(explicit: bool) -> Error {
        Error::access_denied(AccessDenied {
            action: "paicodesource:CreateCodeSource".into(),
            resource: "acs:paicodesource:cn-hangzhou:ORG1:workspace/ws-1/codesource/*".into(),
            principal_id: "u-42".into(),
            principal_name: "alice".into(),
            account_id: "ORG1".into(),
            explicit,
        })
    }

    /// Renders the error through the real request-id middleware, as the router does.
    async fn render(e: Error) -> (StatusCode, http::HeaderMap, Value) {
        use tower::ServiceExt;
        let e = std::sync::Arc::new(std::sync::Mutex::new(Some(e)));
        let app = axum::Router::new()
            .route(
                "/deny",
                axum::routing::get(move || {
                    let e = e.lock().unwrap().take().unwrap();
                    async move { PaiError(e) }
                }),
            )
            .layer(axum::middleware::from_fn(request_id::middleware));
        let resp = app.oneshot(axum::extract::Request::get("/deny").body(axum::body::Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap())
    }

    fn keys(v: &Value) -> Vec<&str> {
        let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }

    #[tokio::test]
    async fn ram_denial_is_no_permission_with_access_denied_detail() {
        let (status, headers, body) = render(denied(false)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers[http::header::CONTENT_TYPE], "application/json;charset=utf-8");
        // The SDK only fills access_denied_detail when there is no positive x-acs-retry-after.
        assert!(headers.get("x-acs-retry-after").is_none());
        let request_id = headers["x-acs-request-id"].to_str().unwrap();
        assert!(!request_id.is_empty());
        assert_eq!(keys(&body), ["AccessDeniedDetail", "Code", "HostId", "Message", "RequestId"]);
        assert_eq!(body["RequestId"], request_id);
        assert_eq!(body["Code"], "NoPermission");
        assert_eq!(body["Message"], "You are not authorized to do this action. You should be authorized by RAM.");
        assert_eq!(body["HostId"], HOST_ID);
        let d = &body["AccessDeniedDetail"];
        assert_eq!(
            keys(d),
            [
                "AuthAction",
                "AuthPrincipalDisplayName",
                "AuthPrincipalOwnerId",
                "AuthPrincipalType",
                "EncodedDiagnosticMessage",
                "NoPermissionType",
                "PolicyType"
            ]
        );
        assert_eq!(d["AuthAction"], "paicodesource:CreateCodeSource");
        assert_eq!(d["AuthPrincipalType"], "SubUser");
        assert_eq!(d["AuthPrincipalOwnerId"], "ORG1");
        assert_eq!(d["AuthPrincipalDisplayName"], "u-42");
        assert_eq!(d["PolicyType"], "AccountLevelIdentityBasedPolicy");
        assert_eq!(d["NoPermissionType"], "ImplicitDeny");
        let raw = base64::engine::general_purpose::STANDARD.decode(d["EncodedDiagnosticMessage"].as_str().unwrap()).unwrap();
        let diag: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(diag["AuthAction"], "paicodesource:CreateCodeSource");
        assert_eq!(diag["AuthResource"], "acs:paicodesource:cn-hangzhou:ORG1:workspace/ws-1/codesource/*");
        assert_eq!(diag["Decision"], "ImplicitDeny");
        assert_eq!(diag["PrincipalId"], "u-42");

        let (status, _, body) = render(denied(true)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny");
        let raw = base64::engine::general_purpose::STANDARD.decode(body["AccessDeniedDetail"]["EncodedDiagnosticMessage"].as_str().unwrap()).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&raw).unwrap()["Decision"], "ExplicitDeny");
    }

    #[tokio::test]
    async fn other_errors_have_no_access_denied_detail() {
        let (status, _, body) = render(Error::Forbidden { action: "delete this workspace".into() }).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(keys(&body), ["Code", "HostId", "Message", "RequestId"]);
        assert_eq!(body["Code"], "NoPermission");
        let (status, _, body) = render(Error::missing("WorkspaceId")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.get("AccessDeniedDetail").is_none());
    }
}
