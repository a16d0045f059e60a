//! Importing Polygon/Massive flat files: every dataset's content, replacement, idempotence, and
//! malformed files rejected with their line and the tape left alone.
//!
//! The fixtures in `tests/fixtures/polygon/` are readable `.csv` files and the `.csv.gz` files the
//! tests import, made from them by `make.sh`.

use std::io::Write;
use std::path::{Path, PathBuf};

use ingest::{FileReport, ImportError, ImportOptions, Location, import_file};
use jiff::civil::{Date, date};
use model::Timestamp;
use model::symbol::OptionSymbol;
use model::venues::{condition, venue};
use proptest::prelude::*;
use tape::{Bar, IndexValue, Kind, Owner, Quote, SessionFile, Tape, Trade};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/polygon")
        .join(name)
}

fn no_progress(_: u64) {}

fn import(tape: &Tape, path: &Path) -> Result<FileReport, ImportError> {
    import_file(tape, path, &ImportOptions::default(), &no_progress)
}

/// Writes `text` gzipped, as Polygon ships its files.
fn gz(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap();
    path
}

const DAY: Date = date(2025, 1, 15);

fn session(tape: &Tape, underlying: &str, day: Date) -> std::sync::Arc<SessionFile> {
    tape.session(underlying, day)
        .unwrap()
        .unwrap_or_else(|| panic!("no session {underlying} {day}"))
}

fn contract(session: &SessionFile, symbol: &str) -> Owner {
    session
        .contract(&OptionSymbol::parse(symbol).unwrap())
        .unwrap_or_else(|| panic!("{symbol} is not listed"))
}

fn ns(nanos: i64) -> Timestamp {
    Timestamp::from_nanos(nanos)
}

fn trade(ts: i64, price: i64, size: u64, exchange: u16, conditions: &[u16], seq: u64) -> Trade {
    Trade {
        ts: ns(ts),
        price,
        size,
        exchange,
        conditions: Trade::conditions_from(conditions),
        sequence: seq,
    }
}

#[allow(clippy::too_many_arguments)]
fn quote(
    ts: i64,
    bid: i64,
    bid_size: u32,
    bid_ex: u16,
    ask: i64,
    ask_size: u32,
    ask_ex: u16,
) -> Quote {
    Quote {
        ts: ns(ts),
        bid,
        ask,
        bid_size,
        ask_size,
        bid_exchange: bid_ex,
        ask_exchange: ask_ex,
    }
}

#[allow(clippy::too_many_arguments)]
fn bar(
    start: i64,
    open: i64,
    high: i64,
    low: i64,
    close: i64,
    volume: u64,
    vwap: i64,
    tx: u32,
) -> Bar {
    Bar {
        start: ns(start),
        open,
        high,
        low,
        close,
        volume,
        vwap,
        transactions: tx,
    }
}

/// Dollars with up to 9 decimals, as nanodollars: `px("2.2")`.
fn px(text: &str) -> i64 {
    tape::records::px_from_decimal(text.parse().unwrap()).unwrap()
}

const M: u64 = 1_000_000;

#[test]
fn fixtures_are_the_readable_csv_gzipped() {
    for entry in std::fs::read_dir(fixture("")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let gz = PathBuf::from(format!("{}.gz", path.display()));
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap()),
                &mut text,
            )
            .unwrap();
            assert_eq!(
                text,
                std::fs::read_to_string(&path).unwrap(),
                "{} is stale: run tests/fixtures/polygon/make.sh",
                gz.display()
            );
        }
    }
}

