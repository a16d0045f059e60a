//! One column of a chunk: a run of integers and the smallest of four ways to write it.
//!
//! A column's integers are either *unsigned* (sizes, venues, change masks) or *signed* (changes
//! of a time or a price, as two's-complement bits). Before packing they are made small: divided
//! by their largest common step (so a $0.05 tick costs what a $0.01 one does) and shifted by
//! their minimum, or zigzagged when they go both ways. Then the column is written as:
//!
//! - **packed**: every value at one bit width, the few wider ones as exceptions;
//! - **lengths**: a prefix code over the values' bit lengths, each followed by its remaining bits;
//! - **dictionary**: a prefix code over the raw values themselves (at most 256 distinct);
//! - **shared**: the code table of an earlier chunk of the same series, named by its index.
//!
//! Market data is steady within a day, so most chunks reuse a table: a chunk of five minutes
//! then pays a byte or two per column instead of a few dozen. The layout of a column:
//!
//! ```text
//! packed:      0, transform, width, exception count, packed bits, exceptions (index gap, high bits)
//! lengths:     1, table (count, bit lengths, code lengths in nibbles), transform, coded bits
//! dictionary:  2, table (count, values as ascending gaps, code lengths in nibbles), coded bits
//! shared:      3, chunk index, transform (if that chunk's table codes lengths), coded bits
//! ```
//!
//! A transform is `base, step` for unsigned columns and `step, 0 | 1 (zigzag), [base]` for signed.

use std::sync::Arc;

use crate::bits::{BitReader, BitWriter};
use crate::codec::{Cursor, put_varint};
use crate::error::{CorruptKind, TapeError};
use crate::prefix;

const PACKED: u8 = 0;
const LENGTHS: u8 = 1;
const DICTIONARY: u8 = 2;
const SHARED: u8 = 3;
/// Most distinct values a dictionary lists.
const DICTIONARY_MAX: usize = 256;

/// Whether a column holds signed values (as two's-complement bits) or unsigned ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    Unsigned,
    Signed,
}

/// A code table a column writes once and later chunks of the series may share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Table {
    /// Code lengths for the values' bit lengths (ascending).
    Lengths { lengths: Vec<u8>, code: Vec<u8> },
    /// Code lengths for the raw values (ascending).
    Dictionary { values: Vec<u64>, code: Vec<u8> },
}

impl Table {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Table::Lengths { lengths, code } => {
                out.push(lengths.len() as u8);
                out.extend_from_slice(lengths);
                put_nibbles(out, code);
            }
            Table::Dictionary { values, code } => {
                put_varint(out, values.len() as u64);
                let mut previous = 0;
                for v in values {
                    put_varint(out, v - previous);
                    previous = *v;
                }
                put_nibbles(out, code);
            }
        }
    }

    fn written_len(&self) -> usize {
        match self {
            Table::Lengths { lengths, .. } => 1 + lengths.len() + lengths.len().div_ceil(2),
            Table::Dictionary { values, .. } => dictionary_len(values),
        }
    }
}

/// A table made ready for decoding.
pub struct TableDecoder {
    /// Bit length (lengths tables) or value (dictionaries) of each symbol.
    symbols: Vec<u64>,
    lengths: bool,
    decoder: prefix::Decoder,
}

impl TableDecoder {
    /// Reads a table written by [`Table::write`] for a column of `mode`.
    fn read(cursor: &mut Cursor<'_>, mode: u8) -> Result<TableDecoder, TapeError> {
        let bad = || TapeError::corrupt(CorruptKind::ColumnMode);
        match mode {
            LENGTHS => {
                let count = usize::from(cursor.byte()?);
                let lengths = cursor.take(count)?;
                if count == 0 || lengths.iter().any(|l| *l > 64) {
                    return Err(bad());
                }
                Ok(TableDecoder {
                    symbols: lengths.iter().map(|l| u64::from(*l)).collect(),
                    lengths: true,
                    decoder: prefix::Decoder::new(&get_nibbles(cursor, count)?)?,
                })
            }
            DICTIONARY => {
                let count = usize::try_from(cursor.varint()?).map_err(|_| bad())?;
                if count == 0 || count > DICTIONARY_MAX {
                    return Err(bad());
                }
                let mut values = Vec::with_capacity(count);
                let mut previous = 0u64;
                for _ in 0..count {
                    previous = previous.wrapping_add(cursor.varint()?);
                    values.push(previous);
                }
                Ok(TableDecoder {
                    symbols: values,
                    lengths: false,
                    decoder: prefix::Decoder::new(&get_nibbles(cursor, count)?)?,
                })
            }
            _ => Err(bad()),
        }
    }

