//! The market an engine decision reads: quotes, deltas and the settlement value of one session,
//! at whole seconds.
//!
//! The engine never reads market data itself; whoever drives it (the simulator over the tape, a
//! test over a table of quotes) implements [`Market`]. Quotes are those in force at a second:
//! the last one at or before it within the session, carried forward, never backward.

use model::Timestamp;
use model::order::Instrument;
use rust_decimal::Decimal;

use crate::fill::LegQuote;

/// The market failed to answer (damaged data, a read error): not a property of the order, so it
/// is never reported as a refusal.
#[derive(Debug, thiserror::Error)]
#[error("market data: {0}")]
pub struct MarketError(pub String);

/// One session's market as the engine sees it.
pub trait Market {
    /// The instrument's quote in force at `at`; `None` before its first quote of the session or
    /// when it has no offer.
    fn quote(
        &self,
        instrument: &Instrument,
        at: Timestamp,
    ) -> Result<Option<LegQuote>, MarketError>;

    /// The instrument's unsigned delta at `at` (1 for shares); `None` when unknown.
    fn delta(&self, instrument: &Instrument, at: Timestamp)
    -> Result<Option<Decimal>, MarketError>;

    /// The first whole second `s` with `after < s <= until` at which `condition` holds over
    /// the instruments' quotes in force at `s` (`None` for one not quoted yet). Quotes change
    /// only when a new one arrives, so only seconds at which one did need asking.
    ///
    /// `could_hold` may be asked, for a stretch of time, whether the condition could hold
    /// anywhere in it given how low and high each instrument's bid and ask go there (`None`
    /// when unknown); a stretch it rules out need not be searched. It must not rule out a
    /// stretch where the condition holds.
    fn first_second(
        &self,
        instruments: &[Instrument],
        after: Timestamp,
        until: Timestamp,
        could_hold: &mut dyn FnMut(&[Option<QuoteRange>]) -> bool,
        condition: &mut dyn FnMut(Timestamp, &[Option<LegQuote>]) -> bool,
    ) -> Result<Option<Timestamp>, MarketError>;

    /// The underlying's value at the close, which settles the session's expiring options.
    fn settlement_value(&self) -> Result<Option<Decimal>, MarketError>;

    /// The price of the instrument's last trade in the session at or before `at`, per share.
    fn last_trade(
        &self,
        instrument: &Instrument,
        at: Timestamp,
    ) -> Result<Option<Decimal>, MarketError>;

    /// The first whole second `s` with `after < s <= until` at which the price of the
    /// instrument's last trade in force satisfies `condition`; only seconds a trade arrived in
    /// need asking.
    fn first_trade_second(
        &self,
        instrument: &Instrument,
        after: Timestamp,
        until: Timestamp,
        condition: &mut dyn FnMut(Decimal) -> bool,
    ) -> Result<Option<Timestamp>, MarketError>;
}

/// How low and high an instrument's bid and ask go over a stretch of time, per share (0 for an
/// absent side).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteRange {
    pub bid_low: Decimal,
    pub bid_high: Decimal,
    pub ask_low: Decimal,
    pub ask_high: Decimal,
}

impl QuoteRange {
    /// The lowest and the highest mid the stretch can have.
    pub fn mids(&self) -> (Decimal, Decimal) {
        (
            (self.bid_low + self.ask_low) / Decimal::TWO,
            (self.bid_high + self.ask_high) / Decimal::TWO,
        )
    }
}

/// Anything goes: for searches that must visit every second.
pub fn any_range(_: &[Option<QuoteRange>]) -> bool {
    true
}

/// Floors an instant to its second: the simulator's resolution.
pub fn second_of(t: Timestamp) -> Timestamp {
    const SECOND: i64 = 1_000_000_000;
    Timestamp::from_nanos(t.as_nanos().div_euclid(SECOND).saturating_mul(SECOND))
}

/// A market from a table of quotes: for tests and worked examples, where a session is a few
/// hand-written quotes. Its searches visit every second with a quote change and panic if
/// `could_hold` rules out one where the condition holds.
#[derive(Clone, Debug, Default)]
pub struct QuoteTable {
    quotes: std::collections::BTreeMap<Instrument, Vec<(Timestamp, LegQuote)>>,
    trades: std::collections::BTreeMap<Instrument, Vec<(Timestamp, Decimal)>>,
    deltas: std::collections::BTreeMap<Instrument, Decimal>,
    close: Option<Decimal>,
}

