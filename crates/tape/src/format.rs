//! The on-disk layout of a session file.
//!
//! ```text
//! header   32 bytes   magic "OPTNTAPE", version u16, reserved u16, date u32 (YYYYMMDD),
//!                     underlying (16 bytes, NUL padded)
//! chunks   ...        record chunks (see `codec`), in the order they were completed
//! indexes  ...        one chunk index per series: each chunk's place, checksum, count and times
//! catalog  ...        zstd-compressed catalog: sources, contracts, and each series with where its
//!                     chunk index is
//! footer   32 bytes   catalog offset u64, catalog length u64, catalog crc32, header crc32,
//!                     magic "EPATNTPO"
//! ```
//!
//! Integers are little-endian. Every chunk carries a CRC-32 in its chunk index, every chunk index
//! one in the catalog, the catalog one in the footer, and the header one in the footer too, so any
//! damaged byte that matters is reported as damage rather than read as data. Opening a file reads
//! only the catalog; a series' chunk index is read the first time the series is queried.

use crate::codec::{Cursor, put_decimal, put_varint};
use crate::error::{CorruptKind, TapeError};
use crate::records::{Bar, QuoteBounds};
use jiff::civil::Date;
use model::Timestamp;
use model::symbol::{OptionSymbol, Right, Root, Strike};

pub const MAGIC: &[u8; 8] = b"OPTNTAPE";
pub const FOOTER_MAGIC: &[u8; 8] = b"EPATNTPO";
pub const VERSION: u16 = 4;
pub const HEADER_LEN: usize = 32;
pub const FOOTER_LEN: usize = 32;
/// Longest underlying symbol a file can name.
pub const UNDERLYING_MAX: usize = model::symbol::TICKER_MAX;

/// A date as the YYYYMMDD number files and vendors use.
pub fn yyyymmdd(date: Date) -> u32 {
    date.year() as u32 * 10_000 + date.month() as u32 * 100 + date.day() as u32
}

/// The date of a YYYYMMDD number, if it is one.
pub fn date_of(yyyymmdd: u32) -> Option<Date> {
    let year = i16::try_from(yyyymmdd / 10_000).ok()?;
    Date::new(year, (yyyymmdd / 100 % 100) as i8, (yyyymmdd % 100) as i8).ok()
}

/// Whose records a series holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    Underlying,
    /// An index into the session's contract list.
    Contract(u32),
}

/// What records a series holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Quotes = 0,
    Trades = 1,
    /// One-minute bars, from trades or as supplied by the source.
    Bars = 2,
    /// Published index values.
    Values = 3,
}

impl Kind {
    fn from_u8(v: u8) -> Result<Kind, TapeError> {
        Ok(match v {
            0 => Kind::Quotes,
            1 => Kind::Trades,
            2 => Kind::Bars,
            3 => Kind::Values,
            _ => return Err(TapeError::corrupt(CorruptKind::Catalog)),
        })
    }
}

/// Where one chunk lives and what it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkEntry {
    pub offset: u64,
    pub len: u32,
    pub crc: u32,
    pub count: u32,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
}

/// Where a block of bytes is in the file, and its checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Block {
    pub offset: u64,
    pub len: u32,
    pub crc: u32,
}

/// One series: its owner, kind, extent, and where the index of its chunks (in time order) is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesEntry {
    pub owner: Owner,
    pub kind: Kind,
    /// Index into the catalog's sources: where the records came from.
    pub source: u32,
    pub count: u64,
    pub chunk_count: u32,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub index: Block,
}

