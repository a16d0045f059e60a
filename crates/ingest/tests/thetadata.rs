//! Importing ThetaData v2 CSV outputs: contracts from file names or bulk columns, New York
//! wall-clock times, cancels left out, and malformed files rejected with their line.

use std::path::{Path, PathBuf};

use ingest::{FileReport, ImportError, ImportOptions, Location, import_file};
use jiff::civil::{Date, date};
use model::Timestamp;
use model::symbol::OptionSymbol;
use model::venues::condition;
use proptest::prelude::*;
use tape::{Bar, IndexValue, Owner, Quote, SessionFile, Tape, Trade};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/thetadata")
        .join(name)
}

fn no_progress(_: u64) {}

fn import(tape: &Tape, path: &Path) -> Result<FileReport, ImportError> {
    import_file(tape, path, &ImportOptions::default(), &no_progress)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const DAY: Date = date(2025, 1, 15);
/// 2025-01-15 09:30:00 in New York.
const OPEN: i64 = 1_736_951_400_000_000_000;
const MS: i64 = 1_000_000;
const M: u64 = 1_000_000;

fn session(tape: &Tape, underlying: &str) -> std::sync::Arc<SessionFile> {
    tape.session(underlying, DAY).unwrap().unwrap()
}

fn contract(session: &SessionFile, symbol: &str) -> Owner {
    session
        .contract(&OptionSymbol::parse(symbol).unwrap())
        .unwrap()
}

fn px(text: &str) -> i64 {
    tape::records::px_from_decimal(text.parse().unwrap()).unwrap()
}

fn quote(
    ts: i64,
    bid: &str,
    bid_size: u32,
    bid_ex: u16,
    ask: &str,
    ask_size: u32,
    ask_ex: u16,
) -> Quote {
    let price = |t: &str| if t.is_empty() { 0 } else { px(t) };
    Quote {
        ts: Timestamp::from_nanos(ts),
        bid: price(bid),
        ask: price(ask),
        bid_size,
        ask_size,
        bid_exchange: bid_ex,
        ask_exchange: ask_ex,
    }
}

fn trade(
    ts: i64,
    price: &str,
    size: u64,
    exchange: u16,
    conditions: &[u16],
    sequence: u64,
) -> Trade {
    Trade {
        ts: Timestamp::from_nanos(ts),
        price: px(price),
        size,
        exchange,
        conditions: Trade::conditions_from(conditions),
        sequence,
    }
}

#[test]
fn option_quotes_from_a_named_file() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("SPXW_20250115_5950000_C.quote.csv")).unwrap();
    assert_eq!(report.format, "thetadata-option-quote");
    assert_eq!(report.records, 3);
    assert_eq!(report.sessions, vec![("SPX".to_string(), DAY)]);
    let spx = session(&tape, "SPX");
    let call = contract(&spx, "O:SPXW250115C05950000");
    assert_eq!(
        spx.whole_series::<Quote>(call).unwrap(),
        vec![
            quote(OPEN, "8.65", 10, 5, "8.8", 31, 6),
            quote(OPEN + 500 * MS, "", 0, 0, "8.8", 31, 6),
            quote(OPEN + 60_000 * MS, "8.7", 12, 5, "8.85", 30, 69),
        ],
        "ms_of_day is New York time; a zero bid is no bid; exchanges are kept as they are"
    );
}

#[test]
fn option_trades_leave_out_cancels_and_keep_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("SPXW_20250115_5950000_C.trade.csv")).unwrap();
    assert_eq!(report.format, "thetadata-option-trade");
    assert_eq!(report.records, 3, "records_back != 0 is left out");
    let spx = session(&tape, "SPX");
    let call = contract(&spx, "O:SPXW250115C05950000");
    assert_eq!(
        spx.whole_series::<Trade>(call).unwrap(),
        vec![
            trade(
                1_736_955_005_123_000_000,
                "2.2",
                3 * M,
                5,
                &[condition::AUTO_EXECUTION],
                118
            ),
            trade(
                1_736_955_005_123_000_000,
                "2.25",
                M,
                6,
                &[condition::MULTI_LEG_ELECTRONIC],
                119
            ),
            // A wrapped 32-bit sequence keeps its bits.
            trade(
                1_736_955_100_000_000_000,
                "2.3",
                2 * M,
                69,
                &[condition::SINGLE_LEG_AUCTION],
                2_147_483_649
            ),
        ]
    );
}

