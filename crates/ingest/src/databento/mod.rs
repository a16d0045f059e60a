//! Databento's binary format, DBN (spec B.2): OPRA.PILLAR options and U.S. stock datasets.
//!
//! A file is DBN when, after any zstd or gzip compression is undone, it starts with `DBN`
//! (`.dbn` or `.dbn.zst`). Versions 1 to 3 are read (older records are upgraded by the `dbn`
//! crate). One file may hold one schema or several (the metadata schema is then "mixed").
//!
//! # Schemas
//!
//! | Schema | What is kept | Provides |
//! |---|---|---|
//! | `definition` | contracts listed that day; the instrument ids' meaning | nothing replaced |
//! | `statistics` | open interest (`stat_type` 9); other statistics are skipped | nothing replaced |
//! | `cbbo-1s`, `cbbo-1m` | a quote per record at `ts_recv`, the interval end | quotes |
//! | `bbo-1s`, `bbo-1m` | the same for single-venue (stock) feeds | quotes |
//! | `cmbp-1` | consolidated top-of-book changes at `ts_event` | quotes |
//! | `mbp-1` | top-of-book changes at `ts_event`, consolidated across venues | quotes |
//! | `tcbbo`, `tbbo` | the trades only (see below) | trades |
//! | `trades` | every trade at `ts_event` | trades |
//!
//! "Provides" is what the file replaces in the sessions it touches, for options in an `OPRA.*`
//! dataset and for the underlying (stock) in any other dataset. Other schemas (`mbo`, `mbp-10`,
//! `ohlcv-*`, `imbalance`, `status`) are refused as single-schema files and skipped in mixed
//! ones.
//!
//! Rules, each with its reason:
//!
//! - **One source per kind in a file.** When a mixed file holds several schemas that could give
//!   quotes, the finest wins (`cmbp-1`, `mbp-1`, `cbbo-1s`, `bbo-1s`, `cbbo-1m`, `bbo-1m`); for
//!   trades `trades` wins over `tcbbo` and `tbbo`. Two series of one kind are never interleaved.
//! - **Book schemas give quotes only.** The trade events (action `T`) of `mbp-1` and `cmbp-1`
//!   are the prints the `trades` schema holds; leaving them to it means importing a book file
//!   never replaces a session's trades.
//! - **Sampled quotes are kept as sampled.** Every `cbbo`/`bbo` record is a quote at its
//!   interval end, including intervals the vendor filled forward because only a trade happened
//!   (the quote repeats). Intervals without a record carry the previous quote forward, which is
//!   what an as-of read of the tape does (same session only).
//! - **`tcbbo`/`tbbo` give trades, not quotes.** Their BBO is the book just before each trade,
//!   a sparse sample at trade times; storing it as quotes would make the file provide quotes and
//!   so replace a session's `cbbo-1s` or `cmbp-1` quotes with a far coarser series. Import the
//!   quote schema for quotes.
//! - **Event-stream quotes are changes.** For `mbp-1` and `cmbp-1` a quote is stored only when
//!   the top of book (prices, sizes or venues) differs from the last one stored; order-count
//!   changes and trade events do not repeat it. `mbp-1` and `bbo` records of several venues (e.g.
//!   `DBEQ.BASIC`) are consolidated per instrument: the best bid and ask across the venues' last
//!   books, the larger size winning a tie at the same price, each side's venue kept.
//! - **Times.** Trades and event-stream quotes are at `ts_event` (for OPRA the consolidator's
//!   block time); sampled quotes at `ts_recv`. Should an event time go back within one series (a
//!   multi-venue file is ordered by receive time), it is held at the previous time so the
//!   series stays in order. The trading date is the New York date of that time.
//! - **Trades** carry their venue (from the record's publisher), size in millionths (whole
//!   contracts or shares times 10^6), the venue's sequence number where the schema has one (an
//!   ordinal within the series otherwise), and no condition codes: DBN has none.
//! - **Open interest** is keyed to the session it describes: the New York date of `ts_ref` when
//!   set (a bare UTC midnight is read as that date), otherwise the last session that had closed
//!   when the value was received. OPRA publishes it around 06:30 ET, so a value received on the
//!   morning of 2025-01-16 belongs to the 2025-01-15 session. Deletions are ignored.
//! - **Definitions** register option contracts in the session of their UTC date (when that is a
//!   trading day), so a day's chain exists even for contracts that did not trade. A definition
//!   of class `C`/`P` whose OSI `raw_symbol` disagrees with its `strike_price` or class is an
//!   error. Spreads and other classes are skipped.
//!
//! # Instrument ids
//!
//! Ids are resolved per UTC date (Databento's symbology dates; see `symbology.rs`) from the
//! file's own definitions, then its metadata mappings and symbol-mapping records (live streams;
//! their `ts_out` trailers, heartbeats and other gateway messages are skipped). An id the file
//! cannot resolve for the date of a record that needs it is an error naming the id, the date and
//! the record's offset, and the import changes nothing: silently dropping data would leave a
//! session looking complete when it is not. This holds for underlyings outside the import's
//! filter too, since only the symbol tells which underlying an id belongs to. Contracts already
//! in the tape (say from a definitions file imported before) are kept whatever the file holds,
//! but the tape does not remember instrument ids: a file needs the symbology it carries, which
//! Databento's batch files include in their metadata.
//!
//! Errors name the file and the byte offset, in the decompressed stream, of the record at fault
//! (for DBN version 1 and 2 files, the offset in the file as stored, not in upgraded records).
//! The report's record count is the records that changed the tape: quotes and trades stored,
//! open interest set and option definitions registered.

