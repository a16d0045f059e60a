//! Writing and reading session files: round trips, query semantics, damage detection.

use jiff::civil::{Date, date};
use model::Timestamp;
use model::symbol::OptionSymbol;
use proptest::prelude::*;
use tape::{
    IndexValue, Instrument, Kind, Order, Owner, Quote, SessionBuilder, SessionFile, Tape, Trade,
};

const OPEN: i64 = 1_736_951_400; // 2025-01-15 14:30:00 UTC
const DATE: Date = date(2025, 1, 15);

fn t(seconds: i64) -> Timestamp {
    Timestamp::from_seconds(OPEN + seconds)
}

fn key(strike: u32, right: char) -> OptionSymbol {
    OptionSymbol::parse(&format!("SPXW250115{right}{:08}", strike * 1000)).unwrap()
}

fn quote(ts: Timestamp, bid_cents: i64, ask_cents: i64) -> Quote {
    Quote {
        ts,
        bid: bid_cents * 10_000_000,
        ask: ask_cents * 10_000_000,
        bid_size: 10,
        ask_size: 12,
        bid_exchange: 5,
        ask_exchange: 6,
    }
}

/// Two contracts quoting every second for an hour (3600 quotes each, several chunks), trades,
/// and index values for the underlying.
fn write_sample(root: &std::path::Path) -> std::path::PathBuf {
    let mut builder = SessionBuilder::create(root, "SPX", DATE).unwrap();
    let call = builder.contract(key(5950, 'C')).unwrap();
    let put = builder.contract(key(5900, 'P')).unwrap();
    builder.set_open_interest(call, 9120).unwrap();
    for s in 0..3600 {
        let wiggle = (s / 7) % 5;
        builder
            .quote(call, quote(t(s), 210 + wiggle, 230 + wiggle))
            .unwrap();
        if s % 3 == 0 {
            builder
                .quote(put, quote(t(s), 100 - wiggle, 110 - wiggle))
                .unwrap();
        }
        builder
            .value(IndexValue {
                ts: t(s),
                value: (5_940_000 + s * 10) * 1_000_000,
            })
            .unwrap();
        if s % 90 == 5 {
            builder
                .trade(
                    call,
                    Trade {
                        ts: t(s),
                        price: 2_200_000_000,
                        size: 3_000_000,
                        exchange: 5,
                        conditions: Trade::conditions_from(&[209]),
                        sequence: s as u64,
                    },
                )
                .unwrap();
        }
    }
    builder.finish().unwrap()
}

#[test]
fn a_written_session_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_sample(dir.path());
    assert_eq!(path, dir.path().join("SPX").join("2025-01-15.tape"));
    let session = SessionFile::open(&path).unwrap();
    assert_eq!(session.underlying(), "SPX");
    assert_eq!(session.date(), DATE);
    assert_eq!(session.contracts().len(), 2);
    let call = session.contract(&key(5950, 'C')).unwrap();
    let put = session.contract(&key(5900, 'P')).unwrap();
    assert_eq!(
        session.contract_entry(call).unwrap().open_interest,
        Some(9120)
    );
    assert_eq!(session.contract_entry(put).unwrap().open_interest, None);
    assert_eq!(session.count(call, Kind::Quotes), 3600);
    assert_eq!(session.count(put, Kind::Quotes), 1200);
    assert_eq!(session.count(call, Kind::Trades), 40);
    assert_eq!(session.count(Owner::Underlying, Kind::Values), 3600);
    // Index values make one-minute bars for the underlying.
    assert_eq!(session.count(Owner::Underlying, Kind::Bars), 60);
    assert_eq!(session.verify().unwrap(), 3600 + 1200 + 40 + 3600 + 60);
    // Sparse trades (one a minute) keep no stored bars: bars are made from the trades on demand.
    assert_eq!(session.count(call, Kind::Bars), 0);
    let minutes = session
        .bars(call, std::time::Duration::from_secs(60), t(0), t(3600))
        .unwrap();
    assert_eq!(minutes.len(), 40, "one bar per minute that traded");
    let day = session.day(call).unwrap();
    assert_eq!(day.volume, 40 * 3_000_000);
    assert_eq!(day.transactions, 40);
    assert_eq!(day.open, 2_200_000_000);
    assert!(session.day(put).is_none());
}

#[test]
fn as_of_sees_records_at_the_instant_and_never_after() {
    let dir = tempfile::tempdir().unwrap();
    let session = SessionFile::open(&write_sample(dir.path())).unwrap();
    let put = session.contract(&key(5900, 'P')).unwrap();
    assert_eq!(
        session.quote_at(put, t(-1)).unwrap(),
        None,
        "nothing before the first quote"
    );
    assert_eq!(
        session.quote_at(put, t(0)).unwrap().unwrap().ts,
        t(0),
        "a quote at exactly t counts"
    );
    let just_before = Timestamp::from_nanos(t(3).as_nanos() - 1);
    assert_eq!(
        session.quote_at(put, just_before).unwrap().unwrap().ts,
        t(0)
    );
    assert_eq!(session.quote_at(put, t(3)).unwrap().unwrap().ts, t(3));
    assert_eq!(
        session.quote_at(put, t(99_999)).unwrap().unwrap().ts,
        t(3597),
        "the last one stays"
    );
    assert_eq!(
        session.value_at(t(1500)).unwrap().unwrap().value,
        (5_940_000 + 15_000) * 1_000_000
    );
    let chain = session.chain_at(t(2), |_| true).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[1].1.ts, t(0));
    let calls_only = session
        .chain_at(t(2), |c| c.symbol.right == model::symbol::Right::Call)
        .unwrap();
    assert_eq!(calls_only.len(), 1);
    assert!(session.chain_at(t(-5), |_| true).unwrap().is_empty());
}

