//! The server over real sockets. One test binary, one module per concern.

mod aggs;
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
mod quotes;
mod snapshots;
mod stocks;
mod support;
mod tickers;
mod trades;
