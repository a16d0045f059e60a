//! Polygon / Massive flat files: gzip CSV, one file per dataset and trading day.
//!
//! | Dataset (bucket prefix) | Header (columns are found by name, in any order) | Provides |
//! |---|---|---|
//! | `us_options_opra/trades_v1` | `ticker,conditions,correction,exchange[,participant_timestamp],price,sip_timestamp,size` | option trades |
//! | `us_options_opra/quotes_v1` | `ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp` | option quotes |
//! | `us_options_opra/{minute,day}_aggs_v1` | `ticker,volume,open,close,high,low,window_start,transactions` | option bars |
//! | `us_stocks_sip/trades_v1` | `ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp` | underlying trades |
//! | `us_stocks_sip/quotes_v1` | `ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,conditions,indicators,participant_timestamp,sequence_number,sip_timestamp,tape,trf_timestamp` | underlying quotes |
//! | `us_stocks_sip/{minute,day}_aggs_v1` | as options aggregates, stock tickers | underlying bars |
//! | `us_indices/minute_aggs_v1` | as aggregates, `I:` tickers; `volume`, `transactions` optional | underlying bars and index values |
//! | `us_indices/day_aggs_v1` | the same | underlying bars |
//!
//! **Detection.** The header line tells the dataset: `bid_price`/`ask_price` make quotes,
//! `window_start` aggregates, otherwise `sip_timestamp` with `price` trades. The first data row's
//! ticker tells the asset class (`O:` options, `I:` indices, else stocks); when the file has no
//! rows, the path (`us_options_opra`, `us_stocks_sip`, `us_indices`) or stock-only columns
//! (`tape`, `trf_id`, `indicators`) decide. Minute and day aggregates share one header: a path
//! naming `minute_aggs` or `day_aggs` decides, else a file whose first rows all start at New York
//! midnight is a day file. Every later row must be of the file's asset class.
//!
//! **Rows.** Only the columns above are read; unknown extra columns are ignored and optional ones
//! (`participant_timestamp`, `conditions`, `correction`, `exchange`, sizes, `volume`,
//! `transactions`, `sequence_number`, `trf_id`) may be missing. An empty cell is a missing value;
//! a cell that is not a number is an error naming the line and the column.
//!
//! - Routing: an option goes to the session of its root's underlying (`SPXW` → `SPX`), a stock to
//!   its ticker, an index to its ticker without `I:`; the trading date is the New York date of
//!   `sip_timestamp` (or `window_start`, which day files set to New York midnight).
//! - Trades: `correction != 0` rows are corrected or cancelled prints and are left out.
//!   Byte-identical rows are distinct prints and both kept. Option trades have no sequence
//!   number, so each gets its ordinal (1, 2, ...) among the contract's kept trades of the day;
//!   stock trades keep `sequence_number`. Venues and conditions are mapped to our codes (see
//!   `venues`); at most four conditions are kept.
//! - Quotes: a side whose price is 0 or empty is absent (price, size and venue 0). A row with
//!   neither side is kept: it says the contract has no quote from then on. Stock quote sizes
//!   before 2025-11-03 are round lots and are multiplied by 100; from that date they are shares.
//!   Quote sizes are whole units: a fraction is dropped.
//! - Aggregates: one bar per row at `window_start`. The flat files carry no VWAP, so the bar's
//!   is the mean of open, high, low and close (a `vwap` column is used when present). A day file
//!   stores each row as one bar starting at New York midnight, which becomes the session's day
//!   summary; importing it therefore replaces the minute bars of that kind in the sessions it
//!   touches. An index minute file also stores each bar's close as an index value at the bar's
//!   end (`window_start` + 1 minute), when that close was known, so as-of queries never see a
//!   close early.
//! - Tickers: Polygon writes some share classes with lower-case letters (`BACpB`); the tape's
//!   symbols are upper case, so such tickers (and ones longer than 16 characters) are skipped.
//!   Other tickers that are not symbols, and `O:` tickers that are not option symbols, are
//!   errors.
//! - Order: files are grouped by ticker and in time order within a ticker. They are streamed, not
//!   sorted: a row earlier than the previous row of its ticker is an error naming both lines.

