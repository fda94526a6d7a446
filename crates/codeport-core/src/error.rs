//! The one domain error type. Each variant has a stable machine code; the HTTP status and
//! the wire body are chosen at the edge, once per wire family.

use std::fmt;

/// What kind of thing was not found; part of the stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFoundKind {
    Workspace,
    Member,
    CodeSource,
    User,
    AccessKey,
    Token,
    Organization,
    Role,
    Namespace,
    Repository,
    Branch,
    Tag,
    File,
    Commit,
    Policy,
    ConsoleSession,
}

impl NotFoundKind {
    /// The stable code of a not-found error of this kind, as PAI names them.
    pub fn code(self) -> &'static str {
        match self {
            NotFoundKind::Workspace => "WorkspaceNotFound",
            NotFoundKind::Member => "MemberNotFound",
            NotFoundKind::CodeSource => "CodeSourceNotFound",
            NotFoundKind::User => "UserNotFound",
            NotFoundKind::AccessKey => "AccessKeyNotFound",
            NotFoundKind::Token => "TokenNotFound",
            NotFoundKind::Organization => "OrganizationNotFound",
            NotFoundKind::Role => "RoleNotFound",
            NotFoundKind::Namespace => "NamespaceNotFound",
            NotFoundKind::Repository => "RepositoryNotFound",
            NotFoundKind::Branch => "BranchNotFound",
            NotFoundKind::Tag => "TagNotFound",
            NotFoundKind::File => "FileNotFound",
            NotFoundKind::Commit => "CommitNotFound",
            NotFoundKind::Policy => "EntityNotExist.Policy",
            NotFoundKind::ConsoleSession => "ConsoleSessionNotFound",
        }
    }

    /// A human word for messages.
    pub fn noun(self) -> &'static str {
        match self {
            NotFoundKind::Workspace => "workspace",
            NotFoundKind::Member => "member",
            NotFoundKind::CodeSource => "code source",
            NotFoundKind::User => "user",
            NotFoundKind::AccessKey => "AccessKey",
            NotFoundKind::Token => "token",
            NotFoundKind::Organization => "organization",
            NotFoundKind::Role => "role",
            NotFoundKind::Namespace => "namespace",
            NotFoundKind::Repository => "repository",
            NotFoundKind::Branch => "branch",
            NotFoundKind::Tag => "tag",
            NotFoundKind::File => "file",
            NotFoundKind::Commit => "commit or ref",
            NotFoundKind::Policy => "policy",
            NotFoundKind::ConsoleSession => "console session",
        }
    }
}

/// Why a signed request was refused. Each variant is its own stable code so that a client
/// (and an operator reading logs) can tell a clock problem from a wrong secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No Authorization header at all.
    MissingAuthorization,
    /// An Authorization header that is neither `ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`
    /// nor the legacy ROA `acs AccessKeyId:Signature`.
    MalformedAuthorization,
    /// A header the signature scheme requires is missing (ACS3: x-acs-date, nonce, content
    /// hash; legacy ROA: date, nonce).
    MissingSignatureHeader,
    /// The AccessKey id is unknown.
    AccessKeyNotFound,
    /// The AccessKey exists but is disabled.
    AccessKeyDisabled,
    /// The recomputed signature differs.
    SignatureMismatch,
    /// The signature's date (ACS3 x-acs-date, legacy ROA date) is malformed or too far from the server clock.
    IllegalTimestamp,
    /// The nonce was already used by this AccessKey within the window.
    NonceUsed,
    /// x-acs-content-sha256 does not match the body received.
    ContentHashMismatch,
    /// A content-md5 header (legacy ROA) does not match the body received.
    ContentMd5Mismatch,
    /// STS tokens, bearer tokens or another algorithm: not supported yet.
    UnsupportedCredential,
    /// No personal access token (`x-yunxiao-token`) was sent.
    MissingToken,
    /// The token is unknown or revoked.
    InvalidToken,
    /// The token has expired.
    ExpiredToken,
    /// The token's user is not a member of the organization the request names.
    NotOrganizationMember,
    /// The token's user is not a member of the deployment's organization (region edition).
    NotDeploymentOrganizationMember,
    /// The token's scopes do not allow this operation.
    TokenScope,
}

