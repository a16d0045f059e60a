//! Textbook values and the documented answers at the edges.

use pricing::{
    Greeks, ImpliedVolError, OptionKind, black76_greeks, black76_implied_vol, black76_price,
    bsm_greeks, bsm_implied_vol, bsm_implied_vol_is_recoverable, bsm_price,
};

use OptionKind::{Call, Put};

fn assert_close(what: &str, actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} vs {expected} (tolerance {tolerance})"
    );
}

#[test]
fn textbook_values() {
    // Hull, Options, Futures and Other Derivatives, example 15.6: S 42, K 40, r 10 %, σ 20 %, 6 months.
    assert_close(
        "call",
        bsm_price(Call, 42.0, 40.0, 0.5, 0.1, 0.0, 0.2),
        4.7594,
        5e-5,
    );
    assert_close(
        "put",
        bsm_price(Put, 42.0, 40.0, 0.5, 0.1, 0.0, 0.2),
        0.8086,
        5e-5,
    );
    // Haug, The Complete Guide to Option Pricing Formulas, 1.1.6: S 100, K 95, q 5 %, r 10 %.
    assert_close(
        "put",
        bsm_price(Put, 100.0, 95.0, 0.5, 0.1, 0.05, 0.2),
        2.4648,
        5e-5,
    );
    // Haug 1.1.4 (Black-76): F 19, K 19, r 10 %, σ 28 %, 9 months: call = put = 1.7011.
    assert_close(
        "b76 call",
        black76_price(Call, 19.0, 19.0, 0.75, 0.1, 0.28),
        1.7011,
        5e-5,
    );
    assert_close(
        "b76 put",
        black76_price(Put, 19.0, 19.0, 0.75, 0.1, 0.28),
        1.7011,
        5e-5,
    );
    // Hull example 19.1 (delta of a call, S 49, K 50, r 5 %, σ 20 %, 20 weeks): 0.522.
    let g = bsm_greeks(Call, 49.0, 50.0, 0.3846, 0.05, 0.0, 0.2);
    assert_close("delta", g.delta, 0.522, 5e-4);
    assert_close("gamma", g.gamma, 0.066, 5e-4);
    // Hull quotes theta per year as −4.31, vega per 1.00 as 12.1, rho per 1.00 as 8.91.
    assert_close("theta", g.theta, -4.31, 5e-3);
    assert_close("vega", g.vega, 12.1, 5e-2);
    assert_close("rho", g.rho, 8.91, 5e-3);
}

#[test]
fn at_and_after_expiry_the_price_is_the_payoff() {
    for years in [0.0, -0.0, -1.0, -1e300] {
        let g = bsm_greeks(Call, 105.0, 100.0, years, 0.05, 0.02, 0.3);
        assert_eq!(
            g,
            Greeks {
                price: 5.0,
                delta: 1.0,
                gamma: 0.0,
                theta: 0.0,
                vega: 0.0,
                rho: 0.0
            }
        );
        let g = bsm_greeks(Put, 105.0, 100.0, years, 0.05, 0.02, 0.3);
        assert_eq!((g.price, g.delta), (0.0, 0.0));
        let g = bsm_greeks(Put, 95.0, 100.0, years, 0.05, 0.02, 0.3);
        assert_eq!((g.price, g.delta), (5.0, -1.0));
        // Exactly at the money: worthless, delta ±½.
        assert_eq!(
            bsm_greeks(Call, 100.0, 100.0, years, 0.05, 0.0, 0.3).delta,
            0.5
        );
        assert_eq!(
            bsm_greeks(Put, 100.0, 100.0, years, 0.05, 0.0, 0.3).delta,
            -0.5
        );
        let g = black76_greeks(Call, 110.0, 100.0, years, 0.05, 0.3);
        assert_eq!(
            (g.price, g.delta, g.gamma, g.theta, g.vega, g.rho),
            (10.0, 1.0, 0.0, 0.0, 0.0, 0.0)
        );
    }
}

