//! The HTTP edge: one module per wire family, plus health and request ids. Handlers are
//! thin: parse the wire request into a domain command, call a service, render the result.

pub mod codeup;
pub mod git;
pub mod pai;
pub mod params;
pub mod request_id;

use crate::services::{Call, Principal, RequestFacts};
use crate::state::AppState;
use axum::routing::{get, MethodFilter, MethodRouter};
use axum::Router;
use codeport_core::actions::Operation;
use std::sync::Arc;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .merge(operation_routes())
        .merge(crate::console::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(request_id::middleware))
        .with_state(state)
}

/// Every catalog operation served over HTTP, each at its catalog method and path with its
/// handler ([`handler_of`]).
fn operation_routes() -> Router<AppState> {
    Operation::ALL.iter().fold(Router::new(), |r, &op| {
        let Some(method) = method_filter(op) else { return r };
        match handler_of(op, method) {
            Some(handler) => route_operation(r, op, handler),
            None => r,
        }
    })
}

/// The handler of each operation of the catalog. The match is exhaustive, so an operation
/// added to the catalog without a handler does not compile; `None` only for git's, which
/// the git edge serves by service name.
fn handler_of(op: Operation, m: MethodFilter) -> Option<MethodRouter<AppState>> {
    use Operation::*;
    fn on<H: axum::handler::Handler<T, AppState>, T: 'static>(m: MethodFilter, h: H) -> Option<MethodRouter<AppState>> {
        Some(axum::routing::on(m, h))
    }
    match op {
        CreateWorkspace => on(m, pai::create_workspace),
        ListWorkspaces => on(m, pai::list_workspaces),
        GetWorkspace => on(m, pai::get_workspace),
        UpdateWorkspace => on(m, pai::update_workspace),
        DeleteWorkspace => on(m, pai::delete_workspace),
        GetDefaultWorkspace => on(m, pai::get_default_workspace),
        CreateMember => on(m, pai::create_member),
        ListMembers => on(m, pai::list_members),
        DeleteMembers => on(m, pai::delete_members),
        GetMember => on(m, pai::get_member),
        AddMemberRole => on(m, pai::add_member_role),
        RemoveMemberRole => on(m, pai::remove_member_role),
        CreateCodeSource => on(m, pai::create_code_source),
        ListCodeSources => on(m, pai::list_code_sources),
        GetCodeSource => on(m, pai::get_code_source),
        UpdateCodeSource => on(m, pai::update_code_source),
        DeleteCodeSource => on(m, pai::delete_code_source),
        PublishCodeSource => on(m, pai::publish_code_source),
        GetCodeSourceCheckoutCredential => on(m, pai::get_checkout_credential),
        GetCurrentUser => on(m, codeup::current_user),
        ListOrganizations => on(m, codeup::user_organizations),
        ListOrganizationMembers => on(m, codeup::list_members),
        GetOrganizationMember => on(m, codeup::get_member),
        GetOrganizationMemberByUserId => on(m, codeup::read_member_by_user),
        SearchOrganizationMembers => on(m, codeup::search_members),
        CreateGroup => on(m, codeup::create_group),
        UpdateGroup => on(m, codeup::update_group),
        DeleteGroup => on(m, codeup::delete_group),
        ListGroupMembers => on(m, codeup::list_group_members),
        CreateGroupMember => on(m, codeup::add_group_members),
        UpdateGroupMember => on(m, codeup::update_group_member),
        DeleteGroupMember => on(m, codeup::remove_group_member),
        ListNamespaces => on(m, codeup::list_namespaces),
        GetNamespace => on(m, codeup::get_namespace),
        ListRepositories => on(m, codeup::repositories::list_repositories),
        CreateRepository => on(m, codeup::repositories::create_repository),
        GetRepository => on(m, codeup::repositories::get_repository),
        UpdateRepository => on(m, codeup::repositories::update_repository),
        DeleteRepository => on(m, codeup::repositories::delete_repository),
        ListGroupRepositories => on(m, codeup::repositories::list_group_repositories),
        ListBranches => on(m, codeup::repositories::list_branches),
        CreateBranch => on(m, codeup::repositories::create_branch),
        GetBranch => on(m, codeup::repositories::get_branch),
        DeleteBranch => on(m, codeup::repositories::delete_branch),
        ListTags => on(m, codeup::repositories::list_tags),
        CreateTag => on(m, codeup::repositories::create_tag),
        GetTag => on(m, codeup::repositories::get_tag),
        DeleteTag => on(m, codeup::repositories::delete_tag),
        CreateFile => on(m, codeup::repositories::create_file),
        ListFiles => on(m, codeup::repositories::list_files),
        GetFileBlobs => on(m, codeup::repositories::get_file),
        UpdateFile => on(m, codeup::repositories::update_file),
        DeleteFile => on(m, codeup::repositories::delete_file),
        ListCommits => on(m, codeup::repositories::list_commits),
        GetCommit => on(m, codeup::repositories::get_commit),
        GetCompare => on(m, codeup::repositories::compare),
        GetRepositoryContent | PushRepository => None,
    }
}

/// The HTTP method of a catalog operation (None for git's, which have none).
fn method_filter(op: Operation) -> Option<MethodFilter> {
    Some(match op.spec().method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        _ => return None,
    })
}

