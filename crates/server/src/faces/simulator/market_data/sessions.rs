//! `GET /market-data/sessions` (§5.1): the session calendar of the tape.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Serialize;
use serde_json::{Map, Value};

use super::caller::Caller;
use super::days::{Day, Market, Status};
use super::params::{Query, format_instant};
use crate::http::Reply;
use crate::state::{AppState, read_tape};

/// One session; flags are left out when false.
#[derive(Serialize)]
struct SessionBody {
    #[serde(rename = "start-time")]
    start_time: String,
    #[serde(rename = "end-time")]
    end_time: String,
    #[serde(rename = "data-start-time", skip_serializing_if = "Option::is_none")]
    data_start_time: Option<String>,
    #[serde(rename = "data-end-time", skip_serializing_if = "Option::is_none")]
    data_end_time: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    current: bool,
    #[serde(skip_serializing_if = "is_false")]
    upcoming: bool,
    #[serde(skip_serializing_if = "is_false")]
    restricted: bool,
}

fn is_false(flag: &bool) -> bool {
    !flag
}

fn body(market: &Market, caller: Caller, day: &Day) -> SessionBody {
    SessionBody {
        start_time: format_instant(day.open),
        end_time: format_instant(day.close),
        data_start_time: day.data.map(|(first, _)| format_instant(first)),
        data_end_time: day.data.map(|(_, last)| format_instant(last)),
        current: day.status == Status::Current,
        upcoming: day.status == Status::Upcoming,
        restricted: caller == Caller::Visitor && !market.is_public(day),
    }
}

/// Session calendar
///
/// Every session of the underlying in the tape, keyed by date, ascending: the exchange session
/// (`start-time`, `end-time`; early closes and daylight time included) and the span of recorded
/// data inside it (`data-start-time`, `data-end-time`; for the current session up to the market
/// clock, and absent while there is none). `current` marks the session the market clock is in,
/// `upcoming` one it has not reached. For visitors, `restricted` marks every session but the
/// current one and the most recent completed one. Free.
#[utoipa::path(
    get,
    path = "/market-data/sessions",
    tag = "market-data",
    security((), ("session" = [])),
    params(
        ("underlying" = Option<String>, Query, description = "Whose sessions; default SPX"),
    ),
    responses(
        (status = 200, description = "Sessions keyed by date", content_type = "application/json",
            example = json!({"2025-01-15": {"start-time": "2025-01-15T14:30:00Z", "end-time": "2025-01-15T21:00:00Z",
                "data-start-time": "2025-01-15T14:31:00Z", "data-end-time": "2025-01-15T21:00:00Z"}})),
        (status = 404, description = "An underlying the tape does not hold", content_type = "text/plain"),
    )
)]
pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Reply<Json<Map<String, Value>>> {
    let underlying = Query::parse(query.as_deref(), &["underlying"])?.underlying()?;
    let market = read_tape(&state, move |state| Market::load(state, &underlying)).await?;
    let mut out = Map::new();
    for day in &market.days {
        let value = serde_json::to_value(body(&market, caller, day))
            .map_err(crate::http::Problem::internal)?;
        out.insert(day.date.to_string(), value);
    }
    Ok(Json(out))
}
