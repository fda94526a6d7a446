//! The shell client end to end: the PAI commands (`codeport codesource ...`, `codeport
//! workspace ...` with `workspace member ...`) and the Codeup ones (`codeport repo ...`),
//! against a real `codeport serve` process in a temporary directory, the real binary as the
//! client, real HTTP between them. Credentials travel in the environment as an operator's
//! would (never on the command line), and each test checks what a person or a script sees:
//! stdout, the one-line stderr, and the exit status.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tempfile::TempDir;

/// How long `serve` may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// The repository token the tests store; it must never appear in human output.
const TOKEN: &str = "tok-Very-Secret-4711";

/// A `codeport serve` on a port the OS picked (`--listen 127.0.0.1:0`; the address comes
/// from its `ready` log line), with its data in a temporary directory. Dropping it kills it.
struct Serve {
    child: Child,
    endpoint: String,
    data: TempDir,
}

impl Serve {
    fn start() -> Serve {
        let data = tempfile::tempdir().expect("temp dir");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_codeport"));
        scrub(&mut cmd);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data.path().join("d"));
        cmd.current_dir(data.path()).env("CODEPORT_LOG", "info").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn codeport serve");
        let stdout = child.stdout.take().expect("stdout pipe");
        let (tx, rx) = mpsc::channel();
        // Read the log until `ready addr=...`, then keep draining so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.contains(" ready ").then(|| line.split_whitespace().find_map(|w| w.strip_prefix("addr="))).flatten() {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let endpoint = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("codeport serve did not log `ready addr=...` within {READY_TIMEOUT:?}");
            }
        };
        Serve { child, endpoint, data }
    }

    fn data_dir(&self) -> std::path::PathBuf {
        self.data.path().join("d")
    }

    /// The bootstrap admin's AccessKey, as an operator would read it from bootstrap.json.
    fn admin_key(&self) -> (String, String) {
        let path = self.data_dir().join("bootstrap.json");
        let boot: Value = serde_json::from_slice(&std::fs::read(&path).expect("bootstrap.json")).expect("bootstrap.json is JSON");
        (boot["accessKeyId"].as_str().expect("accessKeyId").to_string(), boot["accessKeySecret"].as_str().expect("accessKeySecret").to_string())
    }

    /// The client as the bootstrap admin (AccessKey only; see [`Serve::admin_with_token`]).
    fn admin(&self) -> Client {
        let (id, secret) = self.admin_key();
        Client { endpoint: self.endpoint.clone(), id, secret, token: None }
    }

    /// The bootstrap admin with its personal access token too (YUNXIAO_ACCESS_TOKEN, for
    /// `codeport repo`), and the organization id it belongs to.
    fn admin_with_token(&self) -> (Client, String) {
        let boot: Value = serde_json::from_slice(&std::fs::read(self.data_dir().join("bootstrap.json")).expect("bootstrap.json")).expect("JSON");
        let token = boot["personalAccessToken"].as_str().expect("personalAccessToken").to_string();
        (Client { token: Some(token), ..self.admin() }, boot["organizationId"].as_str().expect("organizationId").to_string())
    }

    /// A new user `name` with an AccessKey (`codeport admin ...`): its user id and client.
    fn user(&self, name: &str, c: &Client) -> (String, Client) {
        let user: Value = serde_json::from_slice(&self.admin_cli(&["user", "create", name, "--json"]).stdout).expect("user JSON");
        let key: Value =
            serde_json::from_slice(&self.admin_cli(&["access-key", "create", "--user", name, "--json"]).stdout).expect("access key JSON");
        let client = c.with(key["accessKeyId"].as_str().expect("id"), key["accessKeySecret"].as_str().expect("secret"));
        (user["userId"].as_str().expect("userId").to_string(), Client { token: None, ..client })
    }

    /// `codeport admin ...` on this server's data directory (safe while it runs).
    fn admin_cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_codeport"));
        scrub(&mut cmd);
        cmd.arg("admin").arg("--data-dir").arg(self.data_dir()).args(args).current_dir(self.data.path()).stdin(Stdio::null());
        let out = cmd.output().expect("run codeport admin");
        assert!(out.status.success(), "codeport admin {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes the developer's own settings and credentials, so a test states exactly what it means.
fn scrub(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CODEPORT_") || k.starts_with("ALIBABA_CLOUD_") || k == "RUST_LOG" || k == "YUNXIAO_ACCESS_TOKEN" {
            cmd.env_remove(k);
        }
    }
}

