//! `GET /v1/{options,stocks}/indicators/{sma|ema|macd|rsi}/{ticker}/`: technical indicators over
//! the ticker's bars (model::indicators), each point at its bar's time.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use model::indicators::{ema, macd, rsi, sma};
use serde_json::{Map, Value, json};
use store::keys::ApiKey;

use super::aggs::{bar, span};
use super::paging::Paging;
use super::subject::Subject;
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

/// The query of an indicator, for the API document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorParams {
    /// A day or milliseconds, or a range with .gte/.gt/.lte/.lt
    pub timestamp: Option<String>,
    /// second, minute, hour, day (default), week, month, quarter or year
    pub timespan: Option<String>,
    /// Bars in the indicator (SMA, EMA 50; RSI 14)
    pub window: Option<u32>,
    /// MACD fast EMA (12)
    pub short_window: Option<u32>,
    /// MACD slow EMA (26)
    pub long_window: Option<u32>,
    /// MACD signal EMA (9)
    pub signal_window: Option<u32>,
    /// open, high, low or close (default)
    pub series_type: Option<String>,
    /// Add the input bars
    pub expand_underlying: Option<bool>,
    /// desc (default) or asc
    pub order: Option<String>,
    /// Points per page, default 10, at most 1000
    pub limit: Option<u32>,
    /// The page token of a next_url
    pub page: Option<String>,
}

/// Points per page by default and at most.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 1000;

/// Options indicators
///
/// SMA, EMA (smoothing 2 / (window + 1)), MACD (`short_window` 12, `long_window` 26,
/// `signal_window` 9) or RSI (Wilder's, `window` 14) of the ticker's `timespan` bars
/// (default `day`) on `series_type` (default `close`); `window` defaults to 50 for SMA and
/// EMA. Points filtered by `timestamp` (a day or milliseconds, exact or `.gte` / `.gt` /
/// `.lte` / `.lt`), newest first unless `order=asc`, `limit` per page (default 10, at most
/// 1000). `expand_underlying=true` adds the bars they were computed from.
#[utoipa::path(
    get,
    path = "/v1/options/indicators/{indicator}/{ticker}",
    tag = "options",
    params(
        ("indicator" = String, Path, description = "sma, ema, macd or rsi"),
        ("ticker" = String, Path, description = "Option ticker (O:...) or an underlying's"),
        IndicatorParams,
    ),
    responses(
        (status = 200, description = "`results.values` (and `results.underlying` when asked)"),
        (status = 400, description = "`bad_request` naming the parameter"),
        (status = 403, description = "`lookback_exceeded`"),
    )
)]
pub async fn indicator(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams((kind, ticker)): PathParams<(String, String)>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::option_or_underlying(&ticker)?;
    indicator_of(&state, &request_id, &key, uri.path(), &kind, subject, pairs)
}

/// Stock indicators
///
/// SMA, EMA (smoothing 2 / (window + 1)), MACD (`short_window` 12, `long_window` 26,
/// `signal_window` 9) or RSI (Wilder's, `window` 14) of the stock's `timespan` bars (default
/// `day`) on `series_type` (default `close`), with the same parameters as the options
/// indicators.
#[utoipa::path(
    get,
    path = "/v1/stocks/indicators/{indicator}/{ticker}",
    tag = "stocks",
    params(
        ("indicator" = String, Path, description = "sma, ema, macd or rsi"),
        ("ticker" = String, Path, description = "Stock ticker", example = "SPY"),
        IndicatorParams,
    ),
    responses(
        (status = 200, description = "`results.values` (and `results.underlying` when asked)"),
        (status = 400, description = "`bad_request` naming the parameter"),
        (status = 403, description = "`lookback_exceeded`"),
    )
)]
pub async fn stock_indicator(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams((kind, ticker)): PathParams<(String, String)>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::stock(&ticker)?;
    indicator_of(&state, &request_id, &key, uri.path(), &kind, subject, pairs)
}

