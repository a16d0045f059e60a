//! Property tests: no-arbitrage identities and bounds, monotonicity, Greeks against finite
//! differences of the price, implied volatility round trips, and no NaN for finite inputs.

use pricing::{
    Greeks, OptionKind, black76_greeks, black76_implied_vol, black76_implied_vol_is_recoverable,
    black76_price, bsm_greeks, bsm_implied_vol, bsm_implied_vol_is_recoverable, bsm_price,
};
use proptest::prelude::*;

/// A BSM case (for Black-76 the spot is the forward and the yield is unused).
#[derive(Clone, Copy, Debug)]
struct Case {
    kind: OptionKind,
    spot: f64,
    strike: f64,
    years: f64,
    rate: f64,
    yield_: f64,
    vol: f64,
}

impl Case {
    fn bsm(&self) -> Greeks {
        bsm_greeks(
            self.kind,
            self.spot,
            self.strike,
            self.years,
            self.rate,
            self.yield_,
            self.vol,
        )
    }
    fn b76(&self) -> Greeks {
        black76_greeks(
            self.kind,
            self.spot,
            self.strike,
            self.years,
            self.rate,
            self.vol,
        )
    }
    /// The larger of spot and strike: the scale of every currency amount.
    fn scale(&self) -> f64 {
        self.spot.max(self.strike)
    }
    fn total_vol(&self) -> f64 {
        self.vol * self.years.sqrt()
    }
}

fn kind() -> impl Strategy<Value = OptionKind> {
    prop_oneof![Just(OptionKind::Call), Just(OptionKind::Put)]
}

fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..hi.ln()).prop_map(f64::exp)
}

/// Market-like inputs, from a 15-minute to a 5-year option, deep in and out of the money.
fn realistic() -> impl Strategy<Value = Case> {
    (
        kind(),
        log_uniform(1.0, 1e4),
        log_uniform(0.2, 5.0),
        log_uniform(1.0 / (365.0 * 24.0 * 4.0), 5.0),
        -0.05..0.15f64,
        0.0..0.1f64,
        log_uniform(0.01, 3.0),
    )
        .prop_map(|(kind, spot, moneyness, years, rate, yield_, vol)| Case {
            kind,
            spot,
            strike: spot * moneyness,
            years,
            rate,
            yield_,
            vol,
        })
}

/// Much wider: strikes 1/50 to 50 times the spot, a few seconds to 30 years, vols to 500 %.
fn wide() -> impl Strategy<Value = Case> {
    (
        kind(),
        log_uniform(1e-2, 1e6),
        log_uniform(0.02, 50.0),
        log_uniform(1e-7, 30.0),
        -0.2..0.5f64,
        0.0..0.3f64,
        log_uniform(1e-3, 5.0),
    )
        .prop_map(|(kind, spot, moneyness, years, rate, yield_, vol)| Case {
            kind,
            spot,
            strike: spot * moneyness,
            years,
            rate,
            yield_,
            vol,
        })
}

fn all_finite(g: &Greeks) -> bool {
    [g.price, g.delta, g.gamma, g.theta, g.vega, g.rho]
        .iter()
        .all(|v| v.is_finite())
}

/// Any finite f64, including negative, zero, subnormal and near `f64::MAX`.
fn any_finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |v| v.is_finite())
}

/// A derivative by Richardson's four-point central difference (error O(h⁴)).
fn derivative(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    (8.0 * (f(x + h) - f(x - h)) - (f(x + 2.0 * h) - f(x - 2.0 * h))) / (12.0 * h)
}

