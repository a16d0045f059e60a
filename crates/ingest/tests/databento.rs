//! Importing Databento DBN files written by Databento's own encoder (`databento-dbn`, see
//! `fixtures/databento/make_fixtures.py`): options and stock schemas, symbology, open interest,
//! merging with other imports, and errors that name the byte offset and change nothing.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ingest::{ImportError, ImportOptions, Location, import_file};
use jiff::civil::{Date, date};
use model::Timestamp;
use model::symbol::OptionSymbol;
use model::venues::{condition, venue};
use tape::{Kind, Order, Owner, Quote, SessionFile, Tape, Trade};

const DAY: Date = date(2025, 1, 15);

/// 2025-01-15 00:00:00 UTC, in seconds.
const MIDNIGHT: i64 = 1_736_899_200;

/// An instant on 2025-01-15, UTC wall clock.
fn utc(h: i64, m: i64, s: i64, nanos: i64) -> Timestamp {
    Timestamp::from_nanos((MIDNIGHT + h * 3600 + m * 60 + s) * 1_000_000_000 + nanos)
}

/// Dollars (as cents) to nanodollars.
fn cents(c: i64) -> i64 {
    c * 10_000_000
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/databento")
        .join(name)
}

fn no_progress(_: u64) {}

fn import(tape: &Tape, name: &str) -> Result<ingest::FileReport, ImportError> {
    import_file(
        tape,
        &fixture(name),
        &ImportOptions::default(),
        &no_progress,
    )
}

fn option(symbol: &str) -> OptionSymbol {
    OptionSymbol::parse(symbol).unwrap()
}

fn session(tape: &Tape, underlying: &str, day: Date) -> std::sync::Arc<SessionFile> {
    tape.session(underlying, day)
        .unwrap()
        .unwrap_or_else(|| panic!("no session {underlying} {day}"))
}

fn owner(session: &SessionFile, symbol: &str) -> Owner {
    session
        .contract(&option(symbol))
        .unwrap_or_else(|| panic!("{symbol} is not listed"))
}

fn everything<R: tape::Record>(session: &SessionFile, owner: Owner) -> Vec<R> {
    session
        .range::<R>(
            owner,
            Timestamp::from_nanos(0),
            Timestamp::from_nanos(i64::MAX),
            Order::Ascending,
            None,
            usize::MAX,
        )
        .unwrap()
        .records
}

fn symbols(session: &SessionFile) -> Vec<String> {
    let mut list: Vec<String> = session.contracts().iter().map(|c| c.symbol.osi()).collect();
    list.sort();
    list
}

fn keys(list: &[(&str, Date)]) -> Vec<(String, Date)> {
    list.iter().map(|(u, d)| (u.to_string(), *d)).collect()
}

#[allow(clippy::too_many_arguments)]
fn quote(
    ts: Timestamp,
    bid: i64,
    bid_size: u32,
    bid_exchange: u16,
    ask: i64,
    ask_size: u32,
    ask_exchange: u16,
) -> Quote {
    Quote {
        ts,
        bid,
        ask,
        bid_size,
        ask_size,
        bid_exchange,
        ask_exchange,
    }
}

fn trade(ts: Timestamp, price: i64, whole: u64, exchange: u16, sequence: u64) -> Trade {
    Trade {
        ts,
        price,
        size: whole * 1_000_000,
        exchange,
        conditions: [condition::NONE; 4],
        sequence,
    }
}