pub(crate) mod fields;
use model::polygon_codes as venues;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use jiff::civil::Date;
use model::Timestamp;
use model::calendar::new_york_date;
use model::symbol::OptionSymbol;
use tape::records::MINUTE_NANOS;
use tape::{Bar, IndexValue, Owner, Quote, Trade};

use crate::csv_rows::each_row;
use crate::detect::{FileFormat, Head};
use crate::error::ImportError;
use crate::staging::{Provides, RowOrder, Staging, Subject};
use crate::{Progress, open_decompressed};
use fields::{Columns, cell, shown};

/// Stock quote sizes are shares from this trading date on, round lots of 100 before it.
const SHARE_QUOTE_SIZES_FROM: Date = jiff::civil::date(2025, 11, 3);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dataset {
    Trades,
    Quotes,
    MinuteAggs,
    DayAggs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asset {
    Options,
    Stocks,
    Indices,
}

impl Asset {
    fn describe(self) -> &'static str {
        match self {
            Asset::Options => "an options file (O: tickers)",
            Asset::Stocks => "a stocks file",
            Asset::Indices => "an indices file (I: tickers)",
        }
    }
}

/// One Polygon flat-file layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Polygon {
    dataset: Dataset,
    asset: Asset,
}

pub fn sniff(head: &Head<'_>) -> Option<Box<dyn FileFormat>> {
    let header = head.first_line()?;
    let columns = Columns::new(header.split(',').map(str::as_bytes));
    if !columns.has("ticker") || !(columns.has("sip_timestamp") || columns.has("window_start")) {
        return None;
    }
    let quotes = ["bid_price", "ask_price", "bid_exchange", "ask_exchange"]
        .iter()
        .any(|c| columns.has(c));
    let aggregates = columns.has("window_start");
    let rows = head_rows(head.bytes);
    let ticker = rows
        .first()
        .and_then(|r| columns.get("ticker").and_then(|i| r.get(i)))
        .map(str::trim);
    let path = head.path.to_string_lossy().to_ascii_lowercase();
    let asset = match ticker {
        Some(t) if t.starts_with("O:") => Asset::Options,
        Some(t) if t.starts_with("I:") => Asset::Indices,
        Some(_) => Asset::Stocks,
        None if path.contains("us_options_opra") => Asset::Options,
        None if path.contains("us_indices") => Asset::Indices,
        None if path.contains("us_stocks_sip") => Asset::Stocks,
        None if ["tape", "trf_id", "trf_timestamp", "indicators", "id"]
            .iter()
            .any(|c| columns.has(c)) =>
        {
            Asset::Stocks
        }
        None => Asset::Options,
    };
    let dataset = if aggregates {
        if path.contains("day_aggs") {
            Dataset::DayAggs
        } else if path.contains("minute_aggs") {
            Dataset::MinuteAggs
        } else {
            let starts: Vec<Option<i64>> = rows
                .iter()
                .map(|r| {
                    columns
                        .get("window_start")
                        .and_then(|i| r.get(i))
                        .and_then(|s| s.trim().parse().ok())
                })
                .collect();
            let midnight = |ns: i64| model::calendar::ms_of_day(Timestamp::from_nanos(ns)) == 0;
            if !starts.is_empty() && starts.iter().all(|s| s.is_some_and(midnight)) {
                Dataset::DayAggs
            } else {
                Dataset::MinuteAggs
            }
        }
    } else if quotes {
        Dataset::Quotes
    } else {
        Dataset::Trades
    };
    Some(Box::new(Polygon { dataset, asset }) as Box<dyn FileFormat>)
}

/// The complete data rows within the first bytes of a file.
fn head_rows(bytes: &[u8]) -> Vec<csv::StringRecord> {
    let end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&bytes[..end]);
    reader.records().take(2_000).map_while(Result::ok).collect()
}

