//! `/v2/orders` (paper-trading spec §12.3): submit through the native pipeline, list, get, look
//! up by client order id, cancel one or all. Every view is the account's current generation.
//!
//! A submission the account checks reject (§7.2 step 9) is stored, as natively, but answered
//! `403` with Alpaca's error body (§12.7, §16.2), because that is how Alpaca refuses an order
//! for buying power or a short sale and clients handle it as an error. An order rejected later by
//! its first evaluation (a wide option spread) answers `200` with `status: rejected`, the way
//! Alpaca reports a venue's reject.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::paper::request::{PaperOrderRequest, native_symbol, parse_symbol};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use store::keys::ApiKey;
use store::paper_orders::OrderRow;
use uuid::Uuid;

use super::account::{load, unsupported};
use super::wire;
use crate::faces::paper::orders::{self as native, order_request, submit_order};
use crate::faces::paper::params::{self, Members};
use crate::http::face::alpaca_code;
use crate::http::{JsonBody, PathParams, Problem, ProblemKind, QueryParams, Reply};
use crate::state::AppState;

/// Submits an order through the native pipeline and keeps what `/v2` answers with a success:
/// the order, unless the account checks rejected it at submission (never accepted), which is
/// 403 naming the reason and the stored order.
pub async fn place(
    state: &AppState,
    key: &ApiKey,
    account_id: Uuid,
    request: PaperOrderRequest,
) -> Result<OrderRow, Problem> {
    let order = submit_order(state, key, account_id, request)
        .await
        .map_err(wire::problem)?;
    if order.status == "rejected" && order.accepted_at.is_none() {
        let reason = order.reject_reason.as_deref().unwrap_or("rejected");
        return Err(Problem::forbidden(format!(
            "{}; order {} is stored as rejected",
            reason.replace('_', " "),
            order.id
        )));
    }
    Ok(order)
}

/// Submit an order
///
/// Alpaca's order request: `symbol` (a ticker, or an option as `SPY250117C00600000` or
/// `O:SPY250117C00600000`), `qty`, `side`, `type` (market, limit), `time_in_force` (day, gtc
/// for stocks), `limit_price`, `position_intent`, `client_order_id`. 200 with the Order after
/// its first evaluation; 403 when the account's cash or positions reject it (the order is
/// stored as `rejected`); 422 for what paper trading does not support.
#[utoipa::path(
    post,
    path = "/v1/paper/accounts/{account_id}/v2/orders",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    request_body(content = Object, description = "Alpaca order request"),
    responses(
        (status = 200, description = "Alpaca Order"),
        (status = 403, description = "`{code: 40310000}`: rejected by the account checks, stored"),
        (status = 422, description = "`{code: 42210000}` unsupported; `{code: 40010001}` duplicate client_order_id"),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    JsonBody(raw): JsonBody<Box<RawValue>>,
) -> Reply<Json<Value>> {
    let account_id = params::account_id(&id)?;
    let members = Members::of(&raw)?;
    let request = order_request(&members)?;
    let order = place(&state, &key, account_id, request).await?;
    Ok(Json(wire::order(&order)))
}

/// The current generation's orders, oldest first.
async fn current_orders(
    state: &AppState,
    key: &ApiKey,
    id: &str,
) -> Result<(store::paper_accounts::PaperAccount, Vec<OrderRow>), Problem> {
    let account = load(state, key, id).await?;
    let orders = state
        .store
        .paper_orders(account.id, Some(account.generation))
        .await?;
    Ok((account, orders))
}

/// A symbol as the store keeps it (`O:` options), for matching `symbols`.
fn native(text: &str) -> String {
    parse_symbol(text)
        .map(|instrument| native_symbol(&instrument))
        .unwrap_or_else(|| text.trim().to_ascii_uppercase())
}

/// List orders
///
/// `status` open (default), closed or all; `limit` 1 to 500 (default 50); `after`, `until`
/// (RFC 3339, exclusive, on submission); `direction` desc (default) or asc; `side`; `symbols`
/// (comma-separated, options with or without `O:`); `nested` is accepted and ignored.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/orders",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, description = "Array of Alpaca Orders"), (status = 400, description = "`{code: 40010000}`"))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<Value>> {
    let status = params::query(&pairs, "status").unwrap_or("open");
    if !matches!(status, "open" | "closed" | "all") {
        return Err(Problem::bad_request(format!(
            "status must be open, closed or all, not {status:?}"
        )));
    }
    let side = params::query(&pairs, "side");
    if let Some(side) = side
        && !matches!(side, "buy" | "sell")
    {
        return Err(Problem::bad_request(format!(
            "side must be buy or sell, not {side:?}"
        )));
    }
    let symbols: Option<Vec<String>> = params::query(&pairs, "symbols").map(|list| {
        list.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(native)
            .collect()
    });
    let after = params::instant(&pairs, "after")?;
    let until = params::instant(&pairs, "until")?;
    let ascending = params::ascending(&pairs)?;
    let limit = crate::faces::cutemarkets::query::Params::new(pairs.clone()).limit(50, 500)?;
    let (_, orders) = current_orders(&state, &key, &id).await?;
    let mut orders: Vec<OrderRow> = orders
        .into_iter()
        .filter(|o| match status {
            "open" => o.is_open(),
            "closed" => !o.is_open(),
            _ => true,
        })
        .filter(|o| side.is_none_or(|s| o.side == s))
        .filter(|o| symbols.as_ref().is_none_or(|list| list.contains(&o.symbol)))
        .filter(|o| after.is_none_or(|t| o.submitted_at > t))
        .filter(|o| until.is_none_or(|t| o.submitted_at < t))
        .collect();
    if !ascending {
        orders.reverse();
    }
    orders.truncate(limit);
    Ok(Json(Value::Array(orders.iter().map(wire::order).collect())))
}

