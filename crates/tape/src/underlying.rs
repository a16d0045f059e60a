//! The underlying's price path, from which a chunk of option quotes predicts its bids.
//!
//! Market makers re-price an option when its underlying moves, by about its delta, so most of an
//! option's bid changes are the underlying's moves times a number that is nearly constant over a
//! few minutes. A quote chunk may therefore store, instead of each bid, the bid less its
//! *predicted move* since the chunk's first quote: `beta * (price(t) - price(first))`, rounded
//! to the chunk's price unit. What remains changes far less often and by less.
//!
//! The price path is the session's own underlying series, so a file needs nothing from outside:
//! its index values when it has them (SPX, VIX), else its underlying quotes as bid plus ask (a
//! sum rather than a midpoint, so it stays a whole number of nanodollars). The price as of `t`
//! is the last one at or before `t`, or the first one for instants before it. All arithmetic is
//! wrapping integer arithmetic, so writer and reader agree on every bit whatever the input.

use model::Timestamp;

use crate::columns::{NoTables, Tables};
use crate::error::{CorruptKind, TapeError};

/// Fraction bits of a chunk's `beta` (units of its price step per nanodollar of the path).
const BETA_SHIFT: u32 = 40;

/// Which of the session's series a chunk's prediction follows. The number is what a chunk head
/// stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceSource {
    /// The underlying's index values.
    IndexValues = 1,
    /// The underlying's quotes, as bid plus ask.
    QuoteSums = 2,
}

impl PriceSource {
    pub fn from_code(code: u64) -> Result<Option<PriceSource>, TapeError> {
        match code {
            0 => Ok(None),
            1 => Ok(Some(PriceSource::IndexValues)),
            2 => Ok(Some(PriceSource::QuoteSums)),
            _ => Err(TapeError::corrupt(CorruptKind::ColumnMode)),
        }
    }
}

/// One point of the path: the price from this instant on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PricePoint {
    pub ts: Timestamp,
    pub price: i64,
}

/// The path a writer knows when it encodes a chunk: every point so far, in time order.
#[derive(Clone, Copy, Debug)]
pub struct PricePath<'a> {
    pub source: PriceSource,
    pub points: &'a [PricePoint],
}

/// What a decoder needs from outside a chunk: the tables its columns share and, for predicted
/// option quotes, the underlying's price path.
pub trait Context: Tables {
    /// The points of `source` from the last one at or before `from` (or the first one) through
    /// the last one at or before `through`.
    fn underlying_prices(
        &mut self,
        source: PriceSource,
        from: Timestamp,
        through: Timestamp,
    ) -> Result<Vec<PricePoint>, TapeError>;
}

/// Decoding without a file around the chunk: predicted quotes cannot be read.
impl Context for NoTables {
    fn underlying_prices(
        &mut self,
        _: PriceSource,
        _: Timestamp,
        _: Timestamp,
    ) -> Result<Vec<PricePoint>, TapeError> {
        Err(TapeError::corrupt(CorruptKind::ColumnMode))
    }
}

/// The price as of each instant of `times` (ascending), walking `points` once.
pub fn prices_at(points: &[PricePoint], times: impl Iterator<Item = Timestamp>) -> Vec<i64> {
    let mut path = PriceWalk::new(points);
    times.map(|t| path.at(t)).collect()
}

/// Prices as of instants that only move forward, walking the path once.
pub struct PriceWalk<'a> {
    points: &'a [PricePoint],
    at: usize,
}

impl<'a> PriceWalk<'a> {
    pub fn new(points: &'a [PricePoint]) -> Self {
        PriceWalk { points, at: 0 }
    }

    /// The price as of `t` (no earlier than the last instant asked for).
    #[inline]
    pub fn at(&mut self, t: Timestamp) -> i64 {
        while self.at + 1 < self.points.len() && self.points[self.at + 1].ts <= t {
            self.at += 1;
        }
        self.points.get(self.at).map_or(0, |p| p.price)
    }
}

/// How a chunk predicts its bids: `beta` in units of `unit` per nanodollar of the path, with
/// [`BETA_SHIFT`] fraction bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prediction {
    pub beta: i64,
    pub unit: i64,
}