impl AuthFailure {
    /// Stable code; official Alibaba Cloud common codes where they exist.
    pub fn code(self) -> &'static str {
        match self {
            AuthFailure::MissingAuthorization => "MissingAuthorization",
            AuthFailure::MalformedAuthorization => "InvalidAuthorization",
            AuthFailure::MissingSignatureHeader => "MissingSignatureHeader",
            AuthFailure::AccessKeyNotFound => "InvalidAccessKeyId.NotFound",
            AuthFailure::AccessKeyDisabled => "InvalidAccessKeyId.Inactive",
            AuthFailure::SignatureMismatch => "SignatureDoesNotMatch",
            AuthFailure::IllegalTimestamp => "IllegalTimestamp",
            AuthFailure::NonceUsed => "SignatureNonceUsed",
            AuthFailure::ContentHashMismatch => "ContentSha256Mismatch",
            // OSS's code for a Content-MD5 that does not match the body.
            AuthFailure::ContentMd5Mismatch => "InvalidDigest",
            AuthFailure::UnsupportedCredential => "UnsupportedCredentialType",
            AuthFailure::MissingToken => "Unauthorized",
            AuthFailure::InvalidToken => "InvalidTokenError",
            AuthFailure::ExpiredToken => "ExpiredTokenError",
            AuthFailure::NotOrganizationMember => "Forbidden.InvalidUser.UserNotInCurrentOrganization",
            AuthFailure::NotDeploymentOrganizationMember => "Forbidden.InvalidOrganizationMember",
            AuthFailure::TokenScope => "Forbidden",
        }
    }

    /// A message safe to show: it never contains the secret or the expected signature.
    pub fn message(self) -> &'static str {
        match self {
            AuthFailure::MissingAuthorization => "The request is not signed: the Authorization header is missing.",
            AuthFailure::MalformedAuthorization => {
                "The Authorization header is malformed; expected ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=... or acs AccessKeyId:Signature."
            }
            AuthFailure::MissingSignatureHeader => {
                "A header required by the signature is missing or not signed (ACS3-HMAC-SHA256: x-acs-date, x-acs-signature-nonce, x-acs-content-sha256, host; acs: date, x-acs-signature-nonce)."
            }
            AuthFailure::AccessKeyNotFound => "The specified AccessKey ID does not exist.",
            AuthFailure::AccessKeyDisabled => "The specified AccessKey is disabled.",
            AuthFailure::SignatureMismatch => "The request signature does not conform to Alibaba Cloud standards.",
            AuthFailure::IllegalTimestamp => {
                "The signature's date (x-acs-date, or date for the acs signature) is malformed or more than 15 minutes away from the server time."
            }
            AuthFailure::NonceUsed => "The x-acs-signature-nonce has already been used.",
            AuthFailure::ContentHashMismatch => "x-acs-content-sha256 does not match the SHA-256 of the request body.",
            AuthFailure::ContentMd5Mismatch => "Content-MD5 does not match the MD5 of the request body.",
            AuthFailure::UnsupportedCredential => {
                "Only AccessKey credentials signed with ACS3-HMAC-SHA256 or the acs (HMAC-SHA1) signature are supported (no STS or bearer tokens yet)."
            }
            AuthFailure::MissingToken => "A personal access token is required in the x-yunxiao-token header.",
            AuthFailure::InvalidToken => "Token is invalid.",
            AuthFailure::ExpiredToken => "Token has expired.",
            AuthFailure::NotOrganizationMember => "The current user is not in the organization and has no right to operate.",
            AuthFailure::NotDeploymentOrganizationMember => "The current user can not be used in the organization and has no right to operate.",
            AuthFailure::TokenScope => "The personal access token's scopes do not allow this operation.",
        }
    }
}

/// A RAM policy decision that refused an operation: who asked, for what action on which
/// resource, and whether a `Deny` statement matched (explicit) or simply no `Allow` did
/// (implicit). Each wire edge renders it in its own family's shape (PAI adds an
/// `AccessDeniedDetail` object); none of the fields is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDenied {
    /// The RAM action evaluated, as the policy grammar spells it (`paicodesource:CreateCodeSource`).
    pub action: String,
    /// The resource ARN evaluated (`acs:paicodesource:{region}:{org}:workspace/{ws}/codesource/{id}`), or `*`.
    pub resource: String,
    /// The calling user's id.
    pub principal_id: String,
    /// The calling user's name (may be empty).
    pub principal_name: String,
    /// The account (organization) the principal belongs to.
    pub account_id: String,
    /// `true` when a `Deny` statement matched; `false` when no `Allow` statement did.
    pub explicit: bool,
}

impl AccessDenied {
    /// Alibaba Cloud's `NoPermissionType`: `ExplicitDeny` or `ImplicitDeny`.
    pub fn no_permission_type(&self) -> &'static str {
        if self.explicit {
            "ExplicitDeny"
        } else {
            "ImplicitDeny"
        }
    }
}

impl fmt::Display for AccessDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.explicit { "explicit deny" } else { "implicit deny" };
        write!(f, "RAM policy denies {} on {} ({kind})", self.action, self.resource)
    }
}

