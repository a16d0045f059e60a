//! A contract's quotes (Expert and Commercial plans; the gate refuses others):
//! `GET /v1/options/quotes/{options_ticker}/` (historical rows, filtered by time and paged) and
//! `GET /v1/options/quotes/{options_ticker}/last/` (the NBBO as of now). `timeframe=delayed`
//! shows nothing newer than fifteen minutes.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use model::Timestamp;
use model::polygon_codes::polygon_option_venue;
use serde_json::{Map, Value};
use store::keys::ApiKey;

use super::envelope;
use super::history;
use super::paging::Paging;
use super::query::Params;
use super::query::option_ticker;
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
        ("timestamp" = Option<String>, Query, description = "A day, an instant, or a range with .gte/.gt/.lte/.lt"),
        ("timeframe" = Option<String>, Query, description = "live (default) or delayed (nothing newer than 15 minutes)"),
        ("sort" = Option<String>, Query, description = "timestamp"),
        ("order" = Option<String>, Query, description = "desc (default) or asc"),
        ("limit" = Option<u32>, Query, description = "Quotes per page, default 1000, at most 10000"),
        ("page" = Option<String>, Query, description = "The page token of a next_url"),
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
    let symbol = option_ticker(&ticker)?;
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    history::respond::<tape::Quote>(
        &state,
        &request_id,
        &key,
        paging,
        &symbol,
        |params| timeframe(&state, params),
        row,
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
    let symbol = option_ticker(&ticker)?;
    let at = timeframe(&state, &Params::new(pairs))?;
    match state.tape.latest::<tape::Quote>(&symbol, at)? {
        Some(quote) => Ok(envelope::ok(&request_id, row(&quote))),
        None => Err(Problem::not_found(format!(
            "no quote of {} by {at}",
            symbol.polygon()
        ))),
    }
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
fn row(quote: &tape::Quote) -> Value {
    let price = envelope::price;
    let mut out = Map::new();
    out.insert("sip_timestamp".into(), quote.ts.as_nanos().into());
    out.insert("bid_price".into(), price(quote.bid));
    out.insert("bid_size".into(), quote.bid_size.into());
    out.insert("ask_price".into(), price(quote.ask));
    out.insert("ask_size".into(), quote.ask_size.into());
    if let Some(exchange) = polygon_option_venue(quote.bid_exchange) {
        out.insert("bid_exchange".into(), exchange.into());
    }
    if let Some(exchange) = polygon_option_venue(quote.ask_exchange) {
        out.insert("ask_exchange".into(), exchange.into());
    }
    Value::Object(out)
}