#[test]
fn ranges_page_forward_and_backward() {
    let dir = tempfile::tempdir().unwrap();
    let session = SessionFile::open(&write_sample(dir.path())).unwrap();
    let call = session.contract(&key(5950, 'C')).unwrap();
    // [t(1000), t(3500)): 2500 quotes, read in pages of 700 across chunk boundaries.
    let mut seen = Vec::new();
    let mut resume = None;
    loop {
        let page = session
            .range::<Quote>(call, t(1000), t(3500), Order::Ascending, resume, 700)
            .unwrap();
        seen.extend(page.records.iter().map(|q| q.ts));
        match page.next {
            Some(next) => resume = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, (1000..3500).map(t).collect::<Vec<_>>());
    let mut seen = Vec::new();
    let mut resume = None;
    loop {
        let page = session
            .range::<Quote>(call, t(1000), t(3500), Order::Descending, resume, 999)
            .unwrap();
        seen.extend(page.records.iter().map(|q| q.ts));
        match page.next {
            Some(next) => resume = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, (1000..3500).rev().map(t).collect::<Vec<_>>());
    let empty = session
        .range::<Quote>(call, t(5000), t(6000), Order::Ascending, None, 10)
        .unwrap();
    assert!(empty.records.is_empty() && empty.next.is_none());
    let trades = session
        .range::<Trade>(call, t(0), t(3600), Order::Ascending, None, 1000)
        .unwrap();
    assert_eq!(trades.records.len(), 40);
    assert_eq!(
        trades.records[0].condition_codes().collect::<Vec<_>>(),
        vec![209]
    );
}

#[test]
fn first_instant_finds_the_earliest_event_where_a_condition_holds() {
    let dir = tempfile::tempdir().unwrap();
    let session = SessionFile::open(&write_sample(dir.path())).unwrap();
    let call = session.contract(&key(5950, 'C')).unwrap();
    let put = session.contract(&key(5900, 'P')).unwrap();
    // Net mid of call - put is 1.15 + 0.02 x wiggle: it reaches 1.22 when the wiggle is 4.
    let found = session
        .first_instant(&[call, put], t(0), t(3600), |_, quotes| {
            let (Some(c), Some(p)) = (quotes[0], quotes[1]) else {
                return false;
            };
            c.mid().unwrap() - p.mid().unwrap() >= 1_220_000_000
        })
        .unwrap()
        .unwrap();
    // Brute force over every second agrees.
    let expected = (1..=3600)
        .find(|s| {
            let c = session.quote_at(call, t(*s)).unwrap().unwrap();
            let p = session.quote_at(put, t(*s)).unwrap().unwrap();
            c.mid().unwrap() - p.mid().unwrap() >= 1_220_000_000
        })
        .unwrap();
    assert_eq!(found.0, t(expected));
    // Strictly after: starting at the found instant finds a later one.
    let later = session
        .first_instant(&[call, put], found.0, t(3600), |_, _| true)
        .unwrap()
        .unwrap();
    assert_eq!(later.0, t(expected + 1));
    assert!(
        session
            .first_instant(&[call], t(3599), t(3599), |_, _| true)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_search_every_second_sees_only_the_quotes_in_force_at_whole_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = SessionBuilder::create(dir.path(), "SPX", DATE).unwrap();
    let call = builder.contract(key(5950, 'C')).unwrap();
    let at = |s: i64, millis: i64| Timestamp::from_nanos(t(s).as_nanos() + millis * 1_000_000);
    builder.quote(call, quote(at(1, 0), 100, 110)).unwrap();
    // Rich for two tenths of a second, gone before 10 s turns 11 s.
    builder.quote(call, quote(at(10, 400), 300, 310)).unwrap();
    builder.quote(call, quote(at(10, 600), 100, 110)).unwrap();
    // Rich again from 20.5 s on.
    builder.quote(call, quote(at(20, 500), 300, 310)).unwrap();
    let path = builder.finish().unwrap();
    let session = SessionFile::open(&path).unwrap();
    let rich =
        |_: Timestamp, quotes: &[Option<Quote>]| quotes[0].is_some_and(|q| q.bid >= 3_000_000_000);
    let every_event = session
        .first_instant(&[call], t(0), t(60), rich)
        .unwrap()
        .unwrap();
    assert_eq!(every_event.0, at(10, 400));
    let every_second = session
        .first_instant_every(&[call], t(0), t(60), 1_000_000_000, rich)
        .unwrap()
        .unwrap();
    assert_eq!(every_second.0, t(21));
    assert_eq!(every_second.1[0].unwrap().ts, at(20, 500));
    assert!(
        session
            .first_instant_every(&[call], t(0), t(20), 1_000_000_000, rich)
            .unwrap()
            .is_none(),
        "the quote of 20.5 s is first seen at 21 s"
    );
}

#[test]
fn a_search_within_bounds_finds_what_the_full_search_finds() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = SessionBuilder::create(dir.path(), "SPX", DATE).unwrap();
    let call = builder.contract(key(5950, 'C')).unwrap();
    let put = builder.contract(key(5900, 'P')).unwrap();
    // The call climbs from $1.00 to about $4.60 over the hour with a wiggle; the put falls.
    for s in 0..3600 {
        let wiggle = (s * 7919) % 13;
        let call_bid = 100 + s / 10 + wiggle;
        builder
            .quote(call, quote(t(s), call_bid, call_bid + 5))
            .unwrap();
        if s % 4 == 1 {
            let put_bid = 500 - s / 12 + wiggle;
            builder
                .quote(put, quote(t(s), put_bid, put_bid + 5))
                .unwrap();
        }
    }
    let session = SessionFile::open(&builder.finish().unwrap()).unwrap();
    let legs = [
        session.contract(&key(5950, 'C')).unwrap(),
        session.contract(&key(5900, 'P')).unwrap(),
    ];
    let cent = 10_000_000;
    // Selling the call and buying the put: a credit of at least `limit` cents.
    for limit in [-500, -300, -100, 0, 37, 150, 260, 330, 420] {
        let condition = |_: Timestamp, q: &[Option<Quote>]| match (q[0], q[1]) {
            (Some(c), Some(p)) => c.bid - p.ask >= limit * cent,
            _ => false,
        };
        let could_hold = |b: &[Option<tape::QuoteBounds>]| match (b[0], b[1]) {
            (Some(c), Some(p)) => c.bid_high - p.ask_low >= limit * cent,
            _ => true,
        };
        let full = session
            .first_instant(&legs, t(0), t(3600), condition)
            .unwrap();
        let bounded = session
            .first_instant_within_bounds(&legs, t(0), t(3600), could_hold, condition)
            .unwrap();
        if limit == 420 {
            assert!(bounded.is_none(), "a credit never reached is never found");
        }
        assert_eq!(full, bounded, "credit {limit}");
    }
    // The chunk index alone rules out every window of a credit never within reach.
    let mut ruled_out = 0;
    let never = session
        .first_instant_within_bounds(
            &legs,
            t(0),
            t(3600),
            |b| {
                let possible = match (b[0], b[1]) {
                    (Some(c), Some(p)) => c.bid_high - p.ask_low >= 420 * cent,
                    _ => true,
                };
                ruled_out += usize::from(!possible);
                possible
            },
            |_, q| match (q[0], q[1]) {
                (Some(c), Some(p)) => c.bid - p.ask >= 420 * cent,
                _ => false,
            },
        )
        .unwrap();
    assert!(never.is_none());
    // Twelve five-minute windows in the hour; in the first, the put has not quoted yet at its
    // start, so it cannot be ruled out.
    assert_eq!(ruled_out, 11);
    // From any instant: windows are cut wherever the search starts.
    for start in [1, 299, 300, 301, 1234, 3000] {
        let condition =
            |_: Timestamp, q: &[Option<Quote>]| q[0].is_some_and(|c| c.bid >= 300 * cent);
        let could_hold =
            |b: &[Option<tape::QuoteBounds>]| b[0].is_none_or(|c| c.bid_high >= 300 * cent);
        assert_eq!(
            session
                .first_instant(&legs, t(start), t(3600), condition)
                .unwrap()
                .map(|f| f.0),
            session
                .first_instant_within_bounds(&legs, t(start), t(3600), could_hold, condition)
                .unwrap()
                .map(|f| f.0),
            "from {start}"
        );
    }
}

#[test]
fn bars_of_any_whole_second_span() {
    let dir = tempfile::tempdir().unwrap();
    let session = SessionFile::open(&write_sample(dir.path())).unwrap();
    let call = session.contract(&key(5950, 'C')).unwrap();
    let minute = std::time::Duration::from_secs(60);
    let five = session.bars(call, 5 * minute, t(0), t(3600)).unwrap();
    // Trades at s % 90 == 5: minutes 0, 1, 3, 4, 6, ... fall into every 5-minute bucket.
    assert_eq!(five.len(), 12);
    assert_eq!(five.iter().map(|b| b.transactions).sum::<u32>(), 40);
    assert_eq!(five[0].start, t(0));
    assert_eq!(five[1].start, t(300));
    let tens = session
        .bars(call, std::time::Duration::from_secs(10), t(0), t(100))
        .unwrap();
    assert_eq!(
        tens.iter().map(|b| b.start).collect::<Vec<_>>(),
        vec![t(0), t(90)]
    );
    // Hour bars sit on the hour: the half hours after a 14:30 UTC open make two of them.
    let index = session
        .bars(Owner::Underlying, 60 * minute, t(0), t(3600))
        .unwrap();
    assert_eq!(index.len(), 2);
    assert_eq!(index[0].start, t(-1800));
    assert_eq!(index[0].open, 5_940_000 * 1_000_000);
    assert_eq!(index[1].close, (5_940_000 + 35_990) * 1_000_000);
    assert_eq!(index[1].volume, 0);
    assert!(
        session
            .bars(call, std::time::Duration::from_millis(1500), t(0), t(10))
            .is_err()
    );
}

#[test]
fn the_same_input_gives_byte_identical_files() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let bytes_a = std::fs::read(write_sample(a.path())).unwrap();
    let bytes_b = std::fs::read(write_sample(b.path())).unwrap();
    assert_eq!(bytes_a, bytes_b);
}

#[test]
fn records_out_of_order_are_refused_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = SessionBuilder::create(dir.path(), "SPX", DATE).unwrap();
    let call = builder.contract(key(5950, 'C')).unwrap();
    builder.quote(call, quote(t(10), 1, 2)).unwrap();
    let err = builder.quote(call, quote(t(9), 1, 2)).unwrap_err();
    assert!(err.to_string().contains("out of time order"), "{err}");
    drop(builder);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("SPX")).unwrap().collect();
    assert!(
        leftovers.is_empty(),
        "an abandoned build removes its temporary file"
    );
    assert!(SessionBuilder::create(dir.path(), "spx", DATE).is_err());
    assert!(SessionBuilder::create(dir.path(), "SPX", date(1900, 1, 2)).is_err());
}

