//! The day-by-day path of every product: opens, closes, volatility regimes, jumps.
//!
//! Each day's shocks come from streams named by the seed, the product and the date, so any day
//! can be generated alone and always comes out the same. Log variance follows a mean-reverting
//! process from 2000 onward, its shocks correlated with returns (the leverage effect). Prices are
//! pinned to each product's anchor levels at the first session of every year from 2020 to 2028
//! (see [`Product::anchors`]): between two anchors the random walk is bridged, each day's return
//! shifted by the same amount so the walk lands on the next anchor. Levels are then plausible in
//! every year (SPX near 3,300 in 2020, not near its 2025 level) while the days stay random.
//! Before the first anchor and after the last one the walk runs free.

use crate::math::{exp, ln};
use std::collections::BTreeMap;

use jiff::civil::{Date, date};
use model::calendar;

use crate::rng::{Rng, label};
use crate::universe::{ANCHOR_YEARS, FIRST_ANCHOR_YEAR, Product};

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

/// The first session of `year`.
pub fn first_session(year: i16) -> Date {
    calendar::next_session(date(year - 1, 12, 31)).map_or(date(year, 1, 2), |session| session.date)
}

/// The product's anchors: the first session of each anchor year and the log close there.
pub fn anchors(product: &Product) -> [(Date, f64); ANCHOR_YEARS] {
    std::array::from_fn(|i| {
        (
            first_session(FIRST_ANCHOR_YEAR + i as i16),
            ln(product.anchors[i]),
        )
    })
}

/// One day's log returns: overnight, then from the open to the close (with any jump).
struct Returns {
    date: Date,
    overnight: f64,
    intraday: f64,
    length: f64,
}

