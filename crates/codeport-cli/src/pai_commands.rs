//! `codeport codesource ...` and `codeport workspace ...` (with `workspace member ...`): the
//! PAI operations from a shell, as a client of a running server over the signed API (the
//! same paths, methods and field names the official SDK sends; see `codeport_core::actions`).
//!
//! Output is for people by default (aligned tables for lists, `Key: value` lines otherwise,
//! with the API's field names) and the API's JSON with `--json`, for scripts. Human output
//! never shows a repository token's value (`(set)`); `--json` prints what the API returned.
//! Failures print one line and exit with a status from [`ExitKind`]. The Codeup client
//! (`codeport repo`) prints through the same [`Output`].

use crate::pai_api::{one_line, ApiArgs, CommandError, ExitKind, PaiApi};
use clap::{Args, Subcommand, ValueEnum};
use codeport_core::acs3::encode_str;
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::io::Write;

/// Fields whose values human output never shows; `(set)` says one is there.
const SECRET_FIELDS: &[&str] = &["CodeRepoAccessToken", "Password"];

/// `codeport codesource`: the signed-API flags, `--json`, and the operation.
#[derive(Args)]
pub struct CodeSourceArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// Print the API's JSON response (pretty-printed) instead of a table or `Key: value` lines.
    #[arg(long, global = true, display_order = 103)]
    json: bool,
    #[command(subcommand)]
    command: CodeSourceCommand,
}

/// `codeport workspace`: the signed-API flags, `--json`, and the operation.
#[derive(Args)]
pub struct WorkspaceArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// Print the API's JSON response (pretty-printed) instead of a table or `Key: value` lines.
    #[arg(long, global = true, display_order = 103)]
    json: bool,
    #[command(subcommand)]
    command: WorkspaceCommand,
}

#[derive(Subcommand)]
enum CodeSourceCommand {
    /// ListCodeSources: the code sources of a workspace you may see.
    List {
        /// The workspace.
        #[arg(long)]
        workspace_id: String,
        /// Only code sources whose display name contains this.
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        list: ListArgs<CodeSourceSortKey>,
    },
    /// GetCodeSource: one code source (its creator also gets CodeRepoAccessToken, shown as `(set)`).
    Get {
        /// The code source id (`code-...`).
        id: String,
    },
    /// CreateCodeSource: a new code source in a workspace (PRIVATE unless --accessibility PUBLIC).
    Create {
        /// The workspace.
        #[arg(long)]
        workspace_id: String,
        /// Display name.
        #[arg(long)]
        display_name: String,
        #[command(flatten)]
        fields: CodeSourceFields,
        /// Who may see it: PRIVATE (you and the workspace's admins) or PUBLIC (the workspace).
        #[arg(long, value_parser = ["PRIVATE", "PUBLIC"], ignore_case = true)]
        accessibility: Option<String>,
    },
    /// UpdateCodeSource: change the given fields; an empty value ("") clears one. Accessibility
    /// cannot change here (use publish).
    Update {
        /// The code source id (`code-...`).
        id: String,
        /// New display name.
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        fields: CodeSourceFields,
    },
    /// DeleteCodeSource.
    Delete {
        /// The code source id (`code-...`).
        id: String,
    },
    /// PublishCodeSource: PRIVATE -> PUBLIC (visible to the whole workspace).
    Publish {
        /// The code source id (`code-...`).
        id: String,
    },
}

/// The code source fields create and update share.
#[derive(Args)]
struct CodeSourceFields {
    /// Description.
    #[arg(long)]
    description: Option<String>,
    /// Git repository URL.
    #[arg(long)]
    code_repo: Option<String>,
    /// Branch.
    #[arg(long)]
    code_branch: Option<String>,
    /// Commit id.
    #[arg(long)]
    code_commit: Option<String>,
    /// User name for the repository.
    #[arg(long)]
    code_repo_user_name: Option<String>,
    /// Access token for the repository. Visible to other users in `ps`: prefer
    /// --code-repo-access-token-stdin.
    #[arg(long, conflicts_with = "code_repo_access_token_stdin")]
    code_repo_access_token: Option<String>,
    /// Read the repository access token from the first line of standard input
    /// (`printf %s "$TOKEN" | codeport codesource create ...`).
    #[arg(long)]
    code_repo_access_token_stdin: bool,
    /// Where jobs mount the code (e.g. /root/code/).
    #[arg(long)]
    mount_path: Option<String>,
    /// 0: clone into a subdirectory of the mount path; 1: tile the files into the mount path.
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..=1))]
    clone_type: Option<i64>,
}

