//! `/simulations/{id}/transactions` and `/simulations/{id}/positions`: what the ledger shows at
//! the simulation's clock. Nothing here is stored; both are computed on each request.

use axum::Json;
use axum::extract::State;

use super::desk::{Loaded, simulation_id};
use super::session::SessionUser;
use super::wire::{PositionBody, TransactionBody};
use crate::http::{PathParams, Reply};
use crate::state::AppState;
use crate::state::read_tape;

/// Transactions up to the clock
///
/// Every filled leg and settlement record with `datetime` at or before the clock, in time order.
#[utoipa::path(
    get,
    path = "/simulations/{id}/transactions",
    tag = "simulations",
    security(("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = [TransactionBody]), (status = 404, content_type = "text/plain"))
)]
pub async fn transactions(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams(id): PathParams<String>,
) -> Reply<Json<Vec<TransactionBody>>> {
    let loaded = Loaded::load(&state, &session.user, simulation_id(&id)?).await?;
    read_tape(&state, move |state| {
        let account = loaded.account(state, loaded.clock())?;
        Ok(account
            .transactions
            .iter()
            .map(TransactionBody::of)
            .collect())
    })
    .await
    .map(Json)
}

/// Open positions at the clock
///
/// Derived from the visible transactions and marked at the mid of the clock's quotes.
#[utoipa::path(
    get,
    path = "/simulations/{id}/positions",
    tag = "simulations",
    security(("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = [PositionBody]), (status = 404, content_type = "text/plain"))
)]
pub async fn positions(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams(id): PathParams<String>,
) -> Reply<Json<Vec<PositionBody>>> {
    let loaded = Loaded::load(&state, &session.user, simulation_id(&id)?).await?;
    read_tape(&state, move |state| {
        let account = loaded.account(state, loaded.clock())?;
        let account = account
            .with_deltas(&loaded.market(state)?)
            .map_err(crate::http::Problem::internal)?;
        Ok(account.positions.iter().map(PositionBody::of).collect())
    })
    .await
    .map(Json)
}