#[test]
fn option_trades_with_participant_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("options_trades_v1_8col.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-options-trades");
    assert_eq!(report.records, 5, "the corrected print is left out");
    assert_eq!(
        report.sessions,
        vec![("SPX".to_string(), DAY), ("SPY".to_string(), DAY)]
    );
    let spx = session(&tape, "SPX", DAY);
    assert_eq!(spx.contracts().len(), 2);
    let call = contract(&spx, "O:SPXW250115C05950000");
    assert_eq!(
        spx.whole_series::<Trade>(call).unwrap(),
        vec![
            trade(
                1_736_955_005_123_400_000,
                px("2.2"),
                3 * M,
                venue::CBOE,
                &[condition::AUTO_EXECUTION],
                1
            ),
            // A byte-identical row is a second print.
            trade(
                1_736_955_005_123_400_000,
                px("2.2"),
                3 * M,
                venue::CBOE,
                &[condition::AUTO_EXECUTION],
                2
            ),
            trade(
                1_736_955_007_000_000_000,
                px("2.3"),
                M,
                venue::NASDAQ,
                &[condition::SINGLE_LEG_AUCTION],
                3
            ),
        ]
    );
    let put = contract(&spx, "O:SPXW250115P05900000");
    assert_eq!(
        spx.whole_series::<Trade>(put).unwrap(),
        vec![trade(
            1_736_955_060_000_000_000,
            px("1.05"),
            10 * M,
            venue::CBOE_BZX,
            &[condition::AUTO_EXECUTION, condition::INTERMARKET_SWEEP],
            1
        )]
    );
    let spy = session(&tape, "SPY", DAY);
    let spy_call = contract(&spy, "O:SPY250117C00590000");
    assert_eq!(
        spy.whole_series::<Trade>(spy_call).unwrap(),
        vec![trade(
            1_736_955_100_000_000_000,
            px("3.1"),
            2 * M,
            venue::UNKNOWN,
            &[condition::MULTI_LEG_ELECTRONIC],
            1
        )],
        "an unknown venue ID becomes venue 0"
    );
    // Bars are made from the trades.
    assert_eq!(spx.day(call).unwrap().volume, 7 * M);
}

#[test]
fn option_trades_without_participant_timestamps_replace_earlier_option_trades() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    import(&tape, &fixture("options_trades_v1_8col.csv.gz")).unwrap();
    let spy_before = std::fs::read(tape.session_path("SPY", DAY)).unwrap();
    let report = import(&tape, &fixture("options_trades_v1_7col.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-options-trades");
    assert_eq!(report.records, 3);
    assert_eq!(report.sessions, vec![("SPX".to_string(), DAY)]);
    let spx = session(&tape, "SPX", DAY);
    let call = contract(&spx, "O:SPXW250115C05950000");
    assert_eq!(
        spx.whole_series::<Trade>(call).unwrap(),
        vec![
            trade(
                1_736_955_300_000_000_000,
                px("2.4"),
                4 * M,
                venue::NYSE_ARCA,
                &[condition::AUTO_EXECUTION],
                1
            ),
            trade(
                1_736_955_300_500_000_000,
                px("2.45"),
                2 * M,
                venue::NYSE_ARCA,
                &[condition::MULTI_LEG_ELECTRONIC],
                2
            ),
        ],
        "the second file's trades replace the first's"
    );
    let put = contract(&spx, "O:SPXW250115P05900000");
    assert_eq!(
        spx.count(put, Kind::Trades),
        0,
        "and its contracts stay listed"
    );
    let far = contract(&spx, "O:SPXW250115C06000000");
    assert_eq!(
        spx.whole_series::<Trade>(far).unwrap(),
        vec![trade(
            1_736_955_400_000_000_000,
            px("0.85"),
            M,
            venue::UNKNOWN,
            &[],
            1
        )],
        "empty exchange and conditions cells are missing values"
    );
    assert_eq!(
        std::fs::read(tape.session_path("SPY", DAY)).unwrap(),
        spy_before,
        "a session the file does not touch is left alone"
    );
}