/// The shell client with an endpoint and an AccessKey in its environment, and a personal
/// access token (YUNXIAO_ACCESS_TOKEN) when it has one.
#[derive(Clone)]
struct Client {
    endpoint: String,
    id: String,
    secret: String,
    token: Option<String>,
}

/// A finished client command.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts exit 0 and returns stdout.
    fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "command failed:\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        &self.stdout
    }

    /// Asserts exit 0 and parses stdout as JSON.
    fn json(&self) -> Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Asserts the exit status, nothing on stdout and one `error: ...` line on stderr; returns it.
    fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "exit status\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        assert_eq!(self.stdout, "", "a failing command printed to stdout");
        let line = self.stderr.strip_suffix('\n').unwrap_or(&self.stderr);
        assert!(line.starts_with("error: ") && !line.contains('\n'), "expected one `error: ` line on stderr, got {:?}", self.stderr);
        line
    }

    /// Asserts exit 0 and returns a `Key: value` line's value.
    fn field(&self, key: &str) -> &str {
        let prefix = format!("{key}: ");
        self.ok()
            .lines()
            .find_map(|l| l.strip_prefix(&prefix).or_else(|| (l == format!("{key}:")).then_some("")))
            .unwrap_or_else(|| panic!("no {key} line in:\n{}", self.stdout))
    }
}

impl Client {
    fn with(&self, id: &str, secret: &str) -> Client {
        Client { id: id.to_string(), secret: secret.to_string(), ..self.clone() }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_codeport"));
        scrub(&mut cmd);
        // A directory that outlives any one server (the client reads nothing from it).
        cmd.current_dir(std::env::temp_dir())
            .env("CODEPORT_ENDPOINT", &self.endpoint)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", &self.id)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &self.secret);
        if let Some(token) = &self.token {
            cmd.env("YUNXIAO_ACCESS_TOKEN", token);
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(self.command(), args, None)
    }

    /// Runs with `input` on standard input.
    fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        self.run_with(self.command(), args, Some(input))
    }

    fn run_with(&self, mut cmd: Command, args: &[&str], input: Option<&str>) -> Run {
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = cmd.spawn().expect("spawn codeport");
        if let Some(text) = input {
            let mut stdin = child.stdin.take().expect("stdin pipe");
            stdin.write_all(text.as_bytes()).expect("write stdin");
        }
        // The client bounds itself (10 s connect, 60 s per request), so waiting cannot hang.
        let out = child.wait_with_output().expect("wait for codeport");
        let run = Run {
            code: out.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        // The AccessKey secret is never printed; the repository token only by --json.
        assert!(
            !run.stdout.contains(&self.secret) && !run.stderr.contains(&self.secret),
            "the AccessKey secret was printed:\n{}{}",
            run.stdout,
            run.stderr
        );
        // No command prints the personal access token, not even with --json.
        if let Some(token) = &self.token {
            assert!(!run.stdout.contains(token) && !run.stderr.contains(token), "the access token was printed:\n{}{}", run.stdout, run.stderr);
        }
        assert!(
            !run.stderr.contains(TOKEN) && (args.contains(&"--json") || !run.stdout.contains(TOKEN)),
            "the token was printed:\n{}{}",
            run.stdout,
            run.stderr
        );
        run
    }
}

/// The API's code source fields (GetCodeSource as the SDK models it).
const CODE_SOURCE_FIELDS: [&str; 16] = [
    "Accessibility",
    "CloneType",
    "CodeBranch",
    "CodeCommit",
    "CodeRepo",
    "CodeRepoAccessToken",
    "CodeRepoUserName",
    "CodeSourceId",
    "Description",
    "DisplayName",
    "GmtCreateTime",
    "GmtModifyTime",
    "MountPath",
    "RequestId",
    "UserId",
    "WorkspaceId",
];

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().cloned().collect();
    k.sort();
    k
}

/// The table row (split on runs of spaces) whose first cell is `id`.
fn row<'a>(table: &'a str, id: &str) -> Vec<&'a str> {
    table
        .lines()
        .map(|l| l.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect::<Vec<_>>())
        .find(|cells| cells.first() == Some(&id))
        .unwrap_or_else(|| panic!("no row {id} in:\n{table}"))
}

