//! Dev-only: starts a real codeport server on an ephemeral port over SQLite or PostgreSQL
//! (a fresh database per server), and a client that signs requests the way the official
//! SDK does (same headers, form-encoded query, ACS3-HMAC-SHA256, or the legacy ROA signature
//! of `signature_algorithm="v2"`). Tests talk real HTTP.

pub mod console;
pub mod git;

use codeport_core::{acs3, roa_legacy};
use codeport_server::{AppState, Config};
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeMap;

/// Which database a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the server named by CODEPORT_TEST_POSTGRES_URL.
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for an `async fn(TestServer)`; the PostgreSQL
/// variant is skipped (with a note) when CODEPORT_TEST_POSTGRES_URL is unset.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let server = $crate::TestServer::start($crate::Backend::Sqlite).await.expect("sqlite server");
                    super::$name(server).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    match $crate::TestServer::start($crate::Backend::Postgres).await {
                        Some(server) => super::$name(server).await,
                        None => eprintln!("CODEPORT_TEST_POSTGRES_URL is not set; PostgreSQL variant skipped"),
                    }
                }
            )*
        }
    };
}

/// A running server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// `127.0.0.1:PORT` (what the SDK calls the endpoint).
    pub endpoint: String,
    /// The server's state, for seeding through the same services the admin CLI uses.
    pub state: AppState,
    /// The bootstrap credentials (DATA_DIR/bootstrap.json).
    pub bootstrap: Value,
    dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    stopped: Option<tokio::sync::oneshot::Receiver<()>>,
    pg_database: Option<(String, String)>,
}

