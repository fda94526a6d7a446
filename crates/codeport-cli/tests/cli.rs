//! Process-level tests of the `codeport` binary: they run the real executable in a fresh
//! temporary directory on a free port and check what an operator sees — files on disk and
//! their modes, exit statuses, stdout/stderr — with no in-process shortcuts.
//!
//! PostgreSQL tests run only when CODEPORT_TEST_POSTGRES_URL names a server whose user may
//! create databases (e.g. postgres://postgres@127.0.0.1:5432/postgres).

use serde_json::Value;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);
const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

// --- helpers ---------------------------------------------------------------------------

/// The binary, with every CODEPORT_* variable of the developer's environment removed so
/// each test states exactly the settings it means; the working directory is `cwd` so a
/// default `./codeport-data` would land in the test's own directory.
fn codeport(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codeport"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CODEPORT_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG").current_dir(cwd).stdin(Stdio::null());
    cmd
}

/// A port nobody listens on right now (the OS picks it; we release it and pass it on).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().expect("local addr").port()
}

/// A port held by the test itself: a server that wrongly tried to bind it could not start.
fn reserved_port() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().expect("local addr").port();
    (l, port)
}

fn addr(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// A minimal blocking HTTP/1.1 GET: the status code and the body text.
fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let sa: SocketAddr = addr(port).parse().expect("socket address");
    let mut s = TcpStream::connect_timeout(&sa, Duration::from_millis(500))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    s.set_write_timeout(Some(Duration::from_secs(3)))?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status_line = text.lines().next().unwrap_or_default();
    let code = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad status line {status_line:?}")))?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((code, body))
}