impl QuoteTable {
    /// Adds a quote from `at` on; quotes of an instrument must be added in time order.
    pub fn quote(&mut self, instrument: &Instrument, at: Timestamp, bid: Decimal, ask: Decimal) {
        self.quotes
            .entry(instrument.clone())
            .or_default()
            .push((at, LegQuote { bid, ask }));
    }

    /// Adds a trade; trades of an instrument must be added in time order.
    pub fn trade(&mut self, instrument: &Instrument, at: Timestamp, price: Decimal) {
        self.trades
            .entry(instrument.clone())
            .or_default()
            .push((at, price));
    }

    pub fn delta(&mut self, instrument: &Instrument, delta: Decimal) {
        self.deltas.insert(instrument.clone(), delta);
    }

    pub fn close_at(&mut self, value: Decimal) {
        self.close = Some(value);
    }

    fn in_force(&self, instrument: &Instrument, at: Timestamp) -> Option<LegQuote> {
        let quotes = self.quotes.get(instrument)?;
        let after = quotes.partition_point(|(t, _)| *t <= at);
        after.checked_sub(1).map(|i| quotes[i].1)
    }
}

impl Market for QuoteTable {
    fn quote(
        &self,
        instrument: &Instrument,
        at: Timestamp,
    ) -> Result<Option<LegQuote>, MarketError> {
        Ok(self.in_force(instrument, at))
    }

    fn delta(
        &self,
        instrument: &Instrument,
        _at: Timestamp,
    ) -> Result<Option<Decimal>, MarketError> {
        Ok(self.deltas.get(instrument).copied())
    }

    fn first_second(
        &self,
        instruments: &[Instrument],
        after: Timestamp,
        until: Timestamp,
        could_hold: &mut dyn FnMut(&[Option<QuoteRange>]) -> bool,
        condition: &mut dyn FnMut(Timestamp, &[Option<LegQuote>]) -> bool,
    ) -> Result<Option<Timestamp>, MarketError> {
        let mut seconds: Vec<Timestamp> = instruments
            .iter()
            .filter_map(|instrument| self.quotes.get(instrument))
            .flatten()
            .map(|(t, _)| ceil_second(*t))
            .filter(|s| *s > after && *s <= until)
            .collect();
        seconds.sort();
        seconds.dedup();
        for second in seconds {
            let quotes: Vec<Option<LegQuote>> = instruments
                .iter()
                .map(|instrument| self.in_force(instrument, second))
                .collect();
            // Each second is its own stretch here, so every search also checks that
            // `could_hold` never rules out a second where the condition holds.
            let ranges: Vec<Option<QuoteRange>> = quotes
                .iter()
                .map(|q| {
                    q.map(|q| QuoteRange {
                        bid_low: q.bid,
                        bid_high: q.bid,
                        ask_low: q.ask,
                        ask_high: q.ask,
                    })
                })
                .collect();
            let possible = could_hold(&ranges);
            let holds = condition(second, &quotes);
            assert!(
                possible || !holds,
                "could_hold ruled out {second:?}, where the condition holds"
            );
            if holds {
                return Ok(Some(second));
            }
        }
        Ok(None)
    }

    fn settlement_value(&self) -> Result<Option<Decimal>, MarketError> {
        Ok(self.close)
    }

    fn last_trade(
        &self,
        instrument: &Instrument,
        at: Timestamp,
    ) -> Result<Option<Decimal>, MarketError> {
        let Some(trades) = self.trades.get(instrument) else {
            return Ok(None);
        };
        let after = trades.partition_point(|(t, _)| *t <= at);
        Ok(after.checked_sub(1).map(|i| trades[i].1))
    }

    fn first_trade_second(
        &self,
        instrument: &Instrument,
        after: Timestamp,
        until: Timestamp,
        condition: &mut dyn FnMut(Decimal) -> bool,
    ) -> Result<Option<Timestamp>, MarketError> {
        let trades = self.trades.get(instrument).map_or(&[][..], Vec::as_slice);
        let mut seconds: Vec<Timestamp> = trades
            .iter()
            .map(|(t, _)| ceil_second(*t))
            .filter(|s| *s > after && *s <= until)
            .collect();
        seconds.dedup();
        for second in seconds {
            if let Some(price) = self.last_trade(instrument, second)?
                && condition(price)
            {
                return Ok(Some(second));
            }
        }
        Ok(None)
    }
}

/// The first whole second at or after `t`: when a quote arriving at `t` is first seen.
pub fn ceil_second(t: Timestamp) -> Timestamp {
    let floor = second_of(t);
    if floor == t {
        t
    } else {
        Timestamp::from_nanos(floor.as_nanos().saturating_add(1_000_000_000))
    }
}
