//! Record chunks: how quotes, trades, bars and index values are laid out in columns.
//!
//! A chunk holds up to [`CHUNK_RECORDS`] records of one series; a dense series is also cut at
//! every [`CHUNK_SPAN_SECONDS`] boundary so that a look-up as of any instant decodes little. The
//! first record's fields go in a small head (its timestamp is the chunk's, kept in the series'
//! chunk index); every later record is stored as changes from the one before, one field per
//! column (see [`crate::columns`] for how a column is written):
//!
//! - times and prices as their change since the previous record;
//! - quotes as a six-bit mask of the fields that changed (bid, spread, sizes, venues) and only
//!   the new values of those fields, since most updates move the price and leave the rest alone;
//!   an option's bid may first be adjusted by its move predicted from the underlying's (see
//!   [`crate::underlying`]), so that a bid that moved as predicted counts as unchanged.
//!
//! The layout:
//!
//! ```text
//! varint  record count n
//! varint  column count k
//! varint  head length, then k varint column lengths
//! head    the first record's fields as varints
//! k x     column bytes
//! ```

use crate::columns::{Encoding, Sign, Tables, get_column, put_column, unzigzag, zigzag};
use crate::error::{CorruptKind, TapeError};
use crate::records::{Bar, IndexValue, Quote, Trade};
use crate::underlying::{Context, Prediction, PricePath, PriceSource, PriceWalk, prices_at};
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

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Marks a [`put_decimal`] value written whole.
const DECIMAL_WHOLE: u64 = 31;
/// Most trailing decimal zeros an `i64` can have.
const DECIMAL_ZEROS_MAX: u64 = 18;

/// Writes a signed integer compactly when it ends in decimal zeros, as prices in nanodollars and
/// times in whole seconds do: the digits before the zeros and how many zeros, in one varint.
pub fn put_decimal(out: &mut Vec<u8>, v: i64) {
    let (mut digits, mut zeros) = (v, 0u64);
    while digits != 0 && digits % 10 == 0 {
        digits /= 10;
        zeros += 1;
    }
    let z = zigzag(digits);
    if z >> 58 == 0 {
        put_varint(out, (z << 5) | zeros);
    } else {
        put_varint(out, DECIMAL_WHOLE);
        put_varint(out, zigzag(v));
    }
}

/// 10^0 through 10^18, for [`Cursor::decimal`].
const POWERS_OF_TEN: [i64; DECIMAL_ZEROS_MAX as usize + 1] = {
    let mut powers = [1i64; DECIMAL_ZEROS_MAX as usize + 1];
    let mut i = 1;
    while i < powers.len() {
        powers[i] = powers[i - 1] * 10;
        i += 1;
    }
    powers
};

