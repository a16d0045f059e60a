//! Column encoding of record chunks.
//!
//! A chunk holds up to [`CHUNK_RECORDS`] records of one series; a dense series is also cut at
//! every [`CHUNK_SPAN_SECONDS`] boundary so that a look-up as of any instant decodes little.
//! Records are split into columns, and each column is turned into small non-negative integers
//! that typical market data keeps small:
//!
//! - a time or price becomes its change since the previous record, divided by the largest step
//!   common to the chunk (so a $0.05 tick costs the same as a $0.01 one);
//! - a quote records which fields changed (a six-bit mask per quote) and stores only the new
//!   values of those fields, since most updates move one side and leave sizes and venues alone.
//!
//! Each column of integers is then written in whichever of three forms is smallest for it:
//! bit-packed at one width with the few larger values as exceptions (uniform values), or a
//! canonical prefix code built from the chunk's own counts of either the values themselves (few
//! distinct values, such as sizes and venues) or their bit lengths followed by the remaining bits
//! (anything else). No general-purpose compressor is involved, so a chunk decodes in
//! microseconds. The layout:
//!
//! ```text
//! varint  record count n
//! varint  column count k
//! k x     varint column byte length
//! k x     column bytes
//! ```

use crate::bits::{BitReader, BitWriter};
use crate::error::{CorruptKind, TapeError};
use crate::prefix;
use crate::records::{Bar, IndexValue, Quote, Trade};
use model::Timestamp;