#[test]
fn option_quotes_one_and_two_sided() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("options_quotes_v1.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-options-quotes");
    assert_eq!(report.records, 5);
    let spx = session(&tape, "SPX", DAY);
    let call = contract(&spx, "O:SPXW250115C05950000");
    assert_eq!(
        spx.whole_series::<Quote>(call).unwrap(),
        vec![
            quote(
                1_736_955_000_000_000_000,
                px("2.1"),
                15,
                venue::NYSE_ARCA,
                px("2.3"),
                20,
                venue::CBOE
            ),
            quote(
                1_736_955_000_500_000_000,
                px("2.15"),
                16,
                venue::NYSE_ARCA,
                px("2.35"),
                21,
                venue::CBOE
            ),
        ]
    );
    let wing = contract(&spx, "O:SPXW250115C06500000");
    assert_eq!(
        spx.whole_series::<Quote>(wing).unwrap(),
        vec![
            quote(
                1_736_955_000_000_000_000,
                px("0.05"),
                40,
                venue::CBOE_C2,
                0,
                0,
                0
            ),
            quote(1_736_955_001_000_000_000, 0, 0, 0, 0, 0, 0),
        ],
        "price 0 is an absent side; a row with neither side withdraws the quote"
    );
    let put = contract(&spx, "O:SPXW250115P05000000");
    assert_eq!(
        spx.whole_series::<Quote>(put).unwrap(),
        vec![quote(
            1_736_955_002_000_000_000,
            0,
            0,
            0,
            px("0.1"),
            5,
            venue::CBOE_BZX
        )],
        "empty bid cells are an absent bid"
    );
    let as_of = spx
        .quote_at(wing, ns(1_736_955_000_900_000_000))
        .unwrap()
        .unwrap();
    assert!(as_of.has_bid() && !as_of.has_ask());
}

#[test]
fn option_minute_and_day_aggregates_become_bars() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("options_minute_aggs_v1.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-options-minute-aggs");
    assert_eq!(report.records, 3);
    let spx = session(&tape, "SPX", DAY);
    let call = contract(&spx, "O:SPXW250115C05950000");
    let minute = vec![
        bar(
            1_736_955_000_000_000_000,
            px("2.15"),
            px("2.25"),
            px("2.1"),
            px("2.2"),
            42 * M,
            px("2.175"),
            9,
        ),
        bar(
            1_736_955_060_000_000_000,
            px("2.2"),
            px("2.3"),
            px("2.2"),
            px("2.3"),
            7 * M,
            px("2.25"),
            3,
        ),
    ];
    assert_eq!(spx.whole_series::<Bar>(call).unwrap(), minute);
    let day = spx.day(call).unwrap();
    assert_eq!(
        (day.open, day.close, day.volume, day.transactions),
        (px("2.15"), px("2.3"), 49 * M, 12)
    );
    let spy = session(&tape, "SPY", DAY);
    assert_eq!(
        spy.whole_series::<Bar>(contract(&spy, "O:SPY250117C00590000"))
            .unwrap()
            .len(),
        1
    );

    let report = import(&tape, &fixture("options_day_aggs_v1.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-options-day-aggs");
    assert_eq!(report.sessions, vec![("SPX".to_string(), DAY)]);
    let spx = session(&tape, "SPX", DAY);
    let call = contract(&spx, "O:SPXW250115C05950000");
    let day_bar = bar(
        1_736_917_200_000_000_000,
        px("2.5"),
        px("3.1"),
        px("1.9"),
        px("2.2"),
        1200 * M,
        px("2.425"),
        300,
    );
    assert_eq!(
        spx.whole_series::<Bar>(call).unwrap(),
        vec![day_bar],
        "a day file's bar starts at New York midnight"
    );
    assert_eq!(spx.day(call), Some(day_bar));
    let put = contract(&spx, "O:SPXW250115P05900000");
    assert_eq!(spx.day(put).unwrap().volume, 310 * M);
}

