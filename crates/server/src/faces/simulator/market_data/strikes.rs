//! `GET /market-data/strikes/{date}` (§5.2): the strikes of the day's chain.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::Number;

use super::caller::Caller;
use super::contracts::Chain;
use super::days::Market;
use super::params::{Query, parse_date};
use crate::http::numbers::number;
use crate::http::{PathParams, Problem, Reply};
use crate::state::{AppState, read_tape};

/// Strikes of a session
///
/// The strikes listed on the session's date for the options expiring that day (0DTE: SPXW and
/// SPX for SPX), ascending, as JSON numbers (`5952.5` for a fractional strike). Without options
/// expiring that day, the nearest later expiration; `expiration` picks another. 5 credits.
#[utoipa::path(
    get,
    path = "/market-data/strikes/{date}",
    tag = "market-data",
    security((), ("session" = [])),
    params(
        ("date" = String, Path, description = "Session date, YYYY-MM-DD", example = "2025-01-15"),
        ("expiration" = Option<String>, Query, description = "Expiration date YYYY-MM-DD; default the session's own day"),
        ("underlying" = Option<String>, Query, description = "Default SPX"),
    ),
    responses(
        (status = 200, description = "Strikes, ascending", content_type = "application/json", example = json!([5945, 5950, 5952.5, 5955])),
        (status = 400, description = "A malformed date", content_type = "text/plain"),
        (status = 403, description = "A visitor asking for a restricted session", content_type = "text/plain"),
        (status = 404, description = "No such session, underlying or expiration", content_type = "text/plain"),
    )
)]
pub async fn strikes(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(date): PathParams<String>,
    RawQuery(query): RawQuery,
) -> Reply<Json<Vec<Number>>> {
    let query = Query::parse(query.as_deref(), &["underlying", "expiration"])?;
    let date = parse_date(&date, "date")?;
    let underlying = query.underlying()?;
    let expiration = query
        .get("expiration")
        .map(|text| parse_date(text, "expiration"))
        .transpose()?;
    let strikes = read_tape(&state, move |state| {
        let market = Market::load(state, &underlying)?;
        let day = market.day(date)?;
        market.admit(caller, day)?;
        let session = state
            .tape
            .session(&underlying, date)?
            .ok_or_else(|| Problem::not_found(format!("no {underlying} session on {date}")))?;
        let chain = Chain::of(&session, expiration)?;
        Ok(chain
            .rows
            .iter()
            .map(|row| number(row.strike.to_decimal()))
            .collect())
    })
    .await?;
    Ok(Json(strikes))
}
