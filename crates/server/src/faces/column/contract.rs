//! The contract a column request names, found in the tape, and the envelope of its rows day by
//! day.

use axum::response::Response;
use model::symbol::{OptionSymbol, Root, Strike};
use serde::Serialize;
use std::time::Instant;
use tape::ContractDay;

use super::envelope;
use super::params::ContractQuery;
use crate::http::Problem;
use crate::state::{AppState, read_tape};

fn not_found(query: &ContractQuery) -> Problem {
    Problem::not_found(format!(
        "no contract {} {} {} {} in the store",
        query.root,
        tape::format::yyyymmdd(query.exp),
        Strike::from_thousandths(query.strike)
            .map_or_else(|_| query.strike.to_string(), |s| s.to_string()),
        query.right
    ))
}

/// The OSI contract of a query; `None` when no contract can have that name (a root longer than
/// six characters or with a dot, an expiration outside 2000-2099).
fn symbol(query: &ContractQuery) -> Option<OptionSymbol> {
    let root = Root::new(&query.root).ok()?;
    let strike = Strike::from_thousandths(query.strike).ok()?;
    OptionSymbol::new(root, query.exp, query.right, strike).ok()
}

/// The days from `start_date` through `end_date` on which the tape holds the contract, each read
/// up to market time (as in a live market, nothing later is shown). A
/// contract the tape never held is `not_found`; one it holds on other days has no days here.
pub fn days(state: &AppState, query: &ContractQuery) -> Result<Vec<ContractDay>, Problem> {
    let symbol = symbol(query).ok_or_else(|| not_found(query))?;
    let days = state
        .tape
        .contract_days(&symbol, query.start, query.end, state.market_now())?;
    if days.is_empty() && !state.tape.ever_listed(&symbol)? {
        return Err(not_found(query));
    }
    Ok(days)
}

/// The envelope of the rows `rows_of` gives for each day the tape holds the contract.
pub async fn by_day<R, F>(
    state: &AppState,
    started: Instant,
    format: &'static [&'static str],
    query: ContractQuery,
    rows_of: F,
) -> Result<Response, Problem>
where
    R: Serialize + Send + 'static,
    F: Fn(&ContractDay) -> Result<Vec<R>, Problem> + Send + 'static,
{
    let rows = read_tape(state, move |state| {
        let mut rows = Vec::new();
        for day in days(state, &query)? {
            rows.extend(rows_of(&day)?);
        }
        Ok(rows)
    })
    .await?;
    Ok(envelope::respond(started, format, &rows))
}
