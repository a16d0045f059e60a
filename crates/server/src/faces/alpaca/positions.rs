//! `/v2/positions` (paper-trading spec §12.3): the current generation's long positions marked
//! at the market clock, one by symbol or asset id, and closing them with market sell orders
//! submitted through the native pipeline.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::paper::request::{PaperOrderRequest, native_symbol, parse_symbol};
use model::money::{canonical, parse_decimal};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};
use store::keys::ApiKey;
use store::paper_orders::{AccountBook, PositionRow};
use uuid::Uuid;

use super::account::unsupported;
use super::orders::{cancel_open, place};
use super::wire;
use crate::faces::paper::params;
use crate::faces::paper::positions::mark;
use crate::faces::paper::wire::asset_id;
use crate::http::face::alpaca_code;
use crate::http::{PathParams, Problem, QueryParams, Reply};
use crate::state::{AppState, read_tape};

/// Shares are closed to the ninth decimal (§5.7), contracts whole.
const SHARE_DECIMALS: u32 = 9;

/// The account's book (its current generation), or 404.
async fn book(state: &AppState, key: &ApiKey, id: &str) -> Result<AccountBook, Problem> {
    let account_id = params::account_id(id)?;
    let (_, book) = state
        .store
        .paper_book(key.user_id, account_id)
        .await?
        .ok_or_else(|| params::not_found(id))?;
    Ok(book)
}

/// The held position a path names: by symbol (options with or without `O:`) or asset id.
fn find(book: &AccountBook, symbol_or_asset_id: &str) -> Result<PositionRow, Problem> {
    let found = match Uuid::try_parse(symbol_or_asset_id) {
        Ok(asset) => book
            .positions
            .values()
            .find(|p| asset_id(&p.symbol) == asset),
        Err(_) => parse_symbol(symbol_or_asset_id)
            .and_then(|instrument| book.positions.get(&native_symbol(&instrument))),
    };
    found
        .cloned()
        .ok_or_else(|| Problem::not_found("position does not exist"))
}

/// Positions as `/v2` answers them, marked at the market clock.
async fn answer(
    state: &AppState,
    book: &AccountBook,
    positions: Vec<PositionRow>,
) -> Result<Vec<Value>, Problem> {
    let marked = read_tape(state, move |state| mark(state, positions)).await?;
    Ok(marked
        .iter()
        .map(|m| {
            let held = book.open_sells.get(&m.position.symbol).copied();
            wire::position(m, held.unwrap_or_default())
        })
        .collect())
}

/// All open positions
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/positions",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, description = "Array of Alpaca Positions, by symbol"), (status = 404, description = "`{code: 40410000}`"))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Json<Value>> {
    let book = book(&state, &key, &id).await?;
    let positions = book.positions.values().cloned().collect();
    Ok(Json(Value::Array(answer(&state, &book, positions).await?)))
}

/// One open position
///
/// By symbol (`AAPL`, `SPY250117C00600000`, `O:SPY250117C00600000`) or asset id.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/positions/{symbol_or_asset_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("symbol_or_asset_id" = String, Path)),
    responses((status = 200, description = "Alpaca Position"), (status = 404, description = "`{code: 40410000, message: \"position does not exist\"}`"))
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams((id, symbol)): PathParams<(String, String)>,
) -> Reply<Json<Value>> {
    let book = book(&state, &key, &id).await?;
    let position = find(&book, &symbol)?;
    let mut answered = answer(&state, &book, vec![position]).await?;
    Ok(Json(answered.pop().unwrap_or(Value::Null)))
}

