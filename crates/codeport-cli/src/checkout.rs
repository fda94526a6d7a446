//! `codeport checkout CODE_SOURCE_ID`: what a job runtime does with a code source, from the
//! shell. It asks the signed API for the code source (MountPath, CloneType) and for a
//! checkout credential, then clones CodeRepo into the mount path and checks out CodeCommit
//! (or the head of CodeBranch).
//!
//! The password never touches disk, `.git/config`, a command line or a log: git gets it
//! from `codeport` itself acting as its askpass program, which asks this process over a
//! Unix socket in a private (0700) temporary directory; user credential helpers are
//! switched off so none of them stores it; the remote URL has no credentials in it.
//! CloneType follows the official SDK: 0 clones into a new subdirectory named as `git clone`
//! names it, 1 tiles the working tree into the target directory itself.

use crate::pai_api::{ApiArgs, CommandError, ExitKind, PaiApi};
use codeport_core::acs3::encode_str;
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// The variable that turns `codeport` into git's askpass helper: it names the socket.
pub const ASKPASS_SOCKET_ENV: &str = "CODEPORT_ASKPASS_SOCKET";

/// `codeport checkout` arguments.
#[derive(clap::Args)]
pub struct CheckoutArgs {
    /// The code source to check out (code-...).
    pub code_source_id: String,
    /// Check out here instead of the code source's MountPath.
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,
    /// Make a shallow clone with this many commits of history ending at the pinned ref.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub depth: Option<u32>,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// A failure with its exit status and one-line message.
pub type Outcome = Result<(), CommandError>;

fn fail(kind: ExitKind, message: impl Into<String>) -> CommandError {
    CommandError::new(kind, message)
}

/// What the API said about the code source and how to clone it.
struct Plan {
    repo_url: String,
    branch: String,
    commit: String,
    user_name: String,
    password: String,
    target: PathBuf,
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// The directory name `git clone URL` picks: the last path segment without `.git`.
pub fn clone_dir_name(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url).trim_end_matches('/');
    let last = path.rsplit(['/', ':']).next()?;
    let name = last.strip_suffix(".git").unwrap_or(last);
    (!name.is_empty() && name != "." && name != "..").then(|| name.to_string())
}

/// Runs the checkout.
pub async fn run(args: CheckoutArgs) -> Outcome {
    let api = PaiApi::new(&args.api).map_err(|m| fail(ExitKind::Usage, m))?;
    let id = args.code_source_id.trim();
    if id.is_empty() {
        return Err(fail(ExitKind::Usage, "the code source id is empty"));
    }
    let path = format!("/api/v1/codesources/{}", encode_str(id));
    let source = api.call(reqwest::Method::GET, &path, &[], None, "GetCodeSource").await?;
    let cred = api
        .call(reqwest::Method::POST, &format!("{path}/checkoutcredential"), &[], Some(&serde_json::json!({})), "GetCodeSourceCheckoutCredential")
        .await?;
    let repo_url = text(&cred, "CodeRepo");
    let base = match args.into {
        Some(dir) => dir,
        None => PathBuf::from(text(&source, "MountPath")),
    };
    if base.as_os_str().is_empty() {
        return Err(fail(ExitKind::Other, format!("code source {id} has no MountPath; pass --into DIR")));
    }
    let target = match source["CloneType"].as_i64().unwrap_or(0) {
        1 => base,
        _ => base.join(clone_dir_name(&repo_url).ok_or_else(|| fail(ExitKind::Other, format!("cannot name a directory after {repo_url}")))?),
    };
    let plan = Plan {
        repo_url,
        branch: text(&cred, "CodeBranch"),
        commit: text(&cred, "CodeCommit"),
        user_name: text(&cred, "UserName"),
        password: text(&cred, "Password"),
        target,
    };
    checkout(&plan, args.depth, id).await
}

/// The state of the target directory before we touch it.
enum Target {
    /// Missing or empty: clone into it.
    Fresh,
    /// A checkout of the same repository: move it to the pinned ref.
    Same,
}

async fn inspect_target(plan: &Plan) -> Result<Target, CommandError> {
    let dir = &plan.target;
    match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Fresh),
        Err(e) => return Err(fail(ExitKind::TargetRefused, format!("cannot read {}: {e}", dir.display()))),
        Ok(mut entries) => {
            if entries.next().is_none() {
                return Ok(Target::Fresh);
            }
        }
    }
    if dir.join(".git").is_dir() {
        let out = git(dir)
            .args(["config", "--get", "remote.origin.url"])
            .output()
            .await
            .map_err(|e| fail(ExitKind::Other, format!("cannot run git: {e}")))?;
        let origin = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if same_repository(&origin, &plan.repo_url) {
            return Ok(Target::Same);
        }
        return Err(fail(
            ExitKind::TargetRefused,
            format!(
                "{} is a checkout of {} , not {}; left untouched",
                dir.display(),
                if origin.is_empty() { "another repository" } else { &origin },
                plan.repo_url
            ),
        ));
    }
    Err(fail(ExitKind::TargetRefused, format!("{} is not empty and not a checkout of {}; left untouched", dir.display(), plan.repo_url)))
}

