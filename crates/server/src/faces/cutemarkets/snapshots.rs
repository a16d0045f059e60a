//! Option snapshots: `GET /v1/options/chain/{underlying}/` (an underlying's contracts, filtered,
//! sorted and paged) and `GET /v1/options/snapshot/{underlying}/{option_contract}/` (one
//! contract), each as it stood at an instant: now as the key's plan sees it, or `as_of` (a day,
//! meaning its end, or an instant) in any recorded session. The tape's [`tape::ChainAt`] does the
//! work; this maps it to CuteMarkets' `OptionContractSnapshot`.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use model::Timestamp;
use model::polygon_codes::polygon_option_venue;
use model::roots::root_info;
use model::symbol::OptionSymbol;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Number;
use serde_json::value::RawValue;
use std::sync::Arc;
use store::keys::ApiKey;
use tape::records::px_to_decimal;
use tape::{ChainAt, ContractSnapshot};

use super::access::{check_lookback, visible_until};
use super::contracts::{ContractFilter, OptionContract, sort_contracts};
use super::envelope::{self, dollars, number};
use super::paging::Paging;
use super::query::{Params, instants, option_ticker};
use super::snapshot_cache::Body;
use super::trades;
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

/// Contracts per chain page by default and at most.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

/// Option chain snapshot
///
/// Every contract of an underlying listed at the instant, with its quote (Expert and Commercial
/// plans), last trade, day so far, open interest, the underlying's price, and the implied
/// volatility and Greeks of its quote's midpoint. Filters on `contract_type`, `expiration_date`
/// and `strike_price` (exact or `.gte` / `.gt` / `.lte` / `.lt`); `sort` by `ticker`,
/// `expiration_date` or `strike_price`; `limit` per page (default 10, at most 100). `as_of` shows
/// the chain at a past instant (a day stands for its end); the pages that follow keep the first
/// page's instant.
#[utoipa::path(
    get,
    path = "/v1/options/chain/{underlying}",
    tag = "options",
    params(
        ("underlying" = String, Path, description = "The underlying's ticker", example = "SPX"),
        ("contract_type" = Option<String>, Query, description = "call or put"),
        ("expiration_date" = Option<String>, Query, description = "YYYY-MM-DD, exact or a range with .gte/.gt/.lte/.lt"),
        ("strike_price" = Option<f64>, Query, description = "Exact, or a range with .gte/.gt/.lte/.lt"),
        ("as_of" = Option<String>, Query, description = "A day (its end), an RFC 3339 instant or a timestamp; default now"),
        ("sort" = Option<String>, Query, description = "ticker (default), expiration_date or strike_price"),
        ("order" = Option<String>, Query, description = "asc (default) or desc"),
        ("limit" = Option<u32>, Query, description = "Contracts per page, default 10, at most 100"),
        ("page" = Option<String>, Query, description = "The page token of a next_url"),
    ),
    responses(
        (status = 200, description = "Snapshots in `results`, and `next_url` while more remain"),
        (status = 400, description = "`bad_request` naming the parameter, or `invalid_page_token`"),
        (status = 403, description = "`lookback_exceeded`: as_of or an expiration bound is older than the plan allows"),
        (status = 404, description = "`not_found`: no session of the underlying by then"),
    )
)]
pub async fn chain(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams(underlying): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let mut paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    let filter = ContractFilter::of(&paging.params)?;
    let sort = paging
        .params
        .choice("sort", &["ticker", "expiration_date", "strike_price"])?;
    let descending = paging.params.choice("order", &["asc", "desc"])? == "desc";
    let limit = paging.params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let at = snapshot_instant(&state, &key, &paging.params)?;
    filter.check_lookback(&state, &key, state.market_now())?;
    paging
        .params
        .set_if_absent("as_of", at.as_nanos().to_string());

    let mut chain = open_chain(&state, &underlying, at)?;
    let mut contracts: Vec<OptionSymbol> = chain
        .contracts()
        .filter(|symbol| filter.accepts(symbol))
        .copied()
        .collect();
    sort_contracts(&mut contracts, sort, descending);
    let page = paging.window(limit, contracts.len());
    let shape = Shape::of(&state, &key);
    let results: Vec<Arc<RawValue>> = bodies(&state, &mut chain, &shape, &contracts[page.clone()])?
        .into_iter()
        .flatten()
        .collect();
    Ok(envelope::page(
        &request_id,
        results,
        paging.next_url(&state, page.end, contracts.len()),
    ))
}

