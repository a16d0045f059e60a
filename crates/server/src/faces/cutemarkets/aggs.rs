//! Bars of options and stocks: `GET /v1/{options,stocks}/aggs/{ticker}/{multiplier}/{timespan}/
//! {from}/{to}/` (a custom range), `.../aggs/{ticker}/prev/` (the previous session's bar) and
//! `.../open-close/{ticker}/{date}/` (one day's open and close). Bars are built from trades in
//! New York time; a span without trades has no bar.

use axum::Extension;
use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use model::Timestamp;
use serde_json::{Map, Value, json};
use store::keys::ApiKey;
use tape::Span;

use super::access::check_lookback;
use super::envelope;
use super::paging::Paging;
use super::query::parse_date;
use super::subject::Subject;
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

/// Output bars per page by default and at most.
const DEFAULT_LIMIT: usize = 5000;
const MAX_LIMIT: usize = 10_000;

/// The span of `multiplier` `timespan`s.
pub fn span(multiplier: &str, timespan: &str) -> Result<Span, Problem> {
    let n: u32 = multiplier.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
        Problem::bad_request(format!(
            "multiplier must be a whole number of at least 1, not {multiplier:?}"
        ))
    })?;
    let seconds = |unit: u64| Span::Seconds(u64::from(n) * unit);
    Ok(match timespan {
        "second" => seconds(1),
        "minute" => seconds(60),
        "hour" => seconds(3_600),
        "day" => Span::Days(n),
        "week" => Span::Weeks(n),
        "month" => Span::Months(n),
        "quarter" => Span::Months(n.saturating_mul(3)),
        "year" => Span::Months(n.saturating_mul(12)),
        other => {
            return Err(Problem::bad_request(format!(
                "timespan must be second, minute, hour, day, week, month, quarter or year, not \
                 {other:?}"
            )));
        }
    })
}

/// A range bound: a date (its New York midnight; `end` takes the next one) or milliseconds.
fn bound(name: &str, text: &str, end: bool) -> Result<(Timestamp, Date), Problem> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = text
            .parse()
            .map_err(|_| Problem::bad_request(format!("{name} {text:?} is out of range")))?;
        let at = Timestamp::from_nanos(ms.saturating_mul(1_000_000));
        let at = if end {
            Timestamp::from_nanos(at.as_nanos().saturating_add(1_000_000))
        } else {
            at
        };
        return Ok((at, model::calendar::new_york_date(at)));
    }
    let day = parse_date(name, text)?;
    let midnight = if end {
        day.tomorrow()
            .map_err(|_| Problem::bad_request(format!("{name} is out of range")))?
    } else {
        day
    };
    Ok((model::calendar::new_york_instant(midnight, 0, 0, 0), day))
}

/// A bar on the wire (CuteMarkets 2.7).
pub fn bar(bar: &tape::Bar, ticker: Option<&str>) -> Value {
    let price = envelope::price;
    let volume = envelope::size(bar.volume);
    let mut out = Map::new();
    if let Some(ticker) = ticker {
        out.insert("T".into(), ticker.into());
    }
    out.insert("o".into(), price(bar.open));
    out.insert("h".into(), price(bar.high));
    out.insert("l".into(), price(bar.low));
    out.insert("c".into(), price(bar.close));
    out.insert("v".into(), Value::Number(envelope::number(volume)));
    out.insert("vw".into(), price(bar.vwap));
    out.insert("t".into(), (bar.start.as_nanos() / 1_000_000).into());
    out.insert("n".into(), bar.transactions.into());
    Value::Object(out)
}

/// The aggregates body: the envelope with the ticker (none for grouped bars), `adjusted` and the
/// counts.
fn aggregates_body(
    request_id: &RequestId,
    ticker: Option<&str>,
    adjusted: bool,
    bars: Vec<Value>,
    next_url: Option<String>,
) -> Json<Value> {
    let count = bars.len();
    let mut body = json!({
        "status": "OK",
        "request_id": request_id.as_str(),
        "adjusted": adjusted,
        "queryCount": count,
        "resultsCount": count,
        "count": count,
        "results": bars,
    });
    if let Some(ticker) = ticker {
        body["ticker"] = Value::String(ticker.to_string());
    }
    if let Some(next_url) = next_url {
        body["next_url"] = Value::String(next_url);
    }
    Json(body)
}