/// Reads varints from a byte slice, failing (never panicking) on truncated or oversized input.
pub struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, at: 0 }
    }

    #[inline]
    pub fn varint(&mut self) -> Result<u64, TapeError> {
        // Most varints are one byte.
        if let Some(&byte) = self.bytes.get(self.at)
            && byte < 0x80
        {
            self.at += 1;
            return Ok(u64::from(byte));
        }
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

    #[inline]
    pub fn signed(&mut self) -> Result<i64, TapeError> {
        self.varint().map(unzigzag)
    }

    /// Reads a value written by [`put_decimal`].
    #[inline]
    pub fn decimal(&mut self) -> Result<i64, TapeError> {
        let x = self.varint()?;
        if x == DECIMAL_WHOLE {
            return self.signed();
        }
        let zeros = x & 31;
        if zeros > DECIMAL_ZEROS_MAX {
            return Err(TapeError::corrupt(CorruptKind::Varint));
        }
        unzigzag(x >> 5)
            .checked_mul(POWERS_OF_TEN[zeros as usize])
            .ok_or_else(|| TapeError::corrupt(CorruptKind::Range))
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

fn narrow<T: TryFrom<u64>>(v: u64) -> Result<T, TapeError> {
    T::try_from(v).map_err(|_| TapeError::corrupt(CorruptKind::Range))
}

/// A chunk being written: the head and the columns so far.
struct Writer<'e, 'b> {
    n: usize,
    head: Vec<u8>,
    columns: Vec<Vec<u8>>,
    encoding: &'e mut Encoding<'b>,
}

impl<'e, 'b> Writer<'e, 'b> {
    fn new(n: usize, encoding: &'e mut Encoding<'b>) -> Self {
        Writer {
            n,
            head: Vec::new(),
            columns: Vec::new(),
            encoding,
        }
    }

    fn head(&mut self, v: u64) {
        put_varint(&mut self.head, v);
    }

    fn head_price(&mut self, v: i64) {
        put_decimal(&mut self.head, v);
    }

    fn column(&mut self, values: &[u64], sign: Sign) {
        let mut out = Vec::new();
        let index = self.columns.len();
        if !values.is_empty() {
            put_column(&mut out, values, sign, index, self.encoding);
        }
        self.columns.push(out);
    }

    /// The changes between consecutive values, as a signed column (for records 1..n).
    fn changes(&mut self, values: impl Iterator<Item = i64>) {
        let mut previous = None;
        let deltas: Vec<u64> = values
            .filter_map(|v| {
                let delta = previous.map(|p: i64| v.wrapping_sub(p) as u64);
                previous = Some(v);
                delta
            })
            .collect();
        self.column(&deltas, Sign::Signed);
    }

    fn finish(self) -> Vec<u8> {
        let body: usize = self.head.len() + self.columns.iter().map(Vec::len).sum::<usize>();
        let mut raw = Vec::with_capacity(body + 4 * (self.columns.len() + 3));
        put_varint(&mut raw, self.n as u64);
        put_varint(&mut raw, self.columns.len() as u64);
        put_varint(&mut raw, self.head.len() as u64);
        for column in &self.columns {
            put_varint(&mut raw, column.len() as u64);
        }
        raw.extend_from_slice(&self.head);
        for column in &self.columns {
            raw.extend_from_slice(column);
        }
        raw
    }
}

/// Most columns a chunk of any record type has.
const MAX_COLUMNS: usize = 8;

/// A chunk being read.
struct Reader<'p, 't> {
    n: usize,
    head: Cursor<'p>,
    /// Each column's bytes (the first `expected_columns` are used).
    columns: [&'p [u8]; MAX_COLUMNS],
    tables: &'t mut dyn Tables,
}

impl<'p, 't> Reader<'p, 't> {
    fn open(
        payload: &'p [u8],
        expected_columns: usize,
        tables: &'t mut dyn Tables,
    ) -> Result<Self, TapeError> {
        debug_assert!(expected_columns <= MAX_COLUMNS);
        let mut cursor = Cursor::new(payload);
        let n = usize::try_from(cursor.varint()?)
            .ok()
            .filter(|n| (1..=MAX_CHUNK_RECORDS).contains(n))
            .ok_or_else(|| TapeError::corrupt(CorruptKind::Count))?;
        if cursor.varint()? != expected_columns as u64 {
            return Err(TapeError::corrupt(CorruptKind::ColumnCount));
        }
        let length = |cursor: &mut Cursor<'p>| -> Result<usize, TapeError> {
            usize::try_from(cursor.varint()?)
                .map_err(|_| TapeError::corrupt(CorruptKind::Truncated))
        };
        let head_len = length(&mut cursor)?;
        let mut lengths = [0usize; MAX_COLUMNS];
        for len in lengths.iter_mut().take(expected_columns) {
            *len = length(&mut cursor)?;
        }
        let head = Cursor::new(cursor.take(head_len)?);
        let mut columns: [&'p [u8]; MAX_COLUMNS] = [&[]; MAX_COLUMNS];
        for (column, len) in columns.iter_mut().zip(lengths).take(expected_columns) {
            *column = cursor.take(len)?;
        }
        Ok(Reader {
            n,
            head,
            columns,
            tables,
        })
    }

    fn head(&mut self) -> Result<u64, TapeError> {
        self.head.varint()
    }

    fn head_price(&mut self) -> Result<i64, TapeError> {
        self.head.decimal()
    }

    fn column(&mut self, index: usize, count: usize, sign: Sign) -> Result<Vec<u64>, TapeError> {
        self.column_prefix(index, count, count, sign)
    }

    /// The first `take` of a column's `count` values.
    fn column_prefix(
        &mut self,
        index: usize,
        count: usize,
        take: usize,
        sign: Sign,
    ) -> Result<Vec<u64>, TapeError> {
        get_column(self.columns[index], count, take, sign, index, self.tables)
    }

    /// Values from a first value and a column of the changes after it.
    fn running(&mut self, index: usize, first: u64) -> Result<Vec<u64>, TapeError> {
        // Summed in place: the column leaves room for one more value.
        let mut values = self.column(index, self.n - 1, Sign::Signed)?;
        values.insert(0, first);
        let mut current = 0u64;
        for value in &mut values {
            current = current.wrapping_add(*value);
            *value = current;
        }
        Ok(values)
    }

    /// Times from the first and a column of the gaps after it, which are never negative: times
    /// in a chunk never go back.
    fn times(&mut self, index: usize, first: Timestamp) -> Result<Vec<Timestamp>, TapeError> {
        let mut values = self.column(index, self.n - 1, Sign::Signed)?;
        values.insert(0, first.as_nanos() as u64);
        let mut current = first.as_nanos();
        for value in &mut values[1..] {
            let gap = *value as i64;
            current = (gap >= 0)
                .then(|| current.checked_add(gap))
                .flatten()
                .ok_or_else(|| TapeError::corrupt(CorruptKind::Order))?;
            *value = current as u64;
        }
        Ok(values
            .into_iter()
            .map(|t| Timestamp::from_nanos(t as i64))
            .collect())
    }
}

/// The bytes of value column `column` of a chunk, whatever its record type.
pub fn column_bytes(payload: &[u8], column: usize) -> Result<&[u8], TapeError> {
    let mut cursor = Cursor::new(payload);
    cursor.varint()?;
    let k = cursor.varint()?;
    if column as u64 >= k {
        return Err(TapeError::corrupt(CorruptKind::ColumnCount));
    }
    let mut skip = cursor.varint()?;
    let mut len = 0;
    for i in 0..k {
        let here = cursor.varint()?;
        if (i as usize) < column {
            skip = skip.saturating_add(here);
        } else if i as usize == column {
            len = here;
        }
    }
    let skip = usize::try_from(skip).map_err(|_| TapeError::corrupt(CorruptKind::Truncated))?;
    let len = usize::try_from(len).map_err(|_| TapeError::corrupt(CorruptKind::Truncated))?;
    cursor.take(skip)?;
    cursor.take(len)
}

/// Which quote fields changed since the previous quote, one bit each.
mod changed {
    pub const ALL: u64 = 63;
}

pub fn encode_quotes(
    quotes: &[Quote],
    encoding: &mut Encoding<'_>,
    underlying: Option<PricePath<'_>>,
) -> Vec<u8> {
    let mut w = Writer::new(quotes.len(), encoding);
    let Some(first) = quotes.first() else {
        return w.finish();
    };
    let spread = |q: &Quote| q.ask.wrapping_sub(q.bid);
    // The bids as stored: less their move predicted from the underlying's, when that pays.
    let bids: Vec<i64> = quotes.iter().map(|q| q.bid).collect();
    let prices = underlying.map(|path| prices_at(path.points, quotes.iter().map(|q| q.ts)));
    let prediction = prices
        .as_deref()
        .and_then(|prices| Prediction::fit(&bids, prices).map(|p| (p, prices)));
    let stored: Vec<i64> = match (&prediction, underlying) {
        (Some((p, prices)), Some(path)) => {
            w.head(path.source as u64);
            w.head(zigzag(p.beta));
            w.head_price(p.unit);
            bids.iter()
                .zip(prices.iter())
                .map(|(b, price)| b.wrapping_sub(p.moved(price.wrapping_sub(prices[0]))))
                .collect()
        }
        _ => {
            w.head(0);
            bids
        }
    };
    w.head_price(first.bid);
    w.head_price(spread(first));
    w.head(u64::from(first.bid_size));
    w.head(u64::from(first.ask_size));
    w.head(u64::from(first.bid_exchange));
    w.head(u64::from(first.ask_exchange));
    let mut masks = Vec::with_capacity(quotes.len());
    let mut fields: [Vec<u64>; 6] = Default::default();
    for (pair, bid) in quotes.windows(2).zip(stored.windows(2)) {
        let (before, q) = (&pair[0], &pair[1]);
        let changes = [
            (bid[1] != bid[0]).then(|| bid[1].wrapping_sub(bid[0]) as u64),
            (spread(q) != spread(before)).then(|| spread(q).wrapping_sub(spread(before)) as u64),
            (q.bid_size != before.bid_size).then_some(u64::from(q.bid_size)),
            (q.ask_size != before.ask_size).then_some(u64::from(q.ask_size)),
            (q.bid_exchange != before.bid_exchange).then_some(u64::from(q.bid_exchange)),
            (q.ask_exchange != before.ask_exchange).then_some(u64::from(q.ask_exchange)),
        ];
        let mut mask = 0;
        for (bit, change) in changes.into_iter().enumerate() {
            if let Some(value) = change {
                mask |= 1 << bit;
                fields[bit].push(value);
            }
        }
        masks.push(mask);
    }
    w.changes(quotes.iter().map(|q| q.ts.as_nanos()));
    w.column(&masks, Sign::Unsigned);
    for (bit, values) in fields.iter().enumerate() {
        let sign = if bit < 2 {
            Sign::Signed
        } else {
            Sign::Unsigned
        };
        w.column(values, sign);
    }
    w.finish()
}

/// Decodes a chunk of quotes; with `through`, only the quotes up to the first one after that
/// instant (enough to answer "as of" any instant before it), which costs about that share of a
/// whole decode.
pub fn decode_quotes(
    payload: &[u8],
    first_ts: Timestamp,
    context: &mut dyn Context,
    through: Option<Timestamp>,
) -> Result<Vec<Quote>, TapeError> {
    let mut r = Reader::open(payload, 8, context)?;
    let predicted = match PriceSource::from_code(r.head()?)? {
        Some(source) => Some((
            source,
            Prediction {
                beta: unzigzag(r.head()?),
                unit: r.head_price()?,
            },
        )),
        None => None,
    };
    let bid = r.head_price()?;
    let spread = r.head_price()?;
    let first = Quote {
        ts: first_ts,
        bid,
        ask: bid.wrapping_add(spread),
        bid_size: narrow(r.head()?)?,
        ask_size: narrow(r.head()?)?,
        bid_exchange: narrow(r.head()?)?,
        ask_exchange: narrow(r.head()?)?,
    };
    let mut times = r.times(0, first_ts)?;
    let masks = r.column(1, r.n - 1, Sign::Unsigned)?;
    // Quotes wanted: through the first one after `through`, so that its absence is known too.
    let wanted = through.map_or(r.n, |t| (times.partition_point(|ts| *ts <= t) + 1).min(r.n));
    times.truncate(wanted);
    // Each field column holds as many values as masks have its bit; the wanted quotes use the
    // first `used` of them.
    // Counted through a histogram of the masks: one step per quote rather than six.
    let (mut all, mut prefix) = ([0usize; 64], [0usize; 64]);
    for (i, mask) in masks.iter().enumerate() {
        if *mask > changed::ALL {
            return Err(TapeError::corrupt(CorruptKind::Range));
        }
        all[*mask as usize] += 1;
        if i + 1 == wanted.saturating_sub(1) {
            prefix = all;
        }
    }
    if wanted.saturating_sub(1) >= masks.len() {
        prefix = all;
    }
    let (mut counts, mut used) = ([0usize; 6], [0usize; 6]);
    for mask in 0..64 {
        for bit in 0..6 {
            if mask >> bit & 1 == 1 {
                counts[bit] += all[mask];
                used[bit] += prefix[mask];
            }
        }
    }
    let limits = [
        u64::MAX,
        u64::MAX,
        u64::from(u32::MAX),
        u64::from(u32::MAX),
        u64::from(u16::MAX),
        u64::from(u16::MAX),
    ];
    let mut fields: [Vec<u64>; 6] = Default::default();
    for (bit, values) in fields.iter_mut().enumerate() {
        let sign = if bit < 2 {
            Sign::Signed
        } else {
            Sign::Unsigned
        };
        *values = r.column_prefix(2 + bit, counts[bit], used[bit], sign)?;
        if values.iter().any(|v| *v > limits[bit]) {
            return Err(TapeError::corrupt(CorruptKind::Range));
        }
        // A spare slot, so that `apply_changes` may read ahead of an unchanged field.
        values.push(0);
    }
    let mut quotes: Vec<Quote> = times.into_iter().map(|ts| Quote { ts, ..first }).collect();
    let later = &mut quotes[1..];
    // One pass per field keeps each pass's state in registers.
    let [
        bids,
        spreads,
        bid_sizes,
        ask_sizes,
        bid_exchanges,
        ask_exchanges,
    ] = &fields;
    let add = Running::Add;
    let replace = Running::Replace;
    apply_changes(later, &masks, 0, bids, first.bid as u64, add, |q, v| {
        q.bid = v as i64
    });
    if let Some((source, prediction)) = predicted {
        // The stored bids are less their predicted moves since the first quote: add them back.
        let (from, to) = (first_ts, quotes.last().map_or(first_ts, |q| q.ts));
        let points = context.underlying_prices(source, from, to)?;
        let mut path = PriceWalk::new(&points);
        let base = path.at(first_ts);
        for q in &mut quotes[1..] {
            let moved = prediction.moved(path.at(q.ts).wrapping_sub(base));
            q.bid = q.bid.wrapping_add(moved);
        }
    }
    let later = &mut quotes[1..];
    apply_changes(later, &masks, 1, spreads, spread as u64, add, |q, v| {
        q.ask = q.bid.wrapping_add(v as i64)
    });
    // Sizes and venues that never change in the quotes wanted are already the first quote's.
    macro_rules! replaced {
        ($bit:literal, $values:expr, $field:ident, $ty:ty) => {
            if used[$bit] > 0 {
                let initial = u64::from(first.$field);
                apply_changes(later, &masks, $bit, $values, initial, replace, |q, v| {
                    q.$field = v as $ty
                });
            }
        };
    }
    replaced!(2, bid_sizes, bid_size, u32);
    replaced!(3, ask_sizes, ask_size, u32);
    replaced!(4, bid_exchanges, bid_exchange, u16);
    replaced!(5, ask_exchanges, ask_exchange, u16);
    Ok(quotes)
}

/// How a field's new values combine with its running value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Running {
    /// Changes add up (prices).
    Add,
    /// A new value replaces the old one (sizes, venues).
    Replace,
}

/// Sets one field of every quote from its changes: where bit `bit` of a quote's mask is set, the
/// next of `values` is added to or replaces the running value, which starts at `initial`.
/// Branch-free, since whether a field changed is as good as random.
#[inline(always)]
fn apply_changes(
    quotes: &mut [Quote],
    masks: &[u64],
    bit: u32,
    values: &[u64],
    initial: u64,
    running: Running,
    mut set: impl FnMut(&mut Quote, u64),
) {
    let last = values.len() - 1;
    let (mut next, mut current) = (0usize, initial);
    for (quote, mask) in quotes.iter_mut().zip(masks) {
        let changed = (mask >> bit) & 1;
        let select = 0u64.wrapping_sub(changed);
        let value = values[next.min(last)];
        current = match running {
            Running::Add => current.wrapping_add(value & select),
            Running::Replace => (value & select) | (current & !select),
        };
        next += changed as usize;
        set(quote, current);
    }
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

pub fn encode_trades(trades: &[Trade], encoding: &mut Encoding<'_>) -> Vec<u8> {
    let mut w = Writer::new(trades.len(), encoding);
    let Some(first) = trades.first() else {
        return w.finish();
    };
    w.head_price(first.price);
    w.head(first.sequence);
    w.changes(trades.iter().map(|t| t.ts.as_nanos()));
    w.changes(trades.iter().map(|t| t.price));
    w.column(
        &trades.iter().map(|t| t.size).collect::<Vec<_>>(),
        Sign::Unsigned,
    );
    w.column(
        &trades
            .iter()
            .map(|t| u64::from(t.exchange))
            .collect::<Vec<_>>(),
        Sign::Unsigned,
    );
    w.column(
        &trades
            .iter()
            .map(|t| pack_conditions(t.conditions))
            .collect::<Vec<_>>(),
        Sign::Unsigned,
    );
    w.changes(trades.iter().map(|t| t.sequence as i64));
    w.finish()
}

pub fn decode_trades(
    payload: &[u8],
    first_ts: Timestamp,
    context: &mut dyn Context,
    _through: Option<Timestamp>,
) -> Result<Vec<Trade>, TapeError> {
    let mut r = Reader::open(payload, 6, context)?;
    let (price, sequence) = (r.head_price()?, r.head()?);
    let times = r.times(0, first_ts)?;
    let prices = r.running(1, price as u64)?;
    let sizes = r.column(2, r.n, Sign::Unsigned)?;
    let exchanges = r.column(3, r.n, Sign::Unsigned)?;
    let conditions = r.column(4, r.n, Sign::Unsigned)?;
    let sequences = r.running(5, sequence)?;
    (0..r.n)
        .map(|i| {
            Ok(Trade {
                ts: times[i],
                price: prices[i] as i64,
                size: sizes[i],
                exchange: narrow(exchanges[i])?,
                conditions: unpack_conditions(conditions[i]),
                sequence: sequences[i],
            })
        })
        .collect()
}

pub fn encode_bars(bars: &[Bar], encoding: &mut Encoding<'_>) -> Vec<u8> {
    let mut w = Writer::new(bars.len(), encoding);
    let Some(first) = bars.first() else {
        return w.finish();
    };
    let offsets = |f: fn(&Bar) -> i64| -> Vec<u64> { bars.iter().map(|b| f(b) as u64).collect() };
    w.head_price(first.open);
    w.changes(bars.iter().map(|b| b.start.as_nanos()));
    w.changes(bars.iter().map(|b| b.open));
    w.column(&offsets(|b| b.high.wrapping_sub(b.open)), Sign::Signed);
    w.column(&offsets(|b| b.open.wrapping_sub(b.low)), Sign::Signed);
    w.column(&offsets(|b| b.close.wrapping_sub(b.open)), Sign::Signed);
    w.column(
        &bars.iter().map(|b| b.volume).collect::<Vec<_>>(),
        Sign::Unsigned,
    );
    w.column(&offsets(|b| b.vwap.wrapping_sub(b.open)), Sign::Signed);
    w.column(
        &bars
            .iter()
            .map(|b| u64::from(b.transactions))
            .collect::<Vec<_>>(),
        Sign::Unsigned,
    );
    w.finish()
}

pub fn decode_bars(
    payload: &[u8],
    first_start: Timestamp,
    context: &mut dyn Context,
    _through: Option<Timestamp>,
) -> Result<Vec<Bar>, TapeError> {
    let mut r = Reader::open(payload, 8, context)?;
    let open = r.head_price()?;
    let starts = r.times(0, first_start)?;
    let opens = r.running(1, open as u64)?;
    let n = r.n;
    let high = r.column(2, n, Sign::Signed)?;
    let low = r.column(3, n, Sign::Signed)?;
    let close = r.column(4, n, Sign::Signed)?;
    let volume = r.column(5, n, Sign::Unsigned)?;
    let vwap = r.column(6, n, Sign::Signed)?;
    let transactions = r.column(7, n, Sign::Unsigned)?;
    (0..n)
        .map(|i| {
            let open = opens[i] as i64;
            Ok(Bar {
                start: starts[i],
                open,
                high: open.wrapping_add(high[i] as i64),
                low: open.wrapping_sub(low[i] as i64),
                close: open.wrapping_add(close[i] as i64),
                volume: volume[i],
                vwap: open.wrapping_add(vwap[i] as i64),
                transactions: narrow(transactions[i])?,
            })
        })
        .collect()
}

pub fn encode_values(values: &[IndexValue], encoding: &mut Encoding<'_>) -> Vec<u8> {
    let mut w = Writer::new(values.len(), encoding);
    let Some(first) = values.first() else {
        return w.finish();
    };
    w.head_price(first.value);
    w.changes(values.iter().map(|v| v.ts.as_nanos()));
    w.changes(values.iter().map(|v| v.value));
    w.finish()
}

pub fn decode_values(
    payload: &[u8],
    first_ts: Timestamp,
    context: &mut dyn Context,
    _through: Option<Timestamp>,
) -> Result<Vec<IndexValue>, TapeError> {
    let mut r = Reader::open(payload, 2, context)?;
    let value = r.head_price()?;
    let times = r.times(0, first_ts)?;
    let values = r.running(1, value as u64)?;
    Ok(times
        .into_iter()
        .zip(values)
        .map(|(ts, value)| IndexValue {
            ts,
            value: value as i64,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{Books, NoTables};
    use crate::error::CorruptKind;
    use proptest::prelude::*;

    type Decode<R> =
        fn(&[u8], Timestamp, &mut dyn Context, Option<Timestamp>) -> Result<Vec<R>, TapeError>;

    /// Encodes records (put in time order, as the writer has them) as the first chunk of a
    /// series (no shared tables) and decodes them.
    fn round_trip<R: PartialEq + std::fmt::Debug + Clone>(
        records: &[R],
        ts: impl Fn(&R) -> Timestamp,
        encode: fn(&[R], &mut Encoding<'_>) -> Vec<u8>,
        decode: Decode<R>,
    ) -> usize {
        let mut records = records.to_vec();
        records.sort_by_key(&ts);
        let records = &records[..];
        let mut books = Books::default();
        let payload = encode(
            records,
            &mut Encoding {
                chunk: 0,
                books: &mut books,
            },
        );
        let first = records.first().map_or(Timestamp::from_nanos(0), &ts);
        if records.is_empty() {
            assert!(
                decode(&payload, first, &mut NoTables, None).is_err(),
                "no empty chunks"
            );
        } else {
            assert_eq!(
                decode(&payload, first, &mut NoTables, None).unwrap(),
                records
            );
        }
        payload.len()
    }

    fn quotes(records: &[Quote]) -> usize {
        round_trip(
            records,
            |q| q.ts,
            |r, e| encode_quotes(r, e, None),
            decode_quotes,
        )
    }

    #[test]
    fn times_that_go_back_are_damage() {
        let at = |seconds| Quote {
            ts: Timestamp::from_seconds(seconds),
            bid: 10_000_000,
            ask: 20_000_000,
            ..Quote::default()
        };
        // The writer never encodes such a chunk; a damaged or crafted file can hold one.
        let payload = encode_quotes(
            &[at(10), at(12), at(11)],
            &mut Encoding {
                chunk: 0,
                books: &mut Books::default(),
            },
            None,
        );
        let err = decode_quotes(&payload, at(10).ts, &mut NoTables, None).unwrap_err();
        assert!(
            matches!(
                err,
                TapeError::Corrupt {
                    kind: CorruptKind::Order,
                    ..
                }
            ),
            "{err:?}"
        );
    }

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
        for v in [
            0i64,
            5,
            -5,
            12_350_000_000,
            -1_000_000_000,
            i64::MIN,
            i64::MAX,
            9_000_000_000_000_000_000,
            1 << 62,
        ] {
            let mut out = Vec::new();
            put_decimal(&mut out, v);
            assert_eq!(Cursor::new(&out).decimal().unwrap(), v, "{v}");
        }
        let mut price = Vec::new();
        put_decimal(&mut price, 12_350_000_000);
        assert_eq!(price.len(), 3, "$12.35 in nanodollars");
        assert!(
            Cursor::new(&[(5 << 5) | 19]).decimal().is_err(),
            "too many zeros"
        );
        assert!(Cursor::new(&[0x80, 0x80]).varint().is_err(), "truncated");
        assert!(Cursor::new(&[0xff; 11]).varint().is_err(), "too long");
    }

    /// A decoding context that knows an underlying's whole price path.
    struct Path(Vec<crate::underlying::PricePoint>);

    impl Tables for Path {
        fn shared(
            &mut self,
            _: u32,
            _: usize,
        ) -> Result<std::sync::Arc<crate::columns::TableDecoder>, TapeError> {
            Err(TapeError::corrupt(CorruptKind::ColumnMode))
        }
        fn own(&mut self, _: usize, _: std::sync::Arc<crate::columns::TableDecoder>) {}
    }

    impl Context for Path {
        fn underlying_prices(
            &mut self,
            _: PriceSource,
            _: Timestamp,
            _: Timestamp,
        ) -> Result<Vec<crate::underlying::PricePoint>, TapeError> {
            Ok(self.0.clone())
        }
    }

    /// An index stepping each second and an option whose bid follows it at a delta of 0.4 on a
    /// $0.05 grid, with its own occasional moves.
    fn index_and_option(seconds: i64) -> (Vec<crate::underlying::PricePoint>, Vec<Quote>) {
        let second = 1_000_000_000;
        let mut index = 6_000 * second;
        let mut points = Vec::new();
        let mut quotes = Vec::new();
        for s in 0..seconds {
            index += ((s * 7919) % 13 - 6) * second / 4;
            let ts = Timestamp::from_nanos(1_736_951_400 * second + s * second);
            points.push(crate::underlying::PricePoint { ts, price: index });
            let tick = 50_000_000;
            let own = if s % 11 == 0 { tick } else { 0 };
            let bid = (12 * second + (index - 6_000 * second) * 2 / 5) / tick * tick + own;
            quotes.push(Quote {
                ts: Timestamp::from_nanos(ts.as_nanos() + 250_000_000),
                bid,
                ask: bid + 2 * tick,
                bid_size: 10 + (s % 3) as u32,
                ask_size: 12,
                bid_exchange: 1,
                ask_exchange: 2,
            });
        }
        (points, quotes)
    }

    #[test]
    fn bids_predicted_from_the_underlying_round_trip_and_cost_less() {
        let (points, quotes) = index_and_option(300);
        let encode = |path: Option<PricePath<'_>>| {
            encode_quotes(
                &quotes,
                &mut Encoding {
                    chunk: 0,
                    books: &mut Books::default(),
                },
                path,
            )
        };
        let plain = encode(None);
        let predicted = encode(Some(PricePath {
            source: PriceSource::IndexValues,
            points: &points,
        }));
        assert!(
            predicted.len() * 3 < plain.len() * 2,
            "{} vs {} bytes",
            predicted.len(),
            plain.len()
        );
        let first = quotes[0].ts;
        let mut context = Path(points.clone());
        assert_eq!(
            decode_quotes(&predicted, first, &mut context, None).unwrap(),
            quotes
        );
        let cut = quotes[123].ts;
        assert_eq!(
            decode_quotes(&predicted, first, &mut context, Some(cut)).unwrap(),
            quotes[..125]
        );
        // Without the underlying's prices a predicted chunk cannot be read, and says so.
        assert!(decode_quotes(&predicted, first, &mut NoTables, None).is_err());
        assert_eq!(
            decode_quotes(&plain, first, &mut NoTables, None).unwrap(),
            quotes
        );
    }

    #[test]
    fn regular_timestamps_cost_nothing_per_record() {
        let flat: Vec<Quote> = (0..1000)
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
        let len = quotes(&flat);
        assert!(len < 60, "{len} bytes for a flat second-by-second series");
    }

    #[test]
    fn unchanged_fields_cost_almost_nothing() {
        // Only the bid and ask move, by a tick, every second.
        let moving: Vec<Quote> = (0..300)
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
        let len = quotes(&moving);
        assert!(len < 300 * 4 / 8, "{len} bytes");
    }

    #[test]
    fn garbage_is_reported_not_panicked_on() {
        let at = Timestamp::from_seconds(1);
        assert!(decode_quotes(b"not a chunk at all", at, &mut NoTables, None).is_err());
        let valid = encode_values(
            &[IndexValue { ts: at, value: 5 }],
            &mut Encoding {
                chunk: 0,
                books: &mut Books::default(),
            },
        );
        assert!(
            decode_quotes(&valid, at, &mut NoTables, None).is_err(),
            "wrong column count"
        );
        for cut in 0..valid.len() {
            assert!(decode_values(&valid[..cut], at, &mut NoTables, None).is_err());
        }
    }

    /// Any instant from 1970 to about 2116 (so no two are more than `i64::MAX` apart).
    fn any_time() -> impl Strategy<Value = i64> {
        0..i64::MAX / 2
    }

    fn arb_quote() -> impl Strategy<Value = Quote> {
        (
            any_time(),
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
        fn quotes_round_trip(records in proptest::collection::vec(arb_quote(), 0..200)) {
            quotes(&records);
        }

        #[test]
        fn quotes_with_few_changes_round_trip(steps in proptest::collection::vec((0u8..64, -3i64..4, 0u32..4), 1..300)) {
            let mut q = Quote { ts: Timestamp::from_seconds(1_736_951_400), bid: 1_000_000_000, ask: 1_100_000_000, bid_size: 1, ask_size: 1, bid_exchange: 1, ask_exchange: 1 };
            let mut records = Vec::new();
            for (mask, tick, size) in steps {
                q.ts = Timestamp::from_nanos(q.ts.as_nanos() + 1_000_000_000);
                if mask & 1 != 0 { q.bid += tick * 50_000_000; }
                if mask & 2 != 0 { q.ask = q.bid + 50_000_000 * (1 + tick.abs()); }
                if mask & 4 != 0 { q.bid_size = size; }
                if mask & 8 != 0 { q.ask_size = size + 1; }
                if mask & 16 != 0 { q.bid_exchange = size as u16; }
                if mask & 32 != 0 { q.ask_exchange = size as u16 + 2; }
                records.push(q);
            }
            quotes(&records);
            // Decoding through an instant gives the quotes up to the first one after it.
            let payload = encode_quotes(&records, &mut Encoding { chunk: 0, books: &mut Books::default() }, None);
            let cut = records[records.len() / 2].ts;
            let prefix = decode_quotes(&payload, records[0].ts, &mut NoTables, Some(cut)).unwrap();
            let expected = (records.partition_point(|q| q.ts <= cut) + 1).min(records.len());
            prop_assert_eq!(&prefix[..], &records[..expected]);
        }

        #[test]
        fn trades_round_trip(raw in proptest::collection::vec((any_time(), any::<i64>(), any::<u64>(), any::<u16>(), any::<[u16; 4]>(), any::<u64>()), 0..200)) {
            let trades: Vec<Trade> = raw.into_iter().map(|(ts, price, size, exchange, conditions, sequence)| Trade {
                ts: Timestamp::from_nanos(ts), price, size, exchange, conditions, sequence,
            }).collect();
            round_trip(&trades, |t| t.ts, encode_trades, decode_trades);
        }

        #[test]
        fn bars_round_trip(raw in proptest::collection::vec((any_time(), any::<[i64; 5]>(), any::<u64>(), any::<u32>()), 0..100)) {
            let bars: Vec<Bar> = raw.into_iter().map(|(start, p, volume, transactions)| Bar {
                start: Timestamp::from_nanos(start), open: p[0], high: p[1], low: p[2], close: p[3], vwap: p[4], volume, transactions,
            }).collect();
            round_trip(&bars, |b| b.start, encode_bars, decode_bars);
        }

        #[test]
        fn values_round_trip(raw in proptest::collection::vec((any_time(), any::<i64>()), 0..100)) {
            let values: Vec<IndexValue> = raw.into_iter().map(|(ts, value)| IndexValue { ts: Timestamp::from_nanos(ts), value }).collect();
            round_trip(&values, |v| v.ts, encode_values, decode_values);
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let at = Timestamp::from_seconds(1);
            let _ = decode_quotes(&bytes, at, &mut NoTables, None);
            let _ = decode_quotes(&bytes, at, &mut NoTables, Some(at));
            let _ = decode_trades(&bytes, at, &mut NoTables, None);
            let _ = decode_bars(&bytes, at, &mut NoTables, None);
            let _ = decode_values(&bytes, at, &mut NoTables, None);
        }
    }
}