    /// Decodes a table as written by [`Table::write`], preceded by its column's mode byte (the
    /// bytes [`written_table`] returns).
    pub fn of_written(table: &[u8]) -> Result<TableDecoder, TapeError> {
        let mut cursor = Cursor::new(table);
        let mode = cursor.byte()?;
        let decoder = TableDecoder::read(&mut cursor, mode)?;
        if !cursor.is_empty() {
            return Err(TapeError::corrupt(CorruptKind::ColumnMode));
        }
        Ok(decoder)
    }
}

/// The mode byte and code table at the start of a column that writes its own table: what
/// [`TableDecoder::of_written`] reads. Found without building the decoder, so that a reader can
/// reuse one it built from the same bytes before.
pub fn written_table(column: &[u8]) -> Result<&[u8], TapeError> {
    let mut cursor = Cursor::new(column);
    let bad = || TapeError::corrupt(CorruptKind::ColumnMode);
    let len = match cursor.byte()? {
        LENGTHS => {
            let count = usize::from(cursor.byte()?);
            1 + count + count.div_ceil(2)
        }
        DICTIONARY => {
            let count = usize::try_from(cursor.varint()?).map_err(|_| bad())?;
            if count > DICTIONARY_MAX {
                return Err(bad());
            }
            for _ in 0..count {
                cursor.varint()?;
            }
            cursor.take(count.div_ceil(2))?;
            column.len() - cursor.rest().len() - 1
        }
        _ => return Err(bad()),
    };
    column
        .get(..1 + len)
        .ok_or_else(|| TapeError::corrupt(CorruptKind::Truncated))
}

/// Where a decoder finds the tables that columns share, and leaves the ones it reads.
pub trait Tables {
    /// The table column `column` of chunk `chunk` of the same series wrote.
    fn shared(&mut self, chunk: u32, column: usize) -> Result<Arc<TableDecoder>, TapeError>;
    /// A table the chunk being decoded wrote itself, which later chunks may share.
    fn own(&mut self, column: usize, table: Arc<TableDecoder>);
    /// The decoder of a table (bytes from [`written_table`]); a reader may hand back one it
    /// built from the same bytes before.
    fn decoder(&mut self, table: &[u8]) -> Result<Arc<TableDecoder>, TapeError> {
        Ok(Arc::new(TableDecoder::of_written(table)?))
    }
}

/// Decoding without shared tables: for chunks known to have none, and for tests.
pub struct NoTables;

impl Tables for NoTables {
    fn shared(&mut self, _: u32, _: usize) -> Result<Arc<TableDecoder>, TapeError> {
        Err(TapeError::corrupt(CorruptKind::ColumnMode))
    }

    fn own(&mut self, _: usize, _: Arc<TableDecoder>) {}
}

/// The tables a series' columns wrote last, for its later chunks to share.
#[derive(Default)]
pub struct Books {
    columns: Vec<Option<Book>>,
}

struct Book {
    chunk: u32,
    table: Table,
    encoder: prefix::Encoder,
    /// For lengths tables: the symbol of each bit length, if it has one.
    symbol_of_length: [Option<u8>; 65],
}

