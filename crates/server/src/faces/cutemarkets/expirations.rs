//! `GET /v1/tickers/expirations/{ticker}/`: the expiration dates listed for an underlying.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::{PathParams, Problem, RequestId};
use crate::state::AppState;

/// Expiration dates
///
/// The dates the underlying's options expire on, ascending, among the contracts listed on the
/// market clock's day (the latest session on or before it) that have not expired. An
/// underlying without options data has none.
#[utoipa::path(
    get,
    path = "/v1/tickers/expirations/{ticker}",
    tag = "reference",
    params(("ticker" = String, Path, description = "Underlying ticker", example = "SPX")),
    responses(
        (status = 200, description = "`ticker` and the dates (YYYY-MM-DD) in `results`"),
        (status = 400, description = "`bad_request`: not a ticker"),
    )
)]
pub async fn expirations(
    State(state): State<AppState>,
    request_id: RequestId,
    PathParams(ticker): PathParams<String>,
) -> Result<Response, Problem> {
    if !model::symbol::is_ticker(&ticker) {
        return Err(Problem::bad_request(format!(
            "ticker {ticker:?} is not an underlying ticker like SPX or BRK.B"
        )));
    }
    let today = model::calendar::new_york_date(state.market_now());
    let mut dates: Vec<_> = state
        .tape
        .listed(&ticker, today, false)?
        .iter()
        .map(|symbol| symbol.expiration)
        .collect();
    dates.sort_unstable();
    dates.dedup();
    let dates: Vec<String> = dates.iter().map(ToString::to_string).collect();
    Ok(Json(json!({
        "status": "OK",
        "request_id": request_id.as_str(),
        "ticker": ticker,
        "results": dates,
    }))
    .into_response())
}