/// Sort key, paging and order, shared by the list commands; `S` is the operation's sort keys.
#[derive(Args)]
struct ListArgs<S: ValueEnum + Clone + Send + Sync + 'static> {
    /// Sort key (the API's field name).
    #[arg(long, ignore_case = true)]
    sort_by: Option<S>,
    /// Page number, from 1.
    #[arg(long)]
    page_number: Option<u32>,
    /// Items per page.
    #[arg(long)]
    page_size: Option<u32>,
    /// Sort order.
    #[arg(long, value_parser = ["ASC", "DESC"], ignore_case = true)]
    order: Option<String>,
}

/// ListCodeSources' SortBy values.
#[derive(Clone, ValueEnum)]
#[value(rename_all = "PascalCase")]
enum CodeSourceSortKey {
    GmtCreateTime,
    GmtModifyTime,
    DisplayName,
    CodeSourceId,
}

/// ListWorkspaces' SortBy values.
#[derive(Clone, ValueEnum)]
#[value(rename_all = "PascalCase")]
enum WorkspaceSortKey {
    GmtCreateTime,
    GmtModifiedTime,
    WorkspaceName,
}

#[derive(Subcommand)]
enum WorkspaceCommand {
    /// ListWorkspaces: the workspaces you may see.
    List {
        /// Only workspaces whose name contains this.
        #[arg(long)]
        workspace_name: Option<String>,
        /// Only workspaces in this status (e.g. ENABLED).
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        list: ListArgs<WorkspaceSortKey>,
    },
    /// GetWorkspace: one workspace.
    Get {
        /// The workspace id.
        id: String,
    },
    /// CreateWorkspace: a new workspace owned by you.
    Create {
        /// Workspace name (unique in the organization).
        #[arg(long)]
        name: String,
        /// Description.
        #[arg(long)]
        description: String,
        /// Display name [default: the name].
        #[arg(long)]
        display_name: Option<String>,
        /// Environments, comma-separated: `prod` or `dev,prod`.
        #[arg(long, value_delimiter = ',', default_value = "prod")]
        env_types: Vec<String>,
    },
    /// Workspace members: add (CreateMember), list (ListMembers), remove (DeleteMembers).
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
}

/// `codeport workspace member ...`: who may use a workspace, with which PAI roles. Without
/// it, adding a teammate took a curl call or the SDK.
#[derive(Subcommand)]
enum MemberCommand {
    /// CreateMember: add a user of the organization to the workspace with PAI roles.
    Add {
        /// The workspace id.
        workspace_id: String,
        /// The user to add (the id `codeport admin user create` printed).
        #[arg(long)]
        user_id: String,
        /// Roles, comma-separated: PAI.WorkspaceAdmin, PAI.AlgoDeveloper, PAI.AlgoOperator,
        /// PAI.LabelManager, PAI.MaxComputeDeveloper, PAI.WorkspaceGuest.
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
    },
    /// ListMembers: the workspace's members and their roles.
    List {
        /// The workspace id.
        workspace_id: String,
        /// Only members whose name contains this.
        #[arg(long)]
        member_name: Option<String>,
        /// Only members holding one of these roles, comma-separated.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Page number, from 1.
        #[arg(long)]
        page_number: Option<u32>,
        /// Items per page.
        #[arg(long)]
        page_size: Option<u32>,
    },
    /// DeleteMembers: remove members (by MemberId, as `member list` shows it).
    Remove {
        /// The workspace id.
        workspace_id: String,
        /// The members to remove, comma-separated MemberIds.
        #[arg(long, value_delimiter = ',', required = true)]
        member_ids: Vec<String>,
    },
}

