//! The plain CSV format: optiontape's own, simple enough to write by hand.
//!
//! ```text
//! # Lines starting with # are comments. Columns are found by name, in any order.
//! time,symbol,event,bid,ask,bid_size,ask_size,price,size
//! 2025-01-15 09:30:01,SPX,value,,,,,5950.25,
//! 2025-01-15 09:30:01,SPXW 250115C05950000,quote,4.20,4.40,10,12,,
//! 2025-01-15T14:30:02.5Z,O:SPXW250115C05950000,trade,,,,,4.30,2
//! 2025-01-15 09:30:02,SPY,quote,590.10,590.12,300,500,,
//! 2025-01-15,O:SPXW250115C05950000,open_interest,,,,,,9120
//! ```
//!
//! - `time`: RFC 3339 with a zone (`2025-01-15T14:30:02.5Z`), or `YYYY-MM-DD HH:MM:SS[.fff]` in
//!   New York time, or just `YYYY-MM-DD` for open interest.
//! - `symbol`: an option in any OSI or Polygon form, else the underlying's ticker (`I:SPX` and
//!   `SPX` are the same index).
//! - `event`: `quote` (`bid`, `ask` in dollars, either may be empty for a one-sided quote;
//!   `bid_size`, `ask_size`), `trade` (`price`, `size`), `value` (an index value in `price`),
//!   `open_interest` (in `size`). Optional columns: `bid_exchange`, `ask_exchange`, `exchange`
//!   (venue codes) and `conditions` (codes separated by spaces or semicolons).
//!
//! Rows may come in any order; the file is read whole and sorted by symbol and time (rows with
//! equal times keep their order), so it is meant for hand-made and moderate files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::civil::Date;
use model::Timestamp;
use model::money::parse_decimal;
use model::symbol::OptionSymbol;
use tape::records::px_from_decimal;
use tape::{IndexValue, Owner, Quote, SIZE_SCALE, Trade};

use crate::detect::{FileFormat, Head};
use crate::error::ImportError;
use crate::staging::{Provides, Staging};
use crate::{Progress, open_decompressed};

const REQUIRED: [&str; 3] = ["time", "symbol", "event"];

/// A row's fields by column name.
struct Fields<'r> {
    record: &'r csv::StringRecord,
    columns: &'r BTreeMap<String, usize>,
}

impl<'r> Fields<'r> {
    /// The field under `name`, or "" when the file has no such column.
    fn get(&self, name: &str) -> &'r str {
        self.columns
            .get(name)
            .and_then(|i| self.record.get(*i))
            .unwrap_or("")
    }
}

pub fn sniff(head: &Head<'_>) -> Option<Box<dyn FileFormat>> {
    let header = head.header_line()?;
    let columns: BTreeSet<String> = header
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    REQUIRED
        .iter()
        .all(|c| columns.contains(*c))
        .then(|| Box::new(Plain) as Box<dyn FileFormat>)
}

struct Plain;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Quote,
    Trade,
    Value,
    OpenInterest,
}

#[derive(Clone, Debug)]
enum Subject {
    Option(OptionSymbol),
    Underlying,
}

struct Row {
    line: u64,
    underlying: String,
    date: Date,
    subject: Subject,
    /// Sort key within an underlying: options by symbol, the underlying first.
    key: String,
    ts: Timestamp,
    event: Event,
    quote: Option<Quote>,
    trade: Option<Trade>,
    value: Option<i64>,
    open_interest: Option<u64>,
}

fn parse_time(text: &str) -> Result<(Timestamp, Date), String> {
    if let Ok(ts) = Timestamp::parse_rfc3339(text) {
        return Ok((ts, model::calendar::new_york_date(ts)));
    }
    let civil: jiff::civil::DateTime = text
        .parse()
        .or_else(|_| text.parse::<Date>().map(|d| d.to_datetime(jiff::civil::Time::midnight())))
        .map_err(|_| {
            format!("time {text:?} is not RFC 3339 (with Z or an offset), YYYY-MM-DD HH:MM:SS (New York), or YYYY-MM-DD")
        })?;
    let zoned = civil
        .to_zoned(model::calendar::new_york().clone())
        .map_err(|e| format!("time {text:?}: {e}"))?;
    Ok((Timestamp::from_jiff(zoned.timestamp()), civil.date()))
}

fn parse_price(name: &str, text: &str) -> Result<Option<i64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let value = parse_decimal(text).map_err(|e| format!("{name} {text:?} {e}"))?;
    if value.is_sign_negative() {
        return Err(format!("{name} {text:?} must not be negative"));
    }
    px_from_decimal(value)
        .map(Some)
        .ok_or_else(|| format!("{name} {text:?} has more than 9 decimals or is too large"))
}

fn parse_count(name: &str, text: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Ok(0);
    }
    text.parse()
        .map_err(|_| format!("{name} {text:?} must be a whole number"))
}

