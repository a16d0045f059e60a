//! A contract day by day: which sessions hold it, an expiration's contracts, and each day's
//! closing quote, grid quotes and trades, checked against the records written.

use jiff::civil::{Date, date};
use model::calendar::{self, new_york_instant};
use model::symbol::{OptionSymbol, Root};
use model::{Timestamp, venues::condition};
use proptest::prelude::*;
use std::time::Duration;
use tape::{Quote, SessionBuilder, Tape, Trade};

fn symbol(text: &str) -> OptionSymbol {
    OptionSymbol::parse(text).unwrap()
}

fn quote(ts: Timestamp, bid_cents: i64) -> Quote {
    Quote {
        ts,
        bid: bid_cents * 10_000_000,
        ask: (bid_cents + 5) * 10_000_000,
        bid_size: 3,
        ask_size: 4,
        bid_exchange: 5,
        ask_exchange: 6,
    }
}

fn trade(ts: Timestamp, sequence: u64) -> Trade {
    Trade {
        ts,
        price: 1_250_000_000,
        size: 2_000_000,
        exchange: 5,
        conditions: Trade::conditions_from(&[condition::AUTO_EXECUTION]),
        sequence,
    }
}

/// Reading "until" no particular instant: everything.
const LATER: Timestamp = Timestamp::from_nanos(i64::MAX);
const LATER_DAY: Date = Date::constant(2099, 12, 31);

fn seconds_after(t: Timestamp, s: u64) -> Timestamp {
    t.plus(Duration::from_secs(s))
}

/// SPY on three days: the 13th lists the call only, the 14th the call and the put, the 15th the
/// put only. The call quotes from the evening before (a stray record), then 09:30 onward.
fn write(root: &std::path::Path) -> Tape {
    let call = symbol("O:SPY250117C00590000");
    let put = symbol("O:SPY250117P00580000");
    let listings: [(Date, &[OptionSymbol]); 3] = [
        (date(2025, 1, 13), &[call]),
        (date(2025, 1, 14), &[call, put]),
        (date(2025, 1, 15), &[put]),
    ];
    for (day, contracts) in listings {
        let mut builder = SessionBuilder::create(root, "SPY", day).unwrap();
        for contract in contracts {
            let owner = builder.contract(*contract).unwrap();
            let open = calendar::session(day).unwrap().open;
            let evening = new_york_instant(day, 0, 0, 0).minus(Duration::from_secs(60));
            builder.quote(owner, quote(evening, 1)).unwrap();
            builder.trade(owner, trade(evening, 1)).unwrap();
            for s in 0..100 {
                builder
                    .quote(owner, quote(seconds_after(open, s * 7), 100 + s as i64))
                    .unwrap();
            }
            builder
                .trade(owner, trade(seconds_after(open, 30), 2))
                .unwrap();
        }
        builder.finish().unwrap();
    }
    Tape::new(root)
}

#[test]
fn days_are_the_sessions_that_list_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let tape = write(dir.path());
    let call = symbol("O:SPY250117C00590000");
    let days = |from, to| -> Vec<Date> {
        tape.contract_days(&call, from, to, LATER)
            .unwrap()
            .iter()
            .map(|d| d.date())
            .collect()
    };
    assert_eq!(
        days(date(2025, 1, 1), date(2025, 12, 31)),
        [date(2025, 1, 13), date(2025, 1, 14)]
    );
    assert_eq!(
        days(date(2025, 1, 14), date(2025, 1, 14)),
        [date(2025, 1, 14)]
    );
    assert!(days(date(2025, 1, 15), date(2025, 1, 31)).is_empty());
    assert!(tape.ever_listed(&call).unwrap());
    assert!(!tape.ever_listed(&symbol("O:SPY250117C00591000")).unwrap());
    // After its expiration no session can hold a contract.
    let expired = symbol("O:SPY250113C00590000");
    assert!(!tape.ever_listed(&expired).unwrap());

    let chain = tape
        .expiration_contracts(&Root::new("SPY").unwrap(), date(2025, 1, 17), LATER_DAY)
        .unwrap();
    assert_eq!(chain, [call, symbol("O:SPY250117P00580000")]);
    assert!(
        tape.expiration_contracts(&Root::new("SPY").unwrap(), date(2025, 1, 24), LATER_DAY)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_day_reads_its_own_date_only() {
    let dir = tempfile::tempdir().unwrap();
    let tape = write(dir.path());
    let call = symbol("O:SPY250117C00590000");
    let day = &tape
        .contract_days(&call, date(2025, 1, 14), date(2025, 1, 14), LATER)
        .unwrap()[0];
    let open = calendar::session(day.date()).unwrap().open;
    // The record from the evening before is not the date's.
    let trades = day.trades().unwrap();
    assert_eq!(trades, [trade(seconds_after(open, 30), 2)]);
    let midnight = new_york_instant(day.date(), 0, 0, 0);
    assert_eq!(
        day.quotes_at(&[midnight, open]).unwrap(),
        [None, Some(quote(open, 100))]
    );
    assert_eq!(
        day.closing_quote().unwrap(),
        Some(quote(seconds_after(open, 99 * 7), 199))
    );
    let summary = day.summary().unwrap().unwrap();
    assert_eq!((summary.open, summary.volume), (1_250_000_000, 4_000_000));
}

#[test]
fn a_day_read_until_an_instant_shows_nothing_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let tape = write(dir.path());
    let call = symbol("O:SPY250117C00590000");
    let open = calendar::session(date(2025, 1, 14)).unwrap().open;
    // Twenty seconds into the 14th: the 13th is whole, the 14th has begun, nothing later exists.
    let until = seconds_after(open, 20);
    let days = tape
        .contract_days(&call, date(2025, 1, 13), date(2025, 1, 31), until)
        .unwrap();
    assert_eq!(days.len(), 2);
    let day = &days[1];
    assert!(
        day.trades().unwrap().is_empty(),
        "the trade at 30 s is later"
    );
    assert_eq!(day.summary().unwrap(), None);
    assert_eq!(
        day.closing_quote().unwrap(),
        Some(quote(seconds_after(open, 14), 102))
    );
    // The grid of 7-second steps from midnight: 09:30:02, 09:30:09 and 09:30:16 by 09:30:20.
    let grid = day.grid_quotes(7_000, 34_200_000, 57_600_000).unwrap();
    let last = grid.last().unwrap();
    assert_eq!((grid.len(), last.0), (3, 34_216_000));
    // Before the 14th opens its listings are not there yet.
    let before = tape
        .contract_days(
            &call,
            date(2025, 1, 13),
            date(2025, 1, 31),
            open.minus(Duration::from_secs(86_400)),
        )
        .unwrap();
    assert_eq!(before.len(), 1);
    assert!(
        tape.expiration_contracts(
            &Root::new("SPY").unwrap(),
            date(2025, 1, 17),
            date(2025, 1, 13)
        )
        .unwrap()
        .len()
            == 1
    );
}

