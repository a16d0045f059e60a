//! The four record types as members of a series: how each is timed, encoded and cached.

use std::sync::Arc;

use model::Timestamp;

use crate::codec;
use crate::columns::Encoding;
use crate::error::TapeError;
use crate::format::Kind;
use crate::records::{Bar, IndexValue, Quote, QuoteBounds, Trade};
use crate::underlying::{Context, PricePath, PricePoint, PriceSource};

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
    /// Encodes a chunk of the series (see [`codec`]); option quotes may be predicted from the
    /// underlying's price path, when the writer knows it through the chunk's last record.
    fn encode(
        chunk: &[Self],
        encoding: &mut Encoding<'_>,
        underlying: Option<PricePath<'_>>,
    ) -> Vec<u8>;
    /// Decodes a chunk whose first record is at `first` (kept in the chunk index).
    /// With `through`, a record type may stop after the first record later than that instant.
    fn decode(
        payload: &[u8],
        first: Timestamp,
        context: &mut dyn Context,
        through: Option<Timestamp>,
    ) -> Result<Vec<Self>, TapeError>;
    /// A point of the underlying's price path, when the underlying's record is one.
    fn price_point(&self) -> Option<(PriceSource, PricePoint)> {
        None
    }
    /// What the chunk index keeps of a chunk's prices (quotes only).
    fn bounds(_chunk: &[Self]) -> Option<QuoteBounds> {
        None
    }
    fn wrap(records: Arc<[Self]>) -> Decoded;
    fn unwrap(decoded: &Decoded) -> Option<Arc<[Self]>>;
}

macro_rules! record {
    ($type:ty, $kind:expr, $variant:ident, $ts:ident, $encode:expr, $decode:path, $price:expr, $bounds:expr) => {
        impl Record for $type {
            const KIND: Kind = $kind;
            fn ts(&self) -> Timestamp {
                self.$ts
            }
            fn encode(
                chunk: &[Self],
                encoding: &mut Encoding<'_>,
                underlying: Option<PricePath<'_>>,
            ) -> Vec<u8> {
                $encode(chunk, encoding, underlying)
            }
            fn decode(
                payload: &[u8],
                first: Timestamp,
                context: &mut dyn Context,
                through: Option<Timestamp>,
            ) -> Result<Vec<Self>, TapeError> {
                $decode(payload, first, context, through)
            }
            fn price_point(&self) -> Option<(PriceSource, PricePoint)> {
                $price(self)
            }
            fn bounds(chunk: &[Self]) -> Option<QuoteBounds> {
                $bounds(chunk)
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
    codec::decode_quotes,
    |q: &Quote| Some((
        PriceSource::QuoteSums,
        PricePoint {
            ts: q.ts,
            price: q.bid.wrapping_add(q.ask)
        }
    )),
    QuoteBounds::of
);
record!(
    Trade,
    Kind::Trades,
    Trades,
    ts,
    |chunk, encoding, _| codec::encode_trades(chunk, encoding),
    codec::decode_trades,
    |_| None,
    |_| None
);
record!(
    Bar,
    Kind::Bars,
    Bars,
    start,
    |chunk, encoding, _| codec::encode_bars(chunk, encoding),
    codec::decode_bars,
    |_| None,
    |_| None
);
record!(
    IndexValue,
    Kind::Values,
    Values,
    ts,
    |chunk, encoding, _| codec::encode_values(chunk, encoding),
    codec::decode_values,
    |v: &IndexValue| Some((
        PriceSource::IndexValues,
        PricePoint {
            ts: v.ts,
            price: v.value
        }
    )),
    |_| None
);