#[test]
fn a_tape_folder_lists_underlyings_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    write_sample(dir.path());
    let mut builder = SessionBuilder::create(dir.path(), "SPX", date(2025, 1, 16)).unwrap();
    builder
        .value(IndexValue {
            ts: t(86_400),
            value: 1,
        })
        .unwrap();
    builder.finish().unwrap();
    let tape = Tape::new(dir.path());
    assert_eq!(tape.underlyings().unwrap(), vec!["SPX".to_string()]);
    assert_eq!(tape.sessions("SPX").unwrap(), vec![DATE, date(2025, 1, 16)]);
    assert!(tape.session("SPX", date(2025, 1, 17)).unwrap().is_none());
    let session = tape.session("SPX", DATE).unwrap().unwrap();
    assert_eq!(session.contracts().len(), 2);
    assert!(std::sync::Arc::ptr_eq(
        &session,
        &tape.session("SPX", DATE).unwrap().unwrap()
    ));
}

#[test]
fn damage_anywhere_is_reported_as_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_sample(dir.path());
    let original = std::fs::read(&path).unwrap();
    // Flip one byte at many places: the header, chunk payloads, the catalog, the footer.
    let step = (original.len() / 97).max(1);
    for at in
        (0..original.len())
            .step_by(step)
            .chain([0, 9, original.len() - 1, original.len() - 20])
    {
        let mut damaged = original.clone();
        damaged[at] ^= 0x5a;
        std::fs::write(&path, &damaged).unwrap();
        let outcome = SessionFile::open(&path).and_then(|s| s.verify());
        let err = outcome.expect_err(&format!("byte {at} flipped but the file verified"));
        assert!(err.is_corrupt(), "byte {at}: {err}");
        assert!(err.to_string().contains("damaged tape file"), "{err}");
    }
    for len in [0, 10, 40, original.len() / 2, original.len() - 1] {
        std::fs::write(&path, &original[..len]).unwrap();
        assert!(
            SessionFile::open(&path).unwrap_err().is_corrupt(),
            "truncated to {len}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any time-ordered quotes round-trip, and as-of agrees with a linear scan.
    #[test]
    fn quotes_round_trip_and_as_of_matches_a_scan(
        gaps in proptest::collection::vec(0i64..3_000_000_000, 1..3000),
        probes in proptest::collection::vec(-1_000_000_000i64..4_000_000_000_000, 20),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = SessionBuilder::create(dir.path(), "QQQ", DATE).unwrap();
        let owner = builder.contract(key(500, 'P')).unwrap();
        let mut ts = t(0).as_nanos();
        let mut written = Vec::new();
        for (i, gap) in gaps.iter().enumerate() {
            ts += gap;
            let q = Quote { ts: Timestamp::from_nanos(ts), bid: (i as i64 % 17) * 5_000_000, ask: (i as i64 % 17 + 1) * 5_000_000, bid_size: i as u32 % 50, ask_size: 7, bid_exchange: 1, ask_exchange: 2 };
            builder.quote(owner, q).unwrap();
            written.push(q);
        }
        let session = SessionFile::open(&builder.finish().unwrap()).unwrap();
        let all = session.range::<Quote>(owner, Timestamp::from_nanos(i64::MIN), Timestamp::from_nanos(i64::MAX), Order::Ascending, None, usize::MAX).unwrap();
        prop_assert_eq!(&all.records, &written);
        for probe in probes {
            let at = Timestamp::from_nanos(t(0).as_nanos() + probe);
            let expected = written.iter().rev().find(|q| q.ts <= at).copied();
            prop_assert_eq!(session.quote_at(owner, at).unwrap(), expected);
        }
    }
}

#[test]
fn a_session_can_be_rebuilt_keeping_other_sources() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = SessionBuilder::create(dir.path(), "SPX", DATE).unwrap();
    builder.source("quotes-file");
    let call = builder.contract(key(5950, 'C')).unwrap();
    builder.quote(call, quote(t(0), 100, 110)).unwrap();
    builder.source("trades-file v1");
    builder
        .trade(
            call,
            Trade {
                ts: t(1),
                price: 1_050_000_000,
                size: 1_000_000,
                ..Trade::default()
            },
        )
        .unwrap();
    let path = builder.finish().unwrap();
    let old = SessionFile::open(&path).unwrap();
    assert_eq!(old.sources(), ["quotes-file", "trades-file v1"]);

    // Re-import the trades: keep everything that did not come from the old trades file.
    let mut builder = SessionBuilder::create(dir.path(), "SPX", DATE).unwrap();
    builder
        .copy_from(&old, |source, _, _| !source.starts_with("trades-file"))
        .unwrap();
    builder.source("trades-file v2");
    let call = builder.contract(key(5950, 'C')).unwrap();
    builder
        .trade(
            call,
            Trade {
                ts: t(2),
                price: 1_060_000_000,
                size: 2_000_000,
                ..Trade::default()
            },
        )
        .unwrap();
    drop(old);
    let new = SessionFile::open(&builder.finish().unwrap()).unwrap();
    let call = new.contract(&key(5950, 'C')).unwrap();
    assert_eq!(new.count(call, Kind::Quotes), 1, "the quotes survive");
    let trades = new
        .range::<Trade>(call, t(0), t(10), Order::Ascending, None, 10)
        .unwrap()
        .records;
    assert_eq!(trades.len(), 1, "the old trades are replaced");
    assert_eq!(trades[0].price, 1_060_000_000);
    let labels: Vec<&str> = new.series_list().map(|(_, _, source, _)| source).collect();
    assert!(labels.contains(&"quotes-file") && labels.contains(&"trades-file v2"));
    assert!(!labels.contains(&"trades-file v1"));
}