impl Prediction {
    /// The predicted move of the bid for a move of the path.
    #[inline]
    pub fn moved(&self, path_move: i64) -> i64 {
        let half = 1i64 << (BETA_SHIFT - 1);
        (self.beta.wrapping_mul(path_move).wrapping_add(half) >> BETA_SHIFT).wrapping_mul(self.unit)
    }

    /// The prediction that fits `bids` against the path's `prices` (at the same instants) best,
    /// or `None` when it would not make the chunk smaller.
    pub fn fit(bids: &[i64], prices: &[i64]) -> Option<Prediction> {
        let (mut cross, mut square) = (0f64, 0f64);
        let mut unit = 0i64;
        for (b, p) in bids.windows(2).zip(prices.windows(2)) {
            let (db, dp) = (b[1].wrapping_sub(b[0]), p[1].wrapping_sub(p[0]));
            unit = gcd(unit, db);
            if dp != 0 {
                cross += db as f64 * dp as f64;
                square += dp as f64 * dp as f64;
            }
        }
        if square == 0.0 || unit <= 0 {
            return None;
        }
        let slope = cross / square / unit as f64;
        let beta = (slope * (1u64 << BETA_SHIFT) as f64).round() as i64;
        let prediction = Prediction { beta, unit };
        let cost = |p: Option<&Prediction>| -> u64 {
            let mut previous = bids[0];
            let mut cost = 0;
            for (b, price) in bids.iter().zip(prices).skip(1) {
                let adjusted = p.map_or(*b, |p| {
                    b.wrapping_sub(p.moved(price.wrapping_sub(prices[0])))
                });
                let change = adjusted.wrapping_sub(previous) / unit;
                previous = adjusted;
                if change != 0 {
                    // About what a changed bid costs: a mask bit and the change's bits.
                    cost += 2 + u64::from(64 - change.unsigned_abs().leading_zeros());
                }
            }
            cost
        };
        (beta != 0 && cost(Some(&prediction)) < cost(None)).then_some(prediction)
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    i64::try_from(a).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_nanos(s * 1_000_000_000)
    }

    #[test]
    fn prices_as_of_each_instant() {
        let points = [
            PricePoint {
                ts: at(10),
                price: 100,
            },
            PricePoint {
                ts: at(20),
                price: 110,
            },
            PricePoint {
                ts: at(30),
                price: 90,
            },
        ];
        let times = [at(5), at(10), at(19), at(20), at(25), at(40)];
        assert_eq!(
            prices_at(&points, times.into_iter()),
            vec![100, 100, 100, 110, 110, 90]
        );
        assert_eq!(prices_at(&[], times.into_iter()), vec![0; 6]);
    }

    #[test]
    fn fits_a_delta_and_predicts_on_the_tick_grid() {
        // A bid that moves half the underlying's move, in $0.05 ticks.
        let tick = 50_000_000;
        let prices: Vec<i64> = (0..200)
            .map(|i| 6_000_000_000_000 + (i * 7 % 17) * 130_000_000)
            .collect();
        let bids: Vec<i64> = prices
            .iter()
            .map(|p| 20_000_000_000 + (p - prices[0]) / 2 / tick * tick)
            .collect();
        let prediction = Prediction::fit(&bids, &prices).expect("a prediction pays");
        assert_eq!(prediction.unit, tick);
        for (b, p) in bids.iter().zip(&prices) {
            let predicted = bids[0] + prediction.moved(p - prices[0]);
            assert_eq!(predicted % tick, 0);
            assert!((predicted - b).abs() <= tick, "{predicted} vs {b}");
        }
    }

    #[test]
    fn no_prediction_when_bids_ignore_the_path() {
        let prices: Vec<i64> = (0..100).map(|i| 1_000_000 * (i % 7)).collect();
        let bids = vec![5_000_000_000; 100];
        assert_eq!(Prediction::fit(&bids, &prices), None);
        let flat = vec![7; 100];
        let moving: Vec<i64> = (0..100).map(|i| i * 10_000_000).collect();
        assert_eq!(Prediction::fit(&moving, &flat), None);
    }

    #[test]
    fn wrapping_never_panics() {
        let p = Prediction {
            beta: i64::MAX,
            unit: i64::MAX,
        };
        let _ = p.moved(i64::MIN);
        let _ = Prediction::fit(&[i64::MIN, i64::MAX, 0], &[i64::MAX, i64::MIN, 3]);
    }
}