/// Options aggregates, custom range
///
/// Bars of `multiplier` `timespan`s (second, minute, hour, day, week, month, quarter, year) from
/// `from_date` through `to_date` (dates, inclusive, or milliseconds), oldest first unless
/// `sort=desc`, `limit` bars per page (default 5000, at most 10000). An underlying's ticker
/// gives its own bars. Prices are never adjusted: the tape holds no corporate actions.
#[utoipa::path(
    get,
    path = "/v1/options/aggs/{ticker}/{multiplier}/{timespan}/{from_date}/{to_date}",
    tag = "options",
    params(
        ("ticker" = String, Path, description = "Option ticker (O:...) or an underlying's", example = "O:SPXW250115C05950000"),
        ("multiplier" = u32, Path, description = "Bar size in timespans", example = 5),
        ("timespan" = String, Path, description = "second, minute, hour, day, week, month, quarter or year", example = "minute"),
        ("from_date" = String, Path, description = "YYYY-MM-DD or milliseconds", example = "2025-01-15"),
        ("to_date" = String, Path, description = "YYYY-MM-DD (inclusive) or milliseconds", example = "2025-01-15"),
        RangeParams,
    ),
    responses(
        (status = 200, description = "Bars (`o`, `h`, `l`, `c`, `v`, `vw`, `t` in ms, `n`) in `results`"),
        (status = 400, description = "`bad_request` naming the parameter"),
        (status = 403, description = "`lookback_exceeded`: a date older than the plan allows"),
    )
)]
pub async fn range(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams(path): PathParams<RangePath>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::option_or_underlying(&path.0)?;
    range_of(&state, &request_id, &key, uri.path(), subject, path, pairs)
}

/// Stock aggregates, custom range
///
/// Bars of `multiplier` `timespan`s (second, minute, hour, day, week, month, quarter, year) from
/// `from_date` through `to_date` (dates, inclusive, or milliseconds), oldest first unless
/// `sort=desc`, `limit` bars per page (default 5000, at most 10000). Prices are never adjusted:
/// the tape holds no corporate actions.
#[utoipa::path(
    get,
    path = "/v1/stocks/aggs/{ticker}/{multiplier}/{timespan}/{from_date}/{to_date}",
    tag = "stocks",
    params(
        ("ticker" = String, Path, description = "Stock ticker", example = "SPY"),
        ("multiplier" = u32, Path, description = "Bar size in timespans", example = 5),
        ("timespan" = String, Path, description = "second, minute, hour, day, week, month, quarter or year", example = "minute"),
        ("from_date" = String, Path, description = "YYYY-MM-DD or milliseconds", example = "2025-01-15"),
        ("to_date" = String, Path, description = "YYYY-MM-DD (inclusive) or milliseconds", example = "2025-01-15"),
        RangeParams,
    ),
    responses(
        (status = 200, description = "Bars (`o`, `h`, `l`, `c`, `v`, `vw`, `t` in ms, `n`) in `results`"),
        (status = 400, description = "`bad_request` naming the parameter"),
        (status = 403, description = "`lookback_exceeded`: a date older than the plan allows"),
    )
)]
pub async fn stock_range(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams(path): PathParams<RangePath>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::stock(&path.0)?;
    range_of(&state, &request_id, &key, uri.path(), subject, path, pairs)
}

/// The query of a bars range, for the API document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// Accepted; prices are never adjusted
    pub adjusted: Option<bool>,
    /// asc (default) or desc
    pub sort: Option<String>,
    /// Bars per page, default 5000, at most 10000
    pub limit: Option<u32>,
    /// The page token of a next_url
    pub page: Option<String>,
}

/// A range path: ticker, multiplier, timespan, from, to.
type RangePath = (String, String, String, String, String);

/// Bars of `subject` for a range path and its query.
pub fn range_of(
    state: &AppState,
    request_id: &RequestId,
    key: &ApiKey,
    path: &str,
    subject: Subject,
    (_, multiplier, timespan, from_text, to_text): RangePath,
    pairs: Vec<(String, String)>,
) -> Result<Response, Problem> {
    let span = span(&multiplier, &timespan)?;
    let (from, from_day) = bound("from_date", &from_text, false)?;
    let (to, to_day) = bound("to_date", &to_text, true)?;
    let paging = Paging::of_request(state, key, path, pairs)?;
    let params = &paging.params;
    let adjusted = params.boolean("adjusted", true)?;
    let descending = params.choice("sort", &["asc", "desc"])? == "desc";
    let limit = params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let now = state.market_now();
    check_lookback(state, key, now, "from_date", from_day)?;
    check_lookback(state, key, now, "to_date", to_day)?;
    let visible = super::access::visible_until(state, key);
    let to = to.min(Timestamp::from_nanos(visible.as_nanos().saturating_add(1)));
    let mut bars = state
        .tape
        .bars(&subject.underlying, subject.instrument(), span, from, to)
        .map_err(|e| match e {
            tape::TapeError::Invalid(why) => Problem::bad_request(why),
            other => Problem::from(other),
        })?;
    if descending {
        bars.reverse();
    }
    let page = paging.window(limit, bars.len());
    let results: Vec<Value> = bars[page.clone()].iter().map(|b| bar(b, None)).collect();
    let next_url = paging.next_url(state, page.end, bars.len());
    Ok(aggregates_body(
        request_id,
        Some(&subject.ticker),
        adjusted,
        results,
        next_url,
    )
    .into_response())
}

