//! An underlying's sessions as the simulator shows them: the exchange's bounds, the span of
//! recorded data inside them, where the market clock stands (completed, current, upcoming), and
//! what a visitor may see of each (§2).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use jiff::civil::Date;
use model::{Timestamp, calendar};
use tape::{Kind, Order, Owner, Record, SessionFile};

use super::caller::Caller;
use crate::http::Problem;
use crate::state::AppState;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Visitors see the most recent completed session on this grid (§2); the current one at 1 s.
pub const VISITOR_GRID_SECONDS: u32 = 30;

/// The text §2 proposes for a visitor asking for a restricted session.
pub const RESTRICTED: &str = "this session requires a registered account";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Completed,
    /// The market clock is inside the session.
    Current,
    /// The tape holds the session but the market clock has not reached its open.
    Upcoming,
}

/// One session of the underlying.
#[derive(Clone, Copy, Debug)]
pub struct Day {
    pub date: Date,
    /// The exchange session, from the calendar (early closes and DST included).
    pub open: Timestamp,
    pub close: Timestamp,
    /// Whole seconds `[first, last]` at which recorded data is in force and may be shown now:
    /// inside the session, and for the current session not past the market clock. `None` when
    /// there is none (yet).
    pub data: Option<(Timestamp, Timestamp)>,
    pub status: Status,
}

impl Day {
    /// 404 unless the data span holds `at` (a whole second), with the span in the message: the
    /// usual cause is New York wall time sent as UTC (§19 item 2).
    pub fn check_in_data(&self, underlying: &str, at: Timestamp) -> Result<(), Problem> {
        match self.data {
            Some((first, last)) if first <= at && at <= last => Ok(()),
            Some((first, last)) => Err(Problem::not_found(format!(
                "no {underlying} market data at {}: data on {} runs from {} to {} (UTC; \
                 snapshot timestamps are UTC, not New York time)",
                super::params::format_instant(at),
                self.date,
                super::params::format_instant(first),
                super::params::format_instant(last),
            ))),
            None => Err(Problem::not_found(format!(
                "no {underlying} market data on {} yet",
                self.date
            ))),
        }
    }
}

/// The sessions of one underlying at the market clock's instant.
pub struct Market {
    pub underlying: String,
    /// Ascending by date.
    pub days: Vec<Day>,
    latest_completed: Option<Date>,
}

