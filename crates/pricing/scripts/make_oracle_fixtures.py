#!/usr/bin/env python3
"""Oracle fixtures for the `pricing` crate, made with vollib and QuantLib.

How to run (from the repository root; the virtual environment lives outside the repository so
nothing generated leaks into it):

    python3 -m venv /work/venvs/pricing
    /work/venvs/pricing/bin/pip install -r crates/pricing/scripts/requirements.txt
    /work/venvs/pricing/bin/python crates/pricing/scripts/make_oracle_fixtures.py

It rewrites, deterministically (a fixed grid plus a seeded sample of it), three CSV files under
crates/pricing/tests/fixtures/:

* bsm.csv       Black-Scholes-Merton: kind, spot, strike, years, rate, dividend_yield, vol, then
                price, delta, gamma, theta, vega, rho from vollib (`vollib_*`) and from QuantLib
                (`quantlib_*`).
* black76.csv   Black-76: kind, forward, strike, years, rate, vol, then the same twelve columns.
* implied_vol.csv
                model (bsm or black76), kind, underlying (spot or forward), strike, years, rate,
                dividend_yield (0 for black76), true_vol; the price at the true vol from each
                library; each library's implied volatility of its own price (empty when it failed).

Every number is written with Python's repr, which round-trips exactly to the same f64. Run it again
and the files come out byte for byte the same (given the pinned versions in requirements.txt).

Units. The crate's conventions are: theta per year (the derivative with respect to calendar time),
vega per 1.00 of volatility, rho per 1.00 of rate; for Black-76, rho with the forward held fixed.

* vollib's analytical greeks scale theta per DAY (divided by 365) and vega and rho per 1 %
  (multiplied by 0.01): we multiply theta by 365 and vega and rho by 100 here.
* QuantLib's AnalyticEuropeanEngine gives theta per year and vega and rho per 1.00: no change.

How each oracle is evaluated.

* vollib BSM: `vollib.black_scholes_merton.black_scholes_merton` (Jaeckel's Let's Be Rational
  normalised Black price) and `vollib.black_scholes_merton.greeks.analytical`.
* vollib Black-76: `vollib.black.black` and `vollib.black.greeks.analytical` (whose rho is
  -t * price, the forward held fixed, as ours).
* QuantLib BSM: a VanillaOption with a PlainVanillaPayoff and EuropeanExercise, priced by
  AnalyticEuropeanEngine with a BlackScholesMertonProcess on flat curves (FlatForward with
  continuous compounding for the rate and the dividend yield, BlackConstantVol), day counter
  Actual365Fixed. QuantLib dates have no time of day in the published wheels, so a maturity that
  is not a whole number of days is priced at the nearest whole number of days n (at least 1),
  T' = n/365, with the inputs rescaled so that every product the model depends on is unchanged:
  r' = r*T/T', q' = q*T/T', vol' = vol*sqrt(T/T') (the price is a function of S, K, rT, qT and
  vol^2 T only). The Greeks are rescaled back exactly: theta = theta' * T'/T,
  vega = vega' * sqrt(T/T'), rho = rho' * T/T'; price, delta and gamma are unchanged. When T is
  a whole number of days (as most rows are) the scale factor is exactly 1.
* QuantLib Black-76: the blackFormula family: price from `blackFormula(type, K, F, stdDev,
  discount)`; delta, gamma and vega from the `BlackCalculator` behind it (`deltaForward`,
  `gammaForward`, `vega(T)`); theta from `BlackCalculator.theta(F, T)` (its spot-based theta with
  the spot equal to the forward, which is the Black-76 theta: r*price - discount*F*pdf(d1)*vol/
  (2 sqrt T)); rho = -T * blackFormula(...), the derivative of discount * (forward price) with the
  forward held fixed.
* Implied volatility: vollib's `implied_volatility` (Let's Be Rational) for each model, and
  QuantLib's `blackFormulaImpliedStdDev` on the forward F = S e^((r-q)T) and discount e^(-rT),
  divided by sqrt(T), with accuracy 1e-14 and up to 1000 iterations. Each library inverts its own
  price. The Rust test inverts both prices with our solver and requires the TRUE vol back to 1e-8
  on every row in the documented domain (vollib's price; QuantLib's where it is accurate enough
  to determine the vol, see tests/oracle.rs).

After writing, the script prints an audit: each oracle against a 40-digit mpmath evaluation of the
same closed forms, and the rows where the two oracles disagree with each other by more than the
tolerance the Rust tests use (1e-9 relative, with an absolute floor of 1e-12 of the natural scale
of each quantity; see crates/pricing/tests/oracle.rs).
"""

