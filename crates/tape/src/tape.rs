//! A tape folder: every session file of every underlying.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::TapeError;
use crate::format::{Owner, VERSION, date_of, header_version};
use crate::reader::SessionFile;
use crate::writer::session_path;
use jiff::civil::Date;
use model::Timestamp;
use model::symbol::OptionSymbol;

use crate::query::Order;
use crate::series::Record;

/// Sessions kept open at once; older ones are closed (their memory maps released) first.
const OPEN_SESSIONS: usize = 64;

/// Whose records: an underlying's own series, or one of its option contracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instrument<'a> {
    Underlying,
    Option(&'a OptionSymbol),
}

impl Instrument<'_> {
    /// The instrument's series owner in a session of its underlying, if the session lists it.
    pub fn owner_in(self, session: &SessionFile) -> Option<Owner> {
        match self {
            Instrument::Underlying => Some(Owner::Underlying),
            Instrument::Option(symbol) => session.contract(symbol),
        }
    }
}

/// The tape folder, with a small cache of open sessions.
pub struct Tape {
    root: PathBuf,
    open: Mutex<OpenSessions>,
}

#[derive(Default)]
struct OpenSessions {
    clock: u64,
    sessions: HashMap<(String, Date), (Arc<SessionFile>, u64)>,
}

fn parse_file_date(name: &str) -> Option<Date> {
    let stem = name.strip_suffix(".tape")?;
    let bytes = stem.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let digits: String = stem.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    date_of(digits.parse().ok()?)
}

