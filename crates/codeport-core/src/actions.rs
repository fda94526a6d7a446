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
pub enum ActionLevel {
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

impl ActionLevel {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionLevel::Create => "create",
            ActionLevel::List => "list",
            ActionLevel::Get => "get",
            ActionLevel::Update => "update",
            ActionLevel::Delete => "delete",
        }
    }
    /// Whether the level only reads (what read-only policies grant).
    pub fn is_read(self) -> bool {
        matches!(self, ActionLevel::List | ActionLevel::Get)
    }
}

/// One operation of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// The operation this row describes.
    pub operation_id: Operation,
    /// Wire family.
    pub family: Family,
    /// The operation's official name.
    pub operation: &'static str,
    /// The RAM action (`service:Operation`).
    pub action: &'static str,
    /// Access level.
    pub access: ActionLevel,
    /// The resource ARN form, with `{placeholders}`.
    pub resource: &'static str,
    /// Where the operation is served: which path prefixes it is mounted under.
    pub mount: Mount,
    /// HTTP method (`GET`, `POST`, `PUT`, `DELETE`); empty for git operations.
    pub method: &'static str,
    /// Path below the mount, with the router's `{parameters}`; empty for git operations.
    pub path: &'static str,
}

/// Where an operation's path is mounted. The routers register every operation of the
/// catalog from these, so a path exists only if the catalog has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    /// PAI ROA paths, as they are (`/api/v1/...`).
    Pai,
    /// A fixed Yunxiao platform path, the same in both editions (`/oapi/v1/platform/user`).
    Platform,
    /// Organization members: under `/oapi/v1/platform/organizations/{organization_id}`
    /// (central) and `/oapi/v1/platform` (region).
    PlatformMembers,
    /// Codeup: under `/oapi/v1/codeup/organizations/{organization_id}` (central) and
    /// `/oapi/v1/codeup` (region).
    Codeup,
    /// Git smart HTTP at `{fullPath}.git/...`, served by the git edge.
    Git,
}

impl Mount {
    /// The path prefixes this mount serves under.
    pub fn bases(self) -> &'static [&'static str] {
        match self {
            Mount::Pai | Mount::Platform => &[""],
            Mount::PlatformMembers => &["/oapi/v1/platform/organizations/{organization_id}", "/oapi/v1/platform"],
            Mount::Codeup => &["/oapi/v1/codeup/organizations/{organization_id}", "/oapi/v1/codeup"],
            Mount::Git => &[],
        }
    }
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
    ($($family:ident $service:literal $op:ident $level:ident $res:expr, $mount:ident $method:literal $path:literal;)*) => {
        /// Every operation codeport serves, by its official name. Routes are registered per
        /// variant and carry it into the service call, so the action a request is authorized
        /// for is the one its route was registered with; a `match` over it is exhaustive, so a
        /// new operation without a handler or a test row does not compile.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum Operation {
            $($op,)*
        }

        impl Operation {
            /// Every operation, in catalog order.
            pub const ALL: &'static [Operation] = &[$(Operation::$op,)*];
        }

        /// Every operation, in the order the docs list them (`CATALOG[op as usize]` is `op`'s row).
        pub static CATALOG: &[ActionSpec] = &[
            $(ActionSpec { operation_id: Operation::$op, family: Family::$family, operation: stringify!($op), action: concat!($service, ":", stringify!($op)), access: ActionLevel::$level, resource: $res, mount: Mount::$mount, method: $method, path: $path },)*
        ];
    };
}

