//! Request ids: made once per request, kept in a task-local so that every response body and
//! error can carry it, returned in `x-acs-request-id`, and recorded in the request's log line.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use codeport_core::ids;
use http::HeaderValue;
use std::time::Instant;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The current request's id ("" outside a request).
pub fn current() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// Assigns the id, runs the request inside its scope, sets the header and logs one line.
pub async fn middleware(req: Request, next: Next) -> Response {
    let id = ids::new_request_id();
    let method = req.method().clone();
    // A Uri clone shares its bytes: no allocation on the hot path.
    let uri = req.uri().clone();
    let started = Instant::now();
    // A panic is a bug; the caller still gets a well-formed 500 (the SDK cannot parse a dropped connection).
    let run = std::panic::AssertUnwindSafe(REQUEST_ID.scope(id.clone(), next.run(req)));
    let mut resp = match futures_util::FutureExt::catch_unwind(run).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::error!(request_id = %id, %method, path = uri.path(), "handler panicked");
            REQUEST_ID.scope(id.clone(), async { crate::http::error_response(uri.path(), codeport_core::Error::internal("handler panicked")) }).await
        }
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        // PAI clients read x-acs-request-id; Codeup documents x-request-id.
        resp.headers_mut().insert("x-request-id", v.clone());
        resp.headers_mut().insert("x-acs-request-id", v);
    }
    let status = resp.status().as_u16();
    let latency_us = started.elapsed().as_micros() as u64;
    if status >= 500 {
        tracing::warn!(request_id = %id, %method, path = uri.path(), status, latency_us, "request");
    } else {
        tracing::info!(request_id = %id, %method, path = uri.path(), status, latency_us, "request");
    }
    resp
}
