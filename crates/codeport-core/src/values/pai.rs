//! PAI AIWorkspace values: workspaces, their roles, and the code sources in them (mount
//! paths, git URLs, references and commits a code source points at).

use super::shared::has_control;
use crate::access::AccessLevel;
use crate::error::{Error, Result};

/// A workspace name: 3–23 letters, digits or `_`, starting with a letter; unique in the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    /// Parses `WorkspaceName`.
    pub fn parse(s: &str) -> Result<Self> {
        let ok = (3..=23).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ok {
            Ok(WorkspaceName(s.to_string()))
        } else {
            Err(Error::invalid("WorkspaceName", "it must be 3 to 23 letters, digits or underscores and start with a letter"))
        }
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A workspace's environment types: `["prod"]` or `["dev","prod"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvTypes(Vec<String>);

impl EnvTypes {
    /// Parses EnvTypes; order and duplicates are normalized.
    pub fn parse(items: &[String]) -> Result<Self> {
        let mut dev = false;
        let mut prod = false;
        for i in items {
            match i.to_ascii_lowercase().as_str() {
                "dev" => dev = true,
                "prod" => prod = true,
                _ => return Err(Error::invalid("EnvTypes", format!("unknown environment type {i:?}; expected \"prod\" or \"dev\""))),
            }
        }
        match (dev, prod) {
            (false, true) => Ok(EnvTypes(vec!["prod".into()])),
            (true, true) => Ok(EnvTypes(vec!["dev".into(), "prod".into()])),
            _ => Err(Error::invalid("EnvTypes", "it must be [\"prod\"] or [\"dev\",\"prod\"]")),
        }
    }
    /// Stored form: comma-separated.
    pub fn to_stored(&self) -> String {
        self.0.join(",")
    }
    /// From the stored form; None when it does not hold valid types.
    pub fn from_stored(s: &str) -> Option<Self> {
        EnvTypes::parse(&s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect::<Vec<_>>()).ok()
    }
    /// The types, in their wire form (`["prod"]` or `["dev","prod"]`).
    pub fn names(&self) -> &[String] {
        &self.0
    }
}

/// An absolute path inside the job container where the code is checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountPath(String);

impl MountPath {
    /// PAI's default mount path.
    pub const DEFAULT: &'static str = "/root/code/";

    /// Parses MountPath: absolute, no `..` or `.` segments, no control characters, at most 1024 bytes.
    pub fn parse(s: &str) -> Result<Self> {
        if !s.starts_with('/') {
            return Err(Error::invalid("MountPath", "it must be an absolute path starting with /"));
        }
        if s.len() > 1024 || has_control(s) || s.contains('\\') {
            return Err(Error::invalid("MountPath", "it must be at most 1024 bytes without control characters or backslashes"));
        }
        if s.split('/').any(|seg| seg == ".." || seg == ".") {
            return Err(Error::invalid("MountPath", "it must not contain . or .. segments"));
        }
        Ok(MountPath(s.to_string()))
    }
    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A git repository URL: `https://`, `http://`, `ssh://` or scp-like `user@host:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitUrl(String);

impl GitUrl {
    /// Parses CodeRepo.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid("CodeRepo", why);
        if s.len() > 2048 || has_control(s) || s.contains(char::is_whitespace) {
            return Err(bad("it must be a git URL of at most 2048 characters without spaces"));
        }
        if let Some((scheme, rest)) = s.split_once("://") {
            if !matches!(scheme.to_ascii_lowercase().as_str(), "https" | "http" | "ssh") {
                return Err(bad("the scheme must be https, http or ssh"));
            }
            let authority = rest.split('/').next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or("");
            let host = host.split(':').next().unwrap_or("");
            if host.is_empty() || rest.len() <= authority.len() + 1 {
                return Err(bad("it must name a host and a repository path"));
            }
            return Ok(GitUrl(s.to_string()));
        }
        // scp-like: [user@]host:path, where host has no slash and path is not empty.
        if let Some((userhost, path)) = s.split_once(':') {
            let host = userhost.rsplit('@').next().unwrap_or("");
            if !host.is_empty() && !host.contains('/') && !path.is_empty() && !path.starts_with("//") && userhost.contains('@') {
                return Ok(GitUrl(s.to_string()));
            }
        }
        Err(bad("it must be a git URL: https://, http://, ssh:// or git@host:path"))
    }
    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A git reference name, valid by `git check-ref-format --allow-onelevel` rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRefName(String);

impl GitRefName {
    /// Parses a branch or ref name for the given field.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let bad = || Error::invalid(field, format!("{s:?} is not a valid git ref name"));
        if s.is_empty() || s.len() > 255 || s == "@" || s.contains("..") || s.contains("@{") || s.contains("//") {
            return Err(bad());
        }
        if s.starts_with('/') || s.ends_with('/') || s.ends_with('.') || s.starts_with('-') {
            return Err(bad());
        }
        if s.chars().any(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\' | '\u{7f}')) {
            return Err(bad());
        }
        if s.split('/').any(|c| c.starts_with('.') || c.ends_with(".lock")) {
            return Err(bad());
        }
        Ok(GitRefName(s.to_string()))
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A commit id, abbreviated or full: 4 to 64 hex digits, stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitId(String);

impl CommitId {
    /// Parses CodeCommit.
    pub fn parse(s: &str) -> Result<Self> {
        if (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(CommitId(s.to_ascii_lowercase()))
        } else {
            Err(Error::invalid("CodeCommit", "it must be 4 to 64 hexadecimal digits"))
        }
    }
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who may see a code source: its creator and workspace admins (PRIVATE), or every member (PUBLIC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accessibility {
    Private,
    Public,
}

impl Accessibility {
    /// Parses case-insensitively, as the SDK documents both cases.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "PRIVATE" => Ok(Accessibility::Private),
            "PUBLIC" => Ok(Accessibility::Public),
            _ => Err(Error::invalid("Accessibility", format!("{s:?} is not PRIVATE or PUBLIC"))),
        }
    }
    /// The wire and stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Accessibility::Private => "PRIVATE",
            Accessibility::Public => "PUBLIC",
        }
    }
}

/// How a code source is laid out in its mount path: 0 = a new subdirectory, 1 = tiled into the mount path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloneType(i64);

impl CloneType {
    /// 0: cloned into a new subdirectory of the mount path (the default).
    pub const SUBDIRECTORY: CloneType = CloneType(0);
    /// 1: tiled into the mount path itself.
    pub const TILED: CloneType = CloneType(1);

    /// Parses CloneType: 0 or 1.
    pub fn parse(v: i64) -> Result<Self> {
        if v == 0 || v == 1 {
            Ok(CloneType(v))
        } else {
            Err(Error::invalid("CloneType", "it must be 0 (clone into a subdirectory) or 1 (tile into the mount path)"))
        }
    }
    /// The number.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A PAI workspace role. All seven official roles exist; each has a meaning for code sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkspaceRole {
    Owner,
    Admin,
    AlgoDeveloper,
    AlgoOperator,
    LabelManager,
    MaxComputeDeveloper,
    Guest,
}

impl WorkspaceRole {
    /// Every role, in the order they are listed.
    pub const ALL: [WorkspaceRole; 7] = [
        WorkspaceRole::Owner,
        WorkspaceRole::Admin,
        WorkspaceRole::AlgoDeveloper,
        WorkspaceRole::AlgoOperator,
        WorkspaceRole::LabelManager,
        WorkspaceRole::MaxComputeDeveloper,
        WorkspaceRole::Guest,
    ];

    /// The official name, e.g. `PAI.WorkspaceOwner`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceRole::Owner => "PAI.WorkspaceOwner",
            WorkspaceRole::Admin => "PAI.WorkspaceAdmin",
            WorkspaceRole::AlgoDeveloper => "PAI.AlgoDeveloper",
            WorkspaceRole::AlgoOperator => "PAI.AlgoOperator",
            WorkspaceRole::LabelManager => "PAI.LabelManager",
            WorkspaceRole::MaxComputeDeveloper => "PAI.MaxComputeDeveloper",
            WorkspaceRole::Guest => "PAI.WorkspaceGuest",
        }
    }

    /// Parses a role name (case-insensitive) for the given field.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        WorkspaceRole::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::invalid(field, format!("{s:?} is not a workspace role; expected one of {}", WorkspaceRole::names())))
    }

    fn names() -> String {
        WorkspaceRole::ALL.map(WorkspaceRole::as_str).join(", ")
    }

    /// Owners and admins manage the workspace, its members and every code source in it.
    pub fn manages_workspace(self) -> bool {
        matches!(self, WorkspaceRole::Owner | WorkspaceRole::Admin)
    }

    /// What the role grants in its workspace: an owner everything, an admin management, a
    /// guest reading, every other role writing (creating code sources).
    pub fn access_level(self) -> AccessLevel {
        match self {
            WorkspaceRole::Owner => AccessLevel::Owner,
            WorkspaceRole::Admin => AccessLevel::Admin,
            WorkspaceRole::Guest => AccessLevel::Read,
            _ => AccessLevel::Write,
        }
    }

    /// Every role but guest may create code sources and read the public ones plus their own.
    pub fn develops(self) -> bool {
        self != WorkspaceRole::Guest
    }
}

/// A set of roles, stored comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleSet(Vec<WorkspaceRole>);

impl RoleSet {
    /// A set from roles (sorted, without duplicates).
    pub fn new(mut roles: Vec<WorkspaceRole>) -> Self {
        roles.sort();
        roles.dedup();
        RoleSet(roles)
    }
    /// Parses a list of role names for the given field.
    pub fn parse(field: &str, names: &[String]) -> Result<Self> {
        names.iter().map(|n| WorkspaceRole::parse(field, n)).collect::<Result<Vec<_>>>().map(RoleSet::new)
    }
    /// The stored form (`,`-joined official names, with leading and trailing commas for LIKE filters).
    pub fn to_stored(&self) -> String {
        format!(",{},", self.names().join(","))
    }
    /// Reads the stored form; unknown names (from a newer version) are skipped.
    pub fn from_stored(s: &str) -> Self {
        RoleSet::new(s.split(',').filter_map(|n| WorkspaceRole::parse("Roles", n).ok()).collect())
    }
    /// The official names.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|r| r.as_str().to_string()).collect()
    }
    /// Whether the set holds `r`.
    pub fn contains(&self, r: WorkspaceRole) -> bool {
        self.0.contains(&r)
    }
    /// Adds a role; false if it was already there.
    pub fn insert(&mut self, r: WorkspaceRole) -> bool {
        if self.contains(r) {
            return false;
        }
        self.0.push(r);
        self.0.sort();
        true
    }
    /// Removes a role; false if it was not there.
    pub fn remove(&mut self, r: WorkspaceRole) -> bool {
        let before = self.0.len();
        self.0.retain(|x| *x != r);
        before != self.0.len()
    }
    /// Whether any role manages the workspace.
    pub fn manages_workspace(&self) -> bool {
        self.0.iter().any(|r| r.manages_workspace())
    }
    /// Whether any role develops.
    pub fn develops(&self) -> bool {
        self.0.iter().any(|r| r.develops())
    }
    /// The highest level any of the roles grants ([`AccessLevel::None`] for no role).
    pub fn access_level(&self) -> AccessLevel {
        self.0.iter().map(|r| r.access_level()).max().unwrap_or_default()
    }
    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_urls() {
        for ok in
            ["https://codeup.aliyun.com/org/repo.git", "http://127.0.0.1:8080/a/b.git", "ssh://git@host:22/a/b.git", "git@github.com:me/repo.git"]
        {
            assert!(GitUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "ftp://host/a", "https://", "https://host", "just-a-name", "git@:x", "https://host/a b", "/local/path", "file:///etc/passwd"]
        {
            assert!(GitUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ref_names_follow_check_ref_format() {
        for ok in ["master", "feature/x", "refs/heads/main", "v1.0", "release-2024"] {
            assert!(GitRefName::parse("CodeBranch", ok).is_ok(), "{ok}");
        }
        for bad in
            ["", "a..b", "a b", "a~1", "x^", "a:b", "a?", "a*", "a[", "/a", "a/", "a.", ".a", "a/.b", "x.lock", "@", "a@{1}", "a//b", "-x", "a\\b"]
        {
            assert!(GitRefName::parse("CodeBranch", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mount_paths_commits_and_names() {
        assert!(MountPath::parse("/root/code/").is_ok());
        assert!(MountPath::parse("relative").is_err());
        assert!(MountPath::parse("/a/../b").is_err());
        assert_eq!(CommitId::parse("ABCD").unwrap().as_str(), "abcd");
        assert!(CommitId::parse("abc").is_err());
        assert!(CommitId::parse(&"a".repeat(65)).is_err());
        assert!(CommitId::parse("xyz1").is_err());
        assert!(WorkspaceName::parse("ws_1").is_ok());
        assert!(WorkspaceName::parse("1ws").is_err());
        assert!(WorkspaceName::parse("ab").is_err());
        assert!(WorkspaceName::parse(&"a".repeat(24)).is_err());
        assert_eq!(Accessibility::parse("public").unwrap(), Accessibility::Public);
        assert!(Accessibility::parse("SECRET").is_err());
        assert!(CloneType::parse(2).is_err());
    }

    #[test]
    fn roles_and_env_types() {
        assert_eq!(WorkspaceRole::parse("Roles", "pai.workspaceadmin").unwrap(), WorkspaceRole::Admin);
        assert!(WorkspaceRole::parse("Roles", "PAI.God").is_err());
        let mut set = RoleSet::parse("Roles", &["PAI.AlgoDeveloper".into(), "PAI.WorkspaceGuest".into()]).unwrap();
        assert_eq!(RoleSet::from_stored(&set.to_stored()), set);
        assert!(set.develops() && !set.manages_workspace());
        assert!(set.insert(WorkspaceRole::Admin) && !set.insert(WorkspaceRole::Admin));
        assert!(set.manages_workspace());
        assert!(!RoleSet::new(vec![WorkspaceRole::Guest]).develops());
        assert_eq!(RoleSet::new(vec![WorkspaceRole::Guest]).access_level(), AccessLevel::Read);
        assert_eq!(RoleSet::new(vec![WorkspaceRole::Guest, WorkspaceRole::LabelManager]).access_level(), AccessLevel::Write);
        assert_eq!(set.access_level(), AccessLevel::Admin);
        assert_eq!(RoleSet::default().access_level(), AccessLevel::None);
        assert_eq!(EnvTypes::parse(&["prod".into(), "dev".into()]).unwrap().to_stored(), "dev,prod");
        assert!(EnvTypes::parse(&["dev".into()]).is_err());
        assert!(EnvTypes::parse(&[]).is_err());
        assert_eq!(EnvTypes::from_stored("dev,prod").unwrap().names(), ["dev", "prod"]);
        assert!(EnvTypes::from_stored("dev").is_none());
    }
}
