//! codeport-bench: is a signed, authorized keyed read fast enough?
//!
//! Starts, as separate processes on this machine, (1) a bare axum server answering a
//! code-source-sized JSON document and (2) a release `codeport serve` on SQLite (or
//! PostgreSQL with --database-url) seeded with one workspace and code source. Then it drives
//! each with the same closed-loop load generator (keep-alive HTTP/1.1 connections, requests
//! pre-signed with unique nonces so signing costs the client nothing during the run) and
//! prints requests per second, the ratio codeport / bare, and each server's peak RSS.
//!
//! The two are measured in alternating rounds (bare, codeport, bare, codeport, ...) and the
//! median of the per-round ratios is reported, so that a noisy neighbour on a shared
//! machine skews both sides of a round alike.
//!
//! Usage: codeport-bench [--codeport target/release/codeport] [--rounds 3] [--seconds 5] [--connections 64] [--database-url URL]
//!        codeport-bench bare ADDR   (internal: the baseline server)

use codeport_testkit::PaiClient;
use reqwest::Method;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Args {
    codeport: String,
    rounds: usize,
    seconds: u64,
    connections: usize,
    database_url: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { codeport: "target/release/codeport".into(), rounds: 3, seconds: 5, connections: 64, database_url: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--codeport" => a.codeport = val()?,
            "--rounds" => a.rounds = val()?.parse().map_err(|_| "--rounds: a number")?,
            "--seconds" => a.seconds = val()?.parse().map_err(|_| "--seconds: a number")?,
            "--connections" => a.connections = val()?.parse().map_err(|_| "--connections: a number")?,
            "--database-url" => a.database_url = Some(val()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// The baseline: the same kind of JSON body, no auth, no store.
async fn bare(addr: String) {
    let body = serde_json::json!({
        "RequestId": "5C8C1A2B-0000-0000-0000-000000000000", "CodeSourceId": "code-0123456789abcdefghij", "WorkspaceId": "123456",
        "DisplayName": "trainer", "Description": "", "CodeRepo": "https://example.com/ml/trainer.git", "CodeBranch": "main",
        "CodeCommit": "", "CodeRepoUserName": "", "CodeRepoAccessToken": "", "MountPath": "/root/code/", "Accessibility": "PRIVATE",
        "CloneType": 0, "UserId": "1234567890123456", "GmtCreateTime": "2026-01-01T00:00:00.000Z", "GmtModifyTime": "2026-01-01T00:00:00.000Z"
    });
    let app = axum::Router::new().route(
        "/api/v1/codesources/{id}",
        axum::routing::get(move || {
            let b = body.clone();
            async move { axum::Json(b) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

async fn wait_ready(addr: &str) {
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(format!("http://{addr}/healthz")).await {
            if r.status().as_u16() < 500 {
                return;
            }
        }
        if reqwest::get(format!("http://{addr}/api/v1/codesources/x")).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server on {addr} did not become ready");
}

/// Raw HTTP/1.1 requests, one per slot; each connection walks its own list.
fn raw_request(path: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut s = format!("GET {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Reads one response (status line, headers, Content-Length body); returns the status.
async fn read_response(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).unwrap_or("");
            let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
            let len = head
                .lines()
                .find_map(|l| {
                    l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.trim().parse::<usize>().ok())
                })
                .unwrap_or(0);
            let total = end + 4 + len;
            while buf.len() < total {
                let mut chunk = [0u8; 8192];
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..total);
            return Ok(status);
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Closed-loop load: `requests[i]` goes on connection i % connections. Returns (ok, errors, elapsed).
fn load(addr: &str, requests: Vec<Vec<u8>>, connections: usize, seconds: u64) -> (u64, u64, Duration) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let ok = Arc::new(AtomicU64::new(0));
        let bad = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(requests);
        let mut tasks = Vec::new();
        let started = Instant::now();
        for c in 0..connections {
            let (ok, bad, stop, requests, addr) = (ok.clone(), bad.clone(), stop.clone(), requests.clone(), addr.to_string());
            tasks.push(tokio::spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(&addr).await.expect("connect");
                stream.set_nodelay(true).ok();
                let mut buf = Vec::with_capacity(16384);
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    let req = &requests[i % requests.len()];
                    i += connections;
                    if stream.write_all(req).await.is_err() {
                        break;
                    }
                    match read_response(&mut stream, &mut buf).await {
                        Ok(200) => ok.fetch_add(1, Ordering::Relaxed),
                        Ok(_) => bad.fetch_add(1, Ordering::Relaxed),
                        Err(_) => break,
                    };
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let elapsed = started.elapsed();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
        }
        (ok.load(Ordering::Relaxed), bad.load(Ordering::Relaxed), elapsed)
    })
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("bare") {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(bare(argv.get(2).cloned().unwrap_or_else(|| "127.0.0.1:0".into())));
        return;
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let cp_addr = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(&args.codeport);
    cmd.args(["serve", "--listen", &cp_addr, "--data-dir"])
        .arg(dir.path())
        .env("CODEPORT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(u) = &args.database_url {
        cmd.args(["--database-url", u]);
    }
    let codeport = Server(cmd.spawn().expect("start codeport (build it with cargo build --release)"));
    let bare_addr = format!("127.0.0.1:{}", free_port());
    let bare_srv = Server(Command::new(std::env::current_exe().unwrap()).args(["bare", &bare_addr]).spawn().expect("start bare server"));

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (client, code_source) = rt.block_on(async {
        wait_ready(&cp_addr).await;
        wait_ready(&bare_addr).await;
        let boot: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("bootstrap.json")).unwrap()).unwrap();
        let client = PaiClient::new(&format!("http://{cp_addr}"), boot["accessKeyId"].as_str().unwrap(), boot["accessKeySecret"].as_str().unwrap());
        let ws = client.create_workspace("bench_ws").await;
        let cs = client
            .create_code_source(&serde_json::json!({"WorkspaceId": ws, "DisplayName": "trainer", "CodeRepo": "https://example.com/ml/trainer.git", "CodeBranch": "main", "CodeRepoAccessToken": "tok"}))
            .await;
        (client, cs)
    });
    let path = format!("/api/v1/codesources/{code_source}");
    // Enough pre-signed requests (unique nonces) for a generous throughput ceiling.
    let budget = (args.rounds * args.seconds as usize * 60_000).max(args.connections * 4);
    let mut signed: Vec<Vec<u8>> = (0..budget)
        .map(|_| {
            let r = client.sign(Method::GET, &path, &[], None, "GetCodeSource");
            raw_request(&path, &r.headers.into_iter().collect::<Vec<_>>())
        })
        .collect();
    let bare_req = vec![raw_request(&path, &[("host".into(), bare_addr.clone())])];

    load(&bare_addr, bare_req.clone(), args.connections, 1);
    println!(
        "connections {}, {} rounds of {} s each, backend {}",
        args.connections,
        args.rounds,
        args.seconds,
        if args.database_url.is_some() { "postgres" } else { "sqlite" }
    );
    println!("round   bare req/s   codeport req/s   ratio");
    let mut ratios = Vec::new();
    let (mut cp_total, mut bad_total) = (0u64, 0u64);
    for round in 1..=args.rounds {
        let (bare_ok, bare_bad, bare_t) = load(&bare_addr, bare_req.clone(), args.connections, args.seconds);
        // Each round uses fresh pre-signed requests: a nonce is good once.
        let batch: Vec<Vec<u8>> = signed.drain(..signed.len().min(budget / args.rounds)).collect();
        let (cp_ok, cp_bad, cp_t) = load(&cp_addr, batch, args.connections, args.seconds);
        let bare_rps = bare_ok as f64 / bare_t.as_secs_f64();
        let cp_rps = cp_ok as f64 / cp_t.as_secs_f64();
        cp_total += cp_ok;
        bad_total += cp_bad + bare_bad;
        ratios.push(cp_rps / bare_rps);
        println!("{round:>5}   {bare_rps:>10.0}   {cp_rps:>14.0}   {:>5.2}", cp_rps / bare_rps);
    }
    ratios.sort_by(f64::total_cmp);
    println!("median ratio codeport / bare: {:.2}   (non-200 responses: {bad_total})", ratios[ratios.len() / 2]);
    println!("peak RSS: bare {} KiB, codeport {} KiB", peak_rss_kib(bare_srv.0.id()), peak_rss_kib(codeport.0.id()));
    let cp_ok = cp_total;
    let budget = budget / args.rounds * args.rounds;
    if cp_ok as usize >= budget {
        println!("note: every pre-signed request was used; raise the budget for a faster machine");
    }
}
