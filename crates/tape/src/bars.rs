//! Bars of any length within a session.
//!
//! Spans that are whole minutes are built from the stored one-minute bars where the session has
//! them (supplied by a vendor, or derived from dense trades when written); everything else from
//! the trades (or, for an index, its published values). Bars are aligned to multiples of the span
//! since the Unix epoch, which for minute and hour spans are the same instants in New York time.
//! A bucket without any trade produces no bar.

use std::time::Duration;

use model::Timestamp;

use jiff::civil::Date;
use model::calendar;

use crate::error::TapeError;
use crate::format::{Kind, Owner};
use crate::query::Order;
use crate::reader::SessionFile;
use crate::records::{Bar, IndexValue, MINUTE_NANOS, Trade, minute_start};
use crate::tape::{Instrument, Tape};

/// Folds bars (or single-price bars made from prints) into buckets of `span` nanoseconds.
pub fn aggregate(bars: impl IntoIterator<Item = Bar>, span: i64) -> Vec<Bar> {
    group(bars, |bar| {
        let start = bar.start.as_nanos() - bar.start.as_nanos().rem_euclid(span);
        (start, Timestamp::from_nanos(start))
    })
}

/// Folds time-ordered bars into buckets: `bucket` gives each bar's bucket key and the bucket's
/// start. The first open and last close are kept, highs and lows extended, volumes and
/// transactions added, and the VWAP weighted by volume.
pub fn group(
    bars: impl IntoIterator<Item = Bar>,
    bucket: impl Fn(&Bar) -> (i64, Timestamp),
) -> Vec<Bar> {
    group_keyed(bars.into_iter().map(|bar| {
        let (key, start) = bucket(&bar);
        (key, start, bar)
    }))
}

/// A running summary of time-ordered bars: the first open and last close, highs and lows
/// extended, volumes and transactions added, the VWAP weighted by volume.
#[derive(Clone, Copy, Debug, Default)]
struct Summary {
    bar: Option<Bar>,
    notional: i128,
}

impl Summary {
    fn add(&mut self, bar: &Bar) {
        self.notional += i128::from(bar.vwap) * i128::from(bar.volume);
        match &mut self.bar {
            Some(current) => {
                current.high = current.high.max(bar.high);
                current.low = current.low.min(bar.low);
                current.close = bar.close;
                current.volume += bar.volume;
                current.transactions += bar.transactions;
            }
            None => self.bar = Some(*bar),
        }
    }

    fn finish(self) -> Option<Bar> {
        let mut bar = self.bar?;
        bar.vwap = if bar.volume > 0 {
            (self.notional / i128::from(bar.volume)) as i64
        } else {
            bar.close
        };
        Some(bar)
    }
}

/// [`group`] over bars already given their bucket key and start.
fn group_keyed(items: impl IntoIterator<Item = (i64, Timestamp, Bar)>) -> Vec<Bar> {
    let mut out: Vec<(i64, Summary)> = Vec::new();
    for (key, start, bar) in items {
        match out.last_mut() {
            Some((current_key, summary)) if *current_key == key => summary.add(&bar),
            _ => {
                let mut summary = Summary::default();
                summary.add(&Bar { start, ..bar });
                out.push((key, summary));
            }
        }
    }
    out.into_iter()
        .filter_map(|(_, summary)| summary.finish())
        .collect()
}

/// One bar summarising a run of bars (a session's day bar), starting where the first does.
pub fn combine(bars: &[Bar]) -> Option<Bar> {
    let mut summary = Summary::default();
    bars.iter().for_each(|bar| summary.add(bar));
    summary.finish()
}

fn print(ts: Timestamp, price: i64, size: u64) -> Bar {
    Bar {
        start: ts,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: size,
        vwap: price,
        transactions: u32::from(size > 0),
    }
}