/// The written snapshots of `symbols` in the chain (`None` for one not listed then): kept ones
/// from the cache, the others assembled, written and kept.
fn bodies(
    state: &AppState,
    chain: &mut ChainAt<'_>,
    shape: &Shape,
    symbols: &[OptionSymbol],
) -> Result<Vec<Body>, Problem> {
    let underlying = chain.session().underlying().to_string();
    let key = (shape.quotes, shape.timeframe);
    let (at, session) = (chain.at(), chain.session().clone());
    let cache = &state.snapshots;
    let mut found = cache.lookup(&underlying, key, at, &session, symbols);
    let mut written = Vec::new();
    for (symbol, slot) in symbols.iter().zip(&mut found) {
        if slot.is_none() {
            let snapshot = chain.snapshot(symbol)?;
            let body = match &snapshot.value {
                Some(snapshot) => Some(Arc::from(
                    serde_json::value::to_raw_value(&shape.snapshot(chain, snapshot))
                        .map_err(Problem::internal)?,
                )),
                None => None,
            };
            written.push((*symbol, snapshot.with(body.clone())));
            *slot = Some(body);
        }
    }
    if !written.is_empty() {
        cache.keep(&underlying, key, &session, written);
    }
    Ok(found.into_iter().flatten().collect())
}

/// Option contract snapshot
///
/// One contract as in the chain snapshot, at now or `as_of`. The underlying in the path must be
/// the contract's.
#[utoipa::path(
    get,
    path = "/v1/options/snapshot/{underlying}/{option_contract}",
    tag = "options",
    params(
        ("underlying" = String, Path, description = "The contract's underlying", example = "SPX"),
        ("option_contract" = String, Path, description = "Polygon-style option ticker", example = "O:SPXW250115C05950000"),
        ("as_of" = Option<String>, Query, description = "A day (its end), an RFC 3339 instant or a timestamp; default now"),
    ),
    responses(
        (status = 200, description = "The snapshot in `results` (an object)"),
        (status = 400, description = "`bad_request`: a malformed ticker or as_of, or an underlying that is not the contract's"),
        (status = 403, description = "`lookback_exceeded`"),
        (status = 404, description = "`not_found`: the contract is not listed at that instant"),
    )
)]
pub async fn contract(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams((underlying, ticker)): PathParams<(String, String)>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let symbol = option_ticker(&ticker)?;
    let own = root_info(symbol.root.as_str()).underlying;
    if underlying != own {
        return Err(Problem::bad_request(format!(
            "underlying {underlying:?} is not the underlying of {ticker}, which is {own}"
        )));
    }
    snapshot_of(&state, &request_id, &key, &symbol, &Params::new(pairs))
}

/// Option contract snapshot (one segment)
///
/// The contract snapshot with the underlying taken from the ticker.
#[utoipa::path(
    get,
    path = "/v1/options/snapshot/{option_contract}",
    tag = "options",
    params(
        ("option_contract" = String, Path, description = "Polygon-style option ticker", example = "O:SPXW250115C05950000"),
        ("as_of" = Option<String>, Query, description = "A day (its end), an RFC 3339 instant or a timestamp; default now"),
    ),
    responses((status = 200, description = "As /v1/options/snapshot/{underlying}/{option_contract}/"))
)]
pub async fn contract_by_ticker(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let symbol = option_ticker(&ticker)?;
    snapshot_of(&state, &request_id, &key, &symbol, &Params::new(pairs))
}

