//! Positions, folded from transactions: quantity, premium of the open quantity (average cost),
//! realized P&L of what was closed, and the cash and fees of the position's life.
//!
//! A position lives from the trade that opens it to the one that brings it back to zero; then it
//! disappears and its realized P&L stays with the simulation. A trade that goes through zero (it
//! can only come from orders placed at different clocks) closes the position and opens the rest
//! the other way.

use std::collections::BTreeMap;

use model::order::{Direction, Instrument};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::transaction::Transaction;

/// One instrument's open position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lot {
    /// Signed: + long, − short.
    pub quantity: i64,
    /// Premium of the open quantity, excluding fees: paid for a long, received for a short.
    pub basis: Decimal,
    /// Cash paid and received over the position's life, and its fees.
    pub debit: Decimal,
    pub credit: Decimal,
    pub fees: Decimal,
    /// P&L of what was closed during the position's life, gross of fees.
    pub realized: Decimal,
}

impl Lot {
    pub fn direction(&self) -> Direction {
        if self.quantity < 0 {
            Direction::Short
        } else {
            Direction::Long
        }
    }
}

/// Open positions by instrument, and what closed positions left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Book {
    pub open: BTreeMap<Instrument, Lot>,
    /// Realized P&L of positions that went back to zero, by whether they were options.
    pub closed_realized: ClassAmounts,
}

/// An amount split by class: shares, options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassAmounts {
    pub equities: Decimal,
    pub options: Decimal,
}

impl ClassAmounts {
    pub fn add(&mut self, instrument: &Instrument, amount: Decimal) {
        match instrument {
            Instrument::Equity(_) => self.equities += amount,
            Instrument::Option(_) => self.options += amount,
        }
    }

    pub fn total(&self) -> Decimal {
        self.equities + self.options
    }
}

impl Book {
    pub fn of(transactions: &[Transaction]) -> Book {
        let mut book = Book::default();
        for transaction in transactions {
            book.apply(transaction);
        }
        book
    }

    pub fn apply(&mut self, t: &Transaction) {
        let lot = self.open.entry(t.instrument.clone()).or_default();
        let value = t.value.unwrap_or_default();
        lot.debit += t.debit();
        lot.credit += t.credit();
        lot.fees += t.fees;
        let change = t.change;
        if change == 0 {
            return;
        }
        let opens = lot.quantity == 0 || lot.quantity.signum() == change.signum();
        if opens {
            lot.quantity += change;
            lot.basis += value * Decimal::from(change.signum());
            return;
        }
        let held = lot.quantity.unsigned_abs();
        let closed = change.unsigned_abs().min(held);
        let rest = change.unsigned_abs() - closed;
        let share = |part: u64| value * Decimal::from(part) / Decimal::from(change.unsigned_abs());
        let closing_value = if rest == 0 { value } else { share(closed) };
        let removed = if closed == held {
            lot.basis
        } else {
            (lot.basis * Decimal::from(closed) / Decimal::from(held))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        };
        let sign = Decimal::from(lot.quantity.signum());
        lot.realized += -closing_value - removed * sign;
        lot.basis -= removed;
        lot.quantity += change.signum() * closed as i64;
        if lot.quantity == 0 {
            let finished = std::mem::take(lot);
            self.closed_realized.add(&t.instrument, finished.realized);
            // What the position paid and received stays in the simulation's totals, which are
            // summed from transactions; the next position in the instrument starts afresh.
            if rest > 0 {
                let lot = self.open.entry(t.instrument.clone()).or_default();
                lot.quantity = change.signum() * rest as i64;
                lot.basis = value - closing_value;
                lot.basis *= Decimal::from(change.signum());
            } else {
                self.open.remove(&t.instrument);
            }
        }
    }
}
