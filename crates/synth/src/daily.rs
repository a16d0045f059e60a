//! The day-by-day path of every product: opens, closes, volatility regimes, jumps.
//!
//! Each day's shocks come from streams named by the seed, the product and the date, so any day
//! can be generated alone and always comes out the same. Prices are anchored on a reference date
//! (their levels there are the products' reference prices) and walked forward and backward from
//! it; log variance follows a mean-reverting process from 2000 onward, its shocks correlated with
//! returns (the leverage effect).

use crate::math::{exp, ln};
use std::collections::BTreeMap;

use jiff::civil::{Date, date};
use model::calendar;

use crate::rng::{Rng, label};
use crate::universe::Product;

/// The close that carries the reference prices.
pub const REFERENCE_DATE: Date = date(2025, 1, 3);
/// Where the variance process starts (at its long-run level).
const VARIANCE_START: Date = date(2000, 1, 3);
/// Trading days in a year.
pub const TRADING_DAYS: f64 = 252.0;
/// Share of a day's variance that happens overnight.
pub const OVERNIGHT_SHARE: f64 = 0.2;

/// One product on one trading day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Day {
    pub date: Date,
    pub previous_close: f64,
    pub open: f64,
    pub close: f64,
    /// Annualised variance expected for the day.
    pub variance: f64,
    /// A jump during the session: its log size and when (fraction of the session).
    pub jump: Option<(f64, f64)>,
    /// Fraction of a full session's length (early closes are shorter).
    pub length: f64,
}

impl Day {
    /// The log return from open to close.
    pub fn intraday_return(&self) -> f64 {
        ln(self.close / self.open)
    }
}

/// Standard normal shocks of one product on one day.
struct Shocks {
    overnight: f64,
    intraday: f64,
    variance: f64,
    jump: Option<(f64, f64)>,
}

fn shocks(seed: u64, product: &Product, day: Date) -> Shocks {
    let day_key = calendar_key(day);
    let mut market = Rng::stream(&[seed, label("market"), day_key]);
    let mut own = Rng::stream(&[seed, label(product.symbol), label("daily"), day_key]);
    let c = product.market_correlation.clamp(-1.0, 1.0);
    let idio = (1.0 - c * c).sqrt();
    let overnight = c * market.normal() + idio * own.normal();
    let intraday = c * market.normal() + idio * own.normal();
    let return_shock = (OVERNIGHT_SHARE.sqrt() * overnight
        + (1.0 - OVERNIGHT_SHARE).sqrt() * intraday)
        .clamp(-6.0, 6.0);
    let rho = product.leverage;
    let variance = rho * return_shock + (1.0 - rho * rho).sqrt() * own.normal();
    let jump = own.chance(product.jumps_per_year / TRADING_DAYS).then(|| {
        (
            product.jump_mean + product.jump_sd * own.normal(),
            0.05 + 0.9 * own.uniform(),
        )
    });
    Shocks {
        overnight,
        intraday,
        variance,
        jump,
    }
}

fn calendar_key(day: Date) -> u64 {
    (i64::from(day.year()) * 10_000 + i64::from(day.month()) * 100 + i64::from(day.day())) as u64
}