#[test]
fn workspace_and_code_source_lifecycle_from_the_shell() {
    let server = Serve::start();
    let c = server.admin();

    // Workspaces: create (Key: value), list (table), get (--json with the API's names).
    let created = c.run(&["workspace", "create", "--name", "ml_team", "--description", "our models", "--env-types", "dev,prod"]);
    let ws = created.field("WorkspaceId").to_string();
    assert!(!ws.is_empty() && !created.field("RequestId").is_empty(), "{}", created.stdout);
    let list = c.run(&["workspace", "list"]);
    assert!(list.ok().starts_with("WorkspaceId"), "the header names the API's fields:\n{}", list.stdout);
    assert_eq!(row(&list.stdout, &ws)[1], "ml_team");
    let got = c.run(&["workspace", "get", &ws, "--json"]).json();
    assert_eq!(
        (got["WorkspaceId"].as_str(), got["WorkspaceName"].as_str(), got["Description"].as_str()),
        (Some(ws.as_str()), Some("ml_team"), Some("our models"))
    );
    assert_eq!(got["EnvTypes"], serde_json::json!(["dev", "prod"]));
    assert!(got.get("GmtModifiedTime").is_some(), "workspaces say GmtModifiedTime: {got}");
    let listed = c.run(&["workspace", "list", "--workspace-name", "ml_", "--json"]).json();
    assert_eq!(listed["TotalCount"], 1, "{listed}");

    // Create a code source with the token on stdin: stored, never shown to people.
    let args = [
        "codesource",
        "create",
        "--workspace-id",
        &ws,
        "--display-name",
        "trainer",
        "--code-repo",
        "https://example.com/ml/trainer.git",
        "--code-branch",
        "main",
    ];
    let created = c.run_stdin(&[&args[..], &["--mount-path", "/root/code/", "--code-repo-access-token-stdin"]].concat(), &format!("{TOKEN}\n"));
    let cs = created.field("CodeSourceId").to_string();
    assert!(cs.starts_with("code-"), "{}", created.stdout);

    let human = c.run(&["codesource", "get", &cs]);
    assert_eq!(human.field("CodeRepoAccessToken"), "(set)");
    assert_eq!((human.field("DisplayName"), human.field("Accessibility"), human.field("MountPath")), ("trainer", "PRIVATE", "/root/code/"));
    let json = c.run(&["codesource", "get", &cs, "--json"]).json();
    assert_eq!(keys(&json), CODE_SOURCE_FIELDS, "--json prints the API's field names");
    assert_eq!(json["CodeRepoAccessToken"], TOKEN, "the creator's GetCodeSource returns the token stdin gave");
    assert_eq!(json["CodeRepo"], "https://example.com/ml/trainer.git");

    // List: a table with the API's column names; --json with the API's shape.
    c.run(&["codesource", "create", "--workspace-id", &ws, "--display-name", "second one"]).ok();
    let table = c.run(&["codesource", "list", "--workspace-id", &ws, "--sort-by", "DisplayName", "--order", "ASC"]);
    let header: Vec<&str> = table.ok().lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["CodeSourceId", "DisplayName", "Accessibility", "CodeRepo", "CodeBranch", "GmtModifyTime"]);
    assert_eq!(row(&table.stdout, &cs)[..5], [cs.as_str(), "trainer", "PRIVATE", "https://example.com/ml/trainer.git", "main"]);
    assert!(table.stdout.lines().any(|l| l == "TotalCount: 2"), "{}", table.stdout);
    let listed = c.run(&["codesource", "list", "--workspace-id", &ws, "--display-name", "train", "--json"]).json();
    assert_eq!(keys(&listed), ["CodeSources", "RequestId", "TotalCount"]);
    assert_eq!(listed["TotalCount"], 1);
    let item = &listed["CodeSources"][0];
    assert_eq!(keys(item), CODE_SOURCE_FIELDS.iter().filter(|k| **k != "RequestId").map(|k| k.to_string()).collect::<Vec<_>>());
    assert_eq!(item["CodeRepoAccessToken"], "", "lists never carry the token");
    let paged = c.run(&["codesource", "list", "--workspace-id", &ws, "--page-number", "2", "--page-size", "1", "--json"]).json();
    assert_eq!((paged["TotalCount"].as_i64(), paged["CodeSources"].as_array().map(Vec::len)), (Some(2), Some(1)));

    // Update: given fields change, "" clears, a new token from stdin replaces the old one.
    c.run_stdin(&["codesource", "update", &cs, "--description", "nightly", "--code-branch", "", "--code-repo-access-token-stdin"], "tok-second\r\n")
        .ok();
    let json = c.run(&["codesource", "get", &cs, "--json"]).json();
    assert_eq!(
        (json["Description"].as_str(), json["CodeBranch"].as_str(), json["CodeRepoAccessToken"].as_str()),
        (Some("nightly"), Some(""), Some("tok-second"))
    );
    assert_eq!(json["DisplayName"], "trainer", "fields not given stay");

    // Publish, then delete: afterwards it is not found (exit 3).
    assert_eq!(c.run(&["codesource", "publish", &cs]).field("CodeSourceId"), cs);
    assert_eq!(c.run(&["codesource", "get", &cs]).field("Accessibility"), "PUBLIC");
    assert_eq!(c.run(&["codesource", "delete", &cs, "--json"]).json()["CodeSourceId"], cs.as_str());
    let gone = c.run(&["codesource", "get", &cs]);
    let line = gone.fails(3);
    assert!(line.starts_with("error: CodeSourceNotFound: ") && line.contains("(RequestId "), "{line}");
}