/// Sessions from 2025-01-13 to 2025-02-04 with one trade of a contract every ten minutes and an
/// underlying price that rises by a dollar a session.
fn write_month(root: &std::path::Path) -> (Tape, OptionSymbol) {
    let symbol = OptionSymbol::parse("SPX250321C06000000").unwrap();
    for (n, session) in model::calendar::sessions(date(2025, 1, 13), date(2025, 2, 4)).enumerate() {
        let mut builder = SessionBuilder::create(root, "SPX", session.date).unwrap();
        let owner = builder.contract(symbol).unwrap();
        for minute in (0..390).step_by(10) {
            let ts = session
                .open
                .plus(std::time::Duration::from_secs(minute * 60));
            let price = (1000 + n as i64 * 100 + minute as i64) * 10_000_000;
            builder
                .trade(
                    owner,
                    Trade {
                        ts,
                        price,
                        size: 2 * tape::SIZE_SCALE,
                        exchange: 5,
                        conditions: Trade::conditions_from(&[]),
                        sequence: minute,
                    },
                )
                .unwrap();
            builder
                .value(IndexValue {
                    ts,
                    value: (6000 + n as i64) * tape::PRICE_SCALE,
                })
                .unwrap();
        }
        builder.finish().unwrap();
    }
    (Tape::new(root), symbol)
}

