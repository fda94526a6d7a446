mod common;

use std::io::Write;

use codeport_git::smart_http::{self, Service};
use codeport_git::*;
use common::*;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncReadExt;

fn pkt(s: &[u8]) -> Vec<u8> {
    let mut v = format!("{:04x}", s.len() + 4).into_bytes();
    v.extend_from_slice(s);
    v
}

async fn collect(s: impl Stream<Item = std::io::Result<bytes::Bytes>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut s = std::pin::pin!(s);
    while let Some(chunk) = s.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn service_names_and_types() {
    assert_eq!(Service::parse("git-upload-pack"), Some(Service::UploadPack));
    assert_eq!(Service::parse("git-receive-pack"), Some(Service::ReceivePack));
    assert_eq!(Service::parse("git-upload-archive"), None);
    assert_eq!(Service::parse("upload-pack"), None);
    assert_eq!(Service::UploadPack.advertisement_content_type(), "application/x-git-upload-pack-advertisement");
    assert_eq!(Service::ReceivePack.result_content_type(), "application/x-git-receive-pack-result");
    assert_eq!(Service::UploadPack.request_content_type(), "application/x-git-upload-pack-request");
    assert_eq!(&smart_http::service_preamble(Service::UploadPack)[..], b"001e# service=git-upload-pack\n0000");
    assert_eq!(&smart_http::service_preamble(Service::ReceivePack)[..], b"001f# service=git-receive-pack\n0000");
    assert_eq!(smart_http::sanitize_git_protocol(Some("version=2")), Some("version=2"));
    assert_eq!(smart_http::sanitize_git_protocol(Some("version=2:object-format=sha1")), Some("version=2:object-format=sha1"));
    assert_eq!(smart_http::sanitize_git_protocol(Some("version=2\nX=1")), None);
    assert_eq!(smart_http::sanitize_git_protocol(Some("VERSION=2")), None);
    assert_eq!(smart_http::sanitize_git_protocol(Some("")), None);
    assert_eq!(smart_http::sanitize_git_protocol(None), None);
}

#[tokio::test]
async fn advertise_v0_and_v2() {
    let (_d, _s, r) = with_readme().await;
    let head = r.resolve_commit("main").await.unwrap().unwrap();
    let out = collect(smart_http::advertise(&r, Service::UploadPack, None).await.unwrap()).await;
    assert!(out.starts_with(b"001e# service=git-upload-pack\n0000"), "{}", String::from_utf8_lossy(&out));
    assert!(contains(&out, format!("{head} HEAD\0").as_bytes()));
    assert!(contains(&out, format!("{head} refs/heads/main\n").as_bytes()));
    assert!(contains(&out, b"symref=HEAD:refs/heads/main"));
    assert!(out.ends_with(b"0000"));

    let out = collect(smart_http::advertise(&r, Service::ReceivePack, Some("version=2")).await.unwrap()).await;
    assert!(out.starts_with(b"001f# service=git-receive-pack\n0000"));
    assert!(contains(&out, b"refs/heads/main"));
    assert!(contains(&out, b"report-status"));

    let out = collect(smart_http::advertise(&r, Service::UploadPack, Some("version=2")).await.unwrap()).await;
    assert!(out.starts_with(b"000eversion 2\n"), "{}", String::from_utf8_lossy(&out));
    assert!(contains(&out, b"fetch"));
    // An unsafe protocol value is ignored (v0 advertisement).
    let out = collect(smart_http::advertise(&r, Service::UploadPack, Some("version=2 ; x")).await.unwrap()).await;
    assert!(out.starts_with(b"001e# service=git-upload-pack\n0000"));

    // Empty repository: capabilities^{} line, still well-formed.
    let (_d2, s2) = store();
    let empty = s2.create(9, "main", None).await.unwrap();
    let out = collect(smart_http::advertise(&empty, Service::ReceivePack, None).await.unwrap()).await;
    assert!(contains(&out, b"capabilities^{}"));

    let missing = s2.open(404);
    assert!(matches!(smart_http::advertise(&missing, Service::UploadPack, None).await.err().unwrap(), GitError::NotFound { .. }));
}

fn upload_request(sha: &str) -> Vec<u8> {
    let mut req = pkt(format!("want {sha} ofs-delta\n").as_bytes());
    req.extend_from_slice(b"0000");
    req.extend_from_slice(&pkt(b"done\n"));
    req
}

#[tokio::test]
async fn rpc_upload_pack_returns_pack() {
    let (_d, _s, r) = with_readme().await;
    let head = r.resolve_commit("main").await.unwrap().unwrap();
    let out = smart_http::rpc(&r, Service::UploadPack, None, std::io::Cursor::new(upload_request(&head)), false).await.unwrap();
    let body = collect(out.stdout).await;
    assert!(body.starts_with(b"0008NAK\n"), "{}", String::from_utf8_lossy(&body[..body.len().min(200)]));
    assert!(contains(&body, b"PACK"));
    let exit = out.completion.wait().await;
    assert!(exit.success, "{exit:?}");
    assert!(!exit.killed);
    assert_eq!(exit.stdin_error, None);

    // Same request, gzip-compressed.
    let plain = upload_request(&head);
    let mut gz = Vec::new();
    async_compression::tokio::bufread::GzipEncoder::new(&plain[..]).read_to_end(&mut gz).await.unwrap();
    let out = smart_http::rpc(&r, Service::UploadPack, None, std::io::Cursor::new(gz), true).await.unwrap();
    let body = collect(out.stdout).await;
    assert!(contains(&body, b"PACK"));
    assert!(out.completion.wait().await.success);

    // Broken gzip: git gets a truncated request and fails; reported, no panic.
    let out = smart_http::rpc(&r, Service::UploadPack, None, std::io::Cursor::new(b"not gzip".to_vec()), true).await.unwrap();
    let _ = collect(out.stdout).await;
    let exit = out.completion.wait().await;
    assert!(!exit.success);
}

#[tokio::test]
async fn rpc_receive_pack_push() {
    let (d, s, r) = with_readme().await;
    let old = r.resolve_commit("main").await.unwrap().unwrap();
    // Make new objects in a scratch clone.
    let scratch_store = RepoStore::new(d.path().join("scratch"));
    std::fs::create_dir_all(scratch_store.root()).unwrap();
    let status = std::process::Command::new("git")
        .args(["clone", "--bare", "-q"])
        .arg(r.path())
        .arg(scratch_store.root().join("1.git"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success());
    let scratch = scratch_store.open(1);
    let new = put(&scratch, "main", "pushed.txt", b"via receive-pack\n", "pushed", T0 + 1000).await.commit_id;
    let mut child = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(scratch.path())
        .args(["pack-objects", "--stdout", "--revs", "-q"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{new}\n^{old}\n").as_bytes()).unwrap();
    let pack = child.wait_with_output().unwrap().stdout;
    assert!(pack.starts_with(b"PACK"));

    let mut req = pkt(format!("{old} {new} refs/heads/main\0report-status\n").as_bytes());
    req.extend_from_slice(b"0000");
    req.extend_from_slice(&pack);
    let out = smart_http::rpc(&r, Service::ReceivePack, None, std::io::Cursor::new(req), false).await.unwrap();
    let body = collect(out.stdout).await;
    assert!(contains(&body, b"unpack ok"), "{}", String::from_utf8_lossy(&body));
    assert!(contains(&body, b"ok refs/heads/main"));
    let exit = out.completion.wait().await;
    assert!(exit.success, "{exit:?}");
    assert_eq!(r.resolve_commit("main").await.unwrap().unwrap(), new);
    assert_eq!(r.blob("main", "pushed.txt", 100).await.unwrap().bytes, b"via receive-pack\n");
    drop(s);
}

#[tokio::test]
async fn dropping_stream_kills_git() {
    let (_d, _s, r) = with_readme().await;
    // A body that never ends: git waits for more input forever.
    let (writer, reader) = tokio::io::duplex(1024);
    let out = smart_http::rpc(&r, Service::UploadPack, None, reader, false).await.unwrap();
    drop(out.stdout);
    let exit = tokio::time::timeout(std::time::Duration::from_secs(10), out.completion.wait()).await.expect("git was not killed");
    assert!(exit.killed);
    assert!(!exit.success);
    drop(writer);
}
