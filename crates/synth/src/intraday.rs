//! One session of one product, second by second.
//!
//! Variance inside the day follows the familiar U shape (busy open, quiet lunch, busier close)
//! times a mean-reverting random factor; the path is then bent, in proportion to variance spent,
//! so that it closes exactly at the day's close from the daily model (a bridge), with the day's
//! jump placed at its second.
//!
//! Options are priced on the share of the session's variance still to come. That share is what
//! a market maker can expect at each second from what has happened so far (the time-of-day
//! shape, the variance already spent, the factor's current level decaying toward its mean),
//! never the factor's realised future: quotes must not know the rest of the day.

use crate::daily::{Day, OVERNIGHT_SHARE, TRADING_DAYS};
use crate::math::exp;
use crate::rng::{Rng, label};
use crate::universe::Product;

/// The intraday variance factor: a log-Ornstein-Uhlenbeck process with a half-life of about half
/// an hour (in seconds) and this stationary spread of its logarithm.
const FACTOR_HALF_LIFE: f64 = 1_800.0;
const FACTOR_SD: f64 = 0.3;

/// The intraday path of a session, on a one-second grid.
#[derive(Clone, Debug)]
pub struct Path {
    /// Price at the start of each second and at the close: `seconds + 1` values.
    pub price: Vec<f64>,
    /// Annualised instantaneous variance in each second (without the time-of-day shape).
    pub variance: Vec<f64>,
    /// Share of the session's variance expected to be still to come at the start of each second,
    /// given only what is known then (1 at the open).
    pub remaining: Vec<f64>,
}

impl Path {
    pub fn seconds(&self) -> usize {
        self.variance.len()
    }
}

/// The time-of-day shape of variance: mean 1 over the session.
pub fn seasonality(seconds: usize) -> Vec<f64> {
    let n = seconds as f64;
    let raw: Vec<f64> = (0..seconds)
        .map(|s| {
            let s = s as f64;
            1.0 + 2.5 * exp(-s / 900.0) + 0.8 * exp(-(n - s) / 1_800.0)
        })
        .collect();
    let mean = raw.iter().sum::<f64>() / n.max(1.0);
    raw.into_iter().map(|w| w / mean).collect()
}

/// Standard normal draws that make a path: the variance factor's state before the open and its
/// step into each second (`seconds + 1`), and the price's shock in each second (`seconds`).
#[derive(Clone, Debug)]
pub struct Shocks {
    pub factor: Vec<f64>,
    pub price: Vec<f64>,
}

pub fn path(seed: u64, product: &Product, day: &Day, seconds: usize) -> Path {
    let mut rng = Rng::stream(&[seed, label(product.symbol), label("intraday"), day_key(day)]);
    let factor = (0..=seconds).map(|_| rng.normal()).collect();
    let price = (0..seconds).map(|_| rng.normal()).collect();
    path_from(day, &seasonality(seconds), &Shocks { factor, price })
}

/// The path of `day` with time-of-day `shape` (one weight a second) driven by `shocks`.
pub fn path_from(day: &Day, shape: &[f64], shocks: &Shocks) -> Path {
    let seconds = shape.len();
    let a = exp(-std::f64::consts::LN_2 / FACTOR_HALF_LIFE);
    let step_sd = FACTOR_SD * (1.0 - a * a).sqrt();
    // exp(factor − σ²/2) has mean 1 under the stationary law.
    let level = |factor: f64| exp(factor - 0.5 * FACTOR_SD * FACTOR_SD);
    let mut factor = FACTOR_SD * shocks.factor[0];
    let before_open = level(factor);
    let mut weights = Vec::with_capacity(seconds);
    let mut variance = Vec::with_capacity(seconds);
    for (w, z) in shape.iter().zip(&shocks.factor[1..]) {
        factor = a * factor + step_sd * z;
        let f = level(factor);
        weights.push(w * f);
        variance.push(day.variance * f);
    }
    let total_weight: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let budget = day.variance * (1.0 - OVERNIGHT_SHARE) / TRADING_DAYS * day.length;
    let jump_second = day.jump.map(|(size, at)| {
        (
            ((at * seconds as f64) as usize).min(seconds.saturating_sub(1)),
            size,
        )
    });
    let mut x = Vec::with_capacity(seconds + 1);
    let mut spent = Vec::with_capacity(seconds + 1);
    let (mut level, mut used) = (0.0, 0.0);
    x.push(level);
    spent.push(used);
    for (s, (w, z)) in weights.iter().zip(&shocks.price).enumerate() {
        let var = budget * w / total_weight;
        level += -0.5 * var + var.sqrt() * z;
        if let Some((at, size)) = jump_second
            && at == s
        {
            level += size;
        }
        used += var;
        x.push(level);
        spent.push(used);
    }
    let target = day.intraday_return();
    let miss = target - level;
    let price = x
        .iter()
        .zip(&spent)
        .map(|(x, u)| day.open * exp(x + miss * u / used.max(f64::MIN_POSITIVE)))
        .collect();
    Path {
        price,
        remaining: expected_remaining(shape, &weights, before_open, a),
        variance,
    }
}