fn pg_url_with_db(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("CODEPORT_TEST_POSTGRES_URL is a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

async fn pg_admin(url: &str, sql: &str) -> Result<(), tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    let out = client.batch_execute(sql).await;
    drop(client);
    let _ = task.await;
    out
}

impl TestServer {
    /// Starts a server; None for PostgreSQL when CODEPORT_TEST_POSTGRES_URL is unset.
    pub async fn start(backend: Backend) -> Option<TestServer> {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts a server after letting the caller adjust the configuration.
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestServer> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::for_data_dir(dir.path());
        let mut pg_database = None;
        if backend == Backend::Postgres {
            let admin_url = std::env::var("CODEPORT_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
            let db = format!("codeport_t_{}", hex::encode(rand::random::<[u8; 6]>()));
            pg_admin(&admin_url, &format!("CREATE DATABASE {db}")).await.expect("create test database");
            config.database_url = Some(pg_url_with_db(&admin_url, &db));
            pg_database = Some((admin_url, db));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        config.listen = addr;
        config.external_url = format!("http://{addr}");
        adjust(&mut config);
        let state = codeport_server::open_state(config, true).await.expect("open state");
        codeport_server::bootstrap(&state).await.expect("bootstrap");
        let bootstrap: Value = serde_json::from_slice(&std::fs::read(dir.path().join("bootstrap.json")).expect("bootstrap.json")).expect("json");
        let (tx, done_rx) = spawn_serving(&state, listener);
        Some(TestServer {
            base_url: format!("http://{addr}"),
            endpoint: addr.to_string(),
            state,
            bootstrap,
            dir,
            shutdown: Some(tx),
            stopped: Some(done_rx),
            pg_database,
        })
    }

    /// Runs SQL on this server's PostgreSQL database (for tests that disturb the database
    /// underneath a running server); panics on SQLite.
    pub async fn postgres_sql(&self, sql: &str) {
        let url = self.state.config.database_url.as_deref().expect("a PostgreSQL server");
        pg_admin(url, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Starts another replica of this server: its own process state (caches, connections)
    /// over the same database, data directory and master key, as a second stateless replica
    /// behind a load balancer would be. `adjust` may change its configuration.
    pub async fn replica(&self, adjust: impl FnOnce(&mut Config)) -> Replica {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = (*self.state.config).clone();
        config.listen = addr;
        adjust(&mut config);
        let state = codeport_server::open_state(config, false).await.expect("open replica state");
        let (shutdown, _) = spawn_serving(&state, listener);
        Replica { base_url: format!("http://{addr}"), state, shutdown: Some(shutdown) }
    }

    /// Starts a graceful shutdown, as SIGTERM does: no new connections, in-flight requests finish.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits until the server has stopped (after [`begin_shutdown`](Self::begin_shutdown)); false on timeout.
    pub async fn stopped_within(&mut self, limit: std::time::Duration) -> bool {
        match self.stopped.take() {
            Some(rx) => tokio::time::timeout(limit, rx).await.is_ok(),
            None => true,
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// A client signing as the bootstrap admin (organization owner).
    pub fn admin(&self) -> PaiClient {
        PaiClient::new(&self.base_url, self.bootstrap["accessKeyId"].as_str().unwrap(), self.bootstrap["accessKeySecret"].as_str().unwrap())
    }

    /// The bootstrap admin's user id.
    pub fn admin_id(&self) -> String {
        self.bootstrap["userId"].as_str().unwrap().to_string()
    }

    /// Creates a user (organization member) with an AccessKey; returns the user id and a client.
    pub async fn user(&self, name: &str) -> (String, PaiClient) {
        let u = self.state.identities().create_user(name, None).await.expect("create user");
        let k = self.state.identities().create_access_key(name).await.expect("create key");
        (u.id, PaiClient::new(&self.base_url, &k.id, k.secret.expose()))
    }
}

/// Serves `state` on `listener` in a task; returns the shutdown trigger and a signal that fires once stopped.
fn spawn_serving(state: &AppState, listener: tokio::net::TcpListener) -> (tokio::sync::oneshot::Sender<()>, tokio::sync::oneshot::Receiver<()>) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let st = state.clone();
    tokio::spawn(async move {
        let _ = codeport_server::serve(st, listener, async {
            let _ = rx.await;
        })
        .await;
        let _ = done_tx.send(());
    });
    (tx, done_rx)
}

/// A second replica of a [`TestServer`] (see [`TestServer::replica`]); stops when dropped.
pub struct Replica {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The replica's own state.
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some((admin_url, db)) = self.pg_database.take() {
            // Best effort, on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    let _ = rt.block_on(pg_admin(&admin_url, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")));
                }
            })
            .join();
        }
    }
}

/// A response: status, headers, parsed JSON body.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body as JSON (Null when empty or not JSON).
    pub json: Value,
    /// Raw body.
    pub text: String,
}

impl Reply {
    /// The `Code` of a PAI error body.
    pub fn code(&self) -> &str {
        self.json["Code"].as_str().unwrap_or("")
    }
}

/// A request before signing, so tests can tamper with any part.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// Method.
    pub method: Method,
    /// Path as sent (already percent-encoded).
    pub path: String,
    /// Query as sent (form-encoded).
    pub raw_query: String,
    /// Headers to send (lowercase names), Authorization included.
    pub headers: BTreeMap<String, String>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Which signature a [`PaiClient`] puts on its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// ACS3-HMAC-SHA256, the SDK's default.
    Acs3,
    /// The legacy ROA signature (`acs AK:base64(HMAC-SHA1)`), the SDK's `signature_algorithm="v2"`.
    LegacyRoa,
}

/// Signs like the official SDK.
#[derive(Clone)]
pub struct PaiClient {
    http: reqwest::Client,
    base_url: String,
    host: String,
    /// AccessKey id.
    pub access_key_id: String,
    secret: String,
    /// The signature scheme of every request this client signs.
    pub scheme: Scheme,
}

/// Form-encodes a query (space as `+`), as the Python SDK sends it.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    acs3::form_encode(pairs)
}

impl PaiClient {
    /// A client for a base URL and an AccessKey.
    pub fn new(base_url: &str, access_key_id: &str, secret: &str) -> PaiClient {
        PaiClient {
            http: reqwest::Client::new(),
            base_url: base_url.to_string(),
            host: base_url.trim_start_matches("http://").to_string(),
            access_key_id: access_key_id.to_string(),
            secret: secret.to_string(),
            scheme: Scheme::Acs3,
        }
    }