#[test]
fn failures_exit_with_the_documented_statuses() {
    let server = Serve::start();
    let c = server.admin();

    // A missing credential: exit 2 and a message naming the variable and the flag.
    let mut cmd = c.command();
    cmd.env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    let line = c.run_with(cmd, &["codesource", "get", "code-x"], None).fails(2).to_string();
    assert!(line.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET") && line.contains("--access-key-secret"), "{line}");
    let mut cmd = c.command();
    cmd.env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID");
    let line = c.run_with(cmd, &["workspace", "list"], None).fails(2).to_string();
    assert!(line.contains("ALIBABA_CLOUD_ACCESS_KEY_ID") && line.contains("--access-key-id"), "{line}");

    // Refused credentials: exit 5, the server's code, never the secret.
    let wrong = c.with(&c.id, "not-the-secret-at-all");
    assert!(wrong.run(&["workspace", "list"]).fails(5).starts_with("error: SignatureDoesNotMatch: "));
    let unknown = c.with("LTAIunknownkey000000", &c.secret);
    assert!(unknown.run(&["workspace", "list"]).fails(5).starts_with("error: InvalidAccessKeyId.NotFound: "));

    // Not found: exit 3.
    assert!(c.run(&["codesource", "get", "code-doesnotexist"]).fails(3).starts_with("error: CodeSourceNotFound: "));
    assert!(c.run(&["workspace", "get", "999999999"]).fails(3).starts_with("error: WorkspaceNotFound: "));

    // No permission: a user without policies is refused by RAM (exit 4).
    server.admin_cli(&["user", "create", "bob"]);
    let key: Value = serde_json::from_slice(&server.admin_cli(&["access-key", "create", "--user", "bob", "--json"]).stdout).expect("access key JSON");
    server.admin_cli(&["policy", "detach", "--user", "bob", "--policy", "AdministratorAccess"]);
    let bob = c.with(key["accessKeyId"].as_str().expect("id"), key["accessKeySecret"].as_str().expect("secret"));
    assert!(bob.run(&["workspace", "list"]).fails(4).starts_with("error: NoPermission: "));

    // Server refusals of the input: exit 1 with the field named.
    let ws = c.run(&["workspace", "create", "--name", "team_two", "--description", "d"]).field("WorkspaceId").to_string();
    let line = c.run(&["codesource", "create", "--workspace-id", &ws, "--display-name", "x", "--mount-path", "relative"]).fails(1).to_string();
    assert!(line.starts_with("error: InvalidParameter: ") && line.contains("MountPath"), "{line}");

    // --code-repo-access-token-stdin with nothing on stdin is a usage error, not an empty token.
    let line = c
        .run_stdin(&["codesource", "create", "--workspace-id", &ws, "--display-name", "y", "--code-repo-access-token-stdin"], "")
        .fails(2)
        .to_string();
    assert!(line.contains("standard input is empty"), "{line}");
    // Clap's own usage errors keep status 2.
    assert_eq!(c.run(&["codesource", "create", "--workspace-id", &ws, "--display-name", "z", "--accessibility", "SECRET"]).code, 2);

    // No HTTP answer: exit 6. The port was the server's; after it stops nothing listens there.
    let endpoint = c.endpoint.clone();
    drop(server);
    let line = c.run(&["workspace", "list"]).fails(6).to_string();
    assert!(line.starts_with("error: NetworkError: ") && line.contains(&endpoint), "{line}");
}

#[test]
fn help_never_shows_the_secret_from_the_environment() {
    let c = Client { endpoint: "127.0.0.1:9".into(), id: "LTAIexample".into(), secret: "help-must-hide-this".into(), token: None };
    for args in [&["codesource", "--help"][..], &["workspace", "create", "--help"]] {
        let out = c.run(args);
        assert!(out.ok().contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), "{}", out.stdout);
        assert!(!out.stdout.contains("help-must-hide-this"));
    }
}

