//! Option contracts' reference data, as the tape lists them on a day:
//! `GET /v1/options/contracts/` (a filtered, sorted, paged list) and
//! `GET /v1/options/contracts/{options_ticker}/` (one contract).
//!
//! A contract exists on a day when the session of its underlying on that day (or the latest one
//! before it) lists it and it has not expired by then; expired contracts are those an earlier
//! session listed with an expiration before the day. The reference fields come from the
//! contract's symbol and its root's rules (exercise style, settlement, multiplier).

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use jiff::civil::Date;
use model::Timestamp;
use model::roots::{Exercise, root_info};
use model::symbol::{OptionSymbol, Right};
use serde::Serialize;
use store::keys::ApiKey;
use utoipa::ToSchema;

use super::access::{check_lookback, day_param};
use super::envelope;
use super::paging::Paging;
use super::query::{Condition, Params, all, number, option_ticker, parse_date};
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

/// An option contract's reference data (CuteMarkets `OptionContract`).
#[derive(Serialize, ToSchema)]
pub struct OptionContract {
    /// Polygon-style ticker.
    #[schema(example = "O:SPXW250115C05950000")]
    pub ticker: String,
    #[schema(example = "SPX")]
    pub underlying_ticker: String,
    /// `call` or `put`.
    #[schema(example = "call")]
    pub contract_type: &'static str,
    /// `american` or `european`.
    #[schema(example = "european")]
    pub exercise_style: &'static str,
    #[schema(example = "2025-01-15")]
    pub expiration_date: String,
    #[schema(value_type = f64, example = 5950)]
    pub strike_price: serde_json::Number,
    #[schema(example = 100)]
    pub shares_per_contract: u32,
    /// MIC of the exchange that lists the class alone (index options on Cboe); omitted for
    /// multiply listed classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "XCBO")]
    pub primary_exchange: Option<&'static str>,
    /// ISO 10962 CFI code.
    #[schema(example = "OCEICS")]
    pub cfi: String,
}

impl OptionContract {
    pub fn of(symbol: &OptionSymbol) -> OptionContract {
        let info = root_info(symbol.root.as_str());
        let strike_price = envelope::number(symbol.strike.to_decimal());
        OptionContract {
            ticker: symbol.polygon(),
            underlying_ticker: info.underlying.to_string(),
            contract_type: match symbol.right {
                Right::Call => "call",
                Right::Put => "put",
            },
            exercise_style: match info.exercise {
                Exercise::American => "american",
                Exercise::European => "european",
            },
            expiration_date: symbol.expiration.to_string(),
            strike_price,
            shares_per_contract: info.multiplier,
            primary_exchange: info.sole_listing(),
            cfi: info.cfi(symbol.right),
        }
    }
}

/// Options contract detail
///
/// One contract's reference data as listed on `as_of` (default: the market clock's date); an
/// expired contract is found with an `as_of` on or before its expiration.
#[utoipa::path(
    get,
    path = "/v1/options/contracts/{options_ticker}",
    tag = "options",
    params(
        ("options_ticker" = String, Path, description = "Polygon-style option ticker", example = "O:SPXW250115C05950000"),
        ("as_of" = Option<String>, Query, description = "The day to resolve the contract on (YYYY-MM-DD)"),
    ),
    responses(
        (status = 200, description = "The contract, in the success envelope's `results`", body = OptionContract),
        (status = 400, description = "`bad_request`: a malformed ticker or date"),
        (status = 403, description = "`lookback_exceeded`: `as_of` is older than the plan allows"),
        (status = 404, description = "`not_found`: not listed on that day"),
    )
)]
pub async fn contract(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let symbol = option_ticker(&ticker)?;
    let as_of = day_param(&state, &key, &Params::new(pairs), "as_of")?;
    let underlying = root_info(symbol.root.as_str()).underlying;
    let not_listed =
        || Problem::not_found(format!("{} is not listed on {as_of}", symbol.polygon()));
    if !state
        .tape
        .listed(underlying, as_of, false)?
        .contains(&symbol)
    {
        return Err(not_listed());
    }
    Ok(envelope::ok(&request_id, OptionContract::of(&symbol)))
}

/// Contracts per page by default and at most.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 1000;

