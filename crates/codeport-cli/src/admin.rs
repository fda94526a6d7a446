//! `codeport admin`: identity management straight on the database. Errors print one clear
//! line and exit non-zero; `--json` output is for scripts, the default for people.

use crate::settings;
use clap::{Args, Subcommand};
use codeport_core::secret::Secret;
use codeport_core::timefmt::{now_millis, parse_duration, rfc3339};
use codeport_server::AppState;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Where the database is, and what to do.
#[derive(Args)]
pub struct AdminArgs {
    /// Data directory holding codeport.db and master.key [default: ./codeport-data].
    #[arg(long, env = "CODEPORT_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL (postgres://...); the master key then comes from CODEPORT_MASTER_KEY or DATA_DIR/master.key.
    #[arg(long, env = "CODEPORT_DATABASE_URL", global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// AccessKey pairs for signed (ACS3) API requests.
    AccessKey {
        #[command(subcommand)]
        command: AccessKeyCommand,
    },
    /// Personal access tokens (`pt-...`).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Console sessions: list who is signed in, revoke a session.
    Session {
        #[command(subcommand)]
        command: SessionCommand,
    },
    /// RAM-style policies: custom and system policies, attachments, the default set, simulation.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The action catalog: every operation's RAM action, access level and resource ARN form.
    Actions {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Create a custom policy from a RAM policy document (JSON file; `-` for stdin).
    Create {
        /// Policy name (letters, digits, hyphens).
        #[arg(long)]
        name: String,
        /// The policy document file.
        #[arg(long)]
        document: PathBuf,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List system and custom policies.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print one policy's document.
    Show { name: String },
    /// Delete a custom policy (refused while attached).
    Delete { name: String },
    /// Attach a policy to a user.
    Attach {
        /// The user's login name.
        #[arg(long)]
        user: String,
        /// The policy's name.
        #[arg(long)]
        policy: String,
    },
    /// Detach a policy from a user.
    Detach {
        /// The user's login name.
        #[arg(long)]
        user: String,
        /// The policy's name.
        #[arg(long)]
        policy: String,
    },
    /// List the policies attached to a user.
    ListUser {
        /// The user's login name.
        #[arg(long)]
        user: String,
    },
    /// Print the default set new users get, or replace it with --set.
    Defaults {
        /// Comma-separated policy names.
        #[arg(long, value_delimiter = ',')]
        set: Option<Vec<String>>,
    },
    /// Decide one request for a user: prints Allow or Deny and the statement that decided.
    Simulate {
        /// The user's login name.
        #[arg(long)]
        user: String,
        /// The action, e.g. paicodesource:GetCodeSource.
        #[arg(long)]
        action: String,
        /// The resource ARN.
        #[arg(long, default_value = "*")]
        resource: String,
        /// Condition context, `key=value` (repeatable; a key given twice has several values).
        #[arg(long = "context")]
        context: Vec<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; they join the default organization as a member.
    Create {
        /// Login name.
        name: String,
        /// Email address.
        #[arg(long)]
        email: Option<String>,
        /// Read a console password (12 to 1024 characters) from the first line of standard
        /// input; the user is created only if it is acceptable.
        #[arg(long)]
        password_stdin: bool,
        /// Print {"userId","userName"}.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's console password from the first line of standard input; signs them out
    /// of every console session.
    SetPassword {
        /// Login name.
        name: String,
        /// Read the password from standard input (required: a password is never an argument).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// List unexpired console sessions, newest first (never their cookies).
    List {
        /// Only this user's sessions.
        #[arg(long)]
        user: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// End a console session by its id (`cs-...`).
    Revoke { id: String },
}

/// What listing a user's credentials takes.
#[derive(clap::Args)]
struct ListOfUser {
    /// Owner's login name.
    #[arg(long)]
    user: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum AccessKeyCommand {
    /// Create an AccessKey; the secret is printed once.
    Create {
        /// Owner's login name.
        #[arg(long)]
        user: String,
        /// Print {"accessKeyId","accessKeySecret"}.
        #[arg(long)]
        json: bool,
    },
    /// List a user's AccessKeys (never their secrets).
    List(ListOfUser),
    /// Disable an AccessKey: signed requests with it are refused.
    Disable { id: String },
    /// Enable a disabled AccessKey.
    Enable { id: String },
    /// Delete an AccessKey.
    Delete { id: String },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a personal access token; it is printed once.
    Create {
        /// Owner's login name.
        #[arg(long)]
        user: String,
        /// Lifetime such as 30d, 12h, 15m or 2s [default: no expiry].
        #[arg(long)]
        expires_in: Option<String>,
        /// Scopes, comma-separated RESOURCE:read|write with RESOURCE one of group, repository,
        /// member, user, organization, organization-member [default: everything the user may do].
        #[arg(long, default_value = "")]
        scope: String,
        /// Print {"token"}.
        #[arg(long)]
        json: bool,
    },
    /// List a user's tokens (ids, never the tokens).
    List(ListOfUser),
    /// Revoke a token by its id.
    Revoke { id: String },
}

/// Runs an admin command.
pub async fn run(args: AdminArgs, config_file: Option<&Path>) -> Result<(), String> {
    if let AdminCommand::Actions { json } = args.command {
        print_actions(json);
        return Ok(());
    }
    let config = settings::resolve_admin(args.data_dir, args.database_url, config_file)?;
    let state = codeport_server::open_state(config, false).await?;
    // The operator is the audience here: an internal error shows its detail (never a secret).
    dispatch(&state, args.command).await.map_err(|e| match e {
        codeport_core::Error::Internal { detail } => detail,
        other => other.to_string(),
    })
}

async fn policies(s: &AppState, cmd: PolicyCommand) -> Result<(), codeport_core::Error> {
    match cmd {
        PolicyCommand::Create { name, document, description } => {
            let text = if document.as_os_str() == "-" {
                let mut t = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut t)
                    .map_err(|e| codeport_core::Error::invalid("document", format!("cannot read stdin: {e}")))?;
                t
            } else {
                std::fs::read_to_string(&document)
                    .map_err(|e| codeport_core::Error::invalid("document", format!("cannot read {}: {e}", document.display())))?
            };
            let p = s.policies().create_policy(&name, &description, &text).await?;
            println!("Created policy {}.", p.name);
        }
        PolicyCommand::List { json } => {
            let all = s.policies().list_policies().await?;
            if json {
                print_json(json!(all
                    .iter()
                    .map(|p| json!({"policyType": p.policy_type, "policyName": p.name, "description": p.description}))
                    .collect::<Vec<_>>()));
            } else {
                for p in all {
                    println!("{:<8} {:<28} {}", p.policy_type, p.name, p.description);
                }
            }
        }
        PolicyCommand::Show { name } => println!("{}", s.policies().show_policy(&name).await?.document),
        PolicyCommand::Delete { name } => {
            s.policies().delete_policy(&name).await?;
            println!("Deleted policy {name}.");
        }
        PolicyCommand::Attach { user, policy } => {
            s.policies().attach_policy(&user, &policy).await?;
            println!("Attached {policy} to {user}.");
        }
        PolicyCommand::Detach { user, policy } => {
            s.policies().detach_policy(&user, &policy).await?;
            println!("Detached {policy} from {user}.");
        }
        PolicyCommand::ListUser { user } => {
            for p in s.policies().user_policies(&user).await? {
                println!("{:<8} {}", p.policy_type, p.policy_name);
            }
        }
        PolicyCommand::Defaults { set } => {
            let current = match set {
                Some(names) => s.policies().set_default_policies(&names).await?,
                None => s.policies().default_policies().await?,
            };
            for p in current {
                println!("{:<8} {}", p.policy_type, p.policy_name);
            }
        }
        PolicyCommand::Simulate { user, action, resource, context } => {
            let mut ctx = codeport_policy::Context::new();
            for kv in &context {
                let (k, v) = kv.split_once('=').ok_or_else(|| codeport_core::Error::invalid("context", format!("{kv:?} is not key=value")))?;
                ctx.insert(k.trim(), codeport_policy::ContextValue::text(v.trim()));
            }
            for line in s.policies().simulate_policy(&user, &action, &resource, &ctx).await? {
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// Prints the catalog (it needs no database).
fn print_actions(json: bool) {
    use codeport_core::actions::{Family, CATALOG};
    if json {
        let rows: Vec<_> = CATALOG
            .iter()
            .map(|a| json!({"action": a.action, "operation": a.operation, "family": match a.family { Family::Pai => "pai", Family::Codeup => "codeup" }, "accessLevel": a.access.as_str(), "resource": a.resource}))
            .collect();
        print_json(json!(rows));
        return;
    }
    let width = CATALOG.iter().map(|a| a.action.len()).max().unwrap_or(0);
    let mut out = String::new();
    for a in CATALOG {
        out.push_str(&format!("{:<width$}  {:<6}  {}\n", a.action, a.access.as_str(), a.resource));
    }
    // A reader that stops early (`| head`) is not an error.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
}

fn print_json(v: serde_json::Value) {
    println!("{v}");
}

async fn dispatch(s: &AppState, cmd: AdminCommand) -> Result<(), codeport_core::Error> {
    match cmd {
        AdminCommand::User { command: UserCommand::Create { name, email, password_stdin, json } } => {
            let u = if password_stdin {
                s.console_auth().create_user_with_password(&name, email.as_deref(), &password_from_stdin()?).await?
            } else {
                s.identities().create_user(&name, email.as_deref()).await?
            };
            if json {
                print_json(json!({"userId": u.id, "userName": u.name}));
            } else {
                println!("Created user {} (id {}) in the default organization.", u.name, u.id);
            }
        }
        AdminCommand::User { command: UserCommand::SetPassword { name, password_stdin: _ } } => {
            s.console_auth().set_password(&name, &password_from_stdin()?).await?;
            println!("Password of {name} set; their console sessions were ended.");
        }
        AdminCommand::Session { command } => sessions(s, command).await?,
        AdminCommand::AccessKey { command } => access_keys(s, command).await?,
        AdminCommand::Token { command } => tokens(s, command).await?,
        AdminCommand::Actions { json } => print_actions(json),
        AdminCommand::Policy { command } => policies(s, command).await?,
    }
    Ok(())
}

/// The first line of standard input without its line ending: a password, never echoed.
fn password_from_stdin() -> Result<Secret, codeport_core::Error> {
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line)
        .map_err(|e| codeport_core::Error::invalid("password", format!("cannot read standard input: {e}")))?;
    let end = line.strip_suffix("\r\n").or_else(|| line.strip_suffix('\n')).map_or(line.len(), str::len);
    line.truncate(end);
    Ok(Secret::new(line))
}

async fn sessions(s: &AppState, cmd: SessionCommand) -> Result<(), codeport_core::Error> {
    match cmd {
        SessionCommand::List { user, json } => {
            let list = s.console_auth().list_sessions(user.as_deref()).await?;
            if json {
                let items: Vec<_> = list
                    .iter()
                    .map(|c| json!({"sessionId": c.id, "userName": c.user_name, "createdAt": rfc3339(c.created_at), "expiresAt": rfc3339(c.expires_at), "sourceIp": c.source_ip}))
                    .collect();
                print_json(json!(items));
            } else if list.is_empty() {
                println!("No console sessions.");
            } else {
                for c in &list {
                    let ip = if c.source_ip.is_empty() { "-" } else { c.source_ip.as_str() };
                    println!("{}  {:<16} created {}  expires {}  from {}", c.id, c.user_name, rfc3339(c.created_at), rfc3339(c.expires_at), ip);
                }
            }
        }
        SessionCommand::Revoke { id } => {
            s.console_auth().revoke_session(&id).await?;
            println!("Console session {id} revoked.");
        }
    }
    Ok(())
}

async fn access_keys(s: &AppState, cmd: AccessKeyCommand) -> Result<(), codeport_core::Error> {
    match cmd {
        AccessKeyCommand::Create { user, json } => {
            let k = s.identities().create_access_key(&user).await?;
            if json {
                print_json(json!({"accessKeyId": k.id, "accessKeySecret": Secret::expose(&k.secret)}));
            } else {
                println!("AccessKey ID:     {}\nAccessKey secret: {}\nThe secret is shown only now; store it safely.", k.id, k.secret.expose());
            }
        }
        AccessKeyCommand::List(ListOfUser { user, json }) => {
            let keys = s.identities().list_access_keys(&user).await?;
            if json {
                let items: Vec<_> = keys
                    .iter()
                    .map(|k| json!({"accessKeyId": k.id, "status": if k.enabled {"Active"} else {"Inactive"}, "createdAt": rfc3339(k.created_at)}))
                    .collect();
                print_json(json!(items));
            } else if keys.is_empty() {
                println!("{user} has no AccessKeys.");
            } else {
                for k in keys {
                    println!("{}  {}  created {}", k.id, if k.enabled { "Active  " } else { "Inactive" }, rfc3339(k.created_at));
                }
            }
        }
        AccessKeyCommand::Disable { id } => {
            s.identities().set_access_key_enabled(&id, false).await?;
            println!("AccessKey {id} disabled.");
        }
        AccessKeyCommand::Enable { id } => {
            s.identities().set_access_key_enabled(&id, true).await?;
            println!("AccessKey {id} enabled.");
        }
        AccessKeyCommand::Delete { id } => {
            s.identities().delete_access_key(&id).await?;
            println!("AccessKey {id} deleted.");
        }
    }
    Ok(())
}

fn scope_text(scopes: &codeport_core::values::TokenScopes) -> String {
    let s = scopes.to_stored();
    if s.is_empty() {
        "all".into()
    } else {
        s
    }
}

async fn tokens(s: &AppState, cmd: TokenCommand) -> Result<(), codeport_core::Error> {
    match cmd {
        TokenCommand::Create { user, expires_in, scope, json } => {
            let scopes = codeport_core::values::TokenScopes::parse(&scope)?;
            let ttl = expires_in
                .map(|d| {
                    parse_duration(&d)
                        .ok_or_else(|| codeport_core::Error::invalid("--expires-in", format!("{d:?} is not a duration such as 30d, 12h, 15m or 2s")))
                })
                .transpose()?;
            let t = s.identities().create_token(&user, ttl, &scopes).await?;
            if json {
                print_json(
                    json!({"token": t.token.expose(), "tokenId": t.id, "expiresAt": t.expires_at.map(rfc3339), "scopes": scope_text(&scopes)}),
                );
            } else {
                println!(
                    "Token:    {}\nToken id: {}\nExpires:  {}\nThe token is shown only now; store it safely.",
                    t.token.expose(),
                    t.id,
                    t.expires_at.map(rfc3339).unwrap_or_else(|| "never".into())
                );
            }
        }
        TokenCommand::List(ListOfUser { user, json }) => {
            let list = s.identities().list_tokens(&user).await?;
            let now = now_millis();
            let state = |t: &codeport_core::entities::PersonalAccessToken| {
                if t.revoked {
                    "revoked"
                } else if t.expires_at.is_some_and(|e| e <= now) {
                    "expired"
                } else {
                    "active"
                }
            };
            if json {
                let items: Vec<_> = list
                    .iter()
                    .map(|t| json!({"tokenId": t.id, "status": state(t), "scopes": if t.scopes.is_empty() { "all" } else { t.scopes.as_str() }, "createdAt": rfc3339(t.created_at), "expiresAt": t.expires_at.map(rfc3339)}))
                    .collect();
                print_json(json!(items));
            } else if list.is_empty() {
                println!("{user} has no tokens.");
            } else {
                for t in &list {
                    println!(
                        "{}  {:8} created {}  expires {}",
                        t.id,
                        state(t),
                        rfc3339(t.created_at),
                        t.expires_at.map(rfc3339).unwrap_or_else(|| "never".into())
                    );
                }
            }
        }
        TokenCommand::Revoke { id } => {
            s.identities().revoke_token(&id).await?;
            println!("Token {id} revoked.");
        }
    }
    Ok(())
}
