//! Orders as traders place them: legs, each an instrument with an action and a quantity, and a
//! net price per unit with its effect (debit or credit).
//!
//! A unit is the legs' ratio: every leg quantity divided by their greatest common divisor, so a
//! 2×2 vertical is two units of a 1×1 vertical and a 1×2 ratio spread is one unit of itself.

use std::fmt;

use crate::money::Decimal;
use crate::roots::root_info;
use crate::symbol::{OptionSymbol, Right};

/// What a leg does to a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    BuyToOpen,
    SellToOpen,
    BuyToClose,
    SellToClose,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::BuyToOpen,
        Action::SellToOpen,
        Action::BuyToClose,
        Action::SellToClose,
    ];

    /// The wire spelling: `buy to open`, `sell to open`, `buy to close`, `sell to close`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::BuyToOpen => "buy to open",
            Action::SellToOpen => "sell to open",
            Action::BuyToClose => "buy to close",
            Action::SellToClose => "sell to close",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// Whether the leg buys (pays premium) rather than sells.
    pub fn buys(self) -> bool {
        matches!(self, Action::BuyToOpen | Action::BuyToClose)
    }

    /// Whether the leg opens or adds to a position rather than reducing one.
    pub fn opens(self) -> bool {
        matches!(self, Action::BuyToOpen | Action::SellToOpen)
    }

    /// +1 for a buy, −1 for a sell: the sign of the leg in a net price.
    pub fn sign(self) -> i64 {
        if self.buys() { 1 } else { -1 }
    }

    /// The side of the position the leg opens or closes.
    pub fn direction(self) -> Direction {
        match self {
            Action::BuyToOpen | Action::SellToClose => Direction::Long,
            Action::SellToOpen | Action::BuyToClose => Direction::Short,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The side of a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Long,
    Short,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Long => "long",
            Direction::Short => "short",
        }
    }

    /// +1 long, −1 short.
    pub fn sign(self) -> i64 {
        match self {
            Direction::Long => 1,
            Direction::Short => -1,
        }
    }
}

/// Whether a net price is paid or received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PriceEffect {
    Debit,
    Credit,
}

impl PriceEffect {
    /// The wire spelling, lowercase: `debit`, `credit`.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceEffect::Debit => "debit",
            PriceEffect::Credit => "credit",
        }
    }

    pub fn parse(text: &str) -> Option<PriceEffect> {
        match text {
            "debit" => Some(PriceEffect::Debit),
            "credit" => Some(PriceEffect::Credit),
            _ => None,
        }
    }
}

/// How an order asks to be filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderType {
    /// At once, at the natural price (the ask to buy, the bid to sell).
    Market,
    /// When the fill is at or better than a net price.
    Limit,
    /// When the reference price reaches a trigger, then at the fill price of that second.
    Stop,
}

impl OrderType {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Market => "market",
            OrderType::Limit => "limit",
            OrderType::Stop => "stop",
        }
    }

    pub fn parse(text: &str) -> Option<OrderType> {
        match text {
            "market" => Some(OrderType::Market),
            "limit" => Some(OrderType::Limit),
            "stop" => Some(OrderType::Stop),
            _ => None,
        }
    }
}

/// What a leg trades: an option contract or shares of a stock.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Instrument {
    Option(OptionSymbol),
    Equity(String),
}

impl Instrument {
    pub fn option(&self) -> Option<&OptionSymbol> {
        match self {
            Instrument::Option(symbol) => Some(symbol),
            Instrument::Equity(_) => None,
        }
    }

    /// Dollars per point of price: the class's deliverable for an option (100 shares), 1 for a
    /// share.
    pub fn multiplier(&self) -> u32 {
        match self {
            Instrument::Option(symbol) => root_info(symbol.root.as_str()).multiplier,
            Instrument::Equity(_) => 1,
        }
    }

