//! The credit bucket: 10,000 credits per user, draining over 24 hours, charged by market-data
//! endpoints in proportion to the data they return.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

use crate::limits::{Reading, Rule};
use crate::state::AppState;

pub const CAPACITY: u64 = 10_000;
pub const POLICY: &str = "credits";

/// Credits per snapshot a range request returns (§4.2).
pub const PER_SNAPSHOT: u64 = 5;

/// What a successful response really costs, when that is less than was charged up front: the
/// range endpoint is charged its maximum before it runs and reports here what it returned, and
/// the gate refunds the difference. One mechanism, so a full bucket refuses a range request
/// before any work is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled(pub u64);

pub fn rules() -> [Rule; 1] {
    [Rule::Bucket {
        capacity: CAPACITY,
        drain: Duration::from_secs(24 * 60 * 60),
    }]
}

/// Credits a request costs, or `None` when the route is not metered. Authentication, accounts,
/// simulations, orders, positions and transactions are free.
pub fn cost(method: &Method, path: &str) -> Option<u64> {
    if method != Method::GET {
        return None;
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["market-data", "strikes", _] => Some(5),
        ["market-data", "historical", _] => Some(10),
        ["market-data", "option-chain-snapshots", _] => Some(10),
        // Five per snapshot returned, at most 30 per call: the maximum up front, settled by the
        // endpoint's `Settled` report.
        ["market-data", "option-chain-snapshots", _, _] => Some(PER_SNAPSHOT * 30),
        ["strategies", _, "results", "days", _] => Some(10),
        _ => None,
    }
}

/// Where the user stands: the single reading of the bucket.
pub fn standing(state: &AppState, user: uuid::Uuid) -> Reading {
    state
        .meter
        .peek((POLICY, user.to_string()), &rules(), state.now())
        .readings[0]
}

/// `X-RateLimit-Used` and `X-RateLimit-Limit`, on every authenticated simulator response.
pub fn headers(reading: &Reading) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-ratelimit-used"),
        HeaderValue::from(reading.used),
    );
    headers.insert(
        HeaderName::from_static("x-ratelimit-limit"),
        HeaderValue::from(CAPACITY),
    );
    headers
}

/// The documented JSON 429 for an exhausted bucket.
pub fn exhausted(reading: &Reading, retry_after: u64) -> Response {
    let body = json!({
        "error": "rate_limit_exceeded",
        "retry_after_seconds": retry_after,
        "credits_used": reading.used,
        "credits_cap": CAPACITY,
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_costs() {
        assert_eq!(
            cost(&Method::GET, "/market-data/strikes/2025-01-15"),
            Some(5)
        );
        assert_eq!(
            cost(&Method::GET, "/market-data/historical/2025-01-15"),
            Some(10)
        );
        assert_eq!(
            cost(
                &Method::GET,
                "/market-data/option-chain-snapshots/2025-01-15T14:35:00"
            ),
            Some(10)
        );
        // The most a range may return, settled afterwards by what it did.
        assert_eq!(
            cost(
                &Method::GET,
                "/market-data/option-chain-snapshots/2025-01-15T14:35:00/2025-01-15T14:35:29"
            ),
            Some(150)
        );
        assert_eq!(cost(&Method::GET, "/market-data/sessions"), None);
        assert_eq!(
            cost(&Method::GET, "/market-data/average-expected-move"),
            None
        );
        assert_eq!(
            cost(&Method::GET, "/strategies/abc/results/days/2025-01-15"),
            Some(10)
        );
        assert_eq!(cost(&Method::POST, "/simulations"), None);
        assert_eq!(cost(&Method::GET, "/user"), None);
    }
}