/// The quantity a close sells: `qty` as sent, `percentage` of the position (whole contracts,
/// shares to the ninth decimal, rounded down), or the whole position.
fn close_qty(
    pairs: &[(String, String)],
    position: &PositionRow,
) -> Result<Option<String>, Problem> {
    let qty = params::query(pairs, "qty");
    let percentage = params::query(pairs, "percentage");
    match (qty, percentage) {
        (Some(_), Some(_)) => Err(Problem::bad_request("give qty or percentage, not both")),
        (Some(qty), None) => Ok(Some(qty.to_string())),
        (None, Some(text)) => {
            let share = parse_decimal(text)
                .ok()
                .filter(|p| *p > Decimal::ZERO && *p <= Decimal::ONE_HUNDRED)
                .ok_or_else(|| {
                    Problem::bad_request(format!(
                        "percentage must be a number above 0 and at most 100, not {text:?}"
                    ))
                })?;
            let decimals = if position.symbol.starts_with("O:") {
                0
            } else {
                SHARE_DECIMALS
            };
            let qty = (position.holding.qty * share / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(decimals, RoundingStrategy::ToZero);
            if qty.is_zero() {
                return Err(unsupported(&format!(
                    "{text}% of {} is less than one contract",
                    canonical(position.holding.qty)
                )));
            }
            Ok(Some(canonical(qty)))
        }
        (None, None) => Ok(Some(canonical(position.holding.qty))),
    }
}

/// A market sell for the day of `qty` of the position (options: `sell_to_close`).
fn closing_order(position: &PositionRow, qty: Option<String>) -> PaperOrderRequest {
    let option = position.symbol.starts_with("O:");
    PaperOrderRequest {
        symbol: Some(position.symbol.clone()),
        qty,
        side: Some("sell".into()),
        order_type: Some("market".into()),
        time_in_force: Some("day".into()),
        limit_price: None,
        position_intent: option.then(|| "sell_to_close".into()),
        client_order_id: None,
        extended_hours: false,
        order_class: None,
        present: Vec::new(),
    }
}

/// Close a position
///
/// Submits a market sell for the day: `qty`, or `percentage` of the position, or all of it.
/// 200 with the Order; 403 when the shares or contracts are held by open sell orders.
#[utoipa::path(
    delete,
    path = "/v1/paper/accounts/{account_id}/v2/positions/{symbol_or_asset_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("symbol_or_asset_id" = String, Path)),
    responses(
        (status = 200, description = "The closing Alpaca Order"),
        (status = 403, description = "`{code: 40310000}`: not enough available"),
        (status = 404, description = "`{code: 40410000}`")
    )
)]
pub async fn close(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams((id, symbol)): PathParams<(String, String)>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<Value>> {
    let account_id = params::account_id(&id)?;
    let book = book(&state, &key, &id).await?;
    let position = find(&book, &symbol)?;
    let qty = close_qty(&pairs, &position)?;
    let order = place(&state, &key, account_id, closing_order(&position, qty)).await?;
    Ok(Json(wire::order(&order)))
}

/// Close all positions
///
/// With `cancel_orders=true` cancels the open orders first; then one market sell per position.
/// 207 with one `{order_id, status, symbol, body}` per position.
#[utoipa::path(
    delete,
    path = "/v1/paper/accounts/{account_id}/v2/positions",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("cancel_orders" = Option<bool>, Query)),
    responses((status = 207, description = "Array of `{order_id, status, symbol, body}`"))
)]
pub async fn close_all(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Response> {
    let account_id = params::account_id(&id)?;
    if params::boolean(&pairs, "cancel_orders", false)? {
        cancel_open(&state, &key, &id).await?;
    }
    let book = book(&state, &key, &id).await?;
    let mut results = Vec::new();
    for position in book.positions.values() {
        let request = closing_order(position, Some(canonical(position.holding.qty)));
        let symbol = wire::symbol(&position.symbol);
        results.push(match place(&state, &key, account_id, request).await {
            Ok(order) => json!({
                "order_id": order.id.to_string(),
                "status": 200,
                "symbol": symbol,
                "body": wire::order(&order),
            }),
            Err(problem) => json!({
                "status": problem.status().as_u16(),
                "symbol": symbol,
                "body": {"code": alpaca_code(&problem), "message": problem.message, "symbol": symbol},
            }),
        });
    }
    Ok((StatusCode::MULTI_STATUS, Json(Value::Array(results))).into_response())
}

/// Exercise an option (not supported: 422)
#[utoipa::path(
    post,
    path = "/v1/paper/accounts/{account_id}/v2/positions/{symbol_or_asset_id}/exercise",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("symbol_or_asset_id" = String, Path)),
    responses((status = 422, description = "`{code: 42210000}`: not supported"))
)]
pub async fn exercise(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams((id, symbol)): PathParams<(String, String)>,
) -> Reply<StatusCode> {
    let book = book(&state, &key, &id).await?;
    find(&book, &symbol)?;
    Err(unsupported(
        "exercising options is not supported by the paper simulator; sell the contract instead",
    ))
}
