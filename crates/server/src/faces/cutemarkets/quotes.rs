//! Quotes of a contract or a stock (Expert and Commercial plans; the gate refuses others):
//! `GET /v1/{options,stocks}/quotes/{ticker}/` (historical rows, filtered by time and paged) and
//! `.../quotes/{ticker}/last/` (the NBBO as of now). On options, `timeframe=delayed` shows
//! nothing newer than fifteen minutes.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use model::Timestamp;
use serde_json::{Map, Value};
use store::keys::ApiKey;

use super::envelope;
use super::history::{self, HistoryParams};
use super::paging::Paging;
use super::query::Params;
use super::subject::Subject;
use super::trades::Numbering;
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

/// Options quotes
///
/// The contract's NBBO changes with `timestamp` filters (a `YYYY-MM-DD` New York day, RFC 3339,
/// or digits read by magnitude; exact or `.gte` / `.gt` / `.lte` / `.lt`), newest first unless
/// `order=asc`, `limit` per page (default 1000, at most 10000).
#[utoipa::path(
    get,
    path = "/v1/options/quotes/{options_ticker}",
    tag = "options",
    params(
        ("options_ticker" = String, Path, description = "Polygon-style option ticker", example = "O:SPXW250115C05950000"),
        HistoryParams,
        ("timeframe" = Option<String>, Query, description = "live (default) or delayed (nothing newer than 15 minutes)"),
    ),
    responses(
        (status = 200, description = "Quotes in `results`, and `next_url` while more remain"),
        (status = 400, description = "`bad_request` naming the parameter, or `invalid_page_token`"),
        (status = 403, description = "`forbidden` below the Expert plan; `lookback_exceeded`"),
    )
)]
pub async fn quotes(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::option(&ticker)?;
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    let numbering = Numbering::of(&subject);
    history::respond::<tape::Quote>(
        &state,
        &request_id,
        &key,
        paging,
        &subject,
        |params| timeframe(&state, params),
        |quote| row(quote, &numbering),
    )
}

/// Stock quotes
///
/// The stock's NBBO changes with `timestamp` filters (a `YYYY-MM-DD` New York day, RFC 3339, or
/// digits read by magnitude; exact or `.gte` / `.gt` / `.lte` / `.lt`), newest first unless
/// `order=asc`, `limit` per page (default 1000, at most 10000). Expert and Commercial stock
/// plans.
#[utoipa::path(
    get,
    path = "/v1/stocks/quotes/{ticker}",
    tag = "stocks",
    params(
        ("ticker" = String, Path, description = "Stock ticker", example = "SPY"),
        HistoryParams,
    ),
    responses(
        (status = 200, description = "Quotes in `results`, and `next_url` while more remain"),
        (status = 400, description = "`bad_request` naming the parameter, or `invalid_page_token`"),
        (status = 403, description = "`plan_upgrade_required` below the Expert plan; `lookback_exceeded`"),
    )
)]
pub async fn stock_quotes(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::stock(&ticker)?;
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    let numbering = Numbering::of(&subject);
    history::respond::<tape::Quote>(
        &state,
        &request_id,
        &key,
        paging,
        &subject,
        |_| Ok(super::access::visible_until(&state, &key)),
        |quote| row(quote, &numbering),
    )
}

/// Options last quote
///
/// The contract's NBBO as of market time (`timeframe=delayed`: fifteen minutes earlier),
/// searched back through the recorded sessions.
#[utoipa::path(
    get,
    path = "/v1/options/quotes/{options_ticker}/last",
    tag = "options",
    params(
        ("options_ticker" = String, Path, description = "Polygon-style option ticker", example = "O:SPXW250115C05950000"),
        ("timeframe" = Option<String>, Query, description = "live (default) or delayed"),
    ),
    responses(
        (status = 200, description = "The quote row in `results`"),
        (status = 400, description = "`bad_request`: not an option ticker, or a bad timeframe"),
        (status = 403, description = "`forbidden` below the Expert plan"),
        (status = 404, description = "`not_found`: no quote yet"),
    )
)]
pub async fn last_quote(
    State(state): State<AppState>,
    request_id: RequestId,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::option(&ticker)?;
    let at = timeframe(&state, &Params::new(pairs))?;
    let quote = latest_quote(&state, &subject, at)?;
    Ok(envelope::ok(
        &request_id,
        row(&quote, &Numbering::of(&subject)),
    ))
}

