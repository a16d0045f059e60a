//! The faces of the server and the error shape each one documents.
//!
//! Every path belongs to exactly one face. [`Face::of`] is the only place that decides which; the
//! overlaps (the column API and CuteMarkets both live under `/v1/options`, the Alpaca surface
//! under `/v1/paper`) are settled here.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::problem::{Problem, ProblemKind};
use super::request_id::RequestId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    /// CuteMarkets `/v1` market data and paper trading, Polygon-style `/v2` `/v3` aliases, and
    /// the server's own documents. JSON envelope with `request_id`.
    CuteMarkets,
    /// The PublicOptions-style column API. `{error, message, details}`.
    Column,
    /// The session simulator (`/auth`, `/user`, `/market-data`, `/simulations`, ...). Plain-text
    /// errors.
    Simulator,
    /// The Alpaca-compatible paper surface under `/v1/paper/accounts/{id}/v2`. `{code, message}`.
    Alpaca,
}

/// First path segments owned by the simulator face.
const SIMULATOR_ROOTS: &[&str] = &[
    "auth",
    "user",
    "market-data",
    "simulations",
    "live",
    "strategies",
    "portfolios",
    "health",
    "__ws",
];

impl Face {
    pub fn of(path: &str) -> Face {
        let mut segments = path.trim_start_matches('/').split('/');
        let first = segments.next().unwrap_or("");
        if SIMULATOR_ROOTS.contains(&first) {
            return Face::Simulator;
        }
        if first != "v1" {
            return Face::CuteMarkets;
        }
        let rest: Vec<&str> = segments.collect();
        match rest.as_slice() {
            ["paper", "accounts", _, "v2", ..] => Face::Alpaca,
            ["options", "health" | "chain" | "trades"] => Face::Column,
            ["options", "quote", ..] => Face::Column,
            _ => Face::CuteMarkets,
        }
    }

    /// The face's wire code for a problem.
    fn code(self, problem: &Problem) -> &'static str {
        if let Some(code) = problem.code {
            return code;
        }
        match (self, problem.kind) {
            (Face::Column, ProblemKind::BadRequest) => "invalid_parameters",
            (Face::Column, ProblemKind::MethodNotAllowed) => "method_not_allowed",
            (Face::Column, ProblemKind::RateLimited) => "rate_limited",
            (Face::Column, ProblemKind::QuotaExceeded) => "quota_exceeded",
            (Face::Column, ProblemKind::PayloadTooLarge | ProblemKind::UnsupportedMediaType) => {
                "invalid_parameters"
            }
            // CuteMarkets documents one code for every 400-class input problem.
            (
                _,
                ProblemKind::BadRequest
                | ProblemKind::MethodNotAllowed
                | ProblemKind::PayloadTooLarge
                | ProblemKind::UnsupportedMediaType,
            ) => "bad_request",
            (_, ProblemKind::InvalidPageToken) => "invalid_page_token",
            (_, ProblemKind::Unauthorized) => "unauthorized",
            (_, ProblemKind::Forbidden) => "forbidden",
            (_, ProblemKind::PlanUpgradeRequired) => "plan_upgrade_required",
            (_, ProblemKind::LookbackExceeded) => "lookback_exceeded",
            (_, ProblemKind::NotFound) => "not_found",
            (_, ProblemKind::Gone) => "gone",
            (_, ProblemKind::Conflict) => "conflict",
            (_, ProblemKind::Unprocessable) => "unprocessable",
            (_, ProblemKind::IdempotencyConflict) => "idempotency_conflict",
            (_, ProblemKind::RateLimited | ProblemKind::QuotaExceeded) => "rate_limit_exceeded",
            (_, ProblemKind::Internal) => "internal_error",
            (_, ProblemKind::Unavailable) => "service_unavailable",
        }
    }

    /// The body and content type of `problem` in this face's shape.
    fn error_body(self, problem: &Problem, request_id: &RequestId) -> (&'static str, Vec<u8>) {
        const JSON: &str = "application/json";
        match self {
            Face::CuteMarkets => {
                let body = json!({
                    "status": "ERROR",
                    "request_id": request_id.as_str(),
                    "error": { "code": self.code(problem), "message": problem.message },
                });
                (JSON, body.to_string().into_bytes())
            }
            Face::Column => {
                let mut body = json!({ "error": self.code(problem), "message": problem.message });
                if !problem.field_errors.is_empty() {
                    let mut fields = serde_json::Map::new();
                    for (name, message) in &problem.field_errors {
                        let entry = fields.entry(name.clone()).or_insert_with(|| json!([]));
                        if let Some(list) = entry.as_array_mut() {
                            list.push(json!(message));
                        }
                    }
                    body["details"] = json!({ "fieldErrors": fields });
                }
                (
                    "application/json; charset=utf-8",
                    body.to_string().into_bytes(),
                )
            }
            Face::Simulator => (
                "text/plain; charset=utf-8",
                problem.message.clone().into_bytes(),
            ),
            Face::Alpaca => {
                let body = json!({ "code": alpaca_code(problem), "message": problem.message });
                (JSON, body.to_string().into_bytes())
            }
        }
    }

    /// Renders a problem-tagged response in this face's error shape; other responses pass through.
    pub fn render(self, request_id: &RequestId, mut response: Response) -> Response {
        let Some(problem) = response.extensions_mut().remove::<Problem>() else {
            return response;
        };
        let (content_type, body) = self.error_body(&problem, request_id);
        let (mut parts, _) = response.into_parts();
        parts.status = problem.status();
        parts
            .headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        parts.headers.remove(header::CONTENT_LENGTH);
        if let Some(seconds) = problem.retry_after {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        parts.extensions.insert(RenderedProblem(problem));
        Response::from_parts(parts, Body::from(body))
    }
}

