//! Reading a session file: memory-mapped, checked, with caches of chunk indexes, shared column
//! tables and decoded chunks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::codec;
use crate::columns::{TableDecoder, Tables, written_table};
use crate::error::{CorruptKind, TapeError};
use crate::format::{
    Catalog, ChunkEntry, ContractEntry, Kind, Owner, SeriesEntry, decode_chunk_bounds,
    decode_chunk_index, locate_catalog,
};
use crate::records::{Bar, IndexValue, Quote, QuoteBounds};
use crate::series::{Decoded, Record};
use crate::underlying::{Context, PricePoint, PriceSource};
use jiff::civil::Date;
use model::Timestamp;
use model::symbol::OptionSymbol;

/// Decoded records a session keeps in memory for repeated queries, at most.
pub const DEFAULT_CACHE_RECORDS: usize = 2_000_000;
/// Shared column tables a session keeps decoded, at most.
const TABLE_CACHE: usize = 1 << 16;

/// One session of one underlying, opened for queries. Shareable between threads.
pub struct SessionFile {
    path: PathBuf,
    bytes: Bytes,
    catalog: Catalog,
    /// Where chunk data (and chunk indexes) end: the catalog's offset.
    data_end: u64,
    contract_index: HashMap<OptionSymbol, u32>,
    /// Each series' chunk index, read when the series is first queried.
    indexes: Vec<OnceLock<SeriesChunks>>,
    tables: Mutex<HashMap<(u32, u32, u8), Arc<TableDecoder>>>,
    /// Table decoders by the bytes of their table: contracts' columns often write the same
    /// table, and building a decoder costs more than finding it.
    decoders: Mutex<HashMap<Box<[u8]>, Arc<TableDecoder>>>,
    cache: Mutex<ChunkCache>,
}

/// The chunks of one series and where each starts within the series.
pub(crate) struct SeriesChunks {
    pub entries: Vec<ChunkEntry>,
    /// The position (index within the series) of each chunk's first record.
    pub starts: Vec<u64>,
    /// Where the index block's bounds section starts (quote series), and the bounds once read.
    bounds_at: usize,
    bounds: OnceLock<Vec<QuoteBounds>>,
}

enum Bytes {
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
        }
    }
}

impl std::fmt::Debug for SessionFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionFile")
            .field("path", &self.path)
            .field("underlying", &self.catalog.underlying)
            .field("date", &self.catalog.date)
            .field("contracts", &self.catalog.contracts.len())
            .finish()
    }
}

/// Decoded chunks (whole, or the first part of one), bounded by record count; the least recently
/// used go first.
struct ChunkCache {
    capacity: usize,
    records: usize,
    clock: u64,
    entries: HashMap<(u32, u32), Cached>,
}

struct Cached {
    records: Decoded,
    used: u64,
    /// Whether `records` is the whole chunk rather than its first part.
    whole: bool,
}

