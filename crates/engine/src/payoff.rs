//! A structure's payoff at expiry, and the cap it puts on a limit price.
//!
//! Per unit, `P(S) = Σ sign × ratio × intrinsic(S)` for the underlying at `S ≥ 0`. `P` is
//! piecewise linear with kinks at the strikes, so its extremes lie at `S = 0`, at a strike, or
//! past the highest strike where it runs off with the calls' net slope. No limit price can be
//! worth more than the whole range of `P`: a vertical's width, an iron condor's wider wing, a
//! long put's strike. Where `P` is unbounded (a net long or short call), or the legs expire on
//! different days or trade shares, there is no cap.

use model::order::Leg;
use model::symbol::{OptionSymbol, Right};
use rust_decimal::Decimal;

/// The largest net price per unit a limit order on `legs` may name; `None` when there is no cap.
pub fn max_profit(legs: &[Leg], ratios: &[u32]) -> Option<Decimal> {
    let options: Vec<(&OptionSymbol, i64)> = legs
        .iter()
        .zip(ratios)
        .map(|(leg, ratio)| {
            Some((
                leg.instrument.option()?,
                leg.action.sign() * i64::from(*ratio),
            ))
        })
        .collect::<Option<_>>()?;
    let expiration = options.first()?.0.expiration;
    if options.iter().any(|(s, _)| s.expiration != expiration) {
        return None;
    }
    let call_slope: i64 = options
        .iter()
        .filter(|(s, _)| s.right == Right::Call)
        .map(|(_, w)| w)
        .sum();
    if call_slope != 0 {
        return None;
    }
    let payoff = |underlying: Decimal| -> Decimal {
        options
            .iter()
            .map(|(symbol, weight)| Decimal::from(*weight) * intrinsic(symbol, underlying))
            .sum()
    };
    let points =
        std::iter::once(Decimal::ZERO).chain(options.iter().map(|(s, _)| s.strike.to_decimal()));
    let values: Vec<Decimal> = points.map(payoff).collect();
    let high = values.iter().max()?;
    let low = values.iter().min()?;
    Some((high - low).normalize())
}

fn intrinsic(symbol: &OptionSymbol, underlying: Decimal) -> Decimal {
    let strike = symbol.strike.to_decimal();
    match symbol.right {
        Right::Call => (underlying - strike).max(Decimal::ZERO),
        Right::Put => (strike - underlying).max(Decimal::ZERO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::option_leg as leg;
    use model::order::{Action, Instrument, ratios};
    use rust_decimal::dec;

    fn cap(legs: &[Leg]) -> Option<Decimal> {
        max_profit(legs, &ratios(legs))
    }

    #[test]
    fn defined_risk_structures_are_capped_by_their_payoff_range() {
        use Action::*;
        let credit_vertical = [
            leg("SPXW250115P05900000", SellToOpen, 1),
            leg("SPXW250115P05895000", BuyToOpen, 1),
        ];
        assert_eq!(cap(&credit_vertical), Some(dec!(5)));
        // Two units of the same vertical: still per unit.
        let two = [
            leg("SPXW250115C05950000", BuyToOpen, 2),
            leg("SPXW250115C05970000", SellToOpen, 2),
        ];
        assert_eq!(cap(&two), Some(dec!(20)));
        let condor = [
            leg("SPXW250115P05880000", BuyToOpen, 1),
            leg("SPXW250115P05890000", SellToOpen, 1),
            leg("SPXW250115C06000000", SellToOpen, 1),
            leg("SPXW250115C06020000", BuyToOpen, 1),
        ];
        assert_eq!(cap(&condor), Some(dec!(20)), "the wider wing");
        assert_eq!(
            cap(&[leg("SPXW250115P05950000", BuyToOpen, 1)]),
            Some(dec!(5950))
        );
        assert_eq!(
            cap(&[leg("SPXW250115P05950000", SellToOpen, 1)]),
            Some(dec!(5950))
        );
    }

    #[test]
    fn unbounded_and_mixed_structures_have_no_cap() {
        use Action::*;
        assert_eq!(cap(&[leg("SPXW250115C05950000", BuyToOpen, 1)]), None);
        let backspread = [
            leg("SPXW250115C05950000", SellToOpen, 1),
            leg("SPXW250115C05970000", BuyToOpen, 2),
        ];
        assert_eq!(cap(&backspread), None);
        let calendar = [
            leg("SPXW250115C05950000", SellToOpen, 1),
            leg("SPXW250116C05950000", BuyToOpen, 1),
        ];
        assert_eq!(cap(&calendar), None);
        let covered = [
            Leg {
                instrument: Instrument::Equity("SPY".into()),
                quantity: 100,
                action: BuyToOpen,
            },
            leg("SPY250117C00600000", SellToOpen, 1),
        ];
        assert_eq!(cap(&covered), None);
    }
}
