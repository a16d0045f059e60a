//! Importing the plain CSV format: content, errors with lines, merging, idempotence, atomicity.

use ingest::{ImportOptions, import_file};
use jiff::civil::date;
use model::symbol::OptionSymbol;
use tape::{Kind, Order, Owner, Quote, Tape, Trade};

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const QUOTES: &str = "\
# a hand-written session
time,symbol,event,bid,ask,bid_size,ask_size,price,size
2025-01-15 09:30:02,O:SPXW250115C05950000,quote,4.30,4.50,11,13,,
2025-01-15 09:30:01,SPXW  250115C05950000,quote,4.20,4.40,10,12,,
2025-01-15 09:30:01,SPX,value,,,,,5950.25,
2025-01-15 09:30:02,I:SPX,value,,,,,5950.75,
2025-01-15,O:SPXW250115C05950000,open_interest,,,,,,9120
2025-01-15 09:30:01,SPY,quote,590.10,,300,,,
";

fn no_progress(_: u64) {}

#[test]
fn a_hand_written_file_becomes_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path().join("tape"));
    let file = write(dir.path(), "day.csv", QUOTES);
    let report = import_file(&tape, &file, &ImportOptions::default(), &no_progress).unwrap();
    assert_eq!(report.format, "plain-csv");
    assert_eq!(report.records, 6);
    let d = date(2025, 1, 15);
    assert_eq!(
        report.sessions,
        vec![("SPX".to_string(), d), ("SPY".to_string(), d)]
    );
    let spx = tape.session("SPX", d).unwrap().unwrap();
    let call = spx
        .contract(&OptionSymbol::parse("O:SPXW250115C05950000").unwrap())
        .unwrap();
    assert_eq!(spx.contract_entry(call).unwrap().open_interest, Some(9120));
    let quotes = spx
        .range::<Quote>(
            call,
            model::Timestamp::EPOCH,
            model::Timestamp::from_seconds(i64::MAX / 2_000_000_000),
            Order::Ascending,
            None,
            10,
        )
        .unwrap()
        .records;
    assert_eq!(quotes.len(), 2, "rows were sorted into time order");
    assert_eq!(quotes[0].bid, 4_200_000_000);
    assert_eq!(quotes[1].ask_size, 13);
    assert_eq!(spx.count(Owner::Underlying, Kind::Values), 2);
    let spy = tape.session("SPY", d).unwrap().unwrap();
    let quote = spy
        .quote_at(
            Owner::Underlying,
            model::Timestamp::from_seconds(1_736_951_401),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (quote.bid, quote.ask, quote.bid_size),
        (590_100_000_000, 0, 300),
        "one-sided quote"
    );
}

#[test]
fn reimporting_the_same_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path().join("tape"));
    let file = write(dir.path(), "day.csv", QUOTES);
    import_file(&tape, &file, &ImportOptions::default(), &no_progress).unwrap();
    let path = tape.session_path("SPX", date(2025, 1, 15));
    let before = std::fs::read(&path).unwrap();
    let again = import_file(&tape, &file, &ImportOptions::default(), &no_progress).unwrap();
    assert!(again.sessions.is_empty());
    assert_eq!(again.unchanged.len(), 2);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_second_file_adds_to_what_the_first_brought() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path().join("tape"));
    import_file(
        &tape,
        &write(dir.path(), "quotes.csv", QUOTES),
        &ImportOptions::default(),
        &no_progress,
    )
    .unwrap();
    let trades = "\
time,symbol,event,price,size,conditions
2025-01-15T14:30:05Z,O:SPXW250115C05950000,trade,4.35,2,18 95
2025-01-15T14:30:06Z,O:SPXW250115C05900000,trade,1.10,1.5,
";
    import_file(
        &tape,
        &write(dir.path(), "trades.csv", trades),
        &ImportOptions::default(),
        &no_progress,
    )
    .unwrap();
    let spx = tape.session("SPX", date(2025, 1, 15)).unwrap().unwrap();
    assert_eq!(
        spx.contracts().len(),
        2,
        "the new contract joins the old one"
    );
    let call = spx
        .contract(&OptionSymbol::parse("O:SPXW250115C05950000").unwrap())
        .unwrap();
    assert_eq!(
        spx.count(call, Kind::Quotes),
        2,
        "quotes from the first file are kept"
    );
    let trade: Trade = spx
        .last_trade_at(call, model::Timestamp::from_seconds(1_736_960_000))
        .unwrap()
        .unwrap();
    assert_eq!(trade.condition_codes().collect::<Vec<_>>(), vec![18, 95]);
    let put = spx
        .contract(&OptionSymbol::parse("O:SPXW250115C05900000").unwrap())
        .unwrap();
    let odd = spx
        .last_trade_at(put, model::Timestamp::from_seconds(1_736_960_000))
        .unwrap()
        .unwrap();
    assert_eq!(odd.size, 1_500_000, "fractional sizes are kept exactly");
    assert_eq!(spx.contract_entry(call).unwrap().open_interest, Some(9120));
}