#[test]
fn option_eod_becomes_the_day_bar() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("SPXW_20250115_5950000_C.eod.csv")).unwrap();
    assert_eq!(report.format, "thetadata-option-eod");
    assert_eq!(report.records, 1, "a day without trades has no bar");
    assert_eq!(report.sessions, vec![("SPX".to_string(), DAY)]);
    let spx = session(&tape, "SPX");
    let call = contract(&spx, "O:SPXW250115C05950000");
    let day = Bar {
        start: Timestamp::from_nanos(1_736_917_200_000_000_000),
        open: px("8"),
        high: px("9.5"),
        low: px("7.5"),
        close: px("8.9"),
        volume: 1500 * M,
        vwap: px("8.475"),
        transactions: 320,
    };
    assert_eq!(spx.whole_series::<Bar>(call).unwrap(), vec![day]);
    assert_eq!(spx.day(call), Some(day));
}

#[test]
fn bulk_outputs_name_contracts_in_columns() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("bulk_hist_option_quote.csv")).unwrap();
    assert_eq!(report.format, "thetadata-option-quote");
    assert_eq!(report.records, 3);
    let spy = session(&tape, "SPY");
    assert_eq!(spy.contracts().len(), 2);
    let call = contract(&spy, "O:SPY250117C00590000");
    assert_eq!(
        spy.whole_series::<Quote>(call).unwrap(),
        vec![
            quote(OPEN, "3.05", 20, 7, "3.1", 25, 5),
            quote(OPEN + 100 * MS, "3.06", 21, 7, "3.1", 25, 5),
        ]
    );
    let put = contract(&spy, "O:SPY250117P00591000");
    assert_eq!(
        spy.whole_series::<Quote>(put).unwrap(),
        vec![quote(OPEN, "2.5", 5, 1, "2.55", 6, 22)]
    );
}

#[test]
fn stock_trades_bars_and_index_prices() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, &fixture("SPY.trade.csv")).unwrap();
    assert_eq!(report.format, "thetadata-stock-trade");
    let spy = session(&tape, "SPY");
    assert_eq!(
        spy.whole_series::<Trade>(Owner::Underlying).unwrap(),
        vec![
            trade(
                OPEN + 100 * MS,
                "590.32",
                100 * M,
                1,
                &[condition::REGULAR],
                1551
            ),
            trade(
                OPEN + 200 * MS,
                "590.33",
                40 * M,
                7,
                &[condition::INTERMARKET_SWEEP],
                1552
            ),
        ]
    );

    let report = import(&tape, &fixture("SPY.ohlc.csv")).unwrap();
    assert_eq!(report.format, "thetadata-stock-ohlc");
    assert_eq!(report.records, 2, "an interval without trades has no bar");
    let spy = session(&tape, "SPY");
    let bars = spy.whole_series::<Bar>(Owner::Underlying).unwrap();
    assert_eq!(
        bars.iter()
            .map(|b| (b.start.as_nanos(), b.close, b.volume))
            .collect::<Vec<_>>(),
        vec![
            (OPEN, px("590.4"), 2_036_584 * M),
            (OPEN + 120_000 * MS, px("590.2"), 1_500_000 * M),
        ]
    );
    assert_eq!(
        spy.count(Owner::Underlying, tape::Kind::Trades),
        2,
        "trades stay"
    );

    let report = import(&tape, &fixture("SPX.price.csv")).unwrap();
    assert_eq!(report.format, "thetadata-index-price");
    let spx = session(&tape, "SPX");
    assert_eq!(
        spx.whole_series::<IndexValue>(Owner::Underlying).unwrap(),
        vec![
            IndexValue {
                ts: Timestamp::from_nanos(OPEN),
                value: px("5950.25")
            },
            IndexValue {
                ts: Timestamp::from_nanos(OPEN + 1_000 * MS),
                value: px("5950.5")
            },
            IndexValue {
                ts: Timestamp::from_nanos(OPEN + 3_000 * MS),
                value: px("5950.75")
            },
        ],
        "a zero price is no value"
    );
}

#[test]
fn pretty_times_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path().join("tape"));
    let file = write(
        dir.path(),
        "SPX.price.csv",
        "ms_of_day,price,date\n09:30:00.000,5950.25,2025-01-15\n09:30:01.5,5950.5,2025-01-15\n",
    );
    import(&tape, &file).unwrap();
    let spx = session(&tape, "SPX");
    let values = spx.whole_series::<IndexValue>(Owner::Underlying).unwrap();
    assert_eq!(values[0].ts.as_nanos(), OPEN);
    assert_eq!(values[1].ts.as_nanos(), OPEN + 1_500 * MS);
}