#[test]
fn zero_volatility_is_the_discounted_intrinsic_value_of_the_forward() {
    let (s, k, t, r, q): (f64, f64, f64, f64, f64) = (100.0, 90.0, 0.5, 0.05, 0.02);
    let a = s * (-q * t).exp();
    let b = k * (-r * t).exp();
    for vol in [0.0, -0.3, 1e-320] {
        let call = bsm_greeks(Call, s, k, t, r, q, vol);
        assert_close("call", call.price, a - b, 1e-13);
        assert_close("delta", call.delta, (-q * t).exp(), 1e-15);
        assert_eq!((call.gamma, call.vega), (0.0, 0.0));
        assert_close("theta", call.theta, q * a - r * b, 1e-13);
        assert_close("rho", call.rho, t * b, 1e-13);
        let put = bsm_greeks(Put, s, k, t, r, q, vol);
        assert_eq!(
            (
                put.price, put.delta, put.gamma, put.theta, put.vega, put.rho
            ),
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        );
    }
    // Out of the money forward but in the money spot: the forward decides.
    assert_eq!(bsm_price(Call, 100.0, 101.0, 1.0, 0.0, 0.05, 0.0), 0.0);
    // At the money forward: delta ±½·e^(−qT), vega the one-sided limit G·φ(0)·√T.
    let f = 100.0;
    let g = black76_greeks(Call, f, f, 1.0, 0.05, 0.0);
    assert_eq!(g.price, 0.0);
    assert_close("delta", g.delta, 0.5 * (-0.05f64).exp(), 1e-15);
    assert_close(
        "vega",
        g.vega,
        (-0.05f64).exp() * f / (2.0 * std::f64::consts::PI).sqrt(),
        1e-12,
    );
}

#[test]
fn zero_and_negative_underlying_or_strike() {
    let (t, r, q, v) = (0.5, 0.05, 0.02, 0.3);
    for spot in [0.0, -5.0] {
        let call = bsm_greeks(Call, spot, 100.0, t, r, q, v);
        assert_eq!(
            (
                call.price, call.delta, call.gamma, call.vega, call.theta, call.rho
            ),
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        );
        let put = bsm_greeks(Put, spot, 100.0, t, r, q, v);
        assert_close("put", put.price, 100.0 * (-r * t).exp(), 1e-12);
        assert_close("delta", put.delta, -(-q * t).exp(), 1e-15);
        assert_close("theta", put.theta, r * put.price, 1e-12);
        assert_close("rho", put.rho, -t * put.price, 1e-12);
        assert_eq!(put.gamma, 0.0);
    }
    for strike in [0.0, -5.0] {
        let call = bsm_greeks(Call, 100.0, strike, t, r, q, v);
        assert_close("call", call.price, 100.0 * (-q * t).exp(), 1e-12);
        assert_close("delta", call.delta, (-q * t).exp(), 1e-15);
        assert_eq!((call.gamma, call.vega, call.rho), (0.0, 0.0, 0.0));
        let put = bsm_greeks(Put, 100.0, strike, t, r, q, v);
        assert_eq!((put.price, put.delta), (0.0, 0.0));
    }
    let both = bsm_greeks(Call, 0.0, 0.0, t, r, q, v);
    assert_eq!(both.price, 0.0);
    assert!(
        [both.delta, both.gamma, both.theta, both.vega, both.rho]
            .iter()
            .all(|x| x.is_finite())
    );
}

