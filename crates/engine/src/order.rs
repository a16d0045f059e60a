//! An order as submitted, checked in the simulator's documented order up to the checks that need
//! no market: the type and legs' shape, the fields each type requires, the price grid, and the
//! maximum-profit cap. The first failure is the answer, as one plain sentence.
//!
//! Market data, stop immediacy and buying power come after, against the simulation's clock.

use std::collections::HashSet;
use std::fmt;

use model::money::parse_decimal;
use model::order::{Action, Instrument, Leg, OrderType, PriceEffect, ratios};
use model::roots::root_info;
use model::symbol::{OptionSymbol, is_ticker};
use rust_decimal::Decimal;

use crate::payoff::max_profit;
use model::grid::Grid;

/// Legs an order may have at most.
pub const MAX_LEGS: usize = 8;

/// The largest price or trigger per unit: far above any listed option or share, and small
/// enough that no amount an order can move overflows.
pub const MAX_PRICE: Decimal = rust_decimal::dec!(1000000);

/// The largest leg ratio (a leg's quantity over the legs' greatest common divisor). Ratio
/// spreads go 1×2, 2×3; beyond this the booking of a fill's rounding across legs that share no
/// divisor would move leg prices by more than the fill itself.
pub const MAX_RATIO: u32 = 100;

/// An order's fields as text, the way they arrive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderRequest {
    pub order_type: String,
    pub price: Option<String>,
    pub price_effect: Option<String>,
    pub stop_trigger: Option<String>,
    pub legs: Vec<LegRequest>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LegRequest {
    pub instrument: String,
    pub quantity: String,
    pub action: String,
}

/// An order that passed the checks a market is not needed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub order_type: OrderType,
    /// The limit per unit, with the text submitted (echoed back as written: `10.50`).
    pub price: Option<(Decimal, String)>,
    pub price_effect: Option<PriceEffect>,
    pub stop_trigger: Option<(Decimal, String)>,
    pub legs: Vec<Leg>,
}

/// Why an order was refused: a sentence for the trader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection(pub String);

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejection {}

fn reject<T>(reason: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection(reason.into()))
}

impl OrderRequest {
    /// Steps 1 to 4 of the validation order: shape, required fields, ticks, maximum profit.
    pub fn check(&self) -> Result<Order, Rejection> {
        let order_type = self.shape()?;
        let legs = self.legs()?;
        if ratios(&legs).iter().any(|ratio| *ratio > MAX_RATIO) {
            return reject(format!(
                "leg ratios may be at most {MAX_RATIO}: divide the quantities by a common factor"
            ));
        }
        if legs.len() != 1 && order_type != OrderType::Limit {
            return reject(format!(
                "{} orders must have exactly one leg",
                order_type.as_str()
            ));
        }
        // Required fields.
        let price = match (&self.price, order_type) {
            (None, OrderType::Limit) => return reject("price is required for limit orders"),
            (Some(text), OrderType::Limit) => Some((amount("price", text)?, text.clone())),
            _ => None,
        };
        let stop_trigger = match (&self.stop_trigger, order_type) {
            (None, OrderType::Stop) => return reject("stop_trigger is required for stop orders"),
            (Some(text), OrderType::Stop) => Some((amount("stop_trigger", text)?, text.clone())),
            _ => None,
        };
        let price_effect = match (&self.price_effect, order_type) {
            (None, OrderType::Limit | OrderType::Stop) => {
                return reject("price_effect is required for limit and stop orders");
            }
            (Some(text), OrderType::Limit | OrderType::Stop) => Some(
                PriceEffect::parse(text)
                    .ok_or_else(|| Rejection(format!("invalid price_effect: {text}")))?,
            ),
            _ => None,
        };
        // Ticks.
        let grid = Grid::of_order(&legs);
        for (name, value) in [("price", &price), ("stop_trigger", &stop_trigger)] {
            if let Some((value, text)) = value
                && !grid.contains(*value)
            {
                return reject(format!(
                    "{name} {text} is not a valid {} tick ({})",
                    class_name(&legs),
                    grid.tick_at(*value)
                ));
            }
        }
        // Maximum profit.
        if let Some((limit, _)) = &price
            && let Some(cap) = max_profit(&legs, &ratios(&legs))
            && *limit > cap
        {
            return reject(format!(
                "limit price exceeds the order's maximum profit of {:.2}",
                cap
            ));
        }
        Ok(Order {
            order_type,
            price,
            price_effect,
            stop_trigger,
            legs,
        })
    }

