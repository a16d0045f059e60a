//! Queries over one session.
//!
//! Semantics, for every series:
//! - **as of** `t`: the last record with a timestamp at or before `t` (records at exactly `t` are
//!   visible). Nothing after `t` is ever shown; the instant of the next record may be told, to say
//!   how long the answer holds.
//! - **range** `[from, to)`: records with `from <= ts < to`, in time order (or reversed), paged
//!   by a position that stays valid because files never change.
//! - **first instant**: the earliest event time `τ` with `after < τ <= until` at which a
//!   condition over the as-of quotes of a few contracts holds. Quotes only change at their own
//!   timestamps, so checking each event time (after applying every update at that time) finds the
//!   first instant exactly.

use std::sync::Arc;

use model::Timestamp;

use crate::codec::CHUNK_SPAN_SECONDS;
use crate::error::TapeError;
use crate::format::{Kind, Owner};
use crate::reader::SessionFile;
use crate::records::{IndexValue, Quote, QuoteBounds, Trade};
use crate::series::Record;

/// Direction of a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// The legs' quotes at an instant (`None` for a leg that has not quoted yet).
pub type LegQuotes = Vec<Option<Quote>>;

/// A page of a range and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<R> {
    pub records: Vec<R>,
    /// Position of the next record to read, when more remain in the range.
    pub next: Option<u64>,
}

impl SessionFile {
    /// The last record of a series at or before `t`.
    pub fn at<R: Record>(&self, owner: Owner, t: Timestamp) -> Result<Option<R>, TapeError> {
        Ok(self.at_and_next::<R>(owner, t)?.0)
    }

    /// The last record of a series at or before `t`, and the instant of the record after it:
    /// until then the answer stays the same. The later instant only ever bounds how long an
    /// answer may be reused; it is never shown.
    pub fn at_and_next<R: Record>(
        &self,
        owner: Owner,
        t: Timestamp,
    ) -> Result<(Option<R>, Option<Timestamp>), TapeError> {
        let Some(series) = self.series_index(owner, R::KIND) else {
            return Ok((None, None));
        };
        let chunks = &self.chunks(series)?.entries;
        let chunk = chunks.partition_point(|c| c.first_ts <= t);
        let next_chunk = chunks.get(chunk).map(|c| c.first_ts);
        if chunk == 0 {
            return Ok((None, next_chunk));
        }
        // Decoded at least through the first record after `t`, when the chunk has one.
        let records = self.chunk_through::<R>(series, chunk - 1, t)?;
        let within = records.partition_point(|r| r.ts() <= t);
        let next = records.get(within).map(|r| r.ts()).or(next_chunk);
        Ok((within.checked_sub(1).map(|i| records[i]), next))
    }

    /// The quote of `owner` as of `t`.
    pub fn quote_at(&self, owner: Owner, t: Timestamp) -> Result<Option<Quote>, TapeError> {
        self.at::<Quote>(owner, t)
    }

    /// The last trade of `owner` at or before `t`.
    pub fn last_trade_at(&self, owner: Owner, t: Timestamp) -> Result<Option<Trade>, TapeError> {
        self.at::<Trade>(owner, t)
    }

    /// The underlying index value as of `t`.
    pub fn value_at(&self, t: Timestamp) -> Result<Option<IndexValue>, TapeError> {
        self.at::<IndexValue>(Owner::Underlying, t)
    }

    /// Every listed contract's quote as of `t`, for contracts `keep` accepts and that have quoted by
    /// then, in contract order.
    pub fn chain_at(
        &self,
        t: Timestamp,
        mut keep: impl FnMut(&crate::format::ContractEntry) -> bool,
    ) -> Result<Vec<(Owner, Quote)>, TapeError> {
        let mut chain = Vec::new();
        for (i, contract) in self.contracts().iter().enumerate() {
            if !keep(contract) {
                continue;
            }
            let owner = Owner::Contract(i as u32);
            if let Some(quote) = self.quote_at(owner, t)? {
                chain.push((owner, quote));
            }
        }
        Ok(chain)
    }

