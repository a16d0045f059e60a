//! Column encoding of record chunks.
//!
//! A chunk holds up to [`CHUNK_RECORDS`] records of one series. Its fields are split into
//! columns; each column is transformed so that typical market data becomes runs of small numbers
//! (a price becomes its change since the previous record, divided by the largest step common to
//! the whole chunk, so a $0.05 tick costs the same as a $0.01 one), written as LEB128 varints,
//! and the chunk is compressed with zstd. The layout before compression:
//!
//! ```text
//! varint  record count n
//! varint  column count k
//! k x     varint column byte length
//! k x     column bytes
//! ```
//!
//! Column kinds: `delta` (signed, first value then zig-zag deltas over their gcd, or one constant
//! delta) and `plain` (unsigned values over their gcd).

use crate::error::{CorruptKind, TapeError};
use crate::records::{Bar, IndexValue, Quote, Trade};
use model::Timestamp;

/// Records per chunk written. Smaller chunks make a single look-up cheaper; larger ones compress
/// better.
pub const CHUNK_RECORDS: usize = 1024;
/// Largest chunk a reader accepts (files may be written with other chunk sizes).
pub const MAX_CHUNK_RECORDS: usize = 1 << 16;
/// zstd level for chunk payloads.
pub const ZSTD_LEVEL: i32 = 9;

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads varints from a byte slice, failing (never panicking) on truncated or oversized input.
pub struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, at: 0 }
    }

    pub fn varint(&mut self) -> Result<u64, TapeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Err(TapeError::corrupt(CorruptKind::Truncated));
            };
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(TapeError::corrupt(CorruptKind::Varint))
    }

    pub fn signed(&mut self) -> Result<i64, TapeError> {
        self.varint().map(unzigzag)
    }

    pub fn take(&mut self, len: usize) -> Result<&'a [u8], TapeError> {
        let end = self
            .at
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| TapeError::corrupt(CorruptKind::Truncated))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    pub fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

const DELTA_GENERAL: u64 = 0;
const DELTA_CONSTANT: u64 = 1;

/// Writes a signed sequence as first value plus deltas over their gcd.
fn put_delta(out: &mut Vec<u8>, values: &[i64]) {
    let Some((&first, _)) = values.split_first() else {
        return;
    };
    put_varint(out, zigzag(first));
    let deltas: Vec<i64> = values.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    if deltas.is_empty() {
        return;
    }
    if deltas.iter().all(|d| *d == deltas[0]) {
        put_varint(out, DELTA_CONSTANT);
        put_varint(out, zigzag(deltas[0]));
        return;
    }
    let step = deltas
        .iter()
        .fold(0, |g, d| gcd(g, d.unsigned_abs()))
        .max(1);
    put_varint(out, DELTA_GENERAL);
    put_varint(out, step);
    for d in deltas {
        // Exact: every delta is a multiple of `step`.
        put_varint(out, zigzag(d / step as i64));
    }
}

fn get_delta(bytes: &[u8], n: usize) -> Result<Vec<i64>, TapeError> {
    let mut cursor = Cursor::new(bytes);
    let mut values = Vec::with_capacity(n);
    if n == 0 {
        return Ok(values);
    }
    let mut current = cursor.signed()?;
    values.push(current);
    if n == 1 {
        return Ok(values);
    }
    match cursor.varint()? {
        DELTA_CONSTANT => {
            let delta = cursor.signed()?;
            for _ in 1..n {
                current = current.wrapping_add(delta);
                values.push(current);
            }
        }
        DELTA_GENERAL => {
            let step = cursor.varint()? as i64;
            for _ in 1..n {
                current = current.wrapping_add(cursor.signed()?.wrapping_mul(step));
                values.push(current);
            }
        }
        _ => return Err(TapeError::corrupt(CorruptKind::ColumnMode)),
    }
    Ok(values)
}

/// Writes an unsigned sequence as values over their gcd.
fn put_plain(out: &mut Vec<u8>, values: &[u64]) {
    let step = values.iter().fold(0, |g, v| gcd(g, *v)).max(1);
    put_varint(out, step);
    for v in values {
        put_varint(out, v / step);
    }
}

fn get_plain(bytes: &[u8], n: usize) -> Result<Vec<u64>, TapeError> {
    let mut cursor = Cursor::new(bytes);
    if n == 0 {
        return Ok(Vec::new());
    }
    let step = cursor.varint()?;
    (0..n)
        .map(|_| Ok(cursor.varint()?.wrapping_mul(step)))
        .collect()
}

