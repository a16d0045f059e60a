//! ThetaData v2 CSV outputs (`use_csv=true`), as saved from the terminal's REST surface.
//!
//! | Request | Columns read (by name; others ignored) | Provides |
//! |---|---|---|
//! | `hist/option/quote`, `hist/stock/quote` | `ms_of_day, bid_size, bid_exchange, bid, ask_size, ask_exchange, ask, date` | quotes |
//! | `hist/option/trade`, `hist/stock/trade` | `ms_of_day, sequence, condition, size, exchange, price, records_back, date` | trades |
//! | `hist/option/eod`, `hist/stock/eod`, `hist/index/eod` | `open, high, low, close, volume, count, date` | bars (one per day) |
//! | `hist/option/ohlc`, `hist/stock/ohlc` | `ms_of_day, open, high, low, close, volume, count, date` | bars |
//! | `hist/index/price` | `ms_of_day, price, date` | index values |
//!
//! A file is recognised by its header: `ms_of_day` and `date` plus the columns of one request
//! (`records_back` or `sequence` with `price`: trades; `ms_of_day2` or `open` with `bid`: EOD;
//! `bid`/`ask`: quotes; `open`: OHLC; `price`: index prices).
//!
//! **Which contract.** These outputs do not name the contract in each row. Bulk outputs
//! (`bulk_hist/...`) carry `root, expiration, strike, right` columns, which are used when present
//! (a lone `root` column names a stock or index). Otherwise the file name must say it, as
//! `<contract>.<request>.csv` (optionally `.gz` or `.zst` after it):
//!
//! - an option: `ROOT_YYYYMMDD_STRIKE_RIGHT`, with the strike in tenths of a cent as ThetaData
//!   writes it and the right `C` or `P`: `SPXW_20250115_5950000_C.quote.csv`;
//! - a stock or index: its ticker, `SPY.trade.csv`, `BRK.B.eod.csv`, `SPX.price.csv`;
//! - `<request>` is `quote`, `trade`, `eod`, `ohlc` or `price` and must match the header.
//!
//! **Values.** `date` is `YYYYMMDD` (or `YYYY-MM-DD` with `pretty_time=true`) and `ms_of_day`
//! milliseconds after New York midnight (or `HH:MM:SS.mmm`); together they are a New York
//! wall-clock time, made an instant with the tz database. Prices are dollars, converted exactly.
//! Exchange and condition codes are ThetaData's own numbering, which the tape stores: codes
//! ThetaData defines are kept as they are, others become unknown (`model::thetadata_codes`).
//! Trades with `records_back != 0` (cancels and inserts of earlier prints) are left out; the
//! `ext_condition` columns (unused for options) are not stored. A quote side
//! with price 0 is absent. EOD rows become one bar at New York midnight of the date, which is the
//! session's day summary (importing one replaces the bars of that kind in the sessions it
//! touches); EOD and OHLC rows with no prices (no trades) are skipped; the EOD report's closing
//! bid and ask are not stored, since storing them as quotes would replace intraday quotes. Bars
//! have no VWAP in these outputs and get the mean of open, high, low and close. Rows of a
//! contract must be in time order. JSON outputs are not read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use jiff::civil::Date;
use model::Timestamp;
use model::symbol::{OptionSymbol, Right, Root, Strike};
use model::thetadata_codes;
use tape::{Bar, IndexValue, Owner, Quote, Trade};

use crate::csv_rows::each_row;
use crate::detect::{FileFormat, Head};
use crate::error::ImportError;
use crate::polygon::fields::{self, Columns, cell, shown};
use crate::staging::{Provides, RowOrder, Staging, Subject};
use crate::{Progress, open_decompressed};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    Quote,
    Trade,
    Eod,
    Ohlc,
    Price,
}

impl Request {
    fn word(self) -> &'static str {
        match self {
            Request::Quote => "quote",
            Request::Trade => "trade",
            Request::Eod => "eod",
            Request::Ohlc => "ohlc",
            Request::Price => "price",
        }
    }

    fn required(self) -> &'static [&'static str] {
        match self {
            Request::Quote => &["ms_of_day", "bid", "ask", "date"],
            Request::Trade => &["ms_of_day", "size", "price", "date"],
            Request::Eod => &["open", "high", "low", "close", "date"],
            Request::Ohlc => &["ms_of_day", "open", "high", "low", "close", "date"],
            Request::Price => &["ms_of_day", "price", "date"],
        }
    }
}

