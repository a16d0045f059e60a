//! The history endpoints (trades, quotes) of one contract or stock: their query (time filters,
//! order, limit), and a page of rows from the tape (`Tape::page`) with its `next_url`.

use model::Timestamp;
use store::keys::ApiKey;
use tape::Record;

use axum::response::Response;
use serde_json::Value;

use super::access::check_lookback;
use super::envelope;
use super::paging::Paging;
use super::query::{Params, instant_range, instants};
use super::subject::Subject;
use crate::http::{Problem, RequestId};
use crate::state::AppState;

/// What a history endpoint's query asks for.
pub struct HistoryQuery {
    /// Instants `[from, to)`.
    pub range: (Timestamp, Timestamp),
    pub descending: bool,
    pub limit: usize,
}

/// The query of a history endpoint, for the API document (requests are read by
/// [`HistoryQuery::of`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// A day, an instant, or a range with .gte/.gt/.lte/.lt
    pub timestamp: Option<String>,
    /// timestamp
    pub sort: Option<String>,
    /// desc (default) or asc
    pub order: Option<String>,
    /// Rows per page, default 1000, at most 10000
    pub limit: Option<u32>,
    /// The page token of a next_url
    pub page: Option<String>,
}

/// Rows per page by default and at most.
const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

impl HistoryQuery {
    /// `timestamp` conditions (a `YYYY-MM-DD` New York day, RFC 3339, or digits read by
    /// magnitude; exact or `.gte` / `.gt` / `.lte` / `.lt`), checked against the plan's
    /// lookback and cut at `visible` (the latest instant the caller may see); `sort` (only
    /// `timestamp`), `order` (newest first by default) and `limit` (default 1000, at most
    /// 10000).
    pub fn of(
        state: &AppState,
        key: &ApiKey,
        params: &Params,
        visible: Timestamp,
    ) -> Result<HistoryQuery, Problem> {
        let range = time_range(state, key, params, visible)?;
        params.choice("sort", &["timestamp"])?;
        let descending = params.choice("order", &["desc", "asc"])? == "desc";
        let limit = params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
        Ok(HistoryQuery {
            range,
            descending,
            limit,
        })
    }
}

/// The instants `[from, to)` a query's `timestamp` conditions leave, each checked against the
/// plan's lookback, and cut at `visible` (the latest instant the caller may see).
pub fn time_range(
    state: &AppState,
    key: &ApiKey,
    params: &Params,
    visible: Timestamp,
) -> Result<(Timestamp, Timestamp), Problem> {
    let times = params.conditions(
        "timestamp",
        "a date (YYYY-MM-DD), an RFC 3339 time or a number",
        instants,
    )?;
    let now = state.market_now();
    for condition in &times {
        let day = model::calendar::new_york_date(condition.value.0);
        check_lookback(state, key, now, "timestamp", day)?;
    }
    let (from, to) = instant_range(&times);
    Ok((
        from,
        to.min(Timestamp::from_nanos(visible.as_nanos().saturating_add(1))),
    ))
}

/// A history endpoint's answer for the query `paging` holds: this page's rows as `row` writes
/// them, and `next_url` while more remain. `visible` says, from the query, the latest instant the
/// caller may see.
pub fn respond<R: Record>(
    state: &AppState,
    request_id: &RequestId,
    key: &ApiKey,
    paging: Paging,
    subject: &Subject,
    visible: impl FnOnce(&Params) -> Result<Timestamp, Problem>,
    row: impl Fn(&R) -> Value,
) -> Result<Response, Problem> {
    let visible = visible(&paging.params)?;
    let query = HistoryQuery::of(state, key, &paging.params, visible)?;
    let (rows, total) = state.tape.page::<R>(
        &subject.underlying,
        subject.instrument(),
        query.range,
        query.descending,
        paging.offset,
        query.limit,
    )?;
    let results: Vec<Value> = rows.iter().map(row).collect();
    let end = paging.offset.saturating_add(rows.len());
    Ok(envelope::page(
        request_id,
        results,
        paging.next_url(state, end, total),
    ))
}
