//! Reading a session file: memory-mapped, checked, with a cache of decoded chunks.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{CorruptKind, TapeError};
use crate::format::{Catalog, ContractEntry, Kind, Owner, SeriesEntry, locate_catalog};
use crate::records::Bar;
use crate::series::{Decoded, Record};
use jiff::civil::Date;
use model::symbol::OptionSymbol;

/// Decoded records a session keeps in memory for repeated queries, at most.
pub const DEFAULT_CACHE_RECORDS: usize = 2_000_000;

/// One session of one underlying, opened for queries. Shareable between threads.
pub struct SessionFile {
    path: PathBuf,
    bytes: Bytes,
    catalog: Catalog,
    contract_index: HashMap<OptionSymbol, u32>,
    /// For each series, the index of each chunk's first record within the series.
    chunk_starts: Vec<Vec<u64>>,
    cache: Mutex<ChunkCache>,
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

/// A least-recently-used cache of decoded chunks, bounded by record count.
struct ChunkCache {
    capacity: usize,
    records: usize,
    clock: u64,
    entries: HashMap<(usize, usize), (Decoded, u64)>,
    by_age: BTreeMap<u64, (usize, usize)>,
}

impl ChunkCache {
    fn new(capacity: usize) -> Self {
        ChunkCache {
            capacity,
            records: 0,
            clock: 0,
            entries: HashMap::new(),
            by_age: BTreeMap::new(),
        }
    }

    fn get(&mut self, key: (usize, usize)) -> Option<Decoded> {
        self.clock += 1;
        let clock = self.clock;
        let (decoded, age) = self.entries.get_mut(&key)?;
        self.by_age.remove(age);
        *age = clock;
        self.by_age.insert(clock, key);
        Some(decoded.clone())
    }

    fn put(&mut self, key: (usize, usize), decoded: Decoded) {
        self.clock += 1;
        self.records += decoded.len();
        if let Some((old, age)) = self.entries.insert(key, (decoded, self.clock)) {
            self.records -= old.len();
            self.by_age.remove(&age);
        }
        self.by_age.insert(self.clock, key);
        while self.records > self.capacity && self.entries.len() > 1 {
            let Some((_, oldest)) = self.by_age.pop_first() else {
                break;
            };
            if let Some((evicted, _)) = self.entries.remove(&oldest) {
                self.records -= evicted.len();
            }
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
        let chunk_starts = catalog
            .series
            .iter()
            .map(|s| {
                let mut start = 0u64;
                s.chunks
                    .iter()
                    .map(|c| {
                        let here = start;
                        start += u64::from(c.count);
                        here
                    })
                    .collect()
            })
            .collect();
        Ok(SessionFile {
            path: path.to_path_buf(),
            bytes,
            catalog,
            contract_index,
            chunk_starts,
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

    pub(crate) fn chunk_starts(&self, series: usize) -> &[u64] {
        &self.chunk_starts[series]
    }

    /// Records in a series.
    pub fn count(&self, owner: Owner, kind: Kind) -> u64 {
        self.series_index(owner, kind)
            .map_or(0, |i| self.catalog.series[i].count)
    }

    /// The decoded records of one chunk, from the cache or the file.
    pub(crate) fn chunk<R: Record>(
        &self,
        series: usize,
        chunk: usize,
    ) -> Result<Arc<[R]>, TapeError> {
        if let Some(hit) = self.lock_cache().get((series, chunk)) {
            return R::unwrap(&hit).ok_or_else(|| TapeError::corrupt(CorruptKind::Catalog));
        }
        let records: Arc<[R]> = self.decode_chunk::<R>(series, chunk)?.into();
        self.lock_cache()
            .put((series, chunk), R::wrap(records.clone()));
        Ok(records)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, ChunkCache> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn decode_chunk<R: Record>(&self, series: usize, chunk: usize) -> Result<Vec<R>, TapeError> {
        let entry = &self.catalog.series[series];
        let meta = entry.chunks[chunk];
        let describe = || format!("{:?} {:?} chunk {chunk}", entry.owner, entry.kind);
        let start = meta.offset as usize;
        let payload = &self.bytes[start..start + meta.len as usize];
        if crc32fast::hash(payload) != meta.crc {
            return Err(TapeError::corrupt(CorruptKind::Checksum)
                .in_part(describe)
                .in_file(&self.path));
        }
        let records = R::decode(payload).map_err(|e| e.in_part(describe).in_file(&self.path))?;
        let consistent = records.len() == meta.count as usize
            && records.first().map(R::ts) == Some(meta.first_ts)
            && records.last().map(R::ts) == Some(meta.last_ts)
            && records.windows(2).all(|w| w[0].ts() <= w[1].ts());
        if !consistent {
            return Err(TapeError::corrupt(CorruptKind::Catalog)
                .in_part(describe)
                .in_file(&self.path));
        }
        Ok(records)
    }

    /// Reads and checks every chunk of the file. Returns the number of records checked.
    pub fn verify(&self) -> Result<u64, TapeError> {
        let mut total = 0;
        for (i, series) in self.catalog.series.iter().enumerate() {
            for chunk in 0..series.chunks.len() {
                total += match series.kind {
                    Kind::Quotes => self.decode_chunk::<crate::records::Quote>(i, chunk)?.len(),
                    Kind::Trades => self.decode_chunk::<crate::records::Trade>(i, chunk)?.len(),
                    Kind::Bars => self.decode_chunk::<Bar>(i, chunk)?.len(),
                    Kind::Values => self
                        .decode_chunk::<crate::records::IndexValue>(i, chunk)?
                        .len(),
                } as u64;
            }
        }
        Ok(total)
    }
}
