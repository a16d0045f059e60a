//! The implied volatility surface.
//!
//! At-the-money total implied variance θ(T) to each expiry is the variance the market expects to
//! be realised until settlement (the rest of today's session as expected from what is known at
//! that instant, see [`crate::intraday`], then each night and session, with the variance regime
//! reverting to its long-run level), times a variance premium. Across strikes the smile is
//! Gatheral and Jacquier's SSVI,
//!
//! ```text
//! w(k) = θ/2 · (1 + ρφk + sqrt((φk + ρ)² + 1 − ρ²)),   φ = η / sqrt(θ),   k = ln(K / F)
//! ```
//!
//! which is free of butterfly arbitrage when η²(1 + |ρ|) ≤ 4 and of calendar arbitrage when θ
//! increases with T, both of which hold by construction here (see the tests). Index products get
//! a steep put skew (ρ near −0.7), single stocks a milder one.

use crate::daily::{OVERNIGHT_SHARE, TRADING_DAYS};
use crate::math::{exp, ln};
use crate::universe::Product;

/// Calendar seconds in a year, for time to expiry.
pub const YEAR_SECONDS: f64 = 365.0 * 86_400.0;

/// The surface of one product at one instant.
#[derive(Clone, Copy, Debug)]
pub struct Surface {
    pub spot: f64,
    pub rate: f64,
    pub dividend_yield: f64,
    /// Current annualised variance regime.
    pub variance: f64,
    pub long_run_variance: f64,
    /// Daily reversion of the regime.
    pub reversion: f64,
    /// Implied over expected volatility.
    pub premium: f64,
    pub rho: f64,
    pub eta: f64,
}

/// One expiry as seen from now.
#[derive(Clone, Copy, Debug)]
pub struct Slice {
    /// Calendar years to settlement.
    pub years: f64,
    pub forward: f64,
    pub log_forward: f64,
    /// e^(−r·T): what a dollar at settlement is worth now.
    pub discount: f64,
    /// At-the-money total implied variance.
    pub theta: f64,
    pub rho: f64,
    pub phi: f64,
}

impl Surface {
    pub fn new(product: &Product, spot: f64, variance: f64, rate: f64) -> Surface {
        Surface {
            spot,
            rate,
            dividend_yield: product.dividend_yield,
            variance,
            long_run_variance: product.long_run_vol * product.long_run_vol,
            reversion: product.reversion,
            premium: product.implied_premium,
            rho: product.skew_rho,
            eta: product.skew_eta,
        }
    }

    /// The slice for an expiry settling `seconds_to_settlement` from now, after `today_remaining`
    /// (a share of a full session's variance: at most the length of today's session) and then
    /// `nights` overnight periods and the sessions of `session_lengths` (each a share of a full
    /// session; the last one ending at settlement for PM-settled options).
    pub fn slice(
        &self,
        seconds_to_settlement: f64,
        today_remaining: f64,
        nights: u32,
        session_lengths: &[f64],
    ) -> Slice {
        let years = (seconds_to_settlement / YEAR_SECONDS).max(1.0 / YEAR_SECONDS);
        let dt = 1.0 / TRADING_DAYS;
        let mut expected =
            self.variance * (1.0 - OVERNIGHT_SHARE) * dt * today_remaining.clamp(0.0, 1.0);
        let reversion = exp(-self.reversion);
        let mut gap = self.variance - self.long_run_variance;
        for day in 0..(nights as usize).max(session_lengths.len()) {
            gap *= reversion;
            let v = self.long_run_variance + gap;
            if day < nights as usize {
                expected += v * OVERNIGHT_SHARE * dt;
            }
            if let Some(length) = session_lengths.get(day) {
                expected += v * (1.0 - OVERNIGHT_SHARE) * dt * length;
            }
        }
        // Never quite zero: a tiny floor keeps the last seconds of an expiring option well defined.
        let theta = (self.premium * self.premium * expected).max(1e-12);
        let log_forward = ln(self.spot) + (self.rate - self.dividend_yield) * years;
        Slice {
            years,
            forward: exp(log_forward),
            log_forward,
            discount: exp(-self.rate * years),
            theta,
            rho: self.rho,
            phi: self.eta / theta.sqrt(),
        }
    }
}

impl Slice {
    /// Total implied variance at log-moneyness `k`.
    pub fn total_variance(&self, k: f64) -> f64 {
        let pk = self.phi * k;
        0.5 * self.theta
            * (1.0 + self.rho * pk + ((pk + self.rho).powi(2) + 1.0 - self.rho * self.rho).sqrt())
    }

    /// Implied volatility at a strike.
    pub fn vol(&self, strike: f64) -> f64 {
        (self.total_variance(ln(strike / self.forward)) / self.years).sqrt()
    }

    /// At-the-money forward implied volatility.
    pub fn atm_vol(&self) -> f64 {
        (self.theta / self.years).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::universe::default_universe;

    #[test]
    fn parameters_satisfy_the_no_butterfly_condition() {
        for p in default_universe() {
            assert!(
                p.skew_eta * p.skew_eta * (1.0 + p.skew_rho.abs()) <= 4.0,
                "{}",
                p.symbol
            );
        }
    }

    #[test]
    fn total_variance_grows_with_expiry_and_puts_are_richer() {
        let spx = &default_universe()[0];
        let surface = Surface::new(spx, 5_900.0, 0.15f64.powi(2), 0.04);
        let today = surface.slice(5.0 * 3_600.0, 0.7, 0, &[]);
        let tomorrow = surface.slice(29.0 * 3_600.0, 0.7, 1, &[1.0]);
        let month = surface.slice(30.0 * 86_400.0, 0.7, 21, &[1.0; 21]);
        assert!(today.theta < tomorrow.theta && tomorrow.theta < month.theta);
        for slice in [today, tomorrow, month] {
            for k in [-0.2, -0.05, 0.0, 0.05, 0.2] {
                assert!(
                    slice.total_variance(k) <= month.total_variance(k) + 1e-15
                        || slice.years >= month.years
                );
            }
            let down = slice.vol(slice.forward * 0.97);
            let up = slice.vol(slice.forward * 1.03);
            assert!(down > up, "index put skew");
        }
        let atm = month.atm_vol();
        assert!((0.12..0.25).contains(&atm), "{atm}");
    }
}
