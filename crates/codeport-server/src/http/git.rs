//! Git smart HTTP, compatible with `git http-backend`: `GET {repo}[.git]/info/refs?service=…`,
//! `POST {repo}[.git]/git-upload-pack` and `POST {repo}[.git]/git-receive-pack`. Requests are
//! routed here from the router's fallback; request and response bodies are streamed to and
//! from git, never buffered whole. Authentication is HTTP Basic with a personal access token
//! as the password (any user name), or the `x-yunxiao-token` header.

use crate::http::request_id;
use crate::services::repositories::{Need, RepoAccess};
use crate::services::RequestFacts;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use codeport_core::actions::Operation;
use codeport_core::error::AuthFailure;
use codeport_core::Error;
use codeport_git::smart_http::{self, Service};
use codeport_git::GitError;
use futures_util::stream::{self, StreamExt};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use std::io;
use tokio_util::io::StreamReader;

/// Which git endpoint a path addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    /// `…/info/refs` (discovery).
    InfoRefs,
    /// `…/git-upload-pack` or `…/git-receive-pack` (the RPC).
    Rpc(Service),
}

/// A request for a repository's git endpoint: the repository's full path (decoded, no
/// `.git`) and the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GitRoute {
    full_path: String,
    endpoint: Endpoint,
}

/// Recognizes a git smart-HTTP URL path (still percent-encoded, as received).
fn parse_route(raw_path: &str) -> Option<GitRoute> {
    let (prefix, endpoint) = if let Some(p) = raw_path.strip_suffix("/info/refs") {
        (p, Endpoint::InfoRefs)
    } else if let Some(p) = raw_path.strip_suffix("/git-upload-pack") {
        (p, Endpoint::Rpc(Service::UploadPack))
    } else if let Some(p) = raw_path.strip_suffix("/git-receive-pack") {
        (p, Endpoint::Rpc(Service::ReceivePack))
    } else {
        return None;
    };
    let decoded = percent_encoding::percent_decode_str(prefix).decode_utf8().ok()?;
    let trimmed = decoded.trim_start_matches('/');
    let full_path = trimmed.strip_suffix(".git").unwrap_or(trimmed).trim_end_matches('/');
    // ORG/…/repo: at least two non-empty segments, no traversal.
    let segments: Vec<&str> = full_path.split('/').collect();
    if segments.len() < 2 || segments.iter().any(|s| s.is_empty() || *s == "." || *s == "..") {
        return None;
    }
    Some(GitRoute { full_path: full_path.to_string(), endpoint })
}

/// Handles the request when its path is a git endpoint; gives it back otherwise.
pub async fn dispatch(state: AppState, req: Request) -> Result<Response, Request> {
    if req.uri().path().starts_with("/oapi/") {
        return Err(req);
    }
    let Some(route) = parse_route(req.uri().path()) else {
        return Err(req);
    };
    Ok(handle(state, route, req).await)
}

async fn handle(state: AppState, route: GitRoute, req: Request) -> Response {
    match (route.endpoint, req.method()) {
        (Endpoint::InfoRefs, &Method::GET | &Method::HEAD) => info_refs(state, &route.full_path, req).await,
        (Endpoint::Rpc(service), &Method::POST) => rpc(state, &route.full_path, service, req).await,
        (Endpoint::InfoRefs, _) => method_not_allowed("GET"),
        (Endpoint::Rpc(_), _) => method_not_allowed("POST"),
    }
}

/// The first `service` parameter of a query string, form-decoded.
fn service_param(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == "service").then(|| percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned())
    })
}

