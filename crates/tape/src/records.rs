//! What the tape stores: quotes, trades, bars and index values, with prices as integers.
//!
//! Prices are `i64` nanodollars (1e-9 $, the scale Databento uses), so every vendor's decimal
//! prices are represented exactly and arithmetic on them is exact. Trade sizes and volumes are
//! `u64` millionths of a unit, so fractional share prints survive; quote sizes are whole units.

use model::Timestamp;
use model::money::Decimal;
use model::venues::condition;

/// Nanodollars per dollar.
pub const PRICE_SCALE: i64 = 1_000_000_000;
/// Millionths per unit of trade size or volume.
pub const SIZE_SCALE: u64 = 1_000_000;

/// A price in nanodollars.
pub type Px = i64;

/// Nanoseconds in a minute: the span of the stored bars.
pub const MINUTE_NANOS: i64 = 60_000_000_000;

/// The start of the minute `t` falls in.
pub(crate) fn minute_start(t: Timestamp) -> Timestamp {
    Timestamp::from_nanos(t.as_nanos() - t.as_nanos().rem_euclid(MINUTE_NANOS))
}

/// Converts nanodollars to an exact decimal.
pub fn px_to_decimal(px: Px) -> Decimal {
    Decimal::new(px, 9).normalize()
}

/// Converts a decimal price to nanodollars, or `None` if it has more than nine decimals or does
/// not fit.
pub fn px_from_decimal(value: Decimal) -> Option<Px> {
    use rust_decimal::prelude::ToPrimitive;
    let scaled = value.checked_mul(Decimal::from(PRICE_SCALE))?;
    if !scaled.fract().is_zero() {
        return None;
    }
    scaled.to_i64()
}

/// A price in dollars as a float, for statistics and pricing models only.
pub fn px_to_f64(px: Px) -> f64 {
    px as f64 / PRICE_SCALE as f64
}

/// The change from a previous close to a later price: in dollars, and in percent to four
/// places; `None` from a close of zero.
pub fn change(previous_close: Px, last: Px) -> Option<(Decimal, Decimal)> {
    let previous = px_to_decimal(previous_close);
    if previous.is_zero() {
        return None;
    }
    let change = px_to_decimal(last) - previous;
    Some((
        change,
        (change / previous * Decimal::ONE_HUNDRED).round_dp(4),
    ))
}

/// A best bid and offer as of `ts`. A side with price 0 and size 0 is absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Quote {
    pub ts: Timestamp,
    pub bid: Px,
    pub ask: Px,
    pub bid_size: u32,
    pub ask_size: u32,
    /// Venue of the best bid (our venue code, 0 when unknown).
    pub bid_exchange: u16,
    pub ask_exchange: u16,
}

impl Quote {
    pub fn has_bid(&self) -> bool {
        self.bid > 0
    }

    pub fn has_ask(&self) -> bool {
        self.ask > 0
    }

    /// Bid and ask both present and not crossed.
    pub fn is_two_sided(&self) -> bool {
        self.has_bid() && self.has_ask() && self.bid <= self.ask
    }

    /// The midpoint, rounded toward negative infinity to the nanodollar, when two-sided.
    pub fn mid(&self) -> Option<Px> {
        self.is_two_sided()
            .then(|| (self.bid + self.ask).div_euclid(2))
    }
}

/// How low and how high a series' bids and asks go over a stretch of time, as stored (0 for an
/// absent side). Kept per quote chunk, so a search can tell from the chunk index alone that a
/// condition on the quotes cannot hold anywhere in a stretch, without decoding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteBounds {
    pub bid_low: Px,
    pub bid_high: Px,
    pub ask_low: Px,
    pub ask_high: Px,
}

impl QuoteBounds {
    /// The bounds of some quotes; `None` when there are none.
    pub fn of(quotes: &[Quote]) -> Option<QuoteBounds> {
        let first = quotes.first()?;
        let start = QuoteBounds {
            bid_low: first.bid,
            bid_high: first.bid,
            ask_low: first.ask,
            ask_high: first.ask,
        };
        Some(quotes.iter().fold(start, |b, q| QuoteBounds {
            bid_low: b.bid_low.min(q.bid),
            bid_high: b.bid_high.max(q.bid),
            ask_low: b.ask_low.min(q.ask),
            ask_high: b.ask_high.max(q.ask),
        }))
    }

    /// Bounds that hold wherever either does.
    pub fn union(self, other: QuoteBounds) -> QuoteBounds {
        QuoteBounds {
            bid_low: self.bid_low.min(other.bid_low),
            bid_high: self.bid_high.max(other.bid_high),
            ask_low: self.ask_low.min(other.ask_low),
            ask_high: self.ask_high.max(other.ask_high),
        }
    }
}

/// One print. `size` is in millionths of a contract or share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Trade {
    pub ts: Timestamp,
    pub price: Px,
    pub size: u64,
    /// Venue code (`model::venues`), 0 when unknown.
    pub exchange: u16,
    /// Up to four condition codes (`model::venues::condition`), most significant first; unused
    /// slots hold `condition::NONE`.
    pub conditions: [u16; 4],
    /// The source's sequence number, or an ordinal within the series when it has none.
    pub sequence: u64,
}

impl Default for Trade {
    fn default() -> Self {
        Trade {
            ts: Timestamp::EPOCH,
            price: 0,
            size: 0,
            exchange: 0,
            conditions: [condition::NONE; 4],
            sequence: 0,
        }
    }
}

impl Trade {
    /// Conditions from a list of up to four codes (more are dropped: the first are the most
    /// significant).
    pub fn conditions_from(codes: &[u16]) -> [u16; 4] {
        let mut slots = [condition::NONE; 4];
        for (slot, code) in slots.iter_mut().zip(codes) {
            *slot = *code;
        }
        slots
    }

    /// Whole contracts or shares, rounding any fraction down.
    pub fn whole_size(&self) -> u64 {
        self.size / SIZE_SCALE
    }

    pub fn condition_codes(&self) -> impl Iterator<Item = u16> + '_ {
        self.conditions
            .iter()
            .copied()
            .filter(|c| *c != condition::NONE)
    }
}

/// A bar of trades over `[start, start + span)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bar {
    pub start: Timestamp,
    pub open: Px,
    pub high: Px,
    pub low: Px,
    pub close: Px,
    /// In millionths of a unit.
    pub volume: u64,
    /// Volume-weighted average price.
    pub vwap: Px,
    pub transactions: u32,
}

/// A published index value (SPX, VIX) at `ts`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IndexValue {
    pub ts: Timestamp,
    pub value: Px,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_convert_exactly() {
        let price = Decimal::new(595_025, 2); // 5950.25
        let px = px_from_decimal(price).unwrap();
        assert_eq!(px, 5_950_250_000_000);
        assert_eq!(px_to_decimal(px), price);
        assert_eq!(
            px_from_decimal(Decimal::new(1, 10)),
            None,
            "1e-10 is below the scale"
        );
        assert_eq!(px_to_decimal(2_200_000_000).to_string(), "2.2");
    }

    #[test]
    fn quotes_know_their_sides() {
        let quote = Quote {
            bid: 2_100_000_000,
            ask: 2_300_000_000,
            ..Default::default()
        };
        assert_eq!(quote.mid(), Some(2_200_000_000));
        let one_sided = Quote {
            bid: 0,
            ask: 50_000_000,
            ..Default::default()
        };
        assert!(!one_sided.is_two_sided());
        assert_eq!(one_sided.mid(), None);
        let crossed = Quote {
            bid: 3,
            ask: 2,
            ..Default::default()
        };
        assert!(!crossed.is_two_sided());
    }
}