/// The domain error. Messages never carry secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A required parameter is absent.
    #[error("{field} is mandatory for this action.")]
    MissingParameter { field: String },
    /// A parameter is present but not acceptable.
    #[error("The parameter {field} is invalid: {reason}")]
    InvalidParameter { field: String, reason: String },
    /// The thing does not exist, or the caller may not see it (the two are indistinguishable on purpose).
    #[error("The {} {id} does not exist.", kind.noun())]
    NotFound { kind: NotFoundKind, id: String },
    /// A unique name or membership already exists.
    #[error("{what} already exists.")]
    AlreadyExists { code: &'static str, what: String },
    /// The request conflicts with the resource's current state (e.g. deleting a non-empty group).
    #[error("{message}")]
    Conflict { message: String },
    /// The caller may see the resource but not do this to it.
    #[error("You are not authorized to {action}.")]
    Forbidden { action: String },
    /// A RAM policy decision denied the operation (boxed to keep `Error` small). Distinct from
    /// `Forbidden`, which comes from codeport's own resource rules (roles, creators).
    #[error("{0}")]
    AccessDenied(Box<AccessDenied>),
    /// The operation is invalid in the resource's current state (removing a workspace's
    /// owner, writing to an archived repository): a bad request, with its own stable code.
    #[error("{message}")]
    InvalidOperation { code: &'static str, message: String },
    /// No operation is served at the request's path.
    #[error("The requested API does not exist.")]
    UnknownOperation,
    /// An operation is served at the request's path, but not with its method.
    #[error("The HTTP method is not allowed on this path.")]
    MethodNotAllowed,
    /// Signature or credential problems.
    #[error("{}", .0.message())]
    Auth(AuthFailure),
    /// The caller exceeded its request rate; it may retry after the given time.
    #[error("Too many requests; retry after {retry_after_ms} ms.")]
    TooManyRequests { retry_after_ms: u64 },
    /// The body is larger than the configured limit.
    #[error("The request body exceeds the limit of {limit} bytes.")]
    PayloadTooLarge { limit: usize },
    /// Something failed inside codeport; the detail goes to the log, not to the caller.
    #[error("An internal error occurred; see the server log for request details.")]
    Internal { detail: String },
}

impl Error {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MissingParameter { .. } => "MissingParameter",
            Error::InvalidParameter { .. } => "InvalidParameter",
            Error::NotFound { kind, .. } => kind.code(),
            Error::AlreadyExists { code, .. } => code,
            Error::Conflict { .. } => "Conflict",
            Error::Forbidden { .. } => "NoPermission",
            Error::AccessDenied(_) => "NoPermission",
            Error::InvalidOperation { code, .. } => code,
            Error::UnknownOperation => "InvalidAction.NotFound",
            Error::MethodNotAllowed => "MethodNotAllowed",
            Error::Auth(f) => f.code(),
            Error::PayloadTooLarge { .. } => "RequestEntityTooLarge",
            Error::TooManyRequests { .. } => "TooManyRequests",
            Error::Internal { .. } => "InternalError",
        }
    }

    /// Shorthand for an invalid-parameter error.
    pub fn invalid(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::InvalidParameter { field: field.into(), reason: reason.to_string() }
    }

    /// Shorthand for a missing-parameter error.
    pub fn missing(field: impl Into<String>) -> Self {
        Error::MissingParameter { field: field.into() }
    }

    /// Shorthand for a not-found error.
    pub fn not_found(kind: NotFoundKind, id: impl Into<String>) -> Self {
        Error::NotFound { kind, id: id.into() }
    }

    /// Shorthand for a RAM policy denial.
    pub fn access_denied(denied: AccessDenied) -> Self {
        Error::AccessDenied(Box::new(denied))
    }

    /// Shorthand for an internal error; `detail` is logged, never sent.
    pub fn internal(detail: impl fmt::Display) -> Self {
        Error::Internal { detail: detail.to_string() }
    }
}

/// Result with the domain error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(explicit: bool) -> AccessDenied {
        AccessDenied {
            action: "codeup:CreateRepository".into(),
            resource: "acs:codeup:cn-hangzhou:ORG:repository/ORG/x".into(),
            principal_id: "u-1".into(),
            principal_name: "alice".into(),
            account_id: "ORG".into(),
            explicit,
        }
    }

    #[test]
    fn access_denied_has_code_message_and_stays_small() {
        let e = Error::access_denied(denied(false));
        assert_eq!(e.code(), "NoPermission");
        assert_eq!(e.to_string(), "RAM policy denies codeup:CreateRepository on acs:codeup:cn-hangzhou:ORG:repository/ORG/x (implicit deny)");
        assert!(Error::access_denied(denied(true)).to_string().ends_with("(explicit deny)"));
        assert_eq!(denied(false).no_permission_type(), "ImplicitDeny");
        assert_eq!(denied(true).no_permission_type(), "ExplicitDeny");
        // Boxing keeps the new variant from growing every Result<_, Error>.
        assert!(std::mem::size_of::<Error>() <= 56, "Error is {} bytes", std::mem::size_of::<Error>());
    }
}