async fn info_refs(state: AppState, full_path: &str, req: Request) -> Response {
    let Some(name) = service_param(req.uri().query()) else {
        return plain(StatusCode::FORBIDDEN, "The dumb HTTP protocol is not supported; use a git client that speaks the smart protocol.");
    };
    let Some(service) = Service::parse(&name) else {
        return plain(StatusCode::FORBIDDEN, "Unsupported service.");
    };
    let access = match authorize(&state, req.headers(), crate::http::request_facts(req.extensions(), req.headers(), &state), full_path, service).await
    {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let protocol = git_protocol(req.headers());
    match smart_http::advertise(&access.git, service, protocol.as_deref()).await {
        Ok(body) => git_response(service.advertisement_content_type(), Body::from_stream(body)),
        Err(e) => git_failure(e, service, "advertise"),
    }
}

async fn rpc(state: AppState, full_path: &str, service: Service, req: Request) -> Response {
    let access = match authorize(&state, req.headers(), crate::http::request_facts(req.extensions(), req.headers(), &state), full_path, service).await
    {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case(service.request_content_type()) {
        return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, &format!("Expected Content-Type {}.", service.request_content_type()));
    }
    let gzip = match req.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase()) {
        None => false,
        Some(e) if e.is_empty() || e == "identity" => false,
        Some(e) if e == "gzip" || e == "x-gzip" => true,
        Some(_) => return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported Content-Encoding."),
    };
    let protocol = git_protocol(req.headers());
    let body = StreamReader::new(req.into_body().into_data_stream().map(|r| r.map_err(io::Error::other)));
    let request_id = request_id::current();

    // A push holds the repository's shared lock until git exits, so a concurrent deletion
    // waits for it (and a repository deleted meanwhile is not found below).
    let guard = match service {
        Service::ReceivePack => Some(state.repo_locks.shared(access.repo.id).await),
        Service::UploadPack => None,
    };
    let out = match smart_http::rpc(&access.git, service, protocol.as_deref(), body, gzip).await {
        Ok(out) => out,
        Err(e) => return git_failure(e, service, "rpc"),
    };
    let completion = out.completion;
    let repository = access.repo.id;
    // Runs on its own, whether or not the client stays: waits for git to exit, then records
    // the push. The response ends only after it, so a client reading the repository right
    // after its push sees the new default branch and activity.
    let finished = tokio::spawn(async move {
        let exit = completion.wait().await;
        if !exit.success {
            tracing::warn!(request_id = %request_id, repository, service = service.name(), code = ?exit.code, killed = exit.killed, stdin_error = ?exit.stdin_error, stderr = %exit.stderr.trim(), "git exited unsuccessfully");
        } else if service == Service::ReceivePack {
            if let Err(e) = state.repositories().repository_changed(&access).await {
                tracing::error!(request_id = %request_id, repository, error = %detail(&e), "cannot record a push");
            }
        }
        drop(guard);
    });
    let tail = stream::once(async move {
        let _ = finished.await;
    })
    .filter_map(|()| async { None::<io::Result<Bytes>> });
    git_response(service.result_content_type(), Body::from_stream(out.stdout.chain(tail)))
}

/// Authenticates the caller and checks their access for `service`; the error is the
/// finished response.
async fn authorize(state: &AppState, headers: &HeaderMap, facts: RequestFacts, full_path: &str, service: Service) -> Result<RepoAccess, Response> {
    let Some(token) = credentials(headers) else {
        return Err(challenge("Authentication required: use a personal access token as the password."));
    };
    let need = match service {
        Service::UploadPack => Need::Read,
        Service::ReceivePack => Need::Write,
    };
    if token.starts_with(crate::services::checkout::CREDENTIAL_PREFIX) {
        return state.checkout().git_checkout_access(&token, full_path, need, facts).await.map_err(error_response);
    }
    // Git's "route" is its service: fetching is GetRepositoryContent, pushing PushRepository.
    let operation = match service {
        Service::UploadPack => Operation::GetRepositoryContent,
        Service::ReceivePack => Operation::PushRepository,
    };
    let caller = state.platform().authenticate_token(Some(&token), operation, facts).await.map_err(error_response)?;
    state.repositories().git_repository(&caller, full_path, need).await.map_err(error_response)
}

/// The token from `Authorization: Basic` (the password, or the user name when the password
/// is empty), `Authorization: Bearer`, or `x-yunxiao-token`.
fn credentials(headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let auth = auth.trim();
        let (scheme, rest) = auth.split_once(' ').unwrap_or((auth, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (user, password) = text.split_once(':').unwrap_or((text.as_str(), ""));
            let token = if password.is_empty() { user } else { password };
            return Some(token.to_string()).filter(|t| !t.is_empty());
        }
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(rest.trim().to_string()).filter(|t| !t.is_empty());
        }
    }
    headers.get("x-yunxiao-token").and_then(|v| v.to_str().ok()).map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// The `Git-Protocol` header, handed to git (which only accepts a safe character set).