    /// Dollars a trade of `quantity` at `price` per share moves: 430 for one contract at 4.30.
    pub fn dollars(&self, price: Decimal, quantity: u32) -> Decimal {
        (price * Decimal::from(self.multiplier()) * Decimal::from(quantity)).normalize()
    }

    /// The right of an option, `None` for shares.
    pub fn right(&self) -> Option<Right> {
        self.option().map(|s| s.right)
    }
}

impl fmt::Display for Instrument {
    /// Options in OSI's padded form (`SPXW  250115C05950000`), equities by ticker.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instrument::Option(symbol) => f.write_str(&symbol.osi()),
            Instrument::Equity(ticker) => f.write_str(ticker),
        }
    }
}

/// One leg of an order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Leg {
    pub instrument: Instrument,
    /// Contracts or shares, at least 1.
    pub quantity: u32,
    pub action: Action,
}

/// The legs' greatest common divisor: how many units the order is. 0 for no legs.
pub fn units(legs: &[Leg]) -> u32 {
    legs.iter().fold(0, |g, leg| gcd(g, leg.quantity))
}

/// Each leg's quantity in one unit.
pub fn ratios(legs: &[Leg]) -> Vec<u32> {
    let units = units(legs).max(1);
    legs.iter().map(|leg| leg.quantity / units).collect()
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(symbol: &str, quantity: u32, action: Action) -> Leg {
        Leg {
            instrument: Instrument::Option(OptionSymbol::parse(symbol).unwrap()),
            quantity,
            action,
        }
    }

    #[test]
    fn actions_read_and_write_their_wire_spelling() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("Buy To Open"), None);
        assert_eq!(Action::parse("buy_to_open"), None);
        assert!(Action::BuyToClose.buys() && !Action::BuyToClose.opens());
        assert_eq!(Action::SellToClose.direction(), Direction::Long);
        assert_eq!(Action::BuyToClose.direction(), Direction::Short);
        assert_eq!(PriceEffect::parse("Debit"), None);
        assert_eq!(OrderType::parse("stop"), Some(OrderType::Stop));
    }

    #[test]
    fn units_divide_the_legs_by_their_common_divisor() {
        let two_by_two = [
            leg("SPXW250115C05950000", 2, Action::BuyToOpen),
            leg("SPXW250115C05970000", 2, Action::SellToOpen),
        ];
        assert_eq!((units(&two_by_two), ratios(&two_by_two)), (2, vec![1, 1]));
        let ratio = [
            leg("SPXW250115C05950000", 1, Action::BuyToOpen),
            leg("SPXW250115C05970000", 2, Action::SellToOpen),
        ];
        assert_eq!((units(&ratio), ratios(&ratio)), (1, vec![1, 2]));
        let four_six = [
            leg("SPXW250115C05950000", 4, Action::BuyToOpen),
            leg("SPXW250115C05970000", 6, Action::SellToOpen),
        ];
        assert_eq!((units(&four_six), ratios(&four_six)), (2, vec![2, 3]));
        assert_eq!(units(&[]), 0);
    }

    #[test]
    fn trade_dollars_are_per_contract_or_per_share() {
        let call = Instrument::Option(OptionSymbol::parse("SPXW250115C05950000").unwrap());
        assert_eq!(call.dollars("4.30".parse().unwrap(), 1), Decimal::from(430));
        assert_eq!(call.dollars("3.25".parse().unwrap(), 2), Decimal::from(650));
        let spy = Instrument::Equity("SPY".into());
        assert_eq!(
            spy.dollars("601.37".parse().unwrap(), 10),
            "6013.7".parse().unwrap()
        );
    }

    #[test]
    fn options_print_in_the_padded_osi_form() {
        let symbol = OptionSymbol::parse("SPXW250115C05950000").unwrap();
        assert_eq!(
            Instrument::Option(symbol).to_string(),
            "SPXW  250115C05950000"
        );
        assert_eq!(Instrument::Equity("SPY".into()).to_string(), "SPY");
    }
}
