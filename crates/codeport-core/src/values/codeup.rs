//! Codeup values: group paths, visibility, and the scopes of personal access tokens.

use crate::error::{Error, Result};

/// A Codeup group path segment: letters, digits, `_`, `-`, `.`; starts with a letter, digit or
/// `_`; does not end in `.git` or `.atom`; 1–255 characters; not a reserved name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPath(String);

/// Names that would collide with codeport's own routes or git's conventions.
const RESERVED_PATHS: &[&str] =
    &["api", "oapi", "healthz", "groups", "namespaces", "repositories", "members", "users", "admin", "assets", "static", "-", "info", "git"];

impl GroupPath {
    /// Parses a path for the given field.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid(field, format!("{s:?} {why}"));
        if s.is_empty() || s.len() > 255 {
            return Err(bad("must be 1 to 255 characters"));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
            return Err(bad("may contain only letters, digits, '_', '-' and '.'"));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad("must start with a letter, a digit or '_'"));
        }
        let lower = s.to_ascii_lowercase();
        if lower.ends_with(".git") || lower.ends_with(".atom") {
            return Err(bad("must not end in .git or .atom"));
        }
        if RESERVED_PATHS.contains(&lower.as_str()) {
            return Err(bad("is a reserved name"));
        }
        Ok(GroupPath(s.to_string()))
    }
    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Codeup visibility, ordered from least to most visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CodeVisibility {
    /// Members of the group or an ancestor, and organization owners/admins.
    Private,
    /// Every member of the organization.
    Internal,
    /// Also anonymous readers where the product allows them.
    Public,
}

impl CodeVisibility {
    /// Parses `private`, `internal` or `public` (case-insensitive).
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "private" => Ok(CodeVisibility::Private),
            "internal" => Ok(CodeVisibility::Internal),
            "public" => Ok(CodeVisibility::Public),
            _ => Err(Error::invalid(field, format!("{s:?} is not private, internal or public"))),
        }
    }
    /// The wire and stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeVisibility::Private => "private",
            CodeVisibility::Internal => "internal",
            CodeVisibility::Public => "public",
        }
    }
}

/// What a personal access token scope covers, after the Yunxiao token page's resource list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeResource {
    /// Code groups (namespaces).
    Group,
    /// Repositories and their content.
    Repository,
    /// Group and repository members.
    Member,
    /// The token's own user.
    User,
    /// Organizations.
    Organization,
    /// Organization members.
    OrganizationMember,
}

impl ScopeResource {
    /// Every resource, for the default (full) scope set.
    pub const ALL: [ScopeResource; 6] = [
        ScopeResource::Group,
        ScopeResource::Repository,
        ScopeResource::Member,
        ScopeResource::User,
        ScopeResource::Organization,
        ScopeResource::OrganizationMember,
    ];

    /// The name used in `--scope` and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeResource::Group => "group",
            ScopeResource::Repository => "repository",
            ScopeResource::Member => "member",
            ScopeResource::User => "user",
            ScopeResource::Organization => "organization",
            ScopeResource::OrganizationMember => "organization-member",
        }
    }
}

/// Read-only or read-write; write implies read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScopeAccess {
    /// Read operations.
    Read,
    /// Read and write operations.
    Write,
}

/// A token's scopes: per resource, read or write. Empty means everything the user may do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenScopes(Vec<(ScopeResource, ScopeAccess)>);

impl TokenScopes {
    /// Parses `group:read,repository:write,...` (`ro`/`rw` also accepted); empty means all.
    pub fn parse(s: &str) -> Result<Self> {
        let mut out: Vec<(ScopeResource, ScopeAccess)> = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (res, acc) =
                item.split_once(':').ok_or_else(|| Error::invalid("scope", format!("{item:?} must look like group:read or repository:write")))?;
            let res = ScopeResource::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(res.trim())).ok_or_else(|| {
                Error::invalid(
                    "scope",
                    format!("unknown resource {res:?}; expected one of {}", ScopeResource::ALL.map(ScopeResource::as_str).join(", ")),
                )
            })?;
            let acc = match acc.trim().to_ascii_lowercase().as_str() {
                "read" | "ro" | "read-only" => ScopeAccess::Read,
                "write" | "rw" | "read-write" => ScopeAccess::Write,
                other => return Err(Error::invalid("scope", format!("unknown access {other:?}; expected read or write"))),
            };
            match out.iter_mut().find(|(r, _)| *r == res) {
                Some(slot) => slot.1 = slot.1.max(acc),
                None => out.push((res, acc)),
            }
        }
        Ok(TokenScopes(out))
    }

    /// The stored form (empty for all).
    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|(r, a)| format!("{}:{}", r.as_str(), if *a == ScopeAccess::Write { "write" } else { "read" }))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether the scopes allow `access` to `resource`.
    pub fn allows(&self, resource: ScopeResource, access: ScopeAccess) -> bool {
        self.0.is_empty() || self.0.iter().any(|(r, a)| *r == resource && *a >= access)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_store_and_allow() {
        let all = TokenScopes::parse("").unwrap();
        assert!(all.allows(ScopeResource::Group, ScopeAccess::Write));
        let s = TokenScopes::parse("group:read, repository:rw, group:write").unwrap();
        assert_eq!(s.to_stored(), "group:write,repository:write");
        let ro = TokenScopes::parse("user:read").unwrap();
        assert!(ro.allows(ScopeResource::User, ScopeAccess::Read));
        assert!(!ro.allows(ScopeResource::User, ScopeAccess::Write));
        assert!(!ro.allows(ScopeResource::Group, ScopeAccess::Read));
        assert_eq!(TokenScopes::parse(&ro.to_stored()).unwrap(), ro);
        assert!(TokenScopes::parse("groups:read").is_err());
        assert!(TokenScopes::parse("group:admin").is_err());
        assert!(TokenScopes::parse("group").is_err());
    }

    #[test]
    fn group_paths_and_visibility() {
        for ok in ["team", "_x", "a.b-c_d", "9lives"] {
            assert!(GroupPath::parse("path", ok).is_ok(), "{ok}");
        }
        for bad in ["", ".hidden", "-x", "a/b", "a b", "repo.git", "feed.ATOM", "API", "é"] {
            assert!(GroupPath::parse("path", bad).is_err(), "{bad}");
        }
        assert!(GroupPath::parse("path", &"a".repeat(256)).is_err());
        assert!(CodeVisibility::Private < CodeVisibility::Internal && CodeVisibility::Internal < CodeVisibility::Public);
        assert_eq!(CodeVisibility::parse("visibility", "Internal").unwrap(), CodeVisibility::Internal);
        assert!(CodeVisibility::parse("visibility", "secret").is_err());
    }
}
