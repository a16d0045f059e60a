//! `GET /v1/options/chain`: every contract the store has held for one root and expiration.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use model::symbol::Root;
use std::time::Instant;

use super::envelope;
use super::params::{self, IdempotencyParams};
use crate::http::Problem;
use crate::state::{AppState, read_tape};

const FORMAT: [&str; 4] = ["root", "expiration", "strike", "right"];

/// List the contracts of a root and expiration
///
/// Every contract any recorded session listed, expired chains included: `root`, `expiration`
/// (YYYYMMDD), `strike` in tenths of a cent (divide by 1000 for dollars) and `right`, sorted by
/// strike, calls before puts.
#[utoipa::path(
    get,
    path = "/v1/options/chain",
    tag = "column",
    params(
        ("root" = String, Query, description = "Option root, `^[A-Z0-9.]+$`, at most 8 characters", example = "SPXW"),
        ("exp" = String, Query, description = "Expiration, YYYYMMDD", example = "20250115"),
        IdempotencyParams,
    ),
    responses(
        (status = 200, description = "`{header: {latency_ms, format}, response: [[root, expiration, strike, right], ...]}`"),
        (status = 400, description = "`invalid_parameters` with `details.fieldErrors`"),
        (status = 404, description = "`not_found`: the store has no contract of that root and expiration"),
    )
)]
pub async fn chain(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let started = Instant::now();
    let query = params::chain(query.as_deref())?;
    let rows = read_tape(&state, move |state| {
        let not_found = || {
            Problem::not_found(format!(
                "no contracts of {} expiring {} in the store",
                query.root,
                tape::format::yyyymmdd(query.exp)
            ))
        };
        // A root no OSI symbol can carry (longer than six, or with a dot) has no contracts.
        let root = Root::new(&query.root).map_err(|_| not_found())?;
        let mut contracts = state.tape.expiration_contracts(
            &root,
            query.exp,
            model::calendar::new_york_date(state.market_now()),
        )?;
        if contracts.is_empty() {
            return Err(not_found());
        }
        contracts.sort_by_key(|s| (s.strike, s.right));
        let expiration = tape::format::yyyymmdd(query.exp);
        Ok(contracts
            .iter()
            .map(|s| {
                (
                    query.root.clone(),
                    expiration,
                    s.strike.thousandths(),
                    s.right.as_char(),
                )
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(envelope::respond(started, &FORMAT, &rows))
}
