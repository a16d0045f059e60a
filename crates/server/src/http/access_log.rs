//! One log line per request, carrying its request id.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

use super::face::RenderedProblem;
use super::request_id::RequestId;

/// Who made a request, as far as authentication established. Gates put it on the response so the
/// access log can name the caller without ever logging a credential.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: uuid::Uuid,
    /// The key's display form (`cm_options_…1a2b`) or `session`.
    pub credential: String,
}

pub async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    // The path only: query strings may carry `apiKey`.
    let path = req.uri().path().to_string();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_default();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    // Microsecond resolution is plenty for a log line.
    let latency_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    let actor = response.extensions().get::<Actor>();
    let user = actor.map(|a| a.user_id.to_string()).unwrap_or_default();
    let credential = actor.map(|a| a.credential.as_str()).unwrap_or("");
    let problem = response
        .extensions()
        .get::<RenderedProblem>()
        .map(|p| p.0.message.as_str())
        .unwrap_or("");
    if status >= 500 {
        tracing::error!(request_id = %request_id, %method, path, status, latency_ms, user, credential, problem, "request");
    } else {
        tracing::info!(request_id = %request_id, %method, path, status, latency_ms, user, credential, problem, "request");
    }
    response
}
