//! Buying power: maintenance margin with pending orders' reservations, the projection an order
//! must pass, and the `buying-power-effect` an order reports.
//!
//! Pending orders reserve the margin they would need filled: the maintenance reported is the
//! larger of the positions' margin and the margin of positions plus every pending order, so a
//! pending closing order never lowers it before it fills.

use model::Timestamp;
use model::order::{Instrument, Leg};
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
    holdings.extend(legs.iter().filter_map(|leg| match &leg.instrument {
        Instrument::Option(symbol) => Some(Holding {
            symbol: *symbol,
            quantity: leg.action.sign() * i64::from(leg.quantity),
        }),
        Instrument::Equity(_) => None,
    }));
}

/// The orders pending at the clock.
pub fn pending_at(ledger: &[Placed], clock: Timestamp) -> impl Iterator<Item = &Placed> {
    ledger
        .iter()
        .filter(move |placed| placed.is_pending_at(clock))
}

/// Maintenance margin at the clock: the positions', or more when pending orders reserve more.
pub fn maintenance(positions: &[Holding], ledger: &[Placed], clock: Timestamp) -> Decimal {
    let held = maintenance_margin(positions);
    let mut reserved = positions.to_vec();
    for placed in pending_at(ledger, clock) {
        with_legs(&mut reserved, &placed.order.legs);
    }
    held.max(maintenance_margin(&reserved)).normalize()
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
