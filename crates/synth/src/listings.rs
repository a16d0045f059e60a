//! Which contracts are listed on a day: expirations by each root's rules and strikes on the
//! product's real increments around the day's opening price.

use jiff::civil::Date;
use model::expirations::{
    last_trading_day, monthly_expiration, settlement_instant, weekly_expiration,
};
use model::roots::{Settlement, root_info};
use model::symbol::{OptionSymbol, Right, Root, Strike};
use model::{Timestamp, calendar};

use crate::daily::TRADING_DAYS;
use crate::universe::{Listing, Product};

/// A regular 9:30 to 16:00 session.
pub const FULL_SESSION_SECONDS: f64 = 23_400.0;

/// An expiration of one root, as seen from a trading day.
#[derive(Clone, Debug, PartialEq)]
pub struct Expiry {
    pub root: Root,
    pub date: Date,
    pub settlement: Timestamp,
    /// Trading sessions after today up to and including the expiration date.
    pub sessions_after_today: u32,
    pub am_settled: bool,
    pub strikes: Vec<f64>,
    /// The length, as a share of a full 6.5-hour session, of each session after today that
    /// trades before settlement (the expiration day's own session only for PM settlement): early
    /// closes carry less variance.
    pub session_lengths: Vec<f64>,
}

impl Expiry {
    /// Nights, and the lengths of the sessions, between today's close and settlement.
    pub fn remaining_periods(&self) -> (u32, &[f64]) {
        (self.sessions_after_today, &self.session_lengths)
    }

    pub fn symbols(&self) -> impl Iterator<Item = (OptionSymbol, f64)> + '_ {
        self.strikes.iter().flat_map(move |strike| {
            [Right::Call, Right::Put]
                .into_iter()
                .filter_map(move |right| {
                    let milli = (strike * 1000.0).round() as u32;
                    let strike_value = Strike::from_thousandths(milli).ok()?;
                    OptionSymbol::new(self.root, self.date, right, strike_value)
                        .ok()
                        .map(|s| (s, *strike))
                })
        })
    }
}

fn expiration_dates(listing: Listing, today: Date, root: &str) -> Vec<Date> {
    let tradable = |exp: Date| last_trading_day(root, exp).is_some_and(|last| last >= today);
    let mut dates = Vec::new();
    match listing {
        Listing::Daily { sessions } => {
            let mut day = Some(today).filter(|d| calendar::is_trading_day(*d));
            if day.is_none() {
                day = calendar::next_session(today).map(|s| s.date);
            }
            while let Some(d) = day {
                if dates.len() >= sessions {
                    break;
                }
                dates.push(d);
                day = calendar::next_session(d).map(|s| s.date);
            }
        }
        Listing::Weekly { count } => {
            let mut probe = today;
            for _ in 0..count * 3 {
                if dates.len() >= count {
                    break;
                }
                if let Some(exp) = weekly_expiration(probe)
                    && exp >= today
                    && tradable(exp)
                    && !dates.contains(&exp)
                {
                    dates.push(exp);
                }
                probe = probe
                    .checked_add(jiff::Span::new().days(7))
                    .unwrap_or(probe);
            }
        }
        Listing::Monthly { count } => {
            let (mut year, mut month) = (today.year(), today.month());
            for _ in 0..count * 3 {
                if dates.len() >= count {
                    break;
                }
                let exp = monthly_expiration(year, month);
                if exp >= today && tradable(exp) {
                    dates.push(exp);
                }
                (year, month) = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
            }
        }
    }
    dates.retain(|d| tradable(*d));
    dates
}

/// Strikes from the money outward until `below` and `above` away, on the product's grid: fine
/// near the money, and within a couple of fine steps of every price the underlying reaches
/// during the day (`reach`), where exchanges add strikes as it moves.
fn strikes(
    product: &Product,
    spot: f64,
    sd: f64,
    (below, above): (f64, f64),
    reach: (f64, f64),
) -> Vec<f64> {
    let near = product.strike_step(spot, 0.0, sd);
    let center = (spot / near).round() * near;
    let (low, high) = (reach.0 - 2.0 * near, reach.1 + 2.0 * near);
    // Distance from the money as the strike grid sees it: none where the day trades.
    let distance = |k: f64| {
        if (low..=high).contains(&k) {
            0.0
        } else {
            (k - spot).abs()
        }
    };
    let mut out = vec![center];
    for direction in [1.0, -1.0] {
        let mut k = center;
        loop {
            let step = product.strike_step(spot, distance(k), sd);
            // Step to the next multiple of this step in the direction of travel.
            let next = if direction > 0.0 {
                ((k + 1e-9) / step).floor() * step + step
            } else {
                ((k - 1e-9) / step).ceil() * step - step
            };
            let range = if direction > 0.0 { above } else { below };
            if (next - spot).abs() > range || next <= 0.0 {
                break;
            }
            out.push(next);
            k = next;
        }
    }
    out.sort_by(|a, b| a.partial_cmp(b).expect("finite strikes"));
    out.dedup();
    out
}