fn assert_nothing_listens(port: u16) {
    let sa: SocketAddr = addr(port).parse().expect("socket address");
    assert!(
        TcpStream::connect_timeout(&sa, Duration::from_millis(300)).is_err(),
        "something answers on port {port}, but no server should listen there"
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// A running `codeport serve`. Dropping it kills the process, so a failed assertion never
/// leaves a server behind.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `codeport <args>` in `cwd` with `envs`; stdout and stderr both go to `log`.
    fn start(cwd: &Path, port: u16, args: &[OsString], envs: &[(&str, OsString)], log: &Path) -> Server {
        let out = std::fs::File::create(log).expect("create log file");
        let err = out.try_clone().expect("clone log file");
        let mut cmd = codeport(cwd);
        cmd.args(args).stdout(out).stderr(err);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn codeport");
        Server { child, port, log: log.to_path_buf() }
    }

    /// `codeport serve --listen 127.0.0.1:PORT --data-dir DATA_DIR <extra>` on a free port.
    fn serve(cwd: &Path, data_dir: &Path, extra: &[&str], envs: &[(&str, OsString)], log_name: &str) -> Server {
        let port = free_port();
        let mut args: Vec<OsString> = vec!["serve".into(), "--listen".into(), addr(port).into(), "--data-dir".into(), data_dir.into()];
        args.extend(extra.iter().map(OsString::from));
        Server::start(cwd, port, &args, envs, &cwd.join(log_name))
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls /healthz until it answers 200; panics (with the server's output) if the process
    /// exits first or the deadline passes.
    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("server exited with {status} before becoming healthy; output:\n{}", self.log_text());
            }
            if let Ok((200, body)) = http_get(self.port, "/healthz") {
                let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("/healthz body {body:?} is not JSON: {e}"));
                assert_eq!(v["status"], "ok", "/healthz body: {body}");
                return;
            }
            if Instant::now() > deadline {
                panic!("server on port {} not healthy after {STARTUP_TIMEOUT:?}; output:\n{}", self.port, self.log_text());
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) on our own child's pid; it is reaped only by wait below or Drop.
        let rc = unsafe { libc::kill(pid, sig) };
        assert_eq!(rc, 0, "kill({pid}, {sig}) failed: {}", std::io::Error::last_os_error());
    }

    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                panic!("server on port {} still running {timeout:?} after the signal; output:\n{}", self.port, self.log_text());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `sig` and asserts a clean exit (status 0) within EXIT_TIMEOUT.
    fn stop_with(&mut self, sig: libc::c_int) {
        self.signal(sig);
        let status = self.wait_exit(EXIT_TIMEOUT);
        assert_eq!(status.code(), Some(0), "after signal {sig} the server exited with {status}; output:\n{}", self.log_text());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A finished one-shot command.
#[derive(Debug)]
struct Out {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Out {
    /// Asserts success and returns stdout.
    fn ok(&self) -> &str {
        assert!(self.status.success(), "command failed with {}:\nstdout: {}\nstderr: {}", self.status, self.stdout, self.stderr);
        &self.stdout
    }

    /// Asserts success and parses stdout as one JSON document.
    fn json(&self) -> Value {
        let text = self.ok();
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text:?}"))
    }

    /// Asserts a non-zero exit with nothing on stdout and exactly one non-empty line on
    /// stderr; returns that line.
    fn one_line_failure(&self) -> String {
        assert!(!self.status.success(), "command unexpectedly succeeded:\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        assert!(self.status.code().is_some(), "command died from a signal: {}", self.status);
        assert_eq!(self.stdout, "", "a failing command printed to stdout");
        let line = self.stderr.trim_end_matches('\n');
        assert!(!line.trim().is_empty(), "a failing command printed nothing on stderr");
        assert!(!line.contains('\n'), "expected one line on stderr, got:\n{}", self.stderr);
        line.to_string()
    }
}

/// Runs a command to completion (killing it after `ADMIN_TIMEOUT`), capturing its output.
fn run(mut cmd: Command) -> Out {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn codeport");
    let mut so = child.stdout.take().expect("stdout pipe");
    let mut se = child.stderr.take().expect("stderr pipe");
    let t_out = thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let t_err = thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + ADMIN_TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("command {cmd:?} did not finish within {ADMIN_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Out { status, stdout: t_out.join().expect("stdout reader"), stderr: t_err.join().expect("stderr reader") }
}

/// `codeport admin --data-dir DATA_DIR [--database-url URL] <args>`.
fn admin_with(cwd: &Path, data_dir: &Path, database_url: Option<&str>, envs: &[(&str, &str)], args: &[&str]) -> Out {
    let mut cmd = codeport(cwd);
    cmd.arg("admin").arg("--data-dir").arg(data_dir);
    if let Some(url) = database_url {
        cmd.arg("--database-url").arg(url);
    }
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    run(cmd)
}

fn admin(cwd: &Path, data_dir: &Path, args: &[&str]) -> Out {
    admin_with(cwd, data_dir, None, &[], args)
}

fn read_bootstrap(data_dir: &Path) -> Value {
    let path = data_dir.join("bootstrap.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON ({e}): {text}", path.display()))
}

/// Checks bootstrap.json's mode and its seven keys; returns it.
fn check_bootstrap(data_dir: &Path) -> Value {
    let path = data_dir.join("bootstrap.json");
    assert_eq!(mode(&path), 0o600, "{} must be readable by its owner only", path.display());
    let b = read_bootstrap(data_dir);
    let obj = b.as_object().expect("bootstrap.json is an object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["accessKeyId", "accessKeySecret", "adminPassword", "organizationId", "personalAccessToken", "userId", "userName"],
        "bootstrap.json keys"
    );
    let s = |k: &str| obj[k].as_str().unwrap_or_else(|| panic!("bootstrap.json {k} is not a string: {}", obj[k]));
    let org = s("organizationId");
    assert!(
        org.len() == 24 && org.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
        "organizationId {org:?} is not 24 lowercase hex digits"
    );
    let uid = s("userId");
    assert!(!uid.is_empty() && uid.bytes().all(|c| c.is_ascii_digit()), "userId {uid:?} is not numeric");
    assert_eq!(s("userName"), "admin");
    assert!(
        s("adminPassword").len() >= 20 && s("adminPassword").bytes().all(|c| c.is_ascii_alphanumeric()),
        "adminPassword is not 20+ alphanumerics"
    );
    assert!(!s("accessKeyId").is_empty(), "accessKeyId is empty");
    assert!(s("accessKeySecret").len() >= 16, "accessKeySecret {:?} is too short", s("accessKeySecret"));
    assert!(s("personalAccessToken").starts_with("pt-") && s("personalAccessToken").len() > 10, "personalAccessToken {:?}", s("personalAccessToken"));
    b
}

fn assert_no_secrets(output: &str, what: &str, secrets: &[(&str, &str)]) {
    for (name, secret) in secrets {
        assert!(!secret.is_empty(), "{name} is empty");
        assert!(!output.contains(secret), "{what} contains the {name}:\n{output}");
    }
}

// --- 1. first start ----------------------------------------------------------------------

#[test]
fn first_start_writes_private_credentials_once_and_never_logs_secrets() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");

    let mut first = Server::serve(tmp.path(), &data, &[], &[], "first.log");
    first.wait_healthy();
    let boot = check_bootstrap(&data);
    let key_path = data.join("master.key");
    assert_eq!(mode(&key_path), 0o600, "master.key must be readable by its owner only");
    let master_key = std::fs::read_to_string(&key_path).unwrap().trim().to_string();
    assert_eq!(master_key.len(), 64, "master.key holds 64 hex digits, got {master_key:?}");
    assert!(data.join("codeport.db").exists(), "SQLite database at DATA_DIR/codeport.db");
    // An unknown path is answered by the server too (it is up, not just listening).
    let (code, _) = http_get(first.port, "/api/v1/no/such/route").expect("GET unknown route");
    assert!((400..500).contains(&code), "unknown route answered {code}");
    first.stop_with(libc::SIGTERM);

    let secrets = [
        ("accessKeySecret", boot["accessKeySecret"].as_str().unwrap()),
        ("personalAccessToken", boot["personalAccessToken"].as_str().unwrap()),
        ("adminPassword", boot["adminPassword"].as_str().unwrap()),
        ("master key", master_key.as_str()),
    ];
    let log1 = first.log_text();
    assert!(!log1.contains('\u{1b}'), "terminal escape sequences in output redirected to a file:\n{log1}");
    assert!(log1.contains("bootstrap.json"), "the first start tells the operator where the credentials are:\n{log1}");
    assert_no_secrets(&log1, "first start output", &secrets);

    // Second start on the same directory: nothing is re-created.
    let boot_text = std::fs::read(data.join("bootstrap.json")).unwrap();
    let boot_mtime = std::fs::metadata(data.join("bootstrap.json")).unwrap().modified().unwrap();
    let key_text = std::fs::read(&key_path).unwrap();
    let mut second = Server::serve(tmp.path(), &data, &[], &[], "second.log");
    second.wait_healthy();
    assert_eq!(std::fs::read(data.join("bootstrap.json")).unwrap(), boot_text, "bootstrap.json rewritten on second start");
    assert_eq!(std::fs::metadata(data.join("bootstrap.json")).unwrap().modified().unwrap(), boot_mtime, "bootstrap.json touched on second start");
    assert_eq!(std::fs::read(&key_path).unwrap(), key_text, "master.key rewritten on second start");
    // The data written at first start is still the data in use.
    let keys = admin(tmp.path(), &data, &["access-key", "list", "--user", "admin", "--json"]).json();
    assert_eq!(keys[0]["accessKeyId"], boot["accessKeyId"], "admin's bootstrap AccessKey after restart: {keys}");
    second.stop_with(libc::SIGTERM);
    let log2 = second.log_text();
    assert!(!log2.contains("bootstrap.json"), "second start claims to have bootstrapped again:\n{log2}");
    assert_no_secrets(&log2, "second start output", &secrets);
    // No stray temporary files from the atomic writes.
    let leftovers: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left in the data directory: {leftovers:?}");
}

// --- 2. signals --------------------------------------------------------------------------

#[test]
fn sigterm_and_sigint_exit_cleanly() {
    let tmp = TempDir::new().unwrap();
    let mut term = Server::serve(tmp.path(), &tmp.path().join("a"), &[], &[], "term.log");
    let mut int = Server::serve(tmp.path(), &tmp.path().join("b"), &[], &[], "int.log");
    term.wait_healthy();
    int.wait_healthy();

    let t0 = Instant::now();
    term.stop_with(libc::SIGTERM);
    int.stop_with(libc::SIGINT);
    assert!(t0.elapsed() < Duration::from_secs(5), "shutdown took {:?}", t0.elapsed());
    assert_nothing_listens(term.port);
    assert_nothing_listens(int.port);
    for s in [&term, &int] {
        let log = s.log_text();
        assert!(log.contains("shutdown signal received"), "the server logs the shutdown:\n{log}");
    }
}

// --- 3. settings layering ----------------------------------------------------------------

#[test]
fn settings_come_from_flags_then_env_then_file() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();

    // CODEPORT_LISTEN alone.
    let p_env = free_port();
    let env_only = Server::start(
        dir,
        p_env,
        &["serve".into(), "--data-dir".into(), dir.join("env").into()],
        &[("CODEPORT_LISTEN", addr(p_env).into())],
        &dir.join("env.log"),
    );

    // A TOML file named by --config gives listen and data_dir.
    let p_file = free_port();
    let file_data = dir.join("from-file");
    let toml_path = dir.join("codeport.toml");
    std::fs::write(&toml_path, format!("listen = {:?}\ndata_dir = {:?}\n", addr(p_file), file_data.to_str().unwrap())).unwrap();
    let file_only = Server::start(dir, p_file, &["--config".into(), toml_path.clone().into(), "serve".into()], &[], &dir.join("file.log"));

    // CODEPORT_CONFIG names the file; CODEPORT_LISTEN beats the file's listen.
    let ((held3, p_loser3), p_env3) = (reserved_port(), free_port());
    let toml3 = dir.join("three.toml");
    std::fs::write(&toml3, format!("listen = {:?}\ndata_dir = {:?}\n", addr(p_loser3), dir.join("three").to_str().unwrap())).unwrap();
    let env_over_file = Server::start(
        dir,
        p_env3,
        &["serve".into()],
        &[("CODEPORT_CONFIG", toml3.into()), ("CODEPORT_LISTEN", addr(p_env3).into())],
        &dir.join("three.log"),
    );

    // --listen beats CODEPORT_LISTEN; --data-dir beats CODEPORT_DATA_DIR.
    let ((held4, p_loser4), p_flag4) = (reserved_port(), free_port());
    let flag_over_env = Server::start(
        dir,
        p_flag4,
        &["serve".into(), "--listen".into(), addr(p_flag4).into(), "--data-dir".into(), dir.join("flag").into()],
        &[("CODEPORT_LISTEN", addr(p_loser4).into()), ("CODEPORT_DATA_DIR", dir.join("env-loser").into())],
        &dir.join("four.log"),
    );

    let mut servers = [env_only, file_only, env_over_file, flag_over_env];
    for s in servers.iter_mut() {
        s.wait_healthy();
    }
    assert!(dir.join("env/bootstrap.json").exists(), "--data-dir with CODEPORT_LISTEN");
    assert!(file_data.join("bootstrap.json").exists(), "data_dir from the TOML file");
    assert!(dir.join("three/bootstrap.json").exists(), "data_dir from the CODEPORT_CONFIG file");
    assert!(dir.join("flag/bootstrap.json").exists(), "data_dir from --data-dir");
    assert!(!dir.join("env-loser").exists(), "CODEPORT_DATA_DIR was used although --data-dir was given");
    assert!(!dir.join("codeport-data").exists(), "the default ./codeport-data was used although a data dir was configured");
    // The losing ports were held by this test all along, so a server that had chosen one
    // could not have started above.
    drop((held3, held4));
    for s in servers.iter_mut() {
        s.stop_with(libc::SIGTERM);
    }

    // An invalid --listen: one clear line, non-zero, nothing created.
    let mut cmd = codeport(dir);
    cmd.args(["serve", "--listen", "not-an-address", "--data-dir"]).arg(dir.join("never"));
    let out = run(cmd);
    let line = out.one_line_failure();
    assert!(line.contains("--listen") && line.contains("not-an-address"), "the error names the flag and the value: {line}");
    assert!(!dir.join("never").exists(), "a configuration error must not create the data directory");

    // An invalid CODEPORT_LISTEN is refused the same way.
    let mut cmd = codeport(dir);
    cmd.args(["serve", "--data-dir"]).arg(dir.join("never")).env("CODEPORT_LISTEN", "127.0.0.1:99999");
    let line = run(cmd).one_line_failure();
    assert!(line.contains("127.0.0.1:99999"), "the error names the value: {line}");

    // An --external-url that is not http(s) is refused.
    let mut cmd = codeport(dir);
    cmd.args(["serve", "--external-url", "ftp://example.com", "--data-dir"]).arg(dir.join("never"));
    let line = run(cmd).one_line_failure();
    assert!(line.contains("--external-url") && line.contains("ftp://example.com"), "{line}");
    assert!(!dir.join("never").exists(), "a configuration error must not create the data directory");

    // An unknown key in the TOML file is refused, naming the file and the key.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "lisen = \"127.0.0.1:1\"\n").unwrap();
    let mut cmd = codeport(dir);
    cmd.arg("--config").arg(&bad).arg("serve");
    let out = run(cmd);
    assert!(!out.status.success(), "an unknown config key was accepted: {out:?}");
    assert!(out.stderr.contains("bad.toml") && out.stderr.contains("lisen"), "the error names the file and the key: {}", out.stderr);

    // A missing config file is refused.
    let mut cmd = codeport(dir);
    cmd.arg("--config").arg(dir.join("missing.toml")).arg("serve");
    let line = run(cmd).one_line_failure();
    assert!(line.contains("missing.toml"), "the error names the file: {line}");
}

// --- 4. admin while the server runs --------------------------------------------------------

fn token_status(list: &Value, id: &str) -> String {
    let items = list.as_array().unwrap_or_else(|| panic!("token list is not an array: {list}"));
    let t = items.iter().find(|t| t["tokenId"] == id).unwrap_or_else(|| panic!("token {id} not in list {list}"));
    t["status"].as_str().unwrap_or_else(|| panic!("token status: {t}")).to_string()
}

#[test]
fn admin_manages_users_keys_and_tokens_while_the_server_runs() {
    let tmp = TempDir::new().unwrap();
    let cwd = tmp.path();
    let data = cwd.join("data");
    let mut server = Server::serve(cwd, &data, &[], &[], "server.log");
    server.wait_healthy();
    let boot = read_bootstrap(&data);
    let a = |args: &[&str]| admin(cwd, &data, args);

    // Users.
    let u = a(&["user", "create", "alice", "--email", "a@x", "--json"]).json();
    assert_eq!(u.as_object().map(|o| o.len()), Some(2), "user create --json prints userId and userName: {u}");
    assert_eq!(u["userName"], "alice");
    let uid = u["userId"].as_str().expect("userId string");
    assert!(!uid.is_empty() && uid.bytes().all(|c| c.is_ascii_digit()), "userId {uid:?}");
    for dup in ["alice", "ALICE"] {
        let line = a(&["user", "create", dup, "--json"]).one_line_failure();
        assert!(line.contains("exists"), "duplicate user {dup}: {line}");
    }
    let human = a(&["user", "create", "carol"]).ok().to_string();
    assert!(human.contains("carol"), "human output names the user: {human}");
    let line = a(&["user", "create", "bad name!"]).one_line_failure();
    assert!(!line.is_empty());

    // AccessKeys.
    let k = a(&["access-key", "create", "--user", "alice", "--json"]).json();
    assert_eq!(k.as_object().map(|o| o.len()), Some(2), "access-key create --json prints accessKeyId and accessKeySecret: {k}");
    let key_id = k["accessKeyId"].as_str().expect("accessKeyId").to_string();
    let secret = k["accessKeySecret"].as_str().expect("accessKeySecret").to_string();
    assert!(!key_id.is_empty() && secret.len() >= 16, "{k}");
    let list_keys = |json: bool| {
        let mut args = vec!["access-key", "list", "--user", "alice"];
        if json {
            args.push("--json");
        }
        let out = a(&args);
        let text = out.ok().to_string();
        assert!(!text.contains(&secret), "access-key list shows the secret: {text}");
        text
    };
    let status_of = |text: &str| -> Vec<(String, String)> {
        let v: Value = serde_json::from_str(text.trim()).unwrap();
        v.as_array().unwrap().iter().map(|k| (k["accessKeyId"].as_str().unwrap().to_string(), k["status"].as_str().unwrap().to_string())).collect()
    };
    assert_eq!(status_of(&list_keys(true)), [(key_id.clone(), "Active".to_string())]);
    assert!(list_keys(false).contains(&key_id));
    a(&["access-key", "disable", &key_id]).ok();
    assert_eq!(status_of(&list_keys(true)), [(key_id.clone(), "Inactive".to_string())]);
    a(&["access-key", "enable", &key_id]).ok();
    assert_eq!(status_of(&list_keys(true)), [(key_id.clone(), "Active".to_string())]);
    a(&["access-key", "delete", &key_id]).ok();
    assert_eq!(status_of(&list_keys(true)), []);
    let line = a(&["access-key", "delete", &key_id]).one_line_failure();
    assert!(line.contains(&key_id), "deleting a deleted key names it: {line}");
    let line = a(&["access-key", "disable", "LTAI-no-such-key"]).one_line_failure();
    assert!(line.contains("LTAI-no-such-key"), "{line}");
    let line = a(&["access-key", "create", "--user", "nobody", "--json"]).one_line_failure();
    assert!(line.contains("nobody") && line.contains("not exist"), "unknown user: {line}");
    // The server's own bootstrap key is visible (same database), without its secret.
    let admin_keys = a(&["access-key", "list", "--user", "admin", "--json"]).ok().to_string();
    assert!(admin_keys.contains(boot["accessKeyId"].as_str().unwrap()), "{admin_keys}");
    assert!(!admin_keys.contains(boot["accessKeySecret"].as_str().unwrap()), "access-key list shows the bootstrap secret");

    // Tokens.
    let t0 = Instant::now();
    let t = a(&["token", "create", "--user", "alice", "--expires-in", "2s", "--json"]).json();
    let token = t["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("pt-"), "token {token:?}");
    let token_id = t["tokenId"].as_str().expect("tokenId").to_string();
    let list_tokens = || {
        let out = a(&["token", "list", "--user", "alice", "--json"]);
        let text = out.ok().to_string();
        assert!(!text.contains(&token), "token list shows the token itself: {text}");
        serde_json::from_str::<Value>(text.trim()).unwrap()
    };
    let listed = list_tokens();
    if t0.elapsed() < Duration::from_millis(1800) {
        assert_eq!(token_status(&listed, &token_id), "active");
    }
    let forever = a(&["token", "create", "--user", "alice", "--json"]).json();
    assert!(forever["expiresAt"].is_null(), "a token without --expires-in never expires: {forever}");
    let forever_id = forever["tokenId"].as_str().unwrap().to_string();
    if let Some(rest) = Duration::from_millis(2500).checked_sub(t0.elapsed()) {
        thread::sleep(rest);
    }
    let listed = list_tokens();
    assert_eq!(token_status(&listed, &token_id), "expired");
    assert_eq!(token_status(&listed, &forever_id), "active");
    let human = a(&["token", "list", "--user", "alice"]).ok().to_string();
    assert!(human.contains(&token_id) && human.contains("expired"), "{human}");
    a(&["token", "revoke", &forever_id]).ok();
    assert_eq!(token_status(&list_tokens(), &forever_id), "revoked");
    let line = a(&["token", "revoke", "no-such-token"]).one_line_failure();
    assert!(line.contains("no-such-token"), "{line}");
    let before = list_tokens().as_array().unwrap().len();
    let line = a(&["token", "create", "--user", "alice", "--expires-in", "5w"]).one_line_failure();
    assert!(line.contains("--expires-in") && line.contains("5w"), "bad duration: {line}");
    assert_eq!(list_tokens().as_array().unwrap().len(), before, "a refused token create still created a token");
    let line = a(&["token", "list", "--user", "nobody"]).one_line_failure();
    assert!(line.contains("nobody"), "{line}");

    // The server is unaffected by the admin CLI writing to its database.
    server.wait_healthy();
    server.stop_with(libc::SIGTERM);
    let log = server.log_text();
    assert_no_secrets(&log, "server output", &[("new AccessKey secret", &secret), ("new token", &token)]);
}

#[test]
fn admin_refuses_a_data_dir_without_a_master_key() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("empty");
    let line = admin(tmp.path(), &data, &["user", "create", "zed"]).one_line_failure();
    assert!(line.contains("master"), "the error explains the missing master key: {line}");
    assert!(!data.join("master.key").exists(), "admin must never invent a master key");
}

#[test]
fn admin_actions_prints_the_catalog_without_a_database() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("nothing-here");
    let out = admin(tmp.path(), &data, &["actions", "--json"]);
    assert!(out.status.success(), "{}", out.stderr);
    let rows: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let rows = rows.as_array().expect("an array");
    let get = rows.iter().find(|r| r["action"] == "paicodesource:GetCodeSource").expect("GetCodeSource is in the catalog");
    assert_eq!(get["accessLevel"], "get");
    assert_eq!(get["resource"], "acs:paicodesource:{region}:{organizationId}:workspace/{WorkspaceId}/codesource/{CodeSourceId}");
    assert!(rows.iter().any(|r| r["action"] == "codeup:PushRepository" && r["accessLevel"] == "update"));
    assert!(!data.exists(), "printing the catalog touches no data directory");
    let table = admin(tmp.path(), &data, &["actions"]);
    assert!(table.stdout.lines().any(|l| l.starts_with("paicodesource:CreateCodeSource") && l.contains("create")), "{}", table.stdout);
}

