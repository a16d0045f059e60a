//! `/simulations/{id}/orders`: place, dry-run, list, read, cancel.
//!
//! An order is checked in the documented order (§8.2): its shape, required fields, ticks and
//! maximum profit first, then the account and the market at the simulation's clock. Accepted, it
//! is appended to the ledger with the fill the engine found: at once, at a later second of the
//! session, or never. Every refusal is a 400 with the reason, and nothing is written.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::ledger::{Placed, Status, has_dependents};
use engine::order::{LegRequest, OrderRequest};
use engine::placement::{Desk, PlaceError, Placement};
use serde_json::Value;
use store::simulations::Appended;
use uuid::Uuid;

use super::desk::{Loaded, simulation_id};
use super::session::SessionUser;
use crate::http::{JsonBody, PathParams, Problem, ProblemKind, Reply};
use crate::state::AppState;
use crate::state::read_tape;

/// Times an order is decided again when another request changed the ledger meanwhile (another
/// server process: within one process the simulation's lock orders writers).
const ATTEMPTS: usize = 3;

/// A price or quantity as text: decimal strings as sent, numbers as written.
fn text_field(
    object: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<String>, Problem> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(_) => Err(Problem::bad_request(format!(
            "{name} must be a decimal string"
        ))),
    }
}

/// The request body as the engine reads it. Unknown fields are ignored; what is missing or
/// malformed is left for the engine's checks, which say so in the documented order.
pub(crate) fn order_request(body: &Value) -> Result<OrderRequest, Problem> {
    let object = body
        .as_object()
        .ok_or_else(|| Problem::bad_request("request body must be a JSON object"))?;
    let legs = match object.get("legs") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(legs)) => legs
            .iter()
            .map(|leg| {
                let leg = leg
                    .as_object()
                    .ok_or_else(|| Problem::bad_request("each leg must be a JSON object"))?;
                Ok(LegRequest {
                    instrument: text_field(leg, "instrument")?.unwrap_or_default(),
                    quantity: text_field(leg, "quantity")?.unwrap_or_default(),
                    action: text_field(leg, "action")?.unwrap_or_default(),
                })
            })
            .collect::<Result<_, Problem>>()?,
        Some(_) => return Err(Problem::bad_request("legs must be an array")),
    };
    Ok(OrderRequest {
        order_type: text_field(object, "type")?.unwrap_or_default(),
        price: text_field(object, "price")?,
        price_effect: text_field(object, "price_effect")?,
        stop_trigger: text_field(object, "stop_trigger")?,
        legs,
    })
}

/// Decides `request` against the simulation at its clock. Blocking: reads the tape.
fn decide(
    state: &AppState,
    loaded: &Loaded,
    id: Uuid,
    request: &OrderRequest,
) -> Result<Placement, Problem> {
    let order = request
        .check()
        .map_err(|refusal| Problem::bad_request(refusal.0))?;
    let market = loaded.market(state)?;
    let simulation = loaded.simulation();
    let desk = Desk {
        simulation: &simulation,
        underlying: &loaded.record.underlying,
        ledger: &loaded.ledger.orders,
        clock: loaded.clock(),
        market: &market,
    };
    desk.place(id, order, loaded.slippage)
        .map_err(|error| match error {
            PlaceError::Refused(refusal) => Problem::bad_request(refusal.0),
            PlaceError::Market(error) => Problem::internal(error),
        })
}

/// The order object as placed, with its buying-power block.
fn placed_body(loaded: &Loaded, placement: &Placement, dry_run: bool) -> Value {
    let mut view = loaded.order_view(&placement.placed, loaded.clock());
    view.buying_power = Some(&placement.effect);
    if dry_run {
        view.id = Some(Uuid::nil());
        view.transactions = None;
    }
    view.body()
}

async fn load_and_decide(
    state: &AppState,
    session: &store::sessions::SessionAuth,
    simulation: Uuid,
    request: OrderRequest,
) -> Result<(Loaded, Placement), Problem> {
    let loaded = Loaded::load(state, &session.user, simulation).await?;
    read_tape(state, move |state| {
        let placement = decide(state, &loaded, Uuid::new_v4(), &request)?;
        Ok((loaded, placement))
    })
    .await
}

/// Place an order
///
/// Body `{"type": "limit", "price": "1.05", "price_effect": "debit", "legs": [{"instrument":
/// "SPXW  250115C05950000", "quantity": "1", "action": "buy to open"}, …]}`. `market` and `stop`
/// orders have one leg; `limit` orders up to eight. Filled at placement, the response carries
/// the transactions; pending, it fills when the clock reaches the second its condition first
/// holds.
#[utoipa::path(
    post,
    path = "/simulations/{id}/orders",
    tag = "orders",
    security(("session" = [])),
    params(("id" = String, Path)),
    request_body(content = Object, description = "type, price, price_effect, stop_trigger, legs"),
    responses(
        (status = 201, body = Object, description = "the order, with its buying-power-effect"),
        (status = 400, content_type = "text/plain"),
        (status = 404, content_type = "text/plain")
    )
)]
pub async fn place(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<Value>,
) -> Reply<(StatusCode, Json<Value>)> {
    let simulation = simulation_id(&id)?;
    let request = order_request(&body)?;
    let _writer = state.simulation_locks.hold(simulation).await;
    for _ in 0..ATTEMPTS {
        let (loaded, placement) =
            load_and_decide(&state, &session, simulation, request.clone()).await?;
        let appended = state
            .store
            .append_order(
                simulation,
                loaded.ledger.next_seq,
                &placement.placed,
                state.now(),
            )
            .await?;
        if appended == Appended::Done {
            return Ok((
                StatusCode::CREATED,
                Json(placed_body(&loaded, &placement, false)),
            ));
        }
    }
    Err(changed_meanwhile())
}