/// Most records in a chunk written.
pub const CHUNK_RECORDS: usize = 4096;
/// A chunk covers at most this much time, aligned to multiples of it since the epoch: a
/// look-up as of any instant decodes one short chunk per series.
pub const CHUNK_SPAN_SECONDS: i64 = 300;
/// A series with fewer records than this in a span keeps filling its chunk across spans.
pub const MIN_SPAN_CHUNK: usize = 256;
/// Largest chunk a reader accepts (files may be written with other chunk sizes).
pub const MAX_CHUNK_RECORDS: usize = 1 << 16;

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

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
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

    pub fn byte(&mut self) -> Result<u8, TapeError> {
        Ok(self.take(1)?[0])
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

    /// Everything not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.at.min(self.bytes.len())..]
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The forms a column of non-negative integers is written in.
const PACKED: u8 = 0;
const LENGTHS: u8 = 1;
const DICTIONARY: u8 = 2;
/// Most distinct values a dictionary column lists.
const DICTIONARY_MAX: usize = 256;

fn bit_length(v: u64) -> usize {
    64 - v.leading_zeros() as usize
}

/// Writes code lengths (each at most 15) two to a byte.
fn put_nibbles(out: &mut Vec<u8>, lengths: &[u8]) {
    for pair in lengths.chunks(2) {
        out.push(pair[0] | (pair.get(1).copied().unwrap_or(0) << 4));
    }
}

fn get_nibbles(cursor: &mut Cursor<'_>, count: usize) -> Result<Vec<u8>, TapeError> {
    let bytes = cursor.take(count.div_ceil(2))?;
    Ok((0..count)
        .map(|i| (bytes[i / 2] >> (4 * (i % 2))) & 0x0f)
        .collect())
}

/// Writes `values` in whichever form is smallest.
fn put_values(out: &mut Vec<u8>, values: &[u64]) {
    let n = values.len() as u64;
    // Bit lengths: they size both packing and the lengths code.
    let mut by_length = [0u64; 65];
    for v in values {
        by_length[bit_length(*v)] += 1;
    }
    let packed_bits = |width: usize| -> u64 {
        let exceptions: u64 = (width + 1..=64)
            .map(|len| by_length[len] * 8 * (2 + (len - width).div_ceil(7) as u64))
            .sum();
        n * width as u64 + exceptions
    };
    let width = (0..=64).min_by_key(|w| packed_bits(*w)).unwrap_or(64);
    let mut best = (packed_bits(width) + 16, PACKED);

    let used: Vec<usize> = (0..=64).filter(|l| by_length[*l] > 0).collect();
    let counts: Vec<u64> = used.iter().map(|l| by_length[*l]).collect();
    let length_codes = prefix::code_lengths(&counts);
    let extra: u64 = used
        .iter()
        .zip(&counts)
        .map(|(l, c)| c * l.saturating_sub(1) as u64)
        .sum();
    let lengths_bits = prefix::cost(&counts, &length_codes)
        + extra
        + 8 * (1 + used.len() + used.len().div_ceil(2)) as u64;
    if !used.is_empty() && lengths_bits < best.0 {
        best = (lengths_bits, LENGTHS);
    }

    // Distinct values and their counts, when few.
    let mut dictionary: Option<(Vec<u64>, Vec<u8>)> = None;
    if values.len() > 1 {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let mut distinct: Vec<u64> = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        for v in sorted {
            if distinct.last() == Some(&v) {
                *counts.last_mut().expect("a count per value") += 1;
            } else if distinct.len() == DICTIONARY_MAX {
                distinct.clear();
                break;
            } else {
                distinct.push(v);
                counts.push(1);
            }
        }
        if !distinct.is_empty() {
            let codes = prefix::code_lengths(&counts);
            let mut table = varint_len(distinct.len() as u64) + distinct.len().div_ceil(2);
            let mut previous = 0;
            for v in &distinct {
                table += varint_len(v - previous);
                previous = *v;
            }
            let bits = prefix::cost(&counts, &codes) + 8 * (1 + table as u64);
            if bits < best.0 {
                best = (bits, DICTIONARY);
                dictionary = Some((distinct, codes));
            }
        }
    }

    out.push(best.1);
    match best.1 {
        LENGTHS => {
            out.push(used.len() as u8);
            out.extend(used.iter().map(|l| *l as u8));
            put_nibbles(out, &length_codes);
            let mut symbol_of = [0usize; 65];
            for (symbol, length) in used.iter().enumerate() {
                symbol_of[*length] = symbol;
            }
            let encoder = prefix::Encoder::new(&length_codes);
            let mut writer = BitWriter::with_capacity((best.0 / 8) as usize);
            for v in values {
                let length = bit_length(*v);
                encoder.put(&mut writer, symbol_of[length]);
                if length > 1 {
                    writer.put(*v, length as u32 - 1);
                }
            }
            out.extend_from_slice(&writer.finish());
        }
        DICTIONARY => {
            let (distinct, codes) = dictionary.expect("chosen only when built");
            put_varint(out, distinct.len() as u64);
            let mut previous = 0;
            for v in &distinct {
                put_varint(out, v - previous);
                previous = *v;
            }
            put_nibbles(out, &codes);
            let encoder = prefix::Encoder::new(&codes);
            let mut writer = BitWriter::with_capacity((best.0 / 8) as usize);
            for v in values {
                let symbol = distinct.binary_search(v).expect("every value is listed");
                encoder.put(&mut writer, symbol);
            }
            out.extend_from_slice(&writer.finish());
        }
        _ => put_packed(out, values, width),
    }
}

fn get_values(cursor: &mut Cursor<'_>, n: usize) -> Result<Vec<u64>, TapeError> {
    let mode = cursor.byte()?;
    let bad = || TapeError::corrupt(CorruptKind::ColumnMode);
    match mode {
        PACKED => get_packed(cursor, n),
        LENGTHS => {
            let used = usize::from(cursor.byte()?);
            let lengths: Vec<u32> = cursor.take(used)?.iter().map(|l| u32::from(*l)).collect();
            if lengths.iter().any(|l| *l > 64) {
                return Err(bad());
            }
            let decoder = prefix::Decoder::new(&get_nibbles(cursor, used)?)?;
            let mut reader = BitReader::new(cursor.rest());
            let mut values = Vec::with_capacity(n);
            for _ in 0..n {
                let length = lengths[decoder.get(&mut reader)?];
                values.push(if length > 1 {
                    (1 << (length - 1)) | reader.bits(length - 1)?
                } else {
                    u64::from(length)
                });
            }
            Ok(values)
        }
        DICTIONARY => {
            let count = usize::try_from(cursor.varint()?).map_err(|_| bad())?;
            if count == 0 || count > DICTIONARY_MAX {
                return Err(bad());
            }
            let mut distinct = Vec::with_capacity(count);
            let mut previous = 0u64;
            for _ in 0..count {
                previous = previous.wrapping_add(cursor.varint()?);
                distinct.push(previous);
            }
            let decoder = prefix::Decoder::new(&get_nibbles(cursor, count)?)?;
            let mut reader = BitReader::new(cursor.rest());
            let mut values = Vec::with_capacity(n);
            for _ in 0..n {
                values.push(distinct[decoder.get(&mut reader)?]);
            }
            Ok(values)
        }
        _ => Err(bad()),
    }
}

/// Bit-packs `values` at `width` bits, with the values that do not fit as exceptions.
fn put_packed(out: &mut Vec<u8>, values: &[u64], width: usize) {
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    out.push(width as u8);
    let exceptions: Vec<usize> = (0..values.len()).filter(|i| values[*i] > mask).collect();
    put_varint(out, exceptions.len() as u64);
    let mut writer = BitWriter::with_capacity((values.len() * width).div_ceil(8));
    for v in values {
        writer.put(v & mask, width as u32);
    }
    out.extend_from_slice(&writer.finish());
    let mut previous = 0;
    for i in exceptions {
        put_varint(out, (i - previous) as u64);
        put_varint(out, values[i] >> width);
        previous = i;
    }
}

fn get_packed(cursor: &mut Cursor<'_>, n: usize) -> Result<Vec<u64>, TapeError> {
    let width = u32::from(cursor.byte()?);
    if width > 64 {
        return Err(TapeError::corrupt(CorruptKind::ColumnMode));
    }
    let exceptions =
        usize::try_from(cursor.varint()?).map_err(|_| TapeError::corrupt(CorruptKind::Count))?;
    if exceptions > n {
        return Err(TapeError::corrupt(CorruptKind::Count));
    }
    let packed = cursor.take((n * width as usize).div_ceil(8))?;
    let mut reader = BitReader::new(packed);
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        values.push(reader.bits(width)?);
    }
    let mut index = 0usize;
    for k in 0..exceptions {
        let gap = usize::try_from(cursor.varint()?)
            .map_err(|_| TapeError::corrupt(CorruptKind::Range))?;
        index = if k == 0 {
            gap
        } else {
            index
                .checked_add(gap)
                .ok_or_else(|| TapeError::corrupt(CorruptKind::Range))?
        };
        let high = cursor.varint()?;
        let slot = values
            .get_mut(index)
            .ok_or_else(|| TapeError::corrupt(CorruptKind::Range))?;
        *slot |= high.checked_shl(width).unwrap_or(0);
    }
    Ok(values)
}

