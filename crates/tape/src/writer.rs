//! Writing one session file.
//!
//! Records stream in per series (an owner and a kind) in time order; each series is cut into
//! chunks as it fills, so memory stays at one open chunk per series however large the session.
//! Chunks go to a spill file as they are cut. At the end they are laid out in the session file by
//! time window: every series' chunks of one five-minute window sit together, so a look-up across
//! many contracts at one instant reads one region of the file rather than one place per contract.
//! The file is written under a temporary name in the target folder, synced, then renamed into
//! place: a reader sees the old file or the complete new one, never a partial file.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use model::Timestamp;
use model::symbol::OptionSymbol;

use crate::codec::{CHUNK_RECORDS, CHUNK_SPAN_SECONDS, MIN_SPAN_CHUNK};
use crate::columns::{Books, Encoding};
use crate::error::TapeError;
use crate::format::{
    Block, Catalog, ChunkEntry, ContractEntry, HEADER_LEN, Kind, Owner, SeriesEntry,
    encode_chunk_index, footer_bytes, header_bytes, yyyymmdd,
};
use crate::records::{Bar, IndexValue, MINUTE_NANOS, Quote, QuoteBounds, Trade, minute_start};
use crate::series::Record;
use crate::underlying::{PricePath, PricePoint, PriceSource};

/// Builds one session file for one underlying.
pub struct SessionBuilder {
    underlying: String,
    date: Date,
    final_path: PathBuf,
    /// The session file being written, under a temporary name, and the chunks' spill file.
    temp_path: PathBuf,
    spill_path: PathBuf,
    /// `None` once finished.
    out: Option<Output>,
    supplied_days: BTreeMap<Owner, DayAccumulator>,
    contracts: Vec<ContractEntry>,
    contract_index: HashMap<OptionSymbol, u32>,
    quotes: BTreeMap<Owner, Pending<Quote>>,
    trades: BTreeMap<Owner, Pending<Trade>>,
    supplied_bars: BTreeMap<Owner, Pending<Bar>>,
    values: BTreeMap<Owner, Pending<IndexValue>>,
    derived_bars: BTreeMap<Owner, MinuteBars>,
    /// Bars of the underlying's index values, used when it has no trades.
    value_bars: MinuteBars,
    header_crc: u32,
    sources: Vec<String>,
    current_source: u32,
    root: PathBuf,
    /// Whether this is the second writing of a session (see `finish`).
    rewriting: bool,
}

/// A series being written: its finished chunks and the records of the chunk being filled.
struct Pending<R> {
    /// Index into the builder's sources.
    source: u32,
    buffer: Vec<R>,
    chunks: Vec<ChunkEntry>,
    /// Each chunk's price bounds (quote series only).
    bounds: Vec<QuoteBounds>,
    /// Code tables the series' chunks can share.
    books: Books,
    count: u64,
    last_ts: Option<Timestamp>,
}

impl<R> Pending<R> {
    fn new(source: u32) -> Self {
        Pending {
            source,
            buffer: Vec::new(),
            chunks: Vec::new(),
            bounds: Vec::new(),
            books: Books::default(),
            count: 0,
            last_ts: None,
        }
    }
}

/// Builds one-minute bars from trades as they stream in.
#[derive(Default)]
struct MinuteBars {
    done: Vec<Bar>,
    current: Option<(Bar, i128)>,
}

/// Derived one-minute bars are stored only for owners with at least this many trades (or index
/// values) per bar on average; for sparser ones, reading the trades is as quick as reading bars.
const DENSE_BAR_RECORDS: u64 = 4;

impl MinuteBars {
    /// Index values make bars too: prices without volume.
    fn add_value(&mut self, value: &IndexValue) {
        self.add(&Trade {
            ts: value.ts,
            price: value.value,
            size: 0,
            ..Trade::default()
        });
    }

    fn add(&mut self, trade: &Trade) {
        let start = minute_start(trade.ts);
        if let Some((bar, _)) = &self.current
            && bar.start != start
        {
            self.flush();
        }
        let notional = i128::from(trade.price) * i128::from(trade.size);
        let counts = u32::from(trade.size > 0);
        match &mut self.current {
            Some((bar, sum)) => {
                bar.high = bar.high.max(trade.price);
                bar.low = bar.low.min(trade.price);
                bar.close = trade.price;
                bar.volume += trade.size;
                bar.transactions += counts;
                *sum += notional;
            }
            None => {
                self.current = Some((
                    Bar {
                        start,
                        open: trade.price,
                        high: trade.price,
                        low: trade.price,
                        close: trade.price,
                        volume: trade.size,
                        vwap: trade.price,
                        transactions: counts,
                    },
                    notional,
                ));
            }
        }
    }