#[test]
fn admin_policies_are_created_attached_simulated_and_guarded() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::serve(tmp.path(), &data, &[], &[], "policies.log");
    server.wait_healthy();
    let ok = |args: &[&str]| {
        let out = admin(tmp.path(), &data, args);
        assert!(out.status.success(), "{args:?}: {}", out.stderr);
        out.stdout
    };
    ok(&["user", "create", "bob"]);
    assert_eq!(ok(&["policy", "list-user", "--user", "bob"]).trim(), "System   AdministratorAccess", "new users get the default set");
    let doc = tmp.path().join("code-read.json");
    std::fs::write(
        &doc,
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["paicodesource:Get*","paicodesource:List*"],"Resource":"*"},
           {"Sid":"OfficeOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
    )
    .unwrap();
    ok(&["policy", "create", "--name", "CodeRead", "--document", doc.to_str().unwrap()]);
    ok(&["policy", "detach", "--user", "bob", "--policy", "AdministratorAccess"]);
    ok(&["policy", "attach", "--user", "bob", "--policy", "CodeRead"]);
    let allow = ok(&["policy", "simulate", "--user", "bob", "--action", "paicodesource:GetCodeSource", "--context", "acs:SourceIp=10.1.2.3"]);
    assert!(allow.starts_with("Allow by policy \"CodeRead\" Statement[0]"), "{allow}");
    let deny = ok(&["policy", "simulate", "--user", "bob", "--action", "paicodesource:GetCodeSource", "--context", "acs:SourceIp=192.168.1.1"]);
    assert!(deny.starts_with("ExplicitDeny by policy \"CodeRead\" Statement[1] (Sid \"OfficeOnly\")"), "{deny}");
    let implicit = ok(&["policy", "simulate", "--user", "bob", "--action", "paicodesource:CreateCodeSource", "--context", "acs:SourceIp=10.0.0.1"]);
    assert!(implicit.starts_with("ImplicitDeny"), "{implicit}");
    // Precise parse errors, unknown actions refused, policies in use kept.
    let bad = tmp.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"allow","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    let line = admin(tmp.path(), &data, &["policy", "create", "--name", "Bad", "--document", bad.to_str().unwrap()]).one_line_failure();
    assert!(line.contains("Statement[1].Effect"), "{line}");
    std::fs::write(&bad, r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"paicodesource:GetCodeSorce","Resource":"*"}]}"#).unwrap();
    let line = admin(tmp.path(), &data, &["policy", "create", "--name", "Bad", "--document", bad.to_str().unwrap()]).one_line_failure();
    assert!(line.contains("GetCodeSorce"), "{line}");
    let line = admin(tmp.path(), &data, &["policy", "delete", "CodeRead"]).one_line_failure();
    assert!(line.contains("attached"), "{line}");
    ok(&["policy", "defaults", "--set", "ReadOnlyAccess,CodeRead"]);
    ok(&["user", "create", "carol"]);
    assert_eq!(ok(&["policy", "list-user", "--user", "carol"]).lines().count(), 2);
    assert!(ok(&["policy", "show", "AliyunRDCReadOnlyAccess"]).contains("codeup:Get*"));
    drop(server);
}