/// Assembles columns into a chunk payload and compresses it.
fn finish(n: usize, columns: &[Vec<u8>]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(columns.iter().map(Vec::len).sum::<usize>() + 16);
    put_varint(&mut raw, n as u64);
    put_varint(&mut raw, columns.len() as u64);
    for column in columns {
        put_varint(&mut raw, column.len() as u64);
    }
    for column in columns {
        raw.extend_from_slice(column);
    }
    zstd::bulk::compress(&raw, ZSTD_LEVEL)
        .expect("zstd compression of an in-memory buffer cannot fail")
}

/// Decompresses a chunk payload and splits it into columns.
fn open(
    payload: &[u8],
    expected_columns: usize,
    max_records: usize,
) -> Result<(usize, Vec<Vec<u8>>), TapeError> {
    // A chunk never decompresses beyond its record limit times the widest record.
    let limit = max_records * 16 * 10 + 64;
    let raw = zstd::bulk::decompress(payload, limit)
        .map_err(|_| TapeError::corrupt(CorruptKind::Compression))?;
    let mut cursor = Cursor::new(&raw);
    let n =
        usize::try_from(cursor.varint()?).map_err(|_| TapeError::corrupt(CorruptKind::Count))?;
    if n > max_records {
        return Err(TapeError::corrupt(CorruptKind::Count));
    }
    let k = cursor.varint()? as usize;
    if k != expected_columns {
        return Err(TapeError::corrupt(CorruptKind::ColumnCount));
    }
    let lengths: Vec<usize> = (0..k)
        .map(|_| cursor.varint().map(|l| l as usize))
        .collect::<Result<_, _>>()?;
    let columns = lengths
        .into_iter()
        .map(|len| cursor.take(len).map(<[u8]>::to_vec))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((n, columns))
}

fn ts_column(ts: impl Iterator<Item = Timestamp>) -> Vec<i64> {
    ts.map(Timestamp::as_nanos).collect()
}

fn narrow<T: TryFrom<u64>>(v: u64) -> Result<T, TapeError> {
    T::try_from(v).map_err(|_| TapeError::corrupt(CorruptKind::Range))
}

pub fn encode_quotes(quotes: &[Quote]) -> Vec<u8> {
    let mut cols = vec![Vec::new(); 7];
    put_delta(&mut cols[0], &ts_column(quotes.iter().map(|q| q.ts)));
    put_delta(
        &mut cols[1],
        &quotes.iter().map(|q| q.bid).collect::<Vec<_>>(),
    );
    // The spread moves far less than either side.
    put_delta(
        &mut cols[2],
        &quotes
            .iter()
            .map(|q| q.ask.wrapping_sub(q.bid))
            .collect::<Vec<_>>(),
    );
    put_delta(
        &mut cols[3],
        &quotes
            .iter()
            .map(|q| i64::from(q.bid_size))
            .collect::<Vec<_>>(),
    );
    put_delta(
        &mut cols[4],
        &quotes
            .iter()
            .map(|q| i64::from(q.ask_size))
            .collect::<Vec<_>>(),
    );
    put_plain(
        &mut cols[5],
        &quotes
            .iter()
            .map(|q| u64::from(q.bid_exchange))
            .collect::<Vec<_>>(),
    );
    put_plain(
        &mut cols[6],
        &quotes
            .iter()
            .map(|q| u64::from(q.ask_exchange))
            .collect::<Vec<_>>(),
    );
    finish(quotes.len(), &cols)
}

pub fn decode_quotes(payload: &[u8]) -> Result<Vec<Quote>, TapeError> {
    let (n, cols) = open(payload, 7, MAX_CHUNK_RECORDS)?;
    let ts = get_delta(&cols[0], n)?;
    let bid = get_delta(&cols[1], n)?;
    let spread = get_delta(&cols[2], n)?;
    let bid_size = get_delta(&cols[3], n)?;
    let ask_size = get_delta(&cols[4], n)?;
    let bid_exchange = get_plain(&cols[5], n)?;
    let ask_exchange = get_plain(&cols[6], n)?;
    (0..n)
        .map(|i| {
            Ok(Quote {
                ts: Timestamp::from_nanos(ts[i]),
                bid: bid[i],
                ask: bid[i].wrapping_add(spread[i]),
                bid_size: narrow(bid_size[i] as u64)?,
                ask_size: narrow(ask_size[i] as u64)?,
                bid_exchange: narrow(bid_exchange[i])?,
                ask_exchange: narrow(ask_exchange[i])?,
            })
        })
        .collect()
}