impl Book {
    fn new(chunk: u32, table: Table) -> Book {
        let (code, lengths) = match &table {
            Table::Lengths { lengths, code } => (code, Some(lengths)),
            Table::Dictionary { code, .. } => (code, None),
        };
        let mut symbol_of_length = [None; 65];
        for (symbol, length) in lengths.into_iter().flatten().enumerate() {
            symbol_of_length[usize::from(*length)] = Some(symbol as u8);
        }
        Book {
            chunk,
            encoder: prefix::Encoder::new(code),
            table,
            symbol_of_length,
        }
    }
}

/// Where a chunk being encoded sits: its index in the series and the series' books.
pub struct Encoding<'a> {
    pub chunk: u32,
    pub books: &'a mut Books,
}

impl Encoding<'_> {
    fn book(&self, column: usize) -> Option<&Book> {
        self.books.columns.get(column).and_then(Option::as_ref)
    }

    fn keep(&mut self, column: usize, table: Table) {
        if self.books.columns.len() <= column {
            self.books.columns.resize_with(column + 1, || None);
        }
        self.books.columns[column] = Some(Book::new(self.chunk, table));
    }
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn bit_length(v: u64) -> usize {
    64 - v.leading_zeros() as usize
}

/// The largest step every value is a multiple of (at least 1).
fn common_step(values: impl Iterator<Item = u64>) -> u64 {
    let mut step = 0;
    for v in values {
        // Equal values (the common case) need no division; a step of 1 cannot shrink.
        if v != step && v != 0 {
            step = gcd(step, v);
            if step == 1 {
                break;
            }
        }
    }
    step.max(1)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
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

/// How values are made small before packing or length coding, and back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transform {
    Unsigned { base: u64, step: u64 },
    Shifted { step: u64, base: i64 },
    Zigzag { step: u64 },
}

impl Transform {
    fn choose(values: &[u64], sign: Sign) -> Transform {
        match sign {
            Sign::Unsigned => {
                let base = values.iter().copied().min().unwrap_or(0);
                let step = common_step(values.iter().map(|v| v - base));
                Transform::Unsigned { base, step }
            }
            Sign::Signed => {
                let step = common_step(values.iter().map(|v| (*v as i64).unsigned_abs()));
                let (min, max) = values.iter().fold((0i64, 0i64), |(lo, hi), v| {
                    (lo.min(*v as i64), hi.max(*v as i64))
                });
                if min < 0 && max > 0 {
                    Transform::Zigzag { step }
                } else {
                    // All on one side of zero: shift by the smallest.
                    let divisor = Divisor::new(step);
                    let base = values
                        .iter()
                        .map(|v| divisor.signed(*v as i64))
                        .min()
                        .unwrap_or(0);
                    Transform::Shifted { step, base }
                }
            }
        }
    }

    fn step(self) -> u64 {
        match self {
            Transform::Unsigned { step, .. }
            | Transform::Shifted { step, .. }
            | Transform::Zigzag { step } => step,
        }
    }

    /// The small value for `v`; `divisor` is `Divisor::new(self.step())`.
    #[inline]
    fn apply(self, divisor: Divisor, v: u64) -> u64 {
        match self {
            Transform::Unsigned { base, .. } => divisor.unsigned(v - base),
            Transform::Shifted { base, .. } => {
                (i128::from(divisor.signed(v as i64)) - i128::from(base)) as u64
            }
            Transform::Zigzag { .. } => zigzag(divisor.signed(v as i64)),
        }
    }

    fn write(self, out: &mut Vec<u8>) {
        match self {
            Transform::Unsigned { base, step } => {
                put_varint(out, base);
                put_varint(out, step);
            }
            Transform::Shifted { step, base } => {
                put_varint(out, step);
                out.push(0);
                put_varint(out, zigzag(base));
            }
            Transform::Zigzag { step } => {
                put_varint(out, step);
                out.push(1);
            }
        }
    }

