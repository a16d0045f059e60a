//! Stock snapshots: `GET /v1/stocks/snapshot/` (every stock and fund the tape holds, or the
//! `tickers` asked for), `GET /v1/stocks/snapshot/{ticker}/` and
//! `GET /v1/stocks/snapshot/movers/{gainers|losers}/`, each as of the instant the plan sees (or
//! `as_of`), from the tape's `StockSnapshot`.

use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use model::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Number;
use store::keys::ApiKey;
use tape::StockSnapshot;

use super::envelope::{self, dollars, number};
use super::query::Params;
use super::snapshots::{Shape, snapshot_instant};
use super::subject::Subject;
use super::trades::Numbering;
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

/// Movers listed by default and at most.
const MOVERS_DEFAULT: usize = 20;
const MOVERS_MAX: usize = 1000;
/// Snapshots in a full-market answer at most.
const MARKET_MAX: usize = 10_000;

/// Full-market stock snapshot
///
/// Every stock and fund the tape holds (indexes do not trade and are left out), or those named
/// by `tickers` (or `ticker.any_of`), as of the instant the plan sees (fifteen minutes back on
/// Free and Developer) or `as_of`, by ticker. `lastQuote` only on Expert and Commercial.
#[utoipa::path(
    get,
    path = "/v1/stocks/snapshot",
    tag = "stocks",
    params(
        ("tickers" = Option<String>, Query, description = "Comma-separated tickers", example = "SPY,NFLX"),
        ("ticker.any_of" = Option<String>, Query, description = "The same as tickers"),
        ("include_otc" = Option<bool>, Query, description = "Accepted; the tape holds no OTC securities"),
        ("as_of" = Option<String>, Query, description = "A day (its end), an RFC 3339 instant or a timestamp"),
        ("limit" = Option<u32>, Query, description = "Snapshots at most (all by default, at most 10000)"),
    ),
    responses(
        (status = 200, description = "Stock snapshots in `results`, with `count`"),
        (status = 400, description = "`bad_request` naming the parameter"),
        (status = 403, description = "`lookback_exceeded`"),
    )
)]
pub async fn market(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let params = Params::new(pairs);
    params.boolean("include_otc", false)?;
    let limit = params.limit(MARKET_MAX, MARKET_MAX)?;
    let at = snapshot_instant(&state, &key, &params)?;
    let asked = match (params.get("tickers"), params.get("ticker.any_of")) {
        (Some(list), _) | (None, Some(list)) => Some(ticker_list(list)?),
        (None, None) => None,
    };
    let tickers = match asked {
        Some(tickers) => tickers,
        None => traded_underlyings(&state)?,
    };
    let shape = Shape::of(&state, &key);
    let mut results = Vec::new();
    for ticker in tickers.iter().take(limit) {
        if let Some(snapshot) = state.tape.stock_at(ticker, at)? {
            results.push(body(ticker, &snapshot, &shape));
        }
    }
    Ok(envelope::counted(&request_id, &results))
}

/// Stock snapshot
///
/// One stock as of the instant the plan sees (or `as_of`): the session so far (`day`), the
/// latest complete minute (`min`), the previous session (`prevDay`), the last trade, the NBBO
/// (`lastQuote`, Expert and Commercial only) and the change from the previous close.
#[utoipa::path(
    get,
    path = "/v1/stocks/snapshot/{ticker}",
    tag = "stocks",
    params(
        ("ticker" = String, Path, description = "Stock ticker", example = "SPY"),
        ("as_of" = Option<String>, Query, description = "A day (its end), an RFC 3339 instant or a timestamp"),
    ),
    responses(
        (status = 200, description = "The snapshot in `results` (an object)"),
        (status = 400, description = "`bad_request`: not a ticker, or a bad as_of"),
        (status = 403, description = "`lookback_exceeded`"),
        (status = 404, description = "`not_found`: no session of the ticker by then"),
    )
)]
pub async fn single(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::stock(&ticker)?;
    let at = snapshot_instant(&state, &key, &Params::new(pairs))?;
    let snapshot = state
        .tape
        .stock_at(&subject.underlying, at)?
        .ok_or_else(|| Problem::not_found(format!("no session of {ticker} by {at}")))?;
    let shape = Shape::of(&state, &key);
    Ok(envelope::ok(&request_id, body(&ticker, &snapshot, &shape)))
}