#[test]
fn deep_in_and_out_of_the_money_keep_their_tails() {
    // Reference values from the closed form at 50 digits (mpmath); relative accuracy holds far
    // into the tail, down to a price of 1e-80 an hour from expiry (there to 6e-12: the value is
    // the difference of two terms 35,000 times larger, each accurate to a few units in the last
    // place).
    let cases = [
        (Put, 100.0, 50.0, 1.0, 0.0, 0.0, 0.2, 0.0009431090880750194),
        (Call, 50.0, 100.0, 1.0, 0.0, 0.0, 0.2, 0.0009431090880750194),
        (
            Put,
            100.0,
            80.0,
            7.0 / 365.0,
            0.05,
            0.01,
            0.2,
            9.30056745961577e-17,
        ),
        (
            Call,
            100.0,
            130.0,
            30.0 / 365.0,
            0.03,
            0.0,
            0.25,
            0.0002867131023267537,
        ),
        (
            Call,
            100.0,
            101.0,
            1.0 / 8760.0,
            0.0,
            0.0,
            0.05,
            2.8340663558867808e-80,
        ),
    ];
    for (kind, s, k, t, r, q, v, expected) in cases {
        let price = bsm_price(kind, s, k, t, r, q, v);
        assert_close("price", price / expected, 1.0, 1e-10);
    }
    // A day from expiry the strike-50 put is worth about 1e-940: exactly 0, never negative.
    assert_eq!(bsm_price(Put, 100.0, 50.0, 1.0 / 365.0, 0.0, 0.0, 0.2), 0.0);
    // Deep in the money the time value survives next to the intrinsic value (parity exact).
    let call = bsm_price(Call, 100.0, 50.0, 1.0, 0.0, 0.0, 0.2);
    assert_close("parity", call - 50.0, 0.000_943_109_088_075_019_4, 1e-13);
    let g = bsm_greeks(Call, 50.0, 100.0, 1.0, 0.0, 0.0, 0.2);
    assert!(g.price > 0.0 && g.delta > 0.0 && g.gamma > 0.0 && g.vega > 0.0 && g.theta < 0.0);
}

#[test]
fn non_finite_inputs_give_nan_everywhere() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let inputs = [
            bsm_greeks(Call, bad, 100.0, 1.0, 0.05, 0.0, 0.2),
            bsm_greeks(Call, 100.0, bad, 1.0, 0.05, 0.0, 0.2),
            bsm_greeks(Call, 100.0, 100.0, bad, 0.05, 0.0, 0.2),
            bsm_greeks(Put, 100.0, 100.0, 1.0, bad, 0.0, 0.2),
            bsm_greeks(Put, 100.0, 100.0, 1.0, 0.05, bad, 0.2),
            bsm_greeks(Put, 100.0, 100.0, 1.0, 0.05, 0.0, bad),
            black76_greeks(Call, 100.0, 100.0, 1.0, bad, 0.2),
        ];
        for g in inputs {
            assert!(
                [g.price, g.delta, g.gamma, g.theta, g.vega, g.rho]
                    .iter()
                    .all(|v| v.is_nan()),
                "{g:?}"
            );
        }
    }
}

#[test]
fn extreme_but_finite_inputs_saturate_instead_of_overflowing() {
    let g = bsm_greeks(Call, f64::MAX, 1.0, 1.0, 0.0, -100.0, 0.2);
    assert_eq!(g.price, f64::MAX);
    assert!(
        [g.delta, g.gamma, g.theta, g.vega, g.rho]
            .iter()
            .all(|v| v.is_finite())
    );
    let g = bsm_greeks(Put, 1e-300, 1e300, 1e6, 100.0, -100.0, 1e6);
    assert!(
        [g.price, g.delta, g.gamma, g.theta, g.vega, g.rho]
            .iter()
            .all(|v| v.is_finite())
    );
    // Infinite volatility in all but name: the call is worth the prepaid forward.
    assert_close(
        "call",
        bsm_price(Call, 100.0, 100.0, 1.0, 0.05, 0.02, 1e10),
        100.0 * (-0.02f64).exp(),
        1e-12,
    );
}