    fn read(cursor: &mut Cursor<'_>, sign: Sign) -> Result<Transform, TapeError> {
        Ok(match sign {
            Sign::Unsigned => Transform::Unsigned {
                base: cursor.varint()?,
                step: cursor.varint()?,
            },
            Sign::Signed => {
                let step = cursor.varint()?;
                match cursor.byte()? {
                    0 => Transform::Shifted {
                        step,
                        base: cursor.signed()?,
                    },
                    1 => Transform::Zigzag { step },
                    _ => return Err(TapeError::corrupt(CorruptKind::ColumnMode)),
                }
            }
        })
    }

    /// Turns decoded small values back into the column's values, in place.
    fn undo(self, values: &mut [u64]) {
        match self {
            Transform::Unsigned { base, step } => {
                for v in values {
                    *v = base.wrapping_add(v.wrapping_mul(step));
                }
            }
            Transform::Shifted { step, base } => {
                for v in values {
                    *v = (base as u64).wrapping_add(*v).wrapping_mul(step);
                }
            }
            Transform::Zigzag { step } => {
                for v in values {
                    *v = (unzigzag(*v) as u64).wrapping_mul(step);
                }
            }
        }
    }
}

/// Division by a column's step, for values known to be multiples of it: a shift by the step's
/// factors of two and a multiplication by the inverse of its odd part, modulo 2^64, instead of a
/// division per value.
#[derive(Clone, Copy)]
struct Divisor {
    shift: u32,
    inverse: u64,
}

impl Divisor {
    fn new(step: u64) -> Divisor {
        let step = step.max(1);
        let shift = step.trailing_zeros();
        let odd = step >> shift;
        // Newton's iteration doubles the correct low bits each step: 3 → 6 → 12 → 24 → 48 → 96.
        let mut inverse = odd;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        }
        Divisor { shift, inverse }
    }

    #[inline]
    fn unsigned(self, v: u64) -> u64 {
        (v >> self.shift).wrapping_mul(self.inverse)
    }

    #[inline]
    fn signed(self, v: i64) -> i64 {
        ((v >> self.shift) as u64).wrapping_mul(self.inverse) as i64
    }
}

/// The four ways to write a column and what each costs, in bits.
struct Plan {
    transform: Transform,
    transformed: Vec<u64>,
    by_length: [u64; 65],
}