/// How a signed column is made non-negative.
const SHIFTED: u8 = 0;
const ZIGZAG: u8 = 1;

/// Writes signed values over their common step: shifted by their minimum when they share a sign
/// (times, one-way moves), zigzagged when they do not (price changes).
fn put_signed(out: &mut Vec<u8>, values: &[i64]) {
    let step = values
        .iter()
        .fold(0, |g, d| gcd(g, d.unsigned_abs()))
        .max(1);
    // Exact: every value is a multiple of `step` (step 2^63 divides only 0 and i64::MIN).
    let scaled: Vec<i64> = values
        .iter()
        .map(|d| {
            if step == 1 {
                *d
            } else {
                d.wrapping_div(step as i64)
            }
        })
        .collect();
    put_varint(out, step);
    let (min, max) = scaled
        .iter()
        .fold((0i64, 0i64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if min < 0 && max > 0 {
        out.push(ZIGZAG);
        let zigzagged: Vec<u64> = scaled.iter().map(|v| zigzag(*v)).collect();
        put_values(out, &zigzagged);
    } else {
        let base = scaled.iter().copied().min().unwrap_or(0);
        out.push(SHIFTED);
        put_varint(out, zigzag(base));
        let shifted: Vec<u64> = scaled
            .iter()
            .map(|s| (i128::from(*s) - i128::from(base)) as u64)
            .collect();
        put_values(out, &shifted);
    }
}

fn get_signed(cursor: &mut Cursor<'_>, n: usize) -> Result<Vec<i64>, TapeError> {
    let step = cursor.varint()? as i64;
    match cursor.byte()? {
        ZIGZAG => Ok(get_values(cursor, n)?
            .into_iter()
            .map(|v| unzigzag(v).wrapping_mul(step))
            .collect()),
        SHIFTED => {
            let base = cursor.signed()?;
            Ok(get_values(cursor, n)?
                .into_iter()
                .map(|v| base.wrapping_add(v as i64).wrapping_mul(step))
                .collect())
        }
        _ => Err(TapeError::corrupt(CorruptKind::ColumnMode)),
    }
}

/// Writes a signed sequence as its first value and the changes after it.
fn put_delta(out: &mut Vec<u8>, values: &[i64]) {
    let Some((&first, _)) = values.split_first() else {
        return;
    };
    put_varint(out, zigzag(first));
    let deltas: Vec<i64> = values.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    if !deltas.is_empty() {
        put_signed(out, &deltas);
    }
}

fn get_delta(bytes: &[u8], n: usize) -> Result<Vec<i64>, TapeError> {
    let mut cursor = Cursor::new(bytes);
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut current = cursor.signed()?;
    let mut values = Vec::with_capacity(n);
    values.push(current);
    if n > 1 {
        for delta in get_signed(&mut cursor, n - 1)? {
            current = current.wrapping_add(delta);
            values.push(current);
        }
    }
    Ok(values)
}

/// Writes an unsigned sequence as values over their common step, shifted by their minimum.
fn put_unsigned(out: &mut Vec<u8>, values: &[u64]) {
    if values.is_empty() {
        return;
    }
    let base = values.iter().copied().min().unwrap_or(0);
    let step = values.iter().fold(0, |g, v| gcd(g, v - base)).max(1);
    put_varint(out, base);
    put_varint(out, step);
    let scaled: Vec<u64> = values.iter().map(|v| (v - base) / step).collect();
    put_values(out, &scaled);
}

fn get_unsigned(bytes: &[u8], n: usize) -> Result<Vec<u64>, TapeError> {
    let mut cursor = Cursor::new(bytes);
    if n == 0 {
        return Ok(Vec::new());
    }
    let base = cursor.varint()?;
    let step = cursor.varint()?;
    Ok(get_values(&mut cursor, n)?
        .into_iter()
        .map(|v| base.wrapping_add(v.wrapping_mul(step)))
        .collect())
}

fn get_signed_column(bytes: &[u8], n: usize) -> Result<Vec<i64>, TapeError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    get_signed(&mut Cursor::new(bytes), n)
}

fn signed_column(values: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    if !values.is_empty() {
        put_signed(&mut out, values);
    }
    out
}

fn delta_column(values: impl Iterator<Item = i64>) -> Vec<u8> {
    let mut out = Vec::new();
    put_delta(&mut out, &values.collect::<Vec<_>>());
    out
}

fn unsigned_column(values: impl Iterator<Item = u64>) -> Vec<u8> {
    let mut out = Vec::new();
    put_unsigned(&mut out, &values.collect::<Vec<_>>());
    out
}

/// Assembles columns into a chunk payload.
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
    raw
}