/// Writes the chunk index of a series: its chunk entries, then (for quotes) each chunk's price
/// bounds, which only a bounded search reads.
pub fn encode_chunk_index(chunks: &[ChunkEntry], bounds: &[QuoteBounds]) -> Vec<u8> {
    let mut out = Vec::with_capacity(chunks.len() * 12);
    let (mut previous_end, mut previous_last) = (0u64, chunks.first().map(|c| c.first_ts));
    for chunk in chunks {
        put_varint(&mut out, chunk.offset.wrapping_sub(previous_end));
        put_varint(&mut out, u64::from(chunk.len));
        out.extend_from_slice(&chunk.crc.to_le_bytes());
        put_varint(&mut out, u64::from(chunk.count));
        // Gaps in time, often whole seconds: `put_decimal` keeps them to a byte or two.
        let since =
            previous_last.map_or(0, |p| chunk.first_ts.as_nanos().wrapping_sub(p.as_nanos()));
        put_decimal(&mut out, since);
        put_decimal(
            &mut out,
            chunk
                .last_ts
                .as_nanos()
                .wrapping_sub(chunk.first_ts.as_nanos()),
        );
        previous_end = chunk.offset + u64::from(chunk.len);
        previous_last = Some(chunk.last_ts);
    }
    // Lows as changes from the chunk before, highs as distances above the lows: prices move
    // little from one chunk to the next, and `put_decimal` keeps ticks short.
    let mut previous_lows = (0i64, 0i64);
    for b in bounds {
        put_decimal(&mut out, b.bid_low.wrapping_sub(previous_lows.0));
        put_decimal(&mut out, b.bid_high.wrapping_sub(b.bid_low));
        put_decimal(&mut out, b.ask_low.wrapping_sub(previous_lows.1));
        put_decimal(&mut out, b.ask_high.wrapping_sub(b.ask_low));
        previous_lows = (b.bid_low, b.ask_low);
    }
    out
}

/// Reads the price bounds section of a quote series' chunk index (the bytes after its entries):
/// one per chunk.
pub fn decode_chunk_bounds(bytes: &[u8], chunks: usize) -> Result<Vec<QuoteBounds>, TapeError> {
    let bad = || TapeError::corrupt(CorruptKind::Catalog);
    let mut c = Cursor::new(bytes);
    let mut bounds = Vec::with_capacity(chunks);
    let mut previous_lows = (0i64, 0i64);
    for _ in 0..chunks {
        let mut range = |low: i64| -> Result<(i64, i64), TapeError> {
            let low = low.wrapping_add(c.decimal()?);
            let above = c.decimal()?;
            if above < 0 {
                return Err(bad());
            }
            Ok((low, low.checked_add(above).ok_or_else(bad)?))
        };
        let (bid_low, bid_high) = range(previous_lows.0)?;
        let (ask_low, ask_high) = range(previous_lows.1)?;
        previous_lows = (bid_low, ask_low);
        bounds.push(QuoteBounds {
            bid_low,
            bid_high,
            ask_low,
            ask_high,
        });
    }
    if !c.is_empty() {
        return Err(bad());
    }
    Ok(bounds)
}

/// Reads and checks the chunk entries of `series`' chunk index: chunks in time order, inside the
/// chunk area (which ends at `data_end`), adding up to the series' count and extent. Returns them
/// and where in `bytes` the bounds section of a quote series starts.
pub fn decode_chunk_index(
    bytes: &[u8],
    series: &SeriesEntry,
    data_end: u64,
) -> Result<(Vec<ChunkEntry>, usize), TapeError> {
    let bad = || TapeError::corrupt(CorruptKind::Catalog);
    let mut c = Cursor::new(bytes);
    let mut chunks: Vec<ChunkEntry> = Vec::with_capacity(series.chunk_count as usize);
    let (mut previous_end, mut previous_last) = (0u64, series.first_ts);
    let mut total = 0u64;
    for _ in 0..series.chunk_count {
        let offset = previous_end.wrapping_add(c.varint()?);
        let len = u32::try_from(c.varint()?).map_err(|_| bad())?;
        let crc = u32::from_le_bytes(c.take(4)?.try_into().expect("4 bytes"));
        let count = u32::try_from(c.varint()?).map_err(|_| bad())?;
        let mut after = |from: Timestamp| -> Result<Timestamp, TapeError> {
            let gap = c.decimal()?;
            if gap < 0 {
                return Err(TapeError::corrupt(CorruptKind::Order));
            }
            Ok(Timestamp::from_nanos(
                from.as_nanos().checked_add(gap).ok_or_else(bad)?,
            ))
        };
        let first_ts = after(previous_last)?;
        let last_ts = after(first_ts)?;
        let end = offset.checked_add(u64::from(len)).ok_or_else(bad)?;
        if offset < HEADER_LEN as u64 || end > data_end || count == 0 {
            return Err(bad());
        }
        total += u64::from(count);
        previous_end = end;
        previous_last = last_ts;
        chunks.push(ChunkEntry {
            offset,
            len,
            crc,
            count,
            first_ts,
            last_ts,
        });
    }
    // Only a quote series has more: its bounds section.
    let has_bounds = series.kind == Kind::Quotes;
    if c.is_empty() == has_bounds
        || total != series.count
        || chunks.first().map(|c| c.first_ts) != Some(series.first_ts)
        || chunks.last().map(|c| c.last_ts) != Some(series.last_ts)
    {
        return Err(bad());
    }
    Ok((chunks, bytes.len() - c.rest().len()))
}

