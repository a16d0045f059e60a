//! Implied volatility: inverting the normalised Black price.
//!
//! The price is reduced to the normalised time value of the out-of-the-money option at the same
//! strike, β = (price − intrinsic)/√(A·B), and its distance to the upper bound,
//! c = (upper − price)/√(A·B), where A and B are the discounted forward and strike. Both are taken
//! straight from the price, so no information is lost to a subtraction that the price itself did
//! not already carry. Then b(y, s) = β is solved for the total volatility s = σ√T with y = −|x|:
//!
//! * below the inflection point s_c = √(2|y|) (where b is convex) the objective is ln b(s) − ln β,
//!   which stays well scaled even when β is 1e-200;
//! * above it, ln c − ln(e^(y/2) − b(s)), computed as a sum of positive terms, which stays well
//!   scaled as the price approaches its upper bound.
//!
//! Each step is Halley's (Newton's where Halley's correction is large), kept inside a bracket that
//! every evaluation narrows; a step that would leave the bracket is replaced by bisection. The
//! iteration ends when a step changes s by no more than a few units in the last place, when the
//! bracket is narrower than 1e-13 relative, or at the noise floor of the price evaluation (a step
//! below 1e-11 relative that no longer shrinks), and in any case after 100 iterations.

use crate::black::{Forward, Model, ln_normalized_vega, otm_complement, otm_normalized};
use crate::{ImpliedVolError, OptionKind};

const MAX_ITERATIONS: usize = 100;
/// The iteration stops once a step changes s by at most this relative amount: Halley's method
/// converges cubically, so s is then as accurate as the price evaluation allows.
const CONVERGED: f64 = 4.0 * f64::EPSILON;
/// Where rounding makes the objective noisy near the root (tiny σ√T far from the money), steps
/// stop shrinking before `CONVERGED`; a step this small (relative) that is not at most half the
/// previous one is taken as the last.
const NOISE_FLOOR: f64 = 1e-11;
/// The iteration also stops once the bracket around the root is this narrow (relative).
const BRACKETED: f64 = 1e-13;

/// Validated inputs reduced to the normalised problem.
pub(crate) struct Normalized {
    /// y = −|ln(A/B)| ≤ 0.
    pub(crate) y: f64,
    /// ln β: the normalised time value of the out-of-the-money option.
    pub(crate) ln_beta: f64,
    /// ln c: the normalised distance from the price to its upper bound.
    pub(crate) ln_room: f64,
}

pub(crate) enum Reduced {
    /// The price equals the intrinsic value: zero volatility.
    Zero,
    Solve(Normalized),
}