catalog! {
    Pai "paiworkspace" CreateWorkspace Create WS_ANY, Pai "POST" "/api/v1/workspaces";
    Pai "paiworkspace" GetWorkspace Get WS, Pai "GET" "/api/v1/workspaces/{workspace_id}";
    Pai "paiworkspace" ListWorkspaces List WS_ANY, Pai "GET" "/api/v1/workspaces";
    Pai "paiworkspace" UpdateWorkspace Update WS, Pai "PUT" "/api/v1/workspaces/{workspace_id}";
    Pai "paiworkspace" DeleteWorkspace Delete WS, Pai "DELETE" "/api/v1/workspaces/{workspace_id}";
    Pai "paiworkspace" GetDefaultWorkspace Get WS_ANY, Pai "GET" "/api/v1/defaultWorkspaces";
    Pai "paiworkspace" CreateMember Create WS, Pai "POST" "/api/v1/workspaces/{workspace_id}/members";
    Pai "paiworkspace" ListMembers List WS, Pai "GET" "/api/v1/workspaces/{workspace_id}/members";
    Pai "paiworkspace" GetMember Get WS, Pai "GET" "/api/v1/workspaces/{workspace_id}/member";
    Pai "paiworkspace" DeleteMembers Delete WS, Pai "DELETE" "/api/v1/workspaces/{workspace_id}/members";
    Pai "paiworkspace" AddMemberRole Update WS, Pai "POST" "/api/v1/workspaces/{workspace_id}/members/{member_id}/roles/{role_name}";
    Pai "paiworkspace" RemoveMemberRole Update WS, Pai "DELETE" "/api/v1/workspaces/{workspace_id}/members/{member_id}/roles/{role_name}";
    Pai "paicodesource" CreateCodeSource Create CS_ANY, Pai "POST" "/api/v1/codesources";
    Pai "paicodesource" ListCodeSources List CS_ANY, Pai "GET" "/api/v1/codesources";
    Pai "paicodesource" GetCodeSource Get CS, Pai "GET" "/api/v1/codesources/{code_source_id}";
    Pai "paicodesource" UpdateCodeSource Update CS, Pai "PUT" "/api/v1/codesources/{code_source_id}";
    Pai "paicodesource" DeleteCodeSource Delete CS, Pai "DELETE" "/api/v1/codesources/{code_source_id}";
    Pai "paicodesource" PublishCodeSource Update CS, Pai "PUT" "/api/v1/codesources/{code_source_id}/publish";
    Pai "paicodesource" GetCodeSourceCheckoutCredential Get CS, Pai "POST" "/api/v1/codesources/{code_source_id}/checkoutcredential";
    Codeup "codeup" GetCurrentUser Get USER, Platform "GET" "/oapi/v1/platform/user";
    Codeup "codeup" ListOrganizations List ORG, Platform "GET" "/oapi/v1/platform/organizations";
    Codeup "codeup" ListOrganizationMembers List ORG, PlatformMembers "GET" "/members";
    Codeup "codeup" GetOrganizationMember Get ORG, PlatformMembers "GET" "/members/{member_id}";
    Codeup "codeup" GetOrganizationMemberByUserId Get ORG, PlatformMembers "GET" "/members:readByUser";
    Codeup "codeup" SearchOrganizationMembers List ORG, PlatformMembers "POST" "/members:search";
    Codeup "codeup" CreateGroup Create NS, Codeup "POST" "/groups";
    Codeup "codeup" GetNamespace Get NS, Codeup "GET" "/namespaces/{namespace_id}";
    Codeup "codeup" ListNamespaces List NS, Codeup "GET" "/namespaces";
    Codeup "codeup" UpdateGroup Update NS, Codeup "PUT" "/groups/{group_id}";
    Codeup "codeup" DeleteGroup Delete NS, Codeup "DELETE" "/groups/{group_id}";
    Codeup "codeup" ListGroupMembers List NS, Codeup "GET" "/groups/{group_id}/members";
    Codeup "codeup" CreateGroupMember Create NS, Codeup "POST" "/groups/{group_id}/members";
    Codeup "codeup" UpdateGroupMember Update NS, Codeup "PUT" "/groups/{group_id}/members/{user_id}";
    Codeup "codeup" DeleteGroupMember Delete NS, Codeup "DELETE" "/groups/{group_id}/members/{user_id}";
    Codeup "codeup" ListGroupRepositories List NS, Codeup "GET" "/groups/{group_id}/repositories";
    Codeup "codeup" CreateRepository Create REPO, Codeup "POST" "/repositories";
    Codeup "codeup" GetRepository Get REPO, Codeup "GET" "/repositories/{repo}";
    Codeup "codeup" ListRepositories List REPO, Codeup "GET" "/repositories";
    Codeup "codeup" UpdateRepository Update REPO, Codeup "PUT" "/repositories/{repo}";
    Codeup "codeup" DeleteRepository Delete REPO, Codeup "DELETE" "/repositories/{repo}";
    Codeup "codeup" ListBranches List REPO, Codeup "GET" "/repositories/{repo}/branches";
    Codeup "codeup" GetBranch Get REPO, Codeup "GET" "/repositories/{repo}/branches/{branch}";
    Codeup "codeup" CreateBranch Create REPO, Codeup "POST" "/repositories/{repo}/branches";
    Codeup "codeup" DeleteBranch Delete REPO, Codeup "DELETE" "/repositories/{repo}/branches/{branch}";
    Codeup "codeup" ListTags List REPO, Codeup "GET" "/repositories/{repo}/tags";
    Codeup "codeup" GetTag Get REPO, Codeup "GET" "/repositories/{repo}/tags/{tag}";
    Codeup "codeup" CreateTag Create REPO, Codeup "POST" "/repositories/{repo}/tags";
    Codeup "codeup" DeleteTag Delete REPO, Codeup "DELETE" "/repositories/{repo}/tags/{tag}";
    Codeup "codeup" ListFiles List REPO, Codeup "GET" "/repositories/{repo}/files/tree";
    Codeup "codeup" GetFileBlobs Get REPO, Codeup "GET" "/repositories/{repo}/files/{file_path}";
    Codeup "codeup" CreateFile Create REPO, Codeup "POST" "/repositories/{repo}/files";
    Codeup "codeup" UpdateFile Update REPO, Codeup "PUT" "/repositories/{repo}/files/{file_path}";
    Codeup "codeup" DeleteFile Delete REPO, Codeup "DELETE" "/repositories/{repo}/files/{file_path}";
    Codeup "codeup" ListCommits List REPO, Codeup "GET" "/repositories/{repo}/commits";
    Codeup "codeup" GetCommit Get REPO, Codeup "GET" "/repositories/{repo}/commits/{sha}";
    Codeup "codeup" GetCompare Get REPO, Codeup "GET" "/repositories/{repo}/compares";
    Codeup "codeup" GetRepositoryContent Get REPO, Git "" "";
    Codeup "codeup" PushRepository Update REPO, Git "" "";
}

