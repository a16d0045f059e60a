//! `/simulations`: create, list, read, set the clock, delete, and the per-second history.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use model::Timestamp;
use model::money::parse_decimal;
use rust_decimal::{Decimal, dec};
use serde_json::Value;
use store::simulations::{SimulationChange, SimulationRecord};
use uuid::Uuid;

use super::desk::{Loaded, session_bounds, simulation_id};
use super::session::SessionUser;
use super::wire::{FinancialsBody, HistoryRow, SimulationBody};
use crate::http::extract::query_value;
use crate::http::{JsonBody, PathParams, Problem, Reply};
use crate::state::AppState;
use crate::state::read_tape;

pub const MIN_CAPITAL: Decimal = dec!(1000);
pub const MAX_CAPITAL: Decimal = dec!(10000000);
pub const MAX_DESCRIPTION: usize = 500;
pub const DEFAULT_UNDERLYING: &str = "SPX";

fn object(body: &Value) -> Result<&serde_json::Map<String, Value>, Problem> {
    body.as_object()
        .ok_or_else(|| Problem::bad_request("request body must be a JSON object"))
}

fn description(body: &serde_json::Map<String, Value>) -> Result<Option<Option<String>>, Problem> {
    match body.get("description") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(text)) if text.chars().count() <= MAX_DESCRIPTION => {
            Ok(Some(Some(text.clone())))
        }
        Some(Value::String(_)) => Err(Problem::bad_request(format!(
            "description may have at most {MAX_DESCRIPTION} characters"
        ))),
        Some(_) => Err(Problem::bad_request("description must be a string")),
    }
}

fn starting_capital(value: Option<&Value>) -> Result<Decimal, Problem> {
    let text = match value {
        None => return Err(Problem::bad_request("starting_capital is required")),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(Problem::bad_request(
                "starting_capital must be a number or a decimal string",
            ));
        }
    };
    let capital = parse_decimal(&text)
        .map_err(|_| Problem::bad_request(format!("invalid starting_capital: {text}")))?;
    if capital < MIN_CAPITAL || capital > MAX_CAPITAL {
        return Err(Problem::bad_request(
            "starting_capital must be between 1000 and 10000000",
        ));
    }
    Ok(capital)
}

/// The simulation object at its clock. Blocking: reads the tape.
fn body_of(state: &AppState, loaded: &Loaded) -> Result<SimulationBody, Problem> {
    let account = loaded.account(state, loaded.clock())?;
    Ok(SimulationBody::of(
        &loaded.record,
        loaded.start,
        loaded.end,
        &account,
    ))
}

async fn respond(state: &AppState, loaded: Loaded) -> Reply<Json<SimulationBody>> {
    read_tape(state, move |state| body_of(state, &loaded))
        .await
        .map(Json)
}

/// Create a simulation
///
/// Body `{"date": "2025-01-15", "starting_capital": 100000, "description": "…", "underlying":
/// "SPX"}`. The date must be a recorded session of the underlying that has closed; capital is
/// 1,000 to 10,000,000 (a number or a decimal string). One simulation per user, underlying and
/// date.
#[utoipa::path(
    post,
    path = "/simulations",
    tag = "simulations",
    security(("session" = [])),
    request_body(content = Object, description = "date, starting_capital, description, underlying"),
    responses(
        (status = 201, body = SimulationBody),
        (status = 400, content_type = "text/plain"),
        (status = 401, content_type = "text/plain")
    )
)]
pub async fn create(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    JsonBody(body): JsonBody<Value>,
) -> Reply<(StatusCode, Json<SimulationBody>)> {
    let body = object(&body)?;
    let date: Date = match body.get("date") {
        Some(Value::String(text)) => text
            .parse()
            .map_err(|_| Problem::bad_request(format!("invalid date: {text}; use YYYY-MM-DD")))?,
        Some(_) => return Err(Problem::bad_request("date must be a string YYYY-MM-DD")),
        None => return Err(Problem::bad_request("date is required")),
    };
    let capital = starting_capital(body.get("starting_capital"))?;
    let description = description(body)?.flatten();
    let underlying = match body.get("underlying") {
        None | Some(Value::Null) => DEFAULT_UNDERLYING.to_string(),
        Some(Value::String(text)) => text.trim().to_ascii_uppercase(),
        Some(_) => return Err(Problem::bad_request("underlying must be a string")),
    };
    let (start, end) = session_bounds(date)?;
    let recorded = {
        let underlying = underlying.clone();
        read_tape(&state, move |state| Ok(state.tape.sessions(&underlying)?)).await?
    };
    if recorded.is_empty() {
        return Err(Problem::bad_request(format!(
            "no market data for {underlying}"
        )));
    }
    if !recorded.contains(&date) {
        return Err(Problem::bad_request(format!(
            "no recorded session of {underlying} on {date}"
        )));
    }
    if state.market_now() < end {
        return Err(Problem::bad_request(format!(
            "the session of {date} has not closed yet; only completed sessions can be replayed"
        )));
    }
    let record = SimulationRecord {
        id: Uuid::new_v4(),
        user_id: session.user.id,
        underlying,
        date,
        starting_capital: capital,
        description,
        clock: None,
        created_at: state.now(),
    };
    state
        .store
        .create_simulation(&record)
        .await?
        .map_err(|exists| Problem::bad_request(exists.to_string()))?;
    let loaded = Loaded::load(&state, &session.user, record.id).await?;
    debug_assert_eq!((loaded.start, loaded.end), (start, end));
    Ok((StatusCode::CREATED, respond(&state, loaded).await?))
}