fn pack_conditions(c: [u16; 4]) -> u64 {
    c.iter()
        .fold(0u64, |acc, code| (acc << 16) | u64::from(*code))
}

fn unpack_conditions(v: u64) -> [u16; 4] {
    [
        (v >> 48) as u16,
        (v >> 32) as u16,
        (v >> 16) as u16,
        v as u16,
    ]
}

pub fn encode_trades(trades: &[Trade]) -> Vec<u8> {
    let mut cols = vec![Vec::new(); 6];
    put_delta(&mut cols[0], &ts_column(trades.iter().map(|t| t.ts)));
    put_delta(
        &mut cols[1],
        &trades.iter().map(|t| t.price).collect::<Vec<_>>(),
    );
    put_plain(
        &mut cols[2],
        &trades.iter().map(|t| t.size).collect::<Vec<_>>(),
    );
    put_plain(
        &mut cols[3],
        &trades
            .iter()
            .map(|t| u64::from(t.exchange))
            .collect::<Vec<_>>(),
    );
    put_plain(
        &mut cols[4],
        &trades
            .iter()
            .map(|t| pack_conditions(t.conditions))
            .collect::<Vec<_>>(),
    );
    put_delta(
        &mut cols[5],
        &trades.iter().map(|t| t.sequence as i64).collect::<Vec<_>>(),
    );
    finish(trades.len(), &cols)
}

pub fn decode_trades(payload: &[u8]) -> Result<Vec<Trade>, TapeError> {
    let (n, cols) = open(payload, 6, MAX_CHUNK_RECORDS)?;
    let ts = get_delta(&cols[0], n)?;
    let price = get_delta(&cols[1], n)?;
    let size = get_plain(&cols[2], n)?;
    let exchange = get_plain(&cols[3], n)?;
    let conditions = get_plain(&cols[4], n)?;
    let sequence = get_delta(&cols[5], n)?;
    (0..n)
        .map(|i| {
            Ok(Trade {
                ts: Timestamp::from_nanos(ts[i]),
                price: price[i],
                size: size[i],
                exchange: narrow(exchange[i])?,
                conditions: unpack_conditions(conditions[i]),
                sequence: sequence[i] as u64,
            })
        })
        .collect()
}

pub fn encode_bars(bars: &[Bar]) -> Vec<u8> {
    let mut cols = vec![Vec::new(); 8];
    put_delta(&mut cols[0], &ts_column(bars.iter().map(|b| b.start)));
    put_delta(
        &mut cols[1],
        &bars.iter().map(|b| b.open).collect::<Vec<_>>(),
    );
    put_delta(
        &mut cols[2],
        &bars
            .iter()
            .map(|b| b.high.wrapping_sub(b.open))
            .collect::<Vec<_>>(),
    );
    put_delta(
        &mut cols[3],
        &bars
            .iter()
            .map(|b| b.open.wrapping_sub(b.low))
            .collect::<Vec<_>>(),
    );
    put_delta(
        &mut cols[4],
        &bars
            .iter()
            .map(|b| b.close.wrapping_sub(b.open))
            .collect::<Vec<_>>(),
    );
    put_plain(
        &mut cols[5],
        &bars.iter().map(|b| b.volume).collect::<Vec<_>>(),
    );
    put_delta(
        &mut cols[6],
        &bars
            .iter()
            .map(|b| b.vwap.wrapping_sub(b.open))
            .collect::<Vec<_>>(),
    );
    put_plain(
        &mut cols[7],
        &bars
            .iter()
            .map(|b| u64::from(b.transactions))
            .collect::<Vec<_>>(),
    );
    finish(bars.len(), &cols)
}

pub fn decode_bars(payload: &[u8]) -> Result<Vec<Bar>, TapeError> {
    let (n, cols) = open(payload, 8, MAX_CHUNK_RECORDS)?;
    let start = get_delta(&cols[0], n)?;
    let open_px = get_delta(&cols[1], n)?;
    let high = get_delta(&cols[2], n)?;
    let low = get_delta(&cols[3], n)?;
    let close = get_delta(&cols[4], n)?;
    let volume = get_plain(&cols[5], n)?;
    let vwap = get_delta(&cols[6], n)?;
    let transactions = get_plain(&cols[7], n)?;
    (0..n)
        .map(|i| {
            Ok(Bar {
                start: Timestamp::from_nanos(start[i]),
                open: open_px[i],
                high: open_px[i].wrapping_add(high[i]),
                low: open_px[i].wrapping_sub(low[i]),
                close: open_px[i].wrapping_add(close[i]),
                volume: volume[i],
                vwap: open_px[i].wrapping_add(vwap[i]),
                transactions: narrow(transactions[i])?,
            })
        })
        .collect()
}