    /// The same AccessKey against another server (a replica).
    pub fn at(&self, base_url: &str) -> PaiClient {
        PaiClient { scheme: self.scheme, ..PaiClient::new(base_url, &self.access_key_id, &self.secret) }
    }

    /// The same client signing with the legacy ROA signature, as the SDK does with
    /// `signature_algorithm="v2"` (and alipai always).
    pub fn legacy(&self) -> PaiClient {
        PaiClient { scheme: Scheme::LegacyRoa, ..self.clone() }
    }

    /// The same client with another secret (for signature tests).
    pub fn with_secret(&self, secret: &str) -> PaiClient {
        PaiClient { secret: secret.to_string(), ..self.clone() }
    }

    /// Builds and signs a request. `action` goes into x-acs-action.
    pub fn sign(&self, method: Method, path: &str, query: &[(&str, &str)], body: Option<&Value>, action: &str) -> SignedRequest {
        let body_bytes = body.map(|b| serde_json::to_vec(b).expect("a JSON value serializes"));
        let raw_query = form_encode(query);
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let signer = acs3::RequestSigner {
            method: method.as_str(),
            host: &self.host,
            path,
            raw_query: &raw_query,
            body: body_bytes.as_deref(),
            action,
            access_key_id: &self.access_key_id,
            secret: &self.secret,
            user_agent: "codeport-testkit",
            now: time::OffsetDateTime::now_utc(),
            nonce: &nonce,
        };
        let headers = match self.scheme {
            Scheme::Acs3 => signer.headers(),
            Scheme::LegacyRoa => signer.legacy_roa_headers(),
        };
        SignedRequest { method, path: path.to_string(), raw_query, headers, body: body_bytes.unwrap_or_default() }
    }

    /// Recomputes the Authorization header over the request's current headers (ACS3: all
    /// signed; legacy ROA: those the scheme covers).
    pub fn resign(&self, req: &mut SignedRequest) {
        let sign = match self.scheme {
            Scheme::Acs3 => acs3::sign_headers,
            Scheme::LegacyRoa => roa_legacy::sign_headers,
        };
        sign(req.method.as_str(), &req.path, &req.raw_query, &mut req.headers, &self.access_key_id, &self.secret);
    }

    /// Moves the request's signature date to `at` (milliseconds since the epoch) in the
    /// scheme's header and format (ACS3 `x-acs-date`, legacy ROA `date`), and re-signs it.
    pub fn redate(&self, req: &mut SignedRequest, at: i64) {
        let (name, value) = match self.scheme {
            Scheme::Acs3 => ("x-acs-date", codeport_core::timefmt::rfc3339(at)),
            Scheme::LegacyRoa => ("date", codeport_core::timefmt::http_date(at)),
        };
        req.headers.insert(name.to_string(), value);
        self.resign(req);
    }

