//! PAI's wire conventions: the error body `{"RequestId","Code","Message","HostId"}`, lenient
//! query parsing (the Python SDK sends `True`/`False` and numbers as strings), and JSON body
//! field access that names the offending field.

use crate::http::request_id;
use axum::response::{IntoResponse, Response};
use codeport_core::error::AuthFailure;
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

/// The HTTP status of each error, in one place for the PAI family.
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::MissingParameter { .. } | Error::InvalidParameter { .. } | Error::OperationDenied { .. } => StatusCode::BAD_REQUEST,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::AlreadyExists { .. } | Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Forbidden { .. } => StatusCode::FORBIDDEN,
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
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody<'a> {
    request_id: String,
    code: &'a str,
    message: String,
    host_id: &'a str,
}

impl IntoResponse for PaiError {
    fn into_response(self) -> Response {
        let request_id = request_id::current();
        if let Error::Internal { detail } = &self.0 {
            tracing::error!(request_id = %request_id, %detail, "internal error");
        }
        error_response(status_of(&self.0), self.0.code(), self.0.to_string())
    }
}

/// A PAI error response with the current request id.
pub fn error_response(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody { request_id: request_id::current(), code, message, host_id: HOST_ID };
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
                .map(|(i, v)| v.as_str().map(str::to_string).ok_or_else(|| Error::invalid(format!("{key}.{}", i + 1), format!("it must be a string, not {}", type_name(v)))))
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