impl FileFormat for Polygon {
    fn name(&self) -> &'static str {
        use Asset::*;
        use Dataset::*;
        match (self.asset, self.dataset) {
            (Options, Trades) => "polygon-options-trades",
            (Options, Quotes) => "polygon-options-quotes",
            (Options, MinuteAggs) => "polygon-options-minute-aggs",
            (Options, DayAggs) => "polygon-options-day-aggs",
            (Stocks, Trades) => "polygon-stocks-trades",
            (Stocks, Quotes) => "polygon-stocks-quotes",
            (Stocks, MinuteAggs) => "polygon-stocks-minute-aggs",
            (Stocks, DayAggs) => "polygon-stocks-day-aggs",
            (Indices, Trades) => "polygon-indices-trades",
            (Indices, Quotes) => "polygon-indices-quotes",
            (Indices, MinuteAggs) => "polygon-indices-minute-aggs",
            (Indices, DayAggs) => "polygon-indices-day-aggs",
        }
    }

    fn provides(&self) -> BTreeSet<Provides> {
        use Asset::*;
        use Dataset::*;
        match (self.asset, self.dataset) {
            (Options, Trades) => [Provides::OptionTrades].into(),
            (Options, Quotes) => [Provides::OptionQuotes].into(),
            (Options, MinuteAggs | DayAggs) => [Provides::OptionBars].into(),
            (Stocks, Trades) => [Provides::UnderlyingTrades].into(),
            (Stocks, Quotes) => [Provides::UnderlyingQuotes].into(),
            (Stocks | Indices, DayAggs) | (Stocks, MinuteAggs) => [Provides::UnderlyingBars].into(),
            (Indices, MinuteAggs) => [Provides::UnderlyingBars, Provides::UnderlyingValues].into(),
            // Polygon has no index trades or quotes; reading such a file fails at its first row.
            (Indices, Trades | Quotes) => BTreeSet::new(),
        }
    }

    fn read(
        &self,
        path: &Path,
        staging: &mut Staging<'_>,
        progress: Progress<'_>,
    ) -> Result<u64, ImportError> {
        let (reader, count) = open_decompressed(path)?;
        let mut csv = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(reader);
        let header = csv
            .byte_headers()
            .map_err(|e| ImportError::at_line(path, 1, format!("cannot read the header: {e}")))?;
        let columns = Columns::new(header.iter());
        let cols = Cols::new(&columns);
        if let Some(missing) = columns.missing(self.required()) {
            return Err(ImportError::at_line(
                path,
                1,
                format!(
                    "missing column {missing:?}, which {} files need",
                    self.name()
                ),
            ));
        }
        let mut run = Run {
            format: *self,
            cols,
            file: path.to_path_buf(),
            staging,
            ticker: None,
            subject: Subject::Skip,
            last: RowOrder::default(),
            ordinal: None,
            ordinals: HashMap::new(),
            records: 0,
            days: Days::default(),
        };
        each_row(
            &mut csv,
            path,
            |line, record| run.row(line, record),
            || progress(count.load(Ordering::Relaxed)),
        )?;
        Ok(run.records)
    }
}

impl Polygon {
    fn required(&self) -> &'static [&'static str] {
        match self.dataset {
            Dataset::Trades => &["ticker", "price", "sip_timestamp", "size"],
            Dataset::Quotes => &["ticker", "ask_price", "bid_price", "sip_timestamp"],
            Dataset::MinuteAggs | Dataset::DayAggs => {
                &["ticker", "open", "close", "high", "low", "window_start"]
            }
        }
    }

    /// Where a ticker's rows go, or why they cannot be read.
    fn subject(&self, ticker: &[u8], staging: &Staging<'_>) -> Result<Subject, String> {
        let text = std::str::from_utf8(ticker)
            .map_err(|_| format!("ticker {:?} is not text", shown(ticker)))?;
        if text.is_empty() {
            return Err("the ticker is empty".into());
        }
        let (asset, body) = if text.starts_with("O:") {
            (Asset::Options, text)
        } else if let Some(index) = text.strip_prefix("I:") {
            (Asset::Indices, index)
        } else {
            (Asset::Stocks, text)
        };
        if asset != self.asset {
            return Err(format!(
                "ticker {text:?} does not belong in {}",
                self.asset.describe()
            ));
        }
        if matches!(self.dataset, Dataset::Trades | Dataset::Quotes) && asset == Asset::Indices {
            return Err(format!(
                "ticker {text:?}: Polygon has no index trades or quotes"
            ));
        }
        if asset == Asset::Options {
            let symbol = OptionSymbol::parse(text)
                .map_err(|e| format!("ticker {text:?} is not an option symbol: {e}"))?;
            let underlying = model::roots::root_info(symbol.root.as_str()).underlying;
            if !staging.wants(underlying) {
                return Ok(Subject::Skip);
            }
            return Ok(Subject::Option {
                underlying: underlying.to_string(),
                symbol,
            });
        }
        let plausible = body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if body.is_empty() || !plausible {
            return Err(format!("ticker {text:?} is not a symbol"));
        }
        let storable = body.len() <= 16 && !body.bytes().any(|b| b.is_ascii_lowercase());
        if !storable || !staging.wants(body) {
            return Ok(Subject::Skip);
        }
        Ok(Subject::Underlying {
            underlying: body.to_string(),
        })
    }
}

