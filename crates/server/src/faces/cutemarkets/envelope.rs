//! The CuteMarkets success envelope: `{"status": "OK", "request_id": ..., "results": ...}`.

use axum::Json;
use serde::Serialize;
use serde_json::{Value, json};

use crate::http::RequestId;

/// A success body with `results` (an array for lists, an object for single resources).
pub fn ok<T: Serialize>(request_id: &RequestId, results: T) -> Json<Value> {
    Json(json!({ "status": "OK", "request_id": request_id.as_str(), "results": results }))
}
