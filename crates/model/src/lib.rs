//! The vocabulary of optiontape.
//!
//! Everything here is plain data and pure functions: no I/O, no async, no wall clock. Higher
//! layers (store, engine, server) speak in these types.

pub mod calendar;
pub mod expirations;
pub mod fees;
pub mod grid;
pub mod identity;
pub mod indicators;
pub mod issuers;
pub mod market_clock;
pub mod money;
pub mod order;
pub mod paper_accounts;
pub mod plans;
pub mod polygon_codes;
pub mod roots;
pub mod symbol;
pub mod thetadata_codes;
pub mod time;
pub mod venues;

pub use calendar::Session;
pub use fees::{FeeSchedule, Slippage};
pub use identity::Email;
pub use market_clock::{ClockSetting, MarketClock};
pub use money::Decimal;
pub use order::{Action, Direction, Instrument, Leg, OrderType, PriceEffect};
pub use plans::{Plan, PlanBook, Product};
pub use roots::{Delivery, Exercise, RootInfo, Settlement, TickRule, root_info};
pub use symbol::{OptionSymbol, Right, Root, Strike, SymbolError};
pub use time::{Clock, ManualClock, Timestamp};