    fn flush(&mut self) {
        if let Some((mut bar, sum)) = self.current.take() {
            bar.vwap = if bar.volume > 0 {
                (sum / i128::from(bar.volume)) as i64
            } else {
                // Values have no volume: the bar's average is its midpoint of open and close.
                (bar.open + bar.close) / 2
            };
            self.done.push(bar);
        }
    }

    fn finish(mut self) -> Vec<Bar> {
        self.flush();
        self.done
    }
}

/// The running trading summary of supplied bars.
#[derive(Default)]
struct DayAccumulator {
    bars: Vec<Bar>,
}

impl DayAccumulator {
    fn add(&mut self, bar: &Bar) {
        // Supplied bars are few (at most one a minute); keeping them is simpler than folding.
        self.bars.push(*bar);
    }

    fn summary(&self) -> Option<Bar> {
        crate::bars::combine(&self.bars)
    }
}

/// Where a session file lives under a tape folder.
pub fn session_path(root: &Path, underlying: &str, date: Date) -> PathBuf {
    root.join(underlying).join(format!("{date}.tape"))
}

impl SessionBuilder {
    /// Starts the file for `underlying` on `date` under the tape folder `root`.
    pub fn create(root: &Path, underlying: &str, date: Date) -> Result<SessionBuilder, TapeError> {
        if !model::symbol::is_ticker(underlying) {
            return Err(TapeError::Invalid(format!(
                "underlying symbol {underlying:?} must be 1 to 16 characters of A-Z, 0-9, '.' or '-'"
            )));
        }
        if !(1970..=2200).contains(&date.year()) {
            return Err(TapeError::Invalid(format!(
                "session date {date} is out of range"
            )));
        }
        let _ = yyyymmdd(date);
        let final_path = session_path(root, underlying, date);
        let folder = final_path.parent().expect("session paths have a folder");
        std::fs::create_dir_all(folder).map_err(|e| TapeError::io(folder, e))?;
        let name = final_path
            .file_name()
            .expect("session paths have a name")
            .to_string_lossy();
        let temp_path = folder.join(format!(".{name}.{}.tmp", std::process::id()));
        let spill_path = folder.join(format!(".{name}.{}.chunks.tmp", std::process::id()));
        let header = header_bytes(underlying, date)?;
        let out = Output {
            spill: Sink::create(spill_path.clone(), 0)?,
            prices: UnderlyingPrices::default(),
        };
        Ok(SessionBuilder {
            underlying: underlying.to_string(),
            date,
            final_path,
            temp_path,
            spill_path,
            out: Some(out),
            contracts: Vec::new(),
            contract_index: HashMap::new(),
            quotes: BTreeMap::new(),
            trades: BTreeMap::new(),
            supplied_bars: BTreeMap::new(),
            values: BTreeMap::new(),
            derived_bars: BTreeMap::new(),
            supplied_days: BTreeMap::new(),
            value_bars: MinuteBars::default(),
            header_crc: crc32fast::hash(&header),
            sources: Vec::new(),
            current_source: 0,
            root: root.to_path_buf(),
            rewriting: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.final_path
    }

    /// Names where the records pushed from now on come from (a generator and its seed, an
    /// imported file and its digest). A series takes the source that is current when its first
    /// record arrives; bars built from trades or values take theirs.
    pub fn source(&mut self, label: &str) -> u32 {
        let index = match self.sources.iter().position(|s| s == label) {
            Some(i) => i,
            None => {
                self.sources.push(label.to_string());
                self.sources.len() - 1
            }
        };
        self.current_source = index as u32;
        self.current_source
    }

    fn current_source(&mut self) -> u32 {
        if self.sources.is_empty() {
            self.source("unlabelled");
        }
        self.current_source
    }

    /// Copies an existing session's contracts and open interest, and the series `keep` accepts
    /// (given its source label, owner and kind), each under its original source label. Imports use
    /// it to add data to a session without losing what other sources put there.
    pub fn copy_from(
        &mut self,
        file: &crate::reader::SessionFile,
        keep: impl Fn(&str, Owner, Kind) -> bool,
    ) -> Result<(), TapeError> {
        let mut owners = Vec::with_capacity(file.contracts().len());
        for entry in file.contracts() {
            let owner = self.contract(entry.symbol)?;
            if let Some(oi) = entry.open_interest {
                self.set_open_interest(owner, oi)?;
            }
            owners.push(owner);
        }
        let map = |owner: Owner| match owner {
            Owner::Underlying => Owner::Underlying,
            Owner::Contract(i) => owners[i as usize],
        };
        let kept: Vec<(Owner, Kind, String)> = file
            .series_list()
            .filter(|(owner, kind, source, _)| keep(source, *owner, *kind))
            .map(|(owner, kind, source, _)| (owner, kind, source.to_string()))
            .collect();
        let has_trades = |owner: Owner| {
            kept.iter()
                .any(|(o, k, _)| *o == owner && *k == Kind::Trades)
        };
        let has_values = kept.iter().any(|(_, k, _)| *k == Kind::Values);
        for (owner, kind, source) in &kept {
            let previous = self.current_source;
            self.source(source);
            let target = map(*owner);
            match kind {
                Kind::Quotes => {
                    for q in file.whole_series::<Quote>(*owner)? {
                        self.quote(target, q)?;
                    }
                }
                Kind::Trades => {
                    for t in file.whole_series::<Trade>(*owner)? {
                        self.trade(target, t)?;
                    }
                }
                Kind::Values => {
                    for v in file.whole_series::<IndexValue>(*owner)? {
                        self.value(v)?;
                    }
                }
                // Bars made from kept trades or values are made again; others were supplied.
                Kind::Bars if has_trades(*owner) || (*owner == Owner::Underlying && has_values) => {
                }
                Kind::Bars => {
                    for b in file.whole_series::<Bar>(*owner)? {
                        self.bar(target, b)?;
                    }
                }
            }
            self.current_source = previous;
        }
        Ok(())
    }

    /// Contracts registered so far.
    pub fn contract_count(&self) -> usize {
        self.contracts.len()
    }

    /// Registers a contract listed this session (idempotent) and returns its owner handle.
    pub fn contract(&mut self, symbol: OptionSymbol) -> Result<Owner, TapeError> {
        if let Some(&i) = self.contract_index.get(&symbol) {
            return Ok(Owner::Contract(i));
        }
        let index = u32::try_from(self.contracts.len())
            .map_err(|_| TapeError::Invalid("too many contracts".into()))?;
        self.contract_index.insert(symbol, index);
        self.contracts.push(ContractEntry {
            symbol,
            open_interest: None,
            day: None,
        });
        Ok(Owner::Contract(index))
    }

    fn check_owner(&self, owner: Owner) -> Result<(), TapeError> {
        match owner {
            Owner::Contract(i) if i as usize >= self.contracts.len() => Err(TapeError::Invalid(
                format!("contract handle {i} was not registered"),
            )),
            _ => Ok(()),
        }
    }

    pub fn set_open_interest(&mut self, owner: Owner, open_interest: u64) -> Result<(), TapeError> {
        self.check_owner(owner)?;
        match owner {
            Owner::Contract(i) => self.contracts[i as usize].open_interest = Some(open_interest),
            Owner::Underlying => {
                return Err(TapeError::Invalid(
                    "open interest belongs to a contract".into(),
                ));
            }
        }
        Ok(())
    }

    pub fn quote(&mut self, owner: Owner, quote: Quote) -> Result<(), TapeError> {
        self.check_owner(owner)?;
        let source = self.current_source();
        let out = self.out.as_mut().expect("the file is open until finish");
        out.push(
            self.quotes
                .entry(owner)
                .or_insert_with(|| Pending::new(source)),
            quote,
            owner,
            Kind::Quotes,
        )
    }

    pub fn trade(&mut self, owner: Owner, trade: Trade) -> Result<(), TapeError> {
        self.check_owner(owner)?;
        let source = self.current_source();
        let out = self.out.as_mut().expect("the file is open until finish");
        out.push(
            self.trades
                .entry(owner)
                .or_insert_with(|| Pending::new(source)),
            trade,
            owner,
            Kind::Trades,
        )?;
        self.derived_bars.entry(owner).or_default().add(&trade);
        Ok(())
    }

    /// A one-minute bar supplied by the source. An owner with supplied bars keeps them instead of
    /// bars derived from its trades.
    pub fn bar(&mut self, owner: Owner, bar: Bar) -> Result<(), TapeError> {
        self.check_owner(owner)?;
        if bar.start.as_nanos().rem_euclid(MINUTE_NANOS) != 0 {
            return Err(TapeError::Invalid(format!(
                "bar start {} is not on a minute boundary",
                bar.start
            )));
        }
        let source = self.current_source();
        let out = self.out.as_mut().expect("the file is open until finish");
        out.push(
            self.supplied_bars
                .entry(owner)
                .or_insert_with(|| Pending::new(source)),
            bar,
            owner,
            Kind::Bars,
        )?;
        self.supplied_days.entry(owner).or_default().add(&bar);
        Ok(())
    }

    /// A published value of the underlying index.
    pub fn value(&mut self, value: IndexValue) -> Result<(), TapeError> {
        let source = self.current_source();
        let out = self.out.as_mut().expect("the file is open until finish");
        out.push(
            self.values
                .entry(Owner::Underlying)
                .or_insert_with(|| Pending::new(source)),
            value,
            Owner::Underlying,
            Kind::Values,
        )?;
        self.value_bars.add_value(&value);
        Ok(())
    }

    /// Writes the remaining chunks, the bars, the catalog and the footer, then moves the file into
    /// place. Returns its path.
    pub fn finish(mut self) -> Result<PathBuf, TapeError> {
        let mut out = self.out.take().expect("the file is open until finish");
        out.prices.complete = true;
        let has_values = self.values.contains_key(&Owner::Underlying);
        let mut bar_sources: BTreeMap<Owner, u32> =
            self.trades.iter().map(|(o, p)| (*o, p.source)).collect();
        if let Some(values) = self.values.get(&Owner::Underlying) {
            bar_sources
                .entry(Owner::Underlying)
                .or_insert(values.source);
        }
        // Records behind each owner's derived bars: where they are few, bars are derived again
        // when asked for rather than stored.
        let mut priced: BTreeMap<Owner, u64> =
            self.trades.iter().map(|(o, p)| (*o, p.count)).collect();
        if let Some(values) = self.values.get(&Owner::Underlying) {
            priced.entry(Owner::Underlying).or_insert(values.count);
        }
        let mut series = Vec::new();
        close_all(
            &mut out,
            std::mem::take(&mut self.quotes),
            Kind::Quotes,
            &mut series,
        )?;
        close_all(
            &mut out,
            std::mem::take(&mut self.trades),
            Kind::Trades,
            &mut series,
        )?;
        close_all(
            &mut out,
            std::mem::take(&mut self.values),
            Kind::Values,
            &mut series,
        )?;
        // Bars: as supplied where the source gave them, otherwise built from trades.
        let mut bars = std::mem::take(&mut self.supplied_bars);
        let value_bars = std::mem::take(&mut self.value_bars);
        if has_values && !self.derived_bars.contains_key(&Owner::Underlying) {
            self.derived_bars.insert(Owner::Underlying, value_bars);
        }
        let mut days: BTreeMap<Owner, Option<Bar>> = std::mem::take(&mut self.supplied_days)
            .into_iter()
            .map(|(o, d)| (o, d.summary()))
            .collect();
        for (owner, minute_bars) in std::mem::take(&mut self.derived_bars) {
            if bars.contains_key(&owner) {
                continue;
            }
            let derived = minute_bars.finish();
            days.insert(owner, crate::bars::combine(&derived));
            let records = priced.get(&owner).copied().unwrap_or(0);
            if records < DENSE_BAR_RECORDS * derived.len() as u64 {
                continue;
            }
            let source = bar_sources.get(&owner).copied().unwrap_or(0);
            let pending = bars.entry(owner).or_insert_with(|| Pending::new(source));
            for bar in derived {
                out.push(pending, bar, owner, Kind::Bars)?;
            }
        }
        close_all(&mut out, bars, Kind::Bars, &mut series)?;
        let Output { spill, prices } = out;
        let header = header_bytes(&self.underlying, self.date)?;
        let mut session = Sink::create(self.temp_path.clone(), HEADER_LEN as u64)?;
        session.write_header(&header)?;
        lay_out(spill, &mut series, &mut session)?;
        let series = write_indexes(&mut session, series)?;
        let mut contracts = std::mem::take(&mut self.contracts);
        let mut underlying_day = None;
        for (owner, day) in days {
            match owner {
                Owner::Underlying => underlying_day = day,
                Owner::Contract(i) => contracts[i as usize].day = day,
            }
        }
        let catalog = Catalog {
            underlying: self.underlying.clone(),
            date: self.date,
            contracts,
            underlying_day,
            sources: if self.sources.is_empty() {
                vec!["unlabelled".to_string()]
            } else {
                std::mem::take(&mut self.sources)
            },
            series,
        };
        let encoded = catalog.encode();
        let footer = footer_bytes(
            session.offset,
            encoded.len() as u64,
            crc32fast::hash(&encoded),
            self.header_crc,
        );
        session.write(&encoded)?;
        session.write(&footer)?;
        // Option quotes that came before the underlying's prices were written without
        // predictions; written again with the underlying first, every chunk gets one.
        let rewrite = prices.unpredicted > 0
            && prices.through(Timestamp::from_nanos(i64::MAX)).is_some()
            && !self.rewriting;
        let path = session.path.clone();
        let file = session.into_file()?;
        file.sync_all().map_err(|e| TapeError::io(&path, e))?;
        drop(file);
        std::fs::rename(&path, &self.final_path).map_err(|e| TapeError::io(&self.final_path, e))?;
        if let Some(folder) = self.final_path.parent()
            && let Ok(dir) = File::open(folder)
        {
            // Make the rename itself durable.
            let _ = dir.sync_all();
        }
        if rewrite {
            let written = crate::reader::SessionFile::open(&self.final_path)?;
            let mut again = SessionBuilder::create(&self.root, &self.underlying, self.date)?;
            again.rewriting = true;
            again.copy_from(&written, |_, _, _| true)?;
            drop(written);
            again.finish()?;
        }
        Ok(self.final_path.clone())
    }
}

/// A file written front to back, and the offset of the next byte.
struct Sink {
    file: BufWriter<File>,
    path: PathBuf,
    offset: u64,
}

impl Sink {
    /// Creates (or truncates) the file; `offset` is what the first byte written will count as.
    fn create(path: PathBuf, offset: u64) -> Result<Sink, TapeError> {
        // Readable too: the spill file is read back when chunks are laid out.
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| TapeError::io(&path, e))?;
        Ok(Sink {
            file: BufWriter::with_capacity(1 << 20, file),
            path,
            offset,
        })
    }

    /// The header, which comes before offset `HEADER_LEN`.
    fn write_header(&mut self, header: &[u8]) -> Result<(), TapeError> {
        debug_assert_eq!(header.len(), HEADER_LEN);
        self.file
            .write_all(header)
            .map_err(|e| TapeError::io(&self.path, e))
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), TapeError> {
        self.file
            .write_all(bytes)
            .map_err(|e| TapeError::io(&self.path, e))?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Everything written, flushed.
    fn into_file(self) -> Result<File, TapeError> {
        let path = self.path;
        self.file
            .into_inner()
            .map_err(|e| TapeError::io(&path, e.into_error()))
    }
}

/// Where chunks go as they are cut, and what option quote chunks are predicted from.
struct Output {
    /// Chunks in the order they were cut; `ChunkEntry::offset` points into it until `lay_out`.
    spill: Sink,
    prices: UnderlyingPrices,
}

/// The underlying's price path so far, which option quote chunks are predicted from.
#[derive(Default)]
struct UnderlyingPrices {
    values: Vec<PricePoint>,
    quote_sums: Vec<PricePoint>,
    /// Whether every record is in (the session is finishing).
    complete: bool,
    /// Option quote chunks written before the underlying's prices covered them.
    unpredicted: u64,
}

impl UnderlyingPrices {
    fn add(&mut self, (source, point): (PriceSource, PricePoint)) {
        match source {
            PriceSource::IndexValues => self.values.push(point),
            PriceSource::QuoteSums => self.quote_sums.push(point),
        }
    }

    /// The path a chunk ending at `last` can be predicted from: one whose prices as of every
    /// instant through `last` are final (no later record can change them), index values first.
    fn through(&self, last: Timestamp) -> Option<PricePath<'_>> {
        [
            (PriceSource::IndexValues, &self.values),
            (PriceSource::QuoteSums, &self.quote_sums),
        ]
        .into_iter()
        .find(|(_, points)| points.last().is_some_and(|p| self.complete || p.ts > last))
        .map(|(source, points)| PricePath { source, points })
    }
}

impl Output {
    /// Appends a record to its series, writing a chunk when the series has a full one.
    fn push<R: Record>(
        &mut self,
        pending: &mut Pending<R>,
        record: R,
        owner: Owner,
        kind: Kind,
    ) -> Result<(), TapeError> {
        if let Some(last) = pending.last_ts
            && (record.ts() < last
                || record
                    .ts()
                    .as_nanos()
                    .checked_sub(last.as_nanos())
                    .is_none())
        {
            return Err(TapeError::Invalid(format!(
                "{kind:?} of {owner:?} out of time order: {} after {last}",
                record.ts()
            )));
        }
        // A dense series is cut at span boundaries, so an as-of look-up decodes one short chunk;
        // a sparse one is not, so its chunks are not tiny.
        let span = |ts: Timestamp| ts.as_nanos().div_euclid(CHUNK_SPAN_SECONDS * 1_000_000_000);
        if let Some(first) = pending.buffer.first()
            && ((span(first.ts()) != span(record.ts()) && pending.buffer.len() >= MIN_SPAN_CHUNK)
                || pending.buffer.len() >= CHUNK_RECORDS)
        {
            self.flush(pending, owner)?;
        }
        if owner == Owner::Underlying
            && let Some(point) = record.price_point()
        {
            self.prices.add(point);
        }
        pending.last_ts = Some(record.ts());
        pending.buffer.push(record);
        pending.count += 1;
        Ok(())
    }

