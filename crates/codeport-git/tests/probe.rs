//! The external-repository probe against real git servers on 127.0.0.1: `git http-backend`
//! run as CGI behind a minimal HTTP/1.1 server written here (Basic auth optional), a
//! server that redirects, one that never answers, one that holds an authenticated request
//! open (to look at git while it has the credential), and a closed port.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use codeport_git::probe::{probe, Network, ProbeError, ProbeRequest, RemoteRefs};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PASSWORD: &str = "pw-7d1c0ffee-secret";
const USER: &str = "alice";

/// What the test server does with each request.
#[derive(Clone)]
enum Mode {
    /// Serve GIT_PROJECT_ROOT with `git http-backend`; require this Basic user:password.
    Backend { root: PathBuf, basic: Option<(String, String)> },
    /// Answer every request with a 302 to this base URL plus the request's path.
    Redirect(String),
    /// Accept connections and never answer.
    Silent,
    /// Answer 401 (asking for Basic auth) to requests without `Authorization`, and hold those
    /// with one open without answering.
    HoldAuthenticated,
}

/// A running test server, how many requests it has read, and the `Authorization` header of
/// each (`None` for a request without one).
struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    auths: Arc<Mutex<Vec<Option<String>>>>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

async fn start(mode: Mode) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let auths = Arc::new(Mutex::new(Vec::new()));
    let (counter, seen) = (hits.clone(), auths.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let mode = mode.clone();
            let (counter, seen) = (counter.clone(), seen.clone());
            tokio::spawn(async move {
                if matches!(mode, Mode::Silent) {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let _held = stream;
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                }
                let _ = serve_connection(stream, &mode, &counter, &seen).await;
            });
        }
    });
    Server { addr, hits, auths }
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads one request (Content-Length bodies only: git sends its small ls-refs request that
/// way), answers it and closes the connection.
async fn serve_connection(mut stream: TcpStream, mode: &Mode, hits: &AtomicUsize, auths: &Mutex<Vec<Option<String>>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    hits.fetch_add(1, Ordering::SeqCst);
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut body = buf[head_end + 4..].to_vec();
    let len: usize = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    while body.len() < len {
        let mut chunk = vec![0u8; len - body.len()];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let req = Request { method, target, headers, body };
    auths.lock().unwrap().push(req.header("authorization").map(str::to_string));
    let response = match mode {
        Mode::Redirect(base) => response("302 Found", &[("Location", &format!("{base}{}", req.target))], b"moved"),
        Mode::Backend { root, basic } => {
            let expected = basic.as_ref().map(|(u, p)| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))));
            match expected {
                Some(e) if req.header("authorization") != Some(e.as_str()) => {
                    response("401 Unauthorized", &[("WWW-Authenticate", "Basic realm=\"test\"")], b"authentication required")
                }
                _ => http_backend(root, &req).await,
            }
        }
        Mode::HoldAuthenticated if req.header("authorization").is_some() => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Mode::HoldAuthenticated => response("401 Unauthorized", &[("WWW-Authenticate", "Basic realm=\"test\"")], b"authentication required"),
        Mode::Silent => unreachable!(),
    };
    stream.write_all(&response).await?;
    stream.shutdown().await
}

fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Runs `git http-backend` as a CGI program and turns its answer into an HTTP response.
async fn http_backend(root: &Path, req: &Request) -> Vec<u8> {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let mut cmd = tokio::process::Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &req.method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (header, var) in [("content-type", "CONTENT_TYPE"), ("git-protocol", "GIT_PROTOCOL"), ("content-encoding", "HTTP_CONTENT_ENCODING")] {
        if let Some(v) = req.header(header) {
            cmd.env(var, v);
        }
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let body = req.body.clone();
    let feed = tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
    });
    let out = child.wait_with_output().await.unwrap();
    feed.await.unwrap();
    let split = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.stdout.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, sep)) = split else {
        return response("500 Internal Server Error", &[], b"bad CGI output");
    };
    let head = String::from_utf8_lossy(&out.stdout[..end]).into_owned();
    let mut status = "200 OK".to_string();
    let mut headers = Vec::new();
    for line in head.lines() {
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("status") {
                status = v.trim().to_string();
            } else {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    let refs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    response(&status, &refs, &out.stdout[end + sep..])
}

/// A bare repository `1.git` under a fresh root with branches main (HEAD) and dev; returns
/// the root, its temp dir guard, and the two tips.
async fn repository() -> (tempfile::TempDir, PathBuf, String, String) {
    let (dir, store) = common::store();
    let repo = store.create(1, "main", Some(common::readme())).await.unwrap();
    let main = common::put(&repo, "main", "a.txt", b"a\n", "second", common::T0 + 1000).await.commit_id;
    common::git(repo.path(), &["branch", "dev", &format!("{main}~1")]);
    let dev = common::git(repo.path(), &["rev-parse", "dev"]).trim().to_string();
    (dir, store.root().to_path_buf(), main, dev)
}

/// A git server that requires Basic auth as USER with PASSWORD.
async fn start_with_basic_auth(root: PathBuf) -> Server {
    start(Mode::Backend { root, basic: Some((USER.into(), PASSWORD.into())) }).await
}

/// The `Authorization` header value for `user:password`.
fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn loopback() -> Vec<Network> {
    vec!["127.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()]
}

fn req<'a>(url: &'a str, allowed: &'a [Network], password: Option<&'a str>, timeout: Duration) -> ProbeRequest<'a> {
    ProbeRequest { url, username: Some(USER), password, allowed, timeout }
}

