//! Underlyings' reference data: `GET /v1/tickers/search/` (the underlyings the tape holds whose
//! symbol or name matches a fragment, exact symbols first) and `GET /v1/stocks/tickers/{ticker}/`
//! (one underlying's detail, also at Polygon's `/v3/reference/tickers/{ticker}`).

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use model::issuers::{issuer_of, search_rank};
use serde_json::{Map, Value};
use store::keys::ApiKey;

use super::access::check_lookback;
use super::envelope;
use super::paging::Paging;
use super::query::{Params, parse_date};
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

/// Ticker search
///
/// Underlyings with market data whose symbol or name contains `query` (any case): the exact
/// symbol first, then symbols starting with it, then other symbol matches, then name matches,
/// each by symbol. `limit` per page (default 10, at most 100).
#[utoipa::path(
    get,
    path = "/v1/tickers/search",
    tag = "reference",
    params(
        ("query" = String, Query, description = "A symbol or name fragment", example = "spx"),
        ("limit" = Option<u32>, Query, description = "Results per page, default 10, at most 100"),
        ("page" = Option<String>, Query, description = "The page token of a next_url"),
    ),
    responses(
        (status = 200, description = "`{symbol, name}` rows in `results`, and `next_url` while more remain"),
        (status = 400, description = "`bad_request`: no query, or a bad limit"),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    let query = paging
        .params
        .get("query")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| Problem::bad_request("query is required: a symbol or name fragment"))?
        .to_uppercase();
    let limit = paging.params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let mut found: Vec<(u8, String)> = state
        .tape
        .underlyings()?
        .into_iter()
        .filter_map(|symbol| search_rank(&query, &symbol).map(|rank| (rank, symbol)))
        .collect();
    found.sort();
    let page = paging.window(limit, found.len());
    let results: Vec<Value> = found[page.clone()]
        .iter()
        .map(|(_, symbol)| {
            let mut row = Map::new();
            row.insert("symbol".into(), symbol.as_str().into());
            if let Some(issuer) = issuer_of(symbol) {
                row.insert("name".into(), issuer.name.into());
            }
            Value::Object(row)
        })
        .collect();
    Ok(envelope::page(
        &request_id,
        results,
        paging.next_url(&state, page.end, found.len()),
    ))
}

/// Ticker detail
///
/// An underlying the tape holds: its name, market, type and primary listing where the reference
/// table knows them (fields it does not know, such as shares outstanding, are left out), and
/// whether it had a session by `date` (default the market clock's day).
#[utoipa::path(
    get,
    path = "/v1/stocks/tickers/{ticker}",
    tag = "stocks",
    params(
        ("ticker" = String, Path, description = "The underlying's ticker", example = "SPY"),
        ("date" = Option<String>, Query, description = "The day to describe it on (YYYY-MM-DD)"),
    ),
    responses(
        (status = 200, description = "The ticker's detail in `results` (an object)"),
        (status = 400, description = "`bad_request`: a malformed ticker or date"),
        (status = 403, description = "`lookback_exceeded`"),
        (status = 404, description = "`not_found`: the tape has no market data of it"),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let now = state.market_now();
    let date = match Params::new(pairs).get("date") {
        Some(text) => parse_date("date", text)?,
        None => model::calendar::new_york_date(now),
    };
    check_lookback(&state, &key, now, "date", date)?;
    let sessions = if model::symbol::is_ticker(&ticker) {
        state.tape.sessions(&ticker)?
    } else {
        Vec::new()
    };
    if sessions.is_empty() {
        return Err(Problem::not_found(format!(
            "no market data of ticker {ticker:?}"
        )));
    }
    let mut row = Map::new();
    row.insert("ticker".into(), ticker.as_str().into());
    let issuer = issuer_of(&ticker);
    if let Some(issuer) = issuer {
        row.insert("name".into(), issuer.name.into());
    }
    let market = issuer.map_or("stocks", |i| i.kind.market());
    row.insert("market".into(), market.into());
    row.insert("locale".into(), "us".into());
    if let Some(issuer) = issuer {
        row.insert("primary_exchange".into(), issuer.primary_exchange.into());
        row.insert("type".into(), issuer.kind.code().into());
    }
    row.insert("active".into(), sessions.iter().any(|d| *d <= date).into());
    row.insert("currency_name".into(), "usd".into());
    row.insert("ticker_root".into(), ticker.as_str().into());
    Ok(envelope::ok(&request_id, Value::Object(row)))
}