/// Per-contract facts kept in the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractEntry {
    pub symbol: OptionSymbol,
    pub open_interest: Option<u64>,
    /// The session's trading summary, when it traded.
    pub day: Option<Bar>,
}

/// Everything needed to find data in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    pub underlying: String,
    pub date: Date,
    pub contracts: Vec<ContractEntry>,
    /// The underlying's trading summary, when it traded.
    pub underlying_day: Option<Bar>,
    /// Where the data came from, e.g. `synthetic seed=42` or an imported file and its digest.
    pub sources: Vec<String>,
    /// Sorted by (owner, kind).
    pub series: Vec<SeriesEntry>,
}

pub fn header_bytes(underlying: &str, date: Date) -> Result<[u8; HEADER_LEN], TapeError> {
    if underlying.is_empty() || underlying.len() > UNDERLYING_MAX || !underlying.is_ascii() {
        return Err(TapeError::Invalid(format!(
            "underlying symbol {underlying:?} must be 1 to {UNDERLYING_MAX} ASCII characters"
        )));
    }
    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(MAGIC);
    header[8..10].copy_from_slice(&VERSION.to_le_bytes());
    header[12..16].copy_from_slice(&yyyymmdd(date).to_le_bytes());
    header[16..16 + underlying.len()].copy_from_slice(underlying.as_bytes());
    Ok(header)
}

pub fn footer_bytes(
    catalog_offset: u64,
    catalog_len: u64,
    catalog_crc: u32,
    header_crc: u32,
) -> [u8; FOOTER_LEN] {
    let mut footer = [0u8; FOOTER_LEN];
    footer[..8].copy_from_slice(&catalog_offset.to_le_bytes());
    footer[8..16].copy_from_slice(&catalog_len.to_le_bytes());
    footer[16..20].copy_from_slice(&catalog_crc.to_le_bytes());
    footer[20..24].copy_from_slice(&header_crc.to_le_bytes());
    footer[24..32].copy_from_slice(FOOTER_MAGIC);
    footer
}

fn le_u64(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
}

fn le_u32(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes.try_into().expect("4 bytes"))
}

/// The format version a file's header names, if the bytes start like a tape file.
pub fn header_version(start: &[u8]) -> Option<u16> {
    (start.len() >= 10 && &start[..8] == MAGIC).then(|| u16::from_le_bytes([start[8], start[9]]))
}

/// Checks the header and footer of a whole file and returns the catalog's byte range.
pub fn locate_catalog(file: &[u8]) -> Result<std::ops::Range<usize>, TapeError> {
    if file.len() < HEADER_LEN + FOOTER_LEN {
        return Err(TapeError::corrupt(CorruptKind::Truncated));
    }
    let header = &file[..HEADER_LEN];
    if &header[..8] != MAGIC {
        return Err(TapeError::corrupt(CorruptKind::Magic));
    }
    let version = u16::from_le_bytes([header[8], header[9]]);
    if version != VERSION {
        return Err(TapeError::corrupt(CorruptKind::Version).in_part(|| {
            format!(
                "header: format {version}, this build reads {VERSION}; generate or import the \
                 session again"
            )
        }));
    }
    let footer = &file[file.len() - FOOTER_LEN..];
    if &footer[24..32] != FOOTER_MAGIC {
        return Err(TapeError::corrupt(CorruptKind::Truncated));
    }
    if crc32fast::hash(header) != le_u32(&footer[20..24]) {
        return Err(TapeError::corrupt(CorruptKind::Checksum))
            .map_err(|e| e.in_part(|| "header".into()));
    }
    let offset = usize::try_from(le_u64(&footer[..8]))
        .map_err(|_| TapeError::corrupt(CorruptKind::Catalog))?;
    let len = usize::try_from(le_u64(&footer[8..16]))
        .map_err(|_| TapeError::corrupt(CorruptKind::Catalog))?;
    let end = offset
        .checked_add(len)
        .ok_or_else(|| TapeError::corrupt(CorruptKind::Catalog))?;
    if offset < HEADER_LEN || end != file.len() - FOOTER_LEN {
        return Err(TapeError::corrupt(CorruptKind::Catalog));
    }
    if crc32fast::hash(&file[offset..end]) != le_u32(&footer[16..20]) {
        return Err(TapeError::corrupt(CorruptKind::Checksum).in_part(|| "catalog".into()));
    }
    Ok(offset..end)
}