#[test]
fn stock_trades_with_fractional_sizes_and_trf_venues() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("stocks_trades_v1.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-stocks-trades");
    assert_eq!(report.records, 5);
    assert_eq!(
        tape.underlyings().unwrap(),
        vec!["BRK.A".to_string(), "SPY".to_string()],
        "BACpB (a lower-case class suffix) cannot be a tape symbol and is skipped"
    );
    let spy = session(&tape, "SPY", DAY);
    assert_eq!(
        spy.whole_series::<Trade>(Owner::Underlying).unwrap(),
        vec![
            trade(
                1_736_932_200_000_000_000,
                px("590.31"),
                4 * M,
                venue::FINRA_NASDAQ_TRF,
                &[condition::FORM_T, condition::ODD_LOT],
                1550
            ),
            trade(
                1_736_951_400_100_000_000,
                px("590.32"),
                M / 2,
                venue::NASDAQ,
                &[],
                1551
            ),
            trade(
                1_736_951_400_200_000_000,
                px("590.33"),
                100 * M,
                venue::NYSE_ARCA,
                &[condition::INTERMARKET_SWEEP],
                1552
            ),
            trade(
                1_736_951_400_400_000_000,
                px("590.34"),
                1,
                venue::NYSE_ARCA,
                &[],
                1554
            ),
        ],
        "the correction is left out; sequence numbers are the file's"
    );
    let brk = session(&tape, "BRK.A", DAY);
    assert_eq!(
        brk.whole_series::<Trade>(Owner::Underlying).unwrap(),
        vec![trade(
            1_736_951_400_200_000_000,
            px("700000.5"),
            M,
            venue::NYSE,
            &[],
            20
        )]
    );
}

#[test]
fn stock_quote_sizes_are_round_lots_before_2025_11_03_and_shares_after() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("stocks_quotes_v1_2025-10-31.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-stocks-quotes");
    let before = session(&tape, "SPY", date(2025, 10, 31));
    assert_eq!(
        before.whole_series::<Quote>(Owner::Underlying).unwrap(),
        vec![
            quote(
                1_761_917_400_000_000_000,
                px("680.11"),
                500,
                venue::NYSE_ARCA,
                px("680.12"),
                300,
                venue::NASDAQ
            ),
            quote(
                1_761_917_401_000_000_000,
                px("680.1"),
                200,
                venue::NYSE_ARCA,
                0,
                0,
                0
            ),
        ]
    );
    import(&tape, &fixture("stocks_quotes_v1_2025-11-03.csv.gz")).unwrap();
    let after = session(&tape, "SPY", date(2025, 11, 3));
    assert_eq!(
        after.whole_series::<Quote>(Owner::Underlying).unwrap(),
        vec![quote(
            1_762_180_200_000_000_000,
            px("682.11"),
            512,
            venue::NYSE_ARCA,
            px("682.12"),
            300,
            venue::NASDAQ
        )]
    );
}

#[test]
fn stock_aggregates_keep_fractional_volume() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("stocks_minute_aggs_v1.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-stocks-minute-aggs");
    let spy = session(&tape, "SPY", DAY);
    assert_eq!(
        spy.whole_series::<Bar>(Owner::Underlying).unwrap(),
        vec![
            bar(
                1_736_951_400_000_000_000,
                px("590.1"),
                px("590.55"),
                px("590.02"),
                px("590.4"),
                2_036_584_149_027,
                px("590.2675"),
                12345
            ),
            bar(
                1_736_951_460_000_000_000,
                px("590.4"),
                px("590.5"),
                px("590.1"),
                px("590.2"),
                1_500_000 * M,
                px("590.3"),
                9000
            ),
        ]
    );
    let report = import(&tape, &fixture("stocks_day_aggs_v1.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-stocks-day-aggs");
    let spy = session(&tape, "SPY", DAY);
    let day_bar = bar(
        1_736_917_200_000_000_000,
        px("589.5"),
        px("592.75"),
        px("588.1"),
        px("591.25"),
        45_123_456_500_000,
        px("590.4"),
        650_000,
    );
    assert_eq!(
        spy.whole_series::<Bar>(Owner::Underlying).unwrap(),
        vec![day_bar]
    );
    assert_eq!(spy.day(Owner::Underlying), Some(day_bar));
}

