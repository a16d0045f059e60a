//! Trades of a contract or a stock: `GET /v1/{options,stocks}/trades/{ticker}/` (historical rows,
//! filtered by time and paged) and `.../trades/{ticker}/last/` (the latest, in the compact
//! last-trade form). Exchange and condition ids are Polygon's, each market's own numbering.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use model::issuers::issuer_of;
use model::polygon_codes::{
    polygon_option_condition, polygon_option_venue, polygon_stock_condition, polygon_stock_venue,
};
use serde_json::{Map, Value};
use store::keys::ApiKey;

use super::envelope;
use super::history::{self, HistoryParams};
use super::paging::Paging;
use super::subject::{Market, Subject};
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
    last_trade_of(&state, &request_id, &key, Subject::option(&ticker)?)
}

/// Stock last trade
///
/// The stock's latest trade as of market time (fifteen minutes earlier on delayed plans),
/// searched back through the recorded sessions: Polygon's exchange (with `r`, the FINRA
/// facility, for off-exchange prints), conditions and tape (`z`).
#[utoipa::path(
    get,
    path = "/v1/stocks/trades/{ticker}/last",
    tag = "stocks",
    params(("ticker" = String, Path, description = "Stock ticker", example = "SPY")),
    responses(
        (status = 200, description = "The compact last trade (`T`, `p`, `s`, `t`, `x`, `c`, `q`, `i`, `ds`, `z`) in `results`"),
        (status = 400, description = "`bad_request`: not a ticker"),
        (status = 404, description = "`not_found`: no trade yet"),
    )
)]
pub async fn stock_last_trade(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(ticker): PathParams<String>,
) -> Result<Response, Problem> {
    last_trade_of(&state, &request_id, &key, Subject::stock(&ticker)?)
}

fn last_trade_of(
    state: &AppState,
    request_id: &RequestId,
    key: &ApiKey,
    subject: Subject,
) -> Result<Response, Problem> {
    let at = super::access::visible_until(state, key);
    let numbering = Numbering::of(&subject);
    match state
        .tape
        .latest::<tape::Trade>(&subject.underlying, subject.instrument(), at)?
    {
        Some(trade) => Ok(envelope::ok(
            request_id,
            compact(&subject.ticker, &trade, &numbering),
        )),
        None => Err(Problem::not_found(format!(
            "no trade of {} by {at}",
            subject.ticker
        ))),
    }
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
        HistoryParams,
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
    let subject = Subject::option(&ticker)?;
    trades_of(&state, &request_id, &key, uri.path(), subject, pairs)
}

/// Stock trades
///
/// The stock's trades, with the same filters, order and pages as the options trades; each row
/// also carries the consolidated `tape` and, for off-exchange prints, the FINRA `trf_id`.
#[utoipa::path(
    get,
    path = "/v1/stocks/trades/{ticker}",
    tag = "stocks",
    params(
        ("ticker" = String, Path, description = "Stock ticker", example = "SPY"),
        HistoryParams,
    ),
    responses(
        (status = 200, description = "Trades in `results`, and `next_url` while more remain"),
        (status = 400, description = "`bad_request` naming the parameter, or `invalid_page_token`"),
        (status = 403, description = "`lookback_exceeded`: a timestamp is older than the plan allows"),
    )
)]
pub async fn stock_trades(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let subject = Subject::stock(&ticker)?;
    trades_of(&state, &request_id, &key, uri.path(), subject, pairs)
}

fn trades_of(
    state: &AppState,
    request_id: &RequestId,
    key: &ApiKey,
    path: &str,
    subject: Subject,
    pairs: Vec<(String, String)>,
) -> Result<Response, Problem> {
    let paging = Paging::of_request(state, key, path, pairs)?;
    let numbering = Numbering::of(&subject);
    history::respond::<tape::Trade>(
        state,
        request_id,
        key,
        paging,
        &subject,
        |_| Ok(super::access::visible_until(state, key)),
        |trade| row(trade, &numbering),
    )
}

/// How a market numbers what a trade carries on the wire: Polygon's option or stock venue and
/// condition ids, and for a stock the consolidated tape of its listing.
pub(super) struct Numbering {
    market: Market,
    tape: Option<u8>,
}

/// A venue on the wire: Polygon's id, and FINRA's facility id for an off-exchange print.
pub(super) struct VenueId {
    pub id: i64,
    pub trf: Option<i64>,
}

impl Numbering {
    pub const OPTIONS: Numbering = Numbering {
        market: Market::Options,
        tape: None,
    };

    pub fn of(subject: &Subject) -> Numbering {
        match subject.market {
            Market::Options => Numbering::OPTIONS,
            Market::Stocks => Numbering::stock(&subject.underlying),
        }
    }

    /// A stock's: the stock exchange ids and the tape of its listing.
    pub fn stock(ticker: &str) -> Numbering {
        Numbering {
            market: Market::Stocks,
            tape: issuer_of(ticker).and_then(|i| i.sip_tape()),
        }
    }

    pub fn venue(&self, venue: u16) -> Option<VenueId> {
        match self.market {
            Market::Options => polygon_option_venue(venue).map(|id| VenueId { id, trf: None }),
            Market::Stocks => polygon_stock_venue(venue).map(|(id, trf)| VenueId { id, trf }),
        }
    }

    /// The trade's conditions as Polygon ids (ours without one are left out).
    pub fn conditions(&self, trade: &tape::Trade) -> Vec<i64> {
        let map = match self.market {
            Market::Options => polygon_option_condition,
            Market::Stocks => polygon_stock_condition,
        };
        trade.condition_codes().filter_map(map).collect()
    }

    pub fn tape(&self) -> Option<u8> {
        self.tape
    }
}

/// A historical trade row (CuteMarkets 2.3).
fn row(trade: &tape::Trade, numbering: &Numbering) -> Value {
    let (size, decimal_size) = sizes(trade);
    let mut out = Map::new();
    out.insert("sip_timestamp".into(), trade.ts.as_nanos().into());
    out.insert("price".into(), envelope::price(trade.price));
    out.insert("size".into(), Value::Number(size));
    out.insert("decimal_size".into(), decimal_size.into());
    if let Some(venue) = numbering.venue(trade.exchange) {
        out.insert("exchange".into(), venue.id.into());
        if let Some(trf) = venue.trf {
            out.insert("trf_id".into(), trf.into());
        }
    }
    out.insert("conditions".into(), numbering.conditions(trade).into());
    out.insert("id".into(), "".into());
    out.insert("sequence_number".into(), trade.sequence.into());
    if let Some(tape) = numbering.tape() {
        out.insert("tape".into(), tape.into());
    }
    Value::Object(out)
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
fn compact(ticker: &str, trade: &tape::Trade, numbering: &Numbering) -> Value {
    let (size, decimal_size) = sizes(trade);
    let mut out = Map::new();
    out.insert("T".into(), ticker.into());
    out.insert("c".into(), numbering.conditions(trade).into());
    out.insert("ds".into(), decimal_size.into());
    out.insert("i".into(), "".into());
    out.insert("p".into(), envelope::price(trade.price));
    out.insert("q".into(), trade.sequence.into());
    out.insert("s".into(), Value::Number(size));
    out.insert("t".into(), trade.ts.as_nanos().into());
    if let Some(venue) = numbering.venue(trade.exchange) {
        out.insert("x".into(), venue.id.into());
        if let Some(trf) = venue.trf {
            out.insert("r".into(), trf.into());
        }
    }
    if let Some(tape) = numbering.tape() {
        out.insert("z".into(), tape.into());
    }
    Value::Object(out)
}