mod decode;
mod symbology;
mod venues;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use dbn::{
    BboMsg, BidAskPair, CbboMsg, Cmbp1Msg, ConsolidatedBidAskPair, InstrumentDefMsg, Mbp1Msg,
    Metadata, RecordRef, Schema, StatMsg, SymbolMappingMsg, TradeMsg, UNDEF_ORDER_SIZE,
    UNDEF_PRICE, UNDEF_STAT_QUANTITY, UNDEF_TIMESTAMP, rtype,
};
use jiff::civil::Date;
use model::Timestamp;
use model::calendar;
use model::symbol::{OptionSymbol, Right};
use model::venues::condition;
use tape::{Owner, Quote, SIZE_SCALE, Trade};

use crate::Progress;
use crate::detect::{FileFormat, Head};
use crate::error::ImportError;
use crate::staging::{Provides, Staging};

use decode::Records;
use symbology::{Defined, IdMap, Symbology, key, utc_day};
use venues::VenueTable;

/// Recognises DBN by its magic, whatever the compression.
pub fn sniff(head: &Head<'_>) -> Option<Box<dyn FileFormat>> {
    head.bytes
        .starts_with(b"DBN")
        .then(|| Box::new(Dbn) as Box<dyn FileFormat>)
}

struct Dbn;

impl FileFormat for Dbn {
    fn name(&self) -> &'static str {
        "databento-dbn"
    }

    fn provides(&self) -> BTreeSet<Provides> {
        // Declared from the metadata (and, for mixed files, the records) once read.
        BTreeSet::new()
    }

    fn read(
        &self,
        path: &Path,
        staging: &mut Staging<'_>,
        progress: Progress<'_>,
    ) -> Result<u64, ImportError> {
        let (mut records, metadata) = Records::open(path)?;
        let side = if metadata.dataset.starts_with("OPRA") {
            Side::Options
        } else {
            Side::Stocks
        };
        let present = match metadata.schema {
            Some(schema) => Present::of_schema(path, schema)?,
            None => Present::scan(path)?,
        };
        let plan = Plan::new(&present, metadata.schema == Some(Schema::Tbbo));
        staging.declare(plan.provides(side));
        let mut importer = Importer::new(path, staging, side, plan, &metadata);
        let mut count: u64 = 0;
        while let Some((offset, record)) = records.next()? {
            importer.record(offset, record)?;
            count += 1;
            if count.is_multiple_of(1 << 16) {
                progress(records.stored_bytes());
            }
        }
        progress(records.stored_bytes());
        importer.finish()
    }
}

/// Whether a dataset's instruments are options (OPRA) or stocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Options,
    Stocks,
}

/// Where quotes or trades can come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Trades,
    Tcbbo,
    Tbbo,
    Cmbp1,
    Mbp1,
    Cbbo1S,
    Cbbo1M,
    Bbo1S,
    Bbo1M,
}

/// The record types a file holds.
struct Present([bool; 256]);

impl Present {
    fn of_schema(path: &Path, schema: Schema) -> Result<Present, ImportError> {
        let types: &[u8] = match schema {
            Schema::Definition => &[rtype::INSTRUMENT_DEF],
            Schema::Statistics => &[rtype::STATISTICS],
            Schema::Trades => &[rtype::MBP_0],
            Schema::Mbp1 | Schema::Tbbo => &[rtype::MBP_1],
            Schema::Cmbp1 => &[rtype::CMBP_1],
            Schema::Tcbbo => &[rtype::TCBBO],
            Schema::Cbbo1S => &[rtype::CBBO_1S],
            Schema::Cbbo1M => &[rtype::CBBO_1M],
            Schema::Bbo1S => &[rtype::BBO_1S],
            Schema::Bbo1M => &[rtype::BBO_1M],
            other => {
                return Err(ImportError::whole(
                    path,
                    format!(
                        "DBN schema {} is not imported; supported: definition, statistics, \
                         trades, tcbbo, tbbo, cbbo-1s, cbbo-1m, cmbp-1, mbp-1, bbo-1s, bbo-1m",
                        other.as_str()
                    ),
                ));
            }
        };
        let mut present = [false; 256];
        for t in types {
            present[usize::from(*t)] = true;
        }
        Ok(Present(present))
    }

    /// Reads a mixed-schema file once to learn which record types it holds.
    fn scan(path: &Path) -> Result<Present, ImportError> {
        let (mut records, _) = Records::open(path)?;
        let mut present = [false; 256];
        while let Some((_, record)) = records.next()? {
            present[usize::from(record.header().rtype)] = true;
        }
        Ok(Present(present))
    }

    fn has(&self, rtype: u8) -> bool {
        self.0[usize::from(rtype)]
    }
}