    fn shape(&self) -> Result<OrderType, Rejection> {
        let Some(order_type) = OrderType::parse(&self.order_type) else {
            return reject("invalid order type");
        };
        if self.legs.is_empty() {
            return reject("order must have at least one leg");
        }
        if self.legs.len() > MAX_LEGS {
            return reject(format!("an order may have at most {MAX_LEGS} legs"));
        }
        Ok(order_type)
    }

    fn legs(&self) -> Result<Vec<Leg>, Rejection> {
        let mut seen = HashSet::new();
        let mut legs = Vec::with_capacity(self.legs.len());
        for leg in &self.legs {
            let instrument = parse_instrument(&leg.instrument)
                .ok_or_else(|| Rejection(format!("invalid instrument: {}", leg.instrument)))?;
            let action = Action::parse(&leg.action)
                .ok_or_else(|| Rejection(format!("invalid leg action: {}", leg.action)))?;
            let quantity = parse_quantity(&leg.quantity)
                .ok_or_else(|| Rejection("invalid quantity".into()))?;
            if !seen.insert(instrument.clone()) {
                return reject(format!("duplicate instrument: {instrument}"));
            }
            legs.push(Leg {
                instrument,
                quantity,
                action,
            });
        }
        Ok(legs)
    }
}

/// An option in OSI's form, its root padded to six (`SPXW  250115C05950000`), with one space or
/// none (`SPXW 250115C05950000`, `SPXW250115C05950000`); else a stock ticker (`SPY`).
pub fn parse_instrument(text: &str) -> Option<Instrument> {
    let unpadded: String = text.chars().filter(|c| *c != ' ').collect();
    let spaces_only_after_root = text.trim_end() == text && !text.starts_with(' ');
    if spaces_only_after_root
        && let Ok(symbol) = OptionSymbol::parse(&unpadded)
        && (text == unpadded || text == symbol.osi() || text == single_spaced(&symbol))
    {
        return Some(Instrument::Option(symbol));
    }
    (is_ticker(text) && text.chars().any(|c| c.is_ascii_alphabetic()))
        .then(|| Instrument::Equity(text.to_string()))
}

fn single_spaced(symbol: &OptionSymbol) -> String {
    format!(
        "{} {}",
        symbol.root,
        &symbol.unpadded()[symbol.root.len()..]
    )
}

/// A positive whole number of contracts or shares, as a decimal string (`"1"`, `"2.0"` is not).
fn parse_quantity(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u32>().ok().filter(|q| *q > 0)
}

fn amount(name: &str, text: &str) -> Result<Decimal, Rejection> {
    let value = parse_decimal(text).map_err(|_| Rejection(format!("invalid {name}: {text}")))?;
    if value <= Decimal::ZERO {
        return reject(format!("{name} must be greater than 0"));
    }
    if value > MAX_PRICE {
        return reject(format!("{name} may be at most {MAX_PRICE}"));
    }
    Ok(value)
}