    /// Position (index within the series) of the first record with `ts >= t`.
    fn lower_bound<R: Record>(&self, series: usize, t: Timestamp) -> Result<u64, TapeError> {
        let index = self.chunks(series)?;
        let chunk = index.entries.partition_point(|c| c.last_ts < t);
        if chunk == index.entries.len() {
            return Ok(self.series(series).count);
        }
        let records = self.chunk::<R>(series, chunk)?;
        Ok(index.starts[chunk] + records.partition_point(|r| r.ts() < t) as u64)
    }

    /// The record at a position of a series.
    fn nth<R: Record>(&self, series: usize, position: u64) -> Result<(Arc<[R]>, usize), TapeError> {
        let starts = &self.chunks(series)?.starts;
        let chunk = starts.partition_point(|s| *s <= position) - 1;
        let records = self.chunk::<R>(series, chunk)?;
        Ok((records, (position - starts[chunk]) as usize))
    }

    /// The positions `[first, end)` within a series of its records with `from <= ts < to`: how
    /// many there are, and where `range` resumes to skip some of them.
    pub fn positions<R: Record>(
        &self,
        owner: Owner,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<std::ops::Range<u64>, TapeError> {
        let Some(series) = self.series_index(owner, R::KIND) else {
            return Ok(0..0);
        };
        if from >= to {
            return Ok(0..0);
        }
        Ok(self.lower_bound::<R>(series, from)?..self.lower_bound::<R>(series, to)?)
    }

    /// Every record of a series, in time order.
    pub fn whole_series<R: Record>(&self, owner: Owner) -> Result<Vec<R>, TapeError> {
        let everything = (
            Timestamp::from_nanos(i64::MIN),
            Timestamp::from_nanos(i64::MAX),
        );
        Ok(self
            .range::<R>(
                owner,
                everything.0,
                everything.1,
                Order::Ascending,
                None,
                usize::MAX,
            )?
            .records)
    }

    /// Hands `each` the records of a series with `from <= ts < to` in time order, a chunk's slice
    /// at a time, without copying them out.
    pub fn visit<R: Record>(
        &self,
        owner: Owner,
        from: Timestamp,
        to: Timestamp,
        mut each: impl FnMut(&[R]),
    ) -> Result<(), TapeError> {
        let Some(series) = self.series_index(owner, R::KIND) else {
            return Ok(());
        };
        if from >= to {
            return Ok(());
        }
        let end = self.lower_bound::<R>(series, to)?;
        let mut position = self.lower_bound::<R>(series, from)?;
        while position < end {
            let (chunk, at) = self.nth::<R>(series, position)?;
            let take = (chunk.len() - at).min((end - position) as usize);
            each(&chunk[at..at + take]);
            position += take as u64;
        }
        Ok(())
    }

    /// Records of a series with `from <= ts < to`, at most `limit`, starting at `resume` (a
    /// position returned as `next` by the previous page) or at the start of the range.
    pub fn range<R: Record>(
        &self,
        owner: Owner,
        from: Timestamp,
        to: Timestamp,
        order: Order,
        resume: Option<u64>,
        limit: usize,
    ) -> Result<Page<R>, TapeError> {
        let empty = Page {
            records: Vec::new(),
            next: None,
        };
        let Some(series) = self.series_index(owner, R::KIND) else {
            return Ok(empty);
        };
        if from >= to || limit == 0 {
            return Ok(empty);
        }
        let first = self.lower_bound::<R>(series, from)?;
        let end = self.lower_bound::<R>(series, to)?;
        let mut records = Vec::with_capacity(limit.min((end - first) as usize));
        let mut next = None;
        match order {
            Order::Ascending => {
                let mut position = resume.unwrap_or(first).max(first);
                while position < end {
                    if records.len() == limit {
                        next = Some(position);
                        break;
                    }
                    let (chunk, at) = self.nth::<R>(series, position)?;
                    let take = (chunk.len() - at)
                        .min((end - position) as usize)
                        .min(limit - records.len());
                    records.extend_from_slice(&chunk[at..at + take]);
                    position += take as u64;
                }
            }
            Order::Descending => {
                // `resume` is the position just after the next record to return.
                let mut position = resume.unwrap_or(end).min(end);
                while position > first {
                    if records.len() == limit {
                        next = Some(position);
                        break;
                    }
                    let (chunk, at) = self.nth::<R>(series, position - 1)?;
                    let available = (at + 1).min((position - first) as usize);
                    let take = available.min(limit - records.len());
                    records.extend(chunk[at + 1 - take..=at].iter().rev().copied());
                    position -= take as u64;
                }
            }
        }
        Ok(Page { records, next })
    }

    /// The first event time `τ` in `(after, until]` at which `condition` holds over the legs' quotes
    /// as of `τ` (`None` for a leg that has not quoted yet). Returns `τ` and the quotes.
    pub fn first_instant(
        &self,
        legs: &[Owner],
        after: Timestamp,
        until: Timestamp,
        condition: impl FnMut(Timestamp, &[Option<Quote>]) -> bool,
    ) -> Result<Option<(Timestamp, LegQuotes)>, TapeError> {
        self.first_instant_every(legs, after, until, 1, condition)
    }

    /// [`first_instant`](Self::first_instant) seen every `step` nanoseconds: the condition is
    /// asked at multiples of `step` only, over the quotes in force then, so a quote that is
    /// replaced before the next multiple is never seen (the simulator's one-second resolution).
    pub fn first_instant_every(
        &self,
        legs: &[Owner],
        after: Timestamp,
        until: Timestamp,
        step: i64,
        mut condition: impl FnMut(Timestamp, &[Option<Quote>]) -> bool,
    ) -> Result<Option<(Timestamp, LegQuotes)>, TapeError> {
        let step = step.max(1);
        let mut state: LegQuotes = legs
            .iter()
            .map(|leg| self.quote_at(*leg, after))
            .collect::<Result<_, _>>()?;
        let mut cursors: Vec<LegCursor> = legs
            .iter()
            .map(|leg| LegCursor::new(self, *leg, after))
            .collect::<Result<_, _>>()?;
        // Each leg's next event time, i64::MAX once a leg has no more: the merge below touches
        // only these integers until a leg actually moves.
        let mut next: Vec<i64> = cursors.iter().map(LegCursor::next_ts).collect();
        let until = until.as_nanos();
        loop {
            let event = next.iter().copied().min().unwrap_or(i64::MAX);
            if event == i64::MAX {
                return Ok(None);
            }
            // The first multiple of `step` at or after the event: when it is first seen.
            let now = event
                .div_euclid(step)
                .saturating_add(i64::from(event.rem_euclid(step) != 0))
                .saturating_mul(step);
            if now > until {
                return Ok(None);
            }
            for (leg, cursor) in cursors.iter_mut().enumerate() {
                while next[leg] <= now {
                    state[leg] = Some(cursor.records[cursor.at]);
                    cursor.advance(self)?;
                    next[leg] = cursor.next_ts();
                }
            }
            let at = Timestamp::from_nanos(now);
            if condition(at, &state) {
                return Ok(Some((at, state)));
            }
        }
    }
}

impl SessionFile {
    /// [`first_instant`](Self::first_instant) that skips stretches where the condition cannot
    /// hold, without decoding them. The stretch `(after, until]` is taken a five-minute window at a
    /// time (the span chunks are cut at); for each window, `could_hold` gets every leg's bounds
    /// from the chunk index, which every quote in force during the window lies within (`None`
    /// when a leg may have no quote then), and answers whether `condition` could hold somewhere
    /// in it. Only the windows it does not rule out are searched. A `could_hold` that answers
    /// `false` where the condition could hold makes the search miss it.
    pub fn first_instant_within_bounds(
        &self,
        legs: &[Owner],
        after: Timestamp,
        until: Timestamp,
        could_hold: impl FnMut(&[Option<QuoteBounds>]) -> bool,
        condition: impl FnMut(Timestamp, &[Option<Quote>]) -> bool,
    ) -> Result<Option<(Timestamp, LegQuotes)>, TapeError> {
        self.first_instant_within_bounds_every(legs, after, until, 1, could_hold, condition)
    }

