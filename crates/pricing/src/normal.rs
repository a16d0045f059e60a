//! The standard normal distribution, accurate in both tails, and a saturating positive-magnitude
//! type for products of factors that may overflow or underflow on their own.

/// 1/√(2π).
pub(crate) const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// ln √(2π).
pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// 1/√2 − `FRAC_1_SQRT_2`: the rounding error of the f64 constant.
const FRAC_1_SQRT_2_LO: f64 = -4.833_646_656_726_457e-17;

/// The standard normal cumulative distribution function N at z + z_lo, for an argument given as
/// a rounded value `z` and a small correction `z_lo` (its rounding error, |z_lo| ≲ ulp(z)).
///
/// Computed as ½·erfc(−z/√2) so that the lower tail keeps its relative accuracy (a formula of the
/// form 1 + erf(z/√2) loses every digit below about 1e-16). The upper tail is 1 − (a tiny value),
/// accurate in absolute terms, which is all an f64 near 1 can hold.
///
/// In the lower tail N's relative sensitivity to its argument is ~|z|, so a rounding error of
/// one part in 1e16 in z (or in the product −z/√2 handed to erfc) costs z²·1e-16 relative: 4e-14
/// at z = −20. Here the exact argument error is carried to first order instead:
/// erfc(w + δ) = erfc(w) − δ·(2/√π)·e^(−w²), with δ exact from a fused multiply-add.
pub(crate) fn norm_cdf_dd(z: f64, z_lo: f64) -> f64 {
    let w = -z * core::f64::consts::FRAC_1_SQRT_2;
    let e = libm::erfc(w);
    if e == 0.0 || !w.is_finite() || !z_lo.is_finite() {
        return 0.5 * e;
    }
    let dw = libm::fma(-z, core::f64::consts::FRAC_1_SQRT_2, -w)
        - z * FRAC_1_SQRT_2_LO
        - z_lo * core::f64::consts::FRAC_1_SQRT_2;
    if dw == 0.0 {
        return 0.5 * e;
    }
    0.5 * (e - core::f64::consts::FRAC_2_SQRT_PI * libm::exp(-w * w) * dw).max(0.0)
}

/// a + b as a rounded sum and its exact rounding error (Knuth's TwoSum); the error is 0 when
/// either is not finite.
pub(crate) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    if !(a.is_finite() && b.is_finite() && s.is_finite()) {
        return (s, 0.0);
    }
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// Clamps a value into the finite range; ±∞ become ±`f64::MAX`. Never called with NaN.
pub(crate) fn saturate(v: f64) -> f64 {
    debug_assert!(!v.is_nan(), "saturate called with NaN");
    v.clamp(-f64::MAX, f64::MAX)
}

fn usable(v: f64) -> bool {
    v.is_normal()
}

/// A non-negative magnitude carried both as its value (when that is a normal f64) and as its
/// natural logarithm, so that products of very large and very small factors never meet as
/// `∞ · 0` (NaN): they fall back to a sum of logarithms.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mag {
    /// The value when it is a normal, finite f64; `None` when it over- or underflowed.
    value: Option<f64>,
    /// Its natural logarithm: finite, or −∞ for an exact zero. Never +∞ or NaN.
    ln: f64,
}

impl Mag {
    /// A finite, non-negative value.
    pub(crate) fn of(v: f64) -> Mag {
        debug_assert!(v.is_finite() && v >= 0.0, "Mag::of({v})");
        let v = v.abs();
        if v == 0.0 {
            return Mag {
                value: None,
                ln: f64::NEG_INFINITY,
            };
        }
        Mag {
            value: usable(v).then_some(v),
            ln: libm::log(v),
        }
    }

    /// e^ln for a finite or −∞ logarithm.
    pub(crate) fn exp(ln: f64) -> Mag {
        debug_assert!(!ln.is_nan() && ln != f64::INFINITY, "Mag::exp({ln})");
        let v = libm::exp(ln);
        Mag {
            value: usable(v).then_some(v),
            ln,
        }
    }

    pub(crate) fn ln(self) -> f64 {
        self.ln
    }

    pub(crate) fn is_zero(self) -> bool {
        self.ln == f64::NEG_INFINITY
    }

