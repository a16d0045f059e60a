//! The column envelope, `{"header": {"latency_ms", "format"}, "response": [[...], ...]}`.
//!
//! Rows are tuples, so they serialize straight to JSON arrays in `format`'s order without an
//! intermediate JSON tree; an empty result is `[]` with the full `format`.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::time::Instant;

use crate::http::Problem;

#[derive(Serialize)]
struct Header<'a> {
    latency_ms: u64,
    format: &'a [&'a str],
}

#[derive(Serialize)]
struct Envelope<'a, R> {
    header: Header<'a>,
    response: &'a [R],
}

/// The envelope of `rows`, timed from `started`.
pub fn respond<R: Serialize>(started: Instant, format: &[&str], rows: &[R]) -> Response {
    let envelope = Envelope {
        header: Header {
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            format,
        },
        response: rows,
    };
    match serde_json::to_vec(&envelope) {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            body,
        )
            .into_response(),
        Err(error) => Problem::internal(format_args!("serializing a column response: {error}"))
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_result_keeps_its_format() {
        let rows: [(u32, u32); 0] = [];
        let response = respond(Instant::now(), &["a", "b"], &rows);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/json; charset=utf-8"
        );
        let body: serde_json::Value = serde_json::from_str(&futures_body(response)).unwrap();
        assert_eq!(body["header"]["format"], serde_json::json!(["a", "b"]));
        assert!(body["header"]["latency_ms"].is_u64());
        assert_eq!(body["response"], serde_json::json!([]));
    }

    fn futures_body(response: Response) -> String {
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