fn changed_meanwhile() -> Problem {
    Problem::new(
        ProblemKind::Conflict,
        "the simulation kept changing while the order was decided; retry",
    )
}

/// Check an order without placing it
///
/// The same checks and the same answer as placing it, with the nil id and no transactions;
/// nothing is written.
#[utoipa::path(
    post,
    path = "/simulations/{id}/orders/dry-run",
    tag = "orders",
    security(("session" = [])),
    params(("id" = String, Path)),
    request_body(content = Object, description = "as for placing an order"),
    responses(
        (status = 200, body = Object, description = "the order as it would be placed"),
        (status = 400, content_type = "text/plain"),
        (status = 404, content_type = "text/plain")
    )
)]
pub async fn dry_run(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<Value>,
) -> Reply<Json<Value>> {
    let simulation = simulation_id(&id)?;
    let request = order_request(&body)?;
    let (loaded, placement) = load_and_decide(&state, &session, simulation, request).await?;
    Ok(Json(placed_body(&loaded, &placement, true)))
}

/// The simulation's orders
///
/// Every order, by the time it was placed, as it stands at the simulation's clock.
#[utoipa::path(
    get,
    path = "/simulations/{id}/orders",
    tag = "orders",
    security(("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = [Object]), (status = 404, content_type = "text/plain"))
)]
pub async fn list(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams(id): PathParams<String>,
) -> Reply<Json<Vec<Value>>> {
    let loaded = Loaded::load(&state, &session.user, simulation_id(&id)?).await?;
    let mut orders: Vec<_> = loaded.ledger.orders.iter().collect();
    orders.sort_by_key(|placed| placed.placed_at);
    Ok(Json(
        orders
            .into_iter()
            .map(|placed| loaded.order_view(placed, loaded.clock()).body())
            .collect(),
    ))
}

fn order_not_found() -> Problem {
    Problem::not_found("order not found")
}

/// One order at the simulation's clock
///
/// A pending order carries its `buying-power-effect` as if it were placed now.
#[utoipa::path(
    get,
    path = "/simulations/{id}/orders/{order_id}",
    tag = "orders",
    security(("session" = [])),
    params(("id" = String, Path), ("order_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, content_type = "text/plain"))
)]
pub async fn get(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams((id, order)): PathParams<(String, String)>,
) -> Reply<Json<Value>> {
    let loaded = Loaded::load(&state, &session.user, simulation_id(&id)?).await?;
    let order = Uuid::parse_str(&order).map_err(|_| order_not_found())?;
    if !loaded.ledger.orders.iter().any(|placed| placed.id == order) {
        return Err(order_not_found());
    }
    read_tape(&state, move |state| {
        let placed = loaded
            .ledger
            .orders
            .iter()
            .find(|placed| placed.id == order)
            .ok_or_else(order_not_found)?;
        let clock = loaded.clock();
        let mut view = loaded.order_view(placed, clock);
        let effect;
        if placed.status(clock, loaded.end) == Status::Pending {
            // As if placed now, against the rest of the ledger.
            let others: Vec<Placed> = loaded
                .ledger
                .orders
                .iter()
                .filter(|other| other.id != order)
                .cloned()
                .collect();
            let market = loaded.market(state)?;
            let simulation = loaded.simulation();
            let desk = Desk {
                simulation: &simulation,
                underlying: &loaded.record.underlying,
                ledger: &others,
                clock,
                market: &market,
            };
            effect = desk.pending_effect(placed).map_err(Problem::internal)?;
            view.buying_power = Some(&effect);
        }
        Ok(Json(view.body()))
    })
    .await
}

/// Cancel or delete an order
///
/// Works on pending and filled orders alike: the order, its transactions and what settlement
/// it affected drop out of the simulation, and its reserved buying power is released. The
/// ledger keeps the order with a cancellation entry after it. An order that filled cannot be
/// deleted while orders placed after its fill remain: they were checked against its fill.
#[utoipa::path(
    delete,
    path = "/simulations/{id}/orders/{order_id}",
    tag = "orders",
    security(("session" = [])),
    params(("id" = String, Path), ("order_id" = String, Path)),
    responses(
        (status = 204, description = "cancelled"),
        (status = 400, content_type = "text/plain"),
        (status = 404, content_type = "text/plain")
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams((id, order)): PathParams<(String, String)>,
) -> Reply<StatusCode> {
    let simulation = simulation_id(&id)?;
    let order = Uuid::parse_str(&order).map_err(|_| order_not_found())?;
    let _writer = state.simulation_locks.hold(simulation).await;
    for _ in 0..ATTEMPTS {
        let loaded = Loaded::load(&state, &session.user, simulation).await?;
        let index = loaded
            .ledger
            .orders
            .iter()
            .position(|placed| placed.id == order)
            .ok_or_else(order_not_found)?;
        if has_dependents(&loaded.ledger.orders, index) {
            return Err(Problem::bad_request(
                "order has dependent orders placed after it filled; delete them first",
            ));
        }
        let appended = state
            .store
            .append_cancel(simulation, loaded.ledger.next_seq, order, state.now())
            .await?;
        if appended == Appended::Done {
            return Ok(StatusCode::NO_CONTENT);
        }
    }
    Err(changed_meanwhile())
}