from __future__ import annotations

import csv
import math
import random
import sys
import warnings
from importlib import metadata
from pathlib import Path

import mpmath
import QuantLib as ql
from vollib.black import black as vollib_black
from vollib.black.greeks import analytical as vollib_black_greeks
from vollib.black.implied_volatility import implied_volatility as vollib_black_iv
from vollib.black_scholes_merton import black_scholes_merton as vollib_bsm
from vollib.black_scholes_merton.greeks import analytical as vollib_bsm_greeks
from vollib.black_scholes_merton.implied_volatility import implied_volatility as vollib_bsm_iv

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SEED = 20_260_101

HOUR = 1.0 / (365.0 * 24.0)
YEARS = [HOUR, 4 * HOUR, 1 / 365, 7 / 365, 30 / 365, 91 / 365, 0.5, 1.0, 2.0, 3.0]
UNDERLYINGS = [50.0, 100.0, 250.0, 1000.0, 6000.0]
# strike / underlying: deep out of the money to deep in the money for both kinds, and a few
# extreme ones.
MONEYNESS = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 1.0, 1.02, 1.05, 1.1, 1.2, 1.35, 1.5]
EXTREME_MONEYNESS = [0.1, 0.25, 2.0, 4.0]
RATES = [-0.01, 0.0, 0.02, 0.045, 0.08]
DIVIDEND_YIELDS = [0.0, 0.01, 0.03, 0.05]
VOLS = [0.05, 0.1, 0.2, 0.35, 0.6, 1.0, 1.5]
KINDS = ["call", "put"]
FLAG = {"call": "c", "put": "p"}
QL_TYPE = {"call": ql.Option.Call, "put": ql.Option.Put}

GREEKS = ["price", "delta", "gamma", "theta", "vega", "rho"]
TODAY = ql.Date(2, 1, 2025)
DAY_COUNTER = ql.Actual365Fixed()


def num(v: float) -> str:
    return repr(float(v))


def strike_for(under: float, moneyness: float) -> float:
    # Round to a cent so that strikes look like strikes and are short in the file.
    return round(under * moneyness, 2)


