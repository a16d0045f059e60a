//! Transactions: one per filled leg, one per position settled at the close.
//!
//! They are derived, never stored: fills come from the ledger, settlement from the positions
//! left at the close and the underlying's closing value, fees from the user's schedule at the
//! time of reading (a schedule change applies to every simulation, past fills included).

use model::Timestamp;
use model::fees::FeeSchedule;
use model::order::{Action, Instrument, PriceEffect};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::fees::transaction_fee;
use crate::ledger::Placed;

/// What a transaction records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A filled leg.
    Trade(Action),
    /// Settled out of the money: closed for nothing.
    Expiration,
    /// A long settled in the money.
    Exercise,
    /// A short settled in the money.
    Assignment,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Trade(action) => action.as_str(),
            Kind::Expiration => "expiration",
            Kind::Exercise => "exercise",
            Kind::Assignment => "assignment",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub id: Uuid,
    /// The order it fills; `None` for settlement, which belongs to the simulation.
    pub order_id: Option<Uuid>,
    pub at: Timestamp,
    pub instrument: Instrument,
    pub kind: Kind,
    /// Contracts or shares.
    pub quantity: u64,
    /// Dollars per contract (the option's price × its multiplier) or per share; `None` when no
    /// cash moves.
    pub price: Option<Decimal>,
    /// Dollars, signed: positive paid (a debit), negative received (a credit); `None` when no
    /// cash moves.
    pub value: Option<Decimal>,
    pub effect: Option<PriceEffect>,
    pub fees: Decimal,
    /// How the position in the instrument changes: + bought, − sold.
    pub change: i64,
}

impl Transaction {
    /// Cash paid, 0 when received or none moves.
    pub fn debit(&self) -> Decimal {
        self.value.unwrap_or_default().max(Decimal::ZERO)
    }

    /// Cash received, as a positive amount.
    pub fn credit(&self) -> Decimal {
        (-self.value.unwrap_or_default()).max(Decimal::ZERO)
    }
}

/// Every leg filled by `clock`, by fill second, then placement, then leg.
pub fn fills_by(ledger: &[Placed], clock: Timestamp, schedule: &FeeSchedule) -> Vec<Transaction> {
    let mut filled: Vec<&Placed> = ledger
        .iter()
        .filter(|placed| placed.fill_by(clock).is_some())
        .collect();
    filled.sort_by_key(|placed| placed.fill.as_ref().map(|fill| fill.at));
    filled
        .into_iter()
        .flat_map(|placed| fill_transactions(placed, schedule))
        .collect()
}

/// The transactions an order's fill books, whether or not the clock has reached it.
pub fn fill_transactions(placed: &Placed, schedule: &FeeSchedule) -> Vec<Transaction> {
    let Some(fill) = &placed.fill else {
        return Vec::new();
    };
    placed
        .order
        .legs
        .iter()
        .zip(&fill.leg_prices)
        .enumerate()
        .map(|(i, (leg, price))| {
            let per_contract = leg.instrument.dollars(*price, 1);
            let dollars = leg.instrument.dollars(*price, leg.quantity);
            let sign = leg.action.sign();
            Transaction {
                id: Uuid::new_v5(&placed.id, format!("leg|{i}").as_bytes()),
                order_id: Some(placed.id),
                at: fill.at,
                instrument: leg.instrument.clone(),
                kind: Kind::Trade(leg.action),
                quantity: u64::from(leg.quantity),
                price: Some(per_contract),
                value: Some((Decimal::from(sign) * dollars).normalize()),
                effect: Some(if leg.action.buys() {
                    PriceEffect::Debit
                } else {
                    PriceEffect::Credit
                }),
                fees: transaction_fee(schedule, &leg.instrument, leg.action, leg.quantity),
                change: sign * i64::from(leg.quantity),
            }
        })
        .collect()
}
