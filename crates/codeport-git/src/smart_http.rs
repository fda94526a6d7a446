//! The git side of the smart HTTP protocol: spawning `upload-pack` /
//! `receive-pack` and streaming their output, never buffering a whole
//! pack, so clones and pushes of any size run in constant memory.

use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdout};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::io::ReaderStream;

use crate::cmd::{config, git, read_drained};
use crate::error::{GitError, Result};
use crate::store::Repo;

/// Chunk size of the output streams.
const CHUNK: usize = 64 * 1024;
/// Most stderr kept for logging.
const STDERR_LIMIT: usize = 64 * 1024;

/// The two smart-protocol services, named as in the `service=` query
/// parameter and the RPC URL path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Fetch/clone (`git-upload-pack`).
    UploadPack,
    /// Push (`git-receive-pack`).
    ReceivePack,
}

impl Service {
    /// Parse the name clients send (`git-upload-pack`,
    /// `git-receive-pack`); anything else is `None` so the server answers
    /// 403/404 without spawning anything.
    pub fn parse(name: &str) -> Option<Service> {
        match name {
            "git-upload-pack" => Some(Service::UploadPack),
            "git-receive-pack" => Some(Service::ReceivePack),
            _ => None,
        }
    }

    /// The wire name, e.g. `git-upload-pack`.
    pub fn name(self) -> &'static str {
        match self {
            Service::UploadPack => "git-upload-pack",
            Service::ReceivePack => "git-receive-pack",
        }
    }

    fn subcommand(self) -> &'static str {
        match self {
            Service::UploadPack => "upload-pack",
            Service::ReceivePack => "receive-pack",
        }
    }

    /// Content type of the `GET info/refs?service=...` answer; git clients
    /// check it to detect a smart server.
    pub fn advertisement_content_type(self) -> &'static str {
        match self {
            Service::UploadPack => "application/x-git-upload-pack-advertisement",
            Service::ReceivePack => "application/x-git-receive-pack-advertisement",
        }
    }

    /// Content type clients send with the RPC `POST`, so the server can
    /// reject anything else.
    pub fn request_content_type(self) -> &'static str {
        match self {
            Service::UploadPack => "application/x-git-upload-pack-request",
            Service::ReceivePack => "application/x-git-receive-pack-request",
        }
    }

    /// Content type of the RPC `POST` answer.
    pub fn result_content_type(self) -> &'static str {
        match self {
            Service::UploadPack => "application/x-git-upload-pack-result",
            Service::ReceivePack => "application/x-git-receive-pack-result",
        }
    }
}

/// The `Git-Protocol` header value if it is safe to hand to git as
/// `GIT_PROTOCOL` (only `[a-z0-9=:._-]`), so a client cannot inject
/// anything else into the child's environment.
pub fn sanitize_git_protocol(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty() && v.len() <= 256 && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"=:._-".contains(&b)))
}

fn wants_v2(protocol: Option<&str>) -> bool {
    protocol.is_some_and(|p| p.split(':').any(|kv| kv == "version=2"))
}

/// `# service=...` pkt-line plus flush, as `git http-backend` sends before
/// a v0/v1 advertisement.
pub fn service_preamble(service: Service) -> Bytes {
    let line = format!("# service={}\n", service.name());
    Bytes::from(format!("{:04x}{line}0000", line.len() + 4))
}

fn spawn_service(repo: &Repo, service: Service, protocol: Option<&str>, advertise: bool) -> Result<Child> {
    repo.ensure_exists()?;
    let mut cmd = git(None);
    if service == Service::UploadPack {
        // A code source pins a commit; `codeport checkout --depth N` fetches exactly that
        // commit by id, which upload-pack refuses unless it may serve any commit reachable
        // from a ref (never unreachable objects: those may be remnants of deleted secrets).
        config(&mut cmd, "uploadpack.allowReachableSHA1InWant", "true");
    }
    cmd.arg(service.subcommand());
    if service == Service::UploadPack {
        cmd.arg("--strict");
    }
    cmd.arg("--stateless-rpc");
    if advertise {
        cmd.arg("--http-backend-info-refs");
    }
    cmd.arg(repo.path());
    if let Some(p) = protocol {
        cmd.env("GIT_PROTOCOL", p);
    }
    if !advertise {
        cmd.stdin(Stdio::piped());
    }
    cmd.spawn().map_err(|e| GitError::io(&format!("spawn git {}", service.subcommand()), e))
}

/// Read at most [`STDERR_LIMIT`] bytes of stderr, draining the rest so
/// the child never blocks on a full pipe.
fn collect_stderr(stderr: Option<ChildStderr>) -> JoinHandle<String> {
    tokio::spawn(async move { String::from_utf8_lossy(&read_drained(stderr, STDERR_LIMIT).await).into_owned() })
}