/// The services the catalog covers: an action pattern of one of these must match a real
/// action; actions of other services are foreign and simply never match.
pub const SERVICES: &[&str] = &["paiworkspace", "paicodesource", "codeup"];

/// The catalog entry of an action (case-insensitive, as RAM compares actions).
pub fn find(action: &str) -> Option<&'static ActionSpec> {
    CATALOG.iter().find(|a| a.action.eq_ignore_ascii_case(action))
}

impl Operation {
    /// This operation's catalog row.
    pub fn spec(self) -> &'static ActionSpec {
        &CATALOG[self as usize]
    }
    /// The RAM action (`service:Operation`) that authorizes it.
    pub fn action(self) -> &'static str {
        self.spec().action
    }
    /// The official operation name (`GetCodeSource`).
    pub fn name(self) -> &'static str {
        self.spec().operation
    }
    /// The wire family that serves it.
    pub fn family(self) -> Family {
        self.spec().family
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
        assert_eq!(find("PaiCodeSource:getcodesource").map(|a| a.access), Some(ActionLevel::Get));
        assert!(find("paicodesource:GetCodeSorce").is_none());
        assert_eq!(Operation::PushRepository.spec().access, ActionLevel::Update);
        // Read-only policies grant by name (`*:Get*`, `*:List*`): every read is named so.
        for a in CATALOG {
            assert_eq!(
                a.access.is_read(),
                a.operation.starts_with("Get") || a.operation.starts_with("List") || a.operation.starts_with("Search"),
                "{}",
                a.action
            );
        }
    }

    #[test]
    fn each_operation_is_its_own_row() {
        assert_eq!(Operation::ALL.len(), CATALOG.len());
        for (i, op) in Operation::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
            assert_eq!(op.spec().operation_id, *op);
            assert_eq!(format!("{op:?}"), op.name());
        }
        assert_eq!(Operation::GetCodeSource.action(), "paicodesource:GetCodeSource");
    }
}