#[test]
fn workspace_members_from_the_shell() {
    let server = Serve::start();
    let c = server.admin();
    let ws = c.run(&["workspace", "create", "--name", "ml_team", "--description", "d"]).field("WorkspaceId").to_string();
    let (bob_id, bob) = server.user("bob", &c);
    // Not a member yet: bob does not see the workspace.
    assert!(bob.run(&["workspace", "get", &ws]).fails(3).starts_with("error: WorkspaceNotFound: "));

    // add: CreateMember's members as a table.
    let added = c.run(&["workspace", "member", "add", &ws, "--user-id", &bob_id, "--roles", "PAI.AlgoDeveloper"]);
    let header: Vec<&str> = added.ok().lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["MemberId", "UserId", "DisplayName", "Roles"]);
    let member_id = added.stdout.lines().nth(1).and_then(|l| l.split_whitespace().next()).expect("a member row").to_string();
    assert_eq!(row(&added.stdout, &member_id)[1..], [bob_id.as_str(), "bob", "PAI.AlgoDeveloper"]);
    assert_eq!(bob.run(&["workspace", "get", &ws]).field("WorkspaceId"), ws, "a member sees the workspace");

    // list: the owner and bob, with the API's names; --json with its shape; filters.
    let list = c.run(&["workspace", "member", "list", &ws]);
    let header: Vec<&str> = list.ok().lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["MemberId", "UserId", "MemberName", "DisplayName", "Roles"]);
    assert_eq!(row(&list.stdout, &member_id)[1..], [bob_id.as_str(), "bob", "bob", "PAI.AlgoDeveloper"]);
    assert!(list.stdout.lines().any(|l| l.contains("PAI.WorkspaceOwner")), "{}", list.stdout);
    assert!(list.stdout.lines().any(|l| l == "TotalCount: 2"), "{}", list.stdout);
    let json = c.run(&["workspace", "member", "list", &ws, "--roles", "PAI.AlgoDeveloper", "--json"]).json();
    assert_eq!((json["TotalCount"].as_i64(), json["Members"][0]["MemberId"].as_str()), (Some(1), Some(member_id.as_str())), "{json}");
    let paged = c.run(&["workspace", "member", "list", &ws, "--page-size", "1", "--page-number", "2", "--json"]).json();
    assert_eq!(paged["Members"].as_array().map(Vec::len), Some(1), "{paged}");

    // Refusals: an unknown role is the server's InvalidParameter (1); --roles is required (2);
    // bob, a developer, may not manage members (4).
    let line = c.run(&["workspace", "member", "add", &ws, "--user-id", &bob_id, "--roles", "PAI.Wizard"]).fails(1).to_string();
    assert!(line.starts_with("error: InvalidParameter: "), "{line}");
    assert_eq!(c.run(&["workspace", "member", "add", &ws, "--user-id", &bob_id]).code, 2);
    let (carol_id, _) = server.user("carol", &c);
    bob.run(&["workspace", "member", "add", &ws, "--user-id", &carol_id, "--roles", "PAI.AlgoDeveloper"]).fails(4);

    // remove: DeleteMembers by MemberId; bob no longer sees the workspace.
    c.run(&["workspace", "member", "remove", &ws, "--member-ids", &member_id]).field("RequestId");
    let json = c.run(&["workspace", "member", "list", &ws, "--json"]).json();
    assert_eq!(json["TotalCount"], 1, "{json}");
    bob.run(&["workspace", "get", &ws]).fails(3);
}