    /// [`first_instant_within_bounds`](Self::first_instant_within_bounds) seen every `step`
    /// nanoseconds, as [`first_instant_every`](Self::first_instant_every). `step` must divide
    /// the five-minute window.
    pub fn first_instant_within_bounds_every(
        &self,
        legs: &[Owner],
        after: Timestamp,
        until: Timestamp,
        step: i64,
        mut could_hold: impl FnMut(&[Option<QuoteBounds>]) -> bool,
        mut condition: impl FnMut(Timestamp, &[Option<Quote>]) -> bool,
    ) -> Result<Option<(Timestamp, LegQuotes)>, TapeError> {
        let window = CHUNK_SPAN_SECONDS * 1_000_000_000;
        let series: Vec<Option<usize>> = legs
            .iter()
            .map(|leg| self.series_index(*leg, Kind::Quotes))
            .collect();
        let mut bounds = vec![None; legs.len()];
        let mut from = after;
        while from < until {
            let end = (from.as_nanos().div_euclid(window) + 1).saturating_mul(window);
            let to = Timestamp::from_nanos(end).min(until);
            for (leg, series) in series.iter().enumerate() {
                bounds[leg] = match series {
                    Some(series) => self.bounds_over(*series, from, to)?,
                    None => None,
                };
            }
            if could_hold(&bounds)
                && let Some(found) =
                    self.first_instant_every(legs, from, to, step, &mut condition)?
            {
                return Ok(Some(found));
            }
            from = to;
        }
        Ok(None)
    }