/// Options previous-day bar
///
/// The day bar of the last session before the market clock's day (none: an empty list).
#[utoipa::path(
    get,
    path = "/v1/options/aggs/{ticker}/prev",
    tag = "options",
    params(
        ("ticker" = String, Path, description = "Option ticker (O:...) or an underlying's", example = "O:SPXW250117C05950000"),
        ("adjusted" = Option<bool>, Query, description = "Accepted; prices are never adjusted"),
    ),
    responses(
        (status = 200, description = "The bar, with `T`, as the only element of `results`"),
        (status = 400, description = "`bad_request`: not a ticker"),
    )
)]
pub async fn previous(
    State(state): State<AppState>,
    request_id: RequestId,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::option_or_underlying(&ticker)?;
    previous_of(&state, &request_id, subject, pairs)
}

/// Stock previous-day bar
///
/// The day bar of the last session before the market clock's day (none: an empty list).
#[utoipa::path(
    get,
    path = "/v1/stocks/aggs/{ticker}/prev",
    tag = "stocks",
    params(
        ("ticker" = String, Path, description = "Stock ticker", example = "SPY"),
        ("adjusted" = Option<bool>, Query, description = "Accepted; prices are never adjusted"),
    ),
    responses(
        (status = 200, description = "The bar, with `T`, as the only element of `results`"),
        (status = 400, description = "`bad_request`: not a ticker"),
    )
)]
pub async fn stock_previous(
    State(state): State<AppState>,
    request_id: RequestId,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    previous_of(&state, &request_id, Subject::stock(&ticker)?, pairs)
}

fn previous_of(
    state: &AppState,
    request_id: &RequestId,
    subject: Subject,
    pairs: Vec<(String, String)>,
) -> Result<Response, Problem> {
    let adjusted = super::query::Params::new(pairs).boolean("adjusted", true)?;
    let today = model::calendar::new_york_date(state.market_now());
    let mut results = Vec::new();
    for day in state.tape.sessions(&subject.underlying)?.into_iter().rev() {
        if day >= today {
            continue;
        }
        if let Some(day_bar) = day_bar(state, &subject, day, Timestamp::from_nanos(i64::MAX))? {
            results.push(bar(&day_bar, Some(&subject.ticker)));
        }
        break;
    }
    Ok(aggregates_body(request_id, Some(&subject.ticker), adjusted, results, None).into_response())
}

/// Options daily open-close
///
/// One session's open, high, low, close and volume (`preMarket` and `afterHours` are the open
/// and the close: the tape holds regular-session options trades).
#[utoipa::path(
    get,
    path = "/v1/options/open-close/{ticker}/{date}",
    tag = "options",
    params(
        ("ticker" = String, Path, description = "Option ticker (O:...) or an underlying's", example = "O:SPXW250117C05950000"),
        ("date" = String, Path, description = "The session (YYYY-MM-DD)", example = "2025-01-15"),
        ("adjusted" = Option<bool>, Query, description = "Accepted; prices are never adjusted"),
    ),
    responses(
        (status = 200, description = "The flat open-close body (no `results`)"),
        (status = 400, description = "`bad_request`: not a ticker or a date"),
        (status = 403, description = "`lookback_exceeded`"),
        (status = 404, description = "`not_found`: no trades that day"),
    )
)]
pub async fn open_close(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams((ticker, date)): PathParams<(String, String)>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::option_or_underlying(&ticker)?;
    open_close_of(&state, &request_id, &key, subject, &date, pairs)
}