#[test]
fn index_minute_bars_are_bars_and_values_at_the_bar_end() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("indices_minute_aggs_v1.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-indices-minute-aggs");
    assert_eq!(report.records, 3);
    assert_eq!(
        report.sessions,
        vec![("SPX".to_string(), DAY), ("VIX".to_string(), DAY)]
    );
    let spx = session(&tape, "SPX", DAY);
    assert_eq!(
        spx.whole_series::<Bar>(Owner::Underlying).unwrap(),
        vec![
            bar(
                1_736_951_400_000_000_000,
                px("5950.25"),
                px("5952"),
                px("5949.75"),
                px("5951.5"),
                0,
                px("5950.875"),
                0
            ),
            bar(
                1_736_951_460_000_000_000,
                px("5951.5"),
                px("5952.25"),
                px("5949.5"),
                px("5950"),
                0,
                px("5950.8125"),
                0
            ),
        ],
        "missing volume and transactions columns are zeros"
    );
    assert_eq!(
        spx.whole_series::<IndexValue>(Owner::Underlying).unwrap(),
        vec![
            IndexValue {
                ts: ns(1_736_951_460_000_000_000),
                value: px("5951.5")
            },
            IndexValue {
                ts: ns(1_736_951_520_000_000_000),
                value: px("5950")
            },
        ]
    );
    assert_eq!(
        spx.value_at(ns(1_736_951_459_999_999_999)).unwrap(),
        None,
        "a bar's close is not known before the bar ends"
    );
    let vix = session(&tape, "VIX", DAY);
    assert_eq!(
        vix.whole_series::<IndexValue>(Owner::Underlying).unwrap(),
        vec![IndexValue {
            ts: ns(1_736_951_460_000_000_000),
            value: px("16.05")
        }]
    );

    let report = import(&tape, &fixture("indices_day_aggs_v1.csv.gz")).unwrap();
    assert_eq!(report.format, "polygon-indices-day-aggs");
    let spx = session(&tape, "SPX", DAY);
    let day_bar = bar(
        1_736_917_200_000_000_000,
        px("5940"),
        px("5970"),
        px("5930"),
        px("5960.5"),
        0,
        px("5950.125"),
        0,
    );
    assert_eq!(
        spx.whole_series::<Bar>(Owner::Underlying).unwrap(),
        vec![day_bar]
    );
    assert_eq!(
        spx.count(Owner::Underlying, Kind::Values),
        2,
        "a day file brings bars only: the minute file's values stay"
    );
}

#[test]
fn reimporting_a_file_changes_nothing_and_filters_apply() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let file = fixture("options_quotes_v1.csv.gz");
    import(&tape, &file).unwrap();
    let path = tape.session_path("SPX", DAY);
    let before = std::fs::read(&path).unwrap();
    let again = import(&tape, &file).unwrap();
    assert!(again.sessions.is_empty());
    assert_eq!(again.unchanged, vec![("SPX".to_string(), DAY)]);
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let filtered = tempfile::tempdir().unwrap();
    let tape = Tape::new(filtered.path());
    let options = ImportOptions {
        underlyings: Some(["SPY".to_string()].into()),
    };
    let report = import_file(
        &tape,
        &fixture("options_trades_v1_8col.csv.gz"),
        &options,
        &no_progress,
    )
    .unwrap();
    assert_eq!(report.records, 1);
    assert_eq!(tape.underlyings().unwrap(), vec!["SPY".to_string()]);
}

/// A tape with one imported session, and a check that a failed import left it as it was.
struct Guarded {
    _dir: tempfile::TempDir,
    work: PathBuf,
    tape: Tape,
    session: PathBuf,
    bytes: Vec<u8>,
}