/// The files of a session folder, to see that nothing was left behind.
fn folder(tape: &Tape, underlying: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(tape.root().join(underlying))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// --- options ------------------------------------------------------------------------------------

#[test]
fn cbbo_1s_becomes_option_quotes_at_the_interval_end() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, "opra-20250115.cbbo-1s.dbn").unwrap();
    assert_eq!(report.format, "databento-dbn");
    assert_eq!(report.records, 32);
    assert_eq!(report.sessions, keys(&[("SPX", DAY), ("SPY", DAY)]));

    let spx = session(&tape, "SPX", DAY);
    assert_eq!(
        symbols(&spx),
        ["SPXW  250115C05950000", "SPXW  250115P05900000"]
    );
    let call = owner(&spx, "SPXW  250115C05950000");
    assert_eq!(
        everything::<Quote>(&spx, call),
        [
            quote(
                utc(14, 30, 1, 0),
                cents(420),
                15,
                venue::CBOE,
                cents(440),
                20,
                venue::CBOE_C2
            ),
            quote(
                utc(14, 30, 2, 0),
                cents(425),
                10,
                venue::CBOE,
                cents(440),
                18,
                venue::CBOE_C2
            ),
            // The vendor carried the quote into an interval with only a trade: kept as sampled.
            quote(
                utc(14, 30, 3, 0),
                cents(425),
                10,
                venue::CBOE,
                cents(440),
                18,
                venue::CBOE_C2
            ),
            quote(
                utc(14, 30, 5, 0),
                cents(410),
                5,
                venue::CBOE_EDGX,
                cents(435),
                7,
                venue::CBOE_BZX
            ),
        ]
    );
    assert_eq!(
        spx.count(call, Kind::Trades),
        0,
        "cbbo's last sale is not a trade"
    );
    let put = owner(&spx, "SPXW  250115P05900000");
    assert_eq!(
        everything::<Quote>(&spx, put),
        [
            // One-sided: the absent bid is price 0, size 0, no venue.
            quote(utc(14, 30, 1, 0), 0, 0, 0, cents(5), 50, venue::CBOE),
            quote(
                utc(14, 30, 4, 0),
                cents(5),
                10,
                venue::CBOE,
                cents(10),
                40,
                venue::CBOE
            ),
        ]
    );
    // As-of reads carry the last sample forward between records.
    assert_eq!(
        spx.quote_at(call, utc(14, 30, 4, 999_999_999))
            .unwrap()
            .unwrap()
            .ts,
        utc(14, 30, 3, 0)
    );

    let spy = session(&tape, "SPY", DAY);
    let spy_call = owner(&spy, "SPY   250117C00590000");
    let quotes = everything::<Quote>(&spy, spy_call);
    assert_eq!(quotes.len(), 26);
    assert_eq!(
        quotes[0],
        quote(
            utc(14, 30, 1, 0),
            cents(311),
            100,
            venue::NYSE_ARCA,
            cents(313),
            80,
            venue::ISE
        )
    );
    assert_eq!(
        quotes[25],
        quote(
            utc(14, 32, 56, 0),
            cents(319),
            125,
            venue::NYSE_ARCA,
            cents(321),
            130,
            venue::ISE
        )
    );
    assert!(spx.sources()[0].starts_with("databento-dbn opra-20250115.cbbo-1s.dbn sha256:"));
}

#[test]
fn tcbbo_gives_trades_and_keeps_the_quotes_of_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    import(&tape, "opra-20250115.cbbo-1s.dbn").unwrap();
    let report = import(&tape, "opra-20250115.tcbbo.dbn").unwrap();
    assert_eq!(report.records, 6);
    assert_eq!(
        report.sessions,
        keys(&[("AAPL", DAY), ("SPX", DAY), ("SPY", DAY)])
    );

    let spx = session(&tape, "SPX", DAY);
    assert_eq!(
        symbols(&spx),
        [
            "SPX   250117C06000000",
            "SPXW  250115C05950000",
            "SPXW  250115P05900000"
        ]
    );
    let call = owner(&spx, "SPXW  250115C05950000");
    assert_eq!(spx.count(call, Kind::Quotes), 4, "cbbo-1s quotes are kept");
    assert_eq!(
        spx.count(owner(&spx, "SPXW  250115P05900000"), Kind::Quotes),
        2
    );
    // tcbbo has no sequence numbers: trades are numbered within the series.
    assert_eq!(
        everything::<Trade>(&spx, call),
        [
            trade(utc(14, 30, 2, 500_000_000), cents(430), 2, venue::CBOE, 1),
            trade(
                utc(14, 30, 6, 250_000_000),
                cents(420),
                1,
                venue::CBOE_C2,
                2
            ),
        ]
    );
    let spx_call = owner(&spx, "SPX   250117C06000000");
    assert_eq!(
        everything::<Trade>(&spx, spx_call),
        [trade(utc(14, 32, 0, 0), cents(1250), 1, venue::CBOE, 1)]
    );
    assert_eq!(
        spx.count(spx_call, Kind::Quotes),
        0,
        "the pre-trade BBO is not stored"
    );
    // Bars are made from the trades.
    let day = spx.day(call).unwrap();
    assert_eq!(
        (day.open, day.close, day.volume),
        (cents(430), cents(420), 3_000_000)
    );
    let labels: Vec<(Kind, &str)> = spx
        .series_list()
        .filter(|(o, _, _, _)| *o == call)
        .map(|(_, k, s, _)| (k, s.split(' ').nth(1).unwrap()))
        .collect();
    assert_eq!(
        labels,
        // A few trades keep no stored bars: bars are made from the trades when asked for.
        [
            (Kind::Quotes, "opra-20250115.cbbo-1s.dbn"),
            (Kind::Trades, "opra-20250115.tcbbo.dbn"),
        ]
    );

    let spy = session(&tape, "SPY", DAY);
    assert_eq!(
        everything::<Trade>(&spy, owner(&spy, "SPY   250117C00590000")),
        [
            trade(utc(14, 30, 1, 750_000_000), cents(312), 10, venue::ISE, 1),
            trade(utc(14, 31, 15, 0), cents(315), 5, venue::NYSE_ARCA, 2),
        ]
    );
    let aapl = session(&tape, "AAPL", DAY);
    assert_eq!(
        everything::<Trade>(&aapl, owner(&aapl, "AAPL  250117C00230000")),
        [trade(utc(14, 30, 30, 0), cents(485), 3, venue::BOX, 1)]
    );
}

