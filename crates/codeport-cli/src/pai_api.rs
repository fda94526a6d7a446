//! The signed PAI API client behind the shell commands (`codeport codesource`, `codeport
//! workspace`, `codeport checkout`): endpoint and AccessKey from flags or the environment,
//! every request signed with ACS3-HMAC-SHA256 by [`codeport_core::acs3::RequestSigner`] (the
//! same code the tests sign with), PAI's error body turned into an [`ApiError`], and the one
//! table of exit statuses every client command shares ([`ExitKind`]).
//!
//! The transport half ([`EndpointArgs`], [`HttpEndpoint`]: where the server is, timeouts,
//! network failures, reading an error body) is shared with the Codeup client
//! (`codeport repo`, codeup_commands.rs), so both families reach a server the same way.
//!
//! The AccessKey secret is only ever the HMAC key: it is held in a redacting [`Secret`] and
//! never printed, logged or put into an error message.

use clap::Args;
use codeport_core::acs3;
use codeport_core::secret::Secret;
use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// How long to wait for the TCP connection: a server that does not answer within this is
/// down or unreachable, and a script should learn it quickly (exit 6).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole request, body included: PAI calls are small, so a minute means a stuck server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// What `codeport serve` listens on by default, so a local setup needs no endpoint at all.
const DEFAULT_ENDPOINT: &str = "127.0.0.1:8080";
/// The `user-agent` every client command sends (PAI signs it, as the SDK signs its own).
pub const USER_AGENT: &str = concat!("codeport-cli/", env!("CARGO_PKG_VERSION"));
/// The longest piece of a non-JSON error body quoted in a message.
const BODY_EXCERPT_CHARS: usize = 200;

/// Where the server is (`--endpoint` / `CODEPORT_ENDPOINT`): the one setting every client
/// command shares, whichever API family it speaks.
#[derive(Args, Clone, Default)]
pub struct EndpointArgs {
    /// The codeport server: `host:port` or `http://host:port` [default: 127.0.0.1:8080].
    #[arg(long, env = "CODEPORT_ENDPOINT", value_name = "URL", global = true, display_order = 100)]
    endpoint: Option<String>,
}

/// The flags (and environment variables) shared by every PAI client command: where the
/// server is and which AccessKey signs. The credential variables are the official SDKs' own,
/// so an environment set up for them works unchanged. They are listed after each command's
/// own flags in `--help`. `Debug` is deliberately not derived: it would print the secret.
#[derive(Args, Clone)]
pub struct ApiArgs {
    #[command(flatten)]
    endpoint: EndpointArgs,
    /// The AccessKey id that signs the requests.
    #[arg(long, env = "ALIBABA_CLOUD_ACCESS_KEY_ID", value_name = "ID", global = true, display_order = 101)]
    access_key_id: Option<String>,
    /// The AccessKey secret. Prefer the environment variable: a flag is visible to other
    /// users in `ps`.
    #[arg(long, env = "ALIBABA_CLOUD_ACCESS_KEY_SECRET", value_name = "SECRET", hide_env_values = true, global = true, display_order = 102)]
    access_key_secret: Option<String>,
}

/// One codeport server as a client reaches it: a connection pool with the client's
/// timeouts, and the address. It turns transport failures and error bodies into
/// [`ApiError`]s the same way for every API family; the families differ only in where their
/// error body keeps its fields ([`ErrorFields`]).
pub struct HttpEndpoint {
    http: reqwest::Client,
    /// `http://host[:port]`, no trailing slash.
    base_url: String,
    /// The `host` header as sent (and, for PAI, signed).
    host: String,
}

/// The field names of one API family's error body.
pub struct ErrorFields {
    /// The machine-readable code.
    pub code: &'static str,
    /// The human-readable message.
    pub message: &'static str,
    /// The request id.
    pub request_id: &'static str,
}

/// PAI's error body: `{"RequestId","Code","Message","HostId"}`.
pub const PAI_ERRORS: ErrorFields = ErrorFields { code: "Code", message: "Message", request_id: "RequestId" };

/// A successful answer: the JSON body, and the headers (Codeup pages through `x-total`...).
pub struct Answer {
    /// The parsed body.
    pub body: Value,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
}