#[test]
fn implied_vol_errors() {
    let (s, k, t, r, q): (f64, f64, f64, f64, f64) = (100.0, 90.0, 0.5, 0.05, 0.02);
    let intrinsic = s * (-q * t).exp() - k * (-r * t).exp();
    assert!(matches!(
        bsm_implied_vol(Call, intrinsic - 0.01, s, k, t, r, q),
        Err(ImpliedVolError::BelowIntrinsic { .. })
    ));
    assert!(matches!(
        bsm_implied_vol(Call, -1.0, s, k, t, r, q),
        Err(ImpliedVolError::BelowIntrinsic { .. })
    ));
    assert!(matches!(
        bsm_implied_vol(Call, s * (-q * t).exp(), s, k, t, r, q),
        Err(ImpliedVolError::AboveMaximum { .. })
    ));
    assert!(matches!(
        bsm_implied_vol(Put, k, s, k, t, r, q),
        Err(ImpliedVolError::AboveMaximum { .. })
    ));
    assert_eq!(
        bsm_implied_vol(Call, 10.0, s, k, 0.0, r, q),
        Err(ImpliedVolError::NoTimeValue { years: 0.0 })
    );
    assert_eq!(
        black76_implied_vol(Put, 1.0, s, k, -1.0, r),
        Err(ImpliedVolError::NoTimeValue { years: -1.0 })
    );
    for (price, spot, strike, years, rate) in [
        (f64::NAN, s, k, t, r),
        (f64::INFINITY, s, k, t, r),
        (1.0, 0.0, k, t, r),
        (1.0, -1.0, k, t, r),
        (1.0, s, 0.0, t, r),
        (1.0, s, f64::NAN, t, r),
        (1.0, s, k, f64::INFINITY, r),
        (1.0, s, k, t, f64::NAN),
    ] {
        let result = bsm_implied_vol(Put, price, spot, strike, years, rate, q);
        assert!(
            matches!(result, Err(ImpliedVolError::InvalidInput(_))),
            "{result:?}"
        );
    }
    // A price exactly at the intrinsic value is zero volatility.
    let at_intrinsic = bsm_price(Call, s, k, t, r, q, 0.0);
    assert_eq!(bsm_implied_vol(Call, at_intrinsic, s, k, t, r, q), Ok(0.0));
    assert_eq!(bsm_implied_vol(Put, 0.0, s, k, t, r, q), Ok(0.0));
    // Messages say what is wrong.
    let message = bsm_implied_vol(Call, 200.0, s, k, t, r, q)
        .unwrap_err()
        .to_string();
    assert!(message.contains("above"), "{message}");
    let message = bsm_implied_vol(Call, 1.0, -1.0, k, t, r, q)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("spot must be finite and positive"),
        "{message}"
    );
}

#[test]
fn implied_vol_recovers_textbook_and_extreme_cases() {
    // At the money, 1 hour, 5 % vol; deep out of the money (price ~1e-30); high vol, long dated.
    let cases = [
        (Call, 100.0, 100.0, 1.0 / 8760.0, 0.05, 0.0, 0.05),
        (Put, 100.0, 60.0, 0.25, 0.05, 0.01, 0.2),
        (Call, 100.0, 400.0, 1.0, 0.0, 0.0, 0.2),
        (Call, 6000.0, 6000.0 * 1.5, 3.0, 0.08, 0.05, 1.5),
        (Put, 50.0, 25.0, 10.0, -0.01, 0.0, 3.0),
    ];
    for (kind, s, k, t, r, q, vol) in cases {
        assert!(
            bsm_implied_vol_is_recoverable(kind, s, k, t, r, q, vol),
            "{kind:?} {s} {k} {t} {vol}"
        );
        let price = bsm_price(kind, s, k, t, r, q, vol);
        let iv = bsm_implied_vol(kind, price, s, k, t, r, q).unwrap();
        assert_close("iv", iv, vol, 1e-12 * vol.max(1.0) * 100.0);
    }
    // Deep in the money and an hour from expiry the price is all intrinsic value: not recoverable.
    assert!(!bsm_implied_vol_is_recoverable(
        Call,
        100.0,
        50.0,
        1.0 / 8760.0,
        0.05,
        0.0,
        0.2
    ));
    // Black-76 and BSM agree (F = S·e^((r−q)T)).
    let (s, k, t, r, q, vol): (f64, f64, f64, f64, f64, f64) = (100.0, 105.0, 0.5, 0.04, 0.01, 0.3);
    let f = s * ((r - q) * t).exp();
    let price = bsm_price(Call, s, k, t, r, q, vol);
    let iv = black76_implied_vol(Call, price, f, k, t, r).unwrap();
    assert_close("iv", iv, vol, 1e-12);
}