/// Positions of the columns any Polygon dataset uses.
struct Cols {
    ticker: Option<usize>,
    conditions: Option<usize>,
    correction: Option<usize>,
    exchange: Option<usize>,
    price: Option<usize>,
    sip_timestamp: Option<usize>,
    size: Option<usize>,
    sequence_number: Option<usize>,
    trf_id: Option<usize>,
    ask_exchange: Option<usize>,
    ask_price: Option<usize>,
    ask_size: Option<usize>,
    bid_exchange: Option<usize>,
    bid_price: Option<usize>,
    bid_size: Option<usize>,
    volume: Option<usize>,
    open: Option<usize>,
    close: Option<usize>,
    high: Option<usize>,
    low: Option<usize>,
    window_start: Option<usize>,
    transactions: Option<usize>,
    vwap: Option<usize>,
}

impl Cols {
    fn new(columns: &Columns) -> Cols {
        let c = |name: &str| columns.get(name);
        Cols {
            ticker: c("ticker"),
            conditions: c("conditions"),
            correction: c("correction"),
            exchange: c("exchange"),
            price: c("price"),
            sip_timestamp: c("sip_timestamp"),
            size: c("size"),
            sequence_number: c("sequence_number"),
            trf_id: c("trf_id"),
            ask_exchange: c("ask_exchange"),
            ask_price: c("ask_price"),
            ask_size: c("ask_size"),
            bid_exchange: c("bid_exchange"),
            bid_price: c("bid_price"),
            bid_size: c("bid_size"),
            volume: c("volume"),
            open: c("open"),
            close: c("close"),
            high: c("high"),
            low: c("low"),
            window_start: c("window_start"),
            transactions: c("transactions"),
            vwap: c("vwap"),
        }
    }
}

/// One row, parsed but not yet routed.
#[derive(Clone, Debug, PartialEq)]
enum Parsed {
    /// A corrected or cancelled trade, left out.
    Correction,
    Trade {
        trade: Trade,
        /// The source's sequence number, when it has one.
        sequence: Option<u64>,
    },
    Quote {
        ts: Timestamp,
        bid: i64,
        ask: i64,
        /// In the file's unit (round lots for older stock quotes).
        bid_size: u64,
        ask_size: u64,
        bid_exchange: u16,
        ask_exchange: u16,
    },
    Bar(Bar),
}

impl Parsed {
    fn ts(&self) -> Option<Timestamp> {
        match self {
            Parsed::Correction => None,
            Parsed::Trade { trade, .. } => Some(trade.ts),
            Parsed::Quote { ts, .. } => Some(*ts),
            Parsed::Bar(bar) => Some(bar.start),
        }
    }
}

fn timestamp(name: &str, text: &[u8]) -> Result<Timestamp, String> {
    let nanos: i64 = fields::integer(name, text)?.ok_or_else(|| format!("{name} is empty"))?;
    if nanos <= 0 {
        return Err(format!("{name} {nanos} is not a time after 1970"));
    }
    Ok(Timestamp::from_nanos(nanos))
}