/// A client of one codeport server, signing as one AccessKey. It holds the connection pool,
/// so one `PaiApi` serves every call a command makes.
pub struct PaiApi {
    endpoint: HttpEndpoint,
    access_key_id: String,
    secret: Secret,
}

/// Why a call failed: PAI's error body (`Code`, `Message`, `RequestId`) when the server
/// answered, or a network failure when it did not. Its text never contains the secret.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status; `None` when no HTTP answer arrived (connection refused, timeout, DNS).
    pub status: Option<u16>,
    /// PAI's machine-readable code (`CodeSourceNotFound`, `SignatureDoesNotMatch`, ...), or
    /// the client's own (`NetworkError`, `Timeout`, `HttpError`, `InvalidResponse`).
    pub code: String,
    /// The human-readable message.
    pub message: String,
    /// The server's request id, to find the request in its log.
    pub request_id: Option<String>,
}

impl ApiError {
    /// The exit status this error ends a command with (see [`ExitKind`]).
    /// PAI's codes first where they say more than the status (an authentication code may
    /// come with 404, NoPermission with 400), the status otherwise.
    pub fn exit_kind(&self) -> ExitKind {
        let by_status = ExitKind::for_status(self.status);
        match by_status {
            ExitKind::Network | ExitKind::Authentication => by_status,
            _ if is_authentication_code(&self.code) => ExitKind::Authentication,
            ExitKind::NoPermission => by_status,
            _ if self.code == "NoPermission" => ExitKind::NoPermission,
            ExitKind::NotFound => by_status,
            _ if self.code == "CodeRepoNotFound" => ExitKind::NotFound,
            _ => by_status,
        }
    }

    fn network(code: &str, message: String) -> ApiError {
        ApiError { status: None, code: code.to_string(), message, request_id: None }
    }
}

/// Codes that mean "the credentials were not accepted": a wrong or disabled AccessKey, a
/// signature made with another secret, an unsigned or malformed request, a clock too far off
/// to sign (IllegalTimestamp), and the code source's repository refusing its credentials
/// (CodeRepoAuthenticationFailed, what checkout meets). Some of these come with 400, 403 or
/// even 404 (InvalidAccessKeyId.NotFound), so the code decides before the status.
fn is_authentication_code(code: &str) -> bool {
    code.starts_with("InvalidAccessKeyId")
        || matches!(
            code,
            "SignatureDoesNotMatch"
                | "IncompleteSignature"
                | "MissingAuthorization"
                | "InvalidAuthorization"
                | "UnsupportedCredentialType"
                | "IllegalTimestamp"
                | "CodeRepoAuthenticationFailed"
        )
}

impl fmt::Display for ApiError {
    /// One line: `Code: Message (RequestId ...)`; control characters from the server are
    /// escaped so an error can neither span lines nor drive the terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", one_line(&self.code), one_line(&self.message))?;
        if let Some(id) = &self.request_id {
            write!(f, " (RequestId {})", one_line(id))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Escapes control characters (newlines, terminal escape sequences) in text that came from
/// the server or the user, so that what is printed is one line of plain text.
pub fn one_line(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// The exit statuses of every client command (codesource, workspace, checkout, repo), fixed
/// so scripts can branch on them. 2 is also what clap exits with on a usage error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// 1: anything not listed below (invalid parameter, conflict, server error...).
    Other,
    /// 2: the command line or a required setting is wrong or missing.
    Usage,
    /// 3: the workspace or code source does not exist (HTTP 404), or is not visible to you;
    /// also a code source whose hosted repository is gone (CodeRepoNotFound).
    NotFound,
    /// 4: signed correctly, but not allowed (HTTP 403, Code NoPermission).
    NoPermission,
    /// 5: the credentials were refused (InvalidAccessKeyId.*, SignatureDoesNotMatch, HTTP 401
    /// ...), or the repository refused its credentials (CodeRepoAuthenticationFailed, or git
    /// during checkout).
    Authentication,
    /// 6: no HTTP answer: connection refused, DNS failure, timeout.
    Network,
    /// 7: checkout: the branch, tag or commit does not exist in the repository.
    RefNotFound,
    /// 8: checkout: the target directory was refused (exists and is not empty, ...).
    TargetRefused,
}

impl ExitKind {
    /// What an HTTP status alone says: no answer is 6, 401 is 5, 403 is 4, 404 is 3, and
    /// anything else 1. Codeup errors are judged by this alone (their codes are not PAI's);
    /// PAI's refine it by code ([`ApiError::exit_kind`]).
    pub fn for_status(status: Option<u16>) -> ExitKind {
        match status {
            None => ExitKind::Network,
            Some(401) => ExitKind::Authentication,
            Some(403) => ExitKind::NoPermission,
            Some(404) => ExitKind::NotFound,
            Some(_) => ExitKind::Other,
        }
    }

    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Other => 1,
            ExitKind::Usage => 2,
            ExitKind::NotFound => 3,
            ExitKind::NoPermission => 4,
            ExitKind::Authentication => 5,
            ExitKind::Network => 6,
            ExitKind::RefNotFound => 7,
            ExitKind::TargetRefused => 8,
        }
    }
}