def cases(seed_offset: int, count: int, with_dividends: bool) -> list[tuple]:
    """A structured core (every moneyness, every expiry, both kinds, middle everything else) plus a
    seeded sample of the whole grid."""
    rows = []
    for kind in KINDS:
        for m in MONEYNESS + EXTREME_MONEYNESS:
            for years in YEARS:
                rows.append((kind, 100.0, strike_for(100.0, m), years, 0.045, 0.01 if with_dividends else 0.0, 0.2))
    rng = random.Random(SEED + seed_offset)
    while len(rows) < count:
        under = rng.choice(UNDERLYINGS)
        m = rng.choice(MONEYNESS) if rng.random() < 0.85 else rng.choice(EXTREME_MONEYNESS)
        rows.append(
            (
                rng.choice(KINDS),
                under,
                strike_for(under, m),
                rng.choice(YEARS),
                rng.choice(RATES),
                rng.choice(DIVIDEND_YIELDS) if with_dividends else 0.0,
                rng.choice(VOLS),
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# vollib


def vollib_bsm_row(kind, s, k, t, r, q, v):
    f = FLAG[kind]
    g = vollib_bsm_greeks
    return [
        vollib_bsm(f, s, k, t, r, v, q),
        g.delta(f, s, k, t, r, v, q),
        g.gamma(f, s, k, t, r, v, q),
        g.theta(f, s, k, t, r, v, q) * 365.0,  # vollib: per day -> per year
        g.vega(f, s, k, t, r, v, q) * 100.0,  # vollib: per 1 % -> per 1.00
        g.rho(f, s, k, t, r, v, q) * 100.0,  # vollib: per 1 % -> per 1.00
    ]


def vollib_black_row(kind, fwd, k, t, r, v):
    f = FLAG[kind]
    g = vollib_black_greeks
    return [
        vollib_black(f, fwd, k, t, r, v),
        g.delta(f, fwd, k, t, r, v),
        g.gamma(f, fwd, k, t, r, v),
        g.theta(f, fwd, k, t, r, v) * 365.0,  # vollib: per day -> per year
        g.vega(f, fwd, k, t, r, v) * 100.0,  # vollib: per 1 % -> per 1.00
        g.rho(f, fwd, k, t, r, v) * 100.0,  # vollib: per 1 % -> per 1.00 (= -t * price)
    ]


# ---------------------------------------------------------------------------------------------
# QuantLib


def whole_days(t: float) -> tuple[int, float]:
    days = max(1, round(t * 365.0))
    return days, DAY_COUNTER.yearFraction(TODAY, TODAY + days)


def quantlib_bsm_row(kind, s, k, t, r, q, v):
    days, t_ql = whole_days(t)
    scale = t / t_ql  # exactly 1.0 when t is a whole number of days
    spot = ql.QuoteHandle(ql.SimpleQuote(s))
    rates = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, r * scale, DAY_COUNTER, ql.Continuous))
    divs = ql.YieldTermStructureHandle(ql.FlatForward(TODAY, q * scale, DAY_COUNTER, ql.Continuous))
    vol = ql.BlackVolTermStructureHandle(
        ql.BlackConstantVol(TODAY, ql.NullCalendar(), v * math.sqrt(scale), DAY_COUNTER)
    )
    process = ql.BlackScholesMertonProcess(spot, divs, rates, vol)
    option = ql.VanillaOption(ql.PlainVanillaPayoff(QL_TYPE[kind], k), ql.EuropeanExercise(TODAY + days))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return [
        option.NPV(),
        option.delta(),
        option.gamma(),
        option.theta() / scale,  # per year already; undo the time rescaling
        option.vega() * math.sqrt(scale),  # per 1.00 already; undo the rescaling
        option.rho() * scale,  # per 1.00 already; undo the rescaling
    ]


def quantlib_black_row(kind, fwd, k, t, r, v):
    std_dev = v * math.sqrt(t)
    discount = math.exp(-r * t)
    price = ql.blackFormula(QL_TYPE[kind], k, fwd, std_dev, discount)
    calc = ql.BlackCalculator(ql.PlainVanillaPayoff(QL_TYPE[kind], k), fwd, std_dev, discount)
    return [
        price,
        calc.deltaForward(),
        calc.gammaForward(),
        calc.theta(fwd, t),  # per year; with spot = forward this is the Black-76 theta
        calc.vega(t),  # per 1.00
        -t * price,  # forward held fixed
    ]


def quantlib_iv(kind, price, fwd, k, t, r):
    try:
        std_dev = ql.blackFormulaImpliedStdDev(
            QL_TYPE[kind], k, fwd, price, math.exp(-r * t), 0.0, ql.nullDouble(), 1e-14, 1000
        )
    except RuntimeError:
        return None
    return std_dev / math.sqrt(t)


