//! The CuteMarkets success envelope: `{"status": "OK", "request_id": ..., "results": ...}`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::http::RequestId;

pub use crate::http::numbers::{dollars, number};

/// [`dollars`] as a JSON value.
pub fn price(px: tape::Px) -> Value {
    Value::Number(dollars(px))
}

/// A size or volume in millionths on the wire, in units (contracts or shares).
pub fn size(millionths: u64) -> rust_decimal::Decimal {
    rust_decimal::Decimal::new(i64::try_from(millionths).unwrap_or(i64::MAX), 6).normalize()
}

/// The success envelope, serialized straight from the results (no intermediate JSON tree).
#[derive(Serialize)]
struct Envelope<'a, T> {
    status: &'static str,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<usize>,
    results: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
}

/// A success body with `results` (an array for lists, an object for single resources).
pub fn ok<T: Serialize>(request_id: &RequestId, results: T) -> Response {
    page(request_id, results, None)
}

/// A page of a list: `results`, and `next_url` only while another page exists.
pub fn page<T: Serialize>(
    request_id: &RequestId,
    results: T,
    next_url: Option<String>,
) -> Response {
    Json(Envelope {
        status: "OK",
        request_id: request_id.as_str(),
        count: None,
        results,
        next_url,
    })
    .into_response()
}

/// A whole list with its `count` (the lists that are never paged).
pub fn counted<T: Serialize>(request_id: &RequestId, results: &[T]) -> Response {
    Json(Envelope {
        status: "OK",
        request_id: request_id.as_str(),
        count: Some(results.len()),
        results,
        next_url: None,
    })
    .into_response()
}