pub fn encode_values(values: &[IndexValue]) -> Vec<u8> {
    let mut cols = vec![Vec::new(); 2];
    put_delta(&mut cols[0], &ts_column(values.iter().map(|v| v.ts)));
    put_delta(
        &mut cols[1],
        &values.iter().map(|v| v.value).collect::<Vec<_>>(),
    );
    finish(values.len(), &cols)
}

pub fn decode_values(payload: &[u8]) -> Result<Vec<IndexValue>, TapeError> {
    let (n, cols) = open(payload, 2, MAX_CHUNK_RECORDS)?;
    let ts = get_delta(&cols[0], n)?;
    let value = get_delta(&cols[1], n)?;
    Ok((0..n)
        .map(|i| IndexValue {
            ts: Timestamp::from_nanos(ts[i]),
            value: value[i],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varints_and_zigzag_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(Cursor::new(&out).varint().unwrap(), v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert!(Cursor::new(&[0x80, 0x80]).varint().is_err(), "truncated");
        assert!(Cursor::new(&[0xff; 11]).varint().is_err(), "too long");
    }

    #[test]
    fn regular_timestamps_cost_nothing_per_record() {
        let quotes: Vec<Quote> = (0..1000)
            .map(|i| Quote {
                ts: Timestamp::from_seconds(1_736_951_400 + i),
                bid: 2_100_000_000,
                ask: 2_150_000_000,
                bid_size: 10,
                ask_size: 12,
                bid_exchange: 5,
                ask_exchange: 5,
            })
            .collect();
        let payload = encode_quotes(&quotes);
        assert!(
            payload.len() < 100,
            "{} bytes for a flat second-by-second series",
            payload.len()
        );
        assert_eq!(decode_quotes(&payload).unwrap(), quotes);
    }

    #[test]
    fn garbage_is_reported_not_panicked_on() {
        assert!(decode_quotes(b"not zstd at all").is_err());
        let valid = encode_values(&[IndexValue {
            ts: Timestamp::from_seconds(1),
            value: 5,
        }]);
        assert!(decode_quotes(&valid).is_err(), "wrong column count");
        for cut in 0..valid.len() {
            let _ = decode_values(&valid[..cut]);
        }
    }

    fn arb_quote() -> impl Strategy<Value = Quote> {
        (
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            any::<u32>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
        )
            .prop_map(
                |(ts, bid, ask, bid_size, ask_size, bid_exchange, ask_exchange)| Quote {
                    ts: Timestamp::from_nanos(ts),
                    bid,
                    ask,
                    bid_size,
                    ask_size,
                    bid_exchange,
                    ask_exchange,
                },
            )
    }

    proptest! {
        #[test]
        fn quotes_round_trip(quotes in proptest::collection::vec(arb_quote(), 0..200)) {
            prop_assert_eq!(decode_quotes(&encode_quotes(&quotes)).unwrap(), quotes);
        }

        #[test]
        fn trades_round_trip(raw in proptest::collection::vec((any::<i64>(), any::<i64>(), any::<u64>(), any::<u16>(), any::<[u16; 4]>(), any::<u64>()), 0..200)) {
            let trades: Vec<Trade> = raw.into_iter().map(|(ts, price, size, exchange, conditions, sequence)| Trade {
                ts: Timestamp::from_nanos(ts), price, size, exchange, conditions, sequence,
            }).collect();
            prop_assert_eq!(decode_trades(&encode_trades(&trades)).unwrap(), trades);
        }

        #[test]
        fn bars_round_trip(raw in proptest::collection::vec((any::<i64>(), any::<[i64; 5]>(), any::<u64>(), any::<u32>()), 0..100)) {
            let bars: Vec<Bar> = raw.into_iter().map(|(start, p, volume, transactions)| Bar {
                start: Timestamp::from_nanos(start), open: p[0], high: p[1], low: p[2], close: p[3], vwap: p[4], volume, transactions,
            }).collect();
            prop_assert_eq!(decode_bars(&encode_bars(&bars)).unwrap(), bars);
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_quotes(&bytes);
            let _ = decode_trades(&bytes);
            let _ = decode_bars(&bytes);
            let _ = decode_values(&bytes);
            // Also feed raw (uncompressed-looking) payloads through the column readers.
            let _ = get_delta(&bytes, 50);
            let _ = get_plain(&bytes, 50);
        }
    }
}
