//! Paper trading: single-leg stock and option orders filled conservatively against the latest
//! quote, in long-only cash accounts (paper-trading spec §7–§9).
//!
//! - [`request`]: an order as submitted, checked in the documented order, each refusal with its
//!   HTTP status and code.
//! - [`quote`]: whether a quote may fill an order (missing, invalid, crossed, stale, no bid).
//! - [`evaluate`]: one evaluation of an open order: fill, no fill (with why), or reject.
//! - [`book`]: cash and positions at a fill, average entry prices, realized P&L.
//!
//! Pure like the rest of the engine: the caller brings the quote, the clock and the account.

pub mod book;
pub mod evaluate;
pub mod quote;
pub mod request;

/// The fill policy's version, stored with every order and fill so that a later change of the
/// rules never rewrites what an old fill meant.
pub const POLICY_VERSION: &str = "cm-paper-v1";
