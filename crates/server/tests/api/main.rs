//! The server over real sockets. One test binary, one module per concern.

mod aggs;
mod alpaca;
mod column;
mod column_rules;
mod contracts;
mod conventions;
mod credits;
mod idempotency;
mod identity;
mod keys;
mod mail;
mod openapi;
mod paper_accounts;
mod paper_clock;
mod paper_orders;
mod quotes;
mod simulator_market_data;
mod simulator_trading;
mod snapshots;
mod stocks;
mod support;
mod tickers;
mod trades;
