//! One contract's historical records (trades or quotes) over the recorded sessions: the query
//! of a history endpoint, a page read without decoding the rows before it (each session's count
//! in the time range comes from positions, whole sessions are skipped), and the latest record as
//! of an instant.

use model::Timestamp;
use model::roots::root_info;
use model::symbol::OptionSymbol;
use store::keys::ApiKey;
use tape::{Order, Record};

use axum::Json;
use serde_json::Value;

use super::access::check_lookback;
use super::envelope;
use super::paging::Paging;
use super::query::{Params, instant_range, instants};
use crate::http::{Problem, RequestId};
use crate::state::AppState;

/// What a history endpoint's query asks for.
pub struct HistoryQuery {
    /// Instants `[from, to)`.
    pub range: (Timestamp, Timestamp),
    pub descending: bool,
    pub limit: usize,
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

/// A history endpoint's answer: the request's query (or its page token's), this page's rows as
/// `row` writes them, and `next_url` while more remain. `visible` says, from the query, the latest
/// instant the caller may see.
#[allow(clippy::too_many_arguments)]
pub fn respond<R: Record>(
    state: &AppState,
    request_id: &RequestId,
    key: &ApiKey,
    path: &str,
    pairs: Vec<(String, String)>,
    symbol: &OptionSymbol,
    visible: impl FnOnce(&Params) -> Result<Timestamp, Problem>,
    row: impl Fn(&R) -> Value,
) -> Result<Json<Value>, Problem> {
    let paging = Paging::of_request(state, key, path, pairs)?;
    let visible = visible(&paging.params)?;
    let query = HistoryQuery::of(state, key, &paging.params, visible)?;
    let (rows, total) = page::<R>(
        state,
        symbol,
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

/// The contract's latest record at or before `at`, searched back through the sessions.
pub fn latest<R: Record>(
    state: &AppState,
    symbol: &OptionSymbol,
    at: Timestamp,
) -> Result<Option<R>, Problem> {
    let underlying = root_info(symbol.root.as_str()).underlying;
    let today = model::calendar::new_york_date(at);
    for day in state.tape.sessions(underlying)?.into_iter().rev() {
        if day > today {
            continue;
        }
        let Some(session) = state.tape.session(underlying, day)? else {
            continue;
        };
        if let Some(owner) = session.contract(symbol)
            && let Some(record) = session.at::<R>(owner, at)?
        {
            return Ok(Some(record));
        }
    }
    Ok(None)
}

/// Rows `offset..offset + limit` of `symbol`'s records with `from <= ts < to`, newest first when
/// `descending`, and how many there are in all.
pub fn page<R: Record>(
    state: &AppState,
    symbol: &OptionSymbol,
    (from, to): (Timestamp, Timestamp),
    descending: bool,
    offset: usize,
    limit: usize,
) -> Result<(Vec<R>, usize), Problem> {
    if from >= to {
        return Ok((Vec::new(), 0));
    }
    let underlying = root_info(symbol.root.as_str()).underlying;
    let (first, last) = (
        model::calendar::new_york_date(from),
        model::calendar::new_york_date(Timestamp::from_nanos(to.as_nanos() - 1)),
    );
    // Each session holding the contract in the range, with the positions of its rows there.
    let mut spans = Vec::new();
    for day in state.tape.sessions(underlying)? {
        if day < first || day > last {
            continue;
        }
        let Some(session) = state.tape.session(underlying, day)? else {
            continue;
        };
        if let Some(owner) = session.contract(symbol) {
            let positions = session.positions::<R>(owner, from, to)?;
            if !positions.is_empty() {
                spans.push((session, owner, positions));
            }
        }
    }
    if descending {
        spans.reverse();
    }
    let total: u64 = spans.iter().map(|(_, _, p)| p.end - p.start).sum();
    let mut skip = offset as u64;
    let mut rows = Vec::with_capacity(limit.min(10_000));
    for (session, owner, positions) in spans {
        let count = positions.end - positions.start;
        if skip >= count {
            skip -= count;
            continue;
        }
        let (order, resume) = if descending {
            (Order::Descending, positions.end - skip)
        } else {
            (Order::Ascending, positions.start + skip)
        };
        skip = 0;
        let wanted = limit - rows.len();
        let page = session.range::<R>(owner, from, to, order, Some(resume), wanted)?;
        rows.extend(page.records);
        if rows.len() == limit {
            break;
        }
    }
    Ok((rows, usize::try_from(total).unwrap_or(usize::MAX)))
}