const BOUND: Duration = Duration::from_secs(10);

async fn must_fail(r: &ProbeRequest<'_>) -> ProbeError {
    let e = probe(r).await.expect_err("the probe should fail");
    assert!(!e.to_string().contains(PASSWORD), "the password leaked into {e}");
    assert!(!format!("{e:?}").contains(PASSWORD), "the password leaked into {e:?}");
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_refused_by_default_before_any_connection() {
    let (_dir, root, _, _) = repository().await;
    let server = start(Mode::Backend { root, basic: None }).await;
    for url in [server.url("/1.git"), format!("http://localhost:{}/1.git", server.addr.port())] {
        let e = must_fail(&req(&url, &[], Some(PASSWORD), BOUND)).await;
        let ProbeError::ForbiddenAddress { addr, .. } = &e else { panic!("{url}: {e:?}") };
        assert!(addr.is_loopback(), "{e}");
        assert!(e.to_string().contains("loopback"), "{e}");
    }
    // Allowing some other private network does not open loopback.
    let other: Vec<Network> = vec!["10.0.0.0/8".parse().unwrap()];
    let url = server.url("/1.git");
    assert!(matches!(must_fail(&req(&url, &other, None, BOUND)).await, ProbeError::ForbiddenAddress { .. }));
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing may be sent to a refused address");
}

fn check_refs(refs: &RemoteRefs, main: &str, dev: &str) {
    assert_eq!(refs.head_branch.as_deref(), Some("main"));
    assert_eq!(refs.branch_oid("main"), Some(main));
    assert_eq!(refs.branch_oid("dev"), Some(dev));
    assert!(!refs.has_branch("nope"));
    assert!(refs.is_advertised(dev));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_network_is_probed_and_reports_branches_and_head() {
    let (_dir, root, main, dev) = repository().await;
    let server = start(Mode::Backend { root, basic: None }).await;
    let allowed = loopback();
    let url = server.url("/1.git");
    check_refs(&probe(&req(&url, &allowed, None, BOUND)).await.unwrap(), &main, &dev);
    // By name: resolved here, then pinned for git with http.curloptResolve.
    let url = format!("http://localhost:{}/1.git", server.addr.port());
    check_refs(&probe(&req(&url, &allowed, None, BOUND)).await.unwrap(), &main, &dev);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_sent_as_basic_auth_and_wrong_ones_fail_authentication() {
    let (_dir, root, main, dev) = repository().await;
    let server = start_with_basic_auth(root).await;
    let allowed = loopback();
    let url = server.url("/1.git");
    check_refs(&probe(&req(&url, &allowed, Some(PASSWORD), BOUND)).await.unwrap(), &main, &dev);
    // The credential git took from the pipe went out as the Basic header, and nothing else did.
    let auths = std::mem::take(&mut *server.auths.lock().unwrap());
    assert!(auths.contains(&Some(basic(USER, PASSWORD))), "{auths:?}");
    assert!(auths.iter().flatten().all(|a| *a == basic(USER, PASSWORD)), "{auths:?}");

    // A server that answers 401 even with the credentials: refused credentials.
    let wrong = format!("{PASSWORD}-wrong");
    let e = probe(&req(&url, &allowed, Some(&wrong), BOUND)).await.unwrap_err();
    assert_eq!(e, ProbeError::AuthenticationFailed);
    assert!(!e.to_string().contains(&wrong));
    assert!(server.auths.lock().unwrap().contains(&Some(basic(USER, &wrong))), "git did present the wrong credentials");
    assert_eq!(must_fail(&req(&url, &allowed, None, BOUND)).await, ProbeError::AuthenticationFailed);
    // A token without a user name goes with the default user name, which this server refuses.
    let no_user = ProbeRequest { username: None, ..req(&url, &allowed, Some(PASSWORD), BOUND) };
    assert_eq!(must_fail(&no_user).await, ProbeError::AuthenticationFailed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_repository_is_not_found() {
    let (_dir, root, _, _) = repository().await;
    let server = start_with_basic_auth(root).await;
    let allowed = loopback();
    let url = server.url("/nope.git");
    assert_eq!(must_fail(&req(&url, &allowed, Some(PASSWORD), BOUND)).await, ProbeError::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_a_network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let allowed = loopback();
    let url = format!("http://127.0.0.1:{port}/1.git");
    let e = must_fail(&req(&url, &allowed, Some(PASSWORD), BOUND)).await;
    assert!(matches!(&e, ProbeError::Network(m) if m.contains("connect")), "{e:?}");
}

/// Every process whose command line mentions `needle` (git and its remote helper name the URL).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if text.contains(needle) {
                found.push(text);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_within_the_bound_and_git_is_killed() {
    let server = start(Mode::Silent).await;
    let allowed = loopback();
    let url = server.url("/silent.git");
    let started = Instant::now();
    let e = must_fail(&req(&url, &allowed, Some(PASSWORD), Duration::from_secs(1))).await;
    let took = started.elapsed();
    assert_eq!(e, ProbeError::Timeout);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(server.hits.load(Ordering::SeqCst) >= 1, "git did connect");
    // git and its remote helper are gone (SIGKILL to the process group is asynchronous).
    let needle = format!("127.0.0.1:{}", server.addr.port());
    let deadline = Instant::now() + Duration::from_secs(2);
    while !processes_mentioning(&needle).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(processes_mentioning(&needle), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed() {
    let (_dir, root, _, _) = repository().await;
    let target = start(Mode::Backend { root, basic: None }).await;
    let redirector = start(Mode::Redirect(format!("http://{}", target.addr))).await;
    let allowed = loopback();
    let url = redirector.url("/1.git");
    let e = must_fail(&req(&url, &allowed, Some(PASSWORD), BOUND)).await;
    assert!(matches!(&e, ProbeError::Network(m) if m.contains("redirect")), "{e:?}");
    assert!(redirector.hits.load(Ordering::SeqCst) >= 1);
    assert_eq!(target.hits.load(Ordering::SeqCst), 0, "the redirect was followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_is_neither_on_git_command_lines_nor_in_errors() {
    // While git talks to a silent server, no process's command line holds the password.
    let server = start(Mode::Silent).await;
    let allowed = loopback();
    let url = server.url("/x.git");
    let r = req(&url, &allowed, Some(PASSWORD), Duration::from_secs(2));
    let watch = async {
        let mut seen_git = false;
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            seen_git |= !processes_mentioning(&format!("127.0.0.1:{}", server.addr.port())).is_empty();
            assert_eq!(processes_mentioning(PASSWORD), Vec::<String>::new());
        }
        seen_git
    };
    let (result, seen_git) = tokio::join!(probe(&r), watch);
    assert!(seen_git, "git was not observed running");
    assert_eq!(result.unwrap_err(), ProbeError::Timeout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_that_git_cannot_carry_are_refused_before_connecting() {
    // Silent counts connections: none may be made.
    let server = start(Mode::Silent).await;
    let (allowed, url) = (loopback(), server.url("/1.git"));
    for password in [format!("{PASSWORD}\nusername=eve"), format!("{PASSWORD}\r"), format!("{PASSWORD}\0")] {
        assert_eq!(must_fail(&req(&url, &allowed, Some(&password), BOUND)).await, ProbeError::AuthenticationFailed);
    }
    let bad_user = ProbeRequest { username: Some("al\nice"), ..req(&url, &allowed, Some(PASSWORD), BOUND) };
    assert_eq!(must_fail(&bad_user).await, ProbeError::AuthenticationFailed);
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "no connection may be made with unusable credentials");
}

/// The NUL-separated `cmdline` and `environ` of process `pid`, `None` if either is unreadable
/// (another user's process, or gone).
fn cmdline_and_environ(pid: &str) -> Option<(String, String)> {
    let read = |file: &str| std::fs::read(format!("/proc/{pid}/{file}")).ok().map(|b| String::from_utf8_lossy(&b).into_owned());
    Some((read("cmdline")?, read("environ")?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_git_holds_the_credential_no_process_has_it_in_its_environment_or_command_line() {
    // The server answers 401 until git sends the credential, then holds that request open:
    // git (and its remote helper) are then running with the credential in hand.
    let server = start(Mode::HoldAuthenticated).await;
    let allowed = loopback();
    let url = server.url("/x.git");
    let b64 = basic(USER, PASSWORD).strip_prefix("Basic ").unwrap().to_string();
    let r = req(&url, &allowed, Some(PASSWORD), Duration::from_secs(5));
    let watch = async {
        let deadline = Instant::now() + Duration::from_secs(4);
        while !server.auths.lock().unwrap().iter().any(Option::is_some) {
            assert!(Instant::now() < deadline, "git never sent the credential");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(server.auths.lock().unwrap().iter().flatten().collect::<Vec<_>>(), [&basic(USER, PASSWORD)]);
        let port = format!("127.0.0.1:{}", server.addr.port());
        let mut gits = 0;
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            let Some((cmdline, environ)) = cmdline_and_environ(&pid) else { continue };
            for secret in [PASSWORD, b64.as_str()] {
                assert!(!cmdline.contains(secret), "pid {pid}'s command line holds the credential: {cmdline:?}");
                assert!(!environ.contains(secret), "pid {pid}'s environment holds the credential");
            }
            if cmdline.contains(&port) {
                // One of the probe's git processes: its environment was read, not skipped.
                assert!(environ.contains("GIT_TERMINAL_PROMPT=0"), "pid {pid} {cmdline:?}");
                gits += 1;
            }
        }
        gits
    };
    let (result, gits) = tokio::join!(probe(&r), watch);
    assert!(gits >= 2, "git and its remote helper were not both seen ({gits})");
    assert_eq!(result.unwrap_err(), ProbeError::Timeout);
}
