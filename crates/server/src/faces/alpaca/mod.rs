//! The Alpaca-compatible paper surface under `/v1/paper/accounts/{account_id}/v2`. This issue's
//! slice: its authentication and its `{code, message}` errors; the endpoints arrive with paper
//! trading.

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::Product;

use crate::auth;
use crate::http::Problem;
use crate::state::AppState;

/// The paper key of an Alpaca-style request: `Authorization: Bearer <key>` (alpaca-py with
/// `oauth_token`) or `APCA-API-KEY-ID` (alpaca-py with `api_key`; the secret is ignored).
fn presented_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    if let Some(token) = auth::bearer(headers)? {
        return Ok(Some(token));
    }
    match headers.get("apca-api-key-id") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(|v| Some(v.trim().to_string()))
            .map_err(|_| Problem::unauthorized("APCA-API-KEY-ID must be visible ASCII")),
    }
}

pub async fn gate(state: AppState, mut req: Request, next: Next) -> Response {
    let key = match presented_key(req.headers()) {
        Ok(presented) => match auth::authenticate(&state, presented).await {
            Ok(key) => key,
            Err(problem) => return problem.into_response(),
        },
        Err(problem) => return problem.into_response(),
    };
    if key.product != Product::Paper {
        let mut response = Problem::forbidden(format!(
            "this surface needs a paper trading key; this is a {} key",
            key.product
        ))
        .into_response();
        response.extensions_mut().insert(auth::actor(&key));
        return response;
    }
    req.extensions_mut().insert(key.clone());
    let mut response = next.run(req).await;
    response.extensions_mut().insert(auth::actor(&key));
    response
}