/// Writes column `column` of a chunk: `values` (two's-complement bits when `sign` is signed).
pub fn put_column(
    out: &mut Vec<u8>,
    values: &[u64],
    sign: Sign,
    column: usize,
    encoding: &mut Encoding<'_>,
) {
    let n = values.len() as u64;
    let transform = Transform::choose(values, sign);
    let divisor = Divisor::new(transform.step());
    let transformed: Vec<u64> = values
        .iter()
        .map(|v| transform.apply(divisor, *v))
        .collect();
    let mut by_length = [0u64; 65];
    for v in &transformed {
        by_length[bit_length(*v)] += 1;
    }
    let plan = Plan {
        transform,
        transformed,
        by_length,
    };
    let mut transform_bytes = Vec::new();
    plan.transform.write(&mut transform_bytes);
    let transform_bits = 8 * transform_bytes.len() as u64;
    let by_length = &plan.by_length;

    // Packed: the width that minimises the column with its exceptions.
    let longest = (0..=64).rev().find(|l| by_length[*l] > 0).unwrap_or(0);
    let packed_bits = |width: usize| -> u64 {
        let exceptions: u64 = (width + 1..=longest)
            .map(|len| by_length[len] * 8 * (2 + (len - width).div_ceil(7) as u64))
            .sum();
        n * width as u64 + exceptions
    };
    // The best width is 0 or one of the lengths that occur: between two of them, a wider
    // packing only costs more.
    let width = std::iter::once(0)
        .chain((1..=64).filter(|l| by_length[*l] > 0))
        .min_by_key(|w| packed_bits(*w))
        .unwrap_or(64);
    let mut best = (16 + transform_bits + packed_bits(width), Choice::Packed);

    let extra =
        |counts: &[u64; 65]| -> u64 { (2..=64).map(|l| counts[l] * (l as u64 - 1)).sum::<u64>() };

    // Dictionary: a fresh code over the raw values, when few are distinct. Counted against the
    // shared dictionary when there is one (no sort needed when it lists every value).
    let book_counts = match encoding.book(column).map(|b| &b.table) {
        Some(Table::Dictionary { values: listed, .. }) => count_listed(listed, values),
        _ => None,
    };
    let distinct = match (&book_counts, encoding.book(column).map(|b| &b.table)) {
        (Some(counts), Some(Table::Dictionary { values: listed, .. })) => Some(
            listed
                .iter()
                .zip(counts)
                .filter(|(_, c)| **c > 0)
                .map(|(v, c)| (*v, *c))
                .unzip(),
        ),
        _ => distinct_counts(values),
    };
    // Shared: the table this column wrote last, if it can code every value here.
    if let Some(book) = encoding.book(column) {
        let reference = 8 + 8 * varint_len(u64::from(book.chunk)) as u64;
        let cost = match &book.table {
            Table::Lengths { code, .. } => (0..=64)
                .try_fold(0u64, |sum, l| {
                    if by_length[l] == 0 {
                        return Some(sum);
                    }
                    let symbol = book.symbol_of_length[l]?;
                    Some(sum + by_length[l] * u64::from(code[usize::from(symbol)]))
                })
                .map(|bits| bits + extra(by_length) + transform_bits),
            Table::Dictionary { code, .. } => book_counts
                .as_ref()
                .map(|counts| prefix::cost(counts, code)),
        };
        if let Some(bits) = cost
            && reference + bits <= best.0
        {
            best = (reference + bits, Choice::Shared);
        }
    }

    // Lengths: a fresh code over this chunk's bit lengths.
    let used: Vec<u8> = (0..=64u8)
        .filter(|l| by_length[usize::from(*l)] > 0)
        .collect();
    let counts: Vec<u64> = used.iter().map(|l| by_length[usize::from(*l)]).collect();
    let table_len = 1 + used.len() + used.len().div_ceil(2);
    let floor =
        8 + 8 * table_len as u64 + transform_bits + entropy_floor(&counts) + extra(by_length);
    // Build the code only if it could beat the best so far.
    if !used.is_empty() && floor < best.0 {
        let code = prefix::code_lengths(&counts);
        let table = Table::Lengths {
            lengths: used.clone(),
            code: code.clone(),
        };
        let bits = 8
            + 8 * table.written_len() as u64
            + transform_bits
            + prefix::cost(&counts, &code)
            + extra(by_length);
        if bits < best.0 {
            best = (bits, Choice::Own(table));
        }
    }

    if let Some((distinct_values, counts)) = &distinct
        && 8 + 8 * dictionary_len(distinct_values) as u64 + entropy_floor(counts) < best.0
    {
        let code = prefix::code_lengths(counts);
        let table = Table::Dictionary {
            values: distinct_values.clone(),
            code: code.clone(),
        };
        let bits = 8 + 8 * table.written_len() as u64 + prefix::cost(counts, &code);
        if bits < best.0 {
            best = (bits, Choice::Own(table));
        }
    }

    let mut writer = BitWriter::with_capacity((best.0 / 8) as usize + 8);
    match best.1 {
        Choice::Packed => {
            out.push(PACKED);
            out.extend_from_slice(&transform_bytes);
            put_packed(out, &plan.transformed, width);
            return;
        }
        Choice::Own(table) => {
            let mode = match table {
                Table::Lengths { .. } => LENGTHS,
                Table::Dictionary { .. } => DICTIONARY,
            };
            out.push(mode);
            table.write(out);
            if mode == LENGTHS {
                out.extend_from_slice(&transform_bytes);
            }
            encoding.keep(column, table);
        }
        Choice::Shared => {
            let book = encoding.book(column).expect("chosen only with a book");
            out.push(SHARED);
            put_varint(out, u64::from(book.chunk));
            if matches!(book.table, Table::Lengths { .. }) {
                out.extend_from_slice(&transform_bytes);
            }
        }
    }
    let book = encoding
        .book(column)
        .expect("a table was just kept or shared");
    match &book.table {
        Table::Lengths { .. } => {
            for v in &plan.transformed {
                let length = bit_length(*v);
                let symbol = book.symbol_of_length[length].expect("every length is coded");
                book.encoder.put(&mut writer, usize::from(symbol));
                if length > 1 {
                    writer.put(*v, length as u32 - 1);
                }
            }
        }
        Table::Dictionary { values: listed, .. } => {
            for v in values {
                let symbol = listed.binary_search(v).expect("every value is listed");
                book.encoder.put(&mut writer, symbol);
            }
        }
    }
    out.extend_from_slice(&writer.finish());
}