/// Options contracts list
///
/// Contracts listed on `as_of` (default: the market clock's date), or with `expired=true` those
/// that expired before it, filtered by underlying, type, expiration and strike (exact values and
/// `.gte` / `.gt` / `.lte` / `.lt`), sorted by `sort` and `order`, `limit` per page (default 10,
/// at most 1000). `next_url` leads to the next page while there is one.
#[utoipa::path(
    get,
    path = "/v1/options/contracts",
    tag = "options",
    params(
        ("underlying_ticker" = Option<String>, Query, description = "Exact, or a range with .gte/.gt/.lte/.lt"),
        ("contract_type" = Option<String>, Query, description = "call or put"),
        ("expiration_date" = Option<String>, Query, description = "YYYY-MM-DD, exact or a range with .gte/.gt/.lte/.lt"),
        ("strike_price" = Option<f64>, Query, description = "Exact, or a range with .gte/.gt/.lte/.lt"),
        ("as_of" = Option<String>, Query, description = "The day whose listings to show (YYYY-MM-DD)"),
        ("expired" = Option<bool>, Query, description = "Contracts already expired as of as_of instead of those still listed"),
        ("sort" = Option<String>, Query, description = "ticker (default), underlying_ticker, expiration_date or strike_price"),
        ("order" = Option<String>, Query, description = "asc (default) or desc"),
        ("limit" = Option<u32>, Query, description = "Contracts per page, default 10, at most 1000"),
        ("page" = Option<String>, Query, description = "The page token of a next_url"),
    ),
    responses(
        (status = 200, description = "Contracts in `results`, and `next_url` while more remain", body = [OptionContract]),
        (status = 400, description = "`bad_request` naming the parameter, or `invalid_page_token`"),
        (status = 403, description = "`lookback_exceeded`: as_of or an expiration bound is older than the plan allows"),
    )
)]
pub async fn contracts(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    let params = &paging.params;
    params.refuse(
        "ticker",
        "one contract comes from /v1/options/contracts/{options_ticker}/",
    )?;
    let underlyings =
        params.conditions("underlying_ticker", "a ticker", |t| Some(t.to_string()))?;
    let filter = ContractFilter::of(params)?;
    let now = state.market_now();
    let as_of = day_param(&state, &key, params, "as_of")?;
    let expired = params.boolean("expired", false)?;
    let sort = params.choice(
        "sort",
        &[
            "ticker",
            "underlying_ticker",
            "expiration_date",
            "strike_price",
        ],
    )?;
    let descending = params.choice("order", &["asc", "desc"])? == "desc";
    let limit = params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    filter.check_lookback(&state, &key, now)?;

    let mut listed = listed_contracts(&state, &underlyings, as_of, expired)?;
    listed.retain(|symbol| filter.accepts(symbol));
    sort_contracts(&mut listed, sort, descending);
    let page = paging.window(limit, listed.len());
    let results: Vec<OptionContract> = listed[page.clone()]
        .iter()
        .map(OptionContract::of)
        .collect();
    Ok(envelope::page(
        &request_id,
        results,
        paging.next_url(&state, page.end, listed.len()),
    ))
}

/// The contracts of the underlyings `underlyings` accepts, listed on `as_of` (or, `expired`,
/// listed before it and expired by then), each once.
fn listed_contracts(
    state: &AppState,
    underlyings: &[Condition<String>],
    as_of: Date,
    expired: bool,
) -> Result<Vec<OptionSymbol>, Problem> {
    let mut out = Vec::new();
    for underlying in state.tape.underlyings()? {
        if all(underlyings, &underlying) {
            out.extend(state.tape.listed(&underlying, as_of, expired)?);
        }
    }
    Ok(out)
}

/// The contract filters the contracts list and the chain snapshot share: `contract_type`,
/// `expiration_date` and `strike_price`, each exact or a range.
pub struct ContractFilter {
    right: Option<Right>,
    expirations: Vec<Condition<Date>>,
    strikes: Vec<Condition<rust_decimal::Decimal>>,
}

impl ContractFilter {
    pub fn of(params: &Params) -> Result<ContractFilter, Problem> {
        let right = match params.get("contract_type") {
            None => None,
            Some("call") => Some(Right::Call),
            Some("put") => Some(Right::Put),
            Some(other) => {
                return Err(Problem::bad_request(format!(
                    "contract_type must be call or put, not {other:?}"
                )));
            }
        };
        Ok(ContractFilter {
            right,
            expirations: params.conditions("expiration_date", "a date (YYYY-MM-DD)", date_value)?,
            strikes: params.conditions("strike_price", "a number", number)?,
        })
    }

    pub fn accepts(&self, symbol: &OptionSymbol) -> bool {
        self.right.is_none_or(|r| symbol.right == r)
            && all(&self.expirations, &symbol.expiration)
            && all(&self.strikes, &symbol.strike.to_decimal())
    }

    /// Refuses expiration bounds older than the key's plan looks back.
    pub fn check_lookback(
        &self,
        state: &AppState,
        key: &ApiKey,
        now: Timestamp,
    ) -> Result<(), Problem> {
        for condition in &self.expirations {
            check_lookback(state, key, now, "expiration_date", condition.value)?;
        }
        Ok(())
    }
}

/// Sorts contracts by `sort` (`ticker`, `underlying_ticker`, `expiration_date` or
/// `strike_price`), then by ticker, descending when asked.
pub fn sort_contracts(contracts: &mut [OptionSymbol], sort: &str, descending: bool) {
    // By ticker first, then stably by the field: ties stay in ticker order. The symbol's own
    // order (root, expiration, right, strike) is the ticker's text order without rendering it,
    // except that a root ending in a digit (an adjusted class) sorts after the roots it extends.
    contracts.sort_unstable();
    fn underlying(s: &OptionSymbol) -> &str {
        root_info(s.root.as_str()).underlying
    }
    match sort {
        "underlying_ticker" => contracts.sort_by(|a, b| underlying(a).cmp(underlying(b))),
        "expiration_date" => contracts.sort_by_key(|s| s.expiration),
        "strike_price" => contracts.sort_by_key(|s| s.strike),
        _ => {}
    }
    if descending {
        contracts.reverse();
    }
}

/// A `YYYY-MM-DD` value in a condition.
fn date_value(text: &str) -> Option<Date> {
    parse_date("", text).ok()
}
