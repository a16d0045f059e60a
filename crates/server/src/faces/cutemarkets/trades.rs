//! A contract's trades: `GET /v1/options/trades/{options_ticker}/` (historical rows, filtered by
//! time and paged) and `GET /v1/options/trades/{options_ticker}/last/` (the latest, in the compact
//! last-trade form). Exchange and condition ids are Polygon's.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use model::polygon_codes::{polygon_option_condition, polygon_option_venue};
use serde_json::{Map, Value};
use store::keys::ApiKey;

use super::envelope;
use super::history;
use super::paging::Paging;
use super::query::option_ticker;
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

/// Options last trade
///
/// The contract's latest trade as of market time (fifteen minutes earlier on delayed plans),
/// searched back through the recorded sessions. Exchange and condition ids are Polygon's.
#[utoipa::path(
    get,
    path = "/v1/options/trades/{options_ticker}/last",
    tag = "options",
    params(("options_ticker" = String, Path, description = "Polygon-style option ticker", example = "O:SPXW250115C05950000")),
    responses(
        (status = 200, description = "The compact last trade (`T`, `p`, `s`, `t`, `x`, `c`, `q`, `i`, `ds`) in `results`"),
        (status = 400, description = "`bad_request`: not an option ticker"),
        (status = 404, description = "`not_found`: no trade yet"),
    )
)]
pub async fn last_trade(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(ticker): PathParams<String>,
) -> Result<Response, Problem> {
    let symbol = option_ticker(&ticker)?;
    let at = super::access::visible_until(&state, &key);
    if let Some(trade) = state.tape.latest::<tape::Trade>(&symbol, at)? {
        return Ok(envelope::ok(
            &request_id,
            compact(&symbol.polygon(), &trade),
        ));
    }
    Err(Problem::not_found(format!(
        "no trade of {} by {at}",
        symbol.polygon()
    )))
}

/// Options trades
///
/// The contract's trades with `timestamp` filters (a `YYYY-MM-DD` New York day, RFC 3339, or
/// digits read by magnitude; exact or `.gte` / `.gt` / `.lte` / `.lt`), newest first unless
/// `order=asc`, `limit` per page (default 1000, at most 10000). Delayed plans see nothing newer
/// than fifteen minutes.
#[utoipa::path(
    get,
    path = "/v1/options/trades/{options_ticker}",
    tag = "options",
    params(
        ("options_ticker" = String, Path, description = "Polygon-style option ticker", example = "O:SPXW250115C05950000"),
        ("timestamp" = Option<String>, Query, description = "A day, an instant, or a range with .gte/.gt/.lte/.lt"),
        ("sort" = Option<String>, Query, description = "timestamp"),
        ("order" = Option<String>, Query, description = "desc (default) or asc"),
        ("limit" = Option<u32>, Query, description = "Trades per page, default 1000, at most 10000"),
        ("page" = Option<String>, Query, description = "The page token of a next_url"),
    ),
    responses(
        (status = 200, description = "Trades in `results`, and `next_url` while more remain"),
        (status = 400, description = "`bad_request` naming the parameter, or `invalid_page_token`"),
        (status = 403, description = "`lookback_exceeded`: a timestamp is older than the plan allows"),
    )
)]
pub async fn trades(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let symbol = option_ticker(&ticker)?;
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    history::respond::<tape::Trade>(
        &state,
        &request_id,
        &key,
        paging,
        &symbol,
        |_| Ok(super::access::visible_until(&state, &key)),
        row,
    )
}

/// A historical trade row (CuteMarkets 2.3).
fn row(trade: &tape::Trade) -> Value {
    let (size, decimal_size) = sizes(trade);
    let mut out = Map::new();
    out.insert("sip_timestamp".into(), trade.ts.as_nanos().into());
    out.insert("price".into(), envelope::price(trade.price));
    out.insert("size".into(), Value::Number(size));
    out.insert("decimal_size".into(), decimal_size.into());
    if let Some(exchange) = polygon_option_venue(trade.exchange) {
        out.insert("exchange".into(), exchange.into());
    }
    out.insert("conditions".into(), conditions(trade).into());
    out.insert("id".into(), "".into());
    out.insert("sequence_number".into(), trade.sequence.into());
    Value::Object(out)
}

/// The trade's conditions as Polygon ids (ours without one are left out).
pub(super) fn conditions(trade: &tape::Trade) -> Vec<i64> {
    trade
        .condition_codes()
        .filter_map(polygon_option_condition)
        .collect()
}

/// The size as a number, and as the decimal string that always shows a decimal point ("4.0").
pub(super) fn sizes(trade: &tape::Trade) -> (serde_json::Number, String) {
    let size = envelope::size(trade.size);
    let text = if size.fract().is_zero() {
        format!("{size}.0")
    } else {
        size.to_string()
    };
    (envelope::number(size), text)
}

/// The compact last-trade object (CuteMarkets 2.5).
fn compact(ticker: &str, trade: &tape::Trade) -> Value {
    let (size, decimal_size) = sizes(trade);
    let mut out = Map::new();
    out.insert("T".into(), ticker.into());
    out.insert("c".into(), conditions(trade).into());
    out.insert("ds".into(), decimal_size.into());
    out.insert("i".into(), "".into());
    out.insert("p".into(), envelope::price(trade.price));
    out.insert("q".into(), trade.sequence.into());
    out.insert("s".into(), Value::Number(size));
    out.insert("t".into(), trade.ts.as_nanos().into());
    if let Some(exchange) = polygon_option_venue(trade.exchange) {
        out.insert("x".into(), exchange.into());
    }
    Value::Object(out)
}