/// A command's failure: the one line printed after `error: ` and the exit status. Every
/// client command returns it, so `main` prints and exits the same way for all of them.
#[derive(Debug)]
pub struct CommandError {
    /// Which exit status.
    pub kind: ExitKind,
    /// The message (one line, no secret).
    pub message: String,
}

impl CommandError {
    /// An error of a given kind.
    pub fn new(kind: ExitKind, message: impl Into<String>) -> CommandError {
        CommandError { kind, message: message.into() }
    }
}

impl CommandError {
    /// A failed Codeup call: its exit status comes from the HTTP status alone
    /// ([`ExitKind::for_status`]), since Codeup's error codes (`Unauthorized`, `Forbidden`,
    /// `NotFound` ...) are not PAI's and must not be read as such.
    pub fn codeup(e: ApiError) -> CommandError {
        CommandError { kind: ExitKind::for_status(e.status), message: e.to_string() }
    }
}

impl From<ApiError> for CommandError {
    fn from(e: ApiError) -> Self {
        CommandError { kind: e.exit_kind(), message: e.to_string() }
    }
}

impl From<String> for CommandError {
    /// A plain message is exit status 1 (what `serve` and `admin` have always returned).
    fn from(message: String) -> Self {
        CommandError { kind: ExitKind::Other, message }
    }
}

/// Parses `host:port`, `http://host:port` or `https://...` into the base URL and the `host`
/// header. Only the server's root is accepted: the signature covers the path as the server
/// sees it, so a path prefix (a proxy sub-path) would never verify.
fn parse_endpoint(raw: &str) -> Result<(String, String), String> {
    let raw = raw.trim();
    let with_scheme = if raw.contains("://") { raw.to_string() } else { format!("http://{raw}") };
    let bad = |why: &str| format!("invalid endpoint {raw:?} (--endpoint or CODEPORT_ENDPOINT): {why}; expected host:port or http://host:port");
    let url = url::Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    match url.scheme() {
        "http" => {}
        "https" => return Err(bad("this build speaks plain http only (no TLS support compiled in)")),
        other => return Err(bad(&format!("unsupported scheme {other:?}"))),
    }
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("no host"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("only the server's root is supported (no path, query or fragment)"));
    }
    let authority = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    Ok((format!("http://{authority}"), authority))
}

/// A setting that must be there and not be empty.
fn required(value: &Option<String>, what: &str, how: &str) -> Result<String, String> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(format!("missing {what}: {how}")),
    }
}

