//! The action catalog: every operation codeport serves, with its RAM action name, access
//! level and resource ARN form. This table is the single source for authorization, the
//! policy parser's "is this a real action" check, the docs and `codeport admin actions`.
//!
//! PAI names follow the official RAM tables (`paiworkspace:<Operation>`,
//! `paicodesource:<Operation>`); officially those actions only support the resource `*`, and
//! the ARNs below are PAI's documented form, which codeport also matches. Codeup has no RAM
//! actions of its own: `codeup:<Operation>` and `acs:codeup:…` ARNs are codeport's extension.
//! Git over HTTP is `codeup:GetRepositoryContent` (clone, fetch) and `codeup:PushRepository`.
//! Every read is named `Get*`, `List*` or `Search*`, so read-only policies can grant by name.

/// Which wire family serves the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// PAI AIWorkspace (ROA, signed with ACS3-HMAC-SHA256).
    Pai,
    /// Codeup / Yunxiao OpenAPI (`x-yunxiao-token`), and git over HTTP.
    Codeup,
}

/// RAM access levels, as the official tables name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLevel {
    /// Creates something.
    Create,
    /// Lists things.
    List,
    /// Reads one thing.
    Get,
    /// Changes something.
    Update,
    /// Deletes something.
    Delete,
}

impl AccessLevel {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Create => "create",
            AccessLevel::List => "list",
            AccessLevel::Get => "get",
            AccessLevel::Update => "update",
            AccessLevel::Delete => "delete",
        }
    }
    /// Whether the level only reads (what read-only policies grant).
    pub fn is_read(self) -> bool {
        matches!(self, AccessLevel::List | AccessLevel::Get)
    }
}

/// One operation of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// Wire family.
    pub family: Family,
    /// The operation's official name.
    pub operation: &'static str,
    /// The RAM action (`service:Operation`).
    pub action: &'static str,
    /// Access level.
    pub access: AccessLevel,
    /// The resource ARN form, with `{placeholders}`.
    pub resource: &'static str,
}

const WS: &str = "acs:paiworkspace:{region}:{organizationId}:workspace/{WorkspaceId}";
const WS_ANY: &str = "acs:paiworkspace:{region}:{organizationId}:workspace/*";
const CS: &str = "acs:paicodesource:{region}:{organizationId}:workspace/{WorkspaceId}/codesource/{CodeSourceId}";
const CS_ANY: &str = "acs:paicodesource:{region}:{organizationId}:workspace/{WorkspaceId}/codesource/*";
const ORG: &str = "acs:codeup:{region}:{organizationId}:organization";
const USER: &str = "acs:codeup:{region}:{organizationId}:user/{userId}";
const NS: &str = "acs:codeup:{region}:{organizationId}:namespace/{fullPath}";
const REPO: &str = "acs:codeup:{region}:{organizationId}:repository/{fullPath}";

macro_rules! catalog {
    ($($family:ident $service:literal $op:literal $level:ident $res:expr;)*) => {
        /// Every operation, in the order the docs list them.
        pub static CATALOG: &[ActionSpec] = &[
            $(ActionSpec { family: Family::$family, operation: $op, action: concat!($service, ":", $op), access: AccessLevel::$level, resource: $res },)*
        ];
    };
}