/// Splits a chunk payload into its columns.
fn open(payload: &[u8], expected_columns: usize) -> Result<(usize, Vec<&[u8]>), TapeError> {
    let mut cursor = Cursor::new(payload);
    let n =
        usize::try_from(cursor.varint()?).map_err(|_| TapeError::corrupt(CorruptKind::Count))?;
    if n > MAX_CHUNK_RECORDS {
        return Err(TapeError::corrupt(CorruptKind::Count));
    }
    let k = cursor.varint()?;
    if k != expected_columns as u64 {
        return Err(TapeError::corrupt(CorruptKind::ColumnCount));
    }
    let lengths: Vec<usize> = (0..k)
        .map(|_| cursor.varint().map(|l| l as usize))
        .collect::<Result<_, _>>()?;
    let columns = lengths
        .into_iter()
        .map(|len| cursor.take(len))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((n, columns))
}

fn narrow<T: TryFrom<u64>>(v: u64) -> Result<T, TapeError> {
    T::try_from(v).map_err(|_| TapeError::corrupt(CorruptKind::Range))
}

/// Which quote fields changed since the previous quote of the chunk.
mod changed {
    pub const BID: u64 = 1;
    pub const SPREAD: u64 = 2;
    pub const BID_SIZE: u64 = 4;
    pub const ASK_SIZE: u64 = 8;
    pub const BID_EXCHANGE: u64 = 16;
    pub const ASK_EXCHANGE: u64 = 32;
    pub const ALL: u64 = 63;
}

