//! The one pricing core behind both models.
//!
//! Black-Scholes-Merton on a spot S with continuous yield q is Black's formula on the prepaid
//! forward A = S·e^(−qT) and the discounted strike B = K·e^(−rT); Black-76 on a forward F is the
//! same with A = F·e^(−rT) (that is, q = r). Everything below works with
//!
//! * x = ln(A/B), the log-moneyness of the forward;
//! * s = σ√T, the total volatility; h = x/s and t = s/2, so that d1 = h + t and d2 = h − t;
//! * G = √(A·B), the scale of the normalised price b: price = G·b.
//!
//! The price is the intrinsic value of the forward payoff plus the price of the out-of-the-money
//! option at the same strike (put-call parity), so that the time value never comes out of a
//! difference of two nearly equal numbers near 1.

use crate::normal::{FRAC_1_SQRT_2PI, LN_SQRT_2PI, Mag, norm_cdf_dd, saturate, two_sum};
use crate::{Greeks, OptionKind};

/// `r·T` and `q·T` are clamped to ±this. Past ~±1,500 every factor e^(±rT) has already
/// over- or underflowed whatever the spot or strike, so the clamp changes no result; it only
/// keeps the arithmetic away from infinities.
const EXPONENT_LIMIT: f64 = 1.0e4;

/// Beyond this total volatility every normal probability in the formulas is exactly 0 or 1 and
/// every density underflows; clamping keeps `s²` finite.
const MAX_TOTAL_VOL: f64 = 1.0e150;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Model {
    /// Black-Scholes-Merton: the underlying is a spot with a continuous dividend yield.
    Spot,
    /// Black-76: the underlying is a forward; rho is taken with the forward held fixed.
    Forward,
}

impl OptionKind {
    /// +1 for a call, −1 for a put.
    pub(crate) fn sign(self) -> f64 {
        match self {
            OptionKind::Call => 1.0,
            OptionKind::Put => -1.0,
        }
    }
}

/// Discount factors, discounted forward and strike, and log-moneyness for `years > 0`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Forward {
    /// The underlying (spot or forward), clamped at zero.
    pub(crate) under: f64,
    /// e^(−qT) for BSM, e^(−rT) for Black-76: the factor between the underlying and A.
    pub(crate) carry: Mag,
    /// A: the discounted forward (the prepaid forward for BSM).
    pub(crate) a: Mag,
    /// B: the discounted strike.
    pub(crate) b: Mag,
    /// G = √(A·B).
    pub(crate) g: Mag,
    /// ln(A/B); ±∞ when the strike or the underlying is zero.
    pub(crate) x: f64,
}

impl Forward {
    pub(crate) fn new(
        model: Model,
        under: f64,
        strike: f64,
        years: f64,
        rate: f64,
        yield_: f64,
    ) -> Self {
        debug_assert!(years > 0.0 && years.is_finite());
        let under = under.max(0.0);
        let strike = strike.max(0.0);
        let rt = (rate * years).clamp(-EXPONENT_LIMIT, EXPONENT_LIMIT);
        let qt = match model {
            Model::Spot => (yield_ * years).clamp(-EXPONENT_LIMIT, EXPONENT_LIMIT),
            Model::Forward => rt,
        };
        let carry = Mag::exp(-qt);
        let a = Mag::of(under).mul(carry);
        let b = Mag::of(strike).mul(Mag::exp(-rt));
        let g = a.sqrt().mul(b.sqrt());
        let x = if strike == 0.0 {
            f64::INFINITY
        } else if under == 0.0 {
            f64::NEG_INFINITY
        } else {
            let ratio = under / strike;
            let ln_ratio = if ratio.is_normal() {
                libm::log(ratio)
            } else {
                libm::log(under) - libm::log(strike)
            };
            ln_ratio + (rt - qt)
        };
        Forward {
            under,
            carry,
            a,
            b,
            g,
            x,
        }
    }

    /// The intrinsic value of the forward payoff, max(θ·(A − B), 0).
    pub(crate) fn intrinsic(&self, theta: f64) -> f64 {
        if theta * self.x <= 0.0 {
            return 0.0;
        }
        match (self.a.exact(), self.b.exact()) {
            (Some(a), Some(b)) => saturate((theta * (a - b)).max(0.0)),
            _ if self.x > 0.0 => self.a.times(-libm::expm1(-self.x)),
            _ => self.b.times(-libm::expm1(self.x)),
        }
    }
}

/// h = x/s and t = s/2, with 0/0 at the money and zero volatility read as h = 0.
pub(crate) fn h_t(x: f64, s: f64) -> (f64, f64) {
    let h = if x == 0.0 { 0.0 } else { x / s };
    (h, 0.5 * s)
}

/// d1 = h + t and d2 = h − t, each as a rounded value and its rounding error (including that of
/// the quotient x/s), so that the normal distribution can be evaluated at the exact argument.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ds {
    pub(crate) d1: f64,
    pub(crate) d1_lo: f64,
    pub(crate) d2: f64,
    pub(crate) d2_lo: f64,
}

pub(crate) fn ds(x: f64, s: f64) -> Ds {
    let (h, t) = h_t(x, s);
    let h_lo = if h.is_finite() && h != 0.0 && s.is_normal() {
        libm::fma(-h, s, x) / s
    } else {
        0.0
    };
    let (d1, e1) = two_sum(h, t);
    let (d2, e2) = two_sum(h, -t);
    Ds {
        d1,
        d1_lo: e1 + h_lo,
        d2,
        d2_lo: e2 + h_lo,
    }
}

