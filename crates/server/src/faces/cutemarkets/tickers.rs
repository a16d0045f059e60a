//! `GET /v1/tickers/search/`: the underlyings the tape holds whose symbol or name matches a
//! fragment, exact symbols first.

use axum::Extension;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use model::issuers::{issuer_of, search_rank};
use serde_json::{Map, Value};
use store::keys::ApiKey;

use super::envelope;
use super::paging::Paging;
use crate::http::{Problem, QueryParams, RequestId};
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
