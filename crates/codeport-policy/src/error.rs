//! The parse error: it says which statement, which field and why, because policy authors fix documents by hand.

use std::fmt;

/// Why a policy document was rejected.
///
/// Why structured fields rather than a string: the server reports them in API error bodies and the CLI points
/// at the offending statement. [`fmt::Display`] renders e.g.
/// `Statement[2].Effect: "allow" is not Allow or Deny (case-sensitive) [Sid "ReadCode"]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// Index of the statement in the `Statement` array (0-based); `None` for document-level errors.
    pub statement: Option<usize>,
    /// The statement's `Sid`, when it has one, so the author can find it by name.
    pub sid: Option<String>,
    /// Path of the offending element: relative to the statement (`Effect`, `Action[1]`,
    /// `Condition.IpAddress.acs:SourceIp[0]`) or document-level (`Version`, `Statement`, `(document)`).
    pub field: String,
    /// Human-readable reason.
    pub reason: String,
}

impl PolicyError {
    /// A document-level error (no statement).
    pub(crate) fn doc(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PolicyError { statement: None, sid: None, field: field.into(), reason: reason.into() }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.statement {
            Some(i) => write!(f, "Statement[{i}].{}: {}", self.field, self.reason)?,
            None => write!(f, "{}: {}", self.field, self.reason)?,
        }
        if let Some(sid) = &self.sid {
            write!(f, " [Sid {sid:?}]")?;
        }
        Ok(())
    }
}
