//! The HTTP edge: one module per wire family, plus health and request ids. Handlers are
//! thin: parse the wire request into a domain command, call a service, render the result.

pub mod codeup;
pub mod git;
pub mod pai;
pub mod request_id;

use crate::services::{Call, Principal, RequestFacts};
use crate::state::AppState;
use axum::routing::get;
use axum::Router;
use codeport_core::actions::Operation;
use std::sync::Arc;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .merge(pai::routes())
        .merge(codeup::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(pai::method_not_allowed)
        .layer(axum::middleware::from_fn(request_id::middleware))
        .with_state(state)
}

/// Registers a catalog operation's handler at the method and path the action catalog gives
/// it, under each base of its mount (a colon verb also under its `%3A` spelling, as clients
/// encode it), and attaches the operation to every request of the route: the extractors hand
/// it to the services in the [`Call`](crate::services::Call), which authorize exactly its
/// action. The catalog is the single list of operations: routing, authorization, the policy
/// parser and `codeport admin actions` all read it.
pub fn route_operation<H, T>(r: Router<AppState>, operation: Operation, handler: H) -> Router<AppState>
where
    H: axum::handler::Handler<T, AppState> + Clone,
    T: 'static,
{
    let spec = operation.spec();
    let filter = match spec.method {
        "GET" => axum::routing::MethodFilter::GET,
        "POST" => axum::routing::MethodFilter::POST,
        "PUT" => axum::routing::MethodFilter::PUT,
        "DELETE" => axum::routing::MethodFilter::DELETE,
        other => panic!("{operation}: the catalog's method {other:?} is not served over HTTP"),
    };
    let mut r = r;
    for base in spec.mount.bases() {
        let path = format!("{base}{}", spec.path);
        let method_router = || axum::routing::on(filter, handler.clone()).layer(axum::Extension(operation));
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
    let req = match git::dispatch(state, req).await {
        Ok(resp) => return resp,
        Err(req) => req,
    };
    if req.uri().path().starts_with("/oapi/") {
        codeup::unknown_route().await
    } else {
        pai::unknown_route().await
    }
}

/// Readiness: answered only once the store is open and migrated (the router exists only then).
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}
