//! Buying power: maintenance margin with pending orders' reservations, the projection an order
//! must pass, and the `buying-power-effect` an order reports.
//!
//! Pending orders reserve the margin of the worst case of their filling: every pending sale of a
//! long has filled (so it no longer covers anything), no pending purchase that closes a short has,
//! and each pending order's opening legs stand on their own, covering only each other. Legs of
//! one order fill together, so a credit vertical reserves its width; but a pending long never
//! covers another order's short, and two pending shorts never lean on the same long, since
//! either could fill without the other. Whatever subset of the pending orders fills, in whatever
//! order, the margin then is at most this reservation (a property test checks every subset).

use model::Timestamp;
use model::order::{Action, Instrument, Leg};
use rust_decimal::Decimal;

use crate::ledger::Placed;
use crate::margin::{Holding, maintenance_margin};
use crate::position::Book;

/// The book's option positions as margin holdings.
pub fn holdings(book: &Book) -> Vec<Holding> {
    book.open
        .iter()
        .filter_map(|(instrument, lot)| {
            instrument.option().map(|symbol| Holding {
                symbol: *symbol,
                quantity: lot.quantity,
            })
        })
        .collect()
}

/// Adds legs to holdings as if they had filled.
pub fn with_legs(holdings: &mut Vec<Holding>, legs: &[Leg]) {
    holdings.extend(legs.iter().filter_map(holding));
}

fn holding(leg: &Leg) -> Option<Holding> {
    match &leg.instrument {
        Instrument::Option(symbol) => Some(Holding {
            symbol: *symbol,
            quantity: leg.action.sign() * i64::from(leg.quantity),
        }),
        Instrument::Equity(_) => None,
    }
}

/// The orders pending at the clock: placed by it and not filled by it, while the session runs
/// (at the close an order that never filled has expired and reserves nothing).
pub fn pending_at(
    ledger: &[Placed],
    clock: Timestamp,
    end: Timestamp,
) -> impl Iterator<Item = &Placed> {
    ledger
        .iter()
        .filter(move |placed| clock < end && placed.is_pending_at(clock))
}

/// The margin reserved by `positions` with `pending` orders not yet filled: see the module
/// documentation for the worst case it covers.
pub fn reserved_margin<'a>(
    positions: &[Holding],
    pending: impl IntoIterator<Item = &'a [Leg]>,
) -> Decimal {
    let mut uncovered = positions.to_vec();
    let mut standalone = Decimal::ZERO;
    for legs in pending {
        uncovered.extend(
            legs.iter()
                .filter(|leg| leg.action == Action::SellToClose)
                .filter_map(holding),
        );
        let opening: Vec<Holding> = legs
            .iter()
            .filter(|leg| leg.action.opens())
            .filter_map(holding)
            .collect();
        standalone += maintenance_margin(&opening);
    }
    (maintenance_margin(&uncovered) + standalone).normalize()
}

/// Maintenance margin at the clock: the positions' with what the pending orders reserve.
pub fn maintenance(
    positions: &[Holding],
    ledger: &[Placed],
    clock: Timestamp,
    end: Timestamp,
) -> Decimal {
    reserved_margin(
        positions,
        pending_at(ledger, clock, end).map(|placed| placed.order.legs.as_slice()),
    )
}