/// Whose rows a file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Contract {
    /// One option, named by the file.
    Option(OptionSymbol),
    /// One stock or index, named by the file.
    Ticker(String),
    /// Options named per row by `root, expiration, strike, right`.
    OptionColumns,
    /// Stocks or indices named per row by `root`.
    TickerColumn,
    /// The file does not say; the reason.
    Unknown(String),
}

impl Contract {
    fn options(&self) -> bool {
        matches!(self, Contract::Option(_) | Contract::OptionColumns)
    }
}

#[derive(Clone, Debug)]
struct ThetaData {
    request: Option<Request>,
    contract: Contract,
}

pub fn sniff(head: &Head<'_>) -> Option<Box<dyn FileFormat>> {
    let header = head.header_line()?;
    let columns = Columns::new(header.split(',').map(str::as_bytes));
    if !columns.has("ms_of_day") || !columns.has("date") {
        return None;
    }
    let has = |name: &str| columns.has(name);
    let request = if has("records_back") || (has("sequence") && has("price")) {
        Some(Request::Trade)
    } else if has("ms_of_day2") || (has("open") && has("bid")) {
        Some(Request::Eod)
    } else if has("bid") || has("ask") {
        Some(Request::Quote)
    } else if has("open") {
        Some(Request::Ohlc)
    } else if has("price") {
        Some(Request::Price)
    } else {
        None
    };
    let contract = if ["root", "expiration", "strike", "right"]
        .iter()
        .all(|c| columns.has(c))
    {
        Contract::OptionColumns
    } else if has("root") {
        Contract::TickerColumn
    } else {
        match request {
            Some(request) => contract_from_name(head.path, request),
            None => Contract::Unknown(String::new()),
        }
    };
    Some(Box::new(ThetaData { request, contract }) as Box<dyn FileFormat>)
}

const NAMING: &str = "name the file <contract>.<request>.csv, e.g. \
    SPXW_20250115_5950000_C.quote.csv (root, expiration, strike in tenths of a cent, right) or \
    SPY.trade.csv, or include root, expiration, strike and right columns";

/// The contract a file name gives, `SPXW_20250115_5950000_C.quote.csv` or `SPY.trade.csv`.
fn contract_from_name(path: &Path, request: Request) -> Contract {
    let unknown = |why: String| Contract::Unknown(format!("{why}; {NAMING}"));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for suffix in [".gz", ".zst", ".zstd"] {
        if let Some(s) = stem.strip_suffix(suffix) {
            stem = s;
            break;
        }
    }
    let Some(stem) = stem.strip_suffix(".csv") else {
        return unknown(format!("the file name {name:?} does not end in .csv"));
    };
    let Some((subject, word)) = stem.rsplit_once('.') else {
        return unknown(format!("the file name {name:?} does not say the contract"));
    };
    if !word.eq_ignore_ascii_case(request.word()) {
        return unknown(format!(
            "the file name {name:?} says {word:?} but the columns are those of a {} file",
            request.word()
        ));
    }
    if subject.contains('_') {
        return match option_from_parts(subject) {
            Ok(symbol) => Contract::Option(symbol),
            Err(why) => unknown(format!("the file name {name:?}: {why}")),
        };
    }
    match ticker(subject) {
        Ok(ticker) => Contract::Ticker(ticker),
        Err(why) => unknown(format!("the file name {name:?}: {why}")),
    }
}

/// `SPXW_20250115_5950000_C`.
fn option_from_parts(text: &str) -> Result<OptionSymbol, String> {
    let parts: Vec<&str> = text.split('_').collect();
    let [root, expiration, strike, right] = parts[..] else {
        return Err(format!("{text:?} is not ROOT_YYYYMMDD_STRIKE_RIGHT"));
    };
    option(
        root.as_bytes(),
        expiration.as_bytes(),
        strike.as_bytes(),
        right.as_bytes(),
    )
}