/// Runs a `codeport codesource` command.
pub async fn codesource(args: CodeSourceArgs) -> Result<(), CommandError> {
    let api = PaiApi::new(&args.api).map_err(|m| CommandError::new(ExitKind::Usage, m))?;
    let out = Output { json: args.json };
    match args.command {
        CodeSourceCommand::List { workspace_id, display_name, list } => {
            let mut query = vec![("WorkspaceId", workspace_id)];
            push_opt(&mut query, "DisplayName", display_name);
            list.push(&mut query);
            let v = api.call(Method::GET, "/api/v1/codesources", &pairs(&query), None, "ListCodeSources").await?;
            out.list(&v, "CodeSources", &["CodeSourceId", "DisplayName", "Accessibility", "CodeRepo", "CodeBranch", "GmtModifyTime"])
        }
        CodeSourceCommand::Get { id } => {
            let v = api.call(Method::GET, &code_source_path(&id, ""), &[], None, "GetCodeSource").await?;
            out.fields(&v, CODE_SOURCE_ORDER)
        }
        CodeSourceCommand::Create { workspace_id, display_name, fields, accessibility } => {
            let mut body = fields.into_body()?;
            body.insert("WorkspaceId".into(), json!(workspace_id));
            body.insert("DisplayName".into(), json!(display_name));
            if let Some(a) = accessibility {
                body.insert("Accessibility".into(), json!(a.to_ascii_uppercase()));
            }
            let v = api.call(Method::POST, "/api/v1/codesources", &[], Some(&Value::Object(body)), "CreateCodeSource").await?;
            out.fields(&v, CODE_SOURCE_ORDER)
        }
        CodeSourceCommand::Update { id, display_name, fields } => {
            let mut body = fields.into_body()?;
            if let Some(d) = display_name {
                body.insert("DisplayName".into(), json!(d));
            }
            let v = api.call(Method::PUT, &code_source_path(&id, ""), &[], Some(&Value::Object(body)), "UpdateCodeSource").await?;
            out.fields(&v, CODE_SOURCE_ORDER)
        }
        CodeSourceCommand::Delete { id } => {
            let v = api.call(Method::DELETE, &code_source_path(&id, ""), &[], None, "DeleteCodeSource").await?;
            out.fields(&v, CODE_SOURCE_ORDER)
        }
        CodeSourceCommand::Publish { id } => {
            let v = api.call(Method::PUT, &code_source_path(&id, "/publish"), &[], None, "PublishCodeSource").await?;
            out.fields(&v, CODE_SOURCE_ORDER)
        }
    }
}

/// Runs a `codeport workspace` command.
pub async fn workspace(args: WorkspaceArgs) -> Result<(), CommandError> {
    let api = PaiApi::new(&args.api).map_err(|m| CommandError::new(ExitKind::Usage, m))?;
    let out = Output { json: args.json };
    match args.command {
        WorkspaceCommand::List { workspace_name, status, list } => {
            let mut query = Vec::new();
            push_opt(&mut query, "WorkspaceName", workspace_name);
            push_opt(&mut query, "Status", status);
            list.push(&mut query);
            let v = api.call(Method::GET, "/api/v1/workspaces", &pairs(&query), None, "ListWorkspaces").await?;
            out.list(&v, "Workspaces", &["WorkspaceId", "WorkspaceName", "DisplayName", "EnvTypes", "Status", "Creator", "GmtCreateTime"])
        }
        WorkspaceCommand::Get { id } => {
            let v = api.call(Method::GET, &format!("/api/v1/workspaces/{}", encode_str(&id)), &[], None, "GetWorkspace").await?;
            out.fields(&v, WORKSPACE_ORDER)
        }
        WorkspaceCommand::Create { name, description, display_name, env_types } => {
            let mut body = json!({"WorkspaceName": name, "Description": description, "EnvTypes": env_types});
            if let Some(d) = display_name {
                body["DisplayName"] = json!(d);
            }
            let v = api.call(Method::POST, "/api/v1/workspaces", &[], Some(&body), "CreateWorkspace").await?;
            out.fields(&v, WORKSPACE_ORDER)
        }
        WorkspaceCommand::Member { command } => member(&api, &out, command).await,
    }
}

/// Runs a `codeport workspace member` command.
async fn member(api: &PaiApi, out: &Output, command: MemberCommand) -> Result<(), CommandError> {
    let members_path = |ws: &str| format!("/api/v1/workspaces/{}/members", encode_str(ws));
    match command {
        MemberCommand::Add { workspace_id, user_id, roles } => {
            let body = json!({"Members": [{"UserId": user_id, "Roles": roles}]});
            let v = api.call(Method::POST, &members_path(&workspace_id), &[], Some(&body), "CreateMember").await?;
            out.list(&v, "Members", &["MemberId", "UserId", "DisplayName", "Roles"])
        }
        MemberCommand::List { workspace_id, member_name, roles, page_number, page_size } => {
            let mut query = Vec::new();
            push_opt(&mut query, "MemberName", member_name);
            push_opt(&mut query, "Roles", (!roles.is_empty()).then(|| roles.join(",")));
            push_opt(&mut query, "PageNumber", page_number.map(|n| n.to_string()));
            push_opt(&mut query, "PageSize", page_size.map(|n| n.to_string()));
            let v = api.call(Method::GET, &members_path(&workspace_id), &pairs(&query), None, "ListMembers").await?;
            out.list(&v, "Members", &["MemberId", "UserId", "MemberName", "DisplayName", "Roles"])
        }
        MemberCommand::Remove { workspace_id, member_ids } => {
            let ids = member_ids.join(",");
            let v = api.call(Method::DELETE, &members_path(&workspace_id), &[("MemberIds", &ids)], None, "DeleteMembers").await?;
            out.fields(&v, &["RequestId"])
        }
    }
}

