//! What a quoted premium says about an option: its implied volatility and its Greeks in the units
//! market-data snapshots use (theta per calendar day, vega per volatility point).
//!
//! The carry comes from the market, not from an assumed dividend: the forward of an expiry is
//! read off put-call parity at a strike near the money ([`parity_forward`]), and the spot model
//! is then given the dividend yield that makes its forward equal that one. Delta and gamma stay
//! with respect to the spot, as traders read them, while the price matches Black-76 on the
//! market's forward exactly (so index options, whose dividends nobody quotes, and VIX options,
//! whose underlying is a future, come out right too).

use crate::{OptionKind, bsm_greeks, bsm_implied_vol};

/// Days in the year of theta's unit.
const DAYS_PER_YEAR: f64 = 365.0;

/// Implied volatility and Greeks of a quoted option.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuotedGreeks {
    /// Annualised, as a decimal (0.187 is 18.7 %).
    pub implied_volatility: f64,
    /// Per 1.00 of the spot.
    pub delta: f64,
    /// Per 1.00 of the spot, squared.
    pub gamma: f64,
    /// Per calendar day.
    pub theta: f64,
    /// Per volatility point (0.01).
    pub vega: f64,
}

/// The forward put-call parity implies from a call and a put of one strike and expiry:
/// `C − P = e^(−rT) (F − K)`.
pub fn parity_forward(call: f64, put: f64, strike: f64, years: f64, rate: f64) -> f64 {
    strike + (call - put) * libm::exp(rate * years)
}

/// The implied volatility and Greeks of `premium` for an option on `spot` whose expiry's forward
/// is `forward`, `years` from expiry, discounted at `rate`. `None` where no volatility gives the
/// premium (below intrinsic value, above the no-arbitrage limit, at or after expiry) or an input
/// is not a positive finite number: a snapshot then omits them rather than inventing any.
pub fn quoted_greeks(
    kind: OptionKind,
    premium: f64,
    spot: f64,
    forward: f64,
    strike: f64,
    years: f64,
    rate: f64,
) -> Option<QuotedGreeks> {
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !(positive(spot) && positive(forward) && positive(strike) && positive(years)) {
        return None;
    }
    if !premium.is_finite() || !rate.is_finite() {
        return None;
    }
    let dividend_yield = rate - libm::log(forward / spot) / years;
    let vol = bsm_implied_vol(kind, premium, spot, strike, years, rate, dividend_yield).ok()?;
    let greeks = bsm_greeks(kind, spot, strike, years, rate, dividend_yield, vol);
    let quoted = QuotedGreeks {
        implied_volatility: vol,
        delta: greeks.delta,
        gamma: greeks.gamma,
        theta: greeks.theta / DAYS_PER_YEAR,
        vega: greeks.vega / 100.0,
    };
    let values = [
        quoted.implied_volatility,
        quoted.delta,
        quoted.gamma,
        quoted.theta,
        quoted.vega,
    ];
    values.iter().all(|v| v.is_finite()).then_some(quoted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{black76_greeks, bsm_price};
    use proptest::prelude::*;

    #[test]
    fn parity_recovers_the_forward_of_priced_options() {
        let (spot, strike, years, rate, q, vol) = (100.0, 95.0, 0.5, 0.04, 0.02, 0.3);
        let call = bsm_price(OptionKind::Call, spot, strike, years, rate, q, vol);
        let put = bsm_price(OptionKind::Put, spot, strike, years, rate, q, vol);
        let forward = spot * libm::exp((rate - q) * years);
        let implied = parity_forward(call, put, strike, years, rate);
        assert!((implied - forward).abs() < 1e-9, "{implied} vs {forward}");
    }

    #[test]
    fn greeks_come_back_in_snapshot_units() {
        let (spot, strike, years, rate, q, vol) = (100.0, 105.0, 0.25, 0.045, 0.01, 0.2);
        let forward = spot * libm::exp((rate - q) * years);
        let premium = bsm_price(OptionKind::Call, spot, strike, years, rate, q, vol);
        let quoted = quoted_greeks(
            OptionKind::Call,
            premium,
            spot,
            forward,
            strike,
            years,
            rate,
        )
        .unwrap();
        let exact = bsm_greeks(OptionKind::Call, spot, strike, years, rate, q, vol);
        assert!((quoted.implied_volatility - vol).abs() < 1e-9);
        assert!((quoted.delta - exact.delta).abs() < 1e-9);
        assert!((quoted.gamma - exact.gamma).abs() < 1e-9);
        assert!((quoted.theta - exact.theta / 365.0).abs() < 1e-9);
        assert!((quoted.vega - exact.vega / 100.0).abs() < 1e-9);
    }

    #[test]
    fn the_price_is_black76_on_the_market_forward() {
        // A future-like underlying (VIX): the forward is far from the spot.
        let (spot, forward, strike, years, rate, vol) = (15.0, 19.0, 20.0, 0.08, 0.04, 0.9);
        let premium = black76_greeks(OptionKind::Call, forward, strike, years, rate, vol).price;
        let quoted = quoted_greeks(
            OptionKind::Call,
            premium,
            spot,
            forward,
            strike,
            years,
            rate,
        )
        .unwrap();
        assert!((quoted.implied_volatility - vol).abs() < 1e-8);
    }

    #[test]
    fn premiums_no_volatility_gives_have_none() {
        let below_intrinsic = quoted_greeks(OptionKind::Call, 4.0, 110.0, 110.0, 100.0, 0.1, 0.0);
        assert_eq!(below_intrinsic, None);
        let above_limit = quoted_greeks(OptionKind::Call, 150.0, 110.0, 110.0, 100.0, 0.1, 0.0);
        assert_eq!(above_limit, None);
        let expired = quoted_greeks(OptionKind::Put, 1.0, 100.0, 100.0, 100.0, 0.0, 0.04);
        assert_eq!(expired, None);
        assert_eq!(
            quoted_greeks(OptionKind::Put, f64::NAN, 100.0, 100.0, 100.0, 0.1, 0.04),
            None
        );
        assert_eq!(
            quoted_greeks(OptionKind::Put, 1.0, 0.0, 100.0, 100.0, 0.1, 0.04),
            None
        );
    }

    proptest! {
        /// Whatever a quote says, the answer is either absent or finite: never NaN on the wire.
        #[test]
        fn never_anything_but_finite(
            premium in -10.0f64..1e4,
            spot in -1.0f64..1e4,
            forward in -1.0f64..1e4,
            strike in -1.0f64..1e4,
            years in -1.0f64..3.0,
            call in any::<bool>(),
        ) {
            let kind = if call { OptionKind::Call } else { OptionKind::Put };
            if let Some(q) = quoted_greeks(kind, premium, spot, forward, strike, years, 0.04) {
                prop_assert!(q.implied_volatility.is_finite() && q.implied_volatility >= 0.0);
                prop_assert!(q.delta.is_finite() && q.gamma.is_finite());
                prop_assert!(q.theta.is_finite() && q.vega.is_finite());
            }
        }
    }
}