pub fn encode_quotes(quotes: &[Quote]) -> Vec<u8> {
    let mut masks = Vec::with_capacity(quotes.len());
    let (mut bids, mut spreads) = (Vec::new(), Vec::new());
    let (mut bid_sizes, mut ask_sizes, mut bid_exchanges, mut ask_exchanges) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // The quote before the first: all zero, so the first quote's fields count as changed.
    let mut previous = Quote::default();
    for q in quotes {
        let mut mask = 0;
        if q.bid != previous.bid {
            mask |= changed::BID;
            bids.push(q.bid.wrapping_sub(previous.bid));
        }
        // The spread moves far less than either side.
        let (spread, previous_spread) = (
            q.ask.wrapping_sub(q.bid),
            previous.ask.wrapping_sub(previous.bid),
        );
        if spread != previous_spread {
            mask |= changed::SPREAD;
            spreads.push(spread.wrapping_sub(previous_spread));
        }
        if q.bid_size != previous.bid_size {
            mask |= changed::BID_SIZE;
            bid_sizes.push(u64::from(q.bid_size));
        }
        if q.ask_size != previous.ask_size {
            mask |= changed::ASK_SIZE;
            ask_sizes.push(u64::from(q.ask_size));
        }
        if q.bid_exchange != previous.bid_exchange {
            mask |= changed::BID_EXCHANGE;
            bid_exchanges.push(u64::from(q.bid_exchange));
        }
        if q.ask_exchange != previous.ask_exchange {
            mask |= changed::ASK_EXCHANGE;
            ask_exchanges.push(u64::from(q.ask_exchange));
        }
        masks.push(mask);
        previous = *q;
    }
    let columns = [
        delta_column(quotes.iter().map(|q| q.ts.as_nanos())),
        unsigned_column(masks.into_iter()),
        signed_column(&bids),
        signed_column(&spreads),
        unsigned_column(bid_sizes.into_iter()),
        unsigned_column(ask_sizes.into_iter()),
        unsigned_column(bid_exchanges.into_iter()),
        unsigned_column(ask_exchanges.into_iter()),
    ];
    finish(quotes.len(), &columns)
}