#[test]
fn compressed_trades_carry_their_sequence_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let path = fixture("opra-20250115.trades.dbn.zst");
    let seen = Mutex::new(Vec::new());
    let progress = |n: u64| seen.lock().unwrap().push(n);
    let report = import_file(&tape, &path, &ImportOptions::default(), &progress).unwrap();
    assert_eq!(report.format, "databento-dbn");
    assert_eq!(report.records, 6);
    assert_eq!(
        seen.lock().unwrap().last().copied(),
        Some(std::fs::metadata(&path).unwrap().len()),
        "progress counts the stored (compressed) bytes"
    );
    let spx = session(&tape, "SPX", DAY);
    assert_eq!(
        everything::<Trade>(&spx, owner(&spx, "SPXW  250115C05950000")),
        [
            trade(utc(14, 30, 2, 500_000_000), cents(430), 2, venue::CBOE, 77),
            trade(
                utc(14, 30, 6, 250_000_000),
                cents(420),
                1,
                venue::CBOE_C2,
                78
            ),
        ]
    );
    let spy = session(&tape, "SPY", DAY);
    assert_eq!(
        everything::<Trade>(&spy, owner(&spy, "SPY   250117C00590000")),
        [
            trade(utc(14, 30, 1, 750_000_000), cents(312), 10, venue::ISE, 501),
            trade(utc(14, 31, 15, 0), cents(315), 5, venue::NYSE_ARCA, 502),
        ]
    );
}

#[test]
fn underlyings_outside_the_filter_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let options = ImportOptions {
        underlyings: Some(["SPX".to_string()].into()),
    };
    let report = import_file(
        &tape,
        &fixture("opra-20250115.tcbbo.dbn"),
        &options,
        &no_progress,
    )
    .unwrap();
    assert_eq!(report.records, 3, "two SPXW trades and one SPX trade");
    assert_eq!(report.sessions, keys(&[("SPX", DAY)]));
    assert!(tape.session("SPY", DAY).unwrap().is_none());
}

#[test]
fn definitions_list_the_chain_and_later_files_keep_it() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, "opra-20250115.definition.dbn").unwrap();
    assert_eq!(report.records, 6);
    assert_eq!(
        report.sessions,
        keys(&[("AAPL", DAY), ("SPX", DAY), ("SPY", DAY)])
    );
    let spx = session(&tape, "SPX", DAY);
    assert_eq!(
        symbols(&spx),
        [
            "SPX   250117C06000000",
            "SPXW  250115C05950000",
            "SPXW  250115P05900000"
        ]
    );
    assert_eq!(
        spx.series_list().count(),
        0,
        "a definitions file holds no market data"
    );
    drop(spx);

    import(&tape, "opra-20250115.cbbo-1s.dbn").unwrap();
    let spx = session(&tape, "SPX", DAY);
    assert_eq!(
        symbols(&spx).len(),
        3,
        "contracts without quotes stay listed"
    );
    assert_eq!(
        spx.count(owner(&spx, "SPXW  250115C05950000"), Kind::Quotes),
        4
    );
    let spy = session(&tape, "SPY", DAY);
    assert_eq!(
        symbols(&spy),
        ["SPY   250117C00590000", "SPY   250117P00585000"]
    );
}