impl Guarded {
    fn new() -> Guarded {
        let dir = tempfile::tempdir().unwrap();
        let tape = Tape::new(dir.path().join("tape"));
        import(&tape, &fixture("options_quotes_v1.csv.gz")).unwrap();
        let session = tape.session_path("SPX", DAY);
        let bytes = std::fs::read(&session).unwrap();
        let work = dir.path().join("input");
        std::fs::create_dir_all(&work).unwrap();
        Guarded {
            _dir: dir,
            work,
            tape,
            session,
            bytes,
        }
    }

    fn fails(&self, path: &Path, at: Option<Location>, reason: &str) -> ImportError {
        let error = import(&self.tape, path).expect_err("the import should fail");
        assert_eq!(error.file, path, "{error}");
        assert_eq!(error.at, at, "{error}");
        assert!(
            error.reason.contains(reason),
            "{error} should say {reason:?}"
        );
        assert!(error.to_string().starts_with(&path.display().to_string()));
        assert_eq!(
            std::fs::read(&self.session).unwrap(),
            self.bytes,
            "the tape changed"
        );
        let files: Vec<_> = std::fs::read_dir(self.session.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(files.len(), 1, "temporary files remain: {files:?}");
        assert_eq!(self.tape.underlyings().unwrap(), vec!["SPX".to_string()]);
        error
    }
}

const QUOTES: &str = "ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp\n";
const TRADES: &str = "ticker,conditions,correction,exchange,price,sip_timestamp,size\n";

#[test]
fn truncated_gzip_is_rejected() {
    let guard = Guarded::new();
    // Small: the break shows while telling the format from the first bytes.
    let small = fixture("truncated.csv.gz");
    let error = import(&guard.tape, &small).unwrap_err();
    assert_eq!(error.file, small);
    assert!(error.reason.contains("cannot read"), "{error}");
    assert_eq!(std::fs::read(&guard.session).unwrap(), guard.bytes);

    // Large: the break shows mid-way, at a line.
    let mut text = QUOTES.to_string();
    for i in 0..5_000i64 {
        let ts = 1_736_955_000_000_000_000 + i * 1_000_000;
        text.push_str(&format!(
            "O:SPXW250115C05950000,302,2.3,20,313,2.1,15,{i},{ts}\n"
        ));
    }
    let whole = gz(&guard.work, "whole.csv.gz", &text);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = guard.work.join("cut.csv.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).unwrap();
    let error = import(&guard.tape, &cut).unwrap_err();
    assert_eq!(error.file, cut);
    assert!(
        matches!(error.at, Some(Location::Line(n)) if n > 1000),
        "{error}"
    );
    assert!(error.reason.contains("damaged or ends early"), "{error}");
    assert_eq!(std::fs::read(&guard.session).unwrap(), guard.bytes);
}

#[test]
fn wrong_headers_are_rejected() {
    let guard = Guarded::new();
    let no_price = gz(
        &guard.work,
        "no_price.csv.gz",
        "ticker,conditions,correction,exchange,sip_timestamp,size\nO:SPXW250115C05950000,209,0,302,1736955005123400000,3\n",
    );
    guard.fails(
        &no_price,
        Some(Location::Line(1)),
        "missing column \"price\"",
    );
    let unknown = gz(&guard.work, "unknown.csv.gz", "symbol,when,what\nSPY,1,2\n");
    guard.fails(&unknown, None, "unrecognised format");
}

#[test]
fn malformed_rows_name_the_file_line_and_column() {
    let guard = Guarded::new();
    let cases: &[(&str, &str, u64, &str)] = &[
        (
            QUOTES,
            "O:SPXW250115C05950000,302,2.3,20,313,2.1,15,1,1736955000000000000\n\
             O:SPXW250115C05950000,302,2.3,20,313,2.1x,15,2,1736955001000000000\n",
            3,
            "bid_price \"2.1x\" is not a decimal number",
        ),
        (
            TRADES,
            "O:SPXW250115C05950000,209,0,302,2.1234567891,1736955005123400000,3\n",
            2,
            "price \"2.1234567891\" has more than 9 decimals",
        ),
        (
            TRADES,
            "O:SPXW250115C05950000,209,0,302,2.2,17369550051234000OO,3\n",
            2,
            "sip_timestamp \"17369550051234000OO\" is not a whole number",
        ),
        (
            TRADES,
            "O:SPXW250115C05950000,209,0,302,2.2,1736955005123400000,\n",
            2,
            "size is empty",
        ),
        (
            TRADES,
            "O:SPXW250115C05950000,\"209,x\",0,302,2.2,1736955005123400000,3\n",
            2,
            "conditions \"209,x\"",
        ),
        (
            TRADES,
            "O:SPXW25011XC05950000,209,0,302,2.2,1736955005123400000,3\n",
            2,
            "ticker \"O:SPXW25011XC05950000\" is not an option symbol",
        ),
        (
            TRADES,
            "O:SPXW250115C05950000,209,0,302,2.2,1736955005123400000,3\n\
             SPY,209,0,302,2.2,1736955005123400000,3\n",
            3,
            "ticker \"SPY\" does not belong in an options file",
        ),
        (
            TRADES,
            "O:SPXW250115C05950000,209,0,302,2.2,1736955005123400000,3\n\
             O:SPXW250115C05950000,209,0,302,2.2,1736955005123400000\n",
            3,
            "found a row with 6 fields where the header has 7",
        ),
        (
            "ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp\n",
            "SP Y,,0,12,1,1,590.32,1,1736951400100000000,1,2,0,0\n",
            2,
            "ticker \"SP Y\" is not a symbol",
        ),
    ];
    for (i, (header, rows, line, reason)) in cases.iter().enumerate() {
        let file = gz(
            &guard.work,
            &format!("bad{i}.csv.gz"),
            &format!("{header}{rows}"),
        );
        guard.fails(&file, Some(Location::Line(*line)), reason);
    }
}

#[test]
fn out_of_order_series_are_reported_with_both_lines() {
    let guard = Guarded::new();
    let within = gz(
        &guard.work,
        "within.csv.gz",
        &format!(
            "{QUOTES}O:SPXW250115C05950000,302,2.3,20,313,2.1,15,1,1736955001000000000\n\
             O:SPXW250115C05950000,302,2.3,20,313,2.1,15,2,1736955000000000000\n"
        ),
    );
    let error = guard.fails(
        &within,
        Some(Location::Line(3)),
        "earlier than its previous row (line 2",
    );
    assert!(error.reason.contains("O:SPXW250115C05950000"), "{error}");
    let regrouped = gz(
        &guard.work,
        "regrouped.csv.gz",
        &format!(
            "{QUOTES}O:SPXW250115C05950000,302,2.3,20,313,2.1,15,1,1736955001000000000\n\
             O:SPXW250115C06000000,302,2.3,20,313,2.1,15,2,1736955000000000000\n\
             O:SPXW250115C05950000,302,2.3,20,313,2.1,15,3,1736955000500000000\n"
        ),
    );
    guard.fails(
        &regrouped,
        Some(Location::Line(4)),
        "O:SPXW250115C05950000: ",
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn arbitrary_rows_never_panic_the_importer(
        header in prop::sample::select(vec![QUOTES, TRADES, "ticker,volume,open,close,high,low,window_start,transactions\n"]),
        rows in prop::collection::vec(
            prop::collection::vec(
                prop_oneof![
                    Just("O:SPXW250115C05950000".to_string()),
                    Just("I:SPX".to_string()),
                    Just("1736955000000000000".to_string()),
                    "[0-9]{1,20}",
                    "[-0-9.eE]{0,12}",
                    "[ -~]{0,10}",
                ],
                0..10,
            ),
            0..8,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let tape = Tape::new(dir.path().join("tape"));
        let mut text = header.to_string();
        for row in rows {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        let file = gz(dir.path(), "any.csv.gz", &text);
        let _ = import(&tape, &file);
    }
}
