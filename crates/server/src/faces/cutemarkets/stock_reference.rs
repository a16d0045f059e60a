//! Stocks' reference data, from the underlyings the tape holds and the reference table
//! (`model::issuers`): `GET /v1/stocks/tickers/` (the list, filtered and paged),
//! `GET /v1/stocks/tickers/types/`, `GET /v1/stocks/tickers/{ticker}/` (also at Polygon's
//! `/v3/reference/tickers/{ticker}`) and `GET /v1/stocks/tickers/{ticker}/related/`. Fields the
//! table does not know (CIK, FIGI, shares outstanding) are left out rather than invented.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use jiff::civil::Date;
use model::issuers::{TYPES, issuer_of, related, search_rank};
use serde::Serialize;
use store::keys::ApiKey;

use super::access::day_param;
use super::envelope;
use super::paging::Paging;
use super::query::{Params, all};
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// A ticker (CuteMarkets 2.11); `ticker_root` only in the detail.
#[derive(Serialize)]
struct TickerBody {
    ticker: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'static str>,
    market: &'static str,
    locale: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_exchange: Option<&'static str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    active: bool,
    currency_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticker_root: Option<String>,
}

impl TickerBody {
    /// `ticker` as of `date`: active when the tape has a session of it by then.
    fn of(ticker: &str, sessions: &[Date], date: Date) -> TickerBody {
        let issuer = issuer_of(ticker);
        TickerBody {
            ticker: ticker.to_string(),
            name: issuer.map(|i| i.name),
            market: issuer.map_or("stocks", |i| i.kind.market()),
            locale: "us",
            primary_exchange: issuer.map(|i| i.primary_exchange),
            kind: issuer.map(|i| i.kind.code()),
            active: sessions.first().is_some_and(|first| *first <= date),
            currency_name: "usd",
            ticker_root: None,
        }
    }
}

/// The sessions of a ticker the tape holds; `not_found` for any other.
fn held_sessions(state: &AppState, ticker: &str) -> Result<Vec<Date>, Problem> {
    let sessions = if model::symbol::is_ticker(ticker) {
        state.tape.sessions(ticker)?
    } else {
        Vec::new()
    };
    if sessions.is_empty() {
        return Err(Problem::not_found(format!(
            "no market data of ticker {ticker:?}"
        )));
    }
    Ok(sessions)
}