#[test]
fn open_interest_goes_to_the_session_it_describes() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    import(&tape, "opra-20250115.cbbo-1s.dbn").unwrap();
    // Received on the morning of 2025-01-16 with that day's instrument ids.
    let report = import(&tape, "opra-20250116.statistics.dbn").unwrap();
    assert_eq!(
        report.records, 4,
        "open interest only; cleared volume is skipped"
    );
    assert_eq!(report.sessions, keys(&[("SPX", DAY), ("SPY", DAY)]));
    assert!(tape.session("SPY", date(2025, 1, 16)).unwrap().is_none());

    let spy = session(&tape, "SPY", DAY);
    let oi =
        |s: &SessionFile, symbol: &str| s.contract_entry(owner(s, symbol)).unwrap().open_interest;
    assert_eq!(oi(&spy, "SPY   250117C00590000"), Some(15_234));
    assert_eq!(oi(&spy, "SPY   250117P00585000"), Some(8_800));
    // Id 1001 meant SPXW 5950 C on the 15th but SPY 595 C on the 16th.
    assert_eq!(oi(&spy, "SPY   250117C00595000"), Some(777));
    let spx = session(&tape, "SPX", DAY);
    assert_eq!(
        oi(&spx, "SPX   250117C06000000"),
        Some(421),
        "keyed by ts_ref"
    );
    assert_eq!(oi(&spx, "SPXW  250115C05950000"), None);
    assert_eq!(
        spx.count(owner(&spx, "SPXW  250115C05950000"), Kind::Quotes),
        4,
        "open interest replaces no market data"
    );
}

#[test]
fn a_mixed_file_resolves_ids_through_its_own_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, "opra-20250115.mixed.dbn").unwrap();
    assert_eq!(
        report.records, 7,
        "2 definitions, 1 open interest, 3 quotes, 1 trade"
    );
    let before = date(2025, 1, 14);
    assert_eq!(report.sessions, keys(&[("SPX", before), ("SPX", DAY)]));

    // The open interest received on the morning of the 15th describes the 14th.
    let previous = session(&tape, "SPX", before);
    let entry = previous
        .contract_entry(owner(&previous, "SPXW  250115C05950000"))
        .unwrap();
    assert_eq!(entry.open_interest, Some(5000));

    let spx = session(&tape, "SPX", DAY);
    let call = owner(&spx, "SPXW  250115C05950000");
    assert_eq!(
        everything::<Quote>(&spx, call),
        [
            quote(
                utc(14, 31, 0, 0),
                cents(410),
                5,
                venue::CBOE_EDGX,
                cents(435),
                7,
                venue::CBOE_BZX
            ),
            quote(
                utc(14, 32, 0, 0),
                cents(400),
                8,
                venue::CBOE,
                cents(420),
                6,
                venue::CBOE
            ),
        ]
    );
    assert_eq!(
        everything::<Trade>(&spx, call),
        [trade(
            utc(14, 31, 10, 0),
            cents(405),
            4,
            venue::CBOE_EDGX,
            79
        )]
    );
    assert_eq!(
        everything::<Quote>(&spx, owner(&spx, "SPXW  250115P05900000")),
        [quote(
            utc(14, 31, 0, 0),
            cents(5),
            10,
            venue::CBOE,
            cents(10),
            40,
            venue::CBOE
        )]
    );
}

#[test]
fn reimporting_the_same_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    import(&tape, "opra-20250115.cbbo-1s.dbn").unwrap();
    let path = tape.session_path("SPX", DAY);
    let bytes = std::fs::read(&path).unwrap();
    let again = import(&tape, "opra-20250115.cbbo-1s.dbn").unwrap();
    assert!(again.sessions.is_empty());
    assert_eq!(again.unchanged, keys(&[("SPX", DAY), ("SPY", DAY)]));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn version_1_files_are_upgraded_and_offsets_stay_those_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, "opra-20250115.v1.dbn").unwrap();
    assert_eq!(report.records, 3, "a definition, open interest and a trade");
    let before = date(2025, 1, 14);
    assert_eq!(report.sessions, keys(&[("SPY", before), ("SPY", DAY)]));
    let previous = session(&tape, "SPY", before);
    let call = owner(&previous, "SPY   250117C00590000");
    assert_eq!(
        previous.contract_entry(call).unwrap().open_interest,
        Some(15_000)
    );
    let spy = session(&tape, "SPY", DAY);
    assert_eq!(
        everything::<Trade>(&spy, owner(&spy, "SPY   250117C00590000")),
        [trade(
            utc(14, 30, 1, 750_000_000),
            cents(312),
            10,
            venue::ISE,
            501
        )]
    );

    let name = "broken-v1-unresolved.dbn";
    let err = import(&tape, name).unwrap_err();
    // Metadata, a 360-byte v1 definition, a 64-byte v1 statistic and a 48-byte trade.
    assert_eq!(metadata_len(name), 150);
    assert_eq!(err.at, Some(Location::Offset(150 + 360 + 64 + 48)));
    assert!(err.reason.contains("instrument_id 4242"), "{}", err.reason);
}