fn same_repository(a: &str, b: &str) -> bool {
    let norm = |u: &str| u.trim_end_matches('/').trim_end_matches(".git").to_ascii_lowercase();
    !a.is_empty() && norm(a) == norm(b)
}

/// git with a predictable environment: no prompts on the terminal, English messages (we
/// classify them), and no credential helper of the user's that could store the password.
fn git(dir: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .env_remove(ASKPASS_SOCKET_ENV)
        .args(["-c", "credential.helper=", "-c", "core.askPass=", "-c", "advice.detachedHead=false"])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

async fn run_git(cmd: &mut tokio::process::Command, what: &str) -> Outcome {
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output().await.map_err(|e| fail(ExitKind::Other, format!("cannot run git: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(classify_git(what, &String::from_utf8_lossy(&out.stderr)))
    }
}

/// Maps git's complaint to a failure kind, keeping its last meaningful line as the message.
fn classify_git(what: &str, stderr: &str) -> CommandError {
    let lower = stderr.to_ascii_lowercase();
    // Ref complaints first and HTTP statuses only as git words them ("returned error: 401"):
    // a commit id in a message may contain "401" or "404".
    let kind = if lower.contains("not our ref")
        || lower.contains("couldn't find remote ref")
        || lower.contains("unadvertised object")
        || lower.contains("reference is not a tree")
        || lower.contains("did not match any")
        || lower.contains("unknown revision")
    {
        ExitKind::RefNotFound
    } else if lower.contains("authentication failed")
        || lower.contains("error: 401")
        || lower.contains("could not read username")
        || lower.contains("could not read password")
    {
        ExitKind::Authentication
    } else if lower.contains("could not resolve host")
        || lower.contains("failed to connect")
        || lower.contains("connection refused")
        || lower.contains("timed out")
        || lower.contains("connection reset")
    {
        ExitKind::Network
    } else if lower.contains("not found") || lower.contains("error: 404") {
        ExitKind::NotFound
    } else if lower.contains("error: 403") {
        ExitKind::NoPermission
    } else {
        ExitKind::Other
    };
    let line = stderr.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("git failed");
    fail(kind, format!("{what}: {line}"))
}

async fn checkout(plan: &Plan, depth: Option<u32>, id: &str) -> Outcome {
    let state = inspect_target(plan).await?;
    if let Target::Fresh = state {
        std::fs::create_dir_all(&plan.target).map_err(|e| fail(ExitKind::TargetRefused, format!("cannot create {}: {e}", plan.target.display())))?;
        run_git(git(&plan.target).args(["init", "-q"]), "git init").await?;
        run_git(git(&plan.target).args(["remote", "add", "origin", &plan.repo_url]), "git remote add").await?;
    }
    let askpass =
        Askpass::start(&plan.user_name, &plan.password).map_err(|e| fail(ExitKind::Other, format!("cannot set up the credential hand-off: {e}")))?;
    let result = fetch_and_checkout(plan, depth, &askpass).await;
    askpass.stop();
    result?;
    let head = git(&plan.target)
        .args(["rev-parse", "HEAD"])
        .output()
        .await
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let at = if plan.commit.is_empty() { format!("{} ({})", short(&head), plan.branch) } else { short(&head).to_string() };
    println!("Checked out {id} at {at} into {}", plan.target.display());
    Ok(())
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

async fn fetch_and_checkout(plan: &Plan, depth: Option<u32>, askpass: &Askpass) -> Outcome {
    let pinned = !plan.commit.is_empty();
    let branch_spec = (!plan.branch.is_empty()).then(|| format!("+refs/heads/{0}:refs/remotes/origin/{0}", plan.branch));
    // What to fetch: the pinned commit by id, or the branch; a full (non-shallow) fetch also
    // takes every branch and tag, as `git clone` would.
    let mut specs: Vec<String> = Vec::new();
    match (depth, pinned) {
        (Some(_), true) => specs.push(plan.commit.clone()),
        (Some(_), false) => specs.push(branch_spec.clone().unwrap_or_else(|| "HEAD".into())),
        (None, _) => {
            specs.push("+refs/heads/*:refs/remotes/origin/*".into());
            specs.push("+refs/tags/*:refs/tags/*".into());
        }
    }
    fetch(plan, depth, &specs, askpass).await?;
    if pinned && depth.is_none() && !has_commit(&plan.target, &plan.commit).await {
        // Not on any branch (force-pushed away, say): ask for it by id.
        fetch(plan, None, std::slice::from_ref(&plan.commit), askpass).await?;
    }
    let mut cmd = git(&plan.target);
    if pinned {
        let rev = if depth.is_some() { "FETCH_HEAD".to_string() } else { plan.commit.clone() };
        cmd.args(["checkout", "-q", "--detach", &rev]);
    } else if plan.branch.is_empty() {
        cmd.args(["checkout", "-q", "--detach", "FETCH_HEAD"]);
    } else {
        let remote = format!("refs/remotes/origin/{}", plan.branch);
        cmd.args(["checkout", "-q", "-B", &plan.branch, &remote]);
    }
    run_git(&mut cmd, "git checkout").await
}

async fn has_commit(dir: &Path, commit: &str) -> bool {
    git(dir).args(["cat-file", "-e", &format!("{commit}^{{commit}}")]).stderr(Stdio::null()).status().await.is_ok_and(|s| s.success())
}

/// Fetches `specs` from origin with the askpass hand-off; a terminal gets a progress bar.
async fn fetch(plan: &Plan, depth: Option<u32>, specs: &[String], askpass: &Askpass) -> Outcome {
    let tty = std::io::stderr().is_terminal();
    let mut cmd = git(&plan.target);
    // Keep the received pack as `git clone` does (fewer files, and index-pack reports
    // objects, bytes and rate where unpack-objects stays silent).
    cmd.args(["-c", "fetch.unpackLimit=1", "fetch", if tty { "--progress" } else { "--quiet" }]);
    if let Some(d) = depth {
        cmd.arg(format!("--depth={d}"));
    }
    cmd.arg("origin").args(specs);
    askpass.configure(&mut cmd);
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().map_err(|e| fail(ExitKind::Other, format!("cannot run git: {e}")))?;
    let mut stderr = child.stderr.take().expect("piped stderr");
    let mut collected = String::new();
    if tty {
        let mut bar = Progress::default();
        let mut reader = BufReader::new(stderr);
        let mut chunk = Vec::new();
        // git redraws progress with '\r'; read up to either separator.
        loop {
            chunk.clear();
            let mut byte = [0u8; 1];
            let mut eof = true;
            while reader.read(&mut byte).await.unwrap_or(0) == 1 {
                eof = false;
                if byte[0] == b'\r' || byte[0] == b'\n' {
                    break;
                }
                chunk.push(byte[0]);
            }
            if eof && chunk.is_empty() {
                break;
            }
            let line = String::from_utf8_lossy(&chunk).to_string();
            if !bar.update(&line) && !line.trim().is_empty() {
                collected.push_str(&line);
                collected.push('\n');
            }
        }
        bar.finish();
    } else {
        let _ = stderr.read_to_string(&mut collected).await;
    }
    let status = child.wait().await.map_err(|e| fail(ExitKind::Other, format!("git fetch: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(classify_git("git fetch", &collected))
    }
}

/// A one-line progress bar drawn from git's own progress lines: objects, bytes and rate.
#[derive(Default)]
struct Progress {
    drawn: bool,
}

impl Progress {
    /// Draws `line` if it is a progress line; false otherwise.
    fn update(&mut self, line: &str) -> bool {
        let line = line.trim_start_matches("remote: ").trim();
        let Some((phase, rest)) = line.split_once(':') else { return false };
        if !matches!(phase, "Receiving objects" | "Resolving deltas" | "Counting objects" | "Compressing objects" | "Enumerating objects") {
            return false;
        }
        let percent: u32 = rest.trim().split('%').next().and_then(|p| p.trim().parse().ok()).unwrap_or(0);
        let counts = rest.split(['(', ')']).nth(1).unwrap_or("");
        let extra = rest.split_once("),").map(|(_, e)| e.trim().trim_end_matches(", done.")).unwrap_or("");
        let width = 30usize;
        let filled = (percent.min(100) as usize * width) / 100;
        let bar: String = "#".repeat(filled) + &"-".repeat(width - filled);
        let mut err = std::io::stderr();
        let _ = write!(err, "\r\x1b[2K{phase:<19} [{bar}] {percent:>3}% {counts} {extra}");
        let _ = err.flush();
        self.drawn = true;
        true
    }

    fn finish(&mut self) {
        if self.drawn {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// The askpass hand-off: a Unix socket in a private directory, answered by this process.
struct Askpass {
    dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Askpass {
    fn start(user: &str, password: &str) -> std::io::Result<Askpass> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new().prefix("codeport-askpass-").tempdir()?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
        let listener = tokio::net::UnixListener::bind(dir.path().join("socket"))?;
        let user = if user.is_empty() { "git".to_string() } else { user.to_string() };
        let password = password.to_string();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut prompt = String::new();
                let mut reader = BufReader::new(&mut stream);
                if reader.read_line(&mut prompt).await.is_err() {
                    continue;
                }
                let answer = if prompt.starts_with("Username") {
                    user.as_str()
                } else if prompt.starts_with("Password") {
                    password.as_str()
                } else {
                    ""
                };
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        Ok(Askpass { dir, task })
    }

    /// Makes git ask `codeport` (this executable) for credentials.
    fn configure(&self, cmd: &mut tokio::process::Command) {
        if let Ok(exe) = std::env::current_exe() {
            cmd.env("GIT_ASKPASS", exe).env(ASKPASS_SOCKET_ENV, self.dir.path().join("socket"));
        }
    }

    fn stop(self) {
        self.task.abort();
        drop(self.dir);
    }
}

/// The askpass side, run when git invokes `codeport PROMPT` with [`ASKPASS_SOCKET_ENV`] set:
/// relays the prompt to the checkout process and prints its answer for git.
pub fn askpass_main(socket: &Path, prompt: &str) -> std::process::ExitCode {
    use std::io::Read;
    let answer = (|| -> std::io::Result<String> {
        let mut stream = std::os::unix::net::UnixStream::connect(socket)?;
        stream.write_all(prompt.replace('\n', " ").as_bytes())?;
        stream.write_all(b"\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    })();
    match answer {
        Ok(a) => {
            println!("{a}");
            std::process::ExitCode::SUCCESS
        }
        Err(_) => std::process::ExitCode::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_follow_git_clone() {
        assert_eq!(clone_dir_name("http://h:1/org/team/app.git").as_deref(), Some("app"));
        assert_eq!(clone_dir_name("https://h/org/app/").as_deref(), Some("app"));
        assert_eq!(clone_dir_name("git@github.com:org/app.git").as_deref(), Some("app"));
        assert_eq!(clone_dir_name("https://h/").as_deref(), Some("h"));
        assert_eq!(clone_dir_name("https://h/org/..").as_deref(), None);
    }

    #[test]
    fn git_complaints_map_to_failures() {
        assert_eq!(classify_git("f", "fatal: Authentication failed for 'http://h/x.git/'").kind, ExitKind::Authentication);
        assert_eq!(classify_git("f", "fatal: remote error: upload-pack: not our ref 0123").kind, ExitKind::RefNotFound);
        // A commit id that happens to hold "401" or "404" is not an HTTP status (a flaky CI run).
        assert_eq!(
            classify_git("f", "fatal: remote error: upload-pack: not our ref 112006cfefad96a96050ab6fe91f6ce40165cd1a").kind,
            ExitKind::RefNotFound
        );
        assert_eq!(
            classify_git("f", "fatal: unable to access 'http://h/x.git/': The requested URL returned error: 401").kind,
            ExitKind::Authentication
        );
        assert_eq!(classify_git("f", "fatal: couldn't find remote ref refs/heads/nope").kind, ExitKind::RefNotFound);
        assert_eq!(classify_git("f", "fatal: unable to access 'http://h/': Failed to connect to h port 1").kind, ExitKind::Network);
        assert_eq!(classify_git("f", "fatal: repository 'http://h/x.git/' not found").kind, ExitKind::NotFound);
        assert_eq!(classify_git("f", "something else").kind, ExitKind::Other);
    }

    #[test]
    fn same_repository_ignores_dot_git_and_case() {
        assert!(same_repository("http://H/org/app.git", "http://h/org/app"));
        assert!(!same_repository("", "http://h/org/app"));
        assert!(!same_repository("http://h/org/other.git", "http://h/org/app.git"));
    }
}
