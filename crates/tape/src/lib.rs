//! Market data at rest: the tape.
//!
//! One file per underlying and trading session, `TAPE/UNDERLYING/YYYY-MM-DD.tape`, holding the
//! contracts listed that day, the underlying's quotes, trades or index values, every option's
//! quote changes and trades at their own nanosecond timestamps, open interest, and one-minute
//! bars. Files are written once (temporary name, then rename), columnar and compressed, read
//! through memory maps, and checksummed so damage is reported as such. See [`format`] for the
//! layout, [`codec`] for the column encoding and [`query`] for query semantics.

pub mod bars;
mod bits;
pub mod codec;
pub mod columns;
pub mod contract_days;
pub mod error;
pub mod format;
mod prefix;
pub mod query;
pub mod reader;
pub mod records;
pub mod series;
pub mod snapshot;
pub mod stock_snapshot;
pub mod tape;
pub mod underlying;
pub mod writer;

pub use bars::Span;
pub use contract_days::ContractDay;
pub use error::TapeError;
pub use format::{ContractEntry, Kind, Owner};
pub use query::{Order, Page};
pub use reader::SessionFile;
pub use records::{Bar, IndexValue, PRICE_SCALE, Px, Quote, QuoteBounds, SIZE_SCALE, Trade};
pub use series::Record;
pub use snapshot::{ChainAt, ContractSnapshot, Steady, UnderlyingPrice};
pub use stock_snapshot::StockSnapshot;
pub use tape::{Instrument, Tape};
pub use writer::SessionBuilder;
