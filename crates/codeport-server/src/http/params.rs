//! Request parsing both wire families share: a form-decoded query string, lenient scalar
//! parameters (clients send numbers and booleans as strings, `True` included), and a JSON
//! object body whose accessors name the offending field in their errors. Each family's
//! handlers build domain commands from these; none of this knows a family's field names.

use codeport_core::values::Text;
use codeport_core::Error;
use serde_json::{Map, Value};

/// An integer parameter given as text (surrounding spaces ignored); empty counts as absent.
pub fn int_param(field: &str, v: Option<&str>) -> Result<Option<i64>, Error> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| Error::invalid(field, format!("{v:?} is not an integer"))),
    }
}

/// A parameter that must be present and not blank; `field` names it in the error.
pub fn required(field: &str, v: Option<String>) -> Result<String, Error> {
    v.filter(|v| !v.trim().is_empty()).ok_or_else(|| Error::missing(field))
}

/// A boolean parameter given as text: true or false in any case; empty counts as absent.
pub fn bool_param(field: &str, v: Option<&str>) -> Result<Option<bool>, Error> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(Error::invalid(field, format!("{v:?} is not true or false"))),
    }
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
        int_param(key, self.raw(key))
    }

    /// A boolean parameter: true/false in any case (the SDK sends `True`).
    pub fn bool(&self, key: &str) -> Result<Option<bool>, Error> {
        bool_param(key, self.raw(key))
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

impl From<Map<String, Value>> for JsonBody {
    /// A body built from fields already decoded elsewhere (a console form's).
    fn from(fields: Map<String, Value>) -> JsonBody {
        JsonBody(fields)
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

    /// A text field of at most `max` characters (and not empty when `non_empty`); absent or
    /// null is `None`, which a caller that requires the field turns into a missing parameter.
    pub fn text(&self, key: &str, max: usize, non_empty: bool) -> Result<Option<Text>, Error> {
        self.str(key)?.map(|v| Text::parse(key, &v, max, non_empty)).transpose()
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
        assert!(b.text("Missing", 10, true).unwrap().is_none());
        let b = JsonBody::parse(br#"{"Name": "", "Long": "abcdef"}"#).unwrap();
        assert!(b.text("Name", 10, true).unwrap_err().to_string().contains("Name"));
        assert!(b.text("Name", 10, false).unwrap().is_some());
        assert!(b.text("Long", 5, false).unwrap_err().to_string().contains("Long"));
    }
}