/// Every trading day of one product over a range, from the reference date outward.
pub fn days(seed: u64, product: &Product, from: Date, to: Date) -> BTreeMap<Date, Day> {
    let first = from.min(REFERENCE_DATE);
    let last = to.max(REFERENCE_DATE);
    // Variance from its start date through the last day needed.
    let long_run = ln(product.long_run_vol * product.long_run_vol);
    let mut log_variance = long_run;
    let mut variance_of: BTreeMap<Date, f64> = BTreeMap::new();
    let mut shock_of: BTreeMap<Date, Shocks> = BTreeMap::new();
    for session in calendar::sessions(VARIANCE_START, last) {
        let day = session.date;
        let s = shocks(seed, product, day);
        if day >= first {
            variance_of.insert(day, exp(log_variance));
        }
        log_variance +=
            product.reversion * (long_run - log_variance) + product.vol_of_vol * s.variance;
        // Keep regimes plausible: between a third and three times the long-run volatility.
        log_variance = log_variance.clamp(long_run - 2.2, long_run + 2.2);
        if day >= first {
            shock_of.insert(day, s);
        }
    }
    let dt = 1.0 / TRADING_DAYS;
    let mut returns: BTreeMap<Date, (f64, f64, f64)> = BTreeMap::new();
    for (day, s) in &shock_of {
        let v = variance_of[day];
        let length = calendar::session(*day).map_or(1.0, |x| x.duration().as_secs_f64() / 23_400.0);
        let overnight =
            -0.5 * v * OVERNIGHT_SHARE * dt + (v * OVERNIGHT_SHARE * dt).sqrt() * s.overnight;
        let intraday_var = v * (1.0 - OVERNIGHT_SHARE) * dt * length;
        let mut intraday = -0.5 * intraday_var + intraday_var.sqrt() * s.intraday;
        if let Some((size, _)) = s.jump {
            intraday += size;
        }
        returns.insert(*day, (overnight, intraday, length));
    }
    // Closes: the reference date's close is the reference price.
    let mut log_close: BTreeMap<Date, f64> = BTreeMap::new();
    let reference = ln(product.reference_price);
    let mut level = reference;
    for (day, (overnight, intraday, _)) in returns.range(REFERENCE_DATE..) {
        if *day > REFERENCE_DATE {
            level += overnight + intraday;
        }
        log_close.insert(*day, level);
    }
    let mut level = reference;
    let mut later = None::<(f64, f64)>;
    for (day, r) in returns.range(..=REFERENCE_DATE).rev() {
        if let Some((overnight, intraday)) = later {
            level -= overnight + intraday;
        }
        log_close.insert(*day, level);
        later = Some((r.0, r.1));
    }
    let mut out = BTreeMap::new();
    let mut previous: Option<f64> = None;
    for (day, (overnight, _, length)) in &returns {
        let close = exp(log_close[day]);
        let previous_close =
            previous.unwrap_or_else(|| exp(log_close[day] - returns[day].0 - returns[day].1));
        if *day >= from && *day <= to {
            out.insert(
                *day,
                Day {
                    date: *day,
                    previous_close,
                    open: previous_close * exp(*overnight),
                    close,
                    variance: variance_of[day],
                    jump: shock_of[day].jump,
                    length: *length,
                },
            );
        }
        previous = Some(close);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::universe::default_universe;

    #[test]
    fn reference_prices_hold_on_the_reference_date_and_days_are_independent_of_the_range() {
        let spx = &default_universe()[0];
        let wide = days(42, spx, date(2024, 6, 3), date(2025, 6, 30));
        assert!((wide[&REFERENCE_DATE].close - 5_900.0).abs() < 1e-6);
        let narrow = days(42, spx, date(2025, 3, 3), date(2025, 3, 7));
        for (d, day) in &narrow {
            assert_eq!(day, &wide[d], "{d}");
        }
        let other_seed = days(43, spx, date(2025, 3, 3), date(2025, 3, 7));
        assert_ne!(
            narrow.values().next().unwrap().close,
            other_seed.values().next().unwrap().close
        );
    }

    #[test]
    fn paths_are_continuous_and_plausible() {
        let universe = default_universe();
        for product in universe.iter().filter(|p| p.symbol != "VIX") {
            let path = days(7, product, date(2024, 1, 2), date(2025, 12, 31));
            let mut previous = None;
            for day in path.values() {
                if let Some(p) = previous {
                    assert_eq!(day.previous_close, p, "{} {}", product.symbol, day.date);
                }
                assert!(day.open > 0.0 && day.close > 0.0);
                let vol = day.variance.sqrt();
                assert!(
                    vol > product.long_run_vol / 3.5 && vol < product.long_run_vol * 3.5,
                    "{} vol {vol}",
                    product.symbol
                );
                previous = Some(day.close);
            }
            // Two years of an index should not wander off by orders of magnitude.
            let first = path.values().next().unwrap().close;
            let last = path.values().last().unwrap().close;
            assert!(
                ln(last / first).abs() < 2.0,
                "{} {first} -> {last}",
                product.symbol
            );
        }
    }
}