/// Stock daily open-close
///
/// One session's open, high, low, close and volume; `preMarket` and `afterHours` are the open
/// and the close (the tape's sessions are the regular trading hours).
#[utoipa::path(
    get,
    path = "/v1/stocks/open-close/{ticker}/{date}",
    tag = "stocks",
    params(
        ("ticker" = String, Path, description = "Stock ticker", example = "SPY"),
        ("date" = String, Path, description = "The session (YYYY-MM-DD)", example = "2025-01-15"),
        ("adjusted" = Option<bool>, Query, description = "Accepted; prices are never adjusted"),
    ),
    responses(
        (status = 200, description = "The flat open-close body (no `results`)"),
        (status = 400, description = "`bad_request`: not a ticker or a date"),
        (status = 403, description = "`lookback_exceeded`"),
        (status = 404, description = "`not_found`: no trades that day"),
    )
)]
pub async fn stock_open_close(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams((ticker, date)): PathParams<(String, String)>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::stock(&ticker)?;
    open_close_of(&state, &request_id, &key, subject, &date, pairs)
}

fn open_close_of(
    state: &AppState,
    request_id: &RequestId,
    key: &ApiKey,
    subject: Subject,
    date: &str,
    pairs: Vec<(String, String)>,
) -> Result<Response, Problem> {
    let day = parse_date("date", date)?;
    let adjusted = super::query::Params::new(pairs).boolean("adjusted", true)?;
    check_lookback(state, key, state.market_now(), "date", day)?;
    let visible = super::access::visible_until(state, key);
    let Some(day_bar) = day_bar(state, &subject, day, visible)? else {
        return Err(Problem::not_found(format!(
            "no trades of {} on {day}",
            subject.ticker
        )));
    };
    let price = envelope::price;
    let volume = envelope::size(day_bar.volume);
    Ok(Json(json!({
        "status": "OK",
        "request_id": request_id.as_str(),
        "symbol": subject.ticker,
        "from": day.to_string(),
        "open": price(day_bar.open),
        "high": price(day_bar.high),
        "low": price(day_bar.low),
        "close": price(day_bar.close),
        "volume": Value::Number(envelope::number(volume)),
        "preMarket": price(day_bar.open),
        "afterHours": price(day_bar.close),
        "adjusted": adjusted,
    }))
    .into_response())
}

/// Grouped daily bars
///
/// One day bar (with `T`) for every stock and fund the tape holds that traded in the session of
/// `date`, by ticker; `limit` per page (default 5000, at most 10000).
#[utoipa::path(
    get,
    path = "/v1/stocks/aggs/grouped/{date}",
    tag = "stocks",
    params(
        ("date" = String, Path, description = "The session (YYYY-MM-DD)", example = "2025-01-15"),
        ("adjusted" = Option<bool>, Query, description = "Accepted; prices are never adjusted"),
        ("include_otc" = Option<bool>, Query, description = "Accepted; the tape holds no OTC securities"),
        ("limit" = Option<u32>, Query, description = "Bars per page, default 5000, at most 10000"),
        ("page" = Option<String>, Query, description = "The page token of a next_url"),
    ),
    responses(
        (status = 200, description = "Day bars with `T` in `results`"),
        (status = 400, description = "`bad_request`: not a date"),
        (status = 403, description = "`lookback_exceeded`"),
    )
)]
pub async fn grouped(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams(date): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let day = parse_date("date", &date)?;
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    let params = &paging.params;
    let adjusted = params.boolean("adjusted", true)?;
    params.boolean("include_otc", false)?;
    let limit = params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    check_lookback(&state, &key, state.market_now(), "date", day)?;
    let visible = super::access::visible_until(&state, &key);
    let mut bars = Vec::new();
    for ticker in super::stock_snapshots::traded_underlyings(&state)? {
        let subject = Subject::stock(&ticker)?;
        if let Some(day_bar) = day_bar(&state, &subject, day, visible)? {
            bars.push(bar(&day_bar, Some(&ticker)));
        }
    }
    let page = paging.window(limit, bars.len());
    let next_url = paging.next_url(&state, page.end, bars.len());
    let results = bars[page].to_vec();
    Ok(aggregates_body(&request_id, None, adjusted, results, next_url).into_response())
}

/// The subject's trading summary of one session before `until`, if it traded by then.
fn day_bar(
    state: &AppState,
    subject: &Subject,
    day: Date,
    until: Timestamp,
) -> Result<Option<tape::Bar>, Problem> {
    let Some(session) = state.tape.session(&subject.underlying, day)? else {
        return Ok(None);
    };
    let Some(owner) = subject.instrument().owner_in(&session) else {
        return Ok(None);
    };
    // Through the instant the caller may see: a session still in progress is not yet whole.
    Ok(session.day_before(
        owner,
        Timestamp::from_nanos(until.as_nanos().saturating_add(1)),
    )?)
}