/// The normalised price of the out-of-the-money option, b(y, s) for y = −|x| ≤ 0:
/// e^(y/2)·N(y/s + s/2) − e^(−y/2)·N(y/s − s/2), between 0 and e^(y/2).
pub(crate) fn otm_normalized(y: f64, s: f64) -> f64 {
    debug_assert!(y <= 0.0 && s >= 0.0);
    let d = ds(y, s);
    let first = libm::exp(0.5 * y) * norm_cdf_dd(d.d1, d.d1_lo);
    let n2 = norm_cdf_dd(d.d2, d.d2_lo);
    // e^(−y/2) overflows only for |y| > 1419, where h − t ≤ −√(2|y|) < −53 and so N = 0.
    let second = if n2 == 0.0 {
        0.0
    } else {
        libm::exp(-0.5 * y) * n2
    };
    (first - second).max(0.0)
}

/// The complement of [`otm_normalized`] to its upper bound: e^(y/2) − b(y, s), computed without
/// the subtraction: e^(y/2)·N(−y/s − s/2) + e^(−y/2)·N(y/s − s/2).
pub(crate) fn otm_complement(y: f64, s: f64) -> f64 {
    debug_assert!(y <= 0.0 && s >= 0.0);
    let d = ds(y, s);
    let first = libm::exp(0.5 * y) * norm_cdf_dd(-d.d1, -d.d1_lo);
    let n2 = norm_cdf_dd(d.d2, d.d2_lo);
    let second = if n2 == 0.0 {
        0.0
    } else {
        libm::exp(-0.5 * y) * n2
    };
    first + second
}

/// ln of the normalised vega ∂b/∂s = e^(−(h² + t²)/2)/√(2π).
pub(crate) fn ln_normalized_vega(y: f64, s: f64) -> f64 {
    let (h, t) = h_t(y, s);
    -0.5 * (h * h + t * t) - LN_SQRT_2PI
}

/// Step N at zero volatility: 1 in the money, ½ at the money, 0 out of it.
fn step(z: f64) -> f64 {
    if z > 0.0 {
        1.0
    } else if z < 0.0 {
        0.0
    } else {
        0.5
    }
}

/// The inputs of one evaluation; for Black-76 `under` is the forward and `yield_` is ignored.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Inputs {
    pub(crate) kind: OptionKind,
    pub(crate) model: Model,
    pub(crate) under: f64,
    pub(crate) strike: f64,
    pub(crate) years: f64,
    pub(crate) rate: f64,
    pub(crate) yield_: f64,
    pub(crate) vol: f64,
}

impl Inputs {
    pub(crate) fn all_finite(&self) -> bool {
        [
            self.under,
            self.strike,
            self.years,
            self.rate,
            self.yield_,
            self.vol,
        ]
        .iter()
        .all(|v| v.is_finite())
    }
}

/// Price and Greeks for finite inputs (non-finite inputs are handled by the caller).
pub(crate) fn evaluate(inputs: Inputs) -> Greeks {
    let Inputs {
        kind,
        model,
        under,
        strike,
        years,
        rate,
        yield_,
        vol,
    } = inputs;
    debug_assert!(inputs.all_finite());
    let theta = kind.sign();
    if years <= 0.0 {
        return at_expiry(theta, under.max(0.0), strike.max(0.0));
    }
    let fwd = Forward::new(model, under, strike, years, rate, yield_);
    let sqrt_t = years.sqrt();
    let s = (vol.max(0.0) * sqrt_t).min(MAX_TOTAL_VOL);
    let x = fwd.x;
    let (h, t) = h_t(x, s);
    let (n1, n2) = if s == 0.0 {
        (step(theta * x), step(theta * x))
    } else {
        let d = ds(x, s);
        (
            norm_cdf_dd(theta * d.d1, theta * d.d1_lo),
            norm_cdf_dd(theta * d.d2, theta * d.d2_lo),
        )
    };

    // A·φ(d1) = B·φ(d2) = G·e^(−(h² + t²)/2)/√(2π): the density term of gamma, vega and theta.
    let density = fwd
        .g
        .mul(Mag::exp(-0.5 * (h * h + t * t)))
        .mul(Mag::of(FRAC_1_SQRT_2PI));

    let price = saturate(fwd.intrinsic(theta) + fwd.g.times(otm_normalized(-x.abs(), s)));
    let delta = fwd.carry.times(theta * n1);
    let gamma = if s == 0.0 || fwd.under == 0.0 {
        0.0
    } else {
        let under = Mag::of(fwd.under);
        density.div(under.mul(under).mul(Mag::of(s))).get()
    };
    let vega = density.mul(Mag::of(sqrt_t)).get();
    // −∂V/∂T: the density term σ·A·φ(d1)/(2√T) = A·φ(d1)·(s/2)/T, then the carry terms.
    let decay = density.mul(Mag::of(0.5 * s)).div(Mag::of(years)).get();
    let (r, q) = match model {
        Model::Spot => (rate, yield_),
        Model::Forward => (rate, rate),
    };
    let carry_term = fwd.a.times(saturate(theta * q * n1));
    let rate_term = fwd.b.times(saturate(theta * r * n2));
    let theta_value = saturate(-decay + carry_term - rate_term);
    let rho = match model {
        Model::Spot => fwd.b.times(saturate(theta * years * n2)),
        Model::Forward => saturate(-years * price),
    };
    Greeks {
        price,
        delta,
        gamma,
        theta: theta_value,
        vega,
        rho,
    }
}

/// At or after expiry: the payoff on the underlying, delta a step (½ at the money).
fn at_expiry(theta: f64, under: f64, strike: f64) -> Greeks {
    let moneyness = theta * (under - strike);
    Greeks {
        price: saturate(moneyness.max(0.0)),
        delta: theta * step(moneyness),
        gamma: 0.0,
        theta: 0.0,
        vega: 0.0,
        rho: 0.0,
    }
}