// --- 5. PostgreSQL -------------------------------------------------------------------------

/// A fresh database on the test server, dropped (even after a failure) when this is dropped.
/// Declare it before any Server so the servers are killed first.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(admin_url: &str, tag: &str) -> PgDatabase {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("codeport_cli_{tag}_{}_{nanos}", std::process::id());
        psql(admin_url, &format!("CREATE DATABASE {name}"));
        PgDatabase { admin_url: admin_url.to_string(), url: with_database(admin_url, &name), name }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(&self.admin_url)
            .args(["-v", "ON_ERROR_STOP=1", "-qc", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)])
            .stdout(Stdio::null())
            .status();
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql").arg(url).args(["-v", "ON_ERROR_STOP=1", "-qc", sql]).output().expect("run psql");
    assert!(out.status.success(), "psql {sql:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// `url` with its database (path) replaced by `db`, keeping any ?query.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let auth_start = base.find("://").map(|i| i + 3).expect("URL has a scheme");
    let auth_end = base[auth_start..].find('/').map(|i| auth_start + i).unwrap_or(base.len());
    format!("{}/{db}{query}", &base[..auth_end])
}

fn postgres_url() -> Option<String> {
    match std::env::var("CODEPORT_TEST_POSTGRES_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            eprintln!("skipped: set CODEPORT_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run the PostgreSQL tests");
            None
        }
    }
}

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
    assert_eq!(with_database("postgres://u:p@h/postgres?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}

#[test]
fn postgres_two_replicas_share_one_database() {
    let Some(base) = postgres_url() else { return };
    let db = PgDatabase::create(&base, "replicas");
    let tmp = TempDir::new().unwrap();
    let cwd = tmp.path();
    let data = cwd.join("data");

    let mut one = Server::serve(cwd, &data, &["--database-url", &db.url], &[], "one.log");
    one.wait_healthy();
    let boot = check_bootstrap(&data);
    assert_eq!(mode(&data.join("master.key")), 0o600);
    assert!(!data.join("codeport.db").exists(), "a SQLite file was created although PostgreSQL is configured");

    let u = admin_with(cwd, &data, Some(&db.url), &[], &["user", "create", "bob", "--json"]).json();
    assert_eq!(u["userName"], "bob");
    let line = admin_with(cwd, &data, Some(&db.url), &[], &["user", "create", "Bob"]).one_line_failure();
    assert!(line.contains("exists"), "{line}");

    // A second replica: same database, same master key; migrations already applied.
    let boot_text = std::fs::read(data.join("bootstrap.json")).unwrap();
    let mut two = Server::serve(cwd, &data, &["--database-url", &db.url], &[], "two.log");
    two.wait_healthy();
    one.wait_healthy();
    assert_eq!(std::fs::read(data.join("bootstrap.json")).unwrap(), boot_text, "the second replica re-bootstrapped");
    let keys = admin_with(cwd, &data, Some(&db.url), &[], &["access-key", "list", "--user", "admin", "--json"]).json();
    assert_eq!(keys.as_array().map(Vec::len), Some(1), "exactly the bootstrap AccessKey: {keys}");

    one.stop_with(libc::SIGTERM);
    two.stop_with(libc::SIGINT);
    let secrets =
        [("accessKeySecret", boot["accessKeySecret"].as_str().unwrap()), ("personalAccessToken", boot["personalAccessToken"].as_str().unwrap())];
    assert_no_secrets(&one.log_text(), "replica one output", &secrets);
    assert_no_secrets(&two.log_text(), "replica two output", &secrets);
    // The URL has no password here, but the log must name the database it uses.
    assert!(one.log_text().contains(&db.name), "the startup log names the database:\n{}", one.log_text());
}

#[test]
fn postgres_replicas_starting_together_bootstrap_once() {
    let Some(base) = postgres_url() else { return };
    let db = PgDatabase::create(&base, "race");
    let tmp = TempDir::new().unwrap();
    let cwd = tmp.path();
    // Replicas without shared disk: the master key comes from the environment.
    let master_key: OsString = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into();
    let envs = [("CODEPORT_MASTER_KEY", master_key.clone())];
    let (da, db_dir) = (cwd.join("a"), cwd.join("b"));
    let mut a = Server::serve(cwd, &da, &["--database-url", &db.url], &envs, "a.log");
    let mut b = Server::serve(cwd, &db_dir, &["--database-url", &db.url], &envs, "b.log");
    a.wait_healthy();
    b.wait_healthy();
    let written: Vec<&PathBuf> = [&da, &db_dir].into_iter().filter(|d| d.join("bootstrap.json").exists()).collect();
    assert_eq!(written.len(), 1, "exactly one replica bootstraps; bootstrap.json in {written:?}");
    check_bootstrap(written[0]);
    assert!(!da.join("master.key").exists() && !db_dir.join("master.key").exists(), "master.key written although CODEPORT_MASTER_KEY is set");

    let mk = master_key.to_str().unwrap();
    let u = admin_with(cwd, &da, Some(&db.url), &[("CODEPORT_MASTER_KEY", mk)], &["user", "create", "bob", "--json"]).json();
    assert_eq!(u["userName"], "bob");
    a.stop_with(libc::SIGTERM);
    b.stop_with(libc::SIGTERM);
    assert!(!a.log_text().contains(mk) && !b.log_text().contains(mk), "a server logged CODEPORT_MASTER_KEY");
}

#[test]
fn a_free_port_is_named_in_the_external_url() {
    // `--listen 127.0.0.1:0`: the OS picks the port; clone URLs must name it, not 0.
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let args: Vec<OsString> = vec!["serve".into(), "--listen".into(), "127.0.0.1:0".into(), "--data-dir".into(), data.clone().into()];
    let mut server = Server::start(dir.path(), 0, &args, &[], &dir.path().join("server.log"));
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let ready = loop {
        let log = server.log_text();
        if let Some(line) = log.lines().find(|l| l.contains("ready")) {
            break line.to_string();
        }
        assert!(Instant::now() < deadline, "no ready line; output:\n{log}");
        thread::sleep(Duration::from_millis(50));
    };
    let addr = ready.split("addr=").nth(1).and_then(|r| r.split_whitespace().next()).expect("addr in the ready line").to_string();
    assert!(!addr.ends_with(":0"), "{ready}");
    assert!(ready.contains(&format!("external_url=http://{addr}")), "{ready}");
    server.port = addr.rsplit(':').next().unwrap().parse().unwrap();
    server.wait_healthy();
    server.stop_with(libc::SIGTERM);
}

/// `codeport admin ...` with `stdin_text` as standard input (through a file, as a shell
/// redirection would give it).
fn admin_with_stdin(cwd: &Path, data_dir: &Path, stdin_text: &str, args: &[&str]) -> Out {
    let input = cwd.join(format!("stdin-{}", rand_suffix()));
    std::fs::write(&input, stdin_text).unwrap();
    let mut cmd = codeport(cwd);
    cmd.arg("admin").arg("--data-dir").arg(data_dir).args(args).stdin(std::fs::File::open(&input).unwrap());
    let out = run(cmd);
    std::fs::remove_file(&input).unwrap();
    out
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// Signs in through the services on the same database, as the console will; the cookie value.
fn console_sign_in(data_dir: &Path, user: &str, password: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let state = codeport_server::open_state(codeport_server::Config::for_data_dir(data_dir), false).await.unwrap();
        let facts = codeport_server::services::RequestFacts { source_ip: Some("192.0.2.44".parse().unwrap()), ..Default::default() };
        match state.console_auth().sign_in(user, &codeport_core::secret::Secret::new(password), &facts).await.unwrap() {
            Ok(new) => new.cookie_value.expose().to_string(),
            Err(refusal) => panic!("{user} could not sign in: {refusal:?}"),
        }
    })
}

#[test]
fn admin_sets_passwords_from_stdin_and_lists_and_revokes_console_sessions() {
    let tmp = TempDir::new().unwrap();
    let cwd = tmp.path();
    let data = cwd.join("data");
    let mut server = Server::serve(cwd, &data, &[], &[], "server.log");
    server.wait_healthy();
    let boot = check_bootstrap(&data);

    // A short password creates nothing and is not echoed.
    let line = admin_with_stdin(cwd, &data, "tooshort\n", &["user", "create", "alice", "--password-stdin", "--json"]).one_line_failure();
    assert!(line.contains("password") && line.contains("12"), "{line}");
    assert!(!line.contains("tooshort"), "the error echoes the password: {line}");
    // The trailing \r\n is not part of the password.
    let out = admin_with_stdin(cwd, &data, "correct horse battery\r\nsecond line\n", &["user", "create", "alice", "--password-stdin", "--json"]);
    assert_eq!(out.json()["userName"], "alice", "the refused create left nothing behind");
    assert!(!out.stdout.contains("correct horse") && !out.stderr.contains("correct horse"));
    let alice_cookie = console_sign_in(&data, "alice", "correct horse battery");
    let admin_cookie = console_sign_in(&data, "admin", boot["adminPassword"].as_str().unwrap());

    let list = |args: &[&str]| {
        let mut all = vec!["session", "list", "--json"];
        all.extend_from_slice(args);
        let out = admin(cwd, &data, &all);
        for cookie in [&alice_cookie, &admin_cookie] {
            assert!(!out.stdout.contains(cookie.as_str()), "session list prints a cookie value");
        }
        out.json().as_array().expect("an array").clone()
    };
    let all = list(&[]);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0]["userName"], "admin", "newest first: {all:?}");
    assert_eq!(all[0]["sourceIp"], "192.0.2.44");
    let mut fields: Vec<&str> = all[0].as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["createdAt", "expiresAt", "sessionId", "sourceIp", "userName"]);
    let admin_session = all[0]["sessionId"].as_str().unwrap().to_string();
    assert!(admin_session.starts_with("cs-"), "{admin_session}");
    assert_eq!(list(&["--user", "alice"]).len(), 1);
    let human = admin(cwd, &data, &["session", "list"]).ok().to_string();
    assert!(human.contains(&admin_session) && human.contains("alice"), "{human}");

    // A new password ends alice's sessions; the old password no longer works.
    let line = admin_with_stdin(cwd, &data, "short\n", &["user", "set-password", "alice", "--password-stdin"]).one_line_failure();
    assert!(line.contains("password"), "{line}");
    assert_eq!(list(&["--user", "alice"]).len(), 1, "a refused password ends nothing");
    admin_with_stdin(cwd, &data, "a whole new passphrase\n", &["user", "set-password", "alice", "--password-stdin"]).ok();
    assert!(list(&["--user", "alice"]).is_empty(), "set-password ended alice's sessions");
    console_sign_in(&data, "alice", "a whole new passphrase");

    // Revoke by id.
    admin(cwd, &data, &["session", "revoke", &admin_session]).ok();
    assert!(list(&["--user", "admin"]).is_empty());
    let line = admin(cwd, &data, &["session", "revoke", &admin_session]).one_line_failure();
    assert!(line.contains(&admin_session), "{line}");

    server.stop_with(libc::SIGTERM);
    let log = server.log_text();
    assert_no_secrets(
        &log,
        "server output",
        &[("admin password", boot["adminPassword"].as_str().unwrap()), ("alice's password", "a whole new passphrase")],
    );
}