fn order_not_found(id: &str) -> Problem {
    Problem::not_found(format!("order {id} not found"))
}

/// The current generation's order named by the path.
async fn current_order(
    state: &AppState,
    key: &ApiKey,
    id: &str,
    order: &str,
) -> Result<OrderRow, Problem> {
    let account = load(state, key, id).await?;
    let order_id = Uuid::try_parse(order).map_err(|_| order_not_found(order))?;
    state
        .store
        .paper_order(account.id, order_id)
        .await?
        .filter(|row| row.generation == account.generation)
        .ok_or_else(|| order_not_found(order))
}

/// Get an order
///
/// Of the current generation (earlier generations' orders are on the native surface).
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/orders/{order_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("order_id" = String, Path)),
    responses((status = 200, description = "Alpaca Order"), (status = 404, description = "`{code: 40410000}`"))
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams((id, order)): PathParams<(String, String)>,
) -> Reply<Json<Value>> {
    let row = current_order(&state, &key, &id, &order).await?;
    Ok(Json(wire::order(&row)))
}

/// Cancel an order
///
/// 204 with no body; 422 when the order is no longer open; 404 when unknown.
#[utoipa::path(
    delete,
    path = "/v1/paper/accounts/{account_id}/v2/orders/{order_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("order_id" = String, Path)),
    responses(
        (status = 204, description = "Canceled"),
        (status = 404, description = "`{code: 40410000}`"),
        (status = 422, description = "`{code: 42210000}`: not open any more")
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams((id, order)): PathParams<(String, String)>,
) -> Reply<StatusCode> {
    let current = current_order(&state, &key, &id, &order).await?;
    native::cancel_order(&state, &key, current.account_id, current.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace an order (not supported: 422)
#[utoipa::path(
    patch,
    path = "/v1/paper/accounts/{account_id}/v2/orders/{order_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("order_id" = String, Path)),
    responses((status = 422, description = "`{code: 42210000}`: cancel and submit again"))
)]
pub async fn replace(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams((id, order)): PathParams<(String, String)>,
) -> Reply<StatusCode> {
    current_order(&state, &key, &id, &order).await?;
    Err(unsupported(
        "replacing an order is not supported by the paper simulator; cancel it and submit a new one",
    ))
}

/// Cancels every open order of the current generation: one `{id, status, body}` per order,
/// `200` with the canceled Order, or `500` with an error body for one that was decided first.
pub async fn cancel_open(state: &AppState, key: &ApiKey, id: &str) -> Result<Vec<Value>, Problem> {
    let (account, orders) = current_orders(state, key, id).await?;
    let mut results = Vec::new();
    for order in orders.iter().filter(|o| o.is_open()) {
        results.push(
            match native::cancel_order(state, key, account.id, order.id).await {
                Ok(canceled) => {
                    json!({"id": order.id.to_string(), "status": 200, "body": wire::order(&canceled)})
                }
                Err(refused) => {
                    let problem = Problem::new(ProblemKind::Internal, refused.message);
                    json!({
                        "id": order.id.to_string(),
                        "status": 500,
                        "body": {"code": alpaca_code(&problem), "message": problem.message},
                    })
                }
            },
        );
    }
    Ok(results)
}

/// Cancel all open orders
///
/// 207 with one `{id, status, body}` per open order of the current generation.
#[utoipa::path(
    delete,
    path = "/v1/paper/accounts/{account_id}/v2/orders",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 207, description = "Array of `{id, status, body}`"))
)]
pub async fn cancel_all(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Response> {
    let results = cancel_open(&state, &key, &id).await?;
    Ok((StatusCode::MULTI_STATUS, Json(Value::Array(results))).into_response())
}

/// Look up an order by its client order id
///
/// In the current generation.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/orders:by_client_order_id",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("client_order_id" = String, Query)),
    responses(
        (status = 200, description = "Alpaca Order"),
        (status = 400, description = "`{code: 40010000}`: no client_order_id"),
        (status = 404, description = "`{code: 40410000}`")
    )
)]
pub async fn by_client_order_id(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<Value>> {
    let client_order_id = params::query(&pairs, "client_order_id")
        .ok_or_else(|| Problem::bad_request("client_order_id is required"))?;
    let account = load(&state, &key, &id).await?;
    let row = state
        .store
        .paper_order_by_client_id(account.id, account.generation, client_order_id)
        .await?
        .ok_or_else(|| {
            Problem::not_found(format!("no order with client_order_id {client_order_id}"))
        })?;
    Ok(Json(wire::order(&row)))
}