    pub(crate) fn mul(self, other: Mag) -> Mag {
        let ln = self.ln + other.ln;
        let value = match (self.value, other.value) {
            (Some(a), Some(b)) => Some(a * b).filter(|p| usable(*p)),
            _ => None,
        };
        Mag { value, ln }
    }

    /// Division by a non-zero magnitude.
    pub(crate) fn div(self, other: Mag) -> Mag {
        debug_assert!(!other.is_zero(), "Mag::div by zero");
        let ln = self.ln - other.ln;
        let value = match (self.value, other.value) {
            (Some(a), Some(b)) => Some(a / b).filter(|p| usable(*p)),
            _ => None,
        };
        Mag { value, ln }
    }

    pub(crate) fn sqrt(self) -> Mag {
        Mag {
            value: self.value.map(f64::sqrt),
            ln: 0.5 * self.ln,
        }
    }

    /// The value, saturated at `f64::MAX`; an underflow gives 0 or a subnormal.
    pub(crate) fn get(self) -> f64 {
        match self.value {
            Some(v) => v,
            None => saturate(libm::exp(self.ln)),
        }
    }

    /// The value if it is a normal f64.
    pub(crate) fn exact(self) -> Option<f64> {
        self.value
    }

    /// `v · self` for a finite signed `v`, saturated, never NaN.
    pub(crate) fn times(self, v: f64) -> f64 {
        debug_assert!(v.is_finite(), "Mag::times({v})");
        if v == 0.0 || self.is_zero() {
            return 0.0;
        }
        if let Some(m) = self.value {
            let p = v * m;
            if usable(p) {
                return p;
            }
        }
        saturate(v.signum() * libm::exp(libm::log(v.abs()) + self.ln))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdf(z: f64) -> f64 {
        norm_cdf_dd(z, 0.0)
    }

    #[test]
    fn cdf_known_values() {
        // References from mpmath at 40 digits.
        assert_eq!(cdf(0.0), 0.5);
        assert!((cdf(-1.0) / 0.158_655_253_931_457_05 - 1.0).abs() < 1e-15);
        assert!((cdf(-10.0) / 7.619_853_024_160_526e-24 - 1.0).abs() < 1e-15);
        assert!((cdf(-20.0) / 2.753_624_118_606_233_7e-89 - 1.0).abs() < 1e-15);
        assert!((cdf(-37.5) / 4.605_353_009_581_955e-308 - 1.0).abs() < 1e-13);
        assert_eq!(cdf(-40.0), 0.0);
        assert_eq!(cdf(40.0), 1.0);
        assert_eq!(cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(cdf(f64::INFINITY), 1.0);
    }

    #[test]
    fn cdf_takes_the_argument_correction_into_account() {
        // N(−20 + 1e-15) = 2.7536241186062889046e-89: 2e-14 above N(−20).
        let corrected = norm_cdf_dd(-20.0, 1e-15);
        assert!((corrected / 2.753_624_118_606_289e-89 - 1.0).abs() < 2e-16 * 4.0);
        assert!(corrected > cdf(-20.0));
    }

    #[test]
    fn two_sum_is_exact() {
        let (s, e) = two_sum(1.0, 1e-17);
        assert_eq!((s, e), (1.0, 1e-17));
        assert_eq!(two_sum(f64::INFINITY, 1.0), (f64::INFINITY, 0.0));
    }

    #[test]
    fn magnitudes_never_meet_as_infinity_times_zero() {
        let huge = Mag::exp(800.0);
        let tiny = Mag::exp(-790.0);
        assert!((huge.mul(tiny).get() / libm::exp(10.0) - 1.0).abs() < 1e-12);
        assert_eq!(huge.times(1.0), f64::MAX);
        assert_eq!(tiny.times(1.0), 0.0);
        assert_eq!(Mag::of(0.0).mul(huge).get(), 0.0);
        assert_eq!(Mag::of(0.0).times(f64::MAX), 0.0);
        assert_eq!(Mag::of(3.0).times(-2.0), -6.0);
        assert!(
            (Mag::of(1e300).div(Mag::of(1e-300)).ln() - 600.0 * core::f64::consts::LN_10).abs()
                < 1e-9
        );
    }
}
