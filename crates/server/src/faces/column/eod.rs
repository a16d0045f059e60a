//! `GET /v1/options/quote/eod`: one row per day the store holds the contract.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use std::time::Instant;

use super::contract;
use super::params::{self, ContractParams, IdempotencyParams};
use crate::http::Problem;
use crate::http::numbers::Dollars;
use crate::state::AppState;

const FORMAT: [&str; 8] = [
    "date", "open", "high", "low", "close", "bid", "ask", "volume",
];

/// Daily rows of one contract
///
/// Per day: the session's open, high, low and close (0 on a day without trades), the national
/// best bid and ask at the close (16:00, 13:00 on early closes; 0 without a quote that day) and
/// the volume in contracts. Days the store holds no data for the contract are absent rather than
/// shown as days without trades.
#[utoipa::path(
    get,
    path = "/v1/options/quote/eod",
    tag = "column",
    params(ContractParams, IdempotencyParams),
    responses(
        (status = 200, description = "`format` `[date, open, high, low, close, bid, ask, volume]`"),
        (status = 400, description = "`invalid_parameters` with `details.fieldErrors`"),
        (status = 404, description = "`not_found`: the store never held the contract"),
    )
)]
pub async fn eod(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let started = Instant::now();
    let query = params::contract(query.as_deref(), state.settings.column.eod_max_days)?;
    contract::by_day(&state, started, &FORMAT, query, |day| {
        let summary = day.summary()?.unwrap_or_default();
        let closing = day.closing_quote()?.unwrap_or_default();
        Ok(vec![(
            tape::format::yyyymmdd(day.date()),
            Dollars(summary.open),
            Dollars(summary.high),
            Dollars(summary.low),
            Dollars(summary.close),
            Dollars(closing.bid),
            Dollars(closing.ask),
            summary.volume / tape::SIZE_SCALE,
        )])
    })
    .await
}