fn git_protocol(headers: &HeaderMap) -> Option<String> {
    headers.get("git-protocol").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Maps a domain error to the status git clients understand.
fn error_response(e: Error) -> Response {
    match e {
        Error::Auth(AuthFailure::MissingToken) => challenge("Authentication required: use a personal access token as the password."),
        Error::Auth(f @ (AuthFailure::InvalidToken | AuthFailure::ExpiredToken)) => challenge(&format!("Authentication failed: {}", f.message())),
        Error::Auth(f) => plain(StatusCode::FORBIDDEN, f.message()),
        Error::NotFound { .. } => plain(StatusCode::NOT_FOUND, "Repository not found."),
        // A RAM denial reads "RAM policy denies codeup:PushRepository on acs:codeup:… (implicit deny)".
        Error::Forbidden { .. } | Error::AccessDenied(_) | Error::InvalidOperation { .. } => plain(StatusCode::FORBIDDEN, &e.to_string()),
        Error::TooManyRequests { retry_after_ms } => {
            let mut resp = plain(StatusCode::TOO_MANY_REQUESTS, &e.to_string());
            if let Ok(v) = HeaderValue::from_str(&retry_after_ms.div_ceil(1000).max(1).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Error::PayloadTooLarge { .. } => plain(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string()),
        Error::Internal { ref detail } => {
            tracing::error!(request_id = %request_id::current(), error = %detail, "git request failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
        }
        other => plain(StatusCode::BAD_REQUEST, &other.to_string()),
    }
}

fn detail(e: &Error) -> String {
    match e {
        Error::Internal { detail } => detail.clone(),
        other => other.to_string(),
    }
}

/// git could not be started: the repository's data is gone (deleted meanwhile) or
/// something is broken on the server.
fn git_failure(e: GitError, service: Service, stage: &str) -> Response {
    if let GitError::NotFound { .. } = e {
        return plain(StatusCode::NOT_FOUND, "Repository not found.");
    }
    tracing::error!(request_id = %request_id::current(), service = service.name(), stage, error = %e, "cannot run git");
    plain(StatusCode::INTERNAL_SERVER_ERROR, "An internal error occurred; see the server log for request details.")
}

fn no_cache(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, max-age=0, must-revalidate"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::EXPIRES, HeaderValue::from_static("Fri, 01 Jan 1980 00:00:00 GMT"));
}

fn git_response(content_type: &'static str, body: Body) -> Response {
    let mut resp = Response::new(body);
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    no_cache(resp.headers_mut());
    resp
}

fn plain(status: StatusCode, message: &str) -> Response {
    let mut resp = Response::new(Body::from(format!("{message}\n")));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    no_cache(resp.headers_mut());
    resp
}

fn challenge(message: &str) -> Response {
    let mut resp = plain(StatusCode::UNAUTHORIZED, message);
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"codeport\""));
    resp
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.");
    resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_recognized() {
        let r = parse_route("/org1/grp/demo.git/info/refs").unwrap();
        assert_eq!((r.full_path.as_str(), r.endpoint), ("org1/grp/demo", Endpoint::InfoRefs));
        let r = parse_route("/org1/demo/git-upload-pack").unwrap();
        assert_eq!((r.full_path.as_str(), r.endpoint), ("org1/demo", Endpoint::Rpc(Service::UploadPack)));
        let r = parse_route("/org1/my%2Drepo.git/git-receive-pack").unwrap();
        assert_eq!((r.full_path.as_str(), r.endpoint), ("org1/my-repo", Endpoint::Rpc(Service::ReceivePack)));
        assert!(parse_route("/demo.git/info/refs").is_none());
        assert!(parse_route("/org/../x/info/refs").is_none());
        assert!(parse_route("/org/x/info").is_none());
        assert!(parse_route("/api/v1/workspaces").is_none());
    }

    #[test]
    fn credentials_come_from_basic_or_header() {
        let mut h = HeaderMap::new();
        assert_eq!(credentials(&h), None);
        h.insert("x-yunxiao-token", HeaderValue::from_static("pt-abc"));
        assert_eq!(credentials(&h).as_deref(), Some("pt-abc"));
        let basic = base64::engine::general_purpose::STANDARD.encode("anyone:pt-xyz");
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {basic}")).unwrap());
        assert_eq!(credentials(&h).as_deref(), Some("pt-xyz"));
    }

    #[tokio::test]
    async fn ram_denial_is_403_plain_text_naming_the_action() {
        let e = Error::access_denied(codeport_core::error::AccessDenied {
            action: "codeup:PushRepository".into(),
            resource: "acs:codeup:cn-hangzhou:ORG1:repository/ORG1/demo".into(),
            principal_id: "u-42".into(),
            principal_name: "alice".into(),
            account_id: "ORG1".into(),
            explicit: true,
        });
        let (parts, body) = error_response(e).into_parts();
        assert_eq!(parts.status, StatusCode::FORBIDDEN);
        assert_eq!(parts.headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert!(parts.headers.get(header::WWW_AUTHENTICATE).is_none());
        let text = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        assert_eq!(&text[..], b"RAM policy denies codeup:PushRepository on acs:codeup:cn-hangzhou:ORG1:repository/ORG1/demo (explicit deny)\n");
    }

    #[test]
    fn service_is_read_from_the_query() {
        assert_eq!(service_param(Some("service=git-upload-pack")).as_deref(), Some("git-upload-pack"));
        assert_eq!(service_param(Some("a=b&service=git%2Dreceive-pack")).as_deref(), Some("git-receive-pack"));
        assert_eq!(service_param(Some("a=b")), None);
        assert_eq!(service_param(None), None);
    }
}