impl ChunkCache {
    fn new(capacity: usize) -> Self {
        ChunkCache {
            capacity,
            records: 0,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    fn get(&mut self, key: (u32, u32)) -> Option<(Decoded, bool)> {
        self.clock += 1;
        let cached = self.entries.get_mut(&key)?;
        cached.used = self.clock;
        Some((cached.records.clone(), cached.whole))
    }

    fn put(&mut self, key: (u32, u32), records: Decoded, whole: bool) {
        self.clock += 1;
        self.records += records.len();
        let cached = Cached {
            records,
            used: self.clock,
            whole,
        };
        if let Some(old) = self.entries.insert(key, cached) {
            self.records -= old.records.len();
        }
        if self.records > self.capacity && self.entries.len() > 1 {
            // Evict down to four fifths at once, so the sort is paid rarely.
            let mut by_age: Vec<((u32, u32), u64, usize)> = self
                .entries
                .iter()
                .map(|(k, c)| (*k, c.used, c.records.len()))
                .collect();
            by_age.sort_unstable_by_key(|e| e.1);
            for (key, _, len) in by_age {
                if self.records <= self.capacity / 5 * 4 || self.entries.len() == 1 {
                    break;
                }
                self.entries.remove(&key);
                self.records -= len;
            }
        }
    }
}

/// What decoding one chunk needs from the rest of the file: shared tables (from the session's
/// cache, or read from the chunk that wrote them) and the underlying's prices.
struct ChunkContext<'a> {
    file: &'a SessionFile,
    series: usize,
    chunk: usize,
}

impl Tables for ChunkContext<'_> {
    fn shared(&mut self, chunk: u32, column: usize) -> Result<Arc<TableDecoder>, TapeError> {
        if chunk as usize >= self.chunk {
            // A chunk only shares tables of earlier chunks.
            return Err(TapeError::corrupt(CorruptKind::ColumnMode));
        }
        let key = (self.series as u32, chunk, column as u8);
        if let Some(table) = self.file.lock_tables().get(&key) {
            return Ok(table.clone());
        }
        let payload = self.file.chunk_payload(self.series, chunk as usize)?;
        let table = self
            .file
            .decoder(written_table(codec::column_bytes(payload, column)?)?)?;
        self.file.keep_table(key, table.clone());
        Ok(table)
    }

    fn own(&mut self, column: usize, table: Arc<TableDecoder>) {
        self.file
            .keep_table((self.series as u32, self.chunk as u32, column as u8), table);
    }

    fn decoder(&mut self, table: &[u8]) -> Result<Arc<TableDecoder>, TapeError> {
        self.file.decoder(table)
    }
}

impl Context for ChunkContext<'_> {
    fn underlying_prices(
        &mut self,
        source: PriceSource,
        from: Timestamp,
        through: Timestamp,
    ) -> Result<Vec<PricePoint>, TapeError> {
        if self.file.catalog.series[self.series].owner == Owner::Underlying {
            // The underlying's own series are never predicted.
            return Err(TapeError::corrupt(CorruptKind::ColumnMode));
        }
        match source {
            PriceSource::IndexValues => self.file.price_path::<IndexValue>(from, through),
            PriceSource::QuoteSums => self.file.price_path::<Quote>(from, through),
        }
    }
}

impl SessionFile {
    /// Opens and checks a session file: header, footer and catalog checksums and the catalog's
    /// consistency. Chunk checksums are checked as chunks are read (or all at once by `verify`).
    pub fn open(path: &Path) -> Result<SessionFile, TapeError> {
        let file = std::fs::File::open(path).map_err(|e| TapeError::io(path, e))?;
        // SAFETY: tape files are written once under a temporary name and renamed into place; they
        // are never modified afterwards, so the mapped bytes cannot change under us. A file
        // truncated by something outside optiontape is caught by the length and checksum checks.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| TapeError::io(path, e))?;
        Self::from_bytes(path, Bytes::Mapped(map), DEFAULT_CACHE_RECORDS)
    }