/// How an order changes buying power, as if it filled. Amounts are signed: positive consumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    /// Maintenance margin with the order less without it (both over positions and pending).
    pub margin_change: Decimal,
    /// margin change + premium paid − premium received + estimated fees.
    pub change: Decimal,
    /// Available buying power before the order.
    pub current: Decimal,
    /// current − change.
    pub new: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::symbol::OptionSymbol;
    use proptest::prelude::*;

    fn symbol(strike: u32, call: bool) -> OptionSymbol {
        let right = if call { 'C' } else { 'P' };
        OptionSymbol::parse(&format!("SPXW250115{right}{:08}", strike * 1000)).unwrap()
    }

    fn leg(strike: u32, call: bool, action: Action, quantity: u32) -> Leg {
        Leg {
            instrument: Instrument::Option(symbol(strike, call)),
            quantity,
            action,
        }
    }

    /// Positions and pending orders whose closing legs close no more than is held (as the
    /// placement checks ensure).
    fn book() -> impl Strategy<Value = (Vec<Holding>, Vec<Vec<Leg>>)> {
        let strikes = prop::sample::select(vec![5900u32, 5920, 5950, 5970, 6000]);
        let position = (strikes.clone(), any::<bool>(), -3i64..=3);
        let opening = (strikes, any::<bool>(), any::<bool>(), 1u32..=3);
        (
            prop::collection::vec(position, 0..4),
            prop::collection::vec(prop::collection::vec(opening, 1..=3), 0..5),
            prop::collection::vec((0usize..4, 1u32..=2), 0..3),
        )
            .prop_map(|(positions, orders, closes)| {
                let mut held = std::collections::BTreeMap::<OptionSymbol, i64>::new();
                for (strike, call, quantity) in positions {
                    *held.entry(symbol(strike, call)).or_default() += quantity;
                }
                held.retain(|_, q| *q != 0);
                let holdings: Vec<Holding> = held
                    .iter()
                    .map(|(s, q)| Holding {
                        symbol: *s,
                        quantity: *q,
                    })
                    .collect();
                // Opening legs never go against a position or a pending opening leg the other
                // way (the placement checks refuse them).
                let mut side: std::collections::BTreeMap<OptionSymbol, i64> =
                    held.iter().map(|(s, q)| (*s, q.signum())).collect();
                let mut pending: Vec<Vec<Leg>> = orders
                    .into_iter()
                    .map(|legs| {
                        let mut seen = std::collections::BTreeSet::new();
                        legs.into_iter()
                            .filter(|(strike, call, _, _)| seen.insert((*strike, *call)))
                            .filter(|(strike, call, buy, _)| {
                                let sign = if *buy { 1 } else { -1 };
                                *side.entry(symbol(*strike, *call)).or_insert(sign) == sign
                            })
                            .map(|(strike, call, buy, quantity)| {
                                let action = if buy {
                                    Action::BuyToOpen
                                } else {
                                    Action::SellToOpen
                                };
                                leg(strike, call, action, quantity)
                            })
                            .collect::<Vec<Leg>>()
                    })
                    .filter(|legs| !legs.is_empty())
                    .collect();
                // Closing orders, each within what is left to close.
                let mut left = held.clone();
                for (pick, quantity) in closes {
                    let count = left.len().max(1);
                    let Some((s, q)) = left.iter_mut().nth(pick % count) else {
                        continue;
                    };
                    let quantity = i64::from(quantity).min(q.abs());
                    if quantity == 0 {
                        continue;
                    }
                    let action = if *q > 0 {
                        Action::SellToClose
                    } else {
                        Action::BuyToClose
                    };
                    *q -= q.signum() * quantity;
                    pending.push(vec![Leg {
                        instrument: Instrument::Option(*s),
                        quantity: quantity as u32,
                        action,
                    }]);
                }
                (holdings, pending)
            })
    }

    proptest! {
        /// Whichever pending orders fill, the margin then is at most what they reserve.
        #[test]
        fn the_reservation_covers_every_subset_of_pending_orders((positions, pending) in book()) {
            let reserved = reserved_margin(&positions, pending.iter().map(Vec::as_slice));
            prop_assert!(reserved >= maintenance_margin(&positions));
            for subset in 0u32..(1 << pending.len()) {
                let mut filled = positions.clone();
                for (i, legs) in pending.iter().enumerate() {
                    if subset & (1 << i) != 0 {
                        with_legs(&mut filled, legs);
                    }
                }
                let margin = maintenance_margin(&filled);
                prop_assert!(
                    margin <= reserved,
                    "subset {subset:b} needs {margin}, {reserved} reserved"
                );
            }
        }
    }

    #[test]
    fn a_pending_long_never_covers_another_orders_short() {
        let long = [leg(5950, false, Action::BuyToOpen, 1)];
        let short = [leg(5900, false, Action::SellToOpen, 1)];
        // Either could fill alone: the short needs its naked margin.
        assert_eq!(
            reserved_margin(&[], [&long[..], &short[..]]),
            maintenance_margin(&[Holding {
                symbol: symbol(5900, false),
                quantity: -1
            }])
        );
        // In one order the legs fill together: a debit put spread needs nothing.
        let spread = [long[0].clone(), short[0].clone()];
        assert_eq!(reserved_margin(&[], [&spread[..]]), Decimal::ZERO);
    }
}
