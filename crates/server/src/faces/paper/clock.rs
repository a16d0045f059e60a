//! `/v1/paper/clock` and `/v1/paper/calendar` (paper-trading spec §5.15d, §11): the market
//! clock paper trading runs on, and the regular sessions it fills in. Both read the exchange
//! calendar (holidays, early closes) and the server's market clock.

use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use model::Timestamp;
use model::calendar::{self, Session};
use serde::Serialize;
use utoipa::ToSchema;

use super::params;
use super::wire::instant;
use crate::http::{Problem, QueryParams, Reply, RequestId};
use crate::state::AppState;

/// The longest calendar one request returns.
const MAX_CALENDAR_DAYS: i64 = 731;
/// The calendar returned without `end`: this many days from `start`.
const DEFAULT_CALENDAR_DAYS: i64 = 30;

#[derive(Serialize, ToSchema)]
pub struct ClockBody {
    /// The market clock, now.
    #[schema(example = "2026-05-18T14:31:07.123456Z")]
    pub timestamp: String,
    /// Whether the regular session is open: `open <= now < close`.
    pub is_open: bool,
    /// The next open: today's when it is still ahead, else the next session's.
    pub next_open: Option<String>,
    /// The current session's close while it runs, else the next session's.
    pub next_close: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ClockResponse {
    #[schema(example = "OK")]
    pub status: &'static str,
    pub request_id: String,
    pub clock: ClockBody,
}

/// Where the market clock stands: whether the session is open, the next open and close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockState {
    pub now: Timestamp,
    pub is_open: bool,
    /// Today's open when it is still ahead, else the next session's.
    pub next_open: Option<Timestamp>,
    /// The running session's close, else the next session's.
    pub next_close: Option<Timestamp>,
}

/// The clock at `now`.
pub fn clock_state(now: Timestamp) -> ClockState {
    let today = calendar::session(calendar::new_york_date(now));
    let next = || calendar::next_session(calendar::new_york_date(now));
    let ahead = |pick: fn(&Session) -> Timestamp| match today {
        Some(session) if now < pick(&session) => Some(pick(&session)),
        _ => next().map(|session| pick(&session)),
    };
    ClockState {
        now,
        is_open: today.is_some_and(|s| s.contains(now)),
        next_open: ahead(|s| s.open),
        next_close: ahead(|s| s.close),
    }
}

/// The clock at `now`, as the native surface writes it.
pub fn clock_at(now: Timestamp) -> ClockBody {
    let state = clock_state(now);
    ClockBody {
        timestamp: instant(now),
        is_open: state.is_open,
        next_open: state.next_open.map(instant),
        next_close: state.next_close.map(instant),
    }
}

/// The market clock
///
/// Market time, whether the regular session is open, and the next open and close.
#[utoipa::path(
    get,
    path = "/v1/paper/clock",
    tag = "paper",
    security(("bearer" = [])),
    responses((status = 200, description = "The clock under `clock`", body = ClockResponse))
)]
pub async fn clock(State(state): State<AppState>, request_id: RequestId) -> Json<ClockResponse> {
    Json(ClockResponse {
        status: "OK",
        request_id: request_id.to_string(),
        clock: clock_at(state.market_now()),
    })
}

#[derive(Serialize, ToSchema)]
pub struct CalendarDay {
    #[schema(example = "2026-11-27")]
    pub date: String,
    #[schema(example = "2026-11-27T14:30:00.000000Z")]
    pub open: String,
    /// 16:00 New York, or 13:00 on an early close.
    #[schema(example = "2026-11-27T18:00:00.000000Z")]
    pub close: String,
    pub early_close: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarResponse {
    #[schema(example = "OK")]
    pub status: &'static str,
    pub request_id: String,
    pub results: Vec<CalendarDay>,
}

fn date(pairs: &[(String, String)], name: &str) -> Result<Option<Date>, Problem> {
    params::query(pairs, name)
        .map(|text| {
            text.parse::<Date>()
                .ok()
                .filter(|_| text.len() == 10)
                .ok_or_else(|| {
                    Problem::bad_request(format!("{name} must be a date YYYY-MM-DD, not {text:?}"))
                })
        })
        .transpose()
}

/// The sessions a calendar request asks for: `start` through `end` (dates, both included;
/// default `today` and the 30 days after; at most 731 days).
pub fn sessions_asked(pairs: &[(String, String)], today: Date) -> Result<Vec<Session>, Problem> {
    let start = date(pairs, "start")?.unwrap_or(today);
    let end = match date(pairs, "end")? {
        Some(end) => end,
        None => start
            .checked_add(jiff::Span::new().days(DEFAULT_CALENDAR_DAYS))
            .map_err(|_| Problem::bad_request("start is too late for a calendar"))?,
    };
    if end < start {
        return Err(Problem::bad_request("end must not be before start"));
    }
    let span = start
        .until(end)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(i64::MAX);
    if span > MAX_CALENDAR_DAYS {
        return Err(Problem::bad_request(format!(
            "a calendar covers at most {MAX_CALENDAR_DAYS} days; narrow start and end"
        )));
    }
    Ok(calendar::sessions(start, end).collect())
}

/// The trading calendar
///
/// The regular sessions from `start` through `end` (dates, both included; default: today and
/// the 30 days after), with their open and close instants; early closes end at 13:00 New York.
#[utoipa::path(
    get,
    path = "/v1/paper/calendar",
    tag = "paper",
    security(("bearer" = [])),
    params(
        ("start" = Option<String>, Query, description = "first date, YYYY-MM-DD; default today (market clock)"),
        ("end" = Option<String>, Query, description = "last date, YYYY-MM-DD; at most 731 days after start")
    ),
    responses(
        (status = 200, description = "Sessions in `results`", body = CalendarResponse),
        (status = 400, description = "`bad_request`: a malformed date or range")
    )
)]
pub async fn calendar(
    State(state): State<AppState>,
    request_id: RequestId,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<CalendarResponse>> {
    let sessions = sessions_asked(&pairs, calendar::new_york_date(state.market_now()))?;
    let results = sessions
        .iter()
        .map(|session| CalendarDay {
            date: session.date.to_string(),
            open: instant(session.open),
            close: instant(session.close),
            early_close: session.early_close,
        })
        .collect();
    Ok(Json(CalendarResponse {
        status: "OK",
        request_id: request_id.to_string(),
        results,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_clock_names_the_next_open_and_close() {
        let day = date(2026, 11, 25); // Wednesday before Thanksgiving
        let before = calendar::new_york_instant(day, 8, 0, 0);
        let clock = clock_at(before);
        assert!(!clock.is_open);
        assert_eq!(
            clock.next_open.as_deref(),
            Some("2026-11-25T14:30:00.000000Z")
        );
        assert_eq!(
            clock.next_close.as_deref(),
            Some("2026-11-25T21:00:00.000000Z")
        );
        let during = clock_at(calendar::new_york_instant(day, 12, 0, 0));
        assert!(during.is_open);
        assert_eq!(
            during.next_open.as_deref(),
            Some("2026-11-27T14:30:00.000000Z"),
            "Thursday is Thanksgiving"
        );
        assert_eq!(
            during.next_close.as_deref(),
            Some("2026-11-25T21:00:00.000000Z")
        );
        let closing = clock_at(calendar::new_york_instant(day, 16, 0, 0));
        assert!(!closing.is_open, "the close itself is closed");
        assert_eq!(
            closing.next_close.as_deref(),
            Some("2026-11-27T18:00:00.000000Z"),
            "Friday closes early"
        );
    }
}
