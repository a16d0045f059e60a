//! `GET /v1/options/trades`: every print of one contract, with ThetaData's codes.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use model::thetadata_codes::{thetadata_condition, thetadata_exchange};
use std::time::Instant;

use super::contract;
use super::params::{self, ContractParams, IdempotencyParams};
use crate::http::Problem;
use crate::http::numbers::Dollars;
use crate::state::AppState;

const FORMAT: [&str; 7] = [
    "ms_of_day",
    "sequence",
    "size",
    "condition",
    "price",
    "exchange",
    "date",
];

/// Trades of one contract
///
/// Every print of each day, ordered by time then sequence. `ms_of_day` is New York time cut to
/// the millisecond (never rounded up); `condition` and `exchange` are ThetaData's numbers (a
/// print without a condition is 0, regular; a code ThetaData lacks is 10000 for a condition and
/// 0 for an exchange). Cancelled prints never enter the store.
#[utoipa::path(
    get,
    path = "/v1/options/trades",
    tag = "column",
    params(ContractParams, IdempotencyParams),
    responses(
        (status = 200, description = "`format` `[ms_of_day, sequence, size, condition, price, exchange, date]`"),
        (status = 400, description = "`invalid_parameters` with `details.fieldErrors`"),
        (status = 404, description = "`not_found`: the store never held the contract"),
    )
)]
pub async fn trades(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let started = Instant::now();
    let query = params::contract(query.as_deref(), state.settings.column.trades_max_days)?;
    contract::by_day(&state, started, &FORMAT, query, |day| {
        let date = tape::format::yyyymmdd(day.date());
        let mut rows: Vec<_> = day
            .trades()?
            .iter()
            .map(|t| {
                (
                    model::calendar::ms_of_day(t.ts),
                    t.sequence,
                    t.whole_size(),
                    thetadata_condition(&t.conditions),
                    Dollars(t.price),
                    thetadata_exchange(t.exchange),
                    date,
                )
            })
            .collect();
        // Time order already; prints of one millisecond go by sequence.
        rows.sort_by_key(|row| (row.0, row.1));
        Ok(rows)
    })
    .await
}
