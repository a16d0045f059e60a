//! `/v1/paper/accounts/{id}/orders`: submit, list, get, look up by client order id, cancel
//! (paper-trading spec §5.7–5.11). A submission is checked in the order of §7.2: the request
//! (400 and 422 codes, nothing stored), then the client order id (409), then the account's cash
//! and positions (stored as `rejected` with the reason), then the session (`new` and evaluated
//! at once while it is open, `accepted` until the next open otherwise).

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::paper::POLICY_VERSION;
use engine::paper::evaluate::{Admission, admit};
use engine::paper::request::{PaperOrderRequest, Refusal};
use model::calendar;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use store::keys::ApiKey;
use store::paper_orders::{CancelRefusal, OrderRow, SubmitRefusal};
use uuid::Uuid;

use super::evaluation::evaluate_order;
use super::params::{self, Members};
use super::quotes;
use super::wire::order_body;
use crate::http::{JsonBody, PathParams, Problem, ProblemKind, QueryParams, Reply, RequestId};
use crate::state::{AppState, read_tape};

/// Fields v1 refuses when they are present and not null.
const REFUSED_FIELDS: [&str; 7] = [
    "notional",
    "stop_price",
    "trail_price",
    "trail_percent",
    "legs",
    "take_profit",
    "stop_loss",
];

fn refusal(refusal: Refusal) -> Problem {
    let kind = if refusal.status == 422 {
        ProblemKind::Unprocessable
    } else {
        ProblemKind::BadRequest
    };
    Problem::new(kind, refusal.message).with_code(refusal.code)
}

/// A text member: strings as sent, numbers as written.
fn text(members: &Members<'_>, name: &str) -> Result<Option<String>, Problem> {
    match members.get(name) {
        None => Ok(None),
        Some(value) if value.get().trim() == "null" => Ok(None),
        Some(value) => match value.get().trim().as_bytes().first() {
            Some(b'"') => params::string(name, value).map(Some),
            Some(b'-' | b'0'..=b'9') => Ok(Some(value.get().trim().to_string())),
            _ => Err(Problem::bad_request(format!("{name} must be a string"))),
        },
    }
}

/// The request as the engine reads it.
pub fn order_request(members: &Members<'_>) -> Result<PaperOrderRequest, Problem> {
    let extended_hours = match members.get("extended_hours").map(|v| v.get().trim()) {
        None | Some("null" | "false") => false,
        Some("true") => true,
        Some(_) => return Err(Problem::bad_request("extended_hours must be true or false")),
    };
    Ok(PaperOrderRequest {
        symbol: text(members, "symbol")?,
        qty: text(members, "qty")?,
        side: text(members, "side")?,
        order_type: match text(members, "type")? {
            Some(kind) => Some(kind),
            None => text(members, "order_type")?,
        },
        time_in_force: text(members, "time_in_force")?,
        limit_price: text(members, "limit_price")?,
        position_intent: text(members, "position_intent")?,
        client_order_id: text(members, "client_order_id")?,
        extended_hours,
        order_class: text(members, "order_class")?,
        present: REFUSED_FIELDS
            .into_iter()
            .filter(|name| {
                members
                    .get(name)
                    .is_some_and(|value| value.get().trim() != "null")
            })
            .collect(),
    })
}

fn one(request_id: &RequestId, order: &OrderRow) -> Value {
    json!({"status": "OK", "request_id": request_id.as_str(), "order": order_body(order)})
}