pub fn decode_quotes(payload: &[u8]) -> Result<Vec<Quote>, TapeError> {
    let (n, cols) = open(payload, 8)?;
    let ts = get_delta(cols[0], n)?;
    let masks = get_unsigned(cols[1], n)?;
    let mut counts = [0usize; 6];
    for mask in &masks {
        if *mask > changed::ALL {
            return Err(TapeError::corrupt(CorruptKind::Range));
        }
        for (bit, count) in counts.iter_mut().enumerate() {
            *count += (mask >> bit & 1) as usize;
        }
    }
    // Each field's new values, with one spare slot so the loop below can read ahead of a field
    // that did not change without a branch per field.
    let padded = |mut values: Vec<u64>| {
        values.push(0);
        values
    };
    let signed = |values: Vec<i64>| padded(values.into_iter().map(|v| v as u64).collect());
    let fields = [
        signed(get_signed_column(cols[2], counts[0])?),
        signed(get_signed_column(cols[3], counts[1])?),
        padded(get_unsigned(cols[4], counts[2])?),
        padded(get_unsigned(cols[5], counts[3])?),
        padded(get_unsigned(cols[6], counts[4])?),
        padded(get_unsigned(cols[7], counts[5])?),
    ];
    let fits = |values: &[u64], max: u64| values.iter().all(|v| *v <= max);
    if !fits(&fields[2], u64::from(u32::MAX))
        || !fits(&fields[3], u64::from(u32::MAX))
        || !fits(&fields[4], u64::from(u16::MAX))
        || !fits(&fields[5], u64::from(u16::MAX))
    {
        return Err(TapeError::corrupt(CorruptKind::Range));
    }
    let mut next = [0usize; 6];
    // Current bid, spread, sizes and venues.
    let mut state = [0u64; 6];
    let mut quotes = Vec::with_capacity(n);
    for (ts, mask) in ts.into_iter().zip(masks) {
        for field in 0..6 {
            let changed = (mask >> field) & 1;
            let select = 0u64.wrapping_sub(changed);
            let value = fields[field][next[field]];
            state[field] = if field < 2 {
                // Changes add up.
                state[field].wrapping_add(value & select)
            } else {
                (value & select) | (state[field] & !select)
            };
            next[field] += changed as usize;
        }
        let bid = state[0] as i64;
        quotes.push(Quote {
            ts: Timestamp::from_nanos(ts),
            bid,
            ask: bid.wrapping_add(state[1] as i64),
            bid_size: state[2] as u32,
            ask_size: state[3] as u32,
            bid_exchange: state[4] as u16,
            ask_exchange: state[5] as u16,
        });
    }
    Ok(quotes)
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
    let columns = [
        delta_column(trades.iter().map(|t| t.ts.as_nanos())),
        delta_column(trades.iter().map(|t| t.price)),
        unsigned_column(trades.iter().map(|t| t.size)),
        unsigned_column(trades.iter().map(|t| u64::from(t.exchange))),
        unsigned_column(trades.iter().map(|t| pack_conditions(t.conditions))),
        delta_column(trades.iter().map(|t| t.sequence as i64)),
    ];
    finish(trades.len(), &columns)
}

pub fn decode_trades(payload: &[u8]) -> Result<Vec<Trade>, TapeError> {
    let (n, cols) = open(payload, 6)?;
    let ts = get_delta(cols[0], n)?;
    let price = get_delta(cols[1], n)?;
    let size = get_unsigned(cols[2], n)?;
    let exchange = get_unsigned(cols[3], n)?;
    let conditions = get_unsigned(cols[4], n)?;
    let sequence = get_delta(cols[5], n)?;
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
    let columns = [
        delta_column(bars.iter().map(|b| b.start.as_nanos())),
        delta_column(bars.iter().map(|b| b.open)),
        delta_column(bars.iter().map(|b| b.high.wrapping_sub(b.open))),
        delta_column(bars.iter().map(|b| b.open.wrapping_sub(b.low))),
        delta_column(bars.iter().map(|b| b.close.wrapping_sub(b.open))),
        unsigned_column(bars.iter().map(|b| b.volume)),
        delta_column(bars.iter().map(|b| b.vwap.wrapping_sub(b.open))),
        unsigned_column(bars.iter().map(|b| u64::from(b.transactions))),
    ];
    finish(bars.len(), &columns)
}

pub fn decode_bars(payload: &[u8]) -> Result<Vec<Bar>, TapeError> {
    let (n, cols) = open(payload, 8)?;
    let start = get_delta(cols[0], n)?;
    let open_px = get_delta(cols[1], n)?;
    let high = get_delta(cols[2], n)?;
    let low = get_delta(cols[3], n)?;
    let close = get_delta(cols[4], n)?;
    let volume = get_unsigned(cols[5], n)?;
    let vwap = get_delta(cols[6], n)?;
    let transactions = get_unsigned(cols[7], n)?;
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
    let columns = [
        delta_column(values.iter().map(|v| v.ts.as_nanos())),
        delta_column(values.iter().map(|v| v.value)),
    ];
    finish(values.len(), &columns)
}