fn required_price(name: &str, text: &[u8]) -> Result<i64, String> {
    fields::price(name, text)?.ok_or_else(|| format!("{name} is empty"))
}

fn venue_id(name: &str, text: &[u8]) -> Result<i64, String> {
    Ok(fields::integer::<i64>(name, text)?.unwrap_or(0))
}

/// Condition IDs: `209`, `"209,219"` (quoted in the file), or `[209, 219]`.
fn condition_ids(text: &[u8]) -> Result<Vec<i64>, String> {
    let text = std::str::from_utf8(text)
        .map_err(|_| format!("conditions {:?} is not text", shown(text)))?;
    text.trim_matches(|c| c == '[' || c == ']' || c == '{' || c == '}')
        .split([',', ' ', ';'])
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| format!("conditions {text:?} is not a list of condition IDs"))
        })
        .collect()
}

impl Polygon {
    /// Parses one row's values (everything but the ticker).
    fn parse(&self, cols: &Cols, record: &csv::ByteRecord) -> Result<Parsed, String> {
        let get = |i: Option<usize>| cell(record, i);
        let option = self.asset == Asset::Options;
        match self.dataset {
            Dataset::Trades => {
                let correction: i64 =
                    fields::integer("correction", get(cols.correction))?.unwrap_or(0);
                let ts = timestamp("sip_timestamp", get(cols.sip_timestamp))?;
                let price = required_price("price", get(cols.price))?;
                let size = fields::size("size", get(cols.size))?.ok_or("size is empty")?;
                let exchange = venue_id("exchange", get(cols.exchange))?;
                let ids = condition_ids(get(cols.conditions))?;
                let sequence: Option<u64> =
                    fields::integer("sequence_number", get(cols.sequence_number))?;
                let trf_id: Option<i64> = fields::integer("trf_id", get(cols.trf_id))?;
                if correction != 0 {
                    return Ok(Parsed::Correction);
                }
                let codes: Vec<u16> = ids
                    .iter()
                    .map(|id| {
                        if option {
                            venues::option_condition(*id)
                        } else {
                            venues::stock_condition(*id)
                        }
                    })
                    .collect();
                Ok(Parsed::Trade {
                    trade: Trade {
                        ts,
                        price,
                        size,
                        exchange: if option {
                            venues::option_venue(exchange)
                        } else {
                            venues::stock_venue(exchange, trf_id)
                        },
                        conditions: Trade::conditions_from(&codes),
                        sequence: 0,
                    },
                    sequence: if option { None } else { sequence },
                })
            }
            Dataset::Quotes => {
                let ts = timestamp("sip_timestamp", get(cols.sip_timestamp))?;
                let venue = |id: i64| {
                    if option {
                        venues::option_venue(id)
                    } else {
                        venues::stock_venue(id, None)
                    }
                };
                let side = |price: Option<usize>,
                            size: Option<usize>,
                            exchange: Option<usize>,
                            names: [&str; 3]|
                 -> Result<(i64, u64, u16), String> {
                    let px = fields::price(names[0], get(price))?.unwrap_or(0);
                    let size = fields::count(names[1], get(size))?.unwrap_or(0);
                    let exchange = venue_id(names[2], get(exchange))?;
                    Ok(if px == 0 {
                        (0, 0, 0)
                    } else {
                        (px, size, venue(exchange))
                    })
                };
                let (bid, bid_size, bid_exchange) = side(
                    cols.bid_price,
                    cols.bid_size,
                    cols.bid_exchange,
                    ["bid_price", "bid_size", "bid_exchange"],
                )?;
                let (ask, ask_size, ask_exchange) = side(
                    cols.ask_price,
                    cols.ask_size,
                    cols.ask_exchange,
                    ["ask_price", "ask_size", "ask_exchange"],
                )?;
                Ok(Parsed::Quote {
                    ts,
                    bid,
                    ask,
                    bid_size,
                    ask_size,
                    bid_exchange,
                    ask_exchange,
                })
            }
            Dataset::MinuteAggs | Dataset::DayAggs => {
                let start = timestamp("window_start", get(cols.window_start))?;
                let open = required_price("open", get(cols.open))?;
                let high = required_price("high", get(cols.high))?;
                let low = required_price("low", get(cols.low))?;
                let close = required_price("close", get(cols.close))?;
                let volume = fields::size("volume", get(cols.volume))?.unwrap_or(0);
                let transactions: u32 =
                    fields::integer("transactions", get(cols.transactions))?.unwrap_or(0);
                let vwap = fields::price("vwap", get(cols.vwap))?
                    .unwrap_or_else(|| fields::ohlc_mean(open, high, low, close));
                if start.as_nanos().rem_euclid(MINUTE_NANOS) != 0 {
                    return Err(format!(
                        "window_start {} is not on a minute boundary",
                        start.as_nanos()
                    ));
                }
                Ok(Parsed::Bar(Bar {
                    start,
                    open,
                    high,
                    low,
                    close,
                    volume,
                    vwap,
                    transactions,
                }))
            }
        }
    }
}