impl SessionFile {
    /// Bars of `span` for `owner` covering `[from, to)`. `span` must be a whole, positive number
    /// of seconds.
    pub fn bars(
        &self,
        owner: Owner,
        span: Duration,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Bar>, TapeError> {
        let span_nanos = i64::try_from(span.as_nanos()).unwrap_or(i64::MAX);
        if span_nanos <= 0 || span_nanos % 1_000_000_000 != 0 {
            return Err(TapeError::Invalid(format!(
                "bar span {span:?} must be a whole number of seconds"
            )));
        }
        // Widen the range to whole buckets so the edge bars are complete.
        let from = Timestamp::from_nanos(from.as_nanos() - from.as_nanos().rem_euclid(span_nanos));
        if span_nanos % MINUTE_NANOS == 0 && self.count(owner, Kind::Bars) > 0 {
            let minutes = self
                .range::<Bar>(owner, from, to, Order::Ascending, None, usize::MAX)?
                .records;
            return Ok(aggregate(minutes, span_nanos));
        }
        if self.count(owner, Kind::Trades) > 0 {
            let trades = self
                .range::<Trade>(owner, from, to, Order::Ascending, None, usize::MAX)?
                .records;
            return Ok(aggregate(
                trades.iter().map(|t| print(t.ts, t.price, t.size)),
                span_nanos,
            ));
        }
        let values = self
            .range::<IndexValue>(owner, from, to, Order::Ascending, None, usize::MAX)?
            .records;
        Ok(aggregate(
            values.iter().map(|v| print(v.ts, v.value, 0)),
            span_nanos,
        ))
    }
}

/// The length of a bar, for bars across sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// A whole number of seconds (minutes and hours included): bars within each session.
    Seconds(u64),
    /// `n` calendar days: each bucket of days since 1970-01-01 folds its sessions' day bars.
    Days(u32),
    /// `n` calendar weeks, starting on Mondays.
    Weeks(u32),
    /// `n` calendar months (months since January 1970, so quarters start in January, April, ...).
    Months(u32),
}

/// Days since 1970-01-01.
fn epoch_day(date: Date) -> i64 {
    (date - Date::constant(1970, 1, 1)).get_days() as i64
}

fn date_of_epoch_day(day: i64) -> Date {
    Date::constant(1970, 1, 1)
        .checked_add(jiff::Span::new().days(day))
        .unwrap_or(Date::constant(1970, 1, 1))
}

impl Span {
    /// The bucket of a session date and the date the bucket starts on.
    fn bucket(self, date: Date) -> (i64, Date) {
        match self {
            Span::Seconds(_) | Span::Days(0) | Span::Weeks(0) | Span::Months(0) => (0, date),
            Span::Days(n) => {
                let key = epoch_day(date).div_euclid(i64::from(n));
                (key, date_of_epoch_day(key * i64::from(n)))
            }
            Span::Weeks(n) => {
                // 1970-01-05 was a Monday.
                let days = i64::from(n) * 7;
                let key = (epoch_day(date) - 4).div_euclid(days);
                (key, date_of_epoch_day(key * days + 4))
            }
            Span::Months(n) => {
                let months = i64::from(date.year()) * 12 + i64::from(date.month()) - 1 - 1970 * 12;
                let key = months.div_euclid(i64::from(n));
                let first = key * i64::from(n) + 1970 * 12;
                let start =
                    Date::new((first / 12) as i16, (first % 12 + 1) as i8, 1).unwrap_or(date);
                (key, start)
            }
        }
    }
}