/// An option from ThetaData's fields: root, expiration `YYYYMMDD`, strike in tenths of a cent,
/// right `C`/`P` (or `CALL`/`PUT`).
fn option(
    root: &[u8],
    expiration: &[u8],
    strike: &[u8],
    right: &[u8],
) -> Result<OptionSymbol, String> {
    let root_text = String::from_utf8_lossy(root).to_ascii_uppercase();
    let root = Root::new(&root_text).map_err(|e| format!("root {root_text:?}: {e}"))?;
    let expiration = date(expiration).map_err(|e| e.replace("date", "expiration"))?;
    let strike: u32 = fields::integer("strike", strike)?.ok_or("strike is empty")?;
    let strike = Strike::from_thousandths(strike).map_err(|e| format!("strike {strike}: {e}"))?;
    let right = match right.to_ascii_uppercase().as_slice() {
        b"C" | b"CALL" => Right::Call,
        b"P" | b"PUT" => Right::Put,
        other => return Err(format!("right {:?} is not C or P", shown(other))),
    };
    OptionSymbol::new(root, expiration, right, strike).map_err(|e| e.to_string())
}

/// A stock or index ticker as the tape names it.
fn ticker(text: &str) -> Result<String, String> {
    let ticker = text.trim().to_ascii_uppercase();
    let valid = !ticker.is_empty()
        && ticker.len() <= 16
        && ticker
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if valid {
        Ok(ticker)
    } else {
        Err(format!("{text:?} is not a ticker"))
    }
}