/// Registers a catalog operation's handler at the path the action catalog gives it, under
/// each base of its mount (a colon verb also under its `%3A` spelling, as clients encode
/// it), and attaches the operation to every request of the route: the extractors hand it to
/// the services in the [`Call`](crate::services::Call), which authorize exactly its action.
/// The catalog is the single list of operations: routing, authorization, the policy parser
/// and `codeport admin actions` all read it.
fn route_operation(mut r: Router<AppState>, operation: Operation, handler: MethodRouter<AppState>) -> Router<AppState> {
    let spec = operation.spec();
    for base in spec.mount.bases() {
        let path = format!("{base}{}", spec.path);
        let method_router = || handler.clone().layer(axum::Extension(operation));
        if path.contains(':') {
            r = r.route(&path.replace(':', "%3A"), method_router());
        }
        r = r.route(&path, method_router());
    }
    r
}

/// The [`Call`] of an authenticated request: the operation its route attached (see
/// [`route_operation`]) and the facts RAM conditions read, taken from the request itself: the
/// connection's peer address (never a forwarded-for header), the User-Agent, and whether the
/// configured external URL is https.
pub fn call_of(parts: &http::request::Parts, state: &AppState, principal: Arc<Principal>) -> Result<Call, codeport_core::Error> {
    Ok(Call { principal, operation: operation_of(parts)?, facts: request_facts(&parts.extensions, &parts.headers, state) })
}

/// The catalog operation the request's route attached (see [`route_operation`]).
pub fn operation_of(parts: &http::request::Parts) -> Result<Operation, codeport_core::Error> {
    parts
        .extensions
        .get::<Operation>()
        .copied()
        .ok_or_else(|| codeport_core::Error::internal(format!("no catalog operation is attached to the route of {}", parts.uri.path())))
}

/// The facts of a request that RAM conditions read.
pub fn request_facts(extensions: &http::Extensions, headers: &http::HeaderMap, state: &AppState) -> RequestFacts {
    RequestFacts {
        source_ip: extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip()),
        user_agent: headers.get(http::header::USER_AGENT).cloned(),
        secure_transport: state.config.external_url.starts_with("https://"),
    }
}

/// A JSON response with the given content type (each wire family names its own).
pub fn json_with_type<T: serde::Serialize>(body: &T, content_type: &'static str) -> axum::response::Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = axum::response::Response::new(axum::body::Body::from(bytes));
    resp.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    resp
}

/// Paths no route matched: git smart HTTP (`{repo}[.git]/info/refs`, `…/git-upload-pack`,
/// `…/git-receive-pack`), else the error format of the family their prefix belongs to.
async fn unknown_route(axum::extract::State(state): axum::extract::State<AppState>, req: axum::extract::Request) -> axum::response::Response {
    let req = match git::dispatch(state.clone(), req).await {
        Ok(resp) => return resp,
        Err(req) => req,
    };
    if crate::console::owns_path(req.uri().path()) && matches!(*req.method(), http::Method::GET | http::Method::HEAD | http::Method::POST) {
        let started = std::time::Instant::now();
        let mut resp = crate::console::codeup::serve(state, req).await;
        crate::console::layout::add_security_headers(&mut resp, started);
        return resp;
    }
    error_response(req.uri().path(), codeport_core::Error::UnknownOperation)
}

/// A known path with the wrong method (axum adds the `Allow` header).
async fn method_not_allowed(uri: http::Uri) -> axum::response::Response {
    error_response(uri.path(), codeport_core::Error::MethodNotAllowed)
}

/// An error raised outside any handler (no route, wrong method, a panic), in the error body
/// of the family the path belongs to: `/oapi/` is Codeup's, everything else PAI's (git
/// clients read only the status).
pub fn error_response(path: &str, e: codeport_core::Error) -> axum::response::Response {
    use axum::response::IntoResponse;
    if path.starts_with("/oapi/") {
        codeup::wire::CodeupError(e).into_response()
    } else {
        pai::wire::PaiError(e).into_response()
    }
}

/// Readiness: answered only once the store is open and migrated (the router exists only then).
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

#[cfg(test)]
mod tests {
    use super::error_response;
    use codeport_core::Error;

    async fn body_of(path: &str, e: Error) -> (u16, serde_json::Value) {
        let resp = error_response(path, e);
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    /// Errors raised outside a handler (a panic, no route) take the body of the path's
    /// family: the official Codeup client cannot read PAI's, nor the PAI SDK Codeup's.
    #[tokio::test]
    async fn errors_outside_handlers_answer_in_the_family_of_the_path() {
        let (status, body) = body_of("/oapi/v1/codeup/repositories", Error::internal("handler panicked")).await;
        assert_eq!(status, 500);
        assert_eq!(body["errorCode"], "InternalServerError");
        assert!(body.get("Code").is_none());
        let (status, body) = body_of("/api/v1/codesources", Error::internal("handler panicked")).await;
        assert_eq!(status, 500);
        assert_eq!(body["Code"], "InternalError");
        assert!(body.get("errorCode").is_none());
        let (status, body) = body_of("/oapi/v1/x", Error::UnknownOperation).await;
        assert_eq!((status, body["errorCode"].as_str()), (404, Some("NotFound")));
    }
}