    fn flush<R: Record>(
        &mut self,
        pending: &mut Pending<R>,
        owner: Owner,
    ) -> Result<(), TapeError> {
        let (Some(first), Some(last)) = (pending.buffer.first(), pending.buffer.last()) else {
            return Ok(());
        };
        let underlying = match (owner, R::KIND) {
            (Owner::Contract(_), Kind::Quotes) => {
                let covered = self.prices.through(last.ts()).is_some();
                self.prices.unpredicted += u64::from(!covered);
                self.prices.through(last.ts())
            }
            _ => None,
        };
        let payload = R::encode(
            &pending.buffer,
            &mut Encoding {
                chunk: pending.chunks.len() as u32,
                books: &mut pending.books,
            },
            underlying,
        );
        let entry = ChunkEntry {
            offset: self.spill.offset,
            len: u32::try_from(payload.len())
                .map_err(|_| TapeError::Invalid("chunk too large".into()))?,
            crc: crc32fast::hash(&payload),
            count: pending.buffer.len() as u32,
            first_ts: first.ts(),
            last_ts: last.ts(),
        };
        pending.bounds.extend(R::bounds(&pending.buffer));
        self.spill.write(&payload)?;
        pending.chunks.push(entry);
        pending.buffer.clear();
        Ok(())
    }
}

/// A series whose chunks are all written.
struct Closed {
    owner: Owner,
    kind: Kind,
    source: u32,
    count: u64,
    chunks: Vec<ChunkEntry>,
    bounds: Vec<QuoteBounds>,
}

/// Writes every series' last chunk.
fn close_all<R: Record>(
    out: &mut Output,
    map: BTreeMap<Owner, Pending<R>>,
    kind: Kind,
    closed: &mut Vec<Closed>,
) -> Result<(), TapeError> {
    for (owner, mut pending) in map {
        out.flush(&mut pending, owner)?;
        if pending.count > 0 {
            closed.push(Closed {
                owner,
                kind,
                source: pending.source,
                count: pending.count,
                chunks: pending.chunks,
                bounds: pending.bounds,
            });
        }
    }
    Ok(())
}

/// Copies the chunks from the spill file into the session file ordered by the time window they
/// start in, then by kind and owner, and points each chunk entry at its new place. The spill file
/// is removed.
fn lay_out(spill: Sink, closed: &mut [Closed], session: &mut Sink) -> Result<(), TapeError> {
    let spill_path = spill.path.clone();
    let file = spill.into_file()?;
    let window_nanos = CHUNK_SPAN_SECONDS * 1_000_000_000;
    let mut order: Vec<(i64, Kind, Owner, usize, usize)> = closed
        .iter()
        .enumerate()
        .flat_map(|(s, series)| {
            series.chunks.iter().enumerate().map(move |(k, chunk)| {
                let window = chunk.first_ts.as_nanos().div_euclid(window_nanos);
                (window, series.kind, series.owner, s, k)
            })
        })
        .collect();
    order.sort_unstable();
    if !order.is_empty() {
        // SAFETY: the spill file has a private temporary name and nothing writes to it any more;
        // it is only read here, then removed.
        #[allow(unsafe_code)]
        let chunks =
            unsafe { memmap2::Mmap::map(&file) }.map_err(|e| TapeError::io(&spill_path, e))?;
        for (_, _, _, s, k) in order {
            let chunk = &mut closed[s].chunks[k];
            let bytes = usize::try_from(chunk.offset)
                .ok()
                .and_then(|start| chunks.get(start..start + chunk.len as usize))
                .ok_or_else(|| TapeError::Invalid("spilled chunk out of place".into()))?;
            chunk.offset = session.offset;
            session.write(bytes)?;
        }
    }
    drop(file);
    std::fs::remove_file(&spill_path).map_err(|e| TapeError::io(&spill_path, e))
}

/// Writes each series' chunk index after the chunks and lists the series for the catalog.
fn write_indexes(out: &mut Sink, mut closed: Vec<Closed>) -> Result<Vec<SeriesEntry>, TapeError> {
    closed.sort_by_key(|s| (s.owner, s.kind));
    let mut series = Vec::with_capacity(closed.len());
    for s in closed {
        let index = encode_chunk_index(&s.chunks, &s.bounds);
        let block = Block {
            offset: out.offset,
            len: u32::try_from(index.len())
                .map_err(|_| TapeError::Invalid("chunk index too large".into()))?,
            crc: crc32fast::hash(&index),
        };
        out.write(&index)?;
        let (first, last) = (s.chunks[0].first_ts, s.chunks[s.chunks.len() - 1].last_ts);
        series.push(SeriesEntry {
            owner: s.owner,
            kind: s.kind,
            source: s.source,
            count: s.count,
            chunk_count: u32::try_from(s.chunks.len())
                .map_err(|_| TapeError::Invalid("too many chunks".into()))?,
            first_ts: first,
            last_ts: last,
            index: block,
        });
    }
    Ok(series)
}

impl Drop for SessionBuilder {
    fn drop(&mut self) {
        // Abandoned, or `finish` failed: leave no partial file behind. (After a successful
        // `finish` neither file exists any more.)
        drop(self.out.take());
        let _ = std::fs::remove_file(&self.spill_path);
        let _ = std::fs::remove_file(&self.temp_path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::SessionFile;
    use std::time::Duration;

    /// A look-up across contracts at one instant reads one region of the file: every series'
    /// chunks of a time window sit together, though the series were written one after another.
    #[test]
    fn chunks_are_laid_out_by_time_window() {
        let dir = tempfile::tempdir().unwrap();
        let date = jiff::civil::date(2025, 1, 15);
        let open = model::calendar::session(date).unwrap().open;
        let mut builder = SessionBuilder::create(dir.path(), "SPX", date).unwrap();
        for strike in [5_900, 5_950, 6_000] {
            let symbol = OptionSymbol::parse(&format!("SPXW250115C{:08}", strike * 1_000)).unwrap();
            let owner = builder.contract(symbol).unwrap();
            for s in 0..1_200 {
                let bid = 1_000_000_000 + (s % 7) * 50_000_000;
                let quote = Quote {
                    ts: open.plus(Duration::from_secs(s as u64)),
                    bid,
                    ask: bid + 100_000_000,
                    bid_size: 10,
                    ask_size: 10,
                    ..Quote::default()
                };
                builder.quote(owner, quote).unwrap();
            }
        }
        let path = builder.finish().unwrap();
        let file = SessionFile::open(&path).unwrap();
        let window = CHUNK_SPAN_SECONDS * 1_000_000_000;
        let mut placed = Vec::new();
        for series in 0..file.series_list().count() {
            for chunk in &file.chunks(series).unwrap().entries {
                placed.push((chunk.offset, chunk.first_ts.as_nanos().div_euclid(window)));
            }
        }
        placed.sort_unstable();
        assert_eq!(placed.len(), 12, "three contracts, four windows each");
        assert!(
            placed.windows(2).all(|w| w[0].1 <= w[1].1),
            "chunks in file order go window by window: {placed:?}"
        );
        let folder: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            folder,
            [path.file_name().unwrap()],
            "no spill or temporary file is left"
        );
    }
}
