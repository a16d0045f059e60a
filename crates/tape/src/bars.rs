//! Bars of any length within a session.
//!
//! Spans that are whole minutes are built from the stored one-minute bars where the session has
//! them (supplied by a vendor, or derived from dense trades when written); everything else from
//! the trades (or, for an index, its published values). Bars are aligned to multiples of the span
//! since the Unix epoch, which for minute and hour spans are the same instants in New York time.
//! A bucket without any trade produces no bar.

use std::time::Duration;

use model::Timestamp;

use crate::error::TapeError;
use crate::format::{Kind, Owner};
use crate::query::Order;
use crate::reader::SessionFile;
use crate::records::{Bar, IndexValue, Trade};

const MINUTE: i64 = 60_000_000_000;

/// Folds bars (or single-price bars made from prints) into buckets of `span` nanoseconds.
pub fn aggregate(bars: impl IntoIterator<Item = Bar>, span: i64) -> Vec<Bar> {
    let mut out: Vec<(Bar, i128)> = Vec::new();
    for bar in bars {
        let start =
            Timestamp::from_nanos(bar.start.as_nanos() - bar.start.as_nanos().rem_euclid(span));
        let notional = i128::from(bar.vwap) * i128::from(bar.volume);
        match out.last_mut() {
            Some((current, sum)) if current.start == start => {
                current.high = current.high.max(bar.high);
                current.low = current.low.min(bar.low);
                current.close = bar.close;
                current.volume += bar.volume;
                current.transactions += bar.transactions;
                *sum += notional;
            }
            _ => out.push((Bar { start, ..bar }, notional)),
        }
    }
    out.into_iter()
        .map(|(mut bar, sum)| {
            if bar.volume > 0 {
                bar.vwap = (sum / i128::from(bar.volume)) as i64;
            }
            bar
        })
        .collect()
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
        if span_nanos % MINUTE == 0 && self.count(owner, Kind::Bars) > 0 {
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
        let minute = aggregate(bars, MINUTE);
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