/// List your simulations
#[utoipa::path(
    get,
    path = "/simulations",
    tag = "simulations",
    security(("session" = [])),
    responses((status = 200, body = [SimulationBody]), (status = 401, content_type = "text/plain"))
)]
pub async fn list(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
) -> Reply<Json<Vec<SimulationBody>>> {
    let mut loaded = Vec::new();
    for record in state.store.simulations(session.user.id).await? {
        loaded.push(Loaded::load(&state, &session.user, record.id).await?);
    }
    read_tape(&state, move |state| {
        loaded.iter().map(|l| body_of(state, l)).collect()
    })
    .await
    .map(Json)
}

/// A simulation with its financials at its clock
#[utoipa::path(
    get,
    path = "/simulations/{id}",
    tag = "simulations",
    security(("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = SimulationBody), (status = 404, content_type = "text/plain"))
)]
pub async fn get(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams(id): PathParams<String>,
) -> Reply<Json<SimulationBody>> {
    let loaded = Loaded::load(&state, &session.user, simulation_id(&id)?).await?;
    respond(&state, loaded).await
}

/// The clock a PATCH asks for, truncated to the second and kept within the session.
fn requested_time(value: &Value, start: Timestamp, end: Timestamp) -> Result<Timestamp, Problem> {
    let Value::String(text) = value else {
        return Err(Problem::bad_request(
            "time must be an RFC 3339 string with a zone, such as 2025-01-15T14:35:00Z",
        ));
    };
    let time = Timestamp::parse_rfc3339(text).map_err(|_| {
        Problem::bad_request(format!(
            "invalid time: {text}; use RFC 3339 with a zone, such as 2025-01-15T14:35:00Z"
        ))
    })?;
    let time = engine::market::second_of(time);
    if time > end {
        return Err(Problem::bad_request(
            "simulation time cannot be after the end time",
        ));
    }
    if time < start {
        return Err(Problem::bad_request(
            "simulation time cannot be before the start time",
        ));
    }
    Ok(time)
}

/// Move the clock
///
/// Body `{"time": "2025-01-15T14:35:00Z"}` (and optionally `description`). Any time from
/// `start_time` to `end_time`, forward or back: orders fill or revert to pending as the clock
/// passes their fill second, settlement shows at `end_time`. Nothing is written but the clock.
#[utoipa::path(
    patch,
    path = "/simulations/{id}",
    tag = "simulations",
    security(("session" = [])),
    params(("id" = String, Path)),
    request_body(content = Object, description = "time, description"),
    responses(
        (status = 200, body = SimulationBody),
        (status = 400, content_type = "text/plain"),
        (status = 404, content_type = "text/plain")
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<Value>,
) -> Reply<Json<SimulationBody>> {
    let id = simulation_id(&id)?;
    let body = object(&body)?;
    let _writer = state.simulation_locks.hold(id).await;
    let loaded = Loaded::load(&state, &session.user, id).await?;
    let change = SimulationChange {
        clock: body
            .get("time")
            .map(|t| requested_time(t, loaded.start, loaded.end))
            .transpose()?,
        description: description(body)?,
    };
    if change.clock.is_none() && change.description.is_none() {
        return Err(Problem::bad_request(
            "nothing to change; send time or description",
        ));
    }
    if !state
        .store
        .change_simulation(session.user.id, id, &change)
        .await?
    {
        return Err(super::desk::not_found());
    }
    let mut loaded = loaded;
    if let Some(clock) = change.clock {
        loaded.record.clock = Some(clock);
    }
    if let Some(description) = change.description {
        loaded.record.description = description;
    }
    respond(&state, loaded).await
}