fn parse_size(text: &str) -> Result<u64, String> {
    let value = parse_decimal(text).map_err(|e| format!("size {text:?} {e}"))?;
    let micro = value * model::money::Decimal::from(SIZE_SCALE);
    if value.is_sign_negative() || !micro.fract().is_zero() {
        return Err(format!(
            "size {text:?} must be non-negative with at most 6 decimals"
        ));
    }
    use rust_decimal::prelude::ToPrimitive;
    micro
        .to_u64()
        .ok_or_else(|| format!("size {text:?} is too large"))
}

fn parse_subject(text: &str) -> Result<(Subject, String), String> {
    if let Ok(symbol) = OptionSymbol::parse(text) {
        let underlying = model::roots::root_info(symbol.root.as_str())
            .underlying
            .to_string();
        return Ok((Subject::Option(symbol), underlying));
    }
    let ticker = text.strip_prefix("I:").unwrap_or(text).to_ascii_uppercase();
    if !model::symbol::is_ticker(&ticker) {
        return Err(format!(
            "symbol {text:?} is neither an option symbol nor a ticker"
        ));
    }
    Ok((Subject::Underlying, ticker))
}

impl Plain {
    fn parse_rows(&self, path: &Path, progress: Progress<'_>) -> Result<Vec<Row>, ImportError> {
        let (reader, count) = open_decompressed(path)?;
        let mut csv = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(reader);
        let header_error =
            |e: csv::Error| ImportError::at_line(path, 1, format!("cannot read the header: {e}"));
        let columns: BTreeMap<String, usize> = csv
            .headers()
            .map_err(header_error)?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_ascii_lowercase(), i))
            .collect();
        for name in REQUIRED {
            if !columns.contains_key(name) {
                return Err(ImportError::at_line(
                    path,
                    1,
                    format!("missing column {name:?}"),
                ));
            }
        }
        let mut rows = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            let line = csv.position().line();
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(ImportError::at_line(path, line.max(2), e.to_string())),
            }
            let line = record.position().map_or(line, |p| p.line());
            let fields = Fields {
                record: &record,
                columns: &columns,
            };
            let row = Self::parse_row(line, &fields)
                .map_err(|reason| ImportError::at_line(path, line, reason))?;
            rows.push(row);
            if rows.len() % 65_536 == 0 {
                progress(count.load(std::sync::atomic::Ordering::Relaxed));
            }
        }
        progress(count.load(std::sync::atomic::Ordering::Relaxed));
        Ok(rows)
    }

    fn parse_row(line: u64, fields: &Fields<'_>) -> Result<Row, String> {
        let field = |name: &str| fields.get(name);
        let (ts, date) = parse_time(field("time"))?;
        let (subject, underlying) = parse_subject(field("symbol"))?;
        let event = match field("event").to_ascii_lowercase().as_str() {
            "quote" => Event::Quote,
            "trade" => Event::Trade,
            "value" => Event::Value,
            "open_interest" => Event::OpenInterest,
            other => {
                return Err(format!(
                    "event {other:?} must be quote, trade, value or open_interest"
                ));
            }
        };
        let key = match &subject {
            Subject::Option(symbol) => symbol.osi(),
            Subject::Underlying => String::new(),
        };
        let mut row = Row {
            line,
            underlying,
            date,
            subject,
            key,
            ts,
            event,
            quote: None,
            trade: None,
            value: None,
            open_interest: None,
        };
        let venue = |name: &str| -> Result<u16, String> {
            let text = field(name);
            if text.is_empty() {
                return Ok(0);
            }
            text.parse()
                .map_err(|_| format!("{name} {text:?} must be a venue code (0-65535)"))
        };
        match event {
            Event::Quote => {
                let bid = parse_price("bid", field("bid"))?;
                let ask = parse_price("ask", field("ask"))?;
                if bid.is_none() && ask.is_none() {
                    return Err("a quote needs a bid or an ask".into());
                }
                let size = |name: &str| -> Result<u32, String> {
                    let n = parse_count(name, field(name))?;
                    u32::try_from(n).map_err(|_| format!("{name} {n} is too large"))
                };
                row.quote = Some(Quote {
                    ts,
                    bid: bid.unwrap_or(0),
                    ask: ask.unwrap_or(0),
                    bid_size: if bid.is_some() { size("bid_size")? } else { 0 },
                    ask_size: if ask.is_some() { size("ask_size")? } else { 0 },
                    bid_exchange: venue("bid_exchange")?,
                    ask_exchange: venue("ask_exchange")?,
                });
            }
            Event::Trade => {
                let price = parse_price("price", field("price"))?.ok_or("a trade needs a price")?;
                let size_text = field("size");
                if size_text.is_empty() {
                    return Err("a trade needs a size".into());
                }
                let conditions: Vec<u16> = field("conditions")
                    .split([' ', ';'])
                    .filter(|c| !c.is_empty())
                    .map(|c| {
                        c.parse()
                            .map_err(|_| format!("condition {c:?} must be a code (0-65534)"))
                    })
                    .collect::<Result<_, String>>()?;
                row.trade = Some(Trade {
                    ts,
                    price,
                    size: parse_size(size_text)?,
                    exchange: venue("exchange")?,
                    conditions: Trade::conditions_from(&conditions),
                    sequence: 0,
                });
            }
            Event::Value => {
                if matches!(row.subject, Subject::Option(_)) {
                    return Err("value rows are for index underlyings, not options".into());
                }
                row.value =
                    Some(parse_price("price", field("price"))?.ok_or("a value row needs a price")?);
            }
            Event::OpenInterest => {
                if !matches!(row.subject, Subject::Option(_)) {
                    return Err("open interest belongs to an option contract".into());
                }
                let text = field("size");
                row.open_interest = Some(parse_count(
                    "size",
                    if text.is_empty() {
                        field("open_interest")
                    } else {
                        text
                    },
                )?);
            }
        }
        Ok(row)
    }
}

