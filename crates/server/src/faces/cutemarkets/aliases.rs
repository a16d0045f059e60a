//! Polygon-style aliases (`/v2`, `/v3`) of CuteMarkets endpoints, as Polygon clients and
//! cutebacktests call them: the key as `apiKey` (the gate reads it), no trailing slash, large
//! `limit`s clamped. Each alias is the `/v1` handler under another path; `next_url` stays on the
//! alias path.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use store::keys::ApiKey;

use super::{aggs, contracts, quotes, snapshots, stock_reference};
use crate::http::{PathParams, Problem, QueryParams, RequestId};
use crate::state::AppState;

/// Aggregates (Polygon path)
///
/// `/v1/options/aggs/{ticker}/{multiplier}/{timespan}/{from}/{to}` under Polygon's path: an
/// option ticker with an options key, an underlying's with a stocks key.
#[utoipa::path(
    get,
    path = "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from_date}/{to_date}",
    tag = "polygon",
    params(
        ("ticker" = String, Path, description = "Option ticker (O:...) or an underlying's"),
        ("multiplier" = u32, Path, description = "Bar size in timespans"),
        ("timespan" = String, Path, description = "second, minute, hour, day, week, month, quarter or year"),
        ("from_date" = String, Path, description = "YYYY-MM-DD or milliseconds"),
        ("to_date" = String, Path, description = "YYYY-MM-DD (inclusive) or milliseconds"),
    ),
    responses((status = 200, description = "As /v1/options/aggs/..."))
)]
pub async fn aggregates(
    state: State<AppState>,
    request_id: RequestId,
    key: Extension<ApiKey>,
    uri: OriginalUri,
    path: PathParams<(String, String, String, String, String)>,
    query: QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    aggs::range(state, request_id, key, uri, path, query).await
}

/// Options contracts (Polygon path)
///
/// `/v1/options/contracts/` under Polygon's path.
#[utoipa::path(
    get,
    path = "/v3/reference/options/contracts",
    tag = "polygon",
    responses((status = 200, description = "As /v1/options/contracts/"))
)]
pub async fn options_contracts(
    state: State<AppState>,
    request_id: RequestId,
    key: Extension<ApiKey>,
    uri: OriginalUri,
    query: QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    contracts::contracts(state, request_id, key, uri, query).await
}

/// Options quotes (Polygon path)
///
/// `/v1/options/quotes/{options_ticker}/` under Polygon's path (Expert and Commercial plans).
#[utoipa::path(
    get,
    path = "/v3/quotes/{options_ticker}",
    tag = "polygon",
    params(("options_ticker" = String, Path, description = "Polygon-style option ticker")),
    responses((status = 200, description = "As /v1/options/quotes/{options_ticker}/"))
)]
pub async fn option_quotes(
    state: State<AppState>,
    request_id: RequestId,
    key: Extension<ApiKey>,
    uri: OriginalUri,
    path: PathParams<String>,
    query: QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    quotes::quotes(state, request_id, key, uri, path, query).await
}

/// Option chain snapshot (Polygon path)
///
/// `/v1/options/chain/{underlying}/` under Polygon's path, with its default page size.
#[utoipa::path(
    get,
    path = "/v3/snapshot/options/{underlying}",
    tag = "polygon",
    params(("underlying" = String, Path, description = "The underlying's ticker")),
    responses((status = 200, description = "As /v1/options/chain/{underlying}/"))
)]
pub async fn option_chain(
    state: State<AppState>,
    request_id: RequestId,
    key: Extension<ApiKey>,
    uri: OriginalUri,
    path: PathParams<String>,
    query: QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    snapshots::chain(state, request_id, key, uri, path, query).await
}

/// Option contract snapshot (Polygon path)
///
/// `/v1/options/snapshot/{underlying}/{option_contract}/` under Polygon's path.
#[utoipa::path(
    get,
    path = "/v3/snapshot/options/{underlying}/{option_contract}",
    tag = "polygon",
    params(
        ("underlying" = String, Path, description = "The contract's underlying"),
        ("option_contract" = String, Path, description = "Polygon-style option ticker"),
    ),
    responses((status = 200, description = "As /v1/options/snapshot/{underlying}/{option_contract}/"))
)]
pub async fn option_snapshot(
    state: State<AppState>,
    request_id: RequestId,
    key: Extension<ApiKey>,
    path: PathParams<(String, String)>,
    query: QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    snapshots::contract(state, request_id, key, path, query).await
}

/// Ticker detail (Polygon path)
///
/// `/v1/stocks/tickers/{ticker}/` under Polygon's path, with any market-data key.
#[utoipa::path(
    get,
    path = "/v3/reference/tickers/{ticker}",
    tag = "polygon",
    params(("ticker" = String, Path, description = "The underlying's ticker")),
    responses((status = 200, description = "As /v1/stocks/tickers/{ticker}/"))
)]
pub async fn ticker_detail(
    state: State<AppState>,
    request_id: RequestId,
    key: Extension<ApiKey>,
    path: PathParams<String>,
    query: QueryParams<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    stock_reference::detail(state, request_id, key, path, query).await
}
