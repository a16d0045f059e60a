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

pub mod fees;
pub mod fill;
pub mod margin;
pub mod order;
pub mod payoff;
#[cfg(test)]
mod testing;
