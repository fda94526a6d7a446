//! System policies: the built-in policies every account has, under their official RAM names.
//!
//! Why data (JSON documents) rather than code: they go through the same parser as custom policies, are shown
//! verbatim by `GetPolicyVersion`-style reads, and a test proves they parse against codeport's catalog.
//!
//! Read-only policies are expressed as action patterns (`Get*`, `List*`, plus `Describe*`/`Query*` for other
//! services in `ReadOnlyAccess`), because codeport names every read operation `Get…` or `List…`; this is how
//! RAM's own read-only policies are written too. `pai:` is PAI's umbrella service: codeport implements no
//! `pai:` action, so those patterns are accepted and, today, match nothing.

/// Full access to every service and resource.
pub const ADMINISTRATOR_ACCESS: &str = r#"{
  "Version": "1",
  "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}
  ]
}"#;

/// Read-only access to every service: all `Get*`, `List*`, `Search*`, `Describe*` and `Query*` actions.
pub const READ_ONLY_ACCESS: &str = r#"{
  "Version": "1",
  "Statement": [
    {"Effect": "Allow", "Action": ["*:Get*", "*:List*", "*:Search*", "*:Describe*", "*:Query*"], "Resource": "*"}
  ]
}"#;

/// Full access to PAI: workspaces and members, code sources, and the `pai:` umbrella service.
pub const ALIYUN_PAI_FULL_ACCESS: &str = r#"{
  "Version": "1",
  "Statement": [
    {"Effect": "Allow", "Action": ["paiworkspace:*", "paicodesource:*", "pai:*"], "Resource": "*"}
  ]
}"#;

/// Read-only access to PAI.
pub const ALIYUN_PAI_READ_ONLY_ACCESS: &str = r#"{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "paiworkspace:Get*", "paiworkspace:List*",
        "paicodesource:Get*", "paicodesource:List*",
        "pai:Get*", "pai:List*"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// Full access to Codeup (RDC is Alibaba Cloud DevOps; `codeup:` actions are codeport's extension).
pub const ALIYUN_RDC_FULL_ACCESS: &str = r#"{
  "Version": "1",
  "Statement": [
    {"Effect": "Allow", "Action": "codeup:*", "Resource": "*"}
  ]
}"#;

/// Read-only access to Codeup.
pub const ALIYUN_RDC_READ_ONLY_ACCESS: &str = r#"{
  "Version": "1",
  "Statement": [
    {"Effect": "Allow", "Action": ["codeup:Get*", "codeup:List*", "codeup:Search*"], "Resource": "*"}
  ]
}"#;

/// A system policy: official name, description and document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemPolicy {
    /// The official RAM name, e.g. `AliyunPAIFullAccess`.
    pub name: &'static str,
    /// A one-line description, as shown by policy listings.
    pub description: &'static str,
    /// The policy document (JSON).
    pub document: &'static str,
}

/// Every system policy, in listing order.
pub const ALL: &[SystemPolicy] = &[
    SystemPolicy { name: "AdministratorAccess", description: "Full access to all resources", document: ADMINISTRATOR_ACCESS },
    SystemPolicy { name: "ReadOnlyAccess", description: "Read-only access to all resources", document: READ_ONLY_ACCESS },
    SystemPolicy { name: "AliyunPAIFullAccess", description: "Full access to Platform for AI (PAI)", document: ALIYUN_PAI_FULL_ACCESS },
    SystemPolicy { name: "AliyunPAIReadOnlyAccess", description: "Read-only access to Platform for AI (PAI)", document: ALIYUN_PAI_READ_ONLY_ACCESS },
    SystemPolicy { name: "AliyunRDCFullAccess", description: "Full access to Alibaba Cloud DevOps (Codeup)", document: ALIYUN_RDC_FULL_ACCESS },
    SystemPolicy {
        name: "AliyunRDCReadOnlyAccess",
        description: "Read-only access to Alibaba Cloud DevOps (Codeup)",
        document: ALIYUN_RDC_READ_ONLY_ACCESS,
    },
];

/// Looks a system policy up by its exact official name.
pub fn get(name: &str) -> Option<&'static SystemPolicy> {
    ALL.iter().find(|p| p.name == name)
}
