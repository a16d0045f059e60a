//! The CuteMarkets success envelope: `{"status": "OK", "request_id": ..., "results": ...}`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::http::RequestId;

/// A decimal on the wire: a JSON integer when whole (`5950`), otherwise a number (`592.5`).
pub fn number(value: rust_decimal::Decimal) -> serde_json::Number {
    let value = value.normalize();
    i64::try_from(value)
        .ok()
        .filter(|_| value.fract().is_zero())
        .map(serde_json::Number::from)
        .or_else(|| serde_json::Number::from_f64(value.try_into().unwrap_or(0.0)))
        .unwrap_or_else(|| serde_json::Number::from(0))
}

/// A price in nanodollars on the wire, in dollars: a JSON integer when whole, otherwise the
/// shortest number that reads back as the same double. Prices below a million dollars have at
/// most 15 significant digits, so that number is the price's exact decimal text; this path
/// skips `Decimal` because a chain snapshot writes a few thousand prices.
pub fn dollars(px: tape::Px) -> serde_json::Number {
    const SCALE: i64 = tape::PRICE_SCALE;
    if px % SCALE == 0 {
        return serde_json::Number::from(px / SCALE);
    }
    if px.unsigned_abs() < 1_000_000 * SCALE as u64
        && let Some(n) = serde_json::Number::from_f64(px as f64 / SCALE as f64)
    {
        return n;
    }
    number(tape::records::px_to_decimal(px))
}

/// [`dollars`] as a JSON value.
pub fn price(px: tape::Px) -> Value {
    Value::Number(dollars(px))
}

/// A size or volume in millionths on the wire, in units (contracts or shares).
pub fn size(millionths: u64) -> rust_decimal::Decimal {
    rust_decimal::Decimal::new(i64::try_from(millionths).unwrap_or(i64::MAX), 6).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The wire text of a price is its exact decimal value.
        #[test]
        fn prices_are_written_exactly(px in -2_000_000_000_000_000i64..2_000_000_000_000_000) {
            let text = dollars(px).to_string();
            // Tiny prices come out in exponent form (1e-9), which JSON allows.
            let read = text
                .parse::<rust_decimal::Decimal>()
                .or_else(|_| rust_decimal::Decimal::from_scientific(&text))
                .unwrap();
            prop_assert_eq!(read, tape::records::px_to_decimal(px), "{}", text);
        }
    }

    #[test]
    fn whole_prices_are_integers() {
        assert_eq!(dollars(5_950_000_000_000).to_string(), "5950");
        assert_eq!(dollars(592_500_000_000).to_string(), "592.5");
        assert_eq!(dollars(1).to_string(), "1e-9");
        assert_eq!(dollars(-50_000_000).to_string(), "-0.05");
    }
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