enum Choice {
    Packed,
    Own(Table),
    Shared,
}

/// A lower bound on the bits any prefix code spends on symbols with these counts: each costs at
/// least the whole bits of its information, ⌊log2(n / count)⌋.
fn entropy_floor(counts: &[u64]) -> u64 {
    let n: u64 = counts.iter().sum();
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| c * u64::from((n / c).ilog2()))
        .sum()
}

/// Bytes a dictionary table of these values takes.
fn dictionary_len(values: &[u64]) -> usize {
    let mut previous = 0;
    let mut len = varint_len(values.len() as u64) + values.len().div_ceil(2);
    for v in values {
        len += varint_len(v - previous);
        previous = *v;
    }
    len
}

/// How often each of `listed` (ascending) occurs in `values`, if every value is listed.
fn count_listed(listed: &[u64], values: &[u64]) -> Option<Vec<u64>> {
    let mut counts = vec![0u64; listed.len()];
    let mut last: Option<(u64, usize)> = None;
    for v in values {
        // Runs of one value are common: skip the search for them.
        let symbol = match last {
            Some((value, symbol)) if value == *v => symbol,
            _ => listed.binary_search(v).ok()?,
        };
        counts[symbol] += 1;
        last = Some((*v, symbol));
    }
    Some(counts)
}

/// The distinct values (ascending) and how often each occurs, when there are few.
fn distinct_counts(values: &[u64]) -> Option<(Vec<u64>, Vec<u64>)> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mut distinct: Vec<u64> = Vec::new();
    let mut counts: Vec<u64> = Vec::new();
    for v in sorted {
        if distinct.last() == Some(&v) {
            *counts.last_mut().expect("a count per value") += 1;
        } else if distinct.len() == DICTIONARY_MAX {
            return None;
        } else {
            distinct.push(v);
            counts.push(1);
        }
    }
    Some((distinct, counts))
}