fn put_ts(out: &mut Vec<u8>, ts: Timestamp) {
    put_varint(out, ts.as_nanos() as u64);
}

fn get_ts(cursor: &mut Cursor<'_>) -> Result<Timestamp, TapeError> {
    Ok(Timestamp::from_nanos(cursor.varint()? as i64))
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn get_str(cursor: &mut Cursor<'_>) -> Result<String, TapeError> {
    let len = cursor.varint()? as usize;
    let bytes = cursor.take(len)?;
    String::from_utf8(bytes.to_vec()).map_err(|_| TapeError::corrupt(CorruptKind::Catalog))
}

fn put_bar(out: &mut Vec<u8>, bar: &Option<Bar>) {
    match bar {
        None => out.push(0),
        Some(bar) => {
            out.push(1);
            put_ts(out, bar.start);
            for px in [bar.open, bar.high, bar.low, bar.close, bar.vwap] {
                put_varint(out, px as u64);
            }
            put_varint(out, bar.volume);
            put_varint(out, u64::from(bar.transactions));
        }
    }
}

fn get_bar(cursor: &mut Cursor<'_>) -> Result<Option<Bar>, TapeError> {
    match cursor.take(1)?[0] {
        0 => Ok(None),
        1 => {
            let start = get_ts(cursor)?;
            let mut px = [0i64; 5];
            for p in &mut px {
                *p = cursor.varint()? as i64;
            }
            Ok(Some(Bar {
                start,
                open: px[0],
                high: px[1],
                low: px[2],
                close: px[3],
                vwap: px[4],
                volume: cursor.varint()?,
                transactions: u32::try_from(cursor.varint()?)
                    .map_err(|_| TapeError::corrupt(CorruptKind::Range))?,
            }))
        }
        _ => Err(TapeError::corrupt(CorruptKind::Catalog)),
    }
}

/// Largest decompressed catalog accepted; a damaged length must not exhaust memory.
const CATALOG_MAX: u64 = 256 << 20;

fn decompress_bounded(compressed: &[u8], limit: u64) -> Result<Vec<u8>, TapeError> {
    use std::io::Read;
    let decoder = zstd::stream::read::Decoder::new(compressed)
        .map_err(|_| TapeError::corrupt(CorruptKind::Compression))?;
    let mut raw = Vec::new();
    decoder
        .take(limit + 1)
        .read_to_end(&mut raw)
        .map_err(|_| TapeError::corrupt(CorruptKind::Compression))?;
    if raw.len() as u64 > limit {
        return Err(TapeError::corrupt(CorruptKind::Catalog));
    }
    Ok(raw)
}

impl Catalog {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_str(&mut out, &self.underlying);
        put_varint(&mut out, u64::from(yyyymmdd(self.date)));
        put_bar(&mut out, &self.underlying_day);
        put_varint(&mut out, self.sources.len() as u64);
        for source in &self.sources {
            put_str(&mut out, source);
        }
        put_varint(&mut out, self.contracts.len() as u64);
        for contract in &self.contracts {
            put_str(&mut out, contract.symbol.root.as_str());
            put_varint(&mut out, u64::from(yyyymmdd(contract.symbol.expiration)));
            out.push(contract.symbol.right.as_char() as u8);
            put_varint(&mut out, u64::from(contract.symbol.strike.thousandths()));
            put_varint(&mut out, contract.open_interest.map_or(0, |oi| oi + 1));
            put_bar(&mut out, &contract.day);
        }
        put_varint(&mut out, self.series.len() as u64);
        for series in &self.series {
            match series.owner {
                Owner::Underlying => put_varint(&mut out, 0),
                Owner::Contract(i) => put_varint(&mut out, u64::from(i) + 1),
            }
            out.push(series.kind as u8);
            put_varint(&mut out, u64::from(series.source));
            put_varint(&mut out, series.count);
            put_varint(&mut out, u64::from(series.chunk_count));
            put_ts(&mut out, series.first_ts);
            put_varint(
                &mut out,
                (series.last_ts.as_nanos() - series.first_ts.as_nanos()) as u64,
            );
            put_varint(&mut out, series.index.offset);
            put_varint(&mut out, u64::from(series.index.len));
            out.extend_from_slice(&series.index.crc.to_le_bytes());
        }
        zstd::bulk::compress(&out, 9).expect("zstd compression of an in-memory buffer cannot fail")
    }

    /// Decodes and checks a catalog; `data_end` is where chunk data must end (the catalog offset).
    pub fn decode(compressed: &[u8], data_end: u64) -> Result<Catalog, TapeError> {
        let raw = decompress_bounded(compressed, CATALOG_MAX)?;
        let mut c = Cursor::new(&raw);
        let underlying = get_str(&mut c)?;
        let date = u32::try_from(c.varint()?)
            .ok()
            .and_then(date_of)
            .ok_or_else(|| TapeError::corrupt(CorruptKind::Range))?;
        let underlying_day = get_bar(&mut c)?;
        let source_count = c.varint()? as usize;
        if source_count > raw.len() {
            return Err(TapeError::corrupt(CorruptKind::Count));
        }
        let sources = (0..source_count)
            .map(|_| get_str(&mut c))
            .collect::<Result<Vec<_>, _>>()?;
        let contract_count = c.varint()? as usize;
        if contract_count > raw.len() {
            return Err(TapeError::corrupt(CorruptKind::Count));
        }
        let mut contracts = Vec::with_capacity(contract_count);
        for _ in 0..contract_count {
            let bad = || TapeError::corrupt(CorruptKind::Catalog);
            let root = Root::new(&get_str(&mut c)?).map_err(|_| bad())?;
            let expiration = u32::try_from(c.varint()?)
                .ok()
                .and_then(date_of)
                .ok_or_else(bad)?;
            let right = Right::from_char(char::from(c.take(1)?[0])).ok_or_else(bad)?;
            let strike = u32::try_from(c.varint()?)
                .ok()
                .and_then(|s| Strike::from_thousandths(s).ok())
                .ok_or_else(bad)?;
            let symbol = OptionSymbol::new(root, expiration, right, strike).map_err(|_| bad())?;
            let oi = c.varint()?;
            contracts.push(ContractEntry {
                symbol,
                open_interest: oi.checked_sub(1),
                day: get_bar(&mut c)?,
            });
        }
        let series_count = c.varint()? as usize;
        if series_count > raw.len() {
            return Err(TapeError::corrupt(CorruptKind::Count));
        }
        let mut series = Vec::with_capacity(series_count);
        for _ in 0..series_count {
            let owner = match c.varint()? {
                0 => Owner::Underlying,
                i if i <= contract_count as u64 => Owner::Contract((i - 1) as u32),
                _ => return Err(TapeError::corrupt(CorruptKind::Catalog)),
            };
            let kind = Kind::from_u8(c.take(1)?[0])?;
            let source = u32::try_from(c.varint()?)
                .ok()
                .filter(|s| (*s as usize) < sources.len())
                .ok_or_else(|| TapeError::corrupt(CorruptKind::Catalog))?;
            let count = c.varint()?;
            let chunk_count =
                u32::try_from(c.varint()?).map_err(|_| TapeError::corrupt(CorruptKind::Catalog))?;
            let first_ts = get_ts(&mut c)?;
            let last_ts = Timestamp::from_nanos(
                first_ts
                    .as_nanos()
                    .checked_add_unsigned(c.varint()?)
                    .ok_or_else(|| TapeError::corrupt(CorruptKind::Catalog))?,
            );
            let index = Block {
                offset: c.varint()?,
                len: u32::try_from(c.varint()?)
                    .map_err(|_| TapeError::corrupt(CorruptKind::Catalog))?,
                crc: u32::from_le_bytes(c.take(4)?.try_into().expect("4 bytes")),
            };
            let index_end = index.offset.checked_add(u64::from(index.len));
            if chunk_count == 0
                || u64::from(chunk_count) > count
                || index.offset < HEADER_LEN as u64
                || index_end.is_none_or(|end| end > data_end)
            {
                return Err(TapeError::corrupt(CorruptKind::Catalog));
            }
            series.push(SeriesEntry {
                owner,
                kind,
                source,
                count,
                chunk_count,
                first_ts,
                last_ts,
                index,
            });
        }
        if !c.is_empty() {
            return Err(TapeError::corrupt(CorruptKind::Catalog));
        }
        if !series
            .windows(2)
            .all(|w| (w[0].owner, w[0].kind) < (w[1].owner, w[1].kind))
        {
            return Err(TapeError::corrupt(CorruptKind::Catalog));
        }
        Ok(Catalog {
            underlying,
            date,
            contracts,
            underlying_day,
            sources,
            series,
        })
    }
}