impl Market {
    /// Reads the tape's sessions of `underlying` (blocking: it may open session files). 404 for
    /// an underlying the tape does not hold.
    pub fn load(state: &AppState, underlying: &str) -> Result<Market, Problem> {
        let dates = state.tape.sessions(underlying)?;
        if dates.is_empty() {
            let known = state.tape.underlyings()?;
            return Err(Problem::not_found(format!(
                "no market data for underlying {underlying}; the tape holds {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
        let now = state.market_now();
        let mut days = Vec::with_capacity(dates.len());
        for date in dates {
            // A file dated on a day the exchange was closed is not a session.
            let Some(session) = calendar::session(date) else {
                continue;
            };
            let status = if now < session.open {
                Status::Upcoming
            } else if session.contains(now) {
                Status::Current
            } else {
                Status::Completed
            };
            let recorded = recorded_span(state, underlying, date, session.open, session.close)?;
            let data = match status {
                Status::Upcoming => None,
                Status::Current => recorded.and_then(|(first, last)| {
                    let last = last.min(floor_to(now, 1));
                    (first <= last).then_some((first, last))
                }),
                Status::Completed => recorded,
            };
            days.push(Day {
                date,
                open: session.open,
                close: session.close,
                data,
                status,
            });
        }
        let latest_completed = days
            .iter()
            .rev()
            .find(|d| d.status == Status::Completed)
            .map(|d| d.date);
        Ok(Market {
            underlying: underlying.to_string(),
            days,
            latest_completed,
        })
    }

    pub fn day(&self, date: Date) -> Result<&Day, Problem> {
        self.days
            .iter()
            .find(|d| d.date == date)
            .ok_or_else(|| Problem::not_found(format!("no {} session on {date}", self.underlying)))
    }

    /// Open to visitors: the current session and the most recent completed one.
    pub fn is_public(&self, day: &Day) -> bool {
        day.status == Status::Current || Some(day.date) == self.latest_completed
    }

    /// The resolution, in seconds, at which `caller` sees `day`: 1, or 30 for a visitor on the
    /// most recent completed session; 403 for a visitor on any other but the current one.
    pub fn admit(&self, caller: Caller, day: &Day) -> Result<u32, Problem> {
        match caller {
            Caller::Registered => Ok(1),
            Caller::Visitor if day.status == Status::Current => Ok(1),
            Caller::Visitor if self.is_public(day) => Ok(VISITOR_GRID_SECONDS),
            Caller::Visitor => Err(Problem::forbidden(RESTRICTED)),
        }
    }
}

/// `t` rounded down to a multiple of `seconds` since the epoch (every session opens on such a
/// multiple for 1, 30 and 60).
pub fn floor_to(t: Timestamp, seconds: u32) -> Timestamp {
    let step = i64::from(seconds);
    Timestamp::from_seconds(t.as_seconds().div_euclid(step) * step)
}

fn ceil_to_second(t: Timestamp) -> Timestamp {
    let nanos = t.as_nanos();
    Timestamp::from_nanos(
        nanos
            .div_euclid(NANOS_PER_SECOND)
            .saturating_add(i64::from(nanos.rem_euclid(NANOS_PER_SECOND) != 0))
            .saturating_mul(NANOS_PER_SECOND),
    )
}

/// What a session file's data span is remembered by: its path, length and modification time,
/// so a file replaced by an import is read again.
type FileKey = (PathBuf, u64, Option<SystemTime>);

/// First and last whole seconds of data, when there is any.
type Span = Option<(Timestamp, Timestamp)>;

/// The recorded span of each session file read so far: every `/market-data` request needs the
/// spans of all the underlying's sessions, and each costs a file open (and, with data outside
/// the session, a chunk decode per series).
fn span_cache() -> &'static Mutex<HashMap<FileKey, Span>> {
    static CACHE: OnceLock<Mutex<HashMap<FileKey, Span>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The whole seconds from the first record at or after the open (rounded up) to the last one at
/// or before the close (rounded up, so that second shows it), over every series but bars (a bar
/// starts at its minute, before its first trade). `None` when the session holds none.
fn recorded_span(
    state: &AppState,
    underlying: &str,
    date: Date,
    open: Timestamp,
    close: Timestamp,
) -> Result<Option<(Timestamp, Timestamp)>, Problem> {
    let path = state.tape.session_path(underlying, date);
    let meta = std::fs::metadata(&path)
        .map_err(|e| Problem::internal(format!("reading {}: {e}", path.display())))?;
    let key = (path, meta.len(), meta.modified().ok());
    let cache = span_cache();
    if let Some(known) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(*known);
    }
    let Some(session) = state.tape.session(underlying, date)? else {
        return Ok(None);
    };
    let span = recorded_instants(&session, open, close)?
        .map(|(first, last)| (ceil_to_second(first), ceil_to_second(last).min(close)));
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    // Bounded: a tape of years has a few thousand files, each entry a few dozen bytes.
    if cache.len() > 100_000 {
        cache.clear();
    }
    cache.insert(key, span);
    Ok(span)
}

/// The first and last record instants within `[open, close]`, from the catalog's extents; a
/// series that runs past either bound (pre-market quotes of a stock) is searched for its last
/// record inside.
fn recorded_instants(
    session: &Arc<SessionFile>,
    open: Timestamp,
    close: Timestamp,
) -> Result<Option<(Timestamp, Timestamp)>, Problem> {
    let series: Vec<(Owner, Kind)> = session
        .series_list()
        .filter(|(_, kind, _, count)| *kind != Kind::Bars && *count > 0)
        .map(|(owner, kind, _, _)| (owner, kind))
        .collect();
    let mut span: Option<(Timestamp, Timestamp)> = None;
    for (owner, kind) in series {
        let Some((first, last)) = session.extent(owner, kind) else {
            continue;
        };
        if last < open || first > close {
            continue;
        }
        let first = if first < open {
            edge(session, owner, kind, open, close, Order::Ascending)?
        } else {
            Some(first)
        };
        let last = if last > close {
            edge(session, owner, kind, open, close, Order::Descending)?
        } else {
            Some(last)
        };
        if let (Some(first), Some(last)) = (first, last) {
            span = Some(match span {
                None => (first, last),
                Some((a, b)) => (a.min(first), b.max(last)),
            });
        }
    }
    Ok(span)
}

/// The first (ascending) or last (descending) record instant of a series within `[open, close]`.
fn edge(
    session: &SessionFile,
    owner: Owner,
    kind: Kind,
    open: Timestamp,
    close: Timestamp,
    order: Order,
) -> Result<Option<Timestamp>, Problem> {
    fn one<R: Record>(
        session: &SessionFile,
        owner: Owner,
        (open, close): (Timestamp, Timestamp),
        order: Order,
    ) -> Result<Option<Timestamp>, tape::TapeError> {
        let end = Timestamp::from_nanos(close.as_nanos().saturating_add(1));
        let page = session.range::<R>(owner, open, end, order, None, 1)?;
        Ok(page.records.first().map(|r| r.ts()))
    }
    let bounds = (open, close);
    Ok(match kind {
        Kind::Quotes => one::<tape::Quote>(session, owner, bounds, order)?,
        Kind::Trades => one::<tape::Trade>(session, owner, bounds, order)?,
        Kind::Values => one::<tape::IndexValue>(session, owner, bounds, order)?,
        Kind::Bars => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_the_documented_way() {
        let t = Timestamp::from_nanos(1_736_951_717_400_000_000);
        assert_eq!(ceil_to_second(t), Timestamp::from_seconds(1_736_951_718));
        assert_eq!(
            ceil_to_second(Timestamp::from_seconds(5)),
            Timestamp::from_seconds(5)
        );
        assert_eq!(floor_to(t, 30), Timestamp::from_seconds(1_736_951_700));
        assert_eq!(floor_to(t, 1), Timestamp::from_seconds(1_736_951_717));
    }
}