fn indicator_of(
    state: &AppState,
    request_id: &RequestId,
    key: &ApiKey,
    path: &str,
    kind: &str,
    subject: Subject,
    pairs: Vec<(String, String)>,
) -> Result<Response, Problem> {
    if !matches!(kind, "sma" | "ema" | "macd" | "rsi") {
        return Err(Problem::not_found(format!(
            "no indicator {kind:?}: sma, ema, macd or rsi"
        )));
    }
    let paging = Paging::of_request(state, key, path, pairs)?;
    let params = &paging.params;
    let timespan = params.choice(
        "timespan",
        &[
            "day", "second", "minute", "hour", "week", "month", "quarter", "year",
        ],
    )?;
    let span = span("1", timespan)?;
    let count = |name: &str, default: usize| -> Result<usize, Problem> {
        match params.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .ok()
                .filter(|n| *n >= 1 && *n <= 10_000)
                .ok_or_else(|| {
                    Problem::bad_request(format!(
                        "{name} must be a whole number from 1 to 10000, not {text:?}"
                    ))
                }),
        }
    };
    let window = count("window", if kind == "rsi" { 14 } else { 50 })?;
    let (short, long, signal) = (
        count("short_window", 12)?,
        count("long_window", 26)?,
        count("signal_window", 9)?,
    );
    let series = params.choice("series_type", &["close", "open", "high", "low"])?;
    let expand = params.boolean("expand_underlying", false)?;
    params.boolean("adjusted", true)?;
    let descending = params.choice("order", &["desc", "asc"])? == "desc";
    let limit = params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let visible = super::access::visible_until(state, key);
    let (from, to) = super::history::time_range(state, key, params, visible)?;
    let now = state.market_now();

    // Every bar the tape has up to the range's end: the indicators need the history before it.
    let sessions = state.tape.sessions(&subject.underlying)?;
    let bars = match sessions.first() {
        Some(first) => state.tape.bars(
            &subject.underlying,
            subject.instrument(),
            span,
            model::calendar::new_york_instant(*first, 0, 0, 0),
            to,
        )?,
        None => Vec::new(),
    };
    let price = |b: &tape::Bar| {
        let px = match series {
            "open" => b.open,
            "high" => b.high,
            "low" => b.low,
            _ => b.close,
        };
        tape::records::px_to_f64(px)
    };
    let values: Vec<f64> = bars.iter().map(price).collect();
    let number = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    let points: Vec<Option<Value>> = match kind {
        "macd" => macd(&values, short, long, signal)
            .into_iter()
            .map(|p| {
                p.map(|p| {
                    json!({"value": number(p.value), "signal": number(p.signal), "histogram": number(p.histogram)})
                })
            })
            .collect(),
        other => {
            let line = match other {
                "sma" => sma(&values, window),
                "ema" => ema(&values, window),
                _ => rsi(&values, window),
            };
            line.into_iter()
                .map(|v| v.map(|v| json!({ "value": number(v) })))
                .collect()
        }
    };
    let mut dated: Vec<Value> = bars
        .iter()
        .zip(points)
        .filter(|(b, _)| b.start >= from && b.start < to)
        .filter_map(|(b, point)| {
            let mut point = point?;
            point["timestamp"] = (b.start.as_nanos() / 1_000_000).into();
            Some(point)
        })
        .collect();
    if descending {
        dated.reverse();
    }
    let page = paging.window(limit, dated.len());
    let mut results = Map::new();
    results.insert("values".into(), dated[page.clone()].to_vec().into());
    if expand {
        let aggregates: Vec<Value> = bars.iter().rev().map(|b| bar(b, None)).collect();
        let (first, last) = match (bars.first(), bars.last()) {
            (Some(a), Some(b)) => (
                model::calendar::new_york_date(a.start).to_string(),
                model::calendar::new_york_date(b.start).to_string(),
            ),
            _ => {
                let today = model::calendar::new_york_date(now).to_string();
                (today.clone(), today)
            }
        };
        let url = format!(
            "{}{}/aggs/{}/1/{timespan}/{first}/{last}/?adjusted=true&sort=desc&limit={}",
            state.settings.public_url,
            subject.market.prefix(),
            subject.ticker,
            bars.len().max(1)
        );
        results.insert(
            "underlying".into(),
            json!({ "url": url, "aggregates": aggregates }),
        );
    }
    let next_url = paging.next_url(state, page.end, dated.len());
    Ok(super::envelope::page(
        request_id,
        Value::Object(results),
        next_url,
    ))
}