def vollib_iv(model, kind, price, under, k, t, r, q):
    try:
        if model == "bsm":
            return float(vollib_bsm_iv(price, under, k, t, r, q, FLAG[kind]))
        return float(vollib_black_iv(price, under, k, r, t, FLAG[kind]))
    except Exception:  # vollib raises its own exception types for out-of-range prices
        return None


# ---------------------------------------------------------------------------------------------
# mpmath audit: the closed forms at 40 digits


def mp_greeks(kind, s, k, t, r, q, v, black76):
    mp = mpmath.mp
    s, k, t, r, q, v = (mp.mpf(x) for x in (s, k, t, r, q, v))
    if black76:
        q = r
    sq = mp.sqrt(t)
    d1 = (mp.log(s / k) + (r - q + v * v / 2) * t) / (v * sq)
    d2 = d1 - v * sq
    th = 1 if kind == "call" else -1
    dq, dr = mp.exp(-q * t), mp.exp(-r * t)
    n1, n2 = mp.ncdf(th * d1), mp.ncdf(th * d2)
    pdf = mp.npdf(d1)
    price = th * (s * dq * n1 - k * dr * n2)
    delta = th * dq * n1
    gamma = dq * pdf / (s * v * sq)
    vega = s * dq * pdf * sq
    theta = -s * dq * pdf * v / (2 * sq) + th * (q * s * dq * n1 - r * k * dr * n2)
    rho = -t * price if black76 else th * k * t * dr * n2
    return [price, delta, gamma, theta, vega, rho]


def floor_for(name: str, scale: float) -> float:
    # Mirrors tests/oracle.rs: 1e-12 of the natural scale of each quantity.
    if name == "delta":
        return 1e-12
    if name == "gamma":
        return 1e-12 / scale
    return 1e-12 * scale


def audit(label, rows, black76):
    mpmath.mp.dps = 40
    worst = {}
    disagreements = []
    # Values off from mpmath by more than 1e-9 relative, which only the absolute floor admits.
    floored = {}
    for row in rows:
        inputs, vl, qlr = row
        kind, s, k, t, r, q, v = inputs
        # The reference rounded to f64, so that values below the f64 range compare as 0.
        exact = [mpmath.mpf(float(e)) for e in mp_greeks(kind, s, k, t, r, q, v, black76)]
        scale = max(s, k)
        for i, name in enumerate(GREEKS):
            e = exact[i]
            for oracle, values in (("vollib", vl), ("quantlib", qlr)):
                err = abs(mpmath.mpf(values[i]) - e)
                ratio = float(err / (1e-9 * abs(e) + floor_for(name, scale)))
                if err > 1e-9 * abs(e):
                    floored.setdefault(oracle, []).append((name, inputs, values[i], float(e)))
                key = (oracle, name)
                if ratio > worst.get(key, (0.0, None))[0]:
                    worst[key] = (ratio, inputs)
            a, b = vl[i], qlr[i]
            if abs(a - b) > 1e-9 * max(abs(a), abs(b)) + floor_for(name, scale):
                disagreements.append((name, inputs, a, b, float(exact[i])))
    print(f"{label}: worst error against mpmath, as a fraction of the test tolerance")
    for (oracle, name), (ratio, inputs) in sorted(worst.items()):
        print(f"  {oracle:8} {name:6} {ratio:10.3e}  at {inputs}")
    for oracle in ("vollib", "quantlib"):
        cases = floored.get(oracle, [])
        print(f"{label}: {oracle} is off from mpmath by more than 1e-9 relative (within the floor) on {len(cases)} values")
        for name, inputs, value, exact in cases[:5]:
            print(f"  {name:6} {inputs}: {value!r} vs {exact!r}")
    print(f"{label}: {len(disagreements)} oracle-vs-oracle disagreements beyond the tolerance")
    for name, inputs, a, b, e in disagreements[:40]:
        print(f"  {name:6} {inputs}: vollib {a!r} quantlib {b!r} mpmath {e!r}")


# ---------------------------------------------------------------------------------------------