    /// Sends a prepared request.
    pub async fn send(&self, req: &SignedRequest) -> Reply {
        let url = if req.raw_query.is_empty() {
            format!("{}{}", self.base_url, req.path)
        } else {
            format!("{}{}?{}", self.base_url, req.path, req.raw_query)
        };
        let mut rb = self.http.request(req.method.clone(), url);
        for (k, v) in &req.headers {
            rb = rb.header(k, v);
        }
        let resp = rb.body(req.body.clone()).send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, json, text }
    }

    /// Signs and sends.
    pub async fn call(&self, method: Method, path: &str, query: &[(&str, &str)], body: Option<&Value>) -> Reply {
        let req = self.sign(method, path, query, body, "Test");
        self.send(&req).await
    }

    /// GET.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Reply {
        self.call(Method::GET, path, query, None).await
    }
    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, &[], Some(body)).await
    }
    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::PUT, path, &[], Some(body)).await
    }
    /// DELETE with a query.
    pub async fn delete(&self, path: &str, query: &[(&str, &str)]) -> Reply {
        self.call(Method::DELETE, path, query, None).await
    }

    /// Creates a workspace and returns its id (panics on failure: a seeding helper).
    pub async fn create_workspace(&self, name: &str) -> String {
        let r = self.post("/api/v1/workspaces", &serde_json::json!({"WorkspaceName": name, "Description": "test", "EnvTypes": ["prod"]})).await;
        assert_eq!(r.status, 200, "create workspace: {}", r.text);
        r.json["WorkspaceId"].as_str().unwrap().to_string()
    }

    /// Adds a member with roles (panics on failure).
    pub async fn add_member(&self, ws: &str, user_id: &str, roles: &[&str]) {
        let r = self.post(&format!("/api/v1/workspaces/{ws}/members"), &serde_json::json!({"Members": [{"UserId": user_id, "Roles": roles}]})).await;
        assert_eq!(r.status, 200, "add member: {}", r.text);
    }

    /// Creates a code source and returns its id (panics on failure).
    pub async fn create_code_source(&self, body: &Value) -> String {
        let r = self.post("/api/v1/codesources", body).await;
        assert_eq!(r.status, 200, "create code source: {}", r.text);
        r.json["CodeSourceId"].as_str().unwrap().to_string()
    }
}

/// A Codeup / Yunxiao client: `x-yunxiao-token` on every request, like the official MCP server.
#[derive(Clone)]
pub struct CodeupClient {
    http: reqwest::Client,
    base_url: String,
    /// The token sent, if any.
    pub token: Option<String>,
}

impl CodeupClient {
    /// A client for a base URL with a token (or none, for anonymous calls).
    pub fn new(base_url: &str, token: Option<&str>) -> CodeupClient {
        CodeupClient { http: reqwest::Client::new(), base_url: base_url.to_string(), token: token.map(str::to_string) }
    }

    /// The same token against another server (a replica).
    pub fn at(&self, base_url: &str) -> CodeupClient {
        CodeupClient::new(base_url, self.token.as_deref())
    }

    /// Sends a request; `path` may carry a query string already.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut rb = self
            .http
            .request(method, format!("{}{}", self.base_url, path))
            .header("accept", "application/json")
            .header("content-type", "application/json");
        if let Some(t) = &self.token {
            rb = rb.header("x-yunxiao-token", t);
        }
        if let Some(b) = body {
            rb = rb.body(serde_json::to_vec(b).unwrap());
        }
        let resp = rb.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, json, text }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }
    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }
}

impl Reply {
    /// The `errorCode` of a Codeup error body.
    pub fn error_code(&self) -> &str {
        self.json["errorCode"].as_str().unwrap_or("")
    }
    /// A response header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// Asserts that no value anywhere in `v` is JSON null (the official MCP client rejects nulls).
pub fn assert_no_nulls(v: &Value, at: &str) {
    match v {
        Value::Null => panic!("null at {at}"),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, x)| assert_no_nulls(x, &format!("{at}[{i}]"))),
        Value::Object(m) => m.iter().for_each(|(k, x)| assert_no_nulls(x, &format!("{at}.{k}"))),
        _ => {}
    }
}

impl TestServer {
    /// A Codeup client with the bootstrap admin's token.
    pub fn admin_token(&self) -> CodeupClient {
        CodeupClient::new(&self.base_url, self.bootstrap["personalAccessToken"].as_str())
    }

    /// The bootstrap organization's id.
    pub fn organization_id(&self) -> String {
        self.bootstrap["organizationId"].as_str().unwrap().to_string()
    }

    /// Creates a user (organization member) with a token of the given scopes ("" = all).
    pub async fn token_user(&self, name: &str, scopes: &str) -> (String, CodeupClient) {
        let u = self.state.identities().create_user(name, None).await.expect("create user");
        let scopes = codeport_core::values::TokenScopes::parse(scopes).expect("scopes");
        let t = self.state.identities().create_token(name, None, &scopes).await.expect("create token");
        (u.id, CodeupClient::new(&self.base_url, Some(t.token.expose())))
    }
}
