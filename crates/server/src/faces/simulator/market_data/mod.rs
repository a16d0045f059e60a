//! The simulator's market data (§5): the session calendar, strikes, option-chain snapshots at a
//! second or over a range, per-second index series and the average expected move, over the
//! tape. Visitors reach them within §2's limits; a session token has already been authenticated
//! and metered by the gate (`../access.rs`, costs in `../credits.rs`).
//!
//! Every route takes `underlying` (default `SPX`). Tape reads run off the async threads.

pub mod caller;
pub mod chain;
pub mod contracts;
pub mod days;
pub mod expected_move;
pub mod historical;
pub mod params;
pub mod series;
pub mod sessions;
pub mod strikes;