const QUOTE_HEADER: &str = "ms_of_day,bid_size,bid_exchange,bid,bid_condition,ask_size,ask_exchange,ask,ask_condition,date\n";

#[test]
fn files_that_do_not_name_their_contract_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path().join("tape"));
    let row = "34200000,10,5,8.65,50,31,6,8.8,50,20250115\n";
    for name in [
        "quotes.csv",
        "SPXW_20250115_5950000_C.trade.csv",
        "SPXW_20250115_5950000.quote.csv",
        "SPXW_20250115_5950000_C.quote.txt",
    ] {
        let file = write(dir.path(), name, &format!("{QUOTE_HEADER}{row}"));
        let error = import(&tape, &file).unwrap_err();
        assert_eq!(error.file, file);
        assert!(
            error.reason.contains("cannot tell which contract"),
            "{name}: {error}"
        );
        assert!(
            error.reason.contains("SPXW_20250115_5950000_C.quote.csv"),
            "{error}"
        );
    }
    assert!(tape.underlyings().unwrap().is_empty());
}

#[test]
fn malformed_rows_name_the_line_and_leave_the_tape_alone() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path().join("tape"));
    import(&tape, &fixture("SPXW_20250115_5950000_C.quote.csv")).unwrap();
    let path = tape.session_path("SPX", DAY);
    let before = std::fs::read(&path).unwrap();
    let name = "SPXW_20250115_5950000_C.quote.csv";
    let cases: &[(&str, u64, &str)] = &[
        (
            "34200000,10,5,8.65,50,31,6,8.8,50,20250115\n34200001,10,5,8.6x,50,31,6,8.8,50,20250115\n",
            3,
            "bid \"8.6x\" is not a decimal number",
        ),
        (
            "34200000,10,5,8.65,50,31,6,8.8,50,20250115\n34100000,10,5,8.65,50,31,6,8.8,50,20250115\n",
            3,
            "earlier than its previous row (line 2",
        ),
        (
            "34200000,10,5,8.65,50,31,6,8.8,50,20251315\n",
            2,
            "date \"20251315\"",
        ),
        (
            "86400000,10,5,8.65,50,31,6,8.8,50,20250115\n",
            2,
            "ms_of_day \"86400000\"",
        ),
        (
            "34200000,10,99999,8.65,50,31,6,8.8,50,20250115\n",
            2,
            "bid_exchange \"99999\"",
        ),
    ];
    for (rows, line, reason) in cases {
        let file = write(dir.path(), name, &format!("{QUOTE_HEADER}{rows}"));
        let error = import(&tape, &file).unwrap_err();
        assert_eq!(error.file, file);
        assert_eq!(error.at, Some(Location::Line(*line)), "{error}");
        assert!(
            error.reason.contains(reason),
            "{error} should say {reason:?}"
        );
    }
    let bulk = write(
        dir.path(),
        "bulk.csv",
        "root,expiration,strike,right,ms_of_day,bid,ask,date\nSPXW,20250115,5950000,X,34200000,1,2,20250115\n",
    );
    let error = import(&tape, &bulk).unwrap_err();
    assert_eq!(error.at, Some(Location::Line(2)));
    assert!(error.reason.contains("right \"X\""), "{error}");
    let header = write(
        dir.path(),
        "odd.quote.csv",
        "ms_of_day,size_of_things,date\n1,2,20250115\n",
    );
    let error = import(&tape, &header).unwrap_err();
    assert_eq!(error.at, Some(Location::Line(1)), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn arbitrary_rows_never_panic_the_importer(
        rows in prop::collection::vec(
            prop::collection::vec(
                prop_oneof![
                    Just("20250115".to_string()),
                    Just("34200000".to_string()),
                    "[0-9]{1,12}",
                    "[-0-9.:]{0,12}",
                    "[ -~]{0,8}",
                ],
                0..16,
            ),
            0..8,
        ),
        name in prop::sample::select(vec![
            "SPXW_20250115_5950000_C.trade.csv",
            "SPY.trade.csv",
        ]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let tape = Tape::new(dir.path().join("tape"));
        let mut text = "ms_of_day,sequence,ext_condition1,ext_condition2,ext_condition3,ext_condition4,condition,size,exchange,price,condition_flags,price_flags,volume_type,records_back,date\n".to_string();
        for row in rows {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        let file = write(dir.path(), name, &text);
        let _ = import(&tape, &file);
    }
}