/// Stock last quote (NBBO)
///
/// The stock's NBBO as of market time in the compact form (`P`/`S` ask, `p`/`s` bid, `X`/`x`
/// their exchanges, `t`, `z`), searched back through the recorded sessions. Expert and
/// Commercial stock plans.
#[utoipa::path(
    get,
    path = "/v1/stocks/quotes/{ticker}/last",
    tag = "stocks",
    params(("ticker" = String, Path, description = "Stock ticker", example = "SPY")),
    responses(
        (status = 200, description = "The compact NBBO in `results`"),
        (status = 400, description = "`bad_request`: not a ticker"),
        (status = 403, description = "`plan_upgrade_required` below the Expert plan"),
        (status = 404, description = "`not_found`: no quote yet"),
    )
)]
pub async fn stock_last_quote(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(ticker): PathParams<String>,
) -> Result<Response, Problem> {
    let subject = Subject::stock(&ticker)?;
    let at = super::access::visible_until(&state, &key);
    let quote = latest_quote(&state, &subject, at)?;
    Ok(envelope::ok(
        &request_id,
        compact(&subject.ticker, &quote, &Numbering::of(&subject)),
    ))
}

fn latest_quote(
    state: &AppState,
    subject: &Subject,
    at: Timestamp,
) -> Result<tape::Quote, Problem> {
    state
        .tape
        .latest::<tape::Quote>(&subject.underlying, subject.instrument(), at)?
        .ok_or_else(|| Problem::not_found(format!("no quote of {} by {at}", subject.ticker)))
}

/// The latest instant `timeframe` shows: now (`live`) or fifteen minutes ago (`delayed`).
fn timeframe(state: &AppState, params: &Params) -> Result<Timestamp, Problem> {
    let now = state.market_now();
    Ok(match params.choice("timeframe", &["live", "delayed"])? {
        "delayed" => now.minus(model::plans::DELAY),
        _ => now,
    })
}

/// A historical quote row (CuteMarkets 2.4).
fn row(quote: &tape::Quote, numbering: &Numbering) -> Value {
    let price = envelope::price;
    let mut out = Map::new();
    out.insert("sip_timestamp".into(), quote.ts.as_nanos().into());
    out.insert("bid_price".into(), price(quote.bid));
    out.insert("bid_size".into(), quote.bid_size.into());
    out.insert("ask_price".into(), price(quote.ask));
    out.insert("ask_size".into(), quote.ask_size.into());
    if let Some(venue) = numbering.venue(quote.bid_exchange) {
        out.insert("bid_exchange".into(), venue.id.into());
    }
    if let Some(venue) = numbering.venue(quote.ask_exchange) {
        out.insert("ask_exchange".into(), venue.id.into());
    }
    if let Some(tape) = numbering.tape() {
        out.insert("tape".into(), tape.into());
    }
    Value::Object(out)
}

/// The compact stock NBBO (CuteMarkets 2.6).
fn compact(ticker: &str, quote: &tape::Quote, numbering: &Numbering) -> Value {
    let price = envelope::price;
    let mut out = Map::new();
    out.insert("T".into(), ticker.into());
    out.insert("P".into(), price(quote.ask));
    out.insert("S".into(), quote.ask_size.into());
    out.insert("p".into(), price(quote.bid));
    out.insert("s".into(), quote.bid_size.into());
    if let Some(venue) = numbering.venue(quote.ask_exchange) {
        out.insert("X".into(), venue.id.into());
    }
    if let Some(venue) = numbering.venue(quote.bid_exchange) {
        out.insert("x".into(), venue.id.into());
    }
    out.insert("t".into(), quote.ts.as_nanos().into());
    if let Some(tape) = numbering.tape() {
        out.insert("z".into(), tape.into());
    }
    Value::Object(out)
}