/// The expirations, with their strikes, of every root of `product` listed on `today` with the
/// underlying opening at `spot` and trading between `reach.0` and `reach.1` during the day.
/// Exchanges add strikes as the underlying moves; listing them from the open keeps the chain
/// around the money all day.
pub fn listed(
    product: &Product,
    today: Date,
    spot: f64,
    vol: f64,
    reach: (f64, f64),
) -> Vec<Expiry> {
    let mut expiries = Vec::new();
    for spec in product.roots {
        let Ok(root) = Root::new(spec.root) else {
            continue;
        };
        let info = root_info(spec.root);
        let mut dates: Vec<Date> = spec
            .listings
            .iter()
            .flat_map(|l| expiration_dates(*l, today, spec.root))
            .collect();
        dates.sort();
        dates.dedup();
        for date in dates {
            let Some(settlement) = settlement_instant(spec.root, date) else {
                continue;
            };
            let am_settled = info.settlement == Settlement::Am;
            let mut session_lengths: Vec<f64> = calendar::sessions(today, date)
                .filter(|s| s.date > today)
                .map(|s| s.duration().as_secs_f64() / FULL_SESSION_SECONDS)
                .collect();
            let sessions_after_today = session_lengths.len() as u32;
            if am_settled {
                session_lengths.pop();
            }
            let trading_years = (f64::from(sessions_after_today) + 1.0) / TRADING_DAYS;
            let sd = spot * vol * trading_years.sqrt();
            let floor = if product.symbol == "SPX" { 0.012 } else { 0.05 };
            let range = (2.2 * sd).max(floor * spot);
            let cushion = 0.5 * range;
            let below = range.max(spot - reach.0 + cushion);
            let above = range.max(reach.1 - spot + cushion);
            expiries.push(Expiry {
                root,
                date,
                settlement,
                sessions_after_today,
                am_settled,
                strikes: strikes(product, spot, sd, (below, above), reach),
                session_lengths,
            });
        }
    }
    expiries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::universe::default_universe;
    use jiff::civil::date;

    #[test]
    fn spx_lists_dailies_weeklies_and_am_monthlies() {
        let spx = &default_universe()[0];
        // Wednesday 2025-01-15: the January monthly (Friday the 17th) is still open.
        let expiries = listed(spx, date(2025, 1, 15), 5_900.0, 0.15, (5_900.0, 5_900.0));
        let spxw: Vec<Date> = expiries
            .iter()
            .filter(|e| e.root.as_str() == "SPXW")
            .map(|e| e.date)
            .collect();
        assert_eq!(
            &spxw[..3],
            &[date(2025, 1, 15), date(2025, 1, 16), date(2025, 1, 17)]
        );
        assert!(spxw.contains(&date(2025, 1, 17)));
        let spx_am: Vec<&Expiry> = expiries
            .iter()
            .filter(|e| e.root.as_str() == "SPX")
            .collect();
        assert_eq!(spx_am[0].date, date(2025, 1, 17));
        assert!(spx_am[0].am_settled);
        let zero_dte = &expiries[0];
        assert_eq!(zero_dte.sessions_after_today, 0);
        let strikes = &zero_dte.strikes;
        assert!(strikes.iter().all(|k| k % 5.0 == 0.0));
        assert!(strikes.contains(&5_900.0));
        assert!(
            strikes.len() > 20 && strikes.len() < 120,
            "{}",
            strikes.len()
        );
        // On the monthly's expiration day the AM contract has already stopped trading.
        let friday = listed(spx, date(2025, 1, 17), 5_900.0, 0.15, (5_900.0, 5_900.0));
        assert!(
            !friday
                .iter()
                .any(|e| e.root.as_str() == "SPX" && e.date == date(2025, 1, 17))
        );
    }

    #[test]
    fn equities_list_weeklies_and_monthlies_on_their_increments() {
        let universe = default_universe();
        let aapl = universe.iter().find(|p| p.symbol == "AAPL").unwrap();
        let expiries = listed(aapl, date(2025, 4, 14), 245.0, 0.26, (245.0, 245.0));
        let dates: Vec<Date> = expiries.iter().map(|e| e.date).collect();
        // Good Friday 2025-04-18 moves that week's expiration to Thursday the 17th.
        assert_eq!(dates[0], date(2025, 4, 17));
        assert_eq!(
            dates,
            vec![date(2025, 4, 17), date(2025, 4, 25)],
            "the April monthly is that Thursday too"
        );
        let may = listed(aapl, date(2025, 4, 22), 245.0, 0.26, (245.0, 245.0));
        assert!(
            may.iter().any(|e| e.date == date(2025, 5, 16)),
            "the May monthly"
        );
        for expiry in &expiries {
            assert!(expiry.strikes.iter().all(|k| (k / 2.5).fract() == 0.0));
        }
    }

    #[test]
    fn strikes_stay_fine_wherever_the_day_trades_and_at_low_prices() {
        let universe = default_universe();
        let tsla = universe.iter().find(|p| p.symbol == "TSLA").unwrap();
        // Friday 2025-11-28 (a 13:00 close): the weekly expires today, and TSLA runs from its
        // open at 355 up to 390, beyond the fine grid around the open.
        let expiries = listed(tsla, date(2025, 11, 28), 355.0, 0.55, (352.0, 390.0));
        let today = &expiries[0];
        assert_eq!(today.date, date(2025, 11, 28));
        for price in [355.0, 372.0, 390.0] {
            let above: Vec<f64> = today
                .strikes
                .iter()
                .copied()
                .filter(|k| *k > price)
                .take(2)
                .collect();
            assert!(
                above.len() == 2 && above[1] - above[0] <= 5.0 && above[0] - price <= 5.0,
                "{price}: {:?}",
                today.strikes
            );
        }
        // TSLA near $29 (early 2020, split-adjusted): dollar strikes, several each side.
        let early = listed(tsla, date(2020, 1, 2), 29.0, 0.55, (28.5, 29.5));
        for expiry in &early {
            let below = expiry.strikes.iter().filter(|k| **k < 29.0).count();
            let above = expiry.strikes.iter().filter(|k| **k > 29.0).count();
            assert!(below >= 3 && above >= 3, "{:?}", expiry.strikes);
            assert!(expiry.strikes.windows(2).all(|w| w[1] - w[0] <= 2.5));
        }
    }
}