    fn from_bytes(
        path: &Path,
        bytes: Bytes,
        cache_records: usize,
    ) -> Result<SessionFile, TapeError> {
        let range = locate_catalog(&bytes).map_err(|e| e.in_file(path))?;
        let data_end = range.start as u64;
        let catalog = Catalog::decode(&bytes[range], data_end).map_err(|e| e.in_file(path))?;
        let contract_index = catalog
            .contracts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.symbol, i as u32))
            .collect();
        let indexes = catalog.series.iter().map(|_| OnceLock::new()).collect();
        Ok(SessionFile {
            path: path.to_path_buf(),
            bytes,
            catalog,
            data_end,
            contract_index,
            indexes,
            tables: Mutex::new(HashMap::new()),
            decoders: Mutex::new(HashMap::new()),
            cache: Mutex::new(ChunkCache::new(cache_records)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn underlying(&self) -> &str {
        &self.catalog.underlying
    }

    pub fn date(&self) -> Date {
        self.catalog.date
    }

    /// Contracts listed this session, in the order they were registered.
    pub fn contracts(&self) -> &[ContractEntry] {
        &self.catalog.contracts
    }

    pub fn contract(&self, symbol: &OptionSymbol) -> Option<Owner> {
        self.contract_index.get(symbol).map(|i| Owner::Contract(*i))
    }

    pub fn contract_entry(&self, owner: Owner) -> Option<&ContractEntry> {
        match owner {
            Owner::Contract(i) => self.catalog.contracts.get(i as usize),
            Owner::Underlying => None,
        }
    }

    /// The trading summary of an owner for the session.
    pub fn day(&self, owner: Owner) -> Option<Bar> {
        match owner {
            Owner::Underlying => self.catalog.underlying_day,
            Owner::Contract(i) => self.catalog.contracts.get(i as usize)?.day,
        }
    }

    /// Where the session's data came from.
    pub fn sources(&self) -> &[String] {
        &self.catalog.sources
    }

    /// Every series: its owner, kind, source label and record count.
    pub fn series_list(&self) -> impl Iterator<Item = (Owner, Kind, &str, u64)> + '_ {
        self.catalog.series.iter().map(|s| {
            (
                s.owner,
                s.kind,
                self.catalog.sources[s.source as usize].as_str(),
                s.count,
            )
        })
    }

    /// Size of the file on disk, in bytes.
    pub fn file_len(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub(crate) fn series_index(&self, owner: Owner, kind: Kind) -> Option<usize> {
        self.catalog
            .series
            .binary_search_by(|s| (s.owner, s.kind).cmp(&(owner, kind)))
            .ok()
    }

    pub(crate) fn series(&self, index: usize) -> &SeriesEntry {
        &self.catalog.series[index]
    }

    /// The chunk index of a series, read and checked the first time it is needed.
    pub(crate) fn chunks(&self, series: usize) -> Result<&SeriesChunks, TapeError> {
        if let Some(chunks) = self.indexes[series].get() {
            return Ok(chunks);
        }
        let entry = &self.catalog.series[series];
        let describe = || format!("{:?} {:?} chunk index", entry.owner, entry.kind);
        let block = entry.index;
        let start = block.offset as usize;
        let bytes = &self.bytes[start..start + block.len as usize];
        if crc32fast::hash(bytes) != block.crc {
            return Err(TapeError::corrupt(CorruptKind::Checksum)
                .in_part(describe)
                .in_file(&self.path));
        }
        let (entries, bounds_at) = decode_chunk_index(bytes, entry, self.data_end)
            .map_err(|e| e.in_part(describe).in_file(&self.path))?;
        let mut start = 0u64;
        let starts = entries
            .iter()
            .map(|c| {
                let here = start;
                start += u64::from(c.count);
                here
            })
            .collect();
        // Another thread may have read it meanwhile; either copy is the same.
        let _ = self.indexes[series].set(SeriesChunks {
            entries,
            starts,
            bounds_at,
            bounds: OnceLock::new(),
        });
        Ok(self.indexes[series].get().expect("just set"))
    }

    /// Each chunk's price bounds of a quote series, read from its chunk index (already checked)
    /// the first time a bounded search needs them.
    pub(crate) fn chunk_bounds(&self, series: usize) -> Result<&[QuoteBounds], TapeError> {
        let chunks = self.chunks(series)?;
        if let Some(bounds) = chunks.bounds.get() {
            return Ok(bounds);
        }
        let entry = &self.catalog.series[series];
        let block = entry.index;
        let start = block.offset as usize;
        let bytes = &self.bytes[start + chunks.bounds_at..start + block.len as usize];
        let bounds = decode_chunk_bounds(bytes, chunks.entries.len()).map_err(|e| {
            e.in_part(|| format!("{:?} {:?} chunk bounds", entry.owner, entry.kind))
                .in_file(&self.path)
        })?;
        let _ = chunks.bounds.set(bounds);
        Ok(chunks.bounds.get().expect("just set"))
    }

    /// Records in a series.
    pub fn count(&self, owner: Owner, kind: Kind) -> u64 {
        self.series_index(owner, kind)
            .map_or(0, |i| self.catalog.series[i].count)
    }

    /// The first and last timestamps of a series, if it has records.
    pub fn extent(&self, owner: Owner, kind: Kind) -> Option<(Timestamp, Timestamp)> {
        let series = &self.catalog.series[self.series_index(owner, kind)?];
        Some((series.first_ts, series.last_ts))
    }

    /// The decoded records of one chunk, from the cache or the file.
    pub(crate) fn chunk<R: Record>(
        &self,
        series: usize,
        chunk: usize,
    ) -> Result<Arc<[R]>, TapeError> {
        let key = (series as u32, chunk as u32);
        if let Some((hit, true)) = self.lock_cache().get(key) {
            return R::unwrap(&hit).ok_or_else(|| TapeError::corrupt(CorruptKind::Catalog));
        }
        let records: Arc<[R]> = self.decode_chunk::<R>(series, chunk, None)?.into();
        self.lock_cache().put(key, R::wrap(records.clone()), true);
        Ok(records)
    }

    /// The records of one chunk at least through the first one after `t` (or all of them): enough
    /// to answer "as of" any instant up to `t`. A first look-up decodes only that far.
    pub(crate) fn chunk_through<R: Record>(
        &self,
        series: usize,
        chunk: usize,
        t: Timestamp,
    ) -> Result<Arc<[R]>, TapeError> {
        let key = (series as u32, chunk as u32);
        let cached = self.lock_cache().get(key);
        if let Some((hit, whole)) = &cached {
            let records = R::unwrap(hit).ok_or_else(|| TapeError::corrupt(CorruptKind::Catalog))?;
            if *whole || records.last().is_some_and(|r| r.ts() > t) {
                return Ok(records);
            }
        }
        // A part already decoded did not reach far enough: decode it all this time.
        let through = cached.is_none().then_some(t);
        let records: Arc<[R]> = self.decode_chunk::<R>(series, chunk, through)?.into();
        let whole = records.len() == self.chunks(series)?.entries[chunk].count as usize;
        self.lock_cache().put(key, R::wrap(records.clone()), whole);
        Ok(records)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, ChunkCache> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_tables(&self) -> std::sync::MutexGuard<'_, HashMap<(u32, u32, u8), Arc<TableDecoder>>> {
        self.tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The decoder of a written table, built once per distinct table.
    fn decoder(&self, table: &[u8]) -> Result<Arc<TableDecoder>, TapeError> {
        let lock = || {
            self.decoders
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(decoder) = lock().get(table) {
            return Ok(decoder.clone());
        }
        let decoder = Arc::new(TableDecoder::of_written(table)?);
        let mut decoders = lock();
        if decoders.len() >= TABLE_CACHE {
            decoders.clear();
        }
        decoders.insert(table.into(), decoder.clone());
        Ok(decoder)
    }

    fn keep_table(&self, key: (u32, u32, u8), table: Arc<TableDecoder>) {
        let mut tables = self.lock_tables();
        if tables.len() >= TABLE_CACHE {
            tables.clear();
        }
        tables.insert(key, table);
    }

    fn describe_chunk(&self, series: usize, chunk: usize) -> impl Fn() -> String + '_ {
        let entry = &self.catalog.series[series];
        move || format!("{:?} {:?} chunk {chunk}", entry.owner, entry.kind)
    }

    /// The checked bytes of one chunk.
    fn chunk_payload(&self, series: usize, chunk: usize) -> Result<&[u8], TapeError> {
        let meta = self
            .chunks(series)?
            .entries
            .get(chunk)
            .copied()
            .ok_or_else(|| TapeError::corrupt(CorruptKind::ColumnMode))?;
        let start = meta.offset as usize;
        let payload = &self.bytes[start..start + meta.len as usize];
        if crc32fast::hash(payload) != meta.crc {
            return Err(TapeError::corrupt(CorruptKind::Checksum)
                .in_part(self.describe_chunk(series, chunk))
                .in_file(&self.path));
        }
        Ok(payload)
    }

    /// Decodes one chunk, whole or (with `through`) through the first record after an instant.
    fn decode_chunk<R: Record>(
        &self,
        series: usize,
        chunk: usize,
        through: Option<Timestamp>,
    ) -> Result<Vec<R>, TapeError> {
        let meta = self.chunks(series)?.entries[chunk];
        let describe = self.describe_chunk(series, chunk);
        let payload = self.chunk_payload(series, chunk)?;
        let mut tables = ChunkContext {
            file: self,
            series,
            chunk,
        };
        let records = R::decode(payload, meta.first_ts, &mut tables, through)
            .map_err(|e| e.in_part(&describe).in_file(&self.path))?;
        let whole = records.len() == meta.count as usize;
        let consistent = records.len() <= meta.count as usize
            && !records.is_empty()
            && (if whole {
                records.last().map(R::ts) == Some(meta.last_ts)
            } else {
                through.is_some_and(|t| records.last().is_some_and(|r| r.ts() > t))
            });
        // (Times in order is checked as they are decoded.)
        if !consistent {
            return Err(TapeError::corrupt(CorruptKind::Catalog)
                .in_part(describe)
                .in_file(&self.path));
        }
        Ok(records)
    }

    /// The underlying's price path (from its series of `R`) from the last point at or before
    /// `from` (or the first point) through the last one at or before `through`.
    fn price_path<R: Record>(
        &self,
        from: Timestamp,
        through: Timestamp,
    ) -> Result<Vec<PricePoint>, TapeError> {
        let series = self
            .series_index(Owner::Underlying, R::KIND)
            .ok_or_else(|| TapeError::corrupt(CorruptKind::Catalog))?;
        let entries = &self.chunks(series)?.entries;
        let start = entries
            .partition_point(|c| c.first_ts <= from)
            .saturating_sub(1);
        let mut points = Vec::new();
        for (chunk, entry) in entries.iter().enumerate().skip(start) {
            if entry.first_ts > through && !points.is_empty() {
                break;
            }
            let records = self.chunk::<R>(series, chunk)?;
            // Only the last point at or before `from` matters before it.
            let skip = records
                .partition_point(|r| r.ts() <= from)
                .saturating_sub(1);
            if skip > 0 || records.first().is_some_and(|r| r.ts() <= from) {
                points.clear();
            }
            points.reserve(records.len() - skip);
            for record in &records[skip..] {
                if record.ts() > through && !points.is_empty() {
                    break;
                }
                let point = record
                    .price_point()
                    .ok_or_else(|| TapeError::corrupt(CorruptKind::Catalog))?
                    .1;
                points.push(point);
            }
        }
        Ok(points)
    }

    /// Reads and checks every chunk of the file. Returns the number of records checked.
    pub fn verify(&self) -> Result<u64, TapeError> {
        let mut total = 0;
        for (i, series) in self.catalog.series.iter().enumerate() {
            for chunk in 0..series.chunk_count as usize {
                total += match series.kind {
                    Kind::Quotes => self
                        .decode_chunk::<crate::records::Quote>(i, chunk, None)?
                        .len(),
                    Kind::Trades => self
                        .decode_chunk::<crate::records::Trade>(i, chunk, None)?
                        .len(),
                    Kind::Bars => self.decode_chunk::<Bar>(i, chunk, None)?.len(),
                    Kind::Values => self
                        .decode_chunk::<crate::records::IndexValue>(i, chunk, None)?
                        .len(),
                } as u64;
            }
        }
        Ok(total)
    }
}