/// `20250115` or `2025-01-15`.
fn date(text: &[u8]) -> Result<Date, String> {
    let bad = || format!("date {:?} is not YYYYMMDD", shown(text));
    let mut digits = [0u8; 8];
    match text.len() {
        8 => digits.copy_from_slice(text),
        10 if text[4] == b'-' && text[7] == b'-' => {
            digits[..4].copy_from_slice(&text[..4]);
            digits[4..6].copy_from_slice(&text[5..7]);
            digits[6..].copy_from_slice(&text[8..]);
        }
        _ => return Err(bad()),
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| {
        digits[range]
            .iter()
            .fold(0i32, |n, d| n * 10 + i32::from(d - b'0'))
    };
    let year = i16::try_from(number(0..4)).map_err(|_| bad())?;
    if !(1970..=2200).contains(&year) {
        return Err(bad());
    }
    Date::new(year, number(4..6) as i8, number(6..8) as i8).map_err(|_| bad())
}

/// Milliseconds after midnight: `34200000` or `09:30:00.000`.
fn ms_of_day(text: &[u8]) -> Result<i64, String> {
    let bad = || {
        format!(
            "ms_of_day {:?} is not milliseconds after midnight (0 to 86399999) or HH:MM:SS.mmm",
            shown(text)
        )
    };
    let ms = if text.contains(&b':') {
        let text = std::str::from_utf8(text).map_err(|_| bad())?;
        let (clock, millis) = text.split_once('.').unwrap_or((text, "0"));
        let parts: Vec<&str> = clock.split(':').collect();
        let [h, m, s] = parts[..] else {
            return Err(bad());
        };
        let number = |t: &str, max: i64| {
            t.parse::<i64>()
                .ok()
                .filter(|n| (0..=max).contains(n) && t.bytes().all(|b| b.is_ascii_digit()))
        };
        let millis = format!("{millis:0<3}");
        let (Some(h), Some(m), Some(s), Some(ms)) = (
            number(h, 23),
            number(m, 59),
            number(s, 59),
            number(&millis, 999).filter(|_| millis.len() == 3),
        ) else {
            return Err(bad());
        };
        ((h * 60 + m) * 60 + s) * 1_000 + ms
    } else {
        fields::integer::<i64>("ms_of_day", text)?.ok_or_else(bad)?
    };
    if !(0..86_400_000).contains(&ms) {
        return Err(bad());
    }
    Ok(ms)
}

/// The instant New York's wall clock reads `ms` milliseconds after midnight on `date`.
fn instant(date: Date, ms: i64) -> Timestamp {
    let seconds = ms / 1_000;
    let whole = model::calendar::new_york_instant(
        date,
        (seconds / 3_600) as i8,
        (seconds / 60 % 60) as i8,
        (seconds % 60) as i8,
    );
    Timestamp::from_nanos(whole.as_nanos() + (ms % 1_000) * 1_000_000)
}

impl FileFormat for ThetaData {
    fn name(&self) -> &'static str {
        let options = self.contract.options();
        match (self.request, options) {
            (Some(Request::Quote), true) => "thetadata-option-quote",
            (Some(Request::Trade), true) => "thetadata-option-trade",
            (Some(Request::Eod), true) => "thetadata-option-eod",
            (Some(Request::Ohlc), true) => "thetadata-option-ohlc",
            (Some(Request::Price), true) => "thetadata-option-price",
            (Some(Request::Quote), false) => "thetadata-stock-quote",
            (Some(Request::Trade), false) => "thetadata-stock-trade",
            (Some(Request::Eod), false) => "thetadata-stock-eod",
            (Some(Request::Ohlc), false) => "thetadata-stock-ohlc",
            (Some(Request::Price), false) => "thetadata-index-price",
            (None, _) => "thetadata",
        }
    }

    fn provides(&self) -> BTreeSet<Provides> {
        if matches!(self.contract, Contract::Unknown(_)) {
            return BTreeSet::new();
        }
        let options = self.contract.options();
        let kind = match (self.request, options) {
            (None, _) | (Some(Request::Price), true) => return BTreeSet::new(),
            (Some(Request::Quote), true) => Provides::OptionQuotes,
            (Some(Request::Trade), true) => Provides::OptionTrades,
            (Some(Request::Eod | Request::Ohlc), true) => Provides::OptionBars,
            (Some(Request::Quote), false) => Provides::UnderlyingQuotes,
            (Some(Request::Trade), false) => Provides::UnderlyingTrades,
            (Some(Request::Eod | Request::Ohlc), false) => Provides::UnderlyingBars,
            (Some(Request::Price), false) => Provides::UnderlyingValues,
        };
        [kind].into()
    }

    fn read(
        &self,
        path: &Path,
        staging: &mut Staging<'_>,
        progress: Progress<'_>,
    ) -> Result<u64, ImportError> {
        let Some(request) = self.request else {
            return Err(ImportError::at_line(
                path,
                1,
                "the header has ms_of_day and date but not the columns of a ThetaData quote, \
                 trade, eod, ohlc or price output",
            ));
        };
        if let Contract::Unknown(why) = &self.contract {
            return Err(ImportError::whole(
                path,
                format!("cannot tell which contract the rows belong to: {why}"),
            ));
        }
        if request == Request::Price && self.contract.options() {
            return Err(ImportError::whole(
                path,
                "price outputs are index values; options have none",
            ));
        }
        let (reader, count) = open_decompressed(path)?;
        let mut csv = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .flexible(false)
            .from_reader(reader);
        let header = csv
            .byte_headers()
            .map_err(|e| ImportError::at_line(path, 1, format!("cannot read the header: {e}")))?;
        let columns = Columns::new(header.iter());
        if let Some(missing) = columns.missing(request.required()) {
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
            request,
            contract: self.contract.clone(),
            cols: Cols::new(&columns),
            file: path.to_path_buf(),
            staging,
            key: None,
            subject: None,
            last: RowOrder::default(),
            ordinal: None,
            records: 0,
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

struct Cols {
    ms_of_day: Option<usize>,
    date: Option<usize>,
    root: Option<usize>,
    expiration: Option<usize>,
    strike: Option<usize>,
    right: Option<usize>,
    bid_size: Option<usize>,
    bid_exchange: Option<usize>,
    bid: Option<usize>,
    ask_size: Option<usize>,
    ask_exchange: Option<usize>,
    ask: Option<usize>,
    sequence: Option<usize>,
    condition: Option<usize>,
    size: Option<usize>,
    exchange: Option<usize>,
    price: Option<usize>,
    records_back: Option<usize>,
    open: Option<usize>,
    high: Option<usize>,
    low: Option<usize>,
    close: Option<usize>,
    volume: Option<usize>,
    count: Option<usize>,
}

impl Cols {
    fn new(columns: &Columns) -> Cols {
        let c = |name: &str| columns.get(name);
        Cols {
            ms_of_day: c("ms_of_day"),
            date: c("date"),
            root: c("root"),
            expiration: c("expiration"),
            strike: c("strike"),
            right: c("right"),
            bid_size: c("bid_size"),
            bid_exchange: c("bid_exchange"),
            bid: c("bid"),
            ask_size: c("ask_size"),
            ask_exchange: c("ask_exchange"),
            ask: c("ask"),
            sequence: c("sequence"),
            condition: c("condition"),
            size: c("size"),
            exchange: c("exchange"),
            price: c("price"),
            records_back: c("records_back"),
            open: c("open"),
            high: c("high"),
            low: c("low"),
            close: c("close"),
            volume: c("volume"),
            count: c("count"),
        }
    }
}

/// One row's record, before routing.
#[derive(Clone, Debug, PartialEq)]
enum Parsed {
    /// Nothing to store: a cancel (`records_back != 0`) or an empty bar or value.
    Nothing,
    Quote(Quote),
    Trade {
        trade: Trade,
        sequence: Option<u64>,
    },
    Bar(Bar),
    Value(IndexValue),
}

fn venue(name: &str, text: &[u8]) -> Result<u16, String> {
    Ok(fields::integer::<u16>(name, text)?
        .map_or(0, |code| thetadata_codes::venue_from_thetadata(code.into())))
}

fn required_price(name: &str, text: &[u8]) -> Result<i64, String> {
    fields::price(name, text)?.ok_or_else(|| format!("{name} is empty"))
}

impl Request {
    /// Parses one row's values (everything but the contract) on trading date `date`.
    fn parse(self, cols: &Cols, record: &csv::ByteRecord, day: Date) -> Result<Parsed, String> {
        let get = |i: Option<usize>| cell(record, i);
        let ts =
            || -> Result<Timestamp, String> { Ok(instant(day, ms_of_day(get(cols.ms_of_day))?)) };
        match self {
            Request::Quote => {
                let ts = ts()?;
                let side = |price: Option<usize>,
                            size: Option<usize>,
                            exchange: Option<usize>,
                            names: [&str; 3]|
                 -> Result<(i64, u32, u16), String> {
                    let px = fields::price(names[0], get(price))?.unwrap_or(0);
                    let size = fields::count(names[1], get(size))?.unwrap_or(0);
                    let size = u32::try_from(size)
                        .map_err(|_| format!("{} {size} is too large", names[1]))?;
                    let exchange = venue(names[2], get(exchange))?;
                    Ok(if px == 0 {
                        (0, 0, 0)
                    } else {
                        (px, size, exchange)
                    })
                };
                let (bid, bid_size, bid_exchange) = side(
                    cols.bid,
                    cols.bid_size,
                    cols.bid_exchange,
                    ["bid", "bid_size", "bid_exchange"],
                )?;
                let (ask, ask_size, ask_exchange) = side(
                    cols.ask,
                    cols.ask_size,
                    cols.ask_exchange,
                    ["ask", "ask_size", "ask_exchange"],
                )?;
                Ok(Parsed::Quote(Quote {
                    ts,
                    bid,
                    ask,
                    bid_size,
                    ask_size,
                    bid_exchange,
                    ask_exchange,
                }))
            }
            Request::Trade => {
                let ts = ts()?;
                let records_back: i64 =
                    fields::integer("records_back", get(cols.records_back))?.unwrap_or(0);
                let price = required_price("price", get(cols.price))?;
                let size = fields::size("size", get(cols.size))?.ok_or("size is empty")?;
                let exchange = venue("exchange", get(cols.exchange))?;
                let condition = fields::integer::<u16>("condition", get(cols.condition))?
                    .map(|code| thetadata_codes::condition_from_thetadata(code.into()));
                let sequence: Option<i64> = fields::integer("sequence", get(cols.sequence))?;
                if records_back != 0 {
                    return Ok(Parsed::Nothing);
                }
                Ok(Parsed::Trade {
                    trade: Trade {
                        ts,
                        price,
                        size,
                        exchange,
                        conditions: Trade::conditions_from(condition.as_slice()),
                        sequence: 0,
                    },
                    // ThetaData's sequence is a signed 32-bit number that wraps; keep its bits.
                    sequence: sequence.map(|s| {
                        if s < 0 {
                            u64::from(s as i32 as u32)
                        } else {
                            s as u64
                        }
                    }),
                })
            }
            Request::Eod | Request::Ohlc => {
                let start = if self == Request::Eod {
                    model::calendar::new_york_instant(day, 0, 0, 0)
                } else {
                    ts()?
                };
                let open = required_price("open", get(cols.open))?;
                let high = required_price("high", get(cols.high))?;
                let low = required_price("low", get(cols.low))?;
                let close = required_price("close", get(cols.close))?;
                let volume = fields::size("volume", get(cols.volume))?.unwrap_or(0);
                let transactions: u32 = fields::integer("count", get(cols.count))?.unwrap_or(0);
                if open == 0 && high == 0 && low == 0 && close == 0 {
                    return Ok(Parsed::Nothing);
                }
                Ok(Parsed::Bar(Bar {
                    start,
                    open,
                    high,
                    low,
                    close,
                    volume,
                    vwap: fields::ohlc_mean(open, high, low, close),
                    transactions,
                }))
            }
            Request::Price => {
                let ts = ts()?;
                let value = required_price("price", get(cols.price))?;
                if value == 0 {
                    return Ok(Parsed::Nothing);
                }
                Ok(Parsed::Value(IndexValue { ts, value }))
            }
        }
    }
}

/// The state of reading one file.
struct Run<'s, 'a> {
    request: Request,
    contract: Contract,
    cols: Cols,
    file: PathBuf,
    staging: &'s mut Staging<'a>,
    /// The contract fields of the previous row (per-row contracts) and where its rows go.
    key: Option<Vec<u8>>,
    subject: Option<Subject>,
    /// The contract's previous stored row.
    last: RowOrder,
    /// Ordinals for trades without a `sequence` column: series and count.
    ordinal: Option<((Date, Owner), u64)>,
    records: u64,
}

impl Run<'_, '_> {
    fn subject(&self, record: &csv::ByteRecord) -> Result<Subject, String> {
        let get = |i: Option<usize>| cell(record, i);
        let (underlying, symbol) = match &self.contract {
            Contract::Option(symbol) => (
                model::roots::root_info(symbol.root.as_str())
                    .underlying
                    .to_string(),
                Some(*symbol),
            ),
            Contract::OptionColumns => {
                let symbol = option(
                    get(self.cols.root),
                    get(self.cols.expiration),
                    get(self.cols.strike),
                    get(self.cols.right),
                )?;
                (
                    model::roots::root_info(symbol.root.as_str())
                        .underlying
                        .to_string(),
                    Some(symbol),
                )
            }
            Contract::Ticker(ticker) => (ticker.clone(), None),
            Contract::TickerColumn => {
                let root = get(self.cols.root);
                let text = std::str::from_utf8(root)
                    .map_err(|_| format!("root {:?} is not text", shown(root)))?;
                (ticker(text).map_err(|e| format!("root {e}"))?, None)
            }
            Contract::Unknown(_) => unreachable!("checked before reading"),
        };
        if !self.staging.wants(&underlying) {
            return Ok(Subject::Skip);
        }
        Ok(match symbol {
            Some(symbol) => Subject::Option { underlying, symbol },
            None => Subject::Underlying { underlying },
        })
    }

    fn row(&mut self, line: u64, record: &csv::ByteRecord) -> Result<(), ImportError> {
        let file = &self.file;
        let at = |reason: String| ImportError::at_line(file, line, reason);
        let per_row = matches!(
            self.contract,
            Contract::OptionColumns | Contract::TickerColumn
        );
        let key = |cols: &Cols| -> Vec<u8> {
            [cols.root, cols.expiration, cols.strike, cols.right]
                .iter()
                .flat_map(|i| cell(record, *i).iter().copied().chain([0]))
                .collect()
        };
        let changed = match &self.key {
            None => true,
            Some(previous) => {
                per_row && {
                    // Compare without allocating: the fields, each followed by a 0 byte.
                    let mut rest = previous.as_slice();
                    ![
                        self.cols.root,
                        self.cols.expiration,
                        self.cols.strike,
                        self.cols.right,
                    ]
                    .iter()
                    .all(|i| {
                        let field = cell(record, *i);
                        let same = rest.len() > field.len()
                            && rest[..field.len()] == *field
                            && rest[field.len()] == 0;
                        if same {
                            rest = &rest[field.len() + 1..];
                        }
                        same
                    })
                }
            }
        };
        if changed || self.subject.is_none() {
            self.subject = Some(self.subject(record).map_err(at)?);
            self.key = Some(key(&self.cols));
            self.last.restart();
            self.ordinal = None;
        }
        let Some((underlying, symbol)) = self.subject.as_ref().and_then(Subject::target) else {
            return Ok(());
        };
        let day = date(cell(record, self.cols.date)).map_err(at)?;
        let parsed = self.request.parse(&self.cols, record, day).map_err(at)?;
        let ts = match &parsed {
            Parsed::Nothing => return Ok(()),
            Parsed::Quote(q) => q.ts,
            Parsed::Trade { trade, .. } => trade.ts,
            Parsed::Bar(bar) => bar.start,
            Parsed::Value(value) => value.ts,
        };
        // Only errors need the contract's name.
        let name = || match symbol {
            Some(symbol) => symbol.to_string(),
            None => underlying.clone(),
        };
        self.last.take(ts, line, name, "a contract").map_err(at)?;
        let tape_error = |e: tape::TapeError| at(format!("{}: {e}", name()));
        let builder = self.staging.session(underlying, day)?;
        let owner = match symbol {
            Some(symbol) => builder.contract(symbol).map_err(tape_error)?,
            None => Owner::Underlying,
        };
        match parsed {
            Parsed::Nothing => unreachable!("returned above"),
            Parsed::Quote(quote) => builder.quote(owner, quote).map_err(tape_error)?,
            Parsed::Trade {
                mut trade,
                sequence,
            } => {
                trade.sequence = match sequence {
                    Some(sequence) => sequence,
                    None => {
                        if self.ordinal.is_none_or(|(k, _)| k != (day, owner)) {
                            self.ordinal = Some(((day, owner), 0));
                        }
                        let (_, n) = self.ordinal.as_mut().expect("just set");
                        *n += 1;
                        *n
                    }
                };
                builder.trade(owner, trade).map_err(tape_error)?;
            }
            Parsed::Bar(bar) => builder.bar(owner, bar).map_err(tape_error)?,
            Parsed::Value(value) => builder.value(value).map_err(tape_error)?,
        }
        self.records += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn file_names_name_contracts() {
        let named = |name: &str| contract_from_name(Path::new(name), Request::Quote);
        assert_eq!(
            named("/data/SPXW_20250115_5950000_C.quote.csv"),
            Contract::Option(OptionSymbol::parse("O:SPXW250115C05950000").unwrap())
        );
        assert_eq!(
            named("spy.quote.csv.gz"),
            Contract::Ticker("SPY".to_string())
        );
        assert_eq!(named("BRK.B.quote.csv"), Contract::Ticker("BRK.B".into()));
        for bad in [
            "SPXW_20250115_5950000_C.trade.csv",
            "SPXW_20250115_5950000_X.quote.csv",
            "SPXW_2025011_5950000_C.quote.csv",
            "quotes.csv",
            "SPXW_20250115_5950000_C.quote.json",
        ] {
            assert!(matches!(named(bad), Contract::Unknown(_)), "{bad}");
        }
    }

    #[test]
    fn times_are_new_york_wall_clock() {
        let day = date(b"20250115").unwrap();
        assert_eq!(
            instant(day, ms_of_day(b"37805123").unwrap()).as_nanos(),
            1_736_955_005_123_000_000
        );
        assert_eq!(ms_of_day(b"10:30:05.123"), Ok(37_805_123));
        assert_eq!(date(b"2025-01-15"), Ok(day));
        let summer = date(b"20250715").unwrap();
        assert_eq!(
            instant(summer, 34_200_000).to_rfc3339(),
            "2025-07-15T13:30:00Z"
        );
        assert!(ms_of_day(b"86400000").is_err());
        assert!(ms_of_day(b"-1").is_err());
        assert!(ms_of_day(b"25:00:00.000").is_err());
        assert!(date(b"20250230").is_err());
        assert!(date(b"2025115").is_err());
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_rows_never_panics(
            cells in proptest::collection::vec("[-0-9.:CPa-z ]{0,14}", 0..20),
            ms in proptest::option::of(any::<i64>()),
        ) {
            let mut cells = cells;
            if let Some(ms) = ms {
                cells.insert(0, ms.to_string());
            }
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
            let header = "ms_of_day,sequence,ext_condition1,ext_condition2,ext_condition3,ext_condition4,condition,size,exchange,price,condition_flags,price_flags,volume_type,records_back,date,bid,ask,open,high,low,close";
            let columns = Columns::new(header.split(',').map(str::as_bytes));
            let cols = Cols::new(&columns);
            for request in [Request::Quote, Request::Trade, Request::Eod, Request::Ohlc, Request::Price] {
                let _ = request.parse(&cols, &record, jiff::civil::date(2025, 1, 15));
            }
            let _ = date(cell(&record, Some(0)));
            let _ = option(
                cell(&record, Some(1)),
                cell(&record, Some(2)),
                cell(&record, Some(3)),
                cell(&record, Some(4)),
            );
        }
    }
}