fn snapshot_of(
    state: &AppState,
    request_id: &RequestId,
    key: &ApiKey,
    symbol: &OptionSymbol,
    params: &Params,
) -> Result<Response, Problem> {
    let at = snapshot_instant(state, key, params)?;
    let underlying = root_info(symbol.root.as_str()).underlying;
    let mut chain = open_chain(state, underlying, at)?;
    let shape = Shape::of(state, key);
    match bodies(state, &mut chain, &shape, std::slice::from_ref(symbol))?.pop() {
        Some(Some(body)) => Ok(envelope::ok(request_id, body)),
        _ => Err(Problem::not_found(format!(
            "{} is not listed at {at}",
            symbol.polygon()
        ))),
    }
}

/// The instant a snapshot shows: `as_of` (a day stands for its last instant) or now, never later
/// than the key's plan may see. Checked against the plan's lookback.
pub(super) fn snapshot_instant(
    state: &AppState,
    key: &ApiKey,
    params: &Params,
) -> Result<Timestamp, Problem> {
    let visible = visible_until(state, key);
    let at = match params.get("as_of") {
        None => visible,
        Some(text) => {
            let (_, end) = instants(text).ok_or_else(|| {
                Problem::bad_request(format!(
                    "as_of must be a date (YYYY-MM-DD), an RFC 3339 instant or a timestamp, \
                     not {text:?}"
                ))
            })?;
            Timestamp::from_nanos(end.as_nanos() - 1).min(visible)
        }
    };
    let day = model::calendar::new_york_date(at);
    check_lookback(state, key, state.market_now(), "as_of", day)?;
    Ok(at)
}

fn open_chain<'a>(
    state: &'a AppState,
    underlying: &str,
    at: Timestamp,
) -> Result<ChainAt<'a>, Problem> {
    state
        .tape
        .chain_at(underlying, at, state.settings.risk_free_rate)?
        .ok_or_else(|| Problem::not_found(format!("no session of {underlying} by {at}")))
}

/// What the key's plan shows of a snapshot.
pub(super) struct Shape {
    pub quotes: bool,
    pub timeframe: &'static str,
}

/// CuteMarkets' `OptionContractSnapshot`; fields without a value are left out.
#[derive(Serialize)]
struct SnapshotBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    break_even_price: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    day: Option<DayBody>,
    details: DetailsBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    greeks: Option<GreeksBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    implied_volatility: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_quote: Option<QuoteBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_trade: Option<TradeBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_interest: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    underlying_asset: Option<UnderlyingBody>,
}

#[derive(Serialize, Default)]
struct DayBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    open: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    high: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    low: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    close: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volume: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vwap: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_updated: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change_percent: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_close: Option<Number>,
}

#[derive(Serialize)]
struct DetailsBody {
    ticker: String,
    underlying_ticker: String,
    contract_type: &'static str,
    exercise_style: &'static str,
    expiration_date: String,
    strike_price: Number,
    shares_per_contract: u32,
}

#[derive(Serialize)]
struct GreeksBody {
    delta: f64,
    gamma: f64,
    theta: f64,
    vega: f64,
}

#[derive(Serialize)]
struct QuoteBody {
    bid: Number,
    bid_size: u32,
    ask: Number,
    ask_size: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    bid_exchange: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ask_exchange: Option<i64>,
    midpoint: Number,
    last_updated: i64,
    timeframe: &'static str,
}

#[derive(Serialize)]
struct TradeBody {
    price: Number,
    size: Number,
    #[serde(skip_serializing_if = "Option::is_none")]
    exchange: Option<i64>,
    conditions: Vec<i64>,
    sip_timestamp: i64,
    timeframe: &'static str,
}

#[derive(Serialize)]
struct UnderlyingBody {
    ticker: String,
    price: Number,
    #[serde(skip_serializing_if = "Option::is_none")]
    change_to_break_even: Option<Number>,
    last_updated: i64,
    timeframe: &'static str,
}