#[test]
fn repositories_from_the_shell() {
    let server = Serve::start();
    let (c, org) = server.admin_with_token();

    // create: `key: value` lines with the clone URL; groups on the way are created.
    let created = c.run(&["repo", "create", "ml/trainer", "--readme", "--description", "the trainer"]);
    let id = created.field("id").to_string();
    assert_eq!(created.field("pathWithNamespace"), format!("{org}/ml/trainer"));
    // (The host is the server's external URL; with --listen 127.0.0.1:0 that names port 0.)
    assert!(created.field("httpUrlToRepo").ends_with(&format!("/{org}/ml/trainer.git")), "{}", created.stdout);
    assert_eq!((created.field("name"), created.field("visibility"), created.field("description")), ("trainer", "private", "the trainer"));
    assert_eq!(created.field("defaultBranch"), "master", "--readme starts the repository with a commit on master");
    assert!(created.stdout.starts_with("id: "), "the id comes first:\n{}", created.stdout);
    let other = c.run(&["repo", "create", "ml/other", "--name", "Other", "--visibility", "PRIVATE", "--json"]).json();
    assert_eq!((other["name"].as_str(), other["path"].as_str()), (Some("Other"), Some("other")), "{other}");

    // list: a table and the x-total; --json is the API's bare array.
    let list = c.run(&["repo", "list"]);
    let header: Vec<&str> = list.ok().lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["id", "pathWithNamespace", "visibility", "defaultBranch", "httpUrlToRepo"]);
    assert_eq!(row(&list.stdout, &id)[1..3], [format!("{org}/ml/trainer").as_str(), "private"]);
    assert!(list.stdout.lines().any(|l| l == "total: 2"), "{}", list.stdout);
    let found = c.run(&["repo", "list", "--search", "train", "--json"]).json();
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    let paged = c.run(&["repo", "list", "--page", "2", "--per-page", "1", "--json"]).json();
    assert_eq!(paged.as_array().map(Vec::len), Some(1), "{paged}");

    // get: by path below the organization, by full path, by id; --organization-id is taken as given.
    for key in ["ml/trainer", &format!("{org}/ml/trainer"), &id] {
        assert_eq!(c.run(&["repo", "get", key]).field("id"), id, "{key}");
    }
    let json = c.run(&["repo", "get", "ml/trainer", "--organization-id", &org, "--json"]).json();
    assert_eq!(json["pathWithNamespace"], format!("{org}/ml/trainer"));

    // The token from standard input instead of the environment.
    let token = c.token.clone().expect("a token");
    let no_env = Client { token: None, ..c.clone() };
    assert_eq!(no_env.run_stdin(&["repo", "get", "ml/trainer", "--token-stdin"], &format!("{token}\n")).field("id"), id);
}

#[test]
fn repository_failures_exit_with_the_documented_statuses() {
    let server = Serve::start();
    let (c, _) = server.admin_with_token();

    // No token: exit 2, naming the variable and the flag; there is no flag taking the value.
    let no_token = Client { token: None, ..c.clone() };
    let line = no_token.run(&["repo", "list"]).fails(2).to_string();
    assert!(line.contains("YUNXIAO_ACCESS_TOKEN") && line.contains("--token-stdin"), "{line}");
    assert!(no_token.run_stdin(&["repo", "list", "--token-stdin"], "").fails(2).contains("standard input is empty"));
    assert_eq!(no_token.run(&["repo", "list", "--token", "pt-x"]).code, 2, "no --token VALUE flag (ps would show it)");

    // A wrong token: exit 5 with Codeup's code.
    let wrong = Client { token: Some("pt-not-a-real-token-at-all".into()), ..c.clone() };
    assert!(wrong.run(&["repo", "list"]).fails(5).starts_with("error: InvalidTokenError: "));

    // Not found (3), a conflict (1), the server's field check (1), clap's value check (2).
    assert!(c.run(&["repo", "get", "no/such"]).fails(3).starts_with("error: NotFound: "));
    c.run(&["repo", "create", "ml/trainer"]).ok();
    assert!(c.run(&["repo", "create", "ml/trainer"]).fails(1).starts_with("error: Conflict: "));
    assert!(c.run(&["repo", "create", "ml/y", "--name", ""]).fails(1).starts_with("error: BadRequest: "));
    assert_eq!(c.run(&["repo", "create", "ml/x", "--visibility", "public"]).code, 2);

    // No permission: a user whose RAM policies allow nothing is refused (4).
    let (_, bob) = server.user("bob", &c);
    server.admin_cli(&["policy", "detach", "--user", "bob", "--policy", "AdministratorAccess"]);
    let out = server.admin_cli(&["token", "create", "--user", "bob", "--json"]);
    let bob_token: Value = serde_json::from_slice(&out.stdout).expect("token JSON");
    let bob = Client { token: Some(bob_token["token"].as_str().expect("token").to_string()), ..bob };
    assert!(bob.run(&["repo", "list"]).fails(4).starts_with("error: Forbidden: "));

    // No HTTP answer: exit 6.
    drop(server);
    assert!(c.run(&["repo", "list"]).fails(6).starts_with("error: NetworkError: "));
}
