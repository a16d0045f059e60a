//! Black-76 price and delta in plain double precision, for simulating many quotes.
//!
//! The main evaluator works in extended precision so that implied volatility is recoverable
//! deep in the wings; a simulator that re-prices every listed contract every second needs only a
//! price good to a small fraction of a tick, at a fraction of the cost. The out-of-the-money side
//! is computed directly and the other from put-call parity, so nothing comes out of a difference
//! of two nearly equal numbers.

use crate::OptionKind;

/// Black-76 price and delta (per unit of the forward) of a European option on `forward`.
///
/// Takes what a simulator holds per expiry and strike: `log_moneyness` = ln(forward / strike),
/// `total_vol` = σ·√T and `discount` = e^(−r·T). Absolute error is below 1e-12 of the forward
/// for well-formed inputs (positive forward, strike and total volatility); otherwise the result
/// is the discounted intrinsic value and its delta.
pub fn black76_price_delta(
    kind: OptionKind,
    forward: f64,
    strike: f64,
    log_moneyness: f64,
    total_vol: f64,
    discount: f64,
) -> (f64, f64) {
    let call = kind == OptionKind::Call;
    let total = total_vol;
    if !(forward > 0.0 && strike > 0.0 && total > 0.0 && total.is_finite()) {
        let intrinsic = if call {
            (forward - strike).max(0.0)
        } else {
            (strike - forward).max(0.0)
        };
        let delta = match (call, intrinsic > 0.0) {
            (true, true) => discount,
            (false, true) => -discount,
            _ => 0.0,
        };
        return (discount * intrinsic, delta);
    }
    let d1 = log_moneyness / total + 0.5 * total;
    let d2 = d1 - total;
    // N(x) from erfc, so the tails keep their precision.
    let n = |x: f64| 0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2);
    // The out-of-the-money option directly (two tail probabilities); the in-the-money one by
    // parity.
    let otm_call = forward <= strike;
    let (otm, call_delta) = if otm_call {
        let n1 = n(d1);
        (forward * n1 - strike * n(d2), n1)
    } else {
        let m1 = n(-d1);
        (strike * n(-d2) - forward * m1, 1.0 - m1)
    };
    let forward_value = forward - strike;
    let undiscounted = match (call, otm_call) {
        (true, true) | (false, false) => otm,
        (true, false) => otm + forward_value,
        (false, true) => otm - forward_value,
    };
    let delta = if call { call_delta } else { call_delta - 1.0 };
    (discount * undiscounted.max(0.0), discount * delta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::black76_greeks;

    fn quick(kind: OptionKind, forward: f64, strike: f64, years: f64, vol: f64) -> (f64, f64) {
        black76_price_delta(
            kind,
            forward,
            strike,
            libm::log(forward / strike),
            vol * years.sqrt(),
            libm::exp(-0.04 * years),
        )
    }

    #[test]
    fn agrees_with_the_extended_precision_evaluator() {
        let mut worst: f64 = 0.0;
        for kind in [OptionKind::Call, OptionKind::Put] {
            for strike in [
                3000.0, 5000.0, 5800.0, 5990.0, 6000.0, 6010.0, 6200.0, 7000.0, 9000.0,
            ] {
                for years in [
                    1.0 / (365.0 * 24.0 * 60.0),
                    1.0 / 365.0 / 6.5,
                    0.003,
                    0.02,
                    0.25,
                    2.0,
                ] {
                    for vol in [0.05, 0.12, 0.3, 0.9] {
                        let exact = black76_greeks(kind, 6000.0, strike, years, 0.04, vol);
                        let (price, delta) = quick(kind, 6000.0, strike, years, vol);
                        let error = (price - exact.price).abs() / 6000.0;
                        worst = worst.max(error);
                        assert!(
                            error < 1e-12,
                            "{kind:?} K={strike} T={years} σ={vol}: {price} vs {}",
                            exact.price
                        );
                        assert!(
                            (delta - exact.delta).abs() < 1e-12,
                            "{kind:?} K={strike} T={years} σ={vol}: delta {delta} vs {}",
                            exact.delta
                        );
                    }
                }
            }
        }
        assert!(worst < 1e-12);
    }

    #[test]
    fn degenerate_inputs_give_discounted_intrinsic_value() {
        let (price, delta) = quick(OptionKind::Put, 100.0, 110.0, 0.0, 0.2);
        assert_eq!((price, delta), (10.0, -1.0));
        let (price, delta) = quick(OptionKind::Call, 100.0, 110.0, 1.0, 0.0);
        assert_eq!((price, delta), (0.0, 0.0));
        let (price, _) = quick(OptionKind::Call, 100.0, 90.0, 1.0, f64::NAN);
        assert!((price - 10.0 * libm::exp(-0.04)).abs() < 1e-12);
    }
}