impl Shape {
    pub fn of(state: &AppState, key: &ApiKey) -> Shape {
        let plan = state.settings.plans.market_data(key.product, key.plan);
        Shape {
            quotes: plan.is_some_and(|p| p.quotes),
            timeframe: if plan.is_some_and(|p| p.delayed) {
                "DELAYED"
            } else {
                "REAL-TIME"
            },
        }
    }

    fn snapshot(&self, chain: &ChainAt<'_>, snapshot: &ContractSnapshot) -> SnapshotBody {
        let symbol = &snapshot.symbol;
        let break_even = snapshot.break_even();
        let details = OptionContract::of(symbol);
        let last_quote = snapshot
            .quote
            .filter(|_| self.quotes)
            .map(|quote| QuoteBody {
                bid: dollars(quote.bid),
                bid_size: quote.bid_size,
                ask: dollars(quote.ask),
                ask_size: quote.ask_size,
                bid_exchange: polygon_option_venue(quote.bid_exchange),
                ask_exchange: polygon_option_venue(quote.ask_exchange),
                midpoint: number(
                    (px_to_decimal(quote.bid) + px_to_decimal(quote.ask)) / Decimal::TWO,
                ),
                last_updated: quote.ts.as_nanos(),
                timeframe: self.timeframe,
            });
        let last_trade = snapshot.last_trade.map(|trade| TradeBody {
            price: dollars(trade.price),
            size: trades::sizes(&trade).0,
            exchange: polygon_option_venue(trade.exchange),
            conditions: trades::Numbering::OPTIONS.conditions(&trade),
            sip_timestamp: trade.ts.as_nanos(),
            timeframe: self.timeframe,
        });
        let underlying_asset = chain.underlying().map(|underlying| {
            let spot = px_to_decimal(underlying.price);
            UnderlyingBody {
                ticker: details.underlying_ticker.clone(),
                price: number(spot),
                change_to_break_even: break_even.map(|b| number(b - spot)),
                last_updated: underlying.ts.as_nanos(),
                timeframe: self.timeframe,
            }
        });
        SnapshotBody {
            break_even_price: break_even.map(number),
            day: day_bar(snapshot),
            details: DetailsBody {
                ticker: details.ticker,
                underlying_ticker: details.underlying_ticker,
                contract_type: details.contract_type,
                exercise_style: details.exercise_style,
                expiration_date: details.expiration_date,
                strike_price: details.strike_price,
                shares_per_contract: details.shares_per_contract,
            },
            greeks: snapshot.greeks.map(|g| GreeksBody {
                delta: g.delta,
                gamma: g.gamma,
                theta: g.theta,
                vega: g.vega,
            }),
            implied_volatility: snapshot.greeks.map(|g| g.implied_volatility),
            last_quote,
            last_trade,
            open_interest: snapshot.open_interest,
            underlying_asset,
        }
    }
}

/// The session so far (`DayBar`), with the change from the previous session's close.
fn day_bar(snapshot: &ContractSnapshot) -> Option<DayBody> {
    let mut out = DayBody {
        previous_close: snapshot.previous_close.map(dollars),
        ..DayBody::default()
    };
    if let Some(day) = snapshot.day {
        out.open = Some(dollars(day.open));
        out.high = Some(dollars(day.high));
        out.low = Some(dollars(day.low));
        out.close = Some(dollars(day.close));
        out.volume = Some(number(envelope::size(day.volume)));
        out.vwap = Some(dollars(day.vwap));
        out.last_updated = snapshot.last_trade.map(|t| t.ts.as_nanos());
        if let Some((change, percent)) = snapshot.change() {
            out.change = Some(number(change));
            out.change_percent = Some(number(percent));
        }
    }
    (snapshot.day.is_some() || snapshot.previous_close.is_some()).then_some(out)
}