#[test]
fn bars_span_sessions_by_day_week_and_month() {
    use tape::Span;
    let dir = tempfile::tempdir().unwrap();
    let (tape, symbol) = write_month(dir.path());
    let ny = |y, m, d| model::calendar::new_york_instant(date(y, m, d), 0, 0, 0);
    let option = Instrument::Option(&symbol);
    let whole = (ny(2025, 1, 1), ny(2025, 3, 1));

    // One bar per session, at New York midnight; 2025-01-20 (a holiday) has none.
    let days = tape
        .bars("SPX", option, Span::Days(1), whole.0, whole.1)
        .unwrap();
    assert_eq!(days.len(), 16);
    assert_eq!(days[0].start, ny(2025, 1, 13));
    assert_eq!(days[5].start, ny(2025, 1, 21));
    assert_eq!(days[0].open, 1000 * 10_000_000);
    assert_eq!(days[0].close, 1380 * 10_000_000);
    assert_eq!(days[0].volume, 39 * 2 * tape::SIZE_SCALE);
    assert_eq!(days[0].transactions, 39);
    // A range that ends mid-session shows that day's trades before its end only.
    let first_session = model::calendar::session(date(2025, 1, 13)).unwrap();
    let mid = first_session
        .open
        .plus(std::time::Duration::from_secs(95 * 60));
    let partial = tape
        .bars("SPX", option, Span::Days(1), whole.0, mid)
        .unwrap();
    assert_eq!(partial.len(), 1);
    assert_eq!(
        partial[0].transactions, 10,
        "trades at minutes 0, 10, ..., 90"
    );
    assert_eq!(partial[0].close, (1000 + 90) * 10_000_000);

    // Weeks start on Mondays; the holiday week has four sessions.
    let weeks = tape
        .bars("SPX", option, Span::Weeks(1), whole.0, whole.1)
        .unwrap();
    let starts: Vec<Timestamp> = weeks.iter().map(|b| b.start).collect();
    assert_eq!(
        starts,
        [
            ny(2025, 1, 13),
            ny(2025, 1, 20),
            ny(2025, 1, 27),
            ny(2025, 2, 3)
        ]
    );
    assert_eq!(weeks[1].transactions, 4 * 39);
    assert_eq!(weeks[0].open, days[0].open);
    assert_eq!(weeks[0].close, days[4].close);
    assert_eq!(weeks[0].high, days[4].high);
    assert_eq!(weeks[0].low, days[0].low);

    // Months, and a range that starts mid-month widens to the whole month.
    let months = tape
        .bars("SPX", option, Span::Months(1), ny(2025, 1, 20), whole.1)
        .unwrap();
    assert_eq!(months.len(), 2);
    assert_eq!(months[0].start, ny(2025, 1, 1));
    assert_eq!(months[0].transactions, 14 * 39);
    assert_eq!(months[1].start, ny(2025, 2, 1));
    assert_eq!(months[1].transactions, 2 * 39);
    // Volume-weighted: equal sizes, so the mean of the prices.
    let expected_vwap: i64 = (0..14)
        .flat_map(|n| {
            (0..390)
                .step_by(10)
                .map(move |m| (1000 + n * 100 + m) * 10_000_000)
        })
        .sum::<i64>()
        / (14 * 39);
    assert_eq!(months[0].vwap, expected_vwap);

    // Intraday spans within each session, across sessions; the underlying's from its values.
    let hours = tape
        .bars(
            "SPX",
            Instrument::Underlying,
            Span::Seconds(3600),
            ny(2025, 1, 13),
            ny(2025, 1, 15),
        )
        .unwrap();
    assert_eq!(hours.len(), 2 * 7, "09:30-10:00 and six whole hours, twice");
    assert!(hours.iter().all(|b| b.volume == 0));
    assert_eq!(hours[7].open, 6001 * tape::PRICE_SCALE);

    // Two-day buckets count days since 1970-01-01: fewer bars, the same trades.
    let pairs = tape
        .bars("SPX", option, Span::Days(2), whole.0, whole.1)
        .unwrap();
    assert!(pairs.len() < days.len());
    assert_eq!(pairs.iter().map(|b| b.transactions).sum::<u32>(), 16 * 39);

    assert!(
        tape.bars("SPX", option, Span::Weeks(0), whole.0, whole.1)
            .is_err()
    );
    let unknown = OptionSymbol::parse("SPX250321P05000000").unwrap();
    let none = tape.bars(
        "SPX",
        Instrument::Option(&unknown),
        Span::Days(1),
        whole.0,
        whole.1,
    );
    assert!(none.unwrap().is_empty());
}

