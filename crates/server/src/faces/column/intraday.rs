//! `GET /v1/options/quote/intraday`: the NBBO on a fixed grid of each day.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use jiff::civil::Date;
use std::time::Instant;

use super::contract;
use super::params::{self, ContractParams, GridParams, IdempotencyParams};
use crate::http::Problem;
use crate::http::numbers::Dollars;
use crate::state::AppState;

const FORMAT: [&str; 6] = ["ms_of_day", "bid", "ask", "bid_size", "ask_size", "date"];

/// 09:30 New York, in milliseconds of the day.
const RTH_OPEN_MS: u32 = 34_200_000;
const CLOSE_MS: u32 = 57_600_000;
const EARLY_CLOSE_MS: u32 = 46_800_000;
const LAST_MS_OF_DAY: u32 = 86_399_999;

/// The grid times a day shows: 09:30 through the close (13:00 on early closes) with `rth`, the
/// whole day without.
fn bounds(date: Date, rth: bool) -> (u32, u32) {
    if !rth {
        return (0, LAST_MS_OF_DAY);
    }
    let early = model::calendar::session(date).is_some_and(|s| s.early_close);
    (RTH_OPEN_MS, if early { EARLY_CLOSE_MS } else { CLOSE_MS })
}

/// Quotes of one contract on a time grid
///
/// Grid times are multiples of `ivl` milliseconds after New York midnight. Each row is the last
/// quote at or before its time on that day (never a later one); times before the day's first
/// quote are left out. With `rth=true` (the default) the grid runs from 09:30 through the close,
/// 16:00 or 13:00 on early closes, both included.
#[utoipa::path(
    get,
    path = "/v1/options/quote/intraday",
    tag = "column",
    params(ContractParams, GridParams, IdempotencyParams),
    responses(
        (status = 200, description = "`format` `[ms_of_day, bid, ask, bid_size, ask_size, date]`"),
        (status = 400, description = "`invalid_parameters` with `details.fieldErrors`"),
        (status = 404, description = "`not_found`: the store never held the contract"),
    )
)]
pub async fn intraday(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let started = Instant::now();
    let query = params::intraday(query.as_deref(), state.settings.column.intraday_max_days)?;
    let (ivl, rth) = (query.ivl, query.rth);
    contract::by_day(&state, started, &FORMAT, query.contract, move |day| {
        let date = tape::format::yyyymmdd(day.date());
        let (first, last) = bounds(day.date(), rth);
        Ok(day
            .grid_quotes(ivl, first, last)?
            .into_iter()
            .map(|(ms, quote)| {
                (
                    ms,
                    Dollars(quote.bid),
                    Dollars(quote.ask),
                    quote.bid_size,
                    quote.ask_size,
                    date,
                )
            })
            .collect())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn regular_hours_end_at_the_close_of_the_day() {
        assert_eq!(bounds(date(2025, 1, 15), true), (34_200_000, 57_600_000));
        assert_eq!(bounds(date(2024, 11, 29), true), (34_200_000, 46_800_000));
        assert_eq!(bounds(date(2024, 11, 29), false), (0, 86_399_999));
    }
}