#[test]
fn a_live_stream_resolves_ids_through_its_symbol_mapping_records() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, "opra-20250115.live.dbn").unwrap();
    assert_eq!(
        report.records, 2,
        "two trades; mappings and the heartbeat are not data"
    );
    assert_eq!(report.sessions, keys(&[("SPY", DAY)]));
    let spy = session(&tape, "SPY", DAY);
    assert_eq!(
        everything::<Trade>(&spy, owner(&spy, "SPY   250117C00590000")),
        [trade(
            utc(14, 30, 1, 750_000_000),
            cents(312),
            10,
            venue::ISE,
            501
        )]
    );
    assert_eq!(
        everything::<Trade>(&spy, owner(&spy, "SPY   250117P00585000")),
        [trade(utc(14, 30, 2, 0), cents(187), 4, venue::PHLX, 61)]
    );
}

#[test]
fn a_definition_that_contradicts_its_symbol_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let name = "broken-definition.dbn";
    let err = import(&tape, name).unwrap_err();
    assert_eq!(err.at, Some(Location::Offset(metadata_len(name) + 520)));
    assert_eq!(
        err.reason,
        "definition of instrument_id 1002: raw_symbol \"SPXW  250115P05900000\" has strike 5900 \
         but strike_price is 5950"
    );
    assert!(tape.session("SPX", DAY).unwrap().is_none());
}

// --- stocks -------------------------------------------------------------------------------------

#[test]
fn stock_trades_and_mbp_1_quotes_from_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, "xnas-20250115.trades-mbp1.dbn").unwrap();
    assert_eq!(report.records, 7, "4 top-of-book changes, 3 trades");
    assert_eq!(report.sessions, keys(&[("AAPL", DAY), ("SPY", DAY)]));
    let t0 = |nanos: i64| utc(14, 30, 0, nanos);
    let n = venue::NASDAQ;

    let spy = session(&tape, "SPY", DAY);
    assert!(spy.contracts().is_empty());
    assert_eq!(
        everything::<Quote>(&spy, Owner::Underlying),
        [
            quote(t0(1_000_000), cents(59_010), 300, n, cents(59_012), 500, n),
            quote(t0(2_000_000), cents(59_010), 300, n, cents(59_012), 700, n),
            // The trade event and the order-count change did not change the quote.
            quote(t0(3_000_100), cents(59_010), 300, n, cents(59_012), 500, n),
        ]
    );
    // Trades come from the trades schema; mbp-1's trade events are the same prints.
    assert_eq!(
        everything::<Trade>(&spy, Owner::Underlying),
        [
            trade(t0(3_000_000), cents(59_012), 200, n, 3),
            trade(t0(1_200_000_000), cents(59_011), 1, n, 8),
        ]
    );
    let aapl = session(&tape, "AAPL", DAY);
    assert_eq!(
        everything::<Quote>(&aapl, Owner::Underlying),
        [quote(
            t0(500_000_000),
            cents(22_985),
            100,
            n,
            cents(22_990),
            40,
            n
        )]
    );
    assert_eq!(
        everything::<Trade>(&aapl, Owner::Underlying),
        [trade(t0(1_000_000_000), cents(22_985), 50, n, 7)]
    );
}

