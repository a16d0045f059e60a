//! Agreement with independent libraries, from committed fixtures (no Python at test time).
//!
//! The fixtures in `tests/fixtures/` are made by `scripts/make_oracle_fixtures.py` with vollib
//! (Jaeckel's Let's Be Rational and vollib's analytical Greeks) and QuantLib
//! (AnalyticEuropeanEngine on a BlackScholesMertonProcess with flat curves; the blackFormula family
//! for Black-76), converted to this crate's units (theta per year, vega and rho per 1.00).
//!
//! # Tolerance
//!
//! Every price and Greek must satisfy |ours − oracle| ≤ 1e-9·|oracle| + floor, where the floor is
//! 1e-12 of the natural scale of the quantity: with L = max(underlying, strike), the floor is
//! 1e-12·L for price, theta, vega and rho (currency amounts, per year or per unit of vol or rate),
//! 1e-12 for delta (a pure number) and 1e-12/L for gamma (per unit of underlying squared).
//!
//! Why a floor: relative agreement means nothing for a value that is essentially zero. A deep
//! out-of-the-money price of 1e-30 is correct to every digit here and in vollib, but QuantLib
//! computes it as A·N(d1) − B·N(d2), and its normal distribution is accurate to about 1e-7
//! relative near N = 1e-8; both put its absolute error near 1e-16·L, a millionth of the floor.
//! Likewise a theta of q·S − r·K that nearly cancels is known only to ~1e-16·r·L in any library.
//! 1e-12·L is a thousand times above those rounding levels and a billionth of a cent on a $10,000
//! contract, so the floor never hides a real disagreement.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use pricing::{
    Greeks, ImpliedVolError, OptionKind, black76_greeks, black76_implied_vol,
    black76_implied_vol_is_recoverable, bsm_greeks, bsm_implied_vol,
    bsm_implied_vol_is_recoverable,
};

const RELATIVE: f64 = 1e-9;
const FLOOR: f64 = 1e-12;
const IV_TOLERANCE: f64 = 1e-8;
const NAMES: [&str; 6] = ["price", "delta", "gamma", "theta", "vega", "rho"];

struct Table {
    header: HashMap<String, usize>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn load(name: &str) -> Table {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text.lines();
        let header = lines
            .next()
            .expect("header")
            .split(',')
            .enumerate()
            .map(|(i, h)| (h.to_string(), i))
            .collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        Table { header, rows }
    }

    fn cell<'a>(&self, row: &'a [String], column: &str) -> &'a str {
        let i = *self
            .header
            .get(column)
            .unwrap_or_else(|| panic!("no column {column}"));
        &row[i]
    }

    fn num(&self, row: &[String], column: &str) -> f64 {
        let cell = self.cell(row, column);
        cell.parse()
            .unwrap_or_else(|e| panic!("{column} = {cell:?}: {e}"))
    }

    fn maybe(&self, row: &[String], column: &str) -> Option<f64> {
        let cell = self.cell(row, column);
        (!cell.is_empty()).then(|| self.num(row, column))
    }

    fn kind(&self, row: &[String]) -> OptionKind {
        match self.cell(row, "kind") {
            "call" => OptionKind::Call,
            "put" => OptionKind::Put,
            other => panic!("kind {other:?}"),
        }
    }

    fn greeks(&self, row: &[String], oracle: &str) -> [f64; 6] {
        NAMES.map(|name| self.num(row, &format!("{oracle}_{name}")))
    }
}

fn values(g: &Greeks) -> [f64; 6] {
    [g.price, g.delta, g.gamma, g.theta, g.vega, g.rho]
}

fn floor(name: &str, scale: f64) -> f64 {
    match name {
        "delta" => FLOOR,
        "gamma" => FLOOR / scale,
        _ => FLOOR * scale,
    }
}

