//! Builders the engine's tests share.

use model::order::{Action, Instrument, Leg};
use model::symbol::OptionSymbol;

/// A leg of `quantity` contracts of the option written `symbol` (any form OSI parsing takes).
pub fn option_leg(symbol: &str, action: Action, quantity: u32) -> Leg {
    Leg {
        instrument: Instrument::Option(OptionSymbol::parse(symbol).expect("a valid test symbol")),
        quantity,
        action,
    }
}
