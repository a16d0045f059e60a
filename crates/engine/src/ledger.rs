//! A simulation's ledger: the orders placed, in the order they were placed, each with the fill
//! worked out when it was placed.
//!
//! The past is fully known in a replay, so an order's whole future is decided at placement: the
//! second it fills (or that it never does) and at what prices. Nothing is stored about the clock:
//! whether an order is pending or filled, and which transactions are visible, follow from the
//! clock at which the ledger is read ([`Placed::status`]). Moving the clock back and forth
//! therefore returns exactly the same state.

use model::Timestamp;
use model::order::{OrderType, PriceEffect, units};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::fill::{Net, execution_price};
use crate::order::Order;

/// When and at what an order fills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fill {
    pub at: Timestamp,
    /// Per unit, signed: positive a debit.
    pub net: Net,
    /// Each leg's booked price per share, in leg order; `Σ sign × ratio × price = net`.
    pub leg_prices: Vec<Decimal>,
}

/// An order in the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub id: Uuid,
    /// The simulation's clock when it was placed.
    pub placed_at: Timestamp,
    pub order: Order,
    /// The user's slippage when it was placed (0 for market orders).
    pub slippage: Decimal,
    /// `None` when it never fills during the session.
    pub fill: Option<Fill>,
}

/// An order's state at a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pending,
    Filled,
    /// Never filled, with the clock at the session's end.
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Filled => "filled",
            Status::Expired => "expired",
        }
    }
}

impl Placed {
    /// The fill, once the clock has reached it. Before that nothing about it may be shown: the
    /// client would read the future.
    pub fn fill_by(&self, clock: Timestamp) -> Option<&Fill> {
        self.fill.as_ref().filter(|fill| fill.at <= clock)
    }

    /// Placed at or before the clock: only such orders affect the account.
    pub fn is_placed_by(&self, clock: Timestamp) -> bool {
        self.placed_at <= clock
    }

    /// Placed by the clock and not filled by it: it reserves buying power.
    pub fn is_pending_at(&self, clock: Timestamp) -> bool {
        self.is_placed_by(clock) && self.fill_by(clock).is_none()
    }

    pub fn status(&self, clock: Timestamp, end: Timestamp) -> Status {
        if self.fill_by(clock).is_some() {
            Status::Filled
        } else if clock >= end {
            Status::Expired
        } else {
            Status::Pending
        }
    }

    /// The level the order had to reach to fill: a limit less the slippage added to its fill,
    /// a stop's trigger, a market order's fill.
    pub fn execution_price(&self) -> Option<Net> {
        let effect = self.order.price_effect.unwrap_or(PriceEffect::Debit);
        match self.order.order_type {
            OrderType::Limit => {
                let (limit, _) = self.order.price.as_ref()?;
                Some(execution_price(Net::of(*limit, effect), self.slippage))
            }
            OrderType::Stop => {
                let (trigger, _) = self.order.stop_trigger.as_ref()?;
                Some(Net::of(*trigger, effect))
            }
            OrderType::Market => self.fill.as_ref().map(|fill| fill.net),
        }
    }

    /// The premium it would pay (positive) or receive (negative) in dollars were it to fill at
    /// what it asks: its limit, a stop's trigger with the slippage, else its fill.
    pub fn projected_dollars(&self) -> Decimal {
        let effect = self.order.price_effect.unwrap_or(PriceEffect::Debit);
        let per_unit = match self.order.order_type {
            OrderType::Limit => self.order.price.as_ref().map(|(p, _)| Net::of(*p, effect)),
            // A stop fills at the mid once triggered, with the slippage on top.
            OrderType::Stop => self
                .order
                .stop_trigger
                .as_ref()
                .map(|(p, _)| Net(Net::of(*p, effect).0 + self.slippage)),
            OrderType::Market => None,
        };
        match (per_unit, &self.fill) {
            (Some(net), _) => unit_dollars(&self.order, net),
            (None, Some(fill)) => fill_dollars(&self.order, fill),
            (None, None) => Decimal::ZERO,
        }
    }
}

/// Dollars of `net` per unit over all the order's units, at its legs' multiplier.
pub fn unit_dollars(order: &Order, net: Net) -> Decimal {
    let multiplier = order
        .legs
        .first()
        .map_or(1, |leg| leg.instrument.multiplier());
    net.0 * Decimal::from(units(&order.legs)) * Decimal::from(multiplier)
}

/// Signed dollars the fill moves: positive paid, negative received.
pub fn fill_dollars(order: &Order, fill: &Fill) -> Decimal {
    order
        .legs
        .iter()
        .zip(&fill.leg_prices)
        .map(|(leg, price)| {
            Decimal::from(leg.action.sign()) * leg.instrument.dollars(*price, leg.quantity)
        })
        .sum()
}

/// Whether deleting `ledger[index]` would pull the ground from under later orders: orders placed
/// after it, at or after the second it filled, were checked against an account that held its
/// fill (its positions, its cash). An order that never fills only reserved buying power, and
/// later orders were checked with that reservation, so deleting it leaves them valid.
pub fn has_dependents(ledger: &[Placed], index: usize) -> bool {
    let Some(fill) = ledger.get(index).and_then(|placed| placed.fill.as_ref()) else {
        return false;
    };
    ledger[index + 1..]
        .iter()
        .any(|later| later.placed_at >= fill.at)
}