impl SessionFile {
    /// The owner's trading summary of the session before `to`: the stored summary, or, when
    /// `to` falls before the session's day is over, one built from the minute bars and trades
    /// before it (so a bar never shows trades after the instant it is asked as of).
    pub fn day_before(&self, owner: Owner, to: Timestamp) -> Result<Option<Bar>, TapeError> {
        let date = self.date();
        let next_midnight = date
            .tomorrow()
            .map(|d| calendar::new_york_instant(d, 0, 0, 0))
            .unwrap_or(Timestamp::from_nanos(i64::MAX));
        if to >= next_midnight {
            return Ok(self.day(owner));
        }
        let midnight = calendar::new_york_instant(date, 0, 0, 0);
        // Stored minute bars up to the minute of the last instant before `to` (whose bar could
        // show trades from `to` on), then that minute's trades; without stored bars, the trades (or an index's
        // values) themselves. Folded as they are read: a snapshot asks this of every contract.
        let mut day = Summary::default();
        let mut trades_from = midnight;
        if self.count(owner, Kind::Bars) > 0 {
            // The minute of the last instant included: a day asked as of any instant of one
            // minute is built the same way, so its rounded VWAP does not change within it.
            trades_from =
                minute_start(Timestamp::from_nanos(to.as_nanos().saturating_sub(1))).max(midnight);
            self.visit::<Bar>(owner, midnight, trades_from, |bars| {
                bars.iter().for_each(|bar| day.add(bar));
            })?;
        }
        if self.count(owner, Kind::Trades) > 0 {
            self.visit::<Trade>(owner, trades_from, to, |trades| {
                for t in trades {
                    day.add(&print(t.ts, t.price, t.size));
                }
            })?;
        } else {
            self.visit::<IndexValue>(owner, trades_from, to, |values| {
                for v in values {
                    day.add(&print(v.ts, v.value, 0));
                }
            })?;
        }
        // The day starts at its first minute, however it was built.
        Ok(day.finish().map(|bar| Bar {
            start: minute_start(bar.start),
            ..bar
        }))
    }
}

impl Tape {
    /// Bars of `instrument` of `underlying` covering `[from, to)`, across sessions. Intraday spans
    /// are [`SessionFile::bars`] of each session; days, weeks and months fold the sessions' day
    /// bars into calendar buckets, each starting at New York midnight of its first day (the
    /// range is widened to whole buckets). A session where the instrument did not trade adds
    /// nothing.
    pub fn bars(
        &self,
        underlying: &str,
        instrument: Instrument<'_>,
        span: Span,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Bar>, TapeError> {
        if matches!(
            span,
            Span::Seconds(0) | Span::Days(0) | Span::Weeks(0) | Span::Months(0)
        ) {
            return Err(TapeError::Invalid("a bar span must be at least 1".into()));
        }
        if from >= to {
            return Ok(Vec::new());
        }
        let first_date = span.bucket(calendar::new_york_date(from)).1;
        let last_date = calendar::new_york_date(Timestamp::from_nanos(to.as_nanos() - 1));
        let dates: Vec<Date> = self
            .sessions(underlying)?
            .into_iter()
            .filter(|d| (first_date..=last_date).contains(d))
            .collect();
        let (mut intraday, mut daily) = (Vec::new(), Vec::new());
        for date in dates {
            let Some(session) = self.session(underlying, date)? else {
                continue;
            };
            let Some(owner) = instrument.owner_in(&session) else {
                continue;
            };
            let midnight = calendar::new_york_instant(date, 0, 0, 0);
            if let Span::Seconds(seconds) = span {
                intraday.extend(session.bars(owner, Duration::from_secs(seconds), from, to)?);
            } else if let Some(day) = session.day_before(owner, to)?
                && midnight < to
            {
                let (key, start) = span.bucket(date);
                let start = calendar::new_york_instant(start, 0, 0, 0);
                daily.push((key, start, day));
            }
        }
        Ok(match span {
            Span::Seconds(_) => intraday,
            _ => group_keyed(daily),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_first_open_last_close_and_weighted_vwap() {
        let bars = [
            print(Timestamp::from_seconds(0), 10, 1),
            print(Timestamp::from_seconds(20), 14, 3),
            print(Timestamp::from_seconds(59), 9, 0),
            print(Timestamp::from_seconds(61), 11, 2),
        ];
        let minute = aggregate(bars, MINUTE_NANOS);
        assert_eq!(minute.len(), 2);
        assert_eq!(
            (
                minute[0].open,
                minute[0].high,
                minute[0].low,
                minute[0].close
            ),
            (10, 14, 9, 9)
        );
        assert_eq!(minute[0].volume, 4);
        assert_eq!(minute[0].vwap, (10 + 14 * 3) / 4);
        assert_eq!(minute[0].transactions, 2);
        assert_eq!(minute[1].start, Timestamp::from_seconds(60));
    }
}