/// Which record type gives this file's quotes and which its trades.
#[derive(Clone, Copy, Debug)]
struct Plan {
    quotes: Option<Source>,
    trades: Option<Source>,
    /// `MBP_1` records are `tbbo` (trades with the book before them), not `mbp-1`.
    tbbo: bool,
}

impl Plan {
    fn new(present: &Present, tbbo: bool) -> Plan {
        let mbp1 = present.has(rtype::MBP_1);
        let quotes = [
            (present.has(rtype::CMBP_1), Source::Cmbp1),
            (mbp1 && !tbbo, Source::Mbp1),
            (present.has(rtype::CBBO_1S), Source::Cbbo1S),
            (present.has(rtype::BBO_1S), Source::Bbo1S),
            (present.has(rtype::CBBO_1M), Source::Cbbo1M),
            (present.has(rtype::BBO_1M), Source::Bbo1M),
        ];
        let trades = [
            (present.has(rtype::MBP_0), Source::Trades),
            (present.has(rtype::TCBBO), Source::Tcbbo),
            (mbp1 && tbbo, Source::Tbbo),
        ];
        let first = |list: &[(bool, Source)]| list.iter().find(|(has, _)| *has).map(|(_, s)| *s);
        Plan {
            quotes: first(&quotes),
            trades: first(&trades),
            tbbo,
        }
    }

    fn provides(&self, side: Side) -> BTreeSet<Provides> {
        let mut set = BTreeSet::new();
        if self.quotes.is_some() {
            set.insert(match side {
                Side::Options => Provides::OptionQuotes,
                Side::Stocks => Provides::UnderlyingQuotes,
            });
        }
        if self.trades.is_some() {
            set.insert(match side {
                Side::Options => Provides::OptionTrades,
                Side::Stocks => Provides::UnderlyingTrades,
            });
        }
        set
    }
}

/// What an instrument is, in the tape's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Option {
        symbol: OptionSymbol,
        /// Index into the importer's underlyings.
        underlying: u32,
    },
    Stock {
        underlying: u32,
    },
    /// Not kept: an underlying the import does not want, or an instrument we do not store
    /// (a spread, a future, a stock in an options dataset).
    Skip,
}

/// Where an instrument's records go on one New York date.
#[derive(Clone, Copy, Debug)]
struct Route {
    date: Date,
    session: u32,
    owner: Owner,
}

/// One venue's last top of book, for consolidating single-venue books.
#[derive(Clone, Copy, Debug)]
struct VenueBook {
    publisher: u16,
    bid_px: i64,
    bid_sz: u32,
    ask_px: i64,
    ask_sz: u32,
}

/// An instrument id on one UTC date, with what its records need on the hot path.
struct Slot {
    target: Target,
    route: Option<Route>,
    /// The last quote stored, for storing only changes (event streams).
    last_quote: Option<Quote>,
    last_quote_ts: i64,
    last_trade_ts: i64,
    /// Trades stored in the current route, for ordinals where the schema has no sequence.
    trades: u64,
    books: Vec<VenueBook>,
}

impl Slot {
    fn new(target: Target) -> Slot {
        Slot {
            target,
            route: None,
            last_quote: None,
            last_quote_ts: i64::MIN,
            last_trade_ts: i64::MIN,
            trades: 0,
            books: Vec::new(),
        }
    }
}

enum Payload {
    Quote(Quote),
    Trade(Trade),
}

/// A record waiting to be written, with its offset for error messages.
struct Op {
    offset: u64,
    owner: Owner,
    payload: Payload,
}

/// Records for one session, written into its builder in batches: the staging area is asked for
/// the builder once per batch rather than once per record.
struct SessionBuf {
    underlying: u32,
    date: Date,
    ops: Vec<Op>,
}

const BATCH: usize = 4096;

/// The New York date of instants, remembering the current day's bounds: records come in time
/// order, so the time zone is consulted about once a day.
struct NewYorkDays {
    start: i64,
    end: i64,
    date: Date,
}

impl NewYorkDays {
    fn new() -> Self {
        NewYorkDays {
            start: 0,
            end: 0,
            date: Date::default(),
        }
    }

    #[inline]
    fn date(&mut self, nanos: i64) -> Date {
        if nanos >= self.start && nanos < self.end {
            return self.date;
        }
        let date = calendar::new_york_date(Timestamp::from_nanos(nanos));
        self.date = date;
        self.start = calendar::new_york_instant(date, 0, 0, 0).as_nanos();
        self.end = calendar::new_york_instant(date, 24, 0, 0).as_nanos();
        date
    }
}

/// The timestamp of a record as an instant, or `None` when the vendor left it unset.
#[inline]
fn instant(ts: u64) -> Option<i64> {
    if ts == UNDEF_TIMESTAMP {
        None
    } else {
        i64::try_from(ts).ok()
    }
}

struct Importer<'s, 'a> {
    path: PathBuf,
    staging: &'s mut Staging<'a>,
    side: Side,
    plan: Plan,
    venues: VenueTable,
    symbology: Symbology<Target>,
    underlyings: Vec<String>,
    underlying_index: HashMap<String, u32>,
    slots: Vec<Slot>,
    slot_index: IdMap<u64, u32>,
    /// The last slot looked up, by key: consecutive records often share an instrument.
    last_slot: Option<(u64, u32)>,
    sessions: Vec<SessionBuf>,
    session_index: HashMap<(u32, Date), u32>,
    days: NewYorkDays,
    kept: u64,
}