/// The state of reading one file.
struct Run<'s, 'a> {
    format: Polygon,
    cols: Cols,
    file: PathBuf,
    staging: &'s mut Staging<'a>,
    /// The ticker of the previous row and where its rows go.
    ticker: Option<Vec<u8>>,
    subject: Subject,
    /// The ticker's previous kept row.
    last: RowOrder,
    /// Trade ordinals: the series being counted and its count so far.
    ordinal: Option<((String, Date, Owner), u64)>,
    ordinals: HashMap<(String, Date, Owner), u64>,
    /// Rows kept (corrections and skipped tickers are not counted).
    records: u64,
    days: Days,
}

/// New York dates of instants, remembering the bounds of the last day seen: rows come in time
/// order, so nearly every row falls in the same day as the one before.
#[derive(Default)]
struct Days {
    last: Option<(i64, i64, Date)>,
}

impl Days {
    fn date(&mut self, ts: Timestamp) -> Date {
        let t = ts.as_nanos();
        if let Some((start, end, date)) = self.last
            && (start..end).contains(&t)
        {
            return date;
        }
        let date = new_york_date(ts);
        let midnight = |d: Date| model::calendar::new_york_instant(d, 0, 0, 0).as_nanos();
        self.last = date
            .tomorrow()
            .ok()
            .map(|next| (midnight(date), midnight(next), date));
        date
    }
}