/// Compares every row against both oracles; returns how many comparisons were made.
fn check_table(table: &Table, underlying: &str, ours: impl Fn(&[String]) -> Greeks) -> usize {
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut worst = 0.0f64;
    // Comparisons that only the absolute floor admits (beyond 1e-9 relative), per oracle.
    let mut floored: HashMap<&str, usize> = HashMap::new();
    for row in &table.rows {
        let scale = table.num(row, underlying).max(table.num(row, "strike"));
        let mine = values(&ours(row));
        for oracle in ["vollib", "quantlib"] {
            let theirs = table.greeks(row, oracle);
            for (i, name) in NAMES.iter().enumerate() {
                let (a, b) = (mine[i], theirs[i]);
                let allowed = RELATIVE * b.abs() + floor(name, scale);
                let used = (a - b).abs() / allowed;
                worst = worst.max(used);
                compared += 1;
                if (a - b).abs() > RELATIVE * b.abs() {
                    *floored.entry(oracle).or_default() += 1;
                }
                if used.is_nan() || used > 1.0 {
                    failures.push(format!(
                        "{oracle} {name}: ours {a:e} theirs {b:e} ({used:.2}x tolerance) in {row:?}"
                    ));
                }
            }
        }
    }
    eprintln!(
        "{} rows, {compared} comparisons; worst used {:.3} of the tolerance; \
         admitted only by the floor: {floored:?}",
        table.rows.len(),
        worst
    );
    assert!(
        failures.is_empty(),
        "{} disagreements, first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    compared
}

#[test]
fn bsm_prices_and_greeks_agree_with_vollib_and_quantlib() {
    let table = Table::load("bsm.csv");
    assert!(table.rows.len() >= 500, "fixture too small");
    let compared = check_table(&table, "spot", |row| {
        bsm_greeks(
            table.kind(row),
            table.num(row, "spot"),
            table.num(row, "strike"),
            table.num(row, "years"),
            table.num(row, "rate"),
            table.num(row, "dividend_yield"),
            table.num(row, "vol"),
        )
    });
    assert_eq!(compared, table.rows.len() * 12);
}

#[test]
fn black76_prices_and_greeks_agree_with_vollib_and_quantlib() {
    let table = Table::load("black76.csv");
    assert!(table.rows.len() >= 300, "fixture too small");
    let compared = check_table(&table, "forward", |row| {
        black76_greeks(
            table.kind(row),
            table.num(row, "forward"),
            table.num(row, "strike"),
            table.num(row, "years"),
            table.num(row, "rate"),
            table.num(row, "vol"),
        )
    });
    assert_eq!(compared, table.rows.len() * 12);
}

/// Our implied volatility of the price at the true vol recovers the true vol to 1e-8 on every row
/// inside the documented domain; outside it the answer is still defined (a finite, non-negative
/// vol or an error), never NaN.
///
/// The price is vollib's (Let's Be Rational, accurate to a few units in the last place; the
/// script's audit checks it against 40-digit mpmath). QuantLib's price is inverted too, but it is
/// only required to give back the true vol where it is itself accurate enough to determine it:
/// within a quarter of 1e-8·vega of the accurate price. In the far tails QuantLib's price is off by
/// up to ~1e-15 of the strike (it is A·N(d1) − B·N(d2) with a normal distribution accurate to
/// ~1e-7 relative near 1e-8; it even comes out 0 or negative), which the price tolerance allows
/// but which moves the implied vol of a price of 1e-14 by much more than 1e-8.
#[test]
fn implied_vol_recovers_the_true_vol() {
    let table = Table::load("implied_vol.csv");
    let mut in_domain = 0;
    let mut quantlib_checked = 0;
    let mut failures = Vec::new();
    let mut worst = 0.0f64;
    let mut oracle_recovered = HashMap::new();
    for row in &table.rows {
        let kind = table.kind(row);
        let (u, k, t, r, q, vol) = (
            table.num(row, "underlying"),
            table.num(row, "strike"),
            table.num(row, "years"),
            table.num(row, "rate"),
            table.num(row, "dividend_yield"),
            table.num(row, "true_vol"),
        );
        type Implied = Box<dyn Fn(f64) -> Result<f64, ImpliedVolError>>;
        let (recoverable, vega, implied): (bool, f64, Implied) = match table.cell(row, "model") {
            "bsm" => (
                bsm_implied_vol_is_recoverable(kind, u, k, t, r, q, vol),
                bsm_greeks(kind, u, k, t, r, q, vol).vega,
                Box::new(move |p| bsm_implied_vol(kind, p, u, k, t, r, q)),
            ),
            "black76" => (
                black76_implied_vol_is_recoverable(kind, u, k, t, r, vol),
                black76_greeks(kind, u, k, t, r, vol).vega,
                Box::new(move |p| black76_implied_vol(kind, p, u, k, t, r)),
            ),
            other => panic!("model {other:?}"),
        };
        let accurate = table.num(row, "vollib_price");
        for oracle in ["vollib", "quantlib"] {
            let price = table.num(row, &format!("{oracle}_price"));
            let result = implied(price);
            if let Ok(iv) = result {
                assert!(
                    iv.is_finite() && iv >= 0.0,
                    "{oracle} price {price}: iv {iv} in {row:?}"
                );
            }
            let determines = (price - accurate).abs() <= 0.25 * IV_TOLERANCE * vega;
            if !(recoverable && determines) {
                continue;
            }
            quantlib_checked += usize::from(oracle == "quantlib");
            let error = result.map_or(f64::INFINITY, |iv| (iv - vol).abs());
            worst = worst.max(error);
            if error.is_nan() || error > IV_TOLERANCE {
                failures.push(format!(
                    "{oracle} price {price:e}: {result:?}, true {vol} in {row:?}"
                ));
            }
            let theirs = table.maybe(row, &format!("{oracle}_iv"));
            let entry = oracle_recovered.entry(oracle).or_insert((0, 0));
            entry.1 += 1;
            if theirs.is_some_and(|iv| (iv - vol).abs() <= IV_TOLERANCE) {
                entry.0 += 1;
            }
        }
        in_domain += usize::from(recoverable);
    }
    eprintln!(
        "{} rows, {in_domain} in the recoverable domain, {quantlib_checked} of them with a QuantLib price \
         accurate enough to check; worst error {worst:e}; each oracle's own implied vol within 1e-8 on \
         the rows checked (recovered, checked): {oracle_recovered:?}",
        table.rows.len()
    );
    assert!(in_domain >= 400, "only {in_domain} rows in the domain");
    assert!(
        quantlib_checked >= 400,
        "only {quantlib_checked} QuantLib prices checked"
    );
    assert!(
        failures.is_empty(),
        "{} failures, first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