/// The order people read a code source in; other fields follow, sorted.
const CODE_SOURCE_ORDER: &[&str] = &[
    "CodeSourceId",
    "DisplayName",
    "Description",
    "WorkspaceId",
    "Accessibility",
    "CodeRepo",
    "CodeBranch",
    "CodeCommit",
    "CodeRepoUserName",
    "CodeRepoAccessToken",
    "MountPath",
    "CloneType",
    "UserId",
    "GmtCreateTime",
    "GmtModifyTime",
];

/// The order people read a workspace in; other fields follow, sorted.
const WORKSPACE_ORDER: &[&str] = &[
    "WorkspaceId",
    "WorkspaceName",
    "DisplayName",
    "Description",
    "EnvTypes",
    "Status",
    "Creator",
    "AdminNames",
    "IsDefault",
    "GmtCreateTime",
    "GmtModifiedTime",
];

/// `/api/v1/codesources/{id}{suffix}`, the id percent-encoded as the SDK encodes it.
fn code_source_path(id: &str, suffix: &str) -> String {
    format!("/api/v1/codesources/{}{suffix}", encode_str(id))
}

fn push_opt(query: &mut Vec<(&'static str, String)>, key: &'static str, value: Option<String>) {
    if let Some(v) = value {
        query.push((key, v));
    }
}

fn pairs<'a>(query: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    query.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

impl<S: ValueEnum + Clone + Send + Sync + 'static> ListArgs<S> {
    fn push(self, query: &mut Vec<(&'static str, String)>) {
        let sort_by = self.sort_by.and_then(|s| s.to_possible_value()).map(|v| v.get_name().to_string());
        push_opt(query, "SortBy", sort_by);
        push_opt(query, "PageNumber", self.page_number.map(|n| n.to_string()));
        push_opt(query, "PageSize", self.page_size.map(|n| n.to_string()));
        push_opt(query, "Order", self.order.map(|o| o.to_ascii_uppercase()));
    }
}

impl CodeSourceFields {
    /// The request body fields given on the command line (absent ones are not sent, so an
    /// update leaves them unchanged). Reads the token from stdin when asked.
    fn into_body(self) -> Result<Map<String, Value>, CommandError> {
        let token = if self.code_repo_access_token_stdin {
            Some(read_stdin_line("--code-repo-access-token-stdin", "the repository access token")?)
        } else {
            self.code_repo_access_token
        };
        let mut body = Map::new();
        for (key, value) in [
            ("Description", self.description),
            ("CodeRepo", self.code_repo),
            ("CodeBranch", self.code_branch),
            ("CodeCommit", self.code_commit),
            ("CodeRepoUserName", self.code_repo_user_name),
            ("CodeRepoAccessToken", token),
            ("MountPath", self.mount_path),
        ] {
            if let Some(v) = value {
                body.insert(key.into(), json!(v));
            }
        }
        if let Some(c) = self.clone_type {
            body.insert("CloneType".into(), json!(c));
        }
        Ok(body)
    }
}

/// The first line of standard input, without its line ending: how a `--...-stdin` flag
/// (`flag`) takes a secret (`what`) without putting it on the command line, where `ps` shows
/// it. An empty line is a value (on update it clears the token); no input at all is an
/// error, so a forgotten pipe does not silently send nothing.
pub(crate) fn read_stdin_line(flag: &str, what: &str) -> Result<String, CommandError> {
    let mut line = String::new();
    let n = std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CommandError::new(ExitKind::Usage, format!("cannot read {what} from standard input: {e}")))?;
    if n == 0 {
        return Err(CommandError::new(
            ExitKind::Usage,
            format!("{flag}: standard input is empty; pipe the token in (printf %s \"$TOKEN\" | codeport ...)"),
        ));
    }
    let token = line.strip_suffix('\n').unwrap_or(&line);
    Ok(token.strip_suffix('\r').unwrap_or(token).to_string())
}

/// How a command prints its result: for people, or the API's JSON (`--json`). Shared by
/// the PAI and the Codeup commands, so both look and script the same.
pub(crate) struct Output {
    /// `--json`: print the API's response instead.
    pub(crate) json: bool,
}

