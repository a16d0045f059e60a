//! The trading engine: what an order may be, what it fills at, what it costs in fees and margin.
//!
//! Pure and deterministic: no wall clock, no I/O, no floats for money. Market data and time come
//! in as arguments, so the same inputs always give the same answers. The simulator face, paper
//! trading and the backtester all price and account through this crate.
//!
//! - [`fill`]: net mids, fill prices with slippage, the natural price, per-leg booking.
//! - [`payoff`]: a structure's payoff at expiry and the maximum-profit cap on limit prices.
//! - [`margin`]: maintenance margin by structure, pairing shorts with covering longs.
//! - [`fees`]: fees of a leg under a user's schedule.
//! - [`order`]: an order as submitted, checked up to what needs no market (shape, fields, ticks,
//!   the maximum-profit cap), each refusal one plain sentence.
//! - [`market`]: the market a decision reads, as a trait (quotes at a second, the fill-time
//!   search, the settlement value).
//! - [`ledger`]: orders as placed, each with the fill decided at placement; status at a clock.
//! - [`placement`]: the checks that need the account and the market, the fill, the effect on
//!   buying power.
//! - [`transaction`], [`position`], [`settlement`], [`account`]: what the ledger shows at a
//!   clock: transactions, positions with their marks, settlement at the close, the financials.
//! - [`buying_power`]: maintenance with pending reservations, the effect block.
//! - [`history`]: the financials second by second.
//! - [`paper`]: paper trading's orders, quote checks, conservative fills and long-only books.

pub mod account;
pub mod buying_power;
pub mod fees;
pub mod fill;
pub mod history;
pub mod ledger;
pub mod margin;
pub mod market;
pub mod order;
pub mod paper;
pub mod payoff;
pub mod placement;
pub mod position;
pub mod settlement;
#[cfg(test)]
mod testing;
pub mod transaction;
