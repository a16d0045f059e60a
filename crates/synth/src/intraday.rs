//! One session of one product, second by second.
//!
//! Variance inside the day follows the familiar U shape (busy open, quiet lunch, busier close)
//! times a mean-reverting random factor; the path is then bent, in proportion to variance spent,
//! so that it closes exactly at the day's close from the daily model (a bridge), with the day's
//! jump placed at its second.

use crate::daily::{Day, OVERNIGHT_SHARE, TRADING_DAYS};
use crate::math::exp;
use crate::rng::{Rng, label};
use crate::universe::Product;

/// The intraday path of a session, on a one-second grid.
#[derive(Clone, Debug)]
pub struct Path {
    /// Price at the start of each second and at the close: `seconds + 1` values.
    pub price: Vec<f64>,
    /// Annualised instantaneous variance in each second (without the time-of-day shape).
    pub variance: Vec<f64>,
    /// Share of the session's variance still to come at the start of each second (1 at the open).
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

pub fn path(seed: u64, product: &Product, day: &Day, seconds: usize) -> Path {
    let mut rng = Rng::stream(&[seed, label(product.symbol), label("intraday"), day_key(day)]);
    let shape = seasonality(seconds);
    // A log-OU factor with a half-life of about half an hour and 0.3 daily spread.
    let half_life = 1_800.0;
    let a = exp(-std::f64::consts::LN_2 / half_life);
    let stationary_sd = 0.3;
    let step_sd = stationary_sd * (1.0 - a * a).sqrt();
    let mut factor = stationary_sd * rng.normal();
    let mut weights = Vec::with_capacity(seconds);
    let mut variance = Vec::with_capacity(seconds);
    for w in &shape {
        factor = a * factor + step_sd * rng.normal();
        let f = exp(factor - 0.5 * stationary_sd * stationary_sd);
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
    for (s, w) in weights.iter().enumerate() {
        let var = budget * w / total_weight;
        level += -0.5 * var + var.sqrt() * rng.normal();
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
    let mut remaining = Vec::with_capacity(seconds);
    let mut left = 1.0f64;
    for w in &weights {
        remaining.push(left.max(0.0));
        left -= w / total_weight;
    }
    Path {
        price,
        variance,
        remaining,
    }
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
            assert!(p.remaining.windows(2).all(|w| w[1] <= w[0]));
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
}
