//! The Alpaca-compatible paper surface under `/v1/paper/accounts/{account_id}/v2`
//! (paper-trading spec §12): what alpaca-py's `TradingClient` asks for, given with
//! `url_override` set to the account's path. A thin mapping of shapes over native paper trading:
//! the same submission pipeline, store and marks, scoped to the account's current generation;
//! errors in Alpaca's `{code, message}` with its status-prefixed integer codes.

pub mod account;
pub mod clock;
pub mod history;
pub mod orders;
pub mod positions;
pub mod wire;

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use model::Product;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth;
use crate::http::Problem;
use crate::state::AppState;

/// The `/v2` routes under an account's path.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account::account))
        .routes(routes!(
            account::configurations,
            account::set_configurations
        ))
        .routes(routes!(history::portfolio_history))
        .routes(routes!(orders::list, orders::submit, orders::cancel_all))
        .routes(routes!(orders::get, orders::cancel, orders::replace))
        .routes(routes!(orders::by_client_order_id))
        .routes(routes!(positions::list, positions::close_all))
        .routes(routes!(positions::get, positions::close))
        .routes(routes!(positions::exercise))
        .routes(routes!(clock::clock))
        .routes(routes!(clock::calendar))
}

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