impl<'s, 'a> Importer<'s, 'a> {
    fn new(
        path: &Path,
        staging: &'s mut Staging<'a>,
        side: Side,
        plan: Plan,
        metadata: &Metadata,
    ) -> Self {
        let mut symbology = Symbology::new();
        for mapping in &metadata.mappings {
            for interval in &mapping.intervals {
                // Usually symbol -> instrument id; an inverse request maps id -> symbol.
                let (id, symbol) = if let Ok(id) = interval.symbol.trim().parse::<u32>() {
                    (id, mapping.raw_symbol.as_str())
                } else if let Ok(id) = mapping.raw_symbol.trim().parse::<u32>() {
                    (id, interval.symbol.as_str())
                } else {
                    continue;
                };
                symbology.map(
                    id,
                    symbology::metadata_day(interval.start_date.to_julian_day()),
                    symbology::metadata_day(interval.end_date.to_julian_day()),
                    symbol,
                );
            }
        }
        Importer {
            path: path.to_path_buf(),
            staging,
            side,
            plan,
            venues: VenueTable::new(),
            symbology,
            underlyings: Vec::new(),
            underlying_index: HashMap::new(),
            slots: Vec::new(),
            slot_index: IdMap::default(),
            last_slot: None,
            sessions: Vec::new(),
            session_index: HashMap::new(),
            days: NewYorkDays::new(),
            kept: 0,
        }
    }

    fn error(&self, offset: u64, reason: impl Into<String>) -> ImportError {
        ImportError::at_offset(&self.path, offset, reason)
    }

    fn record(&mut self, offset: u64, record: RecordRef<'_>) -> Result<(), ImportError> {
        let plan = self.plan;
        match record.header().rtype {
            rtype::MBP_0 if plan.trades == Some(Source::Trades) => {
                let m: &TradeMsg = self.get(offset, &record)?;
                let sequence = Some(u64::from(m.sequence));
                self.trade(offset, &m.hd, m.price, m.size, sequence)
            }
            rtype::MBP_1 if plan.tbbo => {
                if plan.trades == Some(Source::Tbbo) {
                    let m: &Mbp1Msg = self.get(offset, &record)?;
                    let sequence = Some(u64::from(m.sequence));
                    self.trade(offset, &m.hd, m.price, m.size, sequence)?;
                }
                Ok(())
            }
            rtype::MBP_1 => {
                let m: &Mbp1Msg = self.get(offset, &record)?;
                if plan.quotes == Some(Source::Mbp1) {
                    self.book_quote(offset, &m.hd, m.hd.ts_event, &m.levels[0], true)?;
                }
                Ok(())
            }
            rtype::CMBP_1 if plan.quotes == Some(Source::Cmbp1) => {
                let m: &Cmbp1Msg = self.get(offset, &record)?;
                self.consolidated_quote(offset, &m.hd, m.hd.ts_event, &m.levels[0], true)
            }
            rtype::TCBBO if plan.trades == Some(Source::Tcbbo) => {
                let m: &Cmbp1Msg = self.get(offset, &record)?;
                self.trade(offset, &m.hd, m.price, m.size, None)
            }
            t @ (rtype::CBBO_1S | rtype::CBBO_1M)
                if plan.quotes
                    == Some(if t == rtype::CBBO_1S {
                        Source::Cbbo1S
                    } else {
                        Source::Cbbo1M
                    }) =>
            {
                let m: &CbboMsg = self.get(offset, &record)?;
                self.consolidated_quote(offset, &m.hd, m.ts_recv, &m.levels[0], false)
            }
            t @ (rtype::BBO_1S | rtype::BBO_1M)
                if plan.quotes
                    == Some(if t == rtype::BBO_1S {
                        Source::Bbo1S
                    } else {
                        Source::Bbo1M
                    }) =>
            {
                let m: &BboMsg = self.get(offset, &record)?;
                self.book_quote(offset, &m.hd, m.ts_recv, &m.levels[0], true)
            }
            rtype::INSTRUMENT_DEF => {
                let m: &InstrumentDefMsg = self.get(offset, &record)?;
                self.definition(offset, m)
            }
            rtype::STATISTICS => {
                let m: &StatMsg = self.get(offset, &record)?;
                self.statistic(offset, m)
            }
            rtype::SYMBOL_MAPPING => {
                let m: &SymbolMappingMsg = self.get(offset, &record)?;
                self.symbol_mapping(offset, m)
            }
            // Other schemas, sources this file's plan passed over, and gateway messages.
            _ => Ok(()),
        }
    }