    /// Bounds of every quote of a series in force at some instant of `(from, to]`: the last
    /// one at or before `from` and those after it through `to`. `None` when the series has no
    /// quote by `from`.
    fn bounds_over(
        &self,
        series: usize,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Option<QuoteBounds>, TapeError> {
        let chunks = &self.chunks(series)?.entries;
        let first = chunks.partition_point(|c| c.first_ts <= from);
        let last = chunks.partition_point(|c| c.first_ts <= to);
        let Some(start) = first.checked_sub(1) else {
            return Ok(None);
        };
        Ok(self.chunk_bounds(series)?[start..last]
            .iter()
            .copied()
            .reduce(QuoteBounds::union))
    }
}

/// Walks one leg's quotes after an instant, a chunk at a time.
struct LegCursor {
    series: Option<usize>,
    chunk: usize,
    /// The current chunk's quotes (empty when the leg has no more).
    records: Arc<[Quote]>,
    at: usize,
}

impl LegCursor {
    fn new(session: &SessionFile, owner: Owner, after: Timestamp) -> Result<LegCursor, TapeError> {
        let mut cursor = LegCursor {
            series: None,
            chunk: 0,
            records: Arc::from(Vec::new()),
            at: 0,
        };
        let Some(series) = session.series_index(owner, Kind::Quotes) else {
            return Ok(cursor);
        };
        let chunks = &session.chunks(series)?.entries;
        cursor.series = Some(series);
        cursor.chunk = chunks.partition_point(|c| c.last_ts <= after);
        if cursor.chunk < chunks.len() {
            let records = session.chunk::<Quote>(series, cursor.chunk)?;
            cursor.at = records.partition_point(|q| q.ts <= after);
            cursor.records = records;
        }
        Ok(cursor)
    }

    #[inline]
    fn next_ts(&self) -> i64 {
        self.records
            .get(self.at)
            .map_or(i64::MAX, |q| q.ts.as_nanos())
    }

    /// Moves past the current quote, into the next chunk when this one is done.
    #[inline]
    fn advance(&mut self, session: &SessionFile) -> Result<(), TapeError> {
        self.at += 1;
        if self.at == self.records.len()
            && let Some(series) = self.series
        {
            self.chunk += 1;
            self.at = 0;
            self.records = if self.chunk < session.series(series).chunk_count as usize {
                session.chunk::<Quote>(series, self.chunk)?
            } else {
                Arc::from(Vec::new())
            };
        }
        Ok(())
    }
}
