//! `/v2/clock` and `/v2/calendar` (paper-trading spec §12.3): the native market clock and
//! calendar in Alpaca's shapes, instants on New York's wall clock. Like every `/v2` path they
//! answer only for an account of the key's user.

use axum::Json;
use axum::extract::{Extension, State};
use model::Timestamp;
use model::calendar::{self, Session};
use serde_json::{Value, json};
use store::keys::ApiKey;

use super::account::load;
use super::wire::eastern;
use crate::faces::paper::clock as native;
use crate::http::{PathParams, Problem, QueryParams, Reply};
use crate::state::AppState;

/// The market clock
///
/// `{timestamp, is_open, next_open, next_close}`, instants with New York's offset.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/clock",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, description = "Alpaca Clock"))
)]
pub async fn clock(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Json<Value>> {
    load(&state, &key, &id).await?;
    let now = state.market_now();
    let clock = native::clock_state(now);
    // Alpaca's instants carry New York's offset and it requires both; the calendar ends in 2099.
    let eastern_of = |t: Option<Timestamp>| {
        t.map(eastern)
            .ok_or_else(|| Problem::internal("the exchange calendar has no session after now"))
    };
    Ok(Json(json!({
        "timestamp": eastern(now),
        "is_open": clock.is_open,
        "next_open": eastern_of(clock.next_open)?,
        "next_close": eastern_of(clock.next_close)?,
    })))
}

/// `HH:MM` on New York's wall clock.
fn wall(t: Timestamp) -> String {
    let time = calendar::new_york().to_datetime(t.to_jiff()).time();
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// A session as Alpaca's calendar day. Settlement is the next trading day (T+1).
fn day(session: &Session) -> Value {
    json!({
        "date": session.date.to_string(),
        "open": wall(session.open),
        "close": wall(session.close),
        "session_open": "0400",
        "session_close": "2000",
        "settlement_date": calendar::next_session(session.date).map(|s| s.date.to_string()),
    })
}

/// The trading calendar
///
/// Regular sessions from `start` through `end` (dates; default today and the 30 days after;
/// at most 731 days) as `{date, open: "09:30", close: "16:00", session_open, session_close,
/// settlement_date}`; early closes end at 13:00.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/calendar",
    tag = "paper",
    security(("bearer" = [])),
    params(
        ("account_id" = String, Path),
        ("start" = Option<String>, Query, description = "YYYY-MM-DD"),
        ("end" = Option<String>, Query, description = "YYYY-MM-DD")
    ),
    responses((status = 200, description = "Array of Alpaca Calendar days"), (status = 400, description = "`{code: 40010000}`"))
)]
pub async fn calendar(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<Value>> {
    load(&state, &key, &id).await?;
    let today = calendar::new_york_date(state.market_now());
    let days = native::sessions_asked(&pairs, today)?
        .iter()
        .map(day)
        .collect();
    Ok(Json(Value::Array(days)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn calendar_days_read_new_yorks_wall_clock() {
        let friday = calendar::session(date(2026, 11, 27)).unwrap();
        let body = day(&friday);
        assert_eq!(body["open"], "09:30");
        assert_eq!(
            body["close"], "13:00",
            "the day after Thanksgiving closes early"
        );
        assert_eq!(body["settlement_date"], "2026-11-30");
        let summer = day(&calendar::session(date(2025, 7, 1)).unwrap());
        assert_eq!(
            (&summer["open"], &summer["close"]),
            (&json!("09:30"), &json!("16:00"))
        );
    }
}