impl FileFormat for Plain {
    fn name(&self) -> &'static str {
        "plain-csv"
    }

    fn provides(&self) -> BTreeSet<Provides> {
        // Declared from the content once the file is read (see `read`).
        BTreeSet::new()
    }

    fn read(
        &self,
        path: &Path,
        staging: &mut Staging<'_>,
        progress: Progress<'_>,
    ) -> Result<u64, ImportError> {
        let mut rows = self.parse_rows(path, progress)?;
        rows.retain(|r| staging.wants(&r.underlying));
        let mut provides = BTreeSet::new();
        for row in &rows {
            let option = matches!(row.subject, Subject::Option(_));
            provides.insert(match (row.event, option) {
                (Event::Quote, true) => Provides::OptionQuotes,
                (Event::Trade, true) => Provides::OptionTrades,
                (Event::Quote, false) => Provides::UnderlyingQuotes,
                (Event::Trade, false) => Provides::UnderlyingTrades,
                (Event::Value, _) => Provides::UnderlyingValues,
                (Event::OpenInterest, _) => continue,
            });
        }
        staging.declare(provides);
        // Sorting by time within each series satisfies the tape's ordering; the sort is stable.
        rows.sort_by(|a, b| {
            (&a.underlying, a.date, &a.key, a.ts).cmp(&(&b.underlying, b.date, &b.key, b.ts))
        });
        let mut owners: BTreeMap<(String, Date, String), Owner> = BTreeMap::new();
        let records = rows.len() as u64;
        for row in rows {
            let file = staging.file().to_path_buf();
            let fail = |e: tape::TapeError| ImportError::at_line(&file, row.line, e.to_string());
            let builder = staging.session(&row.underlying, row.date)?;
            let owner = match &row.subject {
                Subject::Underlying => Owner::Underlying,
                Subject::Option(symbol) => {
                    match owners.get(&(row.underlying.clone(), row.date, row.key.clone())) {
                        Some(owner) => *owner,
                        None => {
                            let owner = builder.contract(*symbol).map_err(fail)?;
                            owners
                                .insert((row.underlying.clone(), row.date, row.key.clone()), owner);
                            owner
                        }
                    }
                }
            };
            match row.event {
                Event::Quote => builder
                    .quote(owner, row.quote.expect("parsed"))
                    .map_err(fail)?,
                Event::Trade => builder
                    .trade(owner, row.trade.expect("parsed"))
                    .map_err(fail)?,
                Event::Value => builder
                    .value(IndexValue {
                        ts: row.ts,
                        value: row.value.expect("parsed"),
                    })
                    .map_err(fail)?,
                Event::OpenInterest => builder
                    .set_open_interest(owner, row.open_interest.expect("parsed"))
                    .map_err(fail)?,
            }
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_accepted_form() {
        let (utc, date) = parse_time("2025-01-15T14:30:02.5Z").unwrap();
        assert_eq!(utc.as_nanos(), 1_736_951_402_500_000_000);
        assert_eq!(date.to_string(), "2025-01-15");
        let (local, _) = parse_time("2025-01-15 09:30:02.5").unwrap();
        assert_eq!(local, utc, "New York local time");
        let (summer, _) = parse_time("2025-07-15 09:30:00").unwrap();
        assert_eq!(summer.to_rfc3339(), "2025-07-15T13:30:00Z");
        let (midnight, date) = parse_time("2025-01-15").unwrap();
        assert_eq!(midnight.to_rfc3339(), "2025-01-15T05:00:00Z");
        assert_eq!(date.to_string(), "2025-01-15");
        assert!(parse_time("15/01/2025").is_err());
        assert!(parse_time("").is_err());
    }

    #[test]
    fn subjects_are_options_or_tickers() {
        assert!(
            matches!(parse_subject("O:SPXW250115C05950000").unwrap(), (Subject::Option(_), u) if u == "SPX")
        );
        assert!(matches!(parse_subject("I:VIX").unwrap(), (Subject::Underlying, t) if t == "VIX"));
        assert!(
            matches!(parse_subject("brk.b").unwrap(), (Subject::Underlying, t) if t == "BRK.B")
        );
        assert!(parse_subject("not a symbol!").is_err());
    }
}
