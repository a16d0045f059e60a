//! The four record types as members of a series: how each is timed, encoded and cached.

use std::sync::Arc;

use model::Timestamp;

use crate::codec;
use crate::columns::{Encoding, Tables};
use crate::error::TapeError;
use crate::format::Kind;
use crate::records::{Bar, IndexValue, Quote, Trade};

/// A decoded chunk of any kind, as held in the chunk cache.
#[derive(Clone)]
pub enum Decoded {
    Quotes(Arc<[Quote]>),
    Trades(Arc<[Trade]>),
    Bars(Arc<[Bar]>),
    Values(Arc<[IndexValue]>),
}

impl Decoded {
    pub fn len(&self) -> usize {
        match self {
            Decoded::Quotes(r) => r.len(),
            Decoded::Trades(r) => r.len(),
            Decoded::Bars(r) => r.len(),
            Decoded::Values(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A record type that series are made of.
pub trait Record: Copy + Send + Sync + 'static {
    const KIND: Kind;
    /// The instant that orders the series (a bar's start).
    fn ts(&self) -> Timestamp;
    /// Encodes a chunk of the series (see [`codec`]).
    fn encode(chunk: &[Self], encoding: &mut Encoding<'_>) -> Vec<u8>;
    /// Decodes a chunk whose first record is at `first` (kept in the chunk index).
    /// With `through`, a record type may stop after the first record later than that instant.
    fn decode(
        payload: &[u8],
        first: Timestamp,
        tables: &mut dyn Tables,
        through: Option<Timestamp>,
    ) -> Result<Vec<Self>, TapeError>;
    fn wrap(records: Arc<[Self]>) -> Decoded;
    fn unwrap(decoded: &Decoded) -> Option<Arc<[Self]>>;
}

macro_rules! record {
    ($type:ty, $kind:expr, $variant:ident, $ts:ident, $encode:path, $decode:path) => {
        impl Record for $type {
            const KIND: Kind = $kind;
            fn ts(&self) -> Timestamp {
                self.$ts
            }
            fn encode(chunk: &[Self], encoding: &mut Encoding<'_>) -> Vec<u8> {
                $encode(chunk, encoding)
            }
            fn decode(
                payload: &[u8],
                first: Timestamp,
                tables: &mut dyn Tables,
                through: Option<Timestamp>,
            ) -> Result<Vec<Self>, TapeError> {
                $decode(payload, first, tables, through)
            }
            fn wrap(records: Arc<[Self]>) -> Decoded {
                Decoded::$variant(records)
            }
            fn unwrap(decoded: &Decoded) -> Option<Arc<[Self]>> {
                match decoded {
                    Decoded::$variant(records) => Some(records.clone()),
                    _ => None,
                }
            }
        }
    };
}

record!(
    Quote,
    Kind::Quotes,
    Quotes,
    ts,
    codec::encode_quotes,
    codec::decode_quotes
);
record!(
    Trade,
    Kind::Trades,
    Trades,
    ts,
    codec::encode_trades,
    codec::decode_trades
);
record!(
    Bar,
    Kind::Bars,
    Bars,
    start,
    codec::encode_bars,
    codec::decode_bars
);
record!(
    IndexValue,
    Kind::Values,
    Values,
    ts,
    codec::encode_values,
    codec::decode_values
);