/// Delete a simulation with its orders and history
#[utoipa::path(
    delete,
    path = "/simulations/{id}",
    tag = "simulations",
    security(("session" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 404, content_type = "text/plain"))
)]
pub async fn delete(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams(id): PathParams<String>,
) -> Reply<StatusCode> {
    let id = simulation_id(&id)?;
    let _writer = state.simulation_locks.hold(id).await;
    if !state.store.delete_simulation(session.user.id, id).await? {
        return Err(super::desk::not_found());
    }
    state.simulation_locks.forget(id);
    Ok(StatusCode::NO_CONTENT)
}

/// `interval`, `from` and `to` of a history request.
fn history_window(
    query: Option<&str>,
    start: Timestamp,
    clock: Timestamp,
) -> Result<(Timestamp, Timestamp, u32), Problem> {
    let interval = match query_value(query, &["interval"]) {
        None => 1,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_HISTORY_INTERVAL).contains(n))
            .ok_or_else(|| {
                Problem::bad_request(format!(
                    "interval must be a whole number of seconds from 1 to {MAX_HISTORY_INTERVAL}"
                ))
            })?,
    };
    let instant = |name: &str| -> Result<Option<Timestamp>, Problem> {
        query_value(query, &[name])
            .map(|text| {
                Timestamp::parse_rfc3339(&text)
                    .map(engine::market::second_of)
                    .map_err(|_| {
                        Problem::bad_request(format!(
                            "invalid {name}: {text}; use RFC 3339 with a zone"
                        ))
                    })
            })
            .transpose()
    };
    let from = instant("from")?.unwrap_or(start).max(start);
    let to = instant("to")?.unwrap_or(clock).min(clock);
    Ok((from, to, interval))
}

/// The longest step between history rows: a whole regular session.
const MAX_HISTORY_INTERVAL: u32 = 23_400;

/// Per-second history
///
/// The simulation's financials at every second from `start_time` up to its clock (never beyond:
/// no look-ahead). `interval` samples every that many seconds; `from` and `to` (RFC 3339)
/// narrow the window.
#[utoipa::path(
    get,
    path = "/simulations/{id}/history",
    tag = "simulations",
    security(("session" = [])),
    params(
        ("id" = String, Path),
        ("interval" = Option<u32>, Query, description = "seconds between rows, default 1"),
        ("from" = Option<String>, Query, description = "first instant, RFC 3339"),
        ("to" = Option<String>, Query, description = "last instant, RFC 3339")
    ),
    responses((status = 200, body = [HistoryRow]), (status = 400, content_type = "text/plain"), (status = 404, content_type = "text/plain"))
)]
pub async fn history(
    State(state): State<AppState>,
    SessionUser(session): SessionUser,
    PathParams(id): PathParams<String>,
    uri: axum::http::Uri,
) -> Reply<Json<Vec<HistoryRow>>> {
    let loaded = Loaded::load(&state, &session.user, simulation_id(&id)?).await?;
    let (from, to, interval) = history_window(uri.query(), loaded.start, loaded.clock())?;
    read_tape(&state, move |state| {
        let market = loaded.market(state)?;
        let samples = engine::history::history(
            &loaded.simulation(),
            &loaded.ledger.orders,
            from,
            to,
            interval,
            &market,
        )
        .map_err(Problem::internal)?;
        Ok(samples
            .iter()
            .map(|sample| HistoryRow {
                timestamp: sample.at.to_rfc3339(),
                financials: FinancialsBody::of(&sample.financials),
            })
            .collect())
    })
    .await
    .map(Json)
}