pub fn decode_values(payload: &[u8]) -> Result<Vec<IndexValue>, TapeError> {
    let (n, cols) = open(payload, 2)?;
    let ts = get_delta(cols[0], n)?;
    let value = get_delta(cols[1], n)?;
    Ok(ts
        .into_iter()
        .zip(value)
        .map(|(ts, value)| IndexValue {
            ts: Timestamp::from_nanos(ts),
            value,
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
        assert!(decode_quotes(b"not a chunk at all").is_err());
        let valid = encode_values(&[IndexValue {
            ts: Timestamp::from_seconds(1),
            value: 5,
        }]);
        assert!(decode_quotes(&valid).is_err(), "wrong column count");
        for cut in 0..valid.len() {
            let _ = decode_values(&valid[..cut]);
        }
    }

    fn values_round_trip(values: &[u64]) -> usize {
        let mut out = Vec::new();
        put_values(&mut out, values);
        let mut cursor = Cursor::new(&out);
        assert_eq!(get_values(&mut cursor, values.len()).unwrap(), values);
        out.len()
    }

    #[test]
    fn each_column_form_round_trips_and_is_chosen_where_it_is_smallest() {
        // Few distinct values: a dictionary code.
        let sizes: Vec<u64> = (0..1000).map(|i| [10, 20, 50, 10, 10][i % 5]).collect();
        let mut out = Vec::new();
        put_values(&mut out, &sizes);
        assert_eq!(out[0], DICTIONARY);
        assert!(values_round_trip(&sizes) < 1000 * 2 / 8 + 20);
        // Mostly small with a long tail: the lengths code.
        let tail: Vec<u64> = (0..1000u64)
            .map(|i| if i % 3 == 0 { i * 1_000_003 } else { i % 3 })
            .collect();
        let mut out = Vec::new();
        put_values(&mut out, &tail);
        assert_eq!(out[0], LENGTHS);
        values_round_trip(&tail);
        // Uniform wide values: packing.
        let mut x = 12345u64;
        let uniform: Vec<u64> = (0..1000)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                x >> 40
            })
            .collect();
        let mut out = Vec::new();
        put_values(&mut out, &uniform);
        assert_eq!(out[0], PACKED);
        values_round_trip(&uniform);
        // Edge cases.
        for values in [
            vec![],
            vec![0],
            vec![u64::MAX],
            vec![u64::MAX, 0, 1 << 63],
            vec![7; 10],
        ] {
            values_round_trip(&values);
        }
    }

    #[test]
    fn unchanged_fields_cost_almost_nothing() {
        // A quote stream where only the bid moves, by a tick, every second.
        let quotes: Vec<Quote> = (0..300)
            .map(|i| Quote {
                ts: Timestamp::from_seconds(1_736_951_400 + i),
                bid: 2_100_000_000 + 50_000_000 * (i * 7 % 5 - 2),
                ask: 2_200_000_000 + 50_000_000 * (i * 7 % 5 - 2),
                bid_size: 10,
                ask_size: 12,
                bid_exchange: 5,
                ask_exchange: 5,
            })
            .collect();
        let payload = encode_quotes(&quotes);
        assert!(payload.len() < 300 * 4 / 8, "{} bytes", payload.len());
        assert_eq!(decode_quotes(&payload).unwrap(), quotes);
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
        fn value_columns_round_trip(values in proptest::collection::vec(prop_oneof![0u64..4, 0u64..1000, any::<u64>()], 0..300)) {
            values_round_trip(&values);
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_quotes(&bytes);
            let _ = decode_trades(&bytes);
            let _ = decode_bars(&bytes);
            let _ = decode_values(&bytes);
            // Also feed raw (uncompressed-looking) payloads through the column readers.
            let _ = get_delta(&bytes, 50);
            let _ = get_unsigned(&bytes, 50);
            let _ = get_signed_column(&bytes, 50);
        }
    }
}
