//! A volatility index computed from the option surface the way Cboe computes VIX: the variance of
//! each of the two expirations around thirty days from the strip of out-of-the-money option
//! prices, interpolated to thirty days.

use crate::math::exp;
use pricing::{OptionKind, black76_price};

use crate::surface::{Slice, YEAR_SECONDS};

const THIRTY_DAYS: f64 = 30.0 * 86_400.0 / YEAR_SECONDS;
/// Strike spacing of the strip, in index points.
const STRIP_STEP: f64 = 5.0;
/// Options priced below this are out of the strip (Cboe stops at two zero bids).
const MIN_PRICE: f64 = 0.025;

/// Cboe's single-expiration variance from out-of-the-money prices on a strike strip.
pub fn expiration_variance(slice: &Slice, rate: f64) -> f64 {
    let t = slice.years;
    let f = slice.forward;
    let k0 = (f / STRIP_STEP).floor() * STRIP_STEP;
    let price = |kind: OptionKind, k: f64| black76_price(kind, f, k, t, rate, slice.vol(k));
    let growth = exp(rate * t);
    let mut sum = 0.0;
    // At K0 both sides count half.
    let at_k0 = 0.5 * (price(OptionKind::Put, k0) + price(OptionKind::Call, k0));
    sum += STRIP_STEP / (k0 * k0) * growth * at_k0;
    for (kind, direction) in [(OptionKind::Put, -1.0), (OptionKind::Call, 1.0)] {
        let mut k = k0 + direction * STRIP_STEP;
        while k > 0.0 {
            let q = price(kind, k);
            if q < MIN_PRICE {
                break;
            }
            sum += STRIP_STEP / (k * k) * growth * q;
            k += direction * STRIP_STEP;
        }
    }
    (2.0 / t) * sum - (1.0 / t) * (f / k0 - 1.0).powi(2)
}

/// The index level (in volatility points) from the slices bracketing thirty days.
pub fn index(slices: &[Slice], rate: f64) -> Option<f64> {
    let mut sorted: Vec<&Slice> = slices.iter().filter(|s| s.years > 1.0 / 365.0).collect();
    sorted.sort_by(|a, b| a.years.partial_cmp(&b.years).expect("finite"));
    let near = sorted
        .iter()
        .rev()
        .find(|s| s.years <= THIRTY_DAYS)
        .or(sorted.first())?;
    let next = sorted
        .iter()
        .find(|s| s.years > THIRTY_DAYS)
        .or(sorted.last())?;
    let (t1, t2) = (near.years, next.years);
    let (v1, v2) = (
        expiration_variance(near, rate),
        expiration_variance(next, rate),
    );
    let variance = if (t2 - t1).abs() < 1e-12 {
        v1
    } else {
        (t1 * v1 * (t2 - THIRTY_DAYS) / (t2 - t1) + t2 * v2 * (THIRTY_DAYS - t1) / (t2 - t1))
            / THIRTY_DAYS
    };
    (variance > 0.0).then(|| 100.0 * variance.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surface::Surface;
    use crate::universe::default_universe;

    #[test]
    fn the_index_sits_above_at_the_money_volatility_because_of_the_skew() {
        let spx = &default_universe()[0];
        let surface = Surface::new(spx, 5_900.0, 0.15f64.powi(2), 0.04);
        let near = surface.slice(23.0 * 86_400.0, 0.5, 16, &[1.0; 16]);
        let next = surface.slice(37.0 * 86_400.0, 0.5, 26, &[1.0; 26]);
        let vix = index(&[near, next], 0.04).unwrap();
        let atm = 100.0 * near.atm_vol();
        assert!(vix > atm && vix < atm * 1.6, "VIX {vix} vs ATM {atm}");
        assert!((12.0..30.0).contains(&vix), "{vix}");
    }
}
