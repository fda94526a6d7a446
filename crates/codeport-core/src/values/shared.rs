//! Values both wire families use: free text, login names, sorting and paging.

use crate::error::{Error, Result};

/// True when `s` holds a control character (refused in every free-text value).
pub(crate) fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Free text with a length limit and no control characters (display names, descriptions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    /// Parses a text field: at most `max` characters, no control characters, and not blank when `required`.
    pub fn parse(field: &str, s: &str, max: usize, required: bool) -> Result<Self> {
        if required && s.trim().is_empty() {
            return Err(Error::invalid(field, "it must not be empty"));
        }
        if s.chars().count() > max {
            return Err(Error::invalid(field, format!("it must be at most {max} characters")));
        }
        if has_control(s) {
            return Err(Error::invalid(field, "it must not contain control characters"));
        }
        Ok(Text(s.to_string()))
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A login name for users: 1–64 letters, digits, `_`, `-` or `.`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    /// Parses a user name.
    pub fn parse(s: &str) -> Result<Self> {
        let ok = (1..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if ok {
            Ok(UserName(s.to_string()))
        } else {
            Err(Error::invalid("UserName", "it must be 1 to 64 letters, digits, '_', '-' or '.', starting with a letter or digit"))
        }
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Sort direction, parsed case-insensitively (`ASC`, `asc`, `Desc`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

impl SortOrder {
    /// Parses Order.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "asc" => Ok(SortOrder::Asc),
            "desc" => Ok(SortOrder::Desc),
            _ => Err(Error::invalid("Order", format!("{s:?} is not ASC or DESC"))),
        }
    }
    /// SQL keyword.
    pub fn sql(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

/// One page of a list: 1-based page number and size (1–100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    /// Items per page.
    pub size: u32,
}

impl Page {
    /// Parses PageNumber (default 1) and PageSize (default 20, at most 100).
    pub fn parse(number: Option<i64>, size: Option<i64>) -> Result<Self> {
        let number = number.unwrap_or(1);
        let size = size.unwrap_or(20);
        if !(1..=1_000_000).contains(&number) {
            return Err(Error::invalid("PageNumber", "it must be a positive integer"));
        }
        if !(1..=100).contains(&size) {
            return Err(Error::invalid("PageSize", "it must be between 1 and 100"));
        }
        Ok(Page { number: number as u32, size: size as u32 })
    }
    /// Rows to skip.
    pub fn offset(self) -> i64 {
        (self.number as i64 - 1) * self.size as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        assert_eq!(Page::parse(None, None).unwrap(), Page { number: 1, size: 20 });
        assert!(Page::parse(Some(0), None).is_err());
        assert!(Page::parse(None, Some(101)).is_err());
        assert_eq!(Page::parse(Some(3), Some(10)).unwrap().offset(), 20);
    }
}