/// Stream the ref advertisement for `GET info/refs?service=...`.
///
/// For protocol v0/v1 (and always for receive-pack) the `# service=`
/// preamble comes first; for upload-pack with `version=2` in
/// `git_protocol` it is omitted, exactly as `git http-backend` does. The
/// stream ends with an error item if git exits unsuccessfully, so a broken
/// advertisement is never mistaken for an empty repository. Dropping the
/// stream kills git.
pub async fn advertise(repo: &Repo, service: Service, git_protocol: Option<&str>) -> Result<impl Stream<Item = io::Result<Bytes>> + Send + 'static> {
    let protocol = sanitize_git_protocol(git_protocol);
    let mut child = spawn_service(repo, service, protocol, true)?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = collect_stderr(child.stderr.take());
    let preamble = if service == Service::UploadPack && wants_v2(protocol) { None } else { Some(Ok(service_preamble(service))) };

    struct State {
        out: ReaderStream<ChildStdout>,
        child: Option<Child>,
        stderr: Option<JoinHandle<String>>,
        name: &'static str,
    }
    let state = State { out: ReaderStream::with_capacity(stdout, CHUNK), child: Some(child), stderr: Some(stderr), name: service.subcommand() };
    let body = stream::unfold(state, |mut st| async move {
        st.child.as_ref()?;
        if let Some(item) = st.out.next().await {
            return Some((item, st));
        }
        let mut child = st.child.take()?;
        let status = child.wait().await;
        let stderr = match st.stderr.take() {
            Some(h) => h.await.unwrap_or_default(),
            None => String::new(),
        };
        match status {
            Ok(s) if s.success() => None,
            Ok(s) => {
                let msg = format!("git {} exited with {s}: {}", st.name, stderr.trim());
                Some((Err(io::Error::other(msg)), st))
            }
            Err(e) => Some((Err(e), st)),
        }
    });
    Ok(stream::iter(preamble).chain(body))
}

/// How an RPC child process ended, for logging and post-push work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcExit {
    /// git exited with status 0.
    pub success: bool,
    /// Exit code, `None` when killed by a signal.
    pub code: Option<i32>,
    /// The child was killed because the output stream was dropped early
    /// (client went away).
    pub killed: bool,
    /// Up to 64 KiB of git's stderr.
    pub stderr: String,
    /// Why copying the request body failed, if it did (e.g. the client
    /// disconnected or sent broken gzip).
    pub stdin_error: Option<String>,
}

/// The running RPC: stream `stdout` to the client, then await
/// `completion` to learn whether git succeeded (e.g. to set HEAD after a
/// first push).
pub struct RpcOutput {
    /// git's stdout, to be sent as the response body.
    pub stdout: RpcStream,
    /// Resolves once git has exited.
    pub completion: RpcCompletion,
}

/// git's stdout as a byte stream. Dropping it before it ends kills git, so
/// an abandoned clone or push stops consuming resources (and a push that
/// was cut off never updates refs after the fact).
pub struct RpcStream {
    inner: ReaderStream<ChildStdout>,
    disarm: Option<oneshot::Sender<()>>,
}

impl Stream for RpcStream {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_next(cx);
        if let Poll::Ready(None) = poll {
            if let Some(tx) = this.disarm.take() {
                let _ = tx.send(());
            }
        }
        poll
    }
}

/// Future-like handle on the RPC child's exit.
pub struct RpcCompletion {
    handle: JoinHandle<RpcExit>,
}

impl RpcCompletion {
    /// Wait until git has exited. Call after the stdout stream ended (or
    /// was dropped); awaiting it earlier simply waits longer.
    pub async fn wait(self) -> RpcExit {
        match self.handle.await {
            Ok(exit) => exit,
            Err(e) => RpcExit { success: false, code: None, killed: false, stderr: format!("waiter task failed: {e}"), stdin_error: None },
        }
    }
}

/// Run one stateless RPC exchange (`POST /git-upload-pack` or
/// `/git-receive-pack`).
///
/// `body` is the request body; it is copied into git's stdin by a spawned
/// task (gunzipped first when `gzip`, i.e. `Content-Encoding: gzip`) while
/// the caller streams [`RpcOutput::stdout`], so neither side is buffered
/// whole.
pub async fn rpc(
    repo: &Repo,
    service: Service,
    git_protocol: Option<&str>,
    body: impl AsyncRead + Send + Unpin + 'static,
    gzip: bool,
) -> Result<RpcOutput> {
    let protocol = sanitize_git_protocol(git_protocol);
    let mut child = spawn_service(repo, service, protocol, false)?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stdin = child.stdin.take().expect("piped stdin");
    let stderr = collect_stderr(child.stderr.take());

    let feeder: JoinHandle<Option<String>> = tokio::spawn(async move {
        let mut stdin = stdin;
        let copied = if gzip {
            let mut decoder = async_compression::tokio::bufread::GzipDecoder::new(BufReader::with_capacity(CHUNK, body));
            tokio::io::copy(&mut decoder, &mut stdin).await
        } else {
            let mut body = body;
            tokio::io::copy(&mut body, &mut stdin).await
        };
        let shut = stdin.shutdown().await;
        drop(stdin);
        match (copied, shut) {
            (Err(e), _) => Some(e.to_string()),
            (Ok(_), Err(e)) if e.kind() != io::ErrorKind::BrokenPipe => Some(e.to_string()),
            _ => None,
        }
    });

    let (disarm_tx, disarm_rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        let mut killed = false;
        let mut disarm_rx = disarm_rx;
        let status = tokio::select! {
            s = child.wait() => s,
            r = &mut disarm_rx => {
                if r.is_err() {
                    // Stream dropped before its end: the client is gone.
                    let _ = child.start_kill();
                    killed = true;
                }
                child.wait().await
            }
        };
        // Once git has exited the body copy either finished or can make no
        // more progress (broken pipe, or a stalled client), so stop it.
        let stdin_error = if feeder.is_finished() {
            feeder.await.unwrap_or(None)
        } else {
            feeder.abort();
            None
        };
        let stderr = stderr.await.unwrap_or_default();
        match status {
            Ok(s) => RpcExit { success: s.success() && !killed, code: s.code(), killed, stderr, stdin_error },
            Err(e) => RpcExit { success: false, code: None, killed, stderr: format!("wait failed: {e}; {stderr}"), stdin_error },
        }
    });

    Ok(RpcOutput {
        stdout: RpcStream { inner: ReaderStream::with_capacity(stdout, CHUNK), disarm: Some(disarm_tx) },
        completion: RpcCompletion { handle },
    })
}