/// Reads the first `take` of the `n` values of column `column` (a prefix costs only what it
/// reads).
pub fn get_column(
    bytes: &[u8],
    n: usize,
    take: usize,
    sign: Sign,
    column: usize,
    tables: &mut dyn Tables,
) -> Result<Vec<u64>, TapeError> {
    let take = take.min(n);
    let mut values = Vec::with_capacity(take + 1);
    if n == 0 {
        return Ok(values);
    }
    let mut cursor = Cursor::new(bytes);
    let mode = cursor.byte()?;
    let (table, transform) = match mode {
        PACKED => {
            let transform = Transform::read(&mut cursor, sign)?;
            get_packed(&mut cursor, n, take, &mut values)?;
            transform.undo(&mut values);
            return Ok(values);
        }
        LENGTHS | DICTIONARY => {
            let written = written_table(bytes)?;
            let table = tables.decoder(written)?;
            cursor = Cursor::new(&bytes[written.len()..]);
            tables.own(column, table.clone());
            let transform = if table.lengths {
                Some(Transform::read(&mut cursor, sign)?)
            } else {
                None
            };
            (table, transform)
        }
        SHARED => {
            let chunk = u32::try_from(cursor.varint()?)
                .map_err(|_| TapeError::corrupt(CorruptKind::Range))?;
            let table = tables.shared(chunk, column)?;
            let transform = if table.lengths {
                Some(Transform::read(&mut cursor, sign)?)
            } else {
                None
            };
            (table, transform)
        }
        _ => return Err(TapeError::corrupt(CorruptKind::ColumnMode)),
    };
    let mut reader = BitReader::new(cursor.rest());
    // `extend` over a range knows its length: no capacity check per value.
    if table.lengths {
        values.extend((0..take).map(|_| {
            let length = table.symbols[table.decoder.get(&mut reader)] as u32;
            if length > 1 {
                (1 << (length - 1)) | reader.bits(length - 1)
            } else {
                u64::from(length)
            }
        }));
    } else {
        values.extend((0..take).map(|_| table.symbols[table.decoder.get(&mut reader)]));
    }
    reader.check()?;
    if let Some(transform) = transform {
        transform.undo(&mut values);
    }
    Ok(values)
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

/// Reads the first `take` of `n` packed values.
fn get_packed(
    cursor: &mut Cursor<'_>,
    n: usize,
    take: usize,
    values: &mut Vec<u64>,
) -> Result<(), TapeError> {
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
    if width == 0 {
        values.resize(take, 0);
    } else {
        let mut reader = BitReader::new(packed);
        for _ in 0..take {
            values.push(reader.bits(width));
        }
        reader.check()?;
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
        if index >= n {
            return Err(TapeError::corrupt(CorruptKind::Range));
        }
        if let Some(slot) = values.get_mut(index) {
            *slot |= high.checked_shl(width).unwrap_or(0);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// Tables as a reader keeps them: by chunk and column.
    #[derive(Default)]
    struct Kept {
        chunk: u32,
        tables: HashMap<(u32, usize), Arc<TableDecoder>>,
    }

    impl Tables for Kept {
        fn shared(&mut self, chunk: u32, column: usize) -> Result<Arc<TableDecoder>, TapeError> {
            self.tables
                .get(&(chunk, column))
                .cloned()
                .ok_or_else(|| TapeError::corrupt(CorruptKind::ColumnMode))
        }
        fn own(&mut self, column: usize, table: Arc<TableDecoder>) {
            self.tables.insert((self.chunk, column), table);
        }
    }

    fn first_byte(values: &[u64], sign: Sign) -> u8 {
        let mut books = Books::default();
        let mut out = Vec::new();
        put_column(
            &mut out,
            values,
            sign,
            0,
            &mut Encoding {
                chunk: 0,
                books: &mut books,
            },
        );
        out[0]
    }

    fn round_trip(chunks: &[Vec<u64>], sign: Sign) -> Vec<Vec<u8>> {
        let mut books = Books::default();
        let written: Vec<Vec<u8>> = chunks
            .iter()
            .enumerate()
            .map(|(i, values)| {
                let mut out = Vec::new();
                put_column(
                    &mut out,
                    values,
                    sign,
                    3,
                    &mut Encoding {
                        chunk: i as u32,
                        books: &mut books,
                    },
                );
                out
            })
            .collect();
        let mut kept = Kept::default();
        for (i, (bytes, values)) in written.iter().zip(chunks).enumerate() {
            kept.chunk = i as u32;
            let decoded =
                get_column(bytes, values.len(), values.len(), sign, 3, &mut kept).unwrap();
            assert_eq!(&decoded, values, "chunk {i}");
            let half = values.len() / 2;
            let prefix = get_column(bytes, values.len(), half, sign, 3, &mut kept).unwrap();
            assert_eq!(prefix, values[..half], "prefix of chunk {i}");
        }
        written
    }

    #[test]
    fn exact_division_by_a_step() {
        for step in [1u64, 2, 3, 5, 10, 1_000_000_000, 50_000_000, 7 << 40] {
            let divisor = Divisor::new(step);
            for k in [0i64, 1, -1, 7, -123_456, 1 << 20] {
                let v = k.wrapping_mul(step as i64);
                assert_eq!(divisor.signed(v), k, "{v} / {step}");
                if k >= 0 {
                    assert_eq!(divisor.unsigned(v as u64), k as u64);
                }
            }
        }
        // A step of 2^63: the quotient is only defined modulo 2^64, and multiplying back restores
        // the value, which is what decoding needs.
        let divisor = Divisor::new(1 << 63);
        assert_eq!(
            (divisor.signed(i64::MIN) as u64).wrapping_mul(1 << 63),
            i64::MIN as u64
        );
    }

    #[test]
    fn each_form_is_chosen_where_it_is_smallest() {
        let sizes: Vec<u64> = (0..300).map(|i| [10, 20, 50, 10, 10][i % 5]).collect();
        assert_eq!(first_byte(&sizes, Sign::Unsigned), DICTIONARY);
        let tail: Vec<u64> = (0..1000u64)
            .map(|i| if i % 3 == 0 { i * 1_000_003 } else { i % 3 })
            .collect();
        assert_eq!(first_byte(&tail, Sign::Unsigned), LENGTHS);
        let mut x = 12345u64;
        let uniform: Vec<u64> = (0..1000)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                x >> 40
            })
            .collect();
        assert_eq!(first_byte(&uniform, Sign::Unsigned), PACKED);
        round_trip(&[sizes, tail, uniform], Sign::Unsigned);
    }

    #[test]
    fn later_chunks_share_a_table_and_pay_little_for_it() {
        const LADDER: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 50, 75, 100, 250, 500];
        let chunk = |shift: usize| -> Vec<u64> {
            (0..300)
                .map(|i| LADDER[((i * 7 + shift) % 23).min(11)])
                .collect()
        };
        let written = round_trip(&[chunk(0), chunk(1), chunk(2)], Sign::Unsigned);
        assert_eq!(written[1][0], SHARED);
        assert!(
            written[1].len() + 8 < written[0].len(),
            "{} vs {}",
            written[1].len(),
            written[0].len()
        );
        // A value the shared table lacks makes the chunk write its own.
        let mut odd = chunk(0);
        odd[7] = 999;
        let written = round_trip(&[chunk(0), odd], Sign::Unsigned);
        assert_eq!(written[1][0], DICTIONARY);
    }

    #[test]
    fn signed_changes_round_trip() {
        let ticks: Vec<u64> = (0..300)
            .map(|i| (((i * 7) % 5) as i64 - 2).wrapping_mul(50_000_000) as u64)
            .collect();
        let one_way: Vec<u64> = (0..300).map(|i| 1_000_000_000 + (i % 3) * 1000).collect();
        round_trip(
            &[ticks, one_way, vec![i64::MIN as u64, 0, i64::MAX as u64]],
            Sign::Signed,
        );
    }

    #[test]
    fn a_missing_shared_table_is_damage() {
        let mut books = Books::default();
        let values: Vec<u64> = (0..300).map(|i| u64::from(i % 9 == 0) * (i % 4)).collect();
        for chunk in 0..2 {
            let mut out = Vec::new();
            put_column(
                &mut out,
                &values,
                Sign::Unsigned,
                0,
                &mut Encoding {
                    chunk,
                    books: &mut books,
                },
            );
            if chunk == 1 {
                assert_eq!(out[0], SHARED);
                assert!(get_column(&out, 300, 300, Sign::Unsigned, 0, &mut NoTables).is_err());
            }
        }
    }

    proptest! {
        #[test]
        fn columns_round_trip(chunks in proptest::collection::vec(
            proptest::collection::vec(prop_oneof![0u64..4, 0u64..1000, any::<u64>()], 0..300), 1..4),
            signed in any::<bool>()) {
            round_trip(&chunks, if signed { Sign::Signed } else { Sign::Unsigned });
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), n in 0usize..400) {
            let _ = get_column(&bytes, n, n, Sign::Unsigned, 0, &mut NoTables);
            let _ = get_column(&bytes, n, n / 2, Sign::Signed, 0, &mut Kept::default());
        }
    }
}