/// Stock movers
///
/// The stocks and funds the tape holds that rose (`gainers`) or fell (`losers`) most since the
/// previous close, in percent, as of the instant the plan sees (or `as_of`); `limit` (default
/// 20, at most 1000).
#[utoipa::path(
    get,
    path = "/v1/stocks/snapshot/movers/{direction}",
    tag = "stocks",
    params(
        ("direction" = String, Path, description = "gainers or losers", example = "gainers"),
        ("include_otc" = Option<bool>, Query, description = "Accepted; the tape holds no OTC securities"),
        ("as_of" = Option<String>, Query, description = "A day (its end), an RFC 3339 instant or a timestamp"),
        ("limit" = Option<u32>, Query, description = "Movers, default 20, at most 1000"),
    ),
    responses(
        (status = 200, description = "Stock snapshots in `results`, largest move first, with `count`"),
        (status = 400, description = "`bad_request`: a direction other than gainers or losers"),
        (status = 403, description = "`lookback_exceeded`"),
    )
)]
pub async fn movers(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(direction): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let gainers = match direction.as_str() {
        "gainers" => true,
        "losers" => false,
        other => {
            return Err(Problem::bad_request(format!(
                "direction must be gainers or losers, not {other:?}"
            )));
        }
    };
    let params = Params::new(pairs);
    params.boolean("include_otc", false)?;
    let limit = params.limit(MOVERS_DEFAULT, MOVERS_MAX)?;
    let at = snapshot_instant(&state, &key, &params)?;
    let mut moved: Vec<(Decimal, String, StockSnapshot)> = Vec::new();
    for ticker in traded_underlyings(&state)? {
        if let Some(snapshot) = state.tape.stock_at(&ticker, at)?
            && let Some((_, percent)) = snapshot.change()
            && (percent > Decimal::ZERO && gainers || percent < Decimal::ZERO && !gainers)
        {
            moved.push((percent, ticker, snapshot));
        }
    }
    // Largest move first; ties by ticker so the order never depends on the folder listing.
    moved.sort_by(|a, b| {
        let by_move = if gainers {
            b.0.cmp(&a.0)
        } else {
            a.0.cmp(&b.0)
        };
        by_move.then_with(|| a.1.cmp(&b.1))
    });
    let shape = Shape::of(&state, &key);
    let results: Vec<StockBody> = moved
        .iter()
        .take(limit)
        .map(|(_, ticker, snapshot)| body(ticker, snapshot, &shape))
        .collect();
    Ok(envelope::counted(&request_id, &results))
}

/// The underlyings the tape holds that trade (indexes do not).
pub(super) fn traded_underlyings(state: &AppState) -> Result<Vec<String>, Problem> {
    let mut held = state.tape.underlyings()?;
    held.retain(|ticker| model::issuers::trades(ticker));
    Ok(held)
}

/// A comma-separated list of tickers, each checked.
fn ticker_list(list: &str) -> Result<Vec<String>, Problem> {
    let mut tickers = Vec::new();
    for ticker in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !model::symbol::is_ticker(ticker) {
            return Err(Problem::bad_request(format!(
                "tickers must be comma-separated stock tickers; {ticker:?} is not one"
            )));
        }
        tickers.push(ticker.to_string());
    }
    tickers.sort_unstable();
    tickers.dedup();
    Ok(tickers)
}

/// The stock snapshot object (CuteMarkets 2.10); fields without a value are left out.
#[derive(Serialize)]
struct StockBody {
    ticker: String,
    #[serde(rename = "todaysChange", skip_serializing_if = "Option::is_none")]
    todays_change: Option<Number>,
    #[serde(rename = "todaysChangePerc", skip_serializing_if = "Option::is_none")]
    todays_change_perc: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    day: Option<DayBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<MinuteBody>,
    #[serde(rename = "prevDay", skip_serializing_if = "Option::is_none")]
    prev_day: Option<DayBody>,
    #[serde(rename = "lastTrade", skip_serializing_if = "Option::is_none")]
    last_trade: Option<TradeBody>,
    #[serde(rename = "lastQuote", skip_serializing_if = "Option::is_none")]
    last_quote: Option<QuoteBody>,
}

#[derive(Serialize)]
struct DayBody {
    o: Number,
    h: Number,
    l: Number,
    c: Number,
    v: Number,
    vw: Number,
}

#[derive(Serialize)]
struct MinuteBody {
    /// The day's volume so far.
    av: Number,
    /// The minute's start, in milliseconds.
    t: i64,
    n: u32,
    #[serde(flatten)]
    bar: DayBody,
}

#[derive(Serialize)]
struct TradeBody {
    c: Vec<i64>,
    i: &'static str,
    p: Number,
    s: Number,
    t: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    x: Option<i64>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct QuoteBody {
    P: Number,
    S: u32,
    p: Number,
    s: u32,
    t: i64,
}

fn day_body(bar: &tape::Bar) -> DayBody {
    DayBody {
        o: dollars(bar.open),
        h: dollars(bar.high),
        l: dollars(bar.low),
        c: dollars(bar.close),
        v: number(envelope::size(bar.volume)),
        vw: dollars(bar.vwap),
    }
}

fn body(ticker: &str, snapshot: &StockSnapshot, shape: &Shape) -> StockBody {
    let numbering = Numbering::stock(ticker);
    let change = snapshot.change();
    StockBody {
        ticker: ticker.to_string(),
        todays_change: change.map(|(dollars, _)| number(dollars)),
        todays_change_perc: change.map(|(_, percent)| number(percent)),
        updated: snapshot.updated().map(Timestamp::as_nanos),
        day: snapshot.day.as_ref().map(day_body),
        min: snapshot.minute.as_ref().map(|minute| MinuteBody {
            av: number(envelope::size(snapshot.day.map_or(0, |d| d.volume))),
            t: minute.start.as_nanos() / 1_000_000,
            n: minute.transactions,
            bar: day_body(minute),
        }),
        prev_day: snapshot.previous_day.as_ref().map(day_body),
        last_trade: snapshot.last_trade.map(|trade| TradeBody {
            c: numbering.conditions(&trade),
            i: "",
            p: dollars(trade.price),
            s: super::trades::sizes(&trade).0,
            t: trade.ts.as_nanos(),
            x: numbering.venue(trade.exchange).map(|v| v.id),
        }),
        last_quote: snapshot
            .quote
            .filter(|_| shape.quotes)
            .map(|quote| QuoteBody {
                P: dollars(quote.ask),
                S: quote.ask_size,
                p: dollars(quote.bid),
                s: quote.bid_size,
                t: quote.ts.as_nanos(),
            }),
    }
}