def write(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        for row in rows:
            out.writerow([cell if isinstance(cell, str) else ("" if cell is None else num(cell)) for cell in row])
    print(f"wrote {path} ({len(rows)} rows, {path.stat().st_size} bytes)")


def main() -> int:
    warnings.simplefilter("ignore")
    ql.Settings.instance().evaluationDate = TODAY
    oracles = [f"vollib_{g}" for g in GREEKS] + [f"quantlib_{g}" for g in GREEKS]

    bsm_rows, bsm_audit = [], []
    for kind, s, k, t, r, q, v in cases(1, 1000, with_dividends=True):
        vl = [float(x) for x in vollib_bsm_row(kind, s, k, t, r, q, v)]
        qlr = quantlib_bsm_row(kind, s, k, t, r, q, v)
        bsm_rows.append([kind, s, k, t, r, q, v] + vl + qlr)
        bsm_audit.append(((kind, s, k, t, r, q, v), vl, qlr))
    write(
        FIXTURES / "bsm.csv",
        ["kind", "spot", "strike", "years", "rate", "dividend_yield", "vol"] + oracles,
        bsm_rows,
    )

    b76_rows, b76_audit = [], []
    for kind, f, k, t, r, _, v in cases(2, 700, with_dividends=False):
        vl = [float(x) for x in vollib_black_row(kind, f, k, t, r, v)]
        qlr = quantlib_black_row(kind, f, k, t, r, v)
        b76_rows.append([kind, f, k, t, r, v] + vl + qlr)
        b76_audit.append(((kind, f, k, t, r, r, v), vl, qlr))
    write(FIXTURES / "black76.csv", ["kind", "forward", "strike", "years", "rate", "vol"] + oracles, b76_rows)

    iv_rows = []
    stats = {"vollib": [0, 0], "quantlib": [0, 0]}
    for i, (kind, u, k, t, r, q, v) in enumerate(cases(3, 900, with_dividends=True)):
        model = "bsm" if i % 3 else "black76"
        if model == "black76":
            q = 0.0
            p_vl = float(vollib_black(FLAG[kind], u, k, t, r, v))
            p_ql = ql.blackFormula(QL_TYPE[kind], k, u, v * math.sqrt(t), math.exp(-r * t))
            fwd = u
        else:
            p_vl = float(vollib_bsm(FLAG[kind], u, k, t, r, v, q))
            p_ql = quantlib_bsm_row(kind, u, k, t, r, q, v)[0]
            fwd = u * math.exp((r - q) * t)
        iv_vl = vollib_iv(model, kind, p_vl, u, k, t, r, q)
        iv_ql = quantlib_iv(kind, p_ql, fwd, k, t, r)
        for name, iv in (("vollib", iv_vl), ("quantlib", iv_ql)):
            stats[name][0] += 1
            if iv is not None and abs(iv - v) <= 1e-8:
                stats[name][1] += 1
        iv_rows.append([model, kind, u, k, t, r, q, v, p_vl, p_ql, iv_vl, iv_ql])
    write(
        FIXTURES / "implied_vol.csv",
        [
            "model",
            "kind",
            "underlying",
            "strike",
            "years",
            "rate",
            "dividend_yield",
            "true_vol",
            "vollib_price",
            "quantlib_price",
            "vollib_iv",
            "quantlib_iv",
        ],
        iv_rows,
    )
    for name, (total, good) in stats.items():
        print(f"implied vol: {name} recovered the true vol to 1e-8 on {good} of {total} rows (all rows, in or out of the domain)")

    packages = ["py_vollib", "vollib", "lets_be_rational", "QuantLib", "numpy", "mpmath"]
    print("versions:", ", ".join(f"{p} {metadata.version(p)}" for p in packages), f"Python {sys.version.split()[0]}")
    audit("bsm", bsm_audit, black76=False)
    audit("black76", b76_audit, black76=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
