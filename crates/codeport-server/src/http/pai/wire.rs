//! PAI's wire conventions: the error body `{"RequestId","Code","Message","HostId"}`, lenient
//! query parsing (the Python SDK sends `True`/`False` and numbers as strings), and JSON body
//! field access that names the offending field.

use crate::http::request_id;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use codeport_core::error::{AccessDenied, AuthFailure};
use codeport_core::Error;
use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

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

/// The query string, decoded (form encoding: `+` is a space). Later duplicates win.
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

fn form_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
}

impl Query {
    /// Parses a raw query string.
    pub fn parse(raw: &str) -> Query {
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (form_decode(k), form_decode(v))
                })
                .collect(),
        )
    }

    fn raw(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A string parameter; empty counts as absent.
    pub fn str(&self, key: &str) -> Option<String> {
        self.raw(key).filter(|v| !v.is_empty()).map(str::to_string)
    }

    /// An integer parameter.
    pub fn int(&self, key: &str) -> Result<Option<i64>, Error> {
        match self.raw(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| Error::invalid(key, format!("{v:?} is not an integer"))),
        }
    }

    /// A boolean parameter: true/false in any case (the SDK sends `True`).
    pub fn bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.raw(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(Error::invalid(key, format!("{v:?} is not true or false"))),
        }
    }

    /// A comma-separated list parameter (empty items dropped).
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        self.str(key).map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
    }
}

/// A JSON object body with field-named accessors.
#[derive(Debug, Default)]
pub struct JsonBody(Map<String, Value>);

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl JsonBody {
    /// Parses a body; an empty body is an empty object.
    pub fn parse(bytes: &[u8]) -> Result<JsonBody, Error> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => Ok(JsonBody(m)),
            Ok(other) => Err(Error::invalid("body", format!("the body must be a JSON object, not {}", type_name(&other)))),
            Err(e) => Err(Error::invalid("body", format!("the body is not valid JSON ({e})"))),
        }
    }

    /// Builds from an already parsed object (nested items).
    pub fn from_map(m: Map<String, Value>) -> JsonBody {
        JsonBody(m)
    }

    /// Whether the field is present and not null.
    pub fn has(&self, key: &str) -> bool {
        !matches!(self.0.get(key), None | Some(Value::Null))
    }

    /// A string field.
    pub fn str(&self, key: &str) -> Result<Option<String>, Error> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Error::invalid(key, format!("it must be a string, not {}", type_name(other)))),
        }
    }

    /// An integer field (a number, or a string of digits, as loosely typed clients send).
    pub fn int(&self, key: &str) -> Result<Option<i64>, Error> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| Error::invalid(key, "it must be an integer")),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| Error::invalid(key, "it must be an integer")),
            Some(other) => Err(Error::invalid(key, format!("it must be an integer, not {}", type_name(other)))),
        }
    }

    /// An array of strings.
    pub fn str_list(&self, key: &str) -> Result<Option<Vec<String>>, Error> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| Error::invalid(format!("{key}.{}", i + 1), format!("it must be a string, not {}", type_name(v))))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(Error::invalid(key, format!("it must be an array of strings, not {}", type_name(other)))),
        }
    }

    /// An array of objects.
    pub fn object_list(&self, key: &str) -> Result<Option<Vec<JsonBody>>, Error> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Object(m) => Ok(JsonBody(m.clone())),
                    other => Err(Error::invalid(format!("{key}.{}", i + 1), format!("it must be an object, not {}", type_name(other)))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(Error::invalid(key, format!("it must be an array, not {}", type_name(other)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codeport_core::error::AccessDenied;

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

    #[test]
    fn query_is_form_decoded_and_lenient() {
        let q = Query::parse("DisplayName=my+code%2Bsrc&Verbose=True&PageSize=50&Roles=a%2Cb&Empty=");
        assert_eq!(q.str("DisplayName").as_deref(), Some("my code+src"));
        assert_eq!(q.bool("Verbose").unwrap(), Some(true));
        assert_eq!(q.int("PageSize").unwrap(), Some(50));
        assert_eq!(q.list("Roles").unwrap(), vec!["a", "b"]);
        assert_eq!(q.str("Empty"), None);
        assert!(Query::parse("PageSize=x").int("PageSize").is_err());
        assert!(Query::parse("Verbose=maybe").bool("Verbose").is_err());
    }

    #[test]
    fn body_errors_name_the_field() {
        let b = JsonBody::parse(br#"{"DisplayName": 5, "CloneType": "1", "EnvTypes": ["prod", 3]}"#).unwrap();
        assert!(b.str("DisplayName").unwrap_err().to_string().contains("DisplayName"));
        assert_eq!(b.int("CloneType").unwrap(), Some(1));
        assert!(b.str_list("EnvTypes").unwrap_err().to_string().contains("EnvTypes.2"));
        assert!(JsonBody::parse(b"[1]").is_err());
        assert!(JsonBody::parse(b"{bad").is_err());
        assert!(JsonBody::parse(b"").unwrap().str("x").unwrap().is_none());
    }
}