/// The expected share of the session's variance weight still to come at the start of each
/// second, from the time-of-day `shape`, the realised weights of the seconds already past and
/// the factor's last known level (`before_open` at the open), whose excess over its mean of 1 is
/// expected to decay by `a` a second. The realised weight of a second is only read once that
/// second has passed.
fn expected_remaining(shape: &[f64], weights: &[f64], before_open: f64, a: f64) -> Vec<f64> {
    let seconds = shape.len();
    // From the end: the shape's weight still to come, and the same discounted by the decay.
    let mut tail = vec![0.0; seconds + 1];
    let mut decaying = vec![0.0; seconds + 1];
    for s in (0..seconds).rev() {
        tail[s] = tail[s + 1] + shape[s];
        decaying[s] = a * (shape[s] + decaying[s + 1]);
    }
    let mut remaining = Vec::with_capacity(seconds);
    let (mut past, mut known) = (0.0, before_open);
    for s in 0..seconds {
        // Positive: the decaying sum is below the tail and the level is positive.
        let expected = tail[s] + (known - 1.0) * decaying[s];
        remaining.push(expected / (past + expected).max(f64::MIN_POSITIVE));
        past += weights[s];
        known = weights[s] / shape[s];
    }
    remaining
}

fn day_key(day: &Day) -> u64 {
    (i64::from(day.date.year()) * 10_000
        + i64::from(day.date.month()) * 100
        + i64::from(day.date.day())) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daily::days;
    use crate::math::ln;
    use crate::universe::default_universe;
    use jiff::civil::date;

    #[test]
    fn a_path_opens_and_closes_where_the_day_does() {
        let spx = &default_universe()[0];
        let days = days(3, spx, date(2025, 3, 3), date(2025, 3, 7));
        for day in days.values() {
            let p = path(3, spx, day, 23_400);
            assert_eq!(p.price.len(), 23_401);
            assert!((p.price[0] - day.open).abs() < 1e-9);
            assert!((p.price[23_400] / day.close - 1.0).abs() < 1e-12);
            assert!((p.remaining[0] - 1.0).abs() < 1e-12);
            assert!(p.remaining.iter().all(|r| *r > 0.0 && *r <= 1.0));
            assert!(p.remaining[23_399] < 0.01);
            // Expectations move with the factor from second to second, but over an hour the
            // variance spent dominates.
            let hourly: Vec<f64> = (0..7).map(|h| p.remaining[h * 3_600]).collect();
            assert!(hourly.windows(2).all(|w| w[1] < w[0]), "{hourly:?}");
        }
    }

    #[test]
    fn realised_intraday_volatility_is_near_the_day_variance() {
        let spx = &default_universe()[0];
        let mut ratios = Vec::new();
        for day in days(11, spx, date(2025, 1, 6), date(2025, 6, 30)).values() {
            let p = path(11, spx, day, 23_400);
            let realised: f64 = p.price.windows(2).map(|w| ln(w[1] / w[0]).powi(2)).sum();
            let expected = day.variance * (1.0 - OVERNIGHT_SHARE) / TRADING_DAYS;
            ratios.push(realised / expected);
        }
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        assert!(
            (0.7..1.5).contains(&mean),
            "realised / expected variance {mean}"
        );
        let shape = seasonality(23_400);
        assert!(
            shape[0] > 2.5 * shape[11_700],
            "the open is busier than midday"
        );
    }

    #[test]
    fn the_remaining_variance_at_a_second_never_depends_on_later_draws() {
        let spx = &default_universe()[0];
        let day = days(5, spx, date(2025, 3, 3), date(2025, 3, 3))[&date(2025, 3, 3)];
        let seconds = 23_400;
        let shape = seasonality(seconds);
        let mut rng = Rng::stream(&[5, label("look-ahead")]);
        let shocks = Shocks {
            factor: (0..=seconds).map(|_| rng.normal()).collect(),
            price: (0..seconds).map(|_| rng.normal()).collect(),
        };
        let base = path_from(&day, &shape, &shocks);
        for cut in [0, 1, 600, 11_700, 23_000] {
            // Everything drawn for second `cut` and later replaced: the factor's steps into
            // them and their price shocks. The expectation at the start of `cut` may use only
            // what happened before it.
            let mut other = shocks.clone();
            for z in &mut other.factor[cut + 1..] {
                *z = 2.0 + rng.normal();
            }
            for z in &mut other.price[cut..] {
                *z = rng.normal();
            }
            let changed = path_from(&day, &shape, &other);
            assert_eq!(
                base.remaining[..=cut],
                changed.remaining[..=cut],
                "the expected remaining variance up to second {cut} saw later draws"
            );
            // The replaced draws do matter afterwards, so the comparison above is not vacuous.
            if cut + 400 < seconds {
                assert_ne!(base.remaining[cut + 400], changed.remaining[cut + 400]);
            }
        }
    }

    #[test]
    fn the_expected_remaining_variance_is_unbiased() {
        let spx = &default_universe()[0];
        let seconds = 23_400;
        let shape = seasonality(seconds);
        // The share actually still to come, from the realised factor, against its expectation.
        let (mut realised, mut expected) = ([0.0; 3], [0.0; 3]);
        for day in days(17, spx, date(2025, 1, 6), date(2025, 12, 31)).values() {
            let p = path(17, spx, day, seconds);
            let weights: Vec<f64> = shape
                .iter()
                .zip(&p.variance)
                .map(|(w, v)| w * v / day.variance)
                .collect();
            let total: f64 = weights.iter().sum();
            for (i, s) in [3_600, 11_700, 21_600].into_iter().enumerate() {
                realised[i] += weights[s..].iter().sum::<f64>() / total;
                expected[i] += p.remaining[s];
            }
        }
        for i in 0..3 {
            let ratio = realised[i] / expected[i];
            assert!((0.95..1.05).contains(&ratio), "{i}: {ratio}");
        }
    }
}