#[test]
fn venues_books_are_consolidated_into_one_quote() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let report = import(&tape, "dbeq-20250115.mbp-1.dbn").unwrap();
    assert_eq!(report.records, 5);
    let aapl = session(&tape, "AAPL", DAY);
    let t0 = |nanos: i64| utc(14, 30, 0, nanos);
    let (chicago, iex) = (17, venue::IEX);
    assert_eq!(
        everything::<Quote>(&aapl, Owner::Underlying),
        [
            quote(
                t0(1_000),
                cents(22_980),
                100,
                chicago,
                cents(22_990),
                200,
                chicago
            ),
            quote(
                t0(2_000),
                cents(22_982),
                50,
                iex,
                cents(22_990),
                200,
                chicago
            ),
            quote(
                t0(3_000),
                cents(22_982),
                50,
                iex,
                cents(22_988),
                300,
                chicago
            ),
            // IEX's book emptied.
            quote(
                t0(4_000),
                cents(22_970),
                100,
                chicago,
                cents(22_988),
                300,
                chicago
            ),
            // Same price at both venues: the larger size is shown.
            quote(
                t0(6_000),
                cents(22_970),
                500,
                iex,
                cents(22_988),
                300,
                chicago
            ),
        ]
    );
    assert_eq!(aapl.count(Owner::Underlying, Kind::Trades), 0);
}

// --- errors -------------------------------------------------------------------------------------

/// Length of the metadata header of a DBN file: 8 bytes of prelude and the stated length.
fn metadata_len(name: &str) -> u64 {
    let bytes = std::fs::read(fixture(name)).unwrap();
    8 + u64::from(u32::from_le_bytes(bytes[4..8].try_into().unwrap()))
}

#[test]
fn a_truncated_record_is_an_error_at_its_offset_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    import(&tape, "opra-20250115.cbbo-1s.dbn").unwrap();
    let spx = tape.session_path("SPX", DAY);
    let spy = tape.session_path("SPY", DAY);
    let before = (std::fs::read(&spx).unwrap(), std::fs::read(&spy).unwrap());

    let name = "broken-truncated.cbbo-1s.dbn";
    let err = import(&tape, name).unwrap_err();
    let len = std::fs::metadata(fixture(name)).unwrap().len();
    // The last 80-byte record lost its final 30 bytes.
    assert_eq!(err.at, Some(Location::Offset(len - 50)));
    assert_eq!(
        err.reason,
        "truncated record: the file ends 50 bytes into a record of 80 bytes"
    );
    assert_eq!(err.file, fixture(name));
    assert!(
        err.to_string()
            .contains(&format!("byte offset {}", len - 50))
    );
    assert_eq!(
        (std::fs::read(&spx).unwrap(), std::fs::read(&spy).unwrap()),
        before,
        "the tape is unchanged"
    );
    assert_eq!(
        folder(&tape, "SPX"),
        ["2025-01-15.tape"],
        "no temporary files left"
    );
}

#[test]
fn an_unresolvable_instrument_names_its_id_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let name = "broken-unresolved.trades.dbn";
    let err = import(&tape, name).unwrap_err();
    // The second 48-byte trade.
    assert_eq!(err.at, Some(Location::Offset(metadata_len(name) + 48)));
    assert!(err.reason.contains("instrument_id 4242"), "{}", err.reason);
    assert!(err.reason.contains("2025-01-15"), "{}", err.reason);
    assert!(
        tape.session("SPX", DAY).unwrap().is_none(),
        "the first, good trade was not written either"
    );
}

#[test]
fn a_record_with_a_bad_length_is_an_error_at_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    let name = "broken-length.trades.dbn";
    let err = import(&tape, name).unwrap_err();
    assert_eq!(err.at, Some(Location::Offset(metadata_len(name) + 48)));
    assert!(
        err.reason.starts_with("invalid DBN record"),
        "{}",
        err.reason
    );
    assert!(tape.session("SPX", DAY).unwrap().is_none());
}

#[test]
fn each_file_replaces_only_what_its_schemas_provide() {
    // A quotes file replaces earlier quotes and keeps trades; a file with trades replaces the
    // trades of every contract in the sessions it touches.
    let dir = tempfile::tempdir().unwrap();
    let tape = Tape::new(dir.path());
    import(&tape, "opra-20250115.trades.dbn.zst").unwrap();
    import(&tape, "opra-20250115.mixed.dbn").unwrap();
    import(&tape, "opra-20250115.cbbo-1s.dbn").unwrap();
    let spx = session(&tape, "SPX", DAY);
    let call = owner(&spx, "SPXW  250115C05950000");
    assert_eq!(
        spx.count(call, Kind::Quotes),
        4,
        "cbbo-1s replaced the mixed file's cbbo-1m"
    );
    // The mixed file's trades replaced the trades file's (both provide option trades).
    assert_eq!(
        everything::<Trade>(&spx, call),
        [trade(
            utc(14, 31, 10, 0),
            cents(405),
            4,
            venue::CBOE_EDGX,
            79
        )]
    );
}