    fn get<'r, T: dbn::HasRType<Header = dbn::RecordHeader>>(
        &self,
        offset: u64,
        record: &RecordRef<'r>,
    ) -> Result<&'r T, ImportError> {
        record
            .try_get::<T>()
            .map_err(|e| self.error(offset, format!("malformed record: {e}")))
    }

    // --- symbology ------------------------------------------------------------------------

    /// The index of an underlying the import wants, or `None`.
    fn underlying(&mut self, name: &str) -> Option<u32> {
        if let Some(&i) = self.underlying_index.get(name) {
            return Some(i);
        }
        if !self.staging.wants(name) {
            return None;
        }
        let i = self.underlyings.len() as u32;
        self.underlyings.push(name.to_string());
        self.underlying_index.insert(name.to_string(), i);
        Some(i)
    }

    fn option_target(&mut self, symbol: OptionSymbol) -> Target {
        let underlying = model::roots::root_info(symbol.root.as_str()).underlying;
        match self.underlying(underlying) {
            Some(underlying) => Target::Option { symbol, underlying },
            None => Target::Skip,
        }
    }

    /// What a mapped symbol names on this file's side, or `None` when it names nothing we can
    /// use (a parent symbol such as `SPX.OPT`).
    fn target_of_text(&mut self, text: &str) -> Option<Target> {
        match self.side {
            Side::Options => OptionSymbol::parse(text)
                .ok()
                .map(|symbol| self.option_target(symbol)),
            Side::Stocks => {
                let ticker = symbology::ticker(text)?;
                Some(match self.underlying(&ticker) {
                    Some(underlying) => Target::Stock { underlying },
                    None => Target::Skip,
                })
            }
        }
    }

    fn resolve(&mut self, offset: u64, day: i32, id: u32) -> Result<Target, ImportError> {
        if let Some(target) = self.symbology.definition(day, id) {
            return Ok(*target);
        }
        let texts: Vec<String> = self.symbology.mapped(day, id).map(str::to_string).collect();
        for text in texts {
            if let Some(target) = self.target_of_text(&text) {
                return Ok(target);
            }
        }
        Err(self.error(
            offset,
            format!(
                "instrument_id {id} cannot be resolved for {} (UTC): the file has no definition \
                 of it and no symbology mapping (metadata mappings or symbol-mapping records) for \
                 that date",
                symbology::civil(day)
            ),
        ))
    }

    /// The slot of `id` on the UTC date of `ts`.
    #[inline]
    fn slot(&mut self, offset: u64, id: u32, ts: i64) -> Result<u32, ImportError> {
        let k = key(utc_day(ts), id);
        if let Some((last, slot)) = self.last_slot
            && last == k
        {
            return Ok(slot);
        }
        let slot = match self.slot_index.get(&k) {
            Some(&slot) => slot,
            None => {
                let target = self.resolve(offset, utc_day(ts), id)?;
                let slot = self.slots.len() as u32;
                self.slots.push(Slot::new(target));
                self.slot_index.insert(k, slot);
                slot
            }
        };
        self.last_slot = Some((k, slot));
        Ok(slot)
    }

    /// Forgets the slot of `id` on `day`, so the next record resolves it again.
    fn forget(&mut self, day: i32, id: u32) {
        self.slot_index.remove(&key(day, id));
        self.last_slot = None;
    }

    // --- sessions -------------------------------------------------------------------------

    fn session_of(&mut self, underlying: u32, date: Date) -> u32 {
        if let Some(&s) = self.session_index.get(&(underlying, date)) {
            return s;
        }
        let s = self.sessions.len() as u32;
        self.sessions.push(SessionBuf {
            underlying,
            date,
            ops: Vec::with_capacity(BATCH),
        });
        self.session_index.insert((underlying, date), s);
        s
    }

    /// The owner of `target` in the session of `underlying` on `date`, registering the
    /// contract.
    fn owner(
        &mut self,
        offset: u64,
        target: Target,
        date: Date,
    ) -> Result<Option<(u32, Owner)>, ImportError> {
        let (underlying, symbol) = match target {
            Target::Option { symbol, underlying } => (underlying, Some(symbol)),
            Target::Stock { underlying } => (underlying, None),
            Target::Skip => return Ok(None),
        };
        let session = self.session_of(underlying, date);
        let owner = match symbol {
            None => Owner::Underlying,
            Some(symbol) => {
                let name = &self.underlyings[underlying as usize];
                let builder = self.staging.session(name, date)?;
                builder
                    .contract(symbol)
                    .map_err(|e| ImportError::at_offset(&self.path, offset, e.to_string()))?
            }
        };
        Ok(Some((session, owner)))
    }

    /// Where the slot's records at `ts` go, or `None` when they are not kept.
    #[inline]
    fn route(&mut self, offset: u64, slot: u32, ts: i64) -> Result<Option<Route>, ImportError> {
        let date = self.days.date(ts);
        let s = &self.slots[slot as usize];
        if let Some(route) = s.route
            && route.date == date
        {
            return Ok(Some(route));
        }
        let target = s.target;
        let Some((session, owner)) = self.owner(offset, target, date)? else {
            return Ok(None);
        };
        let route = Route {
            date,
            session,
            owner,
        };
        let s = &mut self.slots[slot as usize];
        s.route = Some(route);
        s.last_quote = None;
        s.last_quote_ts = i64::MIN;
        s.last_trade_ts = i64::MIN;
        s.trades = 0;
        Ok(Some(route))
    }

    #[inline]
    fn push(&mut self, session: u32, op: Op) -> Result<(), ImportError> {
        let buf = &mut self.sessions[session as usize];
        buf.ops.push(op);
        self.kept += 1;
        if buf.ops.len() >= BATCH {
            self.flush(session)?;
        }
        Ok(())
    }

    fn flush(&mut self, session: u32) -> Result<(), ImportError> {
        let buf = &mut self.sessions[session as usize];
        if buf.ops.is_empty() {
            return Ok(());
        }
        let name = &self.underlyings[buf.underlying as usize];
        let builder = self.staging.session(name, buf.date)?;
        for op in buf.ops.drain(..) {
            let written = match op.payload {
                Payload::Quote(q) => builder.quote(op.owner, q),
                Payload::Trade(t) => builder.trade(op.owner, t),
            };
            written.map_err(|e| ImportError::at_offset(&self.path, op.offset, e.to_string()))?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<u64, ImportError> {
        for session in 0..self.sessions.len() as u32 {
            self.flush(session)?;
        }
        Ok(self.kept)
    }

    // --- market data ----------------------------------------------------------------------

    fn event_time(&self, offset: u64, ts: u64, what: &str) -> Result<i64, ImportError> {
        instant(ts).ok_or_else(|| self.error(offset, format!("{what} has no time")))
    }

    #[inline]
    fn trade(
        &mut self,
        offset: u64,
        hd: &dbn::RecordHeader,
        price: i64,
        size: u32,
        sequence: Option<u64>,
    ) -> Result<(), ImportError> {
        let ts = self.event_time(offset, hd.ts_event, "trade")?;
        let slot = self.slot(offset, hd.instrument_id, ts)?;
        let Some(route) = self.route(offset, slot, ts)? else {
            return Ok(());
        };
        if price == UNDEF_PRICE || price < 0 {
            return Err(self.error(offset, format!("trade price {price} is not a price")));
        }
        if size == UNDEF_ORDER_SIZE {
            return Err(self.error(offset, "trade has no size"));
        }
        let exchange = self.venues.get(hd.publisher_id);
        let s = &mut self.slots[slot as usize];
        s.trades += 1;
        let ts = ts.max(s.last_trade_ts);
        s.last_trade_ts = ts;
        let trade = Trade {
            ts: Timestamp::from_nanos(ts),
            price,
            size: u64::from(size) * SIZE_SCALE,
            exchange,
            conditions: [condition::NONE; 4],
            sequence: sequence.unwrap_or(s.trades),
        };
        self.push(
            route.session,
            Op {
                offset,
                owner: route.owner,
                payload: Payload::Trade(trade),
            },
        )
    }

    /// One side of a quote: (price, size), or (0, 0) when absent.
    #[inline]
    fn side(
        &self,
        offset: u64,
        px: i64,
        size: u32,
        which: &str,
    ) -> Result<(i64, u32), ImportError> {
        if px == UNDEF_PRICE {
            return Ok((0, 0));
        }
        if px < 0 {
            return Err(self.error(offset, format!("{which} price {px} is negative")));
        }
        Ok((px, if size == UNDEF_ORDER_SIZE { 0 } else { size }))
    }

    /// A quote from a consolidated pair (OPRA `cbbo` and `cmbp-1`), whose sides name venues.
    #[inline]
    fn consolidated_quote(
        &mut self,
        offset: u64,
        hd: &dbn::RecordHeader,
        ts: u64,
        level: &ConsolidatedBidAskPair,
        changes_only: bool,
    ) -> Result<(), ImportError> {
        let ts = self.event_time(offset, ts, "quote")?;
        let (bid, bid_size) = self.side(offset, level.bid_px, level.bid_sz, "bid")?;
        let (ask, ask_size) = self.side(offset, level.ask_px, level.ask_sz, "ask")?;
        let quote = Quote {
            ts: Timestamp::from_nanos(ts),
            bid,
            ask,
            bid_size,
            ask_size,
            bid_exchange: if bid > 0 {
                self.venues.get(level.bid_pb)
            } else {
                0
            },
            ask_exchange: if ask > 0 {
                self.venues.get(level.ask_pb)
            } else {
                0
            },
        };
        self.quote(offset, hd.instrument_id, quote, changes_only)
    }

    /// A quote from one venue's book (`mbp-1`, `bbo`), consolidated with the instrument's other
    /// venues.
    #[inline]
    fn book_quote(
        &mut self,
        offset: u64,
        hd: &dbn::RecordHeader,
        ts: u64,
        level: &BidAskPair,
        changes_only: bool,
    ) -> Result<(), ImportError> {
        let ts = self.event_time(offset, ts, "quote")?;
        let (bid_px, bid_sz) = self.side(offset, level.bid_px, level.bid_sz, "bid")?;
        let (ask_px, ask_sz) = self.side(offset, level.ask_px, level.ask_sz, "ask")?;
        let slot = self.slot(offset, hd.instrument_id, ts)?;
        let books = &mut self.slots[slot as usize].books;
        let book = VenueBook {
            publisher: hd.publisher_id,
            bid_px,
            bid_sz,
            ask_px,
            ask_sz,
        };
        match books.iter_mut().find(|b| b.publisher == hd.publisher_id) {
            Some(b) => *b = book,
            None => books.push(book),
        }
        let mut best_bid: Option<&VenueBook> = None;
        let mut best_ask: Option<&VenueBook> = None;
        for b in books.iter() {
            if b.bid_px > 0
                && best_bid.is_none_or(|best| {
                    b.bid_px > best.bid_px || (b.bid_px == best.bid_px && b.bid_sz > best.bid_sz)
                })
            {
                best_bid = Some(b);
            }
            if b.ask_px > 0
                && best_ask.is_none_or(|best| {
                    b.ask_px < best.ask_px || (b.ask_px == best.ask_px && b.ask_sz > best.ask_sz)
                })
            {
                best_ask = Some(b);
            }
        }
        let quote = Quote {
            ts: Timestamp::from_nanos(ts),
            bid: best_bid.map_or(0, |b| b.bid_px),
            ask: best_ask.map_or(0, |b| b.ask_px),
            bid_size: best_bid.map_or(0, |b| b.bid_sz),
            ask_size: best_ask.map_or(0, |b| b.ask_sz),
            bid_exchange: best_bid.map_or(0, |b| self.venues.get(b.publisher)),
            ask_exchange: best_ask.map_or(0, |b| self.venues.get(b.publisher)),
        };
        self.quote(offset, hd.instrument_id, quote, changes_only)
    }

    #[inline]
    fn quote(
        &mut self,
        offset: u64,
        id: u32,
        mut quote: Quote,
        changes_only: bool,
    ) -> Result<(), ImportError> {
        let ts = quote.ts.as_nanos();
        let slot = self.slot(offset, id, ts)?;
        let Some(route) = self.route(offset, slot, ts)? else {
            return Ok(());
        };
        let s = &mut self.slots[slot as usize];
        if changes_only
            && let Some(last) = s.last_quote
            && (Quote {
                ts: last.ts,
                ..quote
            }) == last
        {
            return Ok(());
        }
        let ts = ts.max(s.last_quote_ts);
        s.last_quote_ts = ts;
        quote.ts = Timestamp::from_nanos(ts);
        s.last_quote = Some(quote);
        self.push(
            route.session,
            Op {
                offset,
                owner: route.owner,
                payload: Payload::Quote(quote),
            },
        )
    }

    // --- reference data -------------------------------------------------------------------

    fn definition(&mut self, offset: u64, def: &InstrumentDefMsg) -> Result<(), ImportError> {
        let id = def.hd.instrument_id;
        let ts = instant(def.ts_recv)
            .or_else(|| instant(def.hd.ts_event))
            .ok_or_else(|| self.error(offset, "definition has no time"))?;
        let day = utc_day(ts);
        self.forget(day, id);
        if def.security_update_action as u8 == b'D' {
            self.symbology.define(day, id, Defined::Deleted);
            return Ok(());
        }
        let raw = def
            .raw_symbol()
            .map_err(|e| self.error(offset, format!("definition of instrument_id {id}: {e}")))?;
        let class = def.instrument_class as u8;
        let target = match (class, self.side) {
            (b'C' | b'P', Side::Options) => {
                let symbol = OptionSymbol::parse(raw).map_err(|e| {
                    self.error(
                        offset,
                        format!(
                            "definition of instrument_id {id}: raw_symbol {raw:?} is not an OSI \
                             option symbol: {e}"
                        ),
                    )
                })?;
                let right = if class == b'C' {
                    Right::Call
                } else {
                    Right::Put
                };
                if symbol.right != right {
                    return Err(self.error(
                        offset,
                        format!(
                            "definition of instrument_id {id}: raw_symbol {raw:?} is a {} but \
                             instrument_class is {:?}",
                            symbol.right.as_char(),
                            class as char
                        ),
                    ));
                }
                let strike = i64::from(symbol.strike.thousandths()) * 1_000_000;
                if def.strike_price != UNDEF_PRICE && def.strike_price != strike {
                    return Err(self.error(
                        offset,
                        format!(
                            "definition of instrument_id {id}: raw_symbol {raw:?} has strike {} \
                             but strike_price is {}",
                            symbol.strike,
                            tape::records::px_to_decimal(def.strike_price)
                        ),
                    ));
                }
                self.option_target(symbol)
            }
            (b'K', Side::Stocks) => match symbology::ticker(raw) {
                Some(ticker) => match self.underlying(&ticker) {
                    Some(underlying) => Target::Stock { underlying },
                    None => Target::Skip,
                },
                None => Target::Skip,
            },
            _ => Target::Skip,
        };
        self.symbology.define(day, id, Defined::Is(target));
        if let Target::Option { .. } = target {
            let date = symbology::civil(day);
            if calendar::is_trading_day(date) {
                self.owner(offset, target, date)?;
                self.kept += 1;
            }
        }
        Ok(())
    }

    /// The session a statistic describes (see the module notes on open interest).
    fn described_session(&mut self, ts_ref: u64, ts_recv: i64) -> Date {
        if let Some(reference) = instant(ts_ref) {
            let date = if reference.rem_euclid(symbology::DAY_NANOS) == 0 {
                symbology::civil(utc_day(reference))
            } else {
                self.days.date(reference)
            };
            return date;
        }
        let date = self.days.date(ts_recv);
        match calendar::session(date) {
            Some(s) if ts_recv >= s.close.as_nanos() => date,
            _ => calendar::previous_session(date).map_or(date, |s| s.date),
        }
    }

    fn statistic(&mut self, offset: u64, stat: &StatMsg) -> Result<(), ImportError> {
        const OPEN_INTEREST: u16 = 9;
        const DELETE: u8 = 2;
        if stat.stat_type != OPEN_INTEREST || stat.update_action == DELETE {
            return Ok(());
        }
        if stat.quantity == UNDEF_STAT_QUANTITY {
            return Ok(());
        }
        let open_interest = u64::try_from(stat.quantity).map_err(|_| {
            self.error(
                offset,
                format!("open interest {} is negative", stat.quantity),
            )
        })?;
        let received = instant(stat.ts_recv)
            .or_else(|| instant(stat.hd.ts_event))
            .ok_or_else(|| self.error(offset, "statistic has no time"))?;
        let slot = self.slot(offset, stat.hd.instrument_id, received)?;
        let target = self.slots[slot as usize].target;
        let Target::Option { symbol, underlying } = target else {
            return Ok(());
        };
        let date = self.described_session(stat.ts_ref, received);
        let name = &self.underlyings[underlying as usize];
        let builder = self.staging.session(name, date)?;
        let fail = |e: tape::TapeError| ImportError::at_offset(&self.path, offset, e.to_string());
        let owner = builder.contract(symbol).map_err(fail)?;
        builder
            .set_open_interest(owner, open_interest)
            .map_err(fail)?;
        self.kept += 1;
        Ok(())
    }

    fn symbol_mapping(&mut self, offset: u64, m: &SymbolMappingMsg) -> Result<(), ImportError> {
        let id = m.hd.instrument_id;
        let texts = [m.stype_out_symbol(), m.stype_in_symbol()];
        let Some(text) = texts.into_iter().flatten().find(|t| match self.side {
            Side::Options => OptionSymbol::parse(t).is_ok(),
            Side::Stocks => symbology::ticker(t).is_some(),
        }) else {
            return Ok(());
        };
        let text = text.to_string();
        let start = instant(m.start_ts)
            .or_else(|| instant(m.hd.ts_event))
            .ok_or_else(|| self.error(offset, "symbol mapping has no time"))?;
        let first = utc_day(start);
        let end = instant(m.end_ts)
            .filter(|end| *end > start)
            .map_or(first + 1, |end| utc_day(end - 1) + 1)
            .min(first + 366);
        self.symbology.map(id, first, end, &text);
        for day in first..end {
            self.forget(day, id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_pick_one_source_per_kind() {
        let present = |types: &[u8]| {
            let mut p = [false; 256];
            for t in types {
                p[usize::from(*t)] = true;
            }
            Present(p)
        };
        let plan = Plan::new(
            &present(&[rtype::CBBO_1S, rtype::CBBO_1M, rtype::MBP_0]),
            false,
        );
        assert_eq!(plan.quotes, Some(Source::Cbbo1S));
        assert_eq!(plan.trades, Some(Source::Trades));
        let plan = Plan::new(&present(&[rtype::MBP_1, rtype::MBP_0]), false);
        assert_eq!(
            (plan.quotes, plan.trades),
            (Some(Source::Mbp1), Some(Source::Trades))
        );
        let plan = Plan::new(&present(&[rtype::CMBP_1]), false);
        assert_eq!((plan.quotes, plan.trades), (Some(Source::Cmbp1), None));
        let plan = Plan::new(&present(&[rtype::MBP_1]), true);
        assert_eq!((plan.quotes, plan.trades), (None, Some(Source::Tbbo)));
        let plan = Plan::new(&present(&[rtype::TCBBO]), false);
        assert_eq!((plan.quotes, plan.trades), (None, Some(Source::Tcbbo)));
        assert_eq!(
            plan.provides(Side::Options),
            BTreeSet::from([Provides::OptionTrades])
        );
        let plan = Plan::new(&present(&[rtype::INSTRUMENT_DEF, rtype::STATISTICS]), false);
        assert!(plan.provides(Side::Options).is_empty());
    }

    #[test]
    fn new_york_days_follow_the_clock_changes() {
        let mut days = NewYorkDays::new();
        // 2025-03-09 is the spring-forward Sunday; 04:59:59Z is still the 8th in New York.
        let before = 1_741_496_399_000_000_000;
        assert_eq!(days.date(before).to_string(), "2025-03-08");
        assert_eq!(days.date(before + 1_000_000_000).to_string(), "2025-03-09");
        assert_eq!(
            days.date(before).to_string(),
            "2025-03-08",
            "going back works too"
        );
    }

    #[test]
    fn sniffing_needs_the_magic() {
        let path = Path::new("x.dbn");
        assert!(
            sniff(&Head {
                path,
                bytes: b"DBN\x03\x00\x00"
            })
            .is_some()
        );
        assert!(
            sniff(&Head {
                path,
                bytes: b"time,symbol"
            })
            .is_none()
        );
    }
}
