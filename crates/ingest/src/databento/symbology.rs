//! What an `instrument_id` means on a given date.
//!
//! Instrument ids are the publisher's numbers and only mean something together with a date
//! (spec B.2.5): Databento never promises that an id keeps its instrument from one day to the
//! next. Every fact is therefore keyed by the UTC date the id was valid on (Databento's
//! symbology dates are UTC dates; U.S. trading hours fall inside one UTC date).
//!
//! Sources, the first that knows the id for the date wins:
//! 1. `definition` records in the file (the latest per id and date; a `D` action removes it);
//! 2. symbology the file carries: the metadata header's `mappings` (symbol to id per date
//!    interval, end exclusive) and `SymbolMappingMsg` records, the latest mapping first.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Nanoseconds per UTC day.
pub(super) const DAY_NANOS: i64 = 86_400_000_000_000;

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// Days since 1970-01-01 of a UTC instant in nanoseconds.
#[inline]
pub(super) fn utc_day(nanos: i64) -> i32 {
    nanos.div_euclid(DAY_NANOS) as i32
}

/// Days since 1970-01-01 of a date in the metadata header (the `time` crate's `Date`, which
/// `dbn` uses: only its inherent method is called, so we need not depend on that crate).
pub(super) fn metadata_day(julian_day: i32) -> i32 {
    julian_day - UNIX_EPOCH_JULIAN_DAY
}

/// The civil date of a day number.
pub(super) fn civil(day: i32) -> jiff::civil::Date {
    let ts = model::Timestamp::from_nanos(i64::from(day) * DAY_NANOS);
    ts.to_jiff().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// A map key of a date and an instrument id.
#[inline]
pub(super) fn key(day: i32, id: u32) -> u64 {
    (u64::from(day as u32) << 32) | u64::from(id)
}

/// A fast hasher for integer keys (instrument ids and dates), which need no protection against
/// chosen collisions.
#[derive(Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

pub(super) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// What a definition record said about an id on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Defined<T> {
    Is(T),
    /// Removed by a later `D` record: the definitions no longer know it.
    Deleted,
}

/// The date-scoped symbology of one file.
pub(super) struct Symbology<T> {
    definitions: IdMap<u64, Defined<T>>,
    /// Per id: (first day, end day exclusive, index into `texts`), in the order learned.
    intervals: IdMap<u32, Vec<(i32, i32, u32)>>,
    texts: Vec<String>,
    text_index: HashMap<String, u32>,
}

impl<T: Clone> Symbology<T> {
    pub(super) fn new() -> Self {
        Symbology {
            definitions: IdMap::default(),
            intervals: IdMap::default(),
            texts: Vec::new(),
            text_index: HashMap::new(),
        }
    }

    /// Records what a definition says about `id` on `day`.
    pub(super) fn define(&mut self, day: i32, id: u32, what: Defined<T>) {
        self.definitions.insert(key(day, id), what);
    }

    /// Records that `id` stands for `symbol` from `first_day` up to (not including) `end_day`.
    pub(super) fn map(&mut self, id: u32, first_day: i32, end_day: i32, symbol: &str) {
        if end_day <= first_day {
            return;
        }
        let text = match self.text_index.get(symbol) {
            Some(&i) => i,
            None => {
                let i = self.texts.len() as u32;
                self.texts.push(symbol.to_string());
                self.text_index.insert(symbol.to_string(), i);
                i
            }
        };
        self.intervals
            .entry(id)
            .or_default()
            .push((first_day, end_day, text));
    }

    /// The definition of `id` on `day`, if this file defined it.
    pub(super) fn definition(&self, day: i32, id: u32) -> Option<&T> {
        match self.definitions.get(&key(day, id)) {
            Some(Defined::Is(t)) => Some(t),
            _ => None,
        }
    }

    /// The symbols mapped to `id` on `day`, latest first.
    pub(super) fn mapped(&self, day: i32, id: u32) -> impl Iterator<Item = &str> + '_ {
        self.intervals
            .get(&id)
            .into_iter()
            .flat_map(|list| list.iter().rev())
            .filter(move |(first, end, _)| *first <= day && day < *end)
            .map(|(_, _, text)| self.texts[*text as usize].as_str())
    }
}

/// A stock ticker as we store it (`BRK.B`), from a vendor's raw symbol (`BRK.B`, `BRK B`,
/// `BRK/B`), or `None` when it is not one.
pub(super) fn ticker(raw: &str) -> Option<String> {
    let ticker: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '/' => '.',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    let valid = !ticker.is_empty()
        && ticker.len() <= 16
        && ticker
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    valid.then_some(ticker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates() {
        // 2025-01-15T14:30:00Z
        let day = utc_day(1_736_951_400_000_000_000);
        assert_eq!(civil(day).to_string(), "2025-01-15");
        assert_eq!(utc_day(-1), -1, "before the epoch rounds down");
        // Julian day of 2025-01-15 is 2460691.
        assert_eq!(metadata_day(2_460_691), day);
    }

    #[test]
    fn mappings_are_scoped_to_their_dates_and_the_latest_wins() {
        let mut s: Symbology<u8> = Symbology::new();
        s.map(7, 100, 102, "AAA");
        s.map(7, 101, 102, "BBB");
        assert_eq!(s.mapped(100, 7).collect::<Vec<_>>(), ["AAA"]);
        assert_eq!(s.mapped(101, 7).collect::<Vec<_>>(), ["BBB", "AAA"]);
        assert_eq!(s.mapped(102, 7).count(), 0, "the end date is exclusive");
        assert_eq!(s.mapped(100, 8).count(), 0);
        s.define(100, 7, Defined::Is(1));
        assert_eq!(s.definition(100, 7), Some(&1));
        assert_eq!(s.definition(101, 7), None);
        s.define(100, 7, Defined::Deleted);
        assert_eq!(s.definition(100, 7), None);
    }

    #[test]
    fn tickers() {
        assert_eq!(ticker("spy").as_deref(), Some("SPY"));
        assert_eq!(ticker("BRK B").as_deref(), Some("BRK.B"));
        assert_eq!(ticker("BF/B").as_deref(), Some("BF.B"));
        assert_eq!(ticker("SPX.OPT").as_deref(), Some("SPX.OPT"));
        assert_eq!(ticker(""), None);
        assert_eq!(ticker("A*B"), None);
    }
}