impl Run<'_, '_> {
    fn row(&mut self, line: u64, record: &csv::ByteRecord) -> Result<(), ImportError> {
        let file = &self.file;
        let at = |reason: String| ImportError::at_line(file, line, reason);
        let ticker = cell(record, self.cols.ticker);
        if self.ticker.as_deref() != Some(ticker) {
            self.subject = self.format.subject(ticker, &*self.staging).map_err(at)?;
            self.ticker = Some(ticker.to_vec());
            self.last.restart();
        }
        let Some((underlying, symbol)) = self.subject.target() else {
            return Ok(());
        };
        let parsed = self.format.parse(&self.cols, record).map_err(at)?;
        let Some(ts) = parsed.ts() else {
            // A corrected or cancelled print.
            return Ok(());
        };
        // Only errors need the ticker as text.
        let name = || shown(ticker);
        self.last.take(ts, line, name, "a ticker").map_err(at)?;
        let date = self.days.date(ts);
        let tape_error = |e: tape::TapeError| at(format!("{}: {e}", name()));
        let builder = self.staging.session(underlying, date)?;
        let owner = match symbol {
            Some(symbol) => builder.contract(symbol).map_err(tape_error)?,
            None => Owner::Underlying,
        };
        match parsed {
            Parsed::Correction => unreachable!("corrections have no time"),
            Parsed::Trade {
                mut trade,
                sequence,
            } => {
                trade.sequence = match sequence {
                    Some(sequence) => sequence,
                    None => {
                        let same = |(u, d, o): &(String, Date, Owner)| {
                            u == underlying && *d == date && *o == owner
                        };
                        if self.ordinal.as_ref().is_none_or(|(k, _)| !same(k)) {
                            if let Some((k, n)) = self.ordinal.take() {
                                self.ordinals.insert(k, n);
                            }
                            let key = (underlying.clone(), date, owner);
                            let n = self.ordinals.remove(&key).unwrap_or(0);
                            self.ordinal = Some((key, n));
                        }
                        let (_, n) = self.ordinal.as_mut().expect("just set");
                        *n += 1;
                        *n
                    }
                };
                builder.trade(owner, trade).map_err(tape_error)?;
            }
            Parsed::Quote {
                ts,
                bid,
                ask,
                bid_size,
                ask_size,
                bid_exchange,
                ask_exchange,
            } => {
                let lots = self.format.asset == Asset::Stocks && date < SHARE_QUOTE_SIZES_FROM;
                let units = |name: &str, size: u64| -> Result<u32, String> {
                    size.checked_mul(if lots { 100 } else { 1 })
                        .and_then(|s| u32::try_from(s).ok())
                        .ok_or_else(|| format!("{name} {size} is too large for a quote size"))
                };
                let quote = Quote {
                    ts,
                    bid,
                    ask,
                    bid_size: units("bid_size", bid_size).map_err(at)?,
                    ask_size: units("ask_size", ask_size).map_err(at)?,
                    bid_exchange,
                    ask_exchange,
                };
                builder.quote(owner, quote).map_err(tape_error)?;
            }
            Parsed::Bar(bar) => {
                builder.bar(owner, bar).map_err(tape_error)?;
                if self.format.asset == Asset::Indices && self.format.dataset == Dataset::MinuteAggs
                {
                    let end = bar
                        .start
                        .as_nanos()
                        .checked_add(MINUTE_NANOS)
                        .ok_or_else(|| at("window_start is out of range".into()))?;
                    builder
                        .value(IndexValue {
                            ts: Timestamp::from_nanos(end),
                            value: bar.close,
                        })
                        .map_err(tape_error)?;
                }
            }
        }
        self.records += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn format(dataset: Dataset, asset: Asset) -> Polygon {
        Polygon { dataset, asset }
    }

    fn columns(header: &str) -> Cols {
        Cols::new(&Columns::new(header.split(',').map(str::as_bytes)))
    }

    fn record(row: &str) -> csv::ByteRecord {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(row.as_bytes());
        reader.byte_records().next().unwrap().unwrap()
    }

    const TRADES: &str = "ticker,conditions,correction,exchange,price,sip_timestamp,size";
    const QUOTES: &str = "ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp";
    const AGGS: &str = "ticker,volume,open,close,high,low,window_start,transactions";

    #[test]
    fn sniffing_tells_datasets_and_assets_apart() {
        let sniffed = |path: &str, text: &str| {
            sniff(&Head {
                path: Path::new(path),
                bytes: text.as_bytes(),
            })
            .map(|f| f.name())
        };
        assert_eq!(
            sniffed(
                "a.csv.gz",
                &format!("{TRADES}\nO:SPY250117C00500000,209,0,302,1.2,1736955005123400000,3\n")
            ),
            Some("polygon-options-trades")
        );
        assert_eq!(
            sniffed(
                "a.csv.gz",
                &format!("{QUOTES}\nSPY,12,1,1,11,1,1,1,1736955005123400000\n")
            ),
            Some("polygon-stocks-quotes")
        );
        assert_eq!(
            sniffed(
                "a.csv.gz",
                &format!("{AGGS}\nI:SPX,0,1,1,1,1,1736917200000000000,0\n")
            ),
            Some("polygon-indices-day-aggs"),
            "New York midnight starts make a day file"
        );
        assert_eq!(
            sniffed(
                "a.csv.gz",
                &format!("{AGGS}\nI:SPX,0,1,1,1,1,1736951400000000000,0\n")
            ),
            Some("polygon-indices-minute-aggs")
        );
        assert_eq!(
            sniffed(
                "us_stocks_sip/day_aggs_v1/2025/01/2025-01-15.csv.gz",
                &format!("{AGGS}\n")
            ),
            Some("polygon-stocks-day-aggs")
        );
        assert_eq!(sniffed("x.csv", "time,symbol,event\n"), None);
    }

    #[test]
    fn trades_rows_parse_with_mapped_codes() {
        let cols = columns(TRADES);
        let parsed = format(Dataset::Trades, Asset::Options)
            .parse(
                &cols,
                &record("O:SPXW250115P05900000,\"209,219\",0,325,1.05,1736955060000000000,10"),
            )
            .unwrap();
        let Parsed::Trade { trade, sequence } = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(sequence, None);
        assert_eq!(trade.price, 1_050_000_000);
        assert_eq!(trade.size, 10_000_000);
        assert_eq!(trade.exchange, model::venues::venue::CBOE_BZX);
        assert_eq!(
            trade.condition_codes().collect::<Vec<_>>(),
            vec![
                model::venues::condition::AUTO_EXECUTION,
                model::venues::condition::INTERMARKET_SWEEP
            ]
        );
        let corrected = format(Dataset::Trades, Asset::Options)
            .parse(&cols, &record("O:X,209,1,325,1.05,1736955060000000000,10"))
            .unwrap();
        assert_eq!(corrected, Parsed::Correction);
    }

    #[test]
    fn quote_sides_with_price_zero_are_absent() {
        let cols = columns(QUOTES);
        let parsed = format(Dataset::Quotes, Asset::Options)
            .parse(
                &cols,
                &record("O:SPXW250115C06500000,0,0,0,322,0.05,40,81780,1736955000000000000"),
            )
            .unwrap();
        assert_eq!(
            parsed,
            Parsed::Quote {
                ts: Timestamp::from_nanos(1_736_955_000_000_000_000),
                bid: 50_000_000,
                ask: 0,
                bid_size: 40,
                ask_size: 0,
                bid_exchange: model::venues::venue::CBOE_C2,
                ask_exchange: 0,
            }
        );
    }

    #[test]
    fn malformed_cells_name_their_column() {
        let cols = columns(AGGS);
        let error = format(Dataset::MinuteAggs, Asset::Options)
            .parse(&cols, &record("O:X,1,1.0,1.1,abc,1,1736955000000000000,1"))
            .unwrap_err();
        assert!(error.contains("high \"abc\""), "{error}");
        let error = format(Dataset::MinuteAggs, Asset::Options)
            .parse(&cols, &record("O:X,1,1.0,1.1,1,1,1736955000000000001,1"))
            .unwrap_err();
        assert!(error.contains("minute boundary"), "{error}");
    }

    #[test]
    fn days_follow_new_york_midnights_across_the_clock_change() {
        let mut days = Days::default();
        let mut date = |text: &str| days.date(Timestamp::parse_rfc3339(text).unwrap());
        assert_eq!(date("2025-11-02T03:59:00Z"), jiff::civil::date(2025, 11, 1));
        assert_eq!(date("2025-11-02T04:30:00Z"), jiff::civil::date(2025, 11, 2));
        // 2025-11-02 has 25 hours: 23:30 EST is still the 2nd.
        assert_eq!(date("2025-11-03T04:30:00Z"), jiff::civil::date(2025, 11, 2));
        assert_eq!(date("2025-11-03T05:00:00Z"), jiff::civil::date(2025, 11, 3));
        assert_eq!(date("2025-11-02T04:30:00Z"), jiff::civil::date(2025, 11, 2));
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_rows_never_panics(
            cells in proptest::collection::vec("[-0-9.eE:,\"OI A-Za-z]{0,24}", 0..16),
        ) {
            let row = cells.join(",");
            let Some(Ok(record)) = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(row.as_bytes())
                .byte_records()
                .next()
            else {
                return Ok(());
            };
            for (header, dataset) in [
                (TRADES, Dataset::Trades),
                (QUOTES, Dataset::Quotes),
                (AGGS, Dataset::MinuteAggs),
                ("ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp", Dataset::Trades),
            ] {
                for asset in [Asset::Options, Asset::Stocks, Asset::Indices] {
                    let _ = format(dataset, asset).parse(&columns(header), &record);
                }
            }
        }
    }
}
