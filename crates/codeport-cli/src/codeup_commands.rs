//! `codeport repo ...`: a minimal Codeup (Yunxiao OpenAPI) client, so that creating and
//! finding a hosted repository needs no curl. It speaks the central edition
//! (`/oapi/v1/codeup/organizations/{organizationId}/...`), the one the official MCP server
//! `alibabacloud-devops-mcp-server` uses, with a personal access token in `x-yunxiao-token`.
//!
//! The token comes from `YUNXIAO_ACCESS_TOKEN` (that MCP server's variable) or from standard
//! input (`--token-stdin`); there is deliberately no flag that takes it as a value, since
//! `ps` shows every process's arguments. It is never printed. The organization is
//! `--organization-id` or the caller's last organization (`GET /oapi/v1/platform/user`).
//!
//! Output and exit statuses are those of the PAI commands ([`Output`], [`ExitKind`]); a
//! Codeup error's status is judged by its HTTP status alone ([`CommandError::codeup`]).

use crate::pai_api::{Answer, CommandError, EndpointArgs, ErrorFields, ExitKind, HttpEndpoint, USER_AGENT};
use crate::pai_commands::{print_json, read_stdin_line, Output};
use clap::{Args, Subcommand};
use codeport_core::acs3::{encode_str, form_encode};
use reqwest::header::HeaderValue;
use reqwest::Method;
use serde_json::{json, Value};

/// The environment variable holding the personal access token: the official MCP server's,
/// so an environment set up for it works unchanged.
pub const TOKEN_ENV: &str = "YUNXIAO_ACCESS_TOKEN";

/// Codeup's error body: `{"errorCode","errorMessage","requestId"}`.
const CODEUP_ERRORS: ErrorFields = ErrorFields { code: "errorCode", message: "errorMessage", request_id: "requestId" };

/// The order people read a repository in; other fields follow, sorted.
const REPOSITORY_ORDER: &[&str] = &[
    "id",
    "name",
    "path",
    "pathWithNamespace",
    "nameWithNamespace",
    "description",
    "visibility",
    "defaultBranch",
    "accessLevel",
    "httpUrlToRepo",
    "webUrl",
    "createdAt",
    "updatedAt",
    "lastActivityAt",
];

/// `codeport repo`: where the server is, how the token arrives, which organization, `--json`,
/// and the operation. `Debug` is not derived, as for the PAI arguments.
#[derive(Args)]
#[command(after_help = "The personal access token comes from the environment variable YUNXIAO_ACCESS_TOKEN, or from \
                        standard input with --token-stdin; there is no flag that takes it as a value (ps shows arguments).")]
pub struct RepoArgs {
    #[command(flatten)]
    endpoint: EndpointArgs,
    /// Read the personal access token from the first line of standard input instead of
    /// YUNXIAO_ACCESS_TOKEN.
    #[arg(long, global = true, display_order = 101)]
    token_stdin: bool,
    /// The organization [default: your last organization, from GET /oapi/v1/platform/user].
    #[arg(long, value_name = "ID", global = true, display_order = 102)]
    organization_id: Option<String>,
    /// Print the API's JSON response (pretty-printed) instead of a table or `key: value` lines.
    #[arg(long, global = true, display_order = 103)]
    json: bool,
    #[command(subcommand)]
    command: RepoCommand,
}

#[derive(Subcommand)]
enum RepoCommand {
    /// CreateRepository: a new repository at PATH below the organization (e.g. ml/trainer);
    /// missing groups on the way are created. You become its admin.
    Create {
        /// The repository's path below the organization: `group[/subgroup...]/repo` or `repo`.
        path: String,
        /// Display name [default: the last segment of PATH].
        #[arg(long)]
        name: Option<String>,
        /// Who may see it: private (its members and the groups' members) or internal (the
        /// whole organization) [server default: private].
        #[arg(long, value_parser = ["private", "internal"], ignore_case = true)]
        visibility: Option<String>,
        /// Start with a README on master (readMeType USER_GUIDE) instead of an empty repository.
        #[arg(long)]
        readme: bool,
        /// Description.
        #[arg(long)]
        description: Option<String>,
    },
    /// ListRepositories: the repositories of the organization you may see.
    List {
        /// Only repositories whose name or path contains this.
        #[arg(long)]
        search: Option<String>,
        /// Page number, from 1.
        #[arg(long)]
        page: Option<u32>,
        /// Items per page.
        #[arg(long)]
        per_page: Option<u32>,
    },
    /// GetRepository: one repository, by numeric id or by path (`ml/trainer`, below the
    /// organization, or the full `ORG/ml/trainer`).
    Get {
        /// The repository id or path.
        path_or_id: String,
    },
}

/// A Codeup client of one server, as one token's owner.
struct CodeupApi {
    endpoint: HttpEndpoint,
    /// The `x-yunxiao-token` value, marked sensitive so no debug output of the request shows it.
    token: HeaderValue,
}