#[test]
fn malformed_rows_name_the_file_and_line_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path().join("tape"));
    import_file(
        &tape,
        &write(dir.path(), "good.csv", QUOTES),
        &ImportOptions::default(),
        &no_progress,
    )
    .unwrap();
    let path = tape.session_path("SPX", date(2025, 1, 15));
    let before = std::fs::read(&path).unwrap();
    let cases = [
        (
            "time,symbol,event,price\n2025-01-15 09:30:01,SPX,value,abc\n",
            "line 2",
            "price \"abc\"",
        ),
        (
            "time,symbol,event,price\n2025-01-15 09:30:01,SPX,value,5950\nyesterday,SPX,value,1\n",
            "line 3",
            "time \"yesterday\"",
        ),
        (
            "time,symbol,event,bid\n2025-01-15 09:30:01,SPX,quack,1\n",
            "line 2",
            "event \"quack\"",
        ),
        (
            "time,symbol,event,bid\n2025-01-15 09:30:01,SPX,quote,\n",
            "line 2",
            "needs a bid or an ask",
        ),
        (
            "time,symbol,event,price\n2025-01-15 09:30:01,SPX,value,-1\n",
            "line 2",
            "must not be negative",
        ),
        (
            "time,symbol,event,price\n2025-01-15 09:30:01,SPX,value,1,extra\n",
            "line 2",
            "found record with 5 fields",
        ),
        (
            "time,symbol,price\n2025-01-15 09:30:01,SPX,1\n",
            "",
            "unrecognised format",
        ),
        (
            "time,symbol,event,size\n2025-01-15,SPX,open_interest,5\n",
            "line 2",
            "belongs to an option",
        ),
        (
            "time,symbol,event,price,size\n2025-01-15 09:30:01,O:SPXW250115C05950000,trade,1.0,0.0000001\n",
            "line 2",
            "at most 6 decimals",
        ),
    ];
    for (text, location, reason) in cases {
        let file = write(dir.path(), "bad.csv", text);
        let error = import_file(&tape, &file, &ImportOptions::default(), &no_progress).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(&file.display().to_string()),
            "{message}"
        );
        assert!(
            message.contains(location),
            "{message} should say {location}"
        );
        assert!(message.contains(reason), "{message} should say {reason}");
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "failed imports leave the tape alone"
    );
    let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary files remain");
}

#[test]
fn an_underlying_filter_skips_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path().join("tape"));
    let options = ImportOptions {
        underlyings: Some(["SPY".to_string()].into()),
    };
    let report = import_file(
        &tape,
        &write(dir.path(), "day.csv", QUOTES),
        &options,
        &no_progress,
    )
    .unwrap();
    assert_eq!(report.sessions.len(), 1);
    assert_eq!(tape.underlyings().unwrap(), vec!["SPY".to_string()]);
}