catalog! {
    Pai "paiworkspace" "CreateWorkspace" Create WS_ANY;
    Pai "paiworkspace" "GetWorkspace" Get WS;
    Pai "paiworkspace" "ListWorkspaces" List WS_ANY;
    Pai "paiworkspace" "UpdateWorkspace" Update WS;
    Pai "paiworkspace" "DeleteWorkspace" Delete WS;
    Pai "paiworkspace" "GetDefaultWorkspace" Get WS_ANY;
    Pai "paiworkspace" "CreateMember" Create WS;
    Pai "paiworkspace" "ListMembers" List WS;
    Pai "paiworkspace" "GetMember" Get WS;
    Pai "paiworkspace" "DeleteMembers" Delete WS;
    Pai "paiworkspace" "AddMemberRole" Update WS;
    Pai "paiworkspace" "RemoveMemberRole" Update WS;
    Pai "paicodesource" "CreateCodeSource" Create CS_ANY;
    Pai "paicodesource" "ListCodeSources" List CS_ANY;
    Pai "paicodesource" "GetCodeSource" Get CS;
    Pai "paicodesource" "UpdateCodeSource" Update CS;
    Pai "paicodesource" "DeleteCodeSource" Delete CS;
    Pai "paicodesource" "PublishCodeSource" Update CS;
    Codeup "codeup" "GetCurrentUser" Get USER;
    Codeup "codeup" "ListOrganizations" List ORG;
    Codeup "codeup" "ListOrganizationMembers" List ORG;
    Codeup "codeup" "GetOrganizationMember" Get ORG;
    Codeup "codeup" "GetOrganizationMemberByUserId" Get ORG;
    Codeup "codeup" "SearchOrganizationMembers" List ORG;
    Codeup "codeup" "CreateGroup" Create NS;
    Codeup "codeup" "GetNamespace" Get NS;
    Codeup "codeup" "ListNamespaces" List NS;
    Codeup "codeup" "UpdateGroup" Update NS;
    Codeup "codeup" "DeleteGroup" Delete NS;
    Codeup "codeup" "ListGroupMembers" List NS;
    Codeup "codeup" "CreateGroupMember" Create NS;
    Codeup "codeup" "UpdateGroupMember" Update NS;
    Codeup "codeup" "DeleteGroupMember" Delete NS;
    Codeup "codeup" "ListGroupRepositories" List NS;
    Codeup "codeup" "CreateRepository" Create REPO;
    Codeup "codeup" "GetRepository" Get REPO;
    Codeup "codeup" "ListRepositories" List REPO;
    Codeup "codeup" "UpdateRepository" Update REPO;
    Codeup "codeup" "DeleteRepository" Delete REPO;
    Codeup "codeup" "ListBranches" List REPO;
    Codeup "codeup" "GetBranch" Get REPO;
    Codeup "codeup" "CreateBranch" Create REPO;
    Codeup "codeup" "DeleteBranch" Delete REPO;
    Codeup "codeup" "ListTags" List REPO;
    Codeup "codeup" "GetTag" Get REPO;
    Codeup "codeup" "CreateTag" Create REPO;
    Codeup "codeup" "DeleteTag" Delete REPO;
    Codeup "codeup" "ListFiles" List REPO;
    Codeup "codeup" "GetFileBlobs" Get REPO;
    Codeup "codeup" "CreateFile" Create REPO;
    Codeup "codeup" "UpdateFile" Update REPO;
    Codeup "codeup" "DeleteFile" Delete REPO;
    Codeup "codeup" "ListCommits" List REPO;
    Codeup "codeup" "GetCommit" Get REPO;
    Codeup "codeup" "GetCompare" Get REPO;
    Codeup "codeup" "GetRepositoryContent" Get REPO;
    Codeup "codeup" "PushRepository" Update REPO;
}

/// The services the catalog covers: an action pattern of one of these must match a real
/// action; actions of other services are foreign and simply never match.
pub const SERVICES: &[&str] = &["paiworkspace", "paicodesource", "codeup"];

/// The catalog entry of an action (case-insensitive, as RAM compares actions).
pub fn find(action: &str) -> Option<&'static ActionSpec> {
    CATALOG.iter().find(|a| a.action.eq_ignore_ascii_case(action))
}

/// The catalog entry of an operation of a family.
pub fn of_operation(family: Family, operation: &str) -> Option<&'static ActionSpec> {
    CATALOG.iter().find(|a| a.family == family && a.operation == operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_unique_and_well_formed() {
        for (i, a) in CATALOG.iter().enumerate() {
            let (service, op) = a.action.split_once(':').expect("service:Operation");
            assert!(SERVICES.contains(&service), "{}", a.action);
            assert_eq!(op, a.operation);
            assert!(a.resource.starts_with(&format!("acs:{service}:{{region}}:{{organizationId}}:")), "{}", a.resource);
            assert!(CATALOG[i + 1..].iter().all(|b| !b.action.eq_ignore_ascii_case(a.action)), "{} twice", a.action);
        }
        assert_eq!(find("PaiCodeSource:getcodesource").map(|a| a.access), Some(AccessLevel::Get));
        assert!(find("paicodesource:GetCodeSorce").is_none());
        assert_eq!(of_operation(Family::Codeup, "PushRepository").map(|a| a.access), Some(AccessLevel::Update));
    // Read-only policies grant by name (`*:Get*`, `*:List*`): every read is named so.
    for a in CATALOG {
        assert_eq!(a.access.is_read(), a.operation.starts_with("Get") || a.operation.starts_with("List") || a.operation.starts_with("Search"), "{}", a.action);
    }
    }
}