/// Every trading day of one product over a range.
///
/// Every anchor interval is always walked in full (and the variance process from 2000), so a
/// day's values never depend on the range asked for.
pub fn days(seed: u64, product: &Product, from: Date, to: Date) -> BTreeMap<Date, Day> {
    let anchors = anchors(product);
    let first = from.min(anchors[0].0);
    let last = to.max(anchors[ANCHOR_YEARS - 1].0);
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
    let mut returns: Vec<Returns> = Vec::with_capacity(shock_of.len());
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
        returns.push(Returns {
            date: *day,
            overnight,
            intraday,
            length,
        });
    }
    let positions: [usize; ANCHOR_YEARS] = std::array::from_fn(|i| {
        returns
            .binary_search_by(|r| r.date.cmp(&anchors[i].0))
            .expect("anchors are sessions inside the walked range")
    });
    // The bridge: between two anchors, every day's return moves by the same amount, split
    // between the night and the session the way variance is, so the walk closes on the next
    // anchor and the intraday path keeps its share.
    for (i, pair) in anchors.windows(2).enumerate() {
        let (start, end) = (positions[i], positions[i + 1]);
        let walked: f64 = returns[start + 1..=end]
            .iter()
            .map(|r| r.overnight + r.intraday)
            .sum();
        let shift = (pair[1].1 - pair[0].1 - walked) / (end - start) as f64;
        for r in &mut returns[start + 1..=end] {
            r.overnight += OVERNIGHT_SHARE * shift;
            r.intraday += (1.0 - OVERNIGHT_SHARE) * shift;
        }
    }
    // Closes: from the first anchor forward through the bridges and beyond the last anchor,
    // and backward before it.
    let origin = positions[0];
    let mut log_close = vec![0.0; returns.len()];
    let mut level = anchors[0].1;
    log_close[origin] = level;
    for i in origin + 1..returns.len() {
        level += returns[i].overnight + returns[i].intraday;
        log_close[i] = level;
    }
    let mut level = anchors[0].1;
    for i in (0..origin).rev() {
        level -= returns[i + 1].overnight + returns[i + 1].intraday;
        log_close[i] = level;
    }
    let mut out = BTreeMap::new();
    for (i, r) in returns.iter().enumerate() {
        if r.date < from || r.date > to {
            continue;
        }
        let close = exp(log_close[i]);
        let previous_close = if i > 0 {
            exp(log_close[i - 1])
        } else {
            exp(log_close[i] - r.overnight - r.intraday)
        };
        out.insert(
            r.date,
            Day {
                date: r.date,
                previous_close,
                open: previous_close * exp(r.overnight),
                close,
                variance: variance_of[&r.date],
                jump: shock_of[&r.date].jump,
                length: r.length,
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::universe::default_universe;

    #[test]
    fn anchors_hold_and_days_are_independent_of_the_range() {
        for product in default_universe().iter().filter(|p| p.symbol != "VIX") {
            let all = days(42, product, date(2019, 12, 2), date(2028, 12, 29));
            for (i, (day, _)) in anchors(product).iter().enumerate() {
                let close = all[day].close;
                assert!(
                    (close / product.anchors[i] - 1.0).abs() < 1e-9,
                    "{} {day}: {close} vs anchor {}",
                    product.symbol,
                    product.anchors[i]
                );
            }
            // Narrow ranges inside an anchor interval, across an anchor, before the first anchor
            // and after the last one give the same days as one wide range.
            for (from, to) in [
                (date(2025, 3, 3), date(2025, 3, 7)),
                (date(2022, 12, 28), date(2023, 1, 6)),
                (date(2019, 12, 2), date(2019, 12, 6)),
                (date(2027, 6, 1), date(2027, 6, 4)),
                (date(2028, 6, 1), date(2028, 6, 2)),
            ] {
                let narrow = days(42, product, from, to);
                assert!(!narrow.is_empty());
                for (d, day) in &narrow {
                    assert_eq!(day, &all[d], "{} {d}", product.symbol);
                }
            }
        }
        // The 2025 anchor is the level the products were calibrated on.
        let spx = &default_universe()[0];
        assert_eq!(spx.anchors[2025 - FIRST_ANCHOR_YEAR as usize], 5_900.0);
        let one = days(42, spx, date(2025, 3, 3), date(2025, 3, 7));
        let other_seed = days(43, spx, date(2025, 3, 3), date(2025, 3, 7));
        assert_ne!(
            one.values().next().unwrap().close,
            other_seed.values().next().unwrap().close
        );
    }

    /// The anchor interval holding `day`: the anchors at or before and after it.
    fn bracket(anchors: &[(Date, f64)], day: Date) -> Option<((Date, f64), (Date, f64))> {
        anchors
            .windows(2)
            .find(|w| w[0].0 <= day && day <= w[1].0)
            .map(|w| (w[0], w[1]))
    }

    #[test]
    fn levels_stay_near_the_anchors_in_every_year() {
        let universe = default_universe();
        for seed in [1, 7, 42, 2024] {
            for product in universe.iter().filter(|p| p.symbol != "VIX") {
                let anchors = anchors(product);
                let path = days(seed, product, date(2020, 1, 1), date(2027, 12, 31));
                // A bridged walk strays from the range of its two anchors by about its volatility
                // over the year at most; 2.5 long-run volatilities (SPX in 2020: 2,210 to 5,450)
                // is rarely reached by chance, and a walk left free from one reference level
                // (SPX near 5,900 in 2020) lands outside it.
                let band = 2.5 * product.long_run_vol;
                for day in path.values() {
                    let Some((a, b)) = bracket(&anchors, day.date) else {
                        continue;
                    };
                    let x = ln(day.close);
                    let (low, high) = (a.1.min(b.1) - band, a.1.max(b.1) + band);
                    assert!(
                        (low..=high).contains(&x),
                        "seed {seed} {} {}: {:.2} outside {:.2}..{:.2}",
                        product.symbol,
                        day.date,
                        day.close,
                        exp(low),
                        exp(high)
                    );
                }
            }
        }
    }

    #[test]
    fn paths_are_continuous_and_plausible() {
        let universe = default_universe();
        for product in universe.iter().filter(|p| p.symbol != "VIX") {
            // Across every anchor, and past the last one.
            let path = days(7, product, date(2019, 12, 2), date(2027, 12, 31));
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
            // Two years should not wander off by orders of magnitude.
            let first = path[&date(2024, 1, 2)].close;
            let last = path[&date(2025, 12, 31)].close;
            assert!(
                ln(last / first).abs() < 2.0,
                "{} {first} -> {last}",
                product.symbol
            );
        }
    }
}
