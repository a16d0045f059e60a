//! Settlement at the close of the options expiring that day.
//!
//! Against the underlying's closing value `U`: a call with `U ≤ K` or a put with `U ≥ K` expires
//! (no cash, no fee); otherwise a long is exercised and a short assigned. Cash-settled classes
//! (SPX, SPXW, XSP, NDX, VIX...) pay the intrinsic value × the multiplier per contract. Classes
//! that deliver shares close the option with no cash and book the shares at the strike on the
//! underlying: bought by an exercised call or an assigned put, sold by an exercised put or an
//! assigned call.
//!
//! Covered shorts are netted: shorts are paired with longs as for margin, and an in-the-money
//! short paired with an in-the-money long settles with it as one spread, so it pays no exercise
//! fee of its own. Every position still gets its own record, so every position closes.

use jiff::civil::Date;
use model::Timestamp;
use model::fees::FeeSchedule;
use model::order::{Instrument, PriceEffect};
use model::roots::{Delivery, root_info};
use model::symbol::{OptionSymbol, Right};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::fees::exercise_fee;
use crate::margin::{Holding, pair};
use crate::position::Book;
use crate::transaction::{Kind, Transaction};

/// What settles and where.
#[derive(Clone, Copy, Debug)]
pub struct Close<'a> {
    pub simulation: Uuid,
    pub date: Date,
    pub at: Timestamp,
    pub value: Decimal,
    pub schedule: &'a FeeSchedule,
}

/// The value a contract is in the money by at `value`, per share (0 out of the money).
pub fn intrinsic(symbol: &OptionSymbol, value: Decimal) -> Decimal {
    let strike = symbol.strike.to_decimal();
    match symbol.right {
        Right::Call => (value - strike).max(Decimal::ZERO),
        Right::Put => (strike - value).max(Decimal::ZERO),
    }
}

/// The settlement records of the book's options that expire on the close's date.
pub fn settle(book: &Book, close: &Close<'_>) -> Vec<Transaction> {
    let expiring: Vec<(OptionSymbol, i64)> = book
        .open
        .iter()
        .filter_map(|(instrument, lot)| match instrument {
            Instrument::Option(symbol) if symbol.expiration <= close.date && lot.quantity != 0 => {
                Some((*symbol, lot.quantity))
            }
            _ => None,
        })
        .collect();
    let netted = netted_shorts(&expiring, close.value);
    let mut records = Vec::new();
    for (symbol, quantity) in expiring {
        let contracts = quantity.unsigned_abs();
        let instrument = Instrument::Option(symbol);
        let in_the_money = intrinsic(&symbol, close.value);
        let id = |what: &str| {
            Uuid::new_v5(
                &close.simulation,
                format!("settlement|{instrument}|{what}").as_bytes(),
            )
        };
        let mut record = Transaction {
            id: id("option"),
            order_id: None,
            at: close.at,
            instrument: instrument.clone(),
            kind: Kind::Expiration,
            quantity: contracts,
            price: None,
            value: None,
            effect: None,
            fees: Decimal::ZERO,
            change: -quantity,
        };
        if in_the_money.is_zero() {
            records.push(record);
            continue;
        }
        let long = quantity > 0;
        record.kind = if long {
            Kind::Exercise
        } else {
            Kind::Assignment
        };
        if long || !netted.contains(&symbol) {
            record.fees = exercise_fee(close.schedule);
        }
        let info = root_info(symbol.root.as_str());
        let multiplier = Decimal::from(info.multiplier);
        match info.delivery {
            Delivery::Cash => {
                let per_contract = (in_the_money * multiplier).normalize();
                let paid = per_contract * Decimal::from(contracts);
                record.price = Some(per_contract);
                // The long receives, the short pays.
                record.value = Some(if long { -paid } else { paid }.normalize());
                record.effect = Some(if long {
                    PriceEffect::Credit
                } else {
                    PriceEffect::Debit
                });
                records.push(record);
            }
            Delivery::Physical => {
                records.push(record);
                let shares = contracts * u64::from(info.multiplier);
                // A call's holder buys at the strike, a put's holder sells; the writer does the
                // opposite.
                let buys = (symbol.right == Right::Call) == long;
                let strike = symbol.strike.to_decimal().normalize();
                let dollars = (strike * Decimal::from(shares)).normalize();
                let signed = i64::try_from(shares).unwrap_or(i64::MAX);
                records.push(Transaction {
                    id: id("delivery"),
                    order_id: None,
                    at: close.at,
                    instrument: Instrument::Equity(info.underlying.to_string()),
                    kind: if long {
                        Kind::Exercise
                    } else {
                        Kind::Assignment
                    },
                    quantity: shares,
                    price: Some(strike),
                    value: Some(if buys { dollars } else { -dollars }),
                    effect: Some(if buys {
                        PriceEffect::Debit
                    } else {
                        PriceEffect::Credit
                    }),
                    fees: Decimal::ZERO,
                    change: if buys { signed } else { -signed },
                });
            }
        }
    }
    records
}

/// Shorts in the money whose every contract pairs with a long in the money.
fn netted_shorts(expiring: &[(OptionSymbol, i64)], value: Decimal) -> Vec<OptionSymbol> {
    let holdings: Vec<Holding> = expiring
        .iter()
        .map(|(symbol, quantity)| Holding {
            symbol: *symbol,
            quantity: *quantity,
        })
        .collect();
    let pairing = pair(&holdings);
    let itm = |s: &OptionSymbol| !intrinsic(s, value).is_zero();
    expiring
        .iter()
        .filter(|(symbol, quantity)| *quantity < 0 && itm(symbol))
        .filter(|(symbol, quantity)| {
            let covered: u64 = pairing
                .pairs
                .iter()
                .filter(|(long, short, _)| short == symbol && itm(long))
                .map(|(_, _, n)| n)
                .sum();
            covered >= quantity.unsigned_abs()
        })
        .map(|(symbol, _)| *symbol)
        .collect()
}