impl CodeupApi {
    /// A client from the flags and the environment: exit 2 when the token is missing or
    /// unusable (the message names the variable and the flag, never the value).
    fn new(args: &RepoArgs) -> Result<CodeupApi, CommandError> {
        let usage = |m: String| CommandError::new(ExitKind::Usage, m);
        let endpoint = HttpEndpoint::new(&args.endpoint).map_err(usage)?;
        let raw = if args.token_stdin {
            read_stdin_line("--token-stdin", "the personal access token")?
        } else {
            std::env::var(TOKEN_ENV).unwrap_or_default()
        };
        let raw = raw.trim();
        if raw.is_empty() {
            let from = if args.token_stdin { "standard input (--token-stdin) gave an empty line" } else { "YUNXIAO_ACCESS_TOKEN is not set" };
            return Err(usage(format!("missing personal access token: {from}; set {TOKEN_ENV} or pipe the token into --token-stdin")));
        }
        let mut token =
            HeaderValue::from_str(raw).map_err(|_| usage("the personal access token holds characters an HTTP header cannot carry".into()))?;
        token.set_sensitive(true);
        Ok(CodeupApi { endpoint, token })
    }

    /// Sends one Codeup request; the JSON body and headers on success, else the Codeup
    /// error as a [`CommandError`] (exit status by HTTP status).
    async fn call(&self, method: Method, path: &str, query: &[(&str, &str)], body: Option<&Value>) -> Result<Answer, CommandError> {
        let mut request = self
            .endpoint
            .request(method, path, &form_encode(query))
            .header("x-yunxiao-token", self.token.clone())
            .header(reqwest::header::USER_AGENT, USER_AGENT);
        if let Some(b) = body {
            request = request.json(b);
        }
        self.endpoint.exchange(request, &CODEUP_ERRORS).await.map_err(CommandError::codeup)
    }

    /// `--organization-id`, or the caller's last organization as the platform API reports it.
    async fn organization(&self, given: Option<&str>) -> Result<String, CommandError> {
        if let Some(org) = given.map(str::trim).filter(|o| !o.is_empty()) {
            return Ok(org.to_string());
        }
        let user = self.call(Method::GET, "/oapi/v1/platform/user", &[], None).await?.body;
        match user.get("lastOrganization").and_then(Value::as_str).filter(|o| !o.is_empty()) {
            Some(org) => Ok(org.to_string()),
            None => Err(CommandError::new(ExitKind::Other, "the server names no last organization for you; pass --organization-id")),
        }
    }
}

/// Runs a `codeport repo` command.
pub async fn repo(args: RepoArgs) -> Result<(), CommandError> {
    let api = CodeupApi::new(&args)?;
    let out = Output { json: args.json };
    let org = api.organization(args.organization_id.as_deref()).await?;
    let repositories = format!("/oapi/v1/codeup/organizations/{}/repositories", encode_str(&org));
    match args.command {
        RepoCommand::Create { path, name, visibility, readme, description } => {
            let path = path.trim().trim_matches('/').to_string();
            let name = name.unwrap_or_else(|| path.rsplit('/').next().unwrap_or(&path).to_string());
            let mut body = json!({"name": name, "path": path});
            if let Some(v) = visibility {
                body["visibility"] = json!(v.to_ascii_lowercase());
            }
            if let Some(d) = description {
                body["description"] = json!(d);
            }
            if readme {
                body["readMeType"] = json!("USER_GUIDE");
            }
            let answer = api.call(Method::POST, &repositories, &[("createParentPath", "true")], Some(&body)).await?;
            out.fields(&answer.body, REPOSITORY_ORDER)
        }
        RepoCommand::List { search, page, per_page } => {
            let (page, per_page) = (page.map(|n| n.to_string()), per_page.map(|n| n.to_string()));
            let query: Vec<(&str, &str)> = [("search", search.as_deref()), ("page", page.as_deref()), ("perPage", per_page.as_deref())]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            let answer = api.call(Method::GET, &repositories, &query, None).await?;
            if out.json {
                return print_json(&answer.body);
            }
            let items = answer.body.as_array().map(Vec::as_slice).unwrap_or_default();
            let total = answer.headers.get("x-total").and_then(|v| v.to_str().ok()).map(|t| format!("total: {t}"));
            out.rows(items, &["id", "pathWithNamespace", "visibility", "defaultBranch", "httpUrlToRepo"], total)
        }
        RepoCommand::Get { path_or_id } => {
            let key = repository_key(&org, &path_or_id);
            let answer = api.call(Method::GET, &format!("{repositories}/{}", encode_str(&key)), &[], None).await?;
            out.fields(&answer.body, REPOSITORY_ORDER)
        }
    }
}

/// What GetRepository takes for `{repo}`: a numeric id as it is, a path as the full path
/// (`ORG/ml/trainer`), so people may leave out the organization as they do in `repo create`.
fn repository_key(org: &str, given: &str) -> String {
    let key = given.trim().trim_matches('/');
    let key = key.strip_suffix(".git").unwrap_or(key);
    if key.parse::<i64>().is_ok() || key.split('/').next() == Some(org) {
        key.to_string()
    } else {
        format!("{org}/{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_addressed_by_id_or_full_path() {
        let org = "5f0c8a1b2c3d4e5f6a7b8c9d";
        assert_eq!(repository_key(org, "42"), "42");
        assert_eq!(repository_key(org, "ml/trainer"), format!("{org}/ml/trainer"));
        assert_eq!(repository_key(org, &format!("/{org}/ml/trainer.git")), format!("{org}/ml/trainer"));
    }
}