/// The name the tick message gives the order's class: the underlying of its options (`SPX`).
fn class_name(legs: &[Leg]) -> String {
    match legs.first().map(|l| &l.instrument) {
        Some(Instrument::Option(symbol)) => root_info(symbol.root.as_str()).underlying.to_string(),
        Some(Instrument::Equity(ticker)) => ticker.clone(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn leg(instrument: &str, quantity: &str, action: &str) -> LegRequest {
        LegRequest {
            instrument: instrument.into(),
            quantity: quantity.into(),
            action: action.into(),
        }
    }

    fn limit(price: &str, effect: &str, legs: Vec<LegRequest>) -> OrderRequest {
        OrderRequest {
            order_type: "limit".into(),
            price: Some(price.into()),
            price_effect: Some(effect.into()),
            stop_trigger: None,
            legs,
        }
    }

    fn call(strike: u32) -> String {
        format!("SPXW  250115C{:08}", strike * 1000)
    }

    fn put(strike: u32) -> String {
        format!("SPXW  250115P{:08}", strike * 1000)
    }

    fn reason(request: &OrderRequest) -> String {
        request.check().unwrap_err().0
    }

    #[test]
    fn the_documented_debit_vertical_passes() {
        let order = limit(
            "10.50",
            "debit",
            vec![
                leg(&call(5950), "1", "buy to open"),
                leg(&call(5970), "1", "sell to open"),
            ],
        )
        .check()
        .unwrap();
        assert_eq!(order.price, Some((dec!(10.50), "10.50".to_string())));
        assert_eq!(order.price_effect, Some(PriceEffect::Debit));
        assert_eq!(order.legs.len(), 2);
    }

    #[test]
    fn ticks_follow_the_grid_of_the_order_shape() {
        let single =
            |price: &str| limit(price, "debit", vec![leg(&call(5950), "1", "buy to open")]);
        assert_eq!(
            reason(&single("3.05")),
            "price 3.05 is not a valid SPX tick (0.10)"
        );
        for valid in ["3.10", "3.00", "2.95"] {
            assert!(single(valid).check().is_ok(), "{valid}");
        }
        let spread = limit(
            "3.05",
            "debit",
            vec![
                leg(&call(5950), "1", "buy to open"),
                leg(&call(5970), "1", "sell to open"),
            ],
        );
        assert!(spread.check().is_ok());
    }

    #[test]
    fn a_limit_above_the_maximum_profit_is_refused() {
        let vertical = |price: &str| {
            limit(
                price,
                "credit",
                vec![
                    leg(&put(5900), "1", "sell to open"),
                    leg(&put(5895), "1", "buy to open"),
                ],
            )
        };
        assert_eq!(
            reason(&vertical("5.05")),
            "limit price exceeds the order's maximum profit of 5.00"
        );
        assert!(vertical("5.00").check().is_ok());
    }

    #[test]
    fn each_check_names_what_is_wrong_in_the_documented_order() {
        let good = leg(&call(5950), "1", "buy to open");
        let mut request = limit("1.00", "debit", vec![good.clone()]);
        request.order_type = "trailing".into();
        assert_eq!(reason(&request), "invalid order type");
        assert_eq!(
            reason(&limit("1.00", "debit", vec![])),
            "order must have at least one leg"
        );
        let nine = vec![good.clone(); 9];
        assert_eq!(
            reason(&limit("1.00", "debit", nine)),
            "an order may have at most 8 legs"
        );
        let bad_symbol = leg("SPXW  250115X05950000", "1", "buy to open");
        assert_eq!(
            reason(&limit("1.00", "debit", vec![bad_symbol])),
            "invalid instrument: SPXW  250115X05950000"
        );
        let bad_action = leg(&call(5950), "1", "buy");
        assert_eq!(
            reason(&limit("1.00", "debit", vec![bad_action])),
            "invalid leg action: buy"
        );
        for quantity in ["0", "-1", "1.5", "", "x", "99999999999"] {
            let bad = leg(&call(5950), quantity, "buy to open");
            assert_eq!(
                reason(&limit("1.00", "debit", vec![bad])),
                "invalid quantity",
                "{quantity}"
            );
        }
        assert_eq!(
            reason(&limit("1.00", "debit", vec![good.clone(), good.clone()])),
            "duplicate instrument: SPXW  250115C05950000"
        );
        let two = vec![good.clone(), leg(&call(5970), "1", "sell to open")];
        let market = OrderRequest {
            order_type: "market".into(),
            legs: two.clone(),
            ..OrderRequest::default()
        };
        assert_eq!(reason(&market), "market orders must have exactly one leg");
        let stop = OrderRequest {
            order_type: "stop".into(),
            legs: two,
            ..OrderRequest::default()
        };
        assert_eq!(reason(&stop), "stop orders must have exactly one leg");
        let mut no_price = limit("1.00", "debit", vec![good.clone()]);
        no_price.price = None;
        assert_eq!(reason(&no_price), "price is required for limit orders");
        let no_trigger = OrderRequest {
            order_type: "stop".into(),
            price_effect: Some("debit".into()),
            legs: vec![good.clone()],
            ..OrderRequest::default()
        };
        assert_eq!(
            reason(&no_trigger),
            "stop_trigger is required for stop orders"
        );
        let mut no_effect = limit("1.00", "debit", vec![good.clone()]);
        no_effect.price_effect = None;
        assert_eq!(
            reason(&no_effect),
            "price_effect is required for limit and stop orders"
        );
        assert_eq!(
            reason(&limit("1.00", "Debit", vec![good.clone()])),
            "invalid price_effect: Debit"
        );
        assert_eq!(
            reason(&limit("0", "debit", vec![good.clone()])),
            "price must be greater than 0"
        );
        assert_eq!(
            reason(&limit("abc", "debit", vec![good])),
            "invalid price: abc"
        );
    }

    #[test]
    fn instruments_read_in_their_lenient_forms_and_print_canonically() {
        let canonical = Instrument::Option(OptionSymbol::parse("SPXW250115C05950000").unwrap());
        for text in [
            "SPXW  250115C05950000",
            "SPXW 250115C05950000",
            "SPXW250115C05950000",
        ] {
            assert_eq!(parse_instrument(text), Some(canonical.clone()), "{text}");
        }
        assert_eq!(canonical.to_string(), "SPXW  250115C05950000");
        for bad in [
            " SPXW250115C05950000",
            "SPXW   250115C05950000",
            "SPXW250115C0595000 ",
            "",
            "1234",
        ] {
            assert_eq!(parse_instrument(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_instrument("SPY"),
            Some(Instrument::Equity("SPY".into()))
        );
    }
}