/// An index moving each second and a call whose bid follows it at a delta of about 0.6.
fn index_and_call(seconds: i64) -> (Vec<IndexValue>, Vec<Quote>) {
    let mut index = 5_940_000_000_000i64;
    let (mut values, mut quotes) = (Vec::new(), Vec::new());
    for s in 0..seconds {
        index += ((s * 7919) % 9 - 4) * 250_000_000;
        values.push(IndexValue {
            ts: t(s),
            value: index,
        });
        let bid_cents = (2_000 + (index - 5_940_000_000_000) * 3 / 5 / 10_000_000) / 5 * 5;
        quotes.push(quote(
            Timestamp::from_nanos(t(s).as_nanos() + 400_000_000),
            bid_cents,
            bid_cents + 20,
        ));
    }
    (values, quotes)
}

#[test]
fn option_quotes_are_predicted_from_the_underlying_whatever_the_order_written() {
    let (values, quotes) = index_and_call(3600);
    // Writes the index values (if `values_at` says where: before or after the quotes) and the
    // call's quotes (if `with_quotes`).
    let write = |values_at: Option<bool>, with_quotes: bool| {
        let root = tempfile::tempdir().unwrap();
        let mut builder = SessionBuilder::create(root.path(), "SPX", DATE).unwrap();
        let call = builder.contract(key(5950, 'C')).unwrap();
        let add_values = |builder: &mut SessionBuilder| {
            for v in &values {
                builder.value(*v).unwrap();
            }
        };
        if values_at == Some(true) {
            add_values(&mut builder);
        }
        if with_quotes {
            for q in &quotes {
                builder.quote(call, *q).unwrap();
            }
        }
        if values_at == Some(false) {
            add_values(&mut builder);
        }
        let file = SessionFile::open(&builder.finish().unwrap()).unwrap();
        (root, file)
    };
    let (_a, first) = write(Some(true), true);
    let (_b, last) = write(Some(false), true);
    let (_c, quotes_alone) = write(None, true);
    let (_d, values_alone) = write(Some(true), false);
    let everything = |file: &SessionFile| {
        file.range::<Quote>(
            Owner::Contract(0),
            t(-1),
            t(4000),
            Order::Ascending,
            None,
            usize::MAX,
        )
        .unwrap()
        .records
    };
    assert_eq!(everything(&first), quotes);
    assert_eq!(everything(&last), quotes);
    assert_eq!(everything(&quotes_alone), quotes);
    assert_eq!(
        first.quote_at(Owner::Contract(0), t(1800)).unwrap(),
        Some(quotes[1799])
    );
    assert_eq!(first.verify().unwrap(), last.verify().unwrap());
    // The order of writing does not change the file; the prediction makes the quotes' share of
    // it far smaller than the same quotes cost on their own.
    assert_eq!(first.file_len(), last.file_len());
    let predicted = first.file_len() - values_alone.file_len();
    assert!(
        predicted * 2 < quotes_alone.file_len(),
        "quotes cost {predicted} bytes predicted, {} without",
        quotes_alone.file_len()
    );
}