fn finite(v: f64, what: &'static str) -> Result<f64, ImpliedVolError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ImpliedVolError::InvalidInput(what))
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn reduce(
    kind: OptionKind,
    model: Model,
    price: f64,
    under: f64,
    strike: f64,
    years: f64,
    rate: f64,
    yield_: f64,
) -> Result<Reduced, ImpliedVolError> {
    let underlying_msg = match model {
        Model::Spot => "spot must be finite and positive",
        Model::Forward => "forward must be finite and positive",
    };
    finite(price, "price must be finite")?;
    if finite(under, underlying_msg)? <= 0.0 {
        return Err(ImpliedVolError::InvalidInput(underlying_msg));
    }
    if finite(strike, "strike must be finite and positive")? <= 0.0 {
        return Err(ImpliedVolError::InvalidInput(
            "strike must be finite and positive",
        ));
    }
    let years = finite(years, "years must be finite")?;
    finite(rate, "rate must be finite")?;
    finite(yield_, "dividend yield must be finite")?;
    if years <= 0.0 {
        return Err(ImpliedVolError::NoTimeValue { years });
    }
    let fwd = Forward::new(model, under, strike, years, rate, yield_);
    let (Some(a), Some(b)) = (fwd.a.exact(), fwd.b.exact()) else {
        return Err(ImpliedVolError::InvalidInput(
            "the discounted forward or strike is outside the range of f64",
        ));
    };
    let theta = kind.sign();
    let intrinsic = fwd.intrinsic(theta);
    let maximum = if theta > 0.0 { a } else { b };
    if price < intrinsic {
        return Err(ImpliedVolError::BelowIntrinsic { price, intrinsic });
    }
    if price == intrinsic {
        return Ok(Reduced::Zero);
    }
    if price >= maximum {
        return Err(ImpliedVolError::AboveMaximum { price, maximum });
    }
    let ln_g = fwd.g.ln();
    Ok(Reduced::Solve(Normalized {
        y: -fwd.x.abs(),
        ln_beta: libm::log(price - intrinsic) - ln_g,
        ln_room: libm::log(maximum - price) - ln_g,
    }))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn implied_vol(
    kind: OptionKind,
    model: Model,
    price: f64,
    under: f64,
    strike: f64,
    years: f64,
    rate: f64,
    yield_: f64,
) -> Result<f64, ImpliedVolError> {
    match reduce(kind, model, price, under, strike, years, rate, yield_)? {
        Reduced::Zero => Ok(0.0),
        Reduced::Solve(problem) => Ok(solve(&problem) / years.sqrt()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Region {
    /// s below the inflection point: objective ln b(s) − ln β.
    Lower,
    /// s above it: objective ln c − ln(e^(y/2) − b(s)).
    Upper,
}

/// The objective g (increasing in s) and its first two derivatives.
fn objective(region: Region, p: &Normalized, s: f64) -> (f64, f64, f64) {
    let y = p.y;
    // ∂²b/∂s² = ∂b/∂s · (y²/s³ − s/4).
    let curvature = if s > 0.0 {
        y * y / (s * s * s) - 0.25 * s
    } else {
        f64::INFINITY
    };
    let ln_vega = ln_normalized_vega(y, s);
    match region {
        Region::Lower => {
            let b = otm_normalized(y, s);
            if b == 0.0 {
                return (f64::NEG_INFINITY, f64::NAN, f64::NAN);
            }
            let ln_b = libm::log(b);
            let g1 = libm::exp(ln_vega - ln_b);
            (ln_b - p.ln_beta, g1, g1 * curvature - g1 * g1)
        }
        Region::Upper => {
            let c = otm_complement(y, s);
            if c == 0.0 {
                return (f64::INFINITY, f64::NAN, f64::NAN);
            }
            let ln_c = libm::log(c);
            let g1 = libm::exp(ln_vega - ln_c);
            (p.ln_room - ln_c, g1, g1 * curvature + g1 * g1)
        }
    }
}

/// Rough inverse of the upper tail: z with N(−z) ≈ p for 0 < p < ½ (Abramowitz & Stegun
/// 26.2.23, absolute error below 5e-3; it only seeds the iteration).
fn upper_tail_quantile(p: f64) -> f64 {
    let u = libm::sqrt(-2.0 * libm::log(p));
    u - (2.515_517 + u * (0.802_853 + u * 0.010_328))
        / (1.0 + u * (1.432_788 + u * (0.189_269 + u * 0.001_308)))
}

/// A starting point for the lower region from the asymptotic form of b for s ≪ s_c:
/// b ≈ e^(−(y²/s² + s²/4)/2)/√(2π) · s/(y²/s² − s²/4).
fn lower_guess(p: &Normalized, s_c: f64) -> f64 {
    let y2 = p.y * p.y;
    let mut s = 0.5 * s_c;
    for _ in 0..6 {
        let denom = y2 / (s * s) - 0.25 * s * s;
        if denom.is_nan() || denom <= 0.0 {
            break;
        }
        let l = -p.ln_beta - crate::normal::LN_SQRT_2PI + libm::log(s)
            - libm::log(denom)
            - 0.125 * s * s;
        if l.is_nan() || l <= 0.0 {
            break;
        }
        let next = p.y.abs() / libm::sqrt(2.0 * l);
        if !(next > 0.0 && next < s_c) {
            break;
        }
        s = next;
    }
    s
}

/// A starting point for the upper region from c ≈ 2·cosh(y/2)·N(−s/2).
fn upper_guess(p: &Normalized, s_c: f64) -> f64 {
    let ln_p = p.ln_room - libm::log(2.0 * libm::cosh(0.5 * p.y));
    if ln_p >= libm::log(0.5) {
        return s_c;
    }
    let guess = 2.0 * upper_tail_quantile(libm::exp(ln_p).max(f64::MIN_POSITIVE));
    if guess > s_c { guess } else { s_c }
}

/// Solves b(y, s) = β for the total volatility s.
pub(crate) fn solve(p: &Normalized) -> f64 {
    let s_c = libm::sqrt(2.0 * p.y.abs());
    let lower = p.y < 0.0 && p.ln_beta <= libm::log(otm_normalized(p.y, s_c));
    let (region, mut lo, mut hi, mut s) = if lower {
        (Region::Lower, 0.0, s_c, lower_guess(p, s_c))
    } else {
        (Region::Upper, s_c, f64::INFINITY, upper_guess(p, s_c))
    };
    let mut previous_step = f64::INFINITY;
    for _ in 0..MAX_ITERATIONS {
        let (g, g1, g2) = objective(region, p, s);
        if g == 0.0 {
            return s;
        }
        if g < 0.0 {
            lo = s;
        } else {
            hi = s;
        }
        let mut next = f64::NAN;
        if g.is_finite() && g1.is_finite() && g1 > 0.0 {
            let newton = -g / g1;
            let halley = 1.0 - 0.5 * newton * g2 / g1;
            let step = if g2.is_finite() && (0.5..=2.0).contains(&halley) {
                newton / halley
            } else {
                newton
            };
            // Converged, or at the noise floor: a small step that no longer shrinks.
            if step.abs() <= CONVERGED * s
                || (step.abs() <= NOISE_FLOOR * s && step.abs() > 0.5 * previous_step)
            {
                return (s + step).clamp(lo, if hi.is_finite() { hi } else { f64::MAX });
            }
            previous_step = step.abs();
            next = s + step;
        }
        if !(next > lo && next < hi) {
            next = if hi.is_infinite() {
                (2.0 * lo).max(1.0)
            } else if lo > 0.0 && hi > 4.0 * lo {
                libm::sqrt(lo * hi)
            } else {
                0.5 * (lo + hi)
            };
        }
        if hi.is_finite() && hi - lo <= BRACKETED * hi {
            return next;
        }
        s = next;
    }
    s
}