impl Tape {
    pub fn new(root: impl Into<PathBuf>) -> Tape {
        Tape {
            root: root.into(),
            open: Mutex::new(OpenSessions::default()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Underlyings with at least one session, sorted.
    pub fn underlyings(&self) -> Result<Vec<String>, TapeError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(TapeError::io(&self.root, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| TapeError::io(&self.root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && !name.starts_with('.') && !self.sessions(&name)?.is_empty()
            {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Renames session files written in another tape format, which this build cannot read, to
    /// `<date>.tape.format<N>`: the session can then be generated or imported again, and the old
    /// bytes stay for a build that reads them. Returns the new paths.
    pub fn set_aside_other_formats(&self) -> Result<Vec<PathBuf>, TapeError> {
        use std::io::Read;
        let mut moved = Vec::new();
        for underlying in self.underlyings()? {
            for date in self.sessions(&underlying)? {
                let path = self.session_path(&underlying, date);
                let mut start = [0u8; 10];
                let read = std::fs::File::open(&path)
                    .and_then(|mut file| file.read(&mut start))
                    .map_err(|e| TapeError::io(&path, e))?;
                let Some(version) = header_version(&start[..read]).filter(|v| *v != VERSION) else {
                    continue;
                };
                let aside = path.with_extension(format!("tape.format{version}"));
                std::fs::rename(&path, &aside).map_err(|e| TapeError::io(&path, e))?;
                moved.push(aside);
            }
        }
        Ok(moved)
    }

    /// The option contracts of `underlying` listed on `day`: those its latest session on or
    /// before the day lists that have not expired by then; with `expired`, those any earlier
    /// session listed that expired before the day. Each once, in symbol order (root, expiration, right, strike).
    pub fn listed(
        &self,
        underlying: &str,
        day: Date,
        expired: bool,
    ) -> Result<Vec<OptionSymbol>, TapeError> {
        let days: Vec<Date> = self
            .sessions(underlying)?
            .into_iter()
            .filter(|d| *d <= day)
            .collect();
        let days = if expired {
            &days[..]
        } else {
            &days[days.len().saturating_sub(1)..]
        };
        let mut out = Vec::new();
        for session_day in days {
            let Some(session) = self.session(underlying, *session_day)? else {
                continue;
            };
            out.extend(
                session
                    .contracts()
                    .iter()
                    .map(|c| c.symbol)
                    .filter(|s| (s.expiration < day) == expired),
            );
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The instrument's latest record at or before `at`, searched back through the sessions of
    /// `underlying`.
    pub fn latest<R: Record>(
        &self,
        underlying: &str,
        instrument: Instrument<'_>,
        at: Timestamp,
    ) -> Result<Option<R>, TapeError> {
        let today = model::calendar::new_york_date(at);
        let mut days = self.sessions(underlying)?;
        days.retain(|day| *day <= today);
        days.reverse();
        self.latest_among(underlying, instrument, &days, at)
    }

    /// The instrument's latest record at or before `at` in the sessions of `days` (latest
    /// first), the first that has one.
    pub fn latest_among<R: Record>(
        &self,
        underlying: &str,
        instrument: Instrument<'_>,
        days: &[Date],
        at: Timestamp,
    ) -> Result<Option<R>, TapeError> {
        for day in days {
            let Some(session) = self.session(underlying, *day)? else {
                continue;
            };
            if let Some(owner) = instrument.owner_in(&session)
                && let Some(record) = session.at::<R>(owner, at)?
            {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// Rows `offset..offset + limit` of the instrument's records with `from <= ts < to` over the
    /// sessions of `underlying`, newest first when `descending`, and how many there are in all.
    /// Rows before the page are not decoded: each session's count in the range comes from
    /// positions, whole sessions are skipped, and the page is read from its first row on.
    pub fn page<R: Record>(
        &self,
        underlying: &str,
        instrument: Instrument<'_>,
        (from, to): (Timestamp, Timestamp),
        descending: bool,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<R>, usize), TapeError> {
        if from >= to {
            return Ok((Vec::new(), 0));
        }
        let (first, last) = (
            model::calendar::new_york_date(from),
            model::calendar::new_york_date(Timestamp::from_nanos(to.as_nanos() - 1)),
        );
        // Each session holding the instrument in the range, with the positions of its rows there.
        let mut spans = Vec::new();
        for day in self.sessions(underlying)? {
            if day < first || day > last {
                continue;
            }
            let Some(session) = self.session(underlying, day)? else {
                continue;
            };
            if let Some(owner) = instrument.owner_in(&session) {
                let positions = session.positions::<R>(owner, from, to)?;
                if !positions.is_empty() {
                    spans.push((session, owner, positions));
                }
            }
        }
        if descending {
            spans.reverse();
        }
        let total: u64 = spans.iter().map(|(_, _, p)| p.end - p.start).sum();
        let mut skip = offset as u64;
        let mut rows = Vec::with_capacity(limit.min(10_000));
        for (session, owner, positions) in spans {
            let count = positions.end - positions.start;
            if skip >= count {
                skip -= count;
                continue;
            }
            let (order, resume) = if descending {
                (Order::Descending, positions.end - skip)
            } else {
                (Order::Ascending, positions.start + skip)
            };
            skip = 0;
            let wanted = limit - rows.len();
            let page = session.range::<R>(owner, from, to, order, Some(resume), wanted)?;
            rows.extend(page.records);
            if rows.len() == limit {
                break;
            }
        }
        Ok((rows, usize::try_from(total).unwrap_or(usize::MAX)))
    }

    /// Session dates of an underlying, ascending.
    pub fn sessions(&self, underlying: &str) -> Result<Vec<Date>, TapeError> {
        let folder = self.root.join(underlying);
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(TapeError::io(&folder, e)),
        };
        let mut dates = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| TapeError::io(&folder, e))?;
            if let Some(date) = parse_file_date(&entry.file_name().to_string_lossy()) {
                dates.push(date);
            }
        }
        dates.sort_unstable();
        Ok(dates)
    }

    /// The most recent session date of any underlying, if the tape has any data.
    pub fn latest_session(&self) -> Result<Option<Date>, TapeError> {
        let mut latest = None;
        for underlying in self.underlyings()? {
            latest = latest.max(self.sessions(&underlying)?.last().copied());
        }
        Ok(latest)
    }

    pub fn session_path(&self, underlying: &str, date: Date) -> PathBuf {
        session_path(&self.root, underlying, date)
    }

    /// Opens a session, or returns `None` when the tape has no such session.
    pub fn session(
        &self,
        underlying: &str,
        date: Date,
    ) -> Result<Option<Arc<SessionFile>>, TapeError> {
        let key = (underlying.to_string(), date);
        {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            open.clock += 1;
            let clock = open.clock;
            if let Some((session, used)) = open.sessions.get_mut(&key) {
                *used = clock;
                return Ok(Some(session.clone()));
            }
        }
        let path = self.session_path(underlying, date);
        if !path.exists() {
            return Ok(None);
        }
        let session = Arc::new(SessionFile::open(&path)?);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.sessions.len() >= OPEN_SESSIONS
            && let Some(oldest) = open
                .sessions
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
        {
            open.sessions.remove(&oldest);
        }
        let clock = open.clock;
        open.sessions.insert(key, (session.clone(), clock));
        Ok(Some(session))
    }

    /// Forgets a cached session, e.g. after it was replaced by an import.
    pub fn evict(&self, underlying: &str, date: Date) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.sessions.remove(&(underlying.to_string(), date));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_dates() {
        assert_eq!(
            parse_file_date("2025-01-15.tape"),
            Some(jiff::civil::date(2025, 1, 15))
        );
        assert_eq!(parse_file_date("2025-02-30.tape"), None);
        assert_eq!(parse_file_date("2025-01-15.tape.tmp"), None);
        assert_eq!(parse_file_date(".2025-01-15.tape.123.tmp"), None);
        assert_eq!(parse_file_date("20250115.tape"), None);
    }
}