#[test]
fn a_contracts_rows_page_across_sessions_in_either_order() {
    let dir = tempfile::tempdir().unwrap();
    let symbol = key(5950, 'C');
    let mut all = Vec::new();
    for day in [date(2025, 1, 14), date(2025, 1, 15)] {
        let open = model::calendar::session(day).unwrap().open;
        let mut builder = SessionBuilder::create(dir.path(), "SPX", day).unwrap();
        let owner = builder.contract(symbol).unwrap();
        for s in 0..300u64 {
            let ts = open.plus(std::time::Duration::from_secs(s));
            let q = quote(ts, 100 + all.len() as i64, 200 + all.len() as i64);
            builder.quote(owner, q).unwrap();
            all.push(q);
        }
        builder.finish().unwrap();
    }
    let tape = Tape::new(dir.path());
    let everything = (Timestamp::from_nanos(0), Timestamp::from_nanos(i64::MAX));
    let newest: Vec<Quote> = all.iter().rev().copied().collect();
    for (descending, expected) in [(false, &all), (true, &newest)] {
        for (offset, limit) in [
            (0, 600),
            (0, 250),
            (250, 250),
            (299, 2),
            (500, 250),
            (600, 5),
        ] {
            let (rows, total) = tape
                .page::<Quote>(
                    "SPX",
                    Instrument::Option(&symbol),
                    everything,
                    descending,
                    offset,
                    limit,
                )
                .unwrap();
            assert_eq!(total, 600);
            let end = (offset + limit).min(600);
            assert_eq!(rows, expected[offset..end], "{descending} {offset} {limit}");
        }
    }
    // A range inside one session, and the latest quote as of an instant.
    let open = model::calendar::session(date(2025, 1, 15)).unwrap().open;
    let range = (open, open.plus(std::time::Duration::from_secs(3)));
    let (rows, total) = tape
        .page::<Quote>("SPX", Instrument::Option(&symbol), range, false, 0, 10)
        .unwrap();
    assert_eq!((rows, total), (all[300..303].to_vec(), 3));
    let latest = tape
        .latest::<Quote>(
            "SPX",
            Instrument::Option(&symbol),
            open.plus(std::time::Duration::from_millis(1500)),
        )
        .unwrap();
    assert_eq!(latest, Some(all[301]));
    assert_eq!(
        tape.latest::<Quote>("SPX", Instrument::Option(&symbol), Timestamp::from_nanos(0))
            .unwrap(),
        None
    );
}

/// Two SPX sessions whose SPXW options are quoted every minute a nickel either side of their
/// Black-Scholes price at 20 % volatility, a 1.5 % dividend yield and a 4 % rate, with the index
/// fixed each session and a trade of the 5950 call every hour.
fn write_priced_chain(root: &std::path::Path) -> Tape {
    use pricing::{OptionKind, bsm_price};
    let settles = model::calendar::new_york_instant(date(2025, 1, 17), 16, 0, 0);
    for (day, spot) in [(date(2025, 1, 14), 5950.0), (date(2025, 1, 15), 5960.0)] {
        let session = model::calendar::session(day).unwrap();
        let mut builder = SessionBuilder::create(root, "SPX", day).unwrap();
        let mut owners = Vec::new();
        for strike in [5900u32, 5950, 6000] {
            for right in ['C', 'P'] {
                let symbol =
                    OptionSymbol::parse(&format!("SPXW250117{right}{:08}", strike * 1000)).unwrap();
                let owner = builder.contract(symbol).unwrap();
                builder.set_open_interest(owner, u64::from(strike)).unwrap();
                owners.push((owner, f64::from(strike), right));
            }
        }
        for minute in 0..390i64 {
            let ts = session
                .open
                .plus(std::time::Duration::from_secs(minute as u64 * 60));
            builder
                .value(IndexValue {
                    ts,
                    value: (spot * 1e9) as i64,
                })
                .unwrap();
            let years = (settles.as_nanos() - ts.as_nanos()) as f64 / 1e9 / (365.0 * 86_400.0);
            for (owner, strike, right) in &owners {
                let kind = if *right == 'C' {
                    OptionKind::Call
                } else {
                    OptionKind::Put
                };
                let price = bsm_price(kind, spot, *strike, years, 0.04, 0.015, 0.2);
                let nanos = (price * 1e9).round() as i64;
                let q = Quote {
                    ts,
                    bid: nanos - 50_000_000,
                    ask: nanos + 50_000_000,
                    bid_size: 10,
                    ask_size: 12,
                    bid_exchange: 5,
                    ask_exchange: 6,
                };
                builder.quote(*owner, q).unwrap();
                if *strike == 5950.0 && *right == 'C' && minute % 60 == 30 {
                    let trade = Trade {
                        ts,
                        price: nanos,
                        size: tape::SIZE_SCALE,
                        exchange: 5,
                        conditions: Trade::conditions_from(&[]),
                        sequence: minute as u64,
                    };
                    builder.trade(*owner, trade).unwrap();
                }
            }
        }
        builder.finish().unwrap();
    }
    Tape::new(root)
}