#[test]
fn the_closing_quote_is_at_the_close_of_the_day_early_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let call = symbol("O:SPY241220C00590000");
    // 2024-11-29 closes at 13:00; 2024-12-02 at 16:00.
    for (day, hour) in [(date(2024, 11, 29), 13), (date(2024, 12, 2), 16)] {
        let close = new_york_instant(day, hour, 0, 0);
        let mut builder = SessionBuilder::create(dir.path(), "SPY", day).unwrap();
        let owner = builder.contract(call).unwrap();
        builder
            .quote(owner, quote(close.minus(Duration::from_secs(1)), 10))
            .unwrap();
        builder.quote(owner, quote(close, 20)).unwrap();
        builder
            .quote(
                owner,
                quote(Timestamp::from_nanos(close.as_nanos() + 1), 30),
            )
            .unwrap();
        builder.finish().unwrap();
    }
    let tape = Tape::new(dir.path());
    let days = tape
        .contract_days(&call, date(2024, 11, 1), date(2024, 12, 31), LATER)
        .unwrap();
    assert_eq!(days.len(), 2);
    for day in days {
        let closing = day.closing_quote().unwrap().unwrap();
        assert_eq!(
            closing.bid,
            200_000_000,
            "{}: a quote at the close counts",
            day.date()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The walk gives what an as-of lookup at each instant gives.
    #[test]
    fn grid_quotes_are_as_of_lookups(
        mut offsets in proptest::collection::vec(0u64..40_000, 1..60),
        first in 0u64..40_000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let tape = write(dir.path());
        let call = symbol("O:SPY250117C00590000");
        let day = &tape.contract_days(&call, date(2025, 1, 13), date(2025, 1, 13), LATER).unwrap()[0];
        let midnight = new_york_instant(day.date(), 0, 0, 0);
        offsets.push(first);
        offsets.sort_unstable();
        // Instants from 00:00 to about 11:06, in milliseconds, so many fall between quotes,
        // some on them and some before the first.
        let instants: Vec<Timestamp> = offsets
            .iter()
            .map(|ms| midnight.plus(Duration::from_millis(ms * 1_000)))
            .collect();
        let walked = day.quotes_at(&instants).unwrap();
        for (t, got) in instants.iter().zip(walked) {
            let expected = day
                .session
                .quote_at(day.owner, *t)
                .unwrap()
                .filter(|q| q.ts >= midnight);
            prop_assert_eq!(got, expected, "at {}", t);
        }
    }
}

#[test]
fn the_grid_starts_at_the_first_quote_and_sees_nothing_later() {
    let dir = tempfile::tempdir().unwrap();
    let tape = write(dir.path());
    let call = symbol("O:SPY250117C00590000");
    let day = &tape
        .contract_days(&call, date(2025, 1, 13), date(2025, 1, 13), LATER)
        .unwrap()[0];
    let midnight = new_york_instant(day.date(), 0, 0, 0);
    // Every 5 seconds from midnight to 09:31: nothing before 09:30 (the evening's quote is
    // another date's), then the quote of 09:30:00, 09:30:07, ...
    let rows = day.grid_quotes(5_000, 0, 34_260_000).unwrap();
    assert_eq!(rows.first().map(|(ms, _)| *ms), Some(34_200_000));
    assert_eq!(rows.last().map(|(ms, _)| *ms), Some(34_260_000));
    assert_eq!(rows.len(), 13);
    for (ms, got) in rows {
        let t = midnight.plus(Duration::from_millis(u64::from(ms)));
        let expected = day.session.quote_at(day.owner, t).unwrap().unwrap();
        assert_eq!(got, expected, "at {ms}");
        assert!(got.ts <= t);
    }
    // A grid that does not divide the first time starts at the next multiple.
    let rows = day.grid_quotes(7_000, 34_200_001, 34_215_000).unwrap();
    let times: Vec<u32> = rows.iter().map(|(ms, _)| *ms).collect();
    assert_eq!(times, [34_202_000, 34_209_000]);
    assert!(day.grid_quotes(0, 0, 1).unwrap().is_empty());
}