/// |analytic − numeric| within 1e-6 relative, with a floor of 1e-12 of `values_scale / h`: the
/// rounding noise of a difference quotient of values of size `values_scale` is ~2e-16 of that.
fn close_to_numeric(
    what: &str,
    analytic: f64,
    numeric: f64,
    values_scale: f64,
    h: f64,
) -> Result<(), TestCaseError> {
    let allowed = 1e-6 * analytic.abs() + 1e-12 * values_scale / h;
    prop_assert!(
        (analytic - numeric).abs() <= allowed,
        "{what}: analytic {analytic:e}, finite difference {numeric:e} (allowed {allowed:e})"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn put_call_parity_for_prices_and_greeks(case in realistic()) {
        let Case { spot, strike, years, rate, yield_, .. } = case;
        let a = spot * (-yield_ * years).exp();
        let b = strike * (-rate * years).exp();
        let tol = 1e-14 * case.scale();
        let call = bsm_greeks(OptionKind::Call, spot, strike, years, rate, yield_, case.vol);
        let put = bsm_greeks(OptionKind::Put, spot, strike, years, rate, yield_, case.vol);
        prop_assert!((call.price - put.price - (a - b)).abs() <= tol, "{call:?} {put:?}");
        prop_assert!((call.delta - put.delta - (-yield_ * years).exp()).abs() <= 1e-15);
        prop_assert!((call.gamma - put.gamma).abs() <= 1e-15 * call.gamma.abs());
        prop_assert!((call.vega - put.vega).abs() <= 1e-15 * call.vega.abs());
        // Theta's decay term (the same in both) can dwarf the scale an hour from expiry; the
        // parity holds to the rounding of that magnitude.
        let theta_tol = tol + 4.0 * f64::EPSILON * (call.theta.abs() + put.theta.abs());
        prop_assert!((call.theta - put.theta - (yield_ * a - rate * b)).abs() <= theta_tol);
        prop_assert!((call.rho - put.rho - years * b).abs() <= tol * years.max(1.0));

        let f = spot;
        let call = black76_greeks(OptionKind::Call, f, strike, years, rate, case.vol);
        let put = black76_greeks(OptionKind::Put, f, strike, years, rate, case.vol);
        let discount = (-rate * years).exp();
        prop_assert!((call.price - put.price - discount * (f - strike)).abs() <= tol);
        prop_assert!((call.delta - put.delta - discount).abs() <= 1e-15);
        prop_assert!((call.rho - put.rho + years * discount * (f - strike)).abs() <= tol * years.max(1.0));
    }

    #[test]
    fn black76_is_bsm_with_the_yield_equal_to_the_rate(case in realistic()) {
        let bsm = bsm_greeks(case.kind, case.spot, case.strike, case.years, case.rate, case.rate, case.vol);
        let b76 = case.b76();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-13 * a.abs().max(b.abs()) + 1e-300;
        prop_assert!(close(bsm.price, b76.price), "{bsm:?} {b76:?}");
        prop_assert!(close(bsm.delta, b76.delta), "{bsm:?} {b76:?}");
        prop_assert!(close(bsm.gamma, b76.gamma), "{bsm:?} {b76:?}");
        prop_assert!(close(bsm.vega, b76.vega), "{bsm:?} {b76:?}");
        prop_assert!((bsm.theta - b76.theta).abs() <= 1e-13 * case.scale() / case.years.sqrt(), "{bsm:?} {b76:?}");
        // Black-76 rho holds the forward fixed: it is −T·price.
        prop_assert_eq!(b76.rho, -case.years * b76.price);
    }

    #[test]
    fn price_within_no_arbitrage_bounds(case in wide()) {
        let Case { kind, spot, strike, years, rate, yield_, vol } = case;
        let a = spot * (-yield_ * years).exp();
        let b = strike * (-rate * years).exp();
        let (intrinsic, upper) = match kind {
            OptionKind::Call => ((a - b).max(0.0), a),
            OptionKind::Put => ((b - a).max(0.0), b),
        };
        let slack = 1e-14 * a.max(b);
        let price = bsm_price(kind, spot, strike, years, rate, yield_, vol);
        prop_assert!(price >= 0.0);
        prop_assert!(price >= intrinsic - slack, "price {price:e} < intrinsic {intrinsic:e}");
        prop_assert!(price <= upper + slack, "price {price:e} > upper bound {upper:e}");
        // Delta between 0 and ±e^(−qT), gamma and vega non-negative.
        let g = case.bsm();
        let carry = (-yield_ * years).exp();
        match kind {
            OptionKind::Call => prop_assert!(g.delta >= 0.0 && g.delta <= carry * (1.0 + 1e-15)),
            OptionKind::Put => prop_assert!(g.delta <= 0.0 && g.delta >= -carry * (1.0 + 1e-15)),
        }
        prop_assert!(g.gamma >= 0.0 && g.vega >= 0.0);
    }

    #[test]
    fn price_monotone_in_strike_and_vol(
        case in wide(),
        strike_factor in 1.0..1.5f64,
        vol_factor in 1.0..2.0f64,
    ) {
        let Case { kind, spot, strike, years, rate, yield_, vol } = case;
        let slack = 1e-14 * case.scale() * strike_factor;
        let p = bsm_price(kind, spot, strike, years, rate, yield_, vol);
        let higher_strike = bsm_price(kind, spot, strike * strike_factor, years, rate, yield_, vol);
        match kind {
            OptionKind::Call => prop_assert!(higher_strike <= p + slack, "{p:e} then {higher_strike:e}"),
            OptionKind::Put => prop_assert!(higher_strike >= p - slack, "{p:e} then {higher_strike:e}"),
        }
        let higher_vol = bsm_price(kind, spot, strike, years, rate, yield_, vol * vol_factor);
        prop_assert!(higher_vol >= p - slack, "{p:e} then {higher_vol:e}");
        let b76 = black76_price(kind, spot, strike, years, rate, vol);
        let b76_higher_vol = black76_price(kind, spot, strike, years, rate, vol * vol_factor);
        prop_assert!(b76_higher_vol >= b76 - slack);
    }

    #[test]
    fn bsm_greeks_match_finite_differences(case in realistic()) {
        let Case { kind, spot, strike, years, rate, yield_, vol } = case;
        let g = case.bsm();
        let scale = case.scale();
        let s = case.total_vol();
        // Steps of 1e-3 of the scale on which each input moves the price.
        let h_spot = 1e-3 * s * spot;
        let delta = derivative(|x| bsm_price(kind, x, strike, years, rate, yield_, vol), spot, h_spot);
        close_to_numeric("delta", g.delta, delta, scale, h_spot)?;
        let gamma = derivative(|x| bsm_greeks(kind, x, strike, years, rate, yield_, vol).delta, spot, h_spot);
        close_to_numeric("gamma", g.gamma, gamma, 1.0, h_spot)?;
        let h_vol = 1e-3 * vol;
        let vega = derivative(|x| bsm_price(kind, spot, strike, years, rate, yield_, x), vol, h_vol);
        close_to_numeric("vega", g.vega, vega, scale, h_vol)?;
        let h_years = 1e-3 * years;
        let theta = -derivative(|x| bsm_price(kind, spot, strike, x, rate, yield_, vol), years, h_years);
        close_to_numeric("theta", g.theta, theta, scale, h_years)?;
        let h_rate = 1e-3 * s / years;
        let rho = derivative(|x| bsm_price(kind, spot, strike, years, x, yield_, vol), rate, h_rate);
        close_to_numeric("rho", g.rho, rho, scale, h_rate)?;
    }

    #[test]
    fn black76_greeks_match_finite_differences(case in realistic()) {
        let Case { kind, spot: forward, strike, years, rate, vol, .. } = case;
        let g = case.b76();
        let scale = case.scale();
        let s = case.total_vol();
        let h_fwd = 1e-3 * s * forward;
        let delta = derivative(|x| black76_price(kind, x, strike, years, rate, vol), forward, h_fwd);
        close_to_numeric("delta", g.delta, delta, scale, h_fwd)?;
        let gamma = derivative(|x| black76_greeks(kind, x, strike, years, rate, vol).delta, forward, h_fwd);
        close_to_numeric("gamma", g.gamma, gamma, 1.0, h_fwd)?;
        let h_vol = 1e-3 * vol;
        let vega = derivative(|x| black76_price(kind, forward, strike, years, rate, x), vol, h_vol);
        close_to_numeric("vega", g.vega, vega, scale, h_vol)?;
        let h_years = 1e-3 * years;
        let theta = -derivative(|x| black76_price(kind, forward, strike, x, rate, vol), years, h_years);
        close_to_numeric("theta", g.theta, theta, scale, h_years)?;
        let h_rate = 1e-3 * s / years;
        let rho = derivative(|x| black76_price(kind, forward, strike, years, x, vol), rate, h_rate);
        close_to_numeric("rho", g.rho, rho, scale, h_rate)?;
    }

    /// IV(price(σ)) == σ to 1e-8 wherever the implied volatility exists numerically (the
    /// documented domain); elsewhere the answer is still a finite vol or an error.
    #[test]
    fn implied_vol_round_trips(case in wide()) {
        let Case { kind, spot, strike, years, rate, yield_, vol } = case;
        let price = bsm_price(kind, spot, strike, years, rate, yield_, vol);
        let iv = bsm_implied_vol(kind, price, spot, strike, years, rate, yield_);
        if let Ok(v) = iv {
            prop_assert!(v.is_finite() && v >= 0.0);
        }
        if bsm_implied_vol_is_recoverable(kind, spot, strike, years, rate, yield_, vol) {
            let v = iv.map_err(|e| TestCaseError::fail(format!("{e} for {case:?}")))?;
            prop_assert!((v - vol).abs() <= 1e-8, "bsm: {v} for {case:?} (price {price:e})");
        }

        let price = black76_price(kind, spot, strike, years, rate, vol);
        let iv = black76_implied_vol(kind, price, spot, strike, years, rate);
        if let Ok(v) = iv {
            prop_assert!(v.is_finite() && v >= 0.0);
        }
        if black76_implied_vol_is_recoverable(kind, spot, strike, years, rate, vol) {
            let v = iv.map_err(|e| TestCaseError::fail(format!("{e} for {case:?}")))?;
            prop_assert!((v - vol).abs() <= 1e-8, "black76: {v} for {case:?} (price {price:e})");
        }
    }

    /// In market-like conditions the domain is most of the space: everything but very deep
    /// in-the-money short-dated options, whose price is all intrinsic value.
    #[test]
    fn implied_vol_round_trips_in_market_conditions(case in realistic()) {
        let Case { kind, spot, strike, years, rate, yield_, vol } = case;
        if bsm_implied_vol_is_recoverable(kind, spot, strike, years, rate, yield_, vol) {
            let price = bsm_price(kind, spot, strike, years, rate, yield_, vol);
            let v = bsm_implied_vol(kind, price, spot, strike, years, rate, yield_)
                .map_err(|e| TestCaseError::fail(format!("{e} for {case:?}")))?;
            prop_assert!((v - vol).abs() <= 1e-8, "{v} for {case:?} (price {price:e})");
        }
    }

    #[test]
    fn no_nan_for_any_finite_inputs(
        kind in kind(),
        spot in any_finite(),
        strike in any_finite(),
        years in any_finite(),
        rate in any_finite(),
        yield_ in any_finite(),
        vol in any_finite(),
        price in any_finite(),
    ) {
        let g = bsm_greeks(kind, spot, strike, years, rate, yield_, vol);
        prop_assert!(all_finite(&g), "{g:?}");
        prop_assert!(g.price >= 0.0);
        let g = black76_greeks(kind, spot, strike, years, rate, vol);
        prop_assert!(all_finite(&g), "{g:?}");
        prop_assert!(g.price >= 0.0);
        if let Ok(v) = bsm_implied_vol(kind, price, spot, strike, years, rate, yield_) {
            prop_assert!(v.is_finite() && v >= 0.0);
        }
        if let Ok(v) = black76_implied_vol(kind, price, spot, strike, years, rate) {
            prop_assert!(v.is_finite() && v >= 0.0);
        }
    }

    #[test]
    fn no_nan_across_extreme_ranges(
        kind in kind(),
        spot in prop_oneof![Just(0.0), log_uniform(1e-300, 1e300)],
        strike in prop_oneof![Just(0.0), log_uniform(1e-300, 1e300)],
        years in prop_oneof![Just(0.0), log_uniform(1e-300, 1e6)],
        rate in -50.0..50.0f64,
        yield_ in -50.0..50.0f64,
        vol in prop_oneof![Just(0.0), log_uniform(1e-300, 1e6)],
    ) {
        let g = bsm_greeks(kind, spot, strike, years, rate, yield_, vol);
        prop_assert!(all_finite(&g), "{g:?}");
        prop_assert!(g.price >= 0.0 && g.gamma >= 0.0 && g.vega >= 0.0);
        let g = black76_greeks(kind, spot, strike, years, rate, vol);
        prop_assert!(all_finite(&g), "{g:?}");
        prop_assert!(g.price >= 0.0 && g.gamma >= 0.0 && g.vega >= 0.0);
        let price = bsm_price(kind, spot, strike, years, rate, yield_, vol);
        if let Ok(v) = bsm_implied_vol(kind, price, spot, strike, years, rate, yield_) {
            prop_assert!(v.is_finite() && v >= 0.0);
        }
    }
}

/// A fixed grid through the market-like space: every case in the domain round-trips, and the
/// domain covers most of the grid (the test cannot pass vacuously).
#[test]
fn implied_vol_grid() {
    let mut total = 0;
    let mut in_domain = 0;
    let mut worst = 0.0f64;
    for kind in [OptionKind::Call, OptionKind::Put] {
        for moneyness in [
            0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25, 1.5, 2.0, 3.0,
        ] {
            for years in [
                1.0 / 8760.0,
                1.0 / 365.0,
                7.0 / 365.0,
                30.0 / 365.0,
                0.25,
                1.0,
                3.0,
                10.0,
            ] {
                for rate in [-0.01, 0.0, 0.05, 0.1] {
                    for vol in [0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3.0] {
                        let (spot, strike, yield_) = (100.0, 100.0 * moneyness, 0.02);
                        total += 1;
                        if !bsm_implied_vol_is_recoverable(
                            kind, spot, strike, years, rate, yield_, vol,
                        ) {
                            continue;
                        }
                        in_domain += 1;
                        let price = bsm_price(kind, spot, strike, years, rate, yield_, vol);
                        let iv = bsm_implied_vol(kind, price, spot, strike, years, rate, yield_)
                            .unwrap_or_else(|e| {
                                panic!("{e}: {kind:?} {moneyness} {years} {rate} {vol}")
                            });
                        let error = (iv - vol).abs();
                        worst = worst.max(error);
                        assert!(
                            error <= 1e-8,
                            "{iv} for {kind:?} {moneyness} {years} {rate} {vol}"
                        );
                    }
                }
            }
        }
    }
    eprintln!("{in_domain} of {total} grid cases in the domain; worst error {worst:e}");
    assert!(
        in_domain * 10 >= total * 6,
        "only {in_domain} of {total} in the domain"
    );
}