/// Alpaca's integer code of a problem: a numeric face code is Alpaca's own (`40010001`);
/// otherwise the status followed by `10000` (`42210000`), the pattern Alpaca's codes follow.
pub fn alpaca_code(problem: &Problem) -> u32 {
    problem
        .code
        .and_then(|code| code.parse::<u32>().ok())
        .unwrap_or(u32::from(problem.status().as_u16()) * 100_000 + 10_000)
}

/// A problem that has been rendered, left on the response for the access log.
#[derive(Clone, Debug)]
pub struct RenderedProblem(pub Problem);

/// Classifies the request's face, then renders any problem the inner layers report.
pub async fn render_problems(mut req: Request, next: Next) -> Response {
    let face = Face::of(req.uri().path());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_default();
    req.extensions_mut().insert(face);
    let response = next.run(req).await;
    face.render(&request_id, response)
}

/// Answers a request no route matched.
pub async fn no_route(req: Request) -> Problem {
    Problem::not_found(format!("no route for {}", req.uri().path()))
}

/// Answers a known path asked with a method it does not support.
pub async fn wrong_method(req: Request) -> Problem {
    Problem::new(
        ProblemKind::MethodNotAllowed,
        format!(
            "method {} is not allowed on {}",
            req.method(),
            req.uri().path()
        ),
    )
}

/// Turns a panic into a 500 in the face's shape instead of a dropped connection.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    let mut response =
        Problem::internal(format_args!("handler panicked: {detail}")).into_response();
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_has_one_face() {
        let cases = [
            ("/v1/status", Face::CuteMarkets),
            ("/v1/options/chain/SPY", Face::CuteMarkets),
            ("/v1/options/chain", Face::Column),
            ("/v1/options/health", Face::Column),
            ("/v1/options/quote/eod", Face::Column),
            ("/v1/options/quotes/O:SPY260619P00450000", Face::CuteMarkets),
            ("/v1/options/trades", Face::Column),
            ("/v1/options/trades/O:SPY260619P00450000", Face::CuteMarkets),
            ("/v1/paper/accounts", Face::CuteMarkets),
            ("/v1/paper/accounts/6f1e/v2/orders", Face::Alpaca),
            ("/v1/paper/accounts/6f1e/v2", Face::Alpaca),
            (
                "/v2/aggs/ticker/SPY/range/1/day/2025-01-01/2025-01-31",
                Face::CuteMarkets,
            ),
            ("/auth/check-email", Face::Simulator),
            ("/user", Face::Simulator),
            ("/health", Face::Simulator),
            ("/healthz", Face::CuteMarkets),
            ("/market-data/sessions", Face::Simulator),
            ("/", Face::CuteMarkets),
            ("/openapi.json", Face::CuteMarkets),
        ];
        for (path, face) in cases {
            assert_eq!(Face::of(path), face, "{path}");
        }
    }

    #[test]
    fn problems_render_in_each_face_shape() {
        let id = RequestId::new();
        let problem = Problem::invalid_parameter("exp", "exp must be YYYYMMDD");
        let body = |face: Face| {
            let (content_type, bytes) = face.error_body(&problem, &id);
            (content_type, String::from_utf8(bytes).unwrap())
        };
        let (_, cm) = body(Face::CuteMarkets);
        let cm: serde_json::Value = serde_json::from_str(&cm).unwrap();
        assert_eq!(cm["status"], "ERROR");
        assert_eq!(cm["request_id"], id.as_str());
        assert_eq!(cm["error"]["code"], "bad_request");
        let (_, column) = body(Face::Column);
        let column: serde_json::Value = serde_json::from_str(&column).unwrap();
        assert_eq!(column["error"], "invalid_parameters");
        assert_eq!(
            column["details"]["fieldErrors"]["exp"][0],
            "exp must be YYYYMMDD"
        );
        let (content_type, text) = body(Face::Simulator);
        assert_eq!(
            (content_type, text.as_str()),
            ("text/plain; charset=utf-8", "exp must be YYYYMMDD")
        );
        let (_, alpaca) = body(Face::Alpaca);
        let alpaca: serde_json::Value = serde_json::from_str(&alpaca).unwrap();
        assert_eq!(alpaca["code"], 40010000);
        // A native code keeps the status's Alpaca code; a numeric one replaces it.
        let native = Problem::bad_request("x").with_code("invalid_symbol");
        let (_, bytes) = Face::Alpaca.error_body(&native, &id);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["code"],
            40010000
        );
        let own = Problem::bad_request("x").with_code("40010001");
        let (_, bytes) = Face::Alpaca.error_body(&own, &id);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["code"],
            40010001
        );
    }
}