/// Submit an order
///
/// Alpaca-shaped body: `symbol` (a ticker or an `O:` contract), `qty`, `side`, `type` (market,
/// limit), `time_in_force` (day, gtc for stocks; day for options), `limit_price`,
/// `position_intent`, `client_order_id`. 201 with the order after its first evaluation: it may
/// already be filled, or `rejected` with its `reject_reason`.
#[utoipa::path(
    post,
    path = "/v1/paper/accounts/{account_id}/orders",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    request_body(content = Object, description = "the order"),
    responses(
        (status = 201, description = "The order under `order`"),
        (status = 400, description = "`bad_request` naming the field"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`duplicate_client_order_id`, `account_archived`"),
        (status = 422, description = "an unsupported feature, by its code"),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    JsonBody(raw): JsonBody<Box<RawValue>>,
) -> Reply<Response> {
    let account_id = params::account_id(&id)?;
    let members = Members::of(&raw)?;
    let request = order_request(&members)?;
    let order = submit_order(&state, &key, account_id, request).await?;
    Ok((StatusCode::CREATED, Json(one(&request_id, &order))).into_response())
}

/// Submits an order for the key's user to one of their accounts (§7.2) and evaluates it at once
/// while the session is open: the order as it then stands. Refusals carry their status and code;
/// a stored reject is an order, not a refusal. Shared by the native and Alpaca surfaces.
pub async fn submit_order(
    state: &AppState,
    key: &ApiKey,
    account_id: Uuid,
    request: PaperOrderRequest,
) -> Result<OrderRow, Problem> {
    let id = account_id.to_string();
    let now = state.market_now();
    let today = calendar::new_york_date(now);
    let closed_today = calendar::session(today).is_none_or(|s| now >= s.close);
    let order = request.check(today, closed_today).map_err(refusal)?;
    let symbol = order.symbol();
    let instrument = order.instrument.clone();
    let latest = read_tape(state, move |state| quotes::latest(state, &instrument, now)).await?;
    let client_order_id = order
        .client_order_id
        .clone()
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    let stored = state
        .store
        .submit_paper_order(key.user_id, account_id, |account, book| {
            let buying_power = (account.cash - book.reserved_except(None)).max(Decimal::ZERO);
            let available =
                book.held(&symbol) - book.open_sells.get(&symbol).copied().unwrap_or_default();
            let mut row = OrderRow {
                id: Uuid::new_v4(),
                account_id,
                generation: account.generation,
                client_order_id: client_order_id.clone(),
                symbol: symbol.clone(),
                side: order.side.as_str().into(),
                order_type: order.kind.as_str().into(),
                time_in_force: order.time_in_force.as_str().into(),
                qty: order.qty,
                limit_price: order.limit_price,
                position_intent: order.intent.map(|i| i.as_str().into()),
                status: "accepted".into(),
                filled_qty: Decimal::ZERO,
                filled_avg_price: None,
                reserved_cash: Decimal::ZERO,
                buying_power_at_submit: buying_power,
                submitted_at: now,
                updated_at: now,
                accepted_at: None,
                filled_at: None,
                canceled_at: None,
                expired_at: None,
                failed_at: None,
                expires_at: None,
                reject_reason: None,
                cancel_reason: None,
                expire_reason: None,
                last_no_fill_reason: None,
                last_evaluated_at: None,
                evaluation_count: 0,
                submission_quote: latest
                    .as_ref()
                    .map(|q| quotes::evidence(&symbol, q, now).to_string()),
                last_quote: None,
                policy_version: POLICY_VERSION.into(),
            };
            match admit(&order, latest.map(|q| q.ask), buying_power, available, now) {
                Admission::Rejected(reason) => {
                    row.status = "rejected".into();
                    row.failed_at = Some(now);
                    row.reject_reason = Some(reason.as_str().into());
                }
                Admission::Admitted {
                    in_session,
                    reserved,
                    expires_at,
                } => {
                    row.reserved_cash = reserved;
                    row.accepted_at = Some(now);
                    row.expires_at = expires_at;
                    if in_session {
                        row.status = "new".into();
                    }
                }
            }
            row
        })
        .await?
        .map_err(|refused| match refused {
            SubmitRefusal::NotFound => params::not_found(&id),
            SubmitRefusal::Archived => params::archived(&id),
            SubmitRefusal::Duplicate(duplicate) => Problem::new(
                ProblemKind::Conflict,
                format!(
                    "client_order_id {} is already used in this generation by order {}",
                    duplicate.client_order_id, duplicate.existing
                ),
            )
            .with_code("duplicate_client_order_id"),
        })?;
    Ok(if stored.status == "new" {
        evaluate_order(state, &stored).await?.unwrap_or(stored)
    } else {
        stored
    })
}

async fn account(
    state: &AppState,
    key: &ApiKey,
    id: &str,
) -> Result<store::paper_accounts::PaperAccount, Problem> {
    let account_id = params::account_id(id)?;
    state
        .store
        .paper_account(key.user_id, account_id)
        .await?
        .ok_or_else(|| params::not_found(id))
}

/// List orders
///
/// `status` open (default), closed or all; `generation` (current, a number, or all); `side`;
/// `symbols` (comma-separated, options with or without `O:`); `after`, `until` (RFC 3339,
/// exclusive, on submission); `direction` asc or desc (default) by submission; `limit` 1 to 500
/// (default 50).
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/orders",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, description = "Orders in `results`"), (status = 404, description = "`not_found`"))
)]
pub async fn list(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<Value>> {
    let account = account(&state, &key, &id).await?;
    let generation = params::generation(&pairs, account.generation)?;
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
    let ascending = params::ascending(&pairs)?;
    let limit = crate::faces::cutemarkets::query::Params::new(pairs.clone()).limit(50, 500)?;
    // Exclusive bounds on submission; symbols with or without `O:`.
    let after = params::instant(&pairs, "after")?;
    let until = params::instant(&pairs, "until")?;
    let symbols: Vec<String> = params::query(&pairs, "symbols")
        .map(|list| {
            list.split(',')
                .map(|s| s.trim().to_ascii_uppercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut orders: Vec<OrderRow> = state
        .store
        .paper_orders(account.id, generation)
        .await?
        .into_iter()
        .filter(|o| match status {
            "open" => o.is_open(),
            "closed" => !o.is_open(),
            _ => true,
        })
        .filter(|o| side.is_none_or(|s| o.side == s))
        .filter(|o| after.is_none_or(|t| o.submitted_at > t))
        .filter(|o| until.is_none_or(|t| o.submitted_at < t))
        .filter(|o| {
            symbols.is_empty()
                || symbols
                    .iter()
                    .any(|s| *s == o.symbol || *s == o.symbol.trim_start_matches("O:"))
        })
        .collect();
    if !ascending {
        orders.reverse();
    }
    orders.truncate(limit);
    let results: Vec<Value> = orders.iter().map(order_body).collect();
    Ok(Json(
        json!({"status": "OK", "request_id": request_id.as_str(), "results": results}),
    ))
}

fn order_not_found(id: &str) -> Problem {
    Problem::not_found(format!("order {id} not found"))
}

/// Get an order (any generation)
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/orders/{order_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("order_id" = String, Path)),
    responses((status = 200, description = "The order under `order`"), (status = 404, description = "`not_found`"))
)]
pub async fn get(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams((id, order)): PathParams<(String, String)>,
) -> Reply<Json<Value>> {
    let account = account(&state, &key, &id).await?;
    let order_id = Uuid::try_parse(&order).map_err(|_| order_not_found(&order))?;
    let row = state
        .store
        .paper_order(account.id, order_id)
        .await?
        .ok_or_else(|| order_not_found(&order))?;
    Ok(Json(one(&request_id, &row)))
}

/// Cancels an open order of one of the key's user's accounts (§9.6), or says why not: 404 for
/// an unknown order, 422 `order_not_cancelable` for one no longer open. Shared by the native
/// and Alpaca surfaces.
pub async fn cancel_order(
    state: &AppState,
    key: &ApiKey,
    account_id: Uuid,
    order_id: Uuid,
) -> Result<OrderRow, Problem> {
    state
        .store
        .cancel_paper_order(key.user_id, account_id, order_id, state.market_now())
        .await?
        .map_err(|refused| match refused {
            CancelRefusal::NotFound => order_not_found(&order_id.to_string()),
            CancelRefusal::NotCancelable(current) => Problem::new(
                ProblemKind::Unprocessable,
                format!(
                    "order {order_id} is {} and can no longer be canceled",
                    current.status
                ),
            )
            .with_code("order_not_cancelable"),
        })
}

/// Cancel an open order
///
/// `accepted`, `new` and `partially_filled` orders become `canceled` (`user_request`) and
/// release what they reserved; others answer 422 `order_not_cancelable`.
#[utoipa::path(
    delete,
    path = "/v1/paper/accounts/{account_id}/orders/{order_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path), ("order_id" = String, Path)),
    responses(
        (status = 200, description = "The canceled order under `order`"),
        (status = 404, description = "`not_found`"),
        (status = 422, description = "`order_not_cancelable`")
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams((id, order)): PathParams<(String, String)>,
) -> Reply<Json<Value>> {
    let account_id = params::account_id(&id)?;
    let order_id = Uuid::try_parse(&order).map_err(|_| order_not_found(&order))?;
    let row = cancel_order(&state, &key, account_id, order_id).await?;
    Ok(Json(one(&request_id, &row)))
}

/// Look up an order by its client order id
///
/// In the current generation unless `generation` names another.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/orders:by_client_order_id",
    tag = "paper",
    security(("bearer" = [])),
    params(
        ("account_id" = String, Path),
        ("client_order_id" = String, Query),
        ("generation" = Option<String>, Query, description = "a generation number; default the current one")
    ),
    responses(
        (status = 200, description = "The order under `order`"),
        (status = 400, description = "`bad_request`: no client_order_id"),
        (status = 404, description = "`not_found`")
    )
)]
pub async fn by_client_order_id(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<Value>> {
    let account = account(&state, &key, &id).await?;
    let client_order_id = params::query(&pairs, "client_order_id")
        .ok_or_else(|| Problem::bad_request("client_order_id is required"))?;
    let generation = params::generation(&pairs, account.generation)?.unwrap_or(account.generation);
    let row = state
        .store
        .paper_order_by_client_id(account.id, generation, client_order_id)
        .await?
        .ok_or_else(|| {
            Problem::not_found(format!("no order with client_order_id {client_order_id}"))
        })?;
    Ok(Json(one(&request_id, &row)))
}