impl HttpEndpoint {
    /// The server named by `--endpoint` / `CODEPORT_ENDPOINT` (default 127.0.0.1:8080), with
    /// the client's timeouts. The error names the flag and the variable.
    pub fn new(args: &EndpointArgs) -> Result<HttpEndpoint, String> {
        let (base_url, host) = parse_endpoint(args.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT))?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(HttpEndpoint { http, base_url, host })
    }

    /// The `host` header value (`host[:port]`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// A request to `path` (already encoded) with an already encoded query.
    pub fn request(&self, method: reqwest::Method, path: &str, raw_query: &str) -> reqwest::RequestBuilder {
        let url = if raw_query.is_empty() { format!("{}{path}", self.base_url) } else { format!("{}{path}?{raw_query}", self.base_url) };
        self.http.request(method, url)
    }

    /// Sends the request and reads the answer: the JSON body on a 2xx, else an [`ApiError`]
    /// from the family's error body (`fields`), or from the status and an excerpt of a body
    /// that is not one. A 2xx without JSON means the endpoint is not a codeport server.
    pub async fn exchange(&self, request: reqwest::RequestBuilder, fields: &ErrorFields) -> Result<Answer, ApiError> {
        let response = request.send().await.map_err(|e| self.network_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let header_request_id = headers.get("x-acs-request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
        let text = response.text().await.map_err(|e| self.network_error(&e))?;
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        if status.is_success() {
            return match parsed {
                Some(body) => Ok(Answer { body, headers }),
                None => Err(ApiError {
                    status: Some(status.as_u16()),
                    code: "InvalidResponse".into(),
                    message: format!("{} answered HTTP {status} with a body that is not JSON; is this a codeport endpoint?", self.base_url),
                    request_id: header_request_id,
                }),
            };
        }
        let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        Err(ApiError {
            status: Some(status.as_u16()),
            code: field(fields.code).unwrap_or_else(|| "HttpError".into()),
            message: field(fields.message).unwrap_or_else(|| {
                let excerpt: String = text.chars().take(BODY_EXCERPT_CHARS).collect();
                if excerpt.trim().is_empty() {
                    format!("HTTP {status} from {}", self.base_url)
                } else {
                    format!("HTTP {status} from {}: {}", self.base_url, excerpt.trim())
                }
            }),
            request_id: field(fields.request_id).or(header_request_id),
        })
    }

    /// A transport failure in words: what failed, with the underlying cause (connection
    /// refused, timed out ...). reqwest's errors name the URL, which holds no secret.
    fn network_error(&self, e: &reqwest::Error) -> ApiError {
        let mut cause = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        if e.is_timeout() {
            let message = if e.is_connect() {
                format!("{} did not accept a connection within {}s", self.base_url, CONNECT_TIMEOUT.as_secs())
            } else {
                format!("{} did not answer within {}s", self.base_url, REQUEST_TIMEOUT.as_secs())
            };
            return ApiError::network("Timeout", message);
        }
        let what = if e.is_connect() { "cannot connect to" } else { "request failed to" };
        let message = if cause.is_empty() { format!("{what} {}", self.base_url) } else { format!("{what} {}: {cause}", self.base_url) };
        ApiError::network("NetworkError", message)
    }
}

impl PaiApi {
    /// A client from the command's flags and environment. The error names the missing or
    /// invalid flag and variable (never a secret's value).
    pub fn new(args: &ApiArgs) -> Result<PaiApi, String> {
        let endpoint = HttpEndpoint::new(&args.endpoint)?;
        let access_key_id = required(&args.access_key_id, "AccessKey id", "set ALIBABA_CLOUD_ACCESS_KEY_ID or pass --access-key-id")?;
        let secret = Secret::new(required(
            &args.access_key_secret,
            "AccessKey secret",
            "set ALIBABA_CLOUD_ACCESS_KEY_SECRET (or pass --access-key-secret, which other users can see in ps)",
        )?);
        Ok(PaiApi { endpoint, access_key_id, secret })
    }

    /// Signs and sends one PAI request; the parsed JSON body on success. `path` is sent and
    /// signed as given, so encode user-supplied segments with `acs3::encode_str`; `query` is
    /// form-encoded as the SDK sends it; `action` is the operation name (`GetCodeSource`).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        action: &str,
    ) -> Result<Value, ApiError> {
        let body = match body {
            Some(v) => Some(serde_json::to_vec(v).map_err(|e| ApiError {
                status: None,
                code: "InvalidRequest".into(),
                message: format!("cannot encode the request body: {e}"),
                request_id: None,
            })?),
            None => None,
        };
        let raw_query = acs3::form_encode(query);
        let nonce = acs3::to_hex(&rand::random::<[u8; 16]>());
        let headers = acs3::RequestSigner {
            method: method.as_str(),
            host: self.endpoint.host(),
            path,
            raw_query: &raw_query,
            body: body.as_deref(),
            action,
            access_key_id: &self.access_key_id,
            secret: self.secret.expose(),
            user_agent: USER_AGENT,
            now: time::OffsetDateTime::now_utc(),
            nonce: &nonce,
        }
        .headers();
        let mut request = self.endpoint.request(method, path, &raw_query);
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(b) = body {
            request = request.body(b);
        }
        Ok(self.endpoint.exchange(request, &PAI_ERRORS).await?.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: Option<u16>, code: &str) -> ApiError {
        ApiError { status, code: code.into(), message: "m".into(), request_id: None }
    }

    #[test]
    fn exit_kinds_follow_the_documented_table() {
        assert_eq!(err(None, "NetworkError").exit_kind().code(), 6);
        assert_eq!(err(Some(404), "CodeSourceNotFound").exit_kind().code(), 3);
        assert_eq!(err(Some(404), "InvalidAccessKeyId.NotFound").exit_kind().code(), 5, "the code decides before the status");
        assert_eq!(err(Some(403), "InvalidAccessKeyId.Inactive").exit_kind().code(), 5);
        assert_eq!(err(Some(400), "SignatureDoesNotMatch").exit_kind().code(), 5);
        assert_eq!(err(Some(401), "Whatever").exit_kind().code(), 5);
        assert_eq!(err(Some(403), "NoPermission").exit_kind().code(), 4);
        assert_eq!(err(Some(400), "NoPermission").exit_kind().code(), 4);
        assert_eq!(err(Some(403), "Forbidden.InvalidUser.UserNotInCurrentOrganization").exit_kind().code(), 4);
        assert_eq!(err(Some(400), "CodeRepoAuthenticationFailed").exit_kind().code(), 5);
        assert_eq!(err(Some(400), "CodeRepoNotFound").exit_kind().code(), 3);
        assert_eq!(err(Some(400), "InvalidParameter").exit_kind().code(), 1);
        assert_eq!(err(Some(500), "InternalError").exit_kind().code(), 1);
        assert_eq!(err(None, "Timeout").exit_kind(), ExitKind::Network);
        assert_eq!(err(Some(404), "NoPermission").exit_kind().code(), 4, "NoPermission is 4 whatever the status");
        assert_eq!(err(Some(403), "CodeRepoNotFound").exit_kind().code(), 4, "403 decides before CodeRepoNotFound");
    }

    #[test]
    fn codeup_errors_exit_by_their_http_status_alone() {
        let codeup = |status, code| CommandError::codeup(err(status, code)).kind.code();
        assert_eq!(codeup(Some(401), "InvalidTokenError"), 5);
        assert_eq!(codeup(Some(403), "Forbidden"), 4);
        assert_eq!(codeup(Some(404), "NotFound"), 3);
        assert_eq!(codeup(None, "NetworkError"), 6);
        assert_eq!(codeup(Some(409), "Conflict"), 1);
        assert_eq!(codeup(Some(400), "CodeRepoAuthenticationFailed"), 1, "PAI's codes mean nothing on the Codeup wire");
    }

    #[test]
    fn errors_render_on_one_line() {
        let e =
            ApiError { status: Some(400), code: "InvalidParameter".into(), message: "bad\nline\u{1b}[31m".into(), request_id: Some("r-1".into()) };
        assert_eq!(e.to_string(), "InvalidParameter: bad\\nline\\u{1b}[31m (RequestId r-1)");
    }

    #[test]
    fn endpoints_accept_host_port_and_http_urls_only() {
        assert_eq!(parse_endpoint("127.0.0.1:8080").unwrap(), ("http://127.0.0.1:8080".into(), "127.0.0.1:8080".into()));
        assert_eq!(parse_endpoint("http://example.com/").unwrap(), ("http://example.com".into(), "example.com".into()));
        assert_eq!(parse_endpoint("http://[::1]:9").unwrap().1, "[::1]:9");
        for bad in ["https://example.com", "ftp://x", "http://x/api", "http://u:p@x:1", "http://x?a=1", ":8080", ""] {
            let e = parse_endpoint(bad).unwrap_err();
            assert!(e.contains("CODEPORT_ENDPOINT"), "{bad}: {e}");
        }
    }

    #[test]
    fn missing_credentials_name_the_flag_and_the_variable() {
        let args = ApiArgs { endpoint: EndpointArgs::default(), access_key_id: None, access_key_secret: Some("s3cret".into()) };
        let e = PaiApi::new(&args).err().unwrap_or_default();
        assert!(e.contains("--access-key-id") && e.contains("ALIBABA_CLOUD_ACCESS_KEY_ID"), "{e}");
        let args = ApiArgs { endpoint: EndpointArgs::default(), access_key_id: Some("LTAI".into()), access_key_secret: Some("  ".into()) };
        let e = PaiApi::new(&args).err().unwrap_or_default();
        assert!(e.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), "{e}");
    }
}