impl Output {
    /// A PAI list response: the API's JSON, or a table of `columns` over `items_key` and the
    /// total count.
    fn list(&self, v: &Value, items_key: &str, columns: &[&str]) -> Result<(), CommandError> {
        if self.json {
            return print_json(v);
        }
        let items = v.get(items_key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        self.rows(items, columns, v.get("TotalCount").map(|total| format!("TotalCount: {}", scalar(total))))
    }

    /// A table of `columns` over `items`, then `footer` (a total) if there is one; for lists
    /// whose response is not one PAI object (Codeup's bare arrays).
    pub(crate) fn rows(&self, items: &[Value], columns: &[&str], footer: Option<String>) -> Result<(), CommandError> {
        let rows: Vec<Vec<String>> = items.iter().map(|item| columns.iter().map(|c| cell(item.get(*c), c)).collect()).collect();
        let mut text = table(columns, &rows);
        if let Some(footer) = footer {
            text.push_str(&footer);
            text.push('\n');
        }
        write_stdout(&text)
    }

    /// A single object: the API's JSON, or `Key: value` lines, `order` first.
    pub(crate) fn fields(&self, v: &Value, order: &[&str]) -> Result<(), CommandError> {
        if self.json {
            return print_json(v);
        }
        let mut lines = Vec::new();
        if let Some(obj) = v.as_object() {
            let mut keys: Vec<&String> = obj.keys().collect();
            keys.sort_by_key(|k| (order.iter().position(|o| o == k).unwrap_or(order.len()), k.as_str()));
            for k in keys {
                flatten_field(k, &obj[k.as_str()], &mut lines);
            }
        }
        let mut text = String::new();
        for (k, val) in lines {
            text.push_str(&format!("{k}: {val}\n"));
        }
        write_stdout(&text)
    }
}

/// One field as `Key: value` lines: objects become `Key.Sub: value`, secrets `(set)`.
fn flatten_field(key: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                flatten_field(&format!("{key}.{k}"), &m[k.as_str()], out);
            }
        }
        _ => out.push((one_line(key), display_value(key, v))),
    }
}

/// A value for people: secrets as `(set)`, strings as they are, lists joined with `, `.
fn display_value(key: &str, v: &Value) -> String {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    if SECRET_FIELDS.contains(&leaf) {
        return match v {
            Value::Null => String::new(),
            Value::String(s) if s.is_empty() => String::new(),
            _ => "(set)".into(),
        };
    }
    match v {
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
        other => scalar(other),
    }
}

/// A table cell: like [`display_value`], `-` for nothing so columns stay readable.
fn cell(v: Option<&Value>, key: &str) -> String {
    let s = v.map(|v| display_value(key, v)).unwrap_or_default();
    if s.is_empty() {
        "-".into()
    } else {
        s
    }
}

/// A scalar as text (strings unquoted, control characters escaped); anything else compact JSON.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => one_line(s),
        Value::Null => String::new(),
        other => one_line(&other.to_string()),
    }
}

/// Left-aligned columns separated by two spaces; the header is the API's field names.
fn table(columns: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (c, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(c);
            if i + 1 < row.len() {
                line.extend(std::iter::repeat_n(' ', w - c.chars().count()));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The API's response, unchanged but pretty-printed.
pub(crate) fn print_json(v: &Value) -> Result<(), CommandError> {
    let text = serde_json::to_string_pretty(v).map_err(|e| CommandError::from(format!("cannot print the response: {e}")))?;
    write_stdout(&(text + "\n"))
}

/// Writes to stdout; a reader that stops early (`| head`) is not an error.
fn write_stdout(text: &str) -> Result<(), CommandError> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CommandError::from(format!("cannot write the output: {e}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_and_never_show_secrets() {
        let rows = vec![vec!["code-1".to_string(), "a".to_string()], vec!["c".to_string(), "longer".to_string()]];
        assert_eq!(table(&["Id", "Name"], &rows), "Id      Name\ncode-1  a\nc       longer\n");
        assert_eq!(cell(Some(&json!("tok")), "CodeRepoAccessToken"), "(set)");
        assert_eq!(cell(Some(&json!("")), "CodeRepoAccessToken"), "-");
        assert_eq!(cell(Some(&json!(["dev", "prod"])), "EnvTypes"), "dev, prod");
        assert_eq!(cell(None, "X"), "-");
    }

    #[test]
    fn fields_flatten_objects_and_escape_control_characters() {
        let mut lines = Vec::new();
        flatten_field("Owner", &json!({"UserName": "a\nb", "UserId": 1}), &mut lines);
        assert_eq!(lines, [("Owner.UserId".to_string(), "1".to_string()), ("Owner.UserName".to_string(), "a\\nb".to_string())]);
    }
}