#[test]
fn a_chain_at_an_instant_prices_its_quotes_and_sees_nothing_after() {
    let dir = tempfile::tempdir().unwrap();
    let tape = write_priced_chain(dir.path());
    let call = OptionSymbol::parse("SPXW250117C05950000").unwrap();
    let open = model::calendar::session(date(2025, 1, 15)).unwrap().open;
    // 11:00 New York: 90 minutes in, exactly at a quote; the trades at 10:00 are before it,
    // the one at 11:00 is at it, and the 12:00 one after it.
    let at = open.plus(std::time::Duration::from_secs(90 * 60));
    let mut chain = tape.chain_at("SPX", at, 0.04).unwrap().unwrap();
    assert_eq!(chain.session_date(), date(2025, 1, 15));
    assert_eq!(chain.contracts().count(), 6);
    let underlying = chain.underlying().unwrap();
    assert_eq!(underlying.price, 5960 * tape::PRICE_SCALE);
    let snapshot = chain.snapshot(&call).unwrap().value.unwrap();
    assert_eq!(snapshot.quote.unwrap().ts, at);
    assert_eq!(snapshot.open_interest, Some(5950));
    let greeks = snapshot.greeks.unwrap();
    assert!((greeks.implied_volatility - 0.2).abs() < 1e-6, "{greeks:?}");
    let years = (model::calendar::new_york_instant(date(2025, 1, 17), 16, 0, 0).as_nanos()
        - at.as_nanos()) as f64
        / 1e9
        / (365.0 * 86_400.0);
    let exact = pricing::bsm_greeks(
        pricing::OptionKind::Call,
        5960.0,
        5950.0,
        years,
        0.04,
        0.015,
        0.2,
    );
    assert!(
        (greeks.delta - exact.delta).abs() < 1e-5,
        "{greeks:?} {exact:?}"
    );
    assert!((greeks.theta - exact.theta / 365.0).abs() < 1e-3);
    assert!((greeks.vega - exact.vega / 100.0).abs() < 1e-4);
    // Two trades by 11:00 (10:00 and 11:00), none after.
    let day = snapshot.day.unwrap();
    assert_eq!(day.volume, 2 * tape::SIZE_SCALE);
    assert_eq!(snapshot.last_trade.unwrap().ts, at);
    let previous = tape.session("SPX", date(2025, 1, 14)).unwrap().unwrap();
    let previous_close = previous
        .day(previous.contract(&call).unwrap())
        .unwrap()
        .close;
    assert_eq!(snapshot.previous_close, Some(previous_close));

    // Before the open the chain is the previous session's last, and its last trade is the
    // previous session's.
    let early = model::calendar::new_york_instant(date(2025, 1, 15), 8, 0, 0);
    let mut chain = tape.chain_at("SPX", early, 0.04).unwrap().unwrap();
    assert_eq!(chain.session_date(), date(2025, 1, 14));
    let snapshot = chain.snapshot(&call).unwrap().value.unwrap();
    assert_eq!(snapshot.last_trade.unwrap().price, previous_close);
    assert!(snapshot.quote.unwrap().ts < early);

    // Nothing before the first session, nothing for contracts not listed.
    let before = model::calendar::new_york_instant(date(2025, 1, 13), 12, 0, 0);
    assert!(tape.chain_at("SPX", before, 0.04).unwrap().is_none());
    let unlisted = OptionSymbol::parse("SPXW250117C07000000").unwrap();
    assert!(chain.snapshot(&unlisted).unwrap().value.is_none());
}

/// An SPX session of the 15th's SPXW 5950 and 6000 calls and puts over its first 20 minutes,
/// every series at irregular instants drawn from `seed`: index values, quotes and trades.
fn write_irregular_chain(root: &std::path::Path, seed: u64) -> Tape {
    let mut state = seed | 1;
    let mut draw = move |below: i64| {
        // xorshift: enough to spread instants and prices; the seed makes the case reproducible.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below as u64) as i64
    };
    let end = t(20 * 60).as_nanos();
    let mut builder = SessionBuilder::create(root, "SPX", DATE).unwrap();
    let mut ts = t(0).as_nanos();
    while ts < end {
        let value = IndexValue {
            ts: Timestamp::from_nanos(ts),
            value: (5970 + draw(20)) * tape::PRICE_SCALE,
        };
        builder.value(value).unwrap();
        ts += 1 + draw(3_000_000_000);
    }
    for (strike, right) in [(5950, 'C'), (5950, 'P'), (6000, 'C'), (6000, 'P')] {
        let owner = builder.contract(key(strike, right)).unwrap();
        let mut ts = t(0).as_nanos() + draw(10_000_000_000);
        while ts < end {
            let bid = 500 + draw(3000);
            builder
                .quote(
                    owner,
                    quote(Timestamp::from_nanos(ts), bid, bid + 10 + draw(40)),
                )
                .unwrap();
            ts += 1 + draw(5_000_000_000);
        }
        let mut ts = t(0).as_nanos() + draw(60_000_000_000);
        let mut sequence = 0;
        while ts < end && right == 'C' {
            let trade = Trade {
                ts: Timestamp::from_nanos(ts),
                price: (5 + draw(30)) * tape::PRICE_SCALE,
                size: (1 + draw(5) as u64) * tape::SIZE_SCALE,
                sequence,
                ..Trade::default()
            };
            builder.trade(owner, trade).unwrap();
            sequence += 1;
            ts += 1 + draw(4_000_000_000);
        }
    }
    builder.finish().unwrap();
    Tape::new(root)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// A snapshot holds over the instants it says: asked again anywhere in them, the chain gives
    /// exactly the same contract, Greeks included.
    #[test]
    fn a_snapshot_is_the_same_over_the_instants_it_holds(
        seed in any::<u64>(),
        probes in proptest::collection::vec(-30_000_000_000i64..1_300_000_000_000, 12),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let tape = write_irregular_chain(dir.path(), seed);
        let symbols = [key(5950, 'C'), key(5950, 'P'), key(6000, 'C'), key(6000, 'P')];
        for probe in probes {
            let at = Timestamp::from_nanos(t(0).as_nanos() + probe);
            let Some(mut chain) = tape.chain_at("SPX", at, 0.04).unwrap() else {
                continue;
            };
            for symbol in &symbols {
                let held = chain.snapshot(symbol).unwrap();
                prop_assert!(held.from <= at && at < held.until, "{held:?} at {at}");
                let last = held.until.as_nanos() - 1;
                let middle = held.from.as_nanos() + (last - held.from.as_nanos()) / 2;
                for again in [held.from.as_nanos(), middle, last] {
                    let again = Timestamp::from_nanos(again);
                    let mut other = tape.chain_at("SPX", again, 0.04).unwrap().unwrap();
                    let same = other.snapshot(symbol).unwrap();
                    prop_assert_eq!(&same.value, &held.value, "at {} and {}", at, again);
                }
            }
        }
    }
}
