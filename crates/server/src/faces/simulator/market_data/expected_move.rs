//! `GET /market-data/average-expected-move` (§5.6): for each minute of the regular session, the
//! mean expected move over every completed session of the tape. It reads every session, so the
//! answer is kept in memory until the tape's sessions change.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use axum::Json;
use axum::extract::{RawQuery, State};
use jiff::civil::Date;
use model::money::canonical;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::days::{Market, Status};
use super::historical::grid;
use super::params::Query;
use super::series::{self, Wanted};
use crate::http::{Problem, Reply};
use crate::state::{AppState, read_tape};

#[derive(Clone, Serialize, ToSchema)]
pub struct MinuteRow {
    /// New York wall clock, `HH:MM`.
    #[schema(example = "09:31")]
    pub time: String,
    /// Mean of `spx_expected_move` at that minute, a fraction of the index.
    #[schema(example = "0.0051")]
    pub spx_expected_move: String,
}

/// What an answer is kept by: the tape, the underlying, and each completed session's file
/// (date, length, modification time), so a new or re-imported session computes it afresh.
type Key = (PathBuf, String, Vec<(Date, u64, Option<SystemTime>)>);

fn cache() -> &'static Mutex<HashMap<Key, Arc<Vec<MinuteRow>>>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<Vec<MinuteRow>>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Minutes of the session are counted from the open, which is 09:30 in New York every day.
const OPEN_MINUTE: i64 = 9 * 60 + 30;

fn wall_clock(minutes_after_open: i64) -> String {
    let minute = OPEN_MINUTE + minutes_after_open;
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The mean over sessions, per minute after the open, of the expected move at that minute's
/// first second; a session counts at the minutes where it has a value.
fn average(state: &AppState, market: &Market) -> Result<Vec<MinuteRow>, Problem> {
    let mut sums: BTreeMap<i64, (Decimal, u32)> = BTreeMap::new();
    for day in &market.days {
        if day.status != Status::Completed {
            continue;
        }
        let instants = grid(day, 60);
        if instants.is_empty() {
            continue;
        }
        let Some(session) = state.tape.session(&market.underlying, day.date)? else {
            continue;
        };
        let wanted = Wanted {
            expected_move: true,
            ..Wanted::default()
        };
        let columns = series::compute(&session, None, day.open, &instants, wanted)?;
        for (at, value) in instants.iter().zip(&columns.expected_move) {
            if let Some(value) = value {
                let minute = (at.as_seconds() - day.open.as_seconds()) / 60;
                let entry = sums.entry(minute).or_insert((Decimal::ZERO, 0));
                entry.0 += *value;
                entry.1 += 1;
            }
        }
    }
    Ok(sums
        .into_iter()
        .map(|(minute, (sum, count))| MinuteRow {
            time: wall_clock(minute),
            spx_expected_move: canonical(series::round_move(sum / Decimal::from(count))),
        })
        .collect())
}

fn key(state: &AppState, market: &Market) -> Result<Key, Problem> {
    let mut files = Vec::new();
    for day in market.days.iter().filter(|d| d.status == Status::Completed) {
        let path = state.tape.session_path(&market.underlying, day.date);
        let meta = std::fs::metadata(&path)
            .map_err(|e| Problem::internal(format!("reading {}: {e}", path.display())))?;
        files.push((day.date, meta.len(), meta.modified().ok()));
    }
    Ok((
        state.tape.root().to_path_buf(),
        market.underlying.clone(),
        files,
    ))
}

/// Average expected move by minute
///
/// For each minute of the regular session (New York wall clock, `"09:31"`), the mean of
/// `spx_expected_move` (see `/market-data/historical/{date}`) at that minute over every completed
/// session of the underlying that has a value then. Public and free; computed once per set of
/// sessions.
#[utoipa::path(
    get,
    path = "/market-data/average-expected-move",
    tag = "market-data",
    security((), ("session" = [])),
    params(
        ("underlying" = Option<String>, Query, description = "Default SPX"),
    ),
    responses(
        (status = 200, body = Vec<MinuteRow>),
        (status = 404, description = "An underlying the tape does not hold", content_type = "text/plain"),
    )
)]
pub async fn average_expected_move(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Reply<Json<Vec<MinuteRow>>> {
    let underlying = Query::parse(query.as_deref(), &["underlying"])?.underlying()?;
    let rows = read_tape(&state, move |state| {
        let market = Market::load(state, &underlying)?;
        let key = key(state, &market)?;
        if let Some(rows) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(rows.clone());
        }
        let rows = Arc::new(average(state, &market)?);
        let mut cache = cache().lock().unwrap_or_else(|p| p.into_inner());
        // A few underlyings and tapes at most; a changed tape leaves its old answers behind.
        if cache.len() >= 32 {
            cache.clear();
        }
        cache.insert(key, rows.clone());
        Ok(rows)
    })
    .await?;
    Ok(Json(rows.as_ref().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_read_as_new_york_wall_clock() {
        assert_eq!(wall_clock(0), "09:30");
        assert_eq!(wall_clock(1), "09:31");
        assert_eq!(wall_clock(390), "16:00");
    }
}