/// Tickers
///
/// The tickers the tape holds, filtered by `ticker` (exact or `.gte` / `.gt` / `.lte` / `.lt`),
/// `type`, `market`, `exchange` (primary listing MIC), `search` (symbol or name fragment) and
/// `active` (default true: a session by `date`, default today); `cusip` and `cik` match nothing
/// (the reference table has neither). Sorted by `sort` (ticker, name, market, primary_exchange
/// or type) in `order`; `limit` per page (default 100, at most 1000).
#[utoipa::path(
    get,
    path = "/v1/stocks/tickers",
    tag = "stocks",
    params(
        ("ticker" = Option<String>, Query, description = "A ticker, or a range with .gte/.gt/.lte/.lt"),
        ("type" = Option<String>, Query, description = "Type code: CS, ETF or INDEX"),
        ("market" = Option<String>, Query, description = "stocks or indices"),
        ("exchange" = Option<String>, Query, description = "Primary listing MIC, e.g. XNAS"),
        ("cusip" = Option<String>, Query, description = "Matches nothing: no CUSIPs are known"),
        ("cik" = Option<String>, Query, description = "Matches nothing: no CIKs are known"),
        ("date" = Option<String>, Query, description = "The day (YYYY-MM-DD) activity is judged on"),
        ("search" = Option<String>, Query, description = "A symbol or name fragment"),
        ("active" = Option<bool>, Query, description = "true (default): with a session by date"),
        ("sort" = Option<String>, Query, description = "ticker (default), name, market, primary_exchange or type"),
        ("order" = Option<String>, Query, description = "asc (default) or desc"),
        ("limit" = Option<u32>, Query, description = "Tickers per page, default 100, at most 1000"),
        ("page" = Option<String>, Query, description = "The page token of a next_url"),
    ),
    responses(
        (status = 200, description = "Tickers in `results`, and `next_url` while more remain"),
        (status = 400, description = "`bad_request` naming the parameter"),
        (status = 403, description = "`lookback_exceeded`"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    let params = &paging.params;
    let date = day_param(&state, &key, params, "date")?;
    let tickers = params.conditions("ticker", "a ticker like AAPL", |t| {
        model::symbol::is_ticker(t).then(|| t.to_string())
    })?;
    let search = params.get("search").map(|s| s.trim().to_uppercase());
    let active = params.boolean("active", true)?;
    let sort = params.choice(
        "sort",
        &["ticker", "name", "market", "primary_exchange", "type"],
    )?;
    let descending = params.choice("order", &["asc", "desc"])? == "desc";
    let limit = params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let unknowable = params.get("cusip").is_some() || params.get("cik").is_some();
    let mut rows = Vec::new();
    for ticker in state.tape.underlyings()? {
        if unknowable || !all(&tickers, &ticker) {
            continue;
        }
        if let Some(search) = &search
            && search_rank(search, &ticker).is_none()
        {
            continue;
        }
        let row = TickerBody::of(&ticker, &state.tape.sessions(&ticker)?, date);
        let wanted = [
            ("type", row.kind),
            ("market", Some(row.market)),
            ("exchange", row.primary_exchange),
        ];
        if row.active == active
            && wanted
                .iter()
                .all(|(name, value)| params.get(name).is_none_or(|want| Some(want) == *value))
        {
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| {
        let field = |row: &TickerBody| match sort {
            "name" => row.name.unwrap_or("").to_string(),
            "market" => row.market.to_string(),
            "primary_exchange" => row.primary_exchange.unwrap_or("").to_string(),
            "type" => row.kind.unwrap_or("").to_string(),
            _ => String::new(),
        };
        field(a)
            .cmp(&field(b))
            .then_with(|| a.ticker.cmp(&b.ticker))
    });
    if descending {
        rows.reverse();
    }
    let page = paging.window(limit, rows.len());
    let next_url = paging.next_url(&state, page.end, rows.len());
    Ok(envelope::page(&request_id, &rows[page], next_url))
}

/// A ticker type (Polygon's codes).
#[derive(Serialize)]
struct TypeBody {
    code: &'static str,
    description: &'static str,
    asset_class: &'static str,
    locale: &'static str,
}

/// Ticker types
///
/// The type codes tickers here carry (`CS`, `ETF`, `INDEX`), filtered by `asset_class`
/// (`stocks` or `indices`) and `locale` (`us`).
#[utoipa::path(
    get,
    path = "/v1/stocks/tickers/types",
    tag = "stocks",
    params(
        ("asset_class" = Option<String>, Query, description = "stocks or indices"),
        ("locale" = Option<String>, Query, description = "us"),
    ),
    responses(
        (status = 200, description = "Types in `results`, with `count`"),
    )
)]
pub async fn types(
    request_id: RequestId,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let params = Params::new(pairs);
    params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let results: Vec<TypeBody> = TYPES
        .iter()
        .map(|(kind, description)| TypeBody {
            code: kind.code(),
            description,
            asset_class: kind.market(),
            locale: "us",
        })
        .filter(|t| params.get("asset_class").is_none_or(|a| a == t.asset_class))
        .filter(|t| params.get("locale").is_none_or(|l| l == t.locale))
        .collect();
    Ok(envelope::counted(&request_id, &results))
}

/// Ticker detail
///
/// A ticker the tape holds: its name, market, type and primary listing where the reference
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
    let date = day_param(&state, &key, &Params::new(pairs), "date")?;
    let sessions = held_sessions(&state, &ticker)?;
    let mut row = TickerBody::of(&ticker, &sessions, date);
    row.ticker_root = Some(ticker);
    Ok(envelope::ok(&request_id, row))
}

/// A related ticker.
#[derive(Serialize)]
struct RelatedBody {
    ticker: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'static str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}

/// Related tickers
///
/// The tickers the tape holds that follow the same benchmark (an index, the funds tracking it,
/// its mini version: SPX, SPY and XSP); none for a single stock. `limit` per page (default 100,
/// at most 1000).
#[utoipa::path(
    get,
    path = "/v1/stocks/tickers/{ticker}/related",
    tag = "stocks",
    params(
        ("ticker" = String, Path, description = "The underlying's ticker", example = "SPY"),
        ("limit" = Option<u32>, Query, description = "Tickers per page, default 100, at most 1000"),
        ("page" = Option<String>, Query, description = "The page token of a next_url"),
    ),
    responses(
        (status = 200, description = "`{ticker, name, type}` rows in `results`"),
        (status = 404, description = "`not_found`: the tape has no market data of it"),
    )
)]
pub async fn related_tickers(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    OriginalUri(uri): OriginalUri,
    PathParams(ticker): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    held_sessions(&state, &ticker)?;
    let paging = Paging::of_request(&state, &key, uri.path(), pairs)?;
    let limit = paging.params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let held = state.tape.underlyings()?;
    let rows: Vec<RelatedBody> = related(&ticker)
        .into_iter()
        .filter(|symbol| held.iter().any(|h| h == symbol))
        .map(|symbol| {
            let issuer = issuer_of(symbol);
            RelatedBody {
                ticker: symbol,
                name: issuer.map(|i| i.name),
                kind: issuer.map(|i| i.kind.code()),
            }
        })
        .collect();
    let page = paging.window(limit, rows.len());
    let next_url = paging.next_url(&state, page.end, rows.len());
    Ok(envelope::page(&request_id, &rows[page], next_url))
}
