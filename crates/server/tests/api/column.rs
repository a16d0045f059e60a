//! The column API's data endpoints over a small recorded market: chain, EOD, intraday and
//! trades, each checked against the records written, computed again here without the tape.

use jiff::civil::{Date, date};
use model::calendar::new_york_instant;
use model::symbol::OptionSymbol;
use model::venues::{condition, venue};
use model::{Plan, Product, Timestamp};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use tape::{Quote, SessionBuilder, Trade};

use crate::support::TestServer;

/// The contract most tests read.
pub const CALL: &str = "O:SPY241220C00590000";
/// Its query parameters, strike in dollars.
pub const CALL_QUERY: &str = "root=SPY&exp=20241220&strike=590&right=C";

/// Sessions of SPY: Monday 25 November (the call listed, silent), Wednesday 27 (quotes, no
/// trades), Friday 29 (closes at 13:00), Monday 2 December. Tuesday 26 is a trading day the
/// store has no file for.
pub const DAYS: [Date; 4] = [
    date(2024, 11, 25),
    date(2024, 11, 27),
    date(2024, 11, 29),
    date(2024, 12, 2),
];

/// What was written for the call, per day.
#[derive(Default)]
pub struct Written {
    pub quotes: BTreeMap<Date, Vec<Quote>>,
    pub trades: BTreeMap<Date, Vec<Trade>>,
}

fn at(day: Date, hour: i8, minute: i8, second: i8, nanos: i64) -> Timestamp {
    Timestamp::from_nanos(new_york_instant(day, hour, minute, second).as_nanos() + nanos)
}

fn quote(ts: Timestamp, bid: i64, ask: i64) -> Quote {
    Quote {
        ts,
        bid,
        ask,
        bid_size: (bid / 10_000_000 % 50) as u32 + 1,
        ask_size: (ask / 10_000_000 % 40) as u32 + 2,
        bid_exchange: venue::CBOE,
        ask_exchange: venue::ISE,
    }
}

/// The call's quotes on a day: one at 08:00 (before the open), then every 37.3 seconds from
/// 09:30:00.5 until 16:10, the bid walking in cents from an odd price; the last few minutes of
/// an early close keep quoting after 13:00.
fn call_quotes(day: Date, k: i64) -> Vec<Quote> {
    let mut quotes = vec![quote(at(day, 8, 0, 0, 250_000_000), 1_130_000_000, 0)];
    let mut t = at(day, 9, 30, 0, 500_000_000);
    let end = at(day, 16, 10, 0, 0);
    let mut n = 0i64;
    while t < end {
        let bid = 1_130_000_000 + (n % 97 + k * 13) * 10_000_000 + 5_000_000;
        quotes.push(quote(t, bid, bid + 70_000_000));
        t = Timestamp::from_nanos(t.as_nanos() + 37_300_000_000);
        n += 1;
    }
    quotes
}

fn trade(
    ts: Timestamp,
    price: i64,
    contracts: u64,
    exchange: u16,
    codes: &[u16],
    sequence: u64,
) -> Trade {
    Trade {
        ts,
        price,
        size: contracts * tape::SIZE_SCALE,
        exchange,
        conditions: Trade::conditions_from(codes),
        sequence,
    }
}

/// The call's trades: none on the 25th and 27th; on the 29th and 2nd a handful, two of them
/// in one millisecond with their sequence numbers reversed, one a microsecond short of the next
/// millisecond, with conditions and venues ThetaData has codes for and some it does not.
fn call_trades(day: Date) -> Vec<Trade> {
    if day < date(2024, 11, 29) {
        return Vec::new();
    }
    vec![
        trade(
            at(day, 9, 31, 2, 999_999),
            1_170_000_000,
            3,
            venue::CBOE,
            &[condition::AUTO_EXECUTION],
            41,
        ),
        trade(at(day, 10, 0, 0, 100_000), 1_255_000_000, 1, 46, &[], 43),
        trade(
            at(day, 10, 0, 0, 200_000),
            1_250_000_000,
            7,
            12,
            &[condition::INTERMARKET_SWEEP, condition::ODD_LOT],
            42,
        ),
        trade(
            at(day, 11, 15, 30, 0),
            1_123_456_789,
            10,
            venue::MIAX_PEARL,
            &[999],
            44,
        ),
        trade(
            at(day, 12, 59, 59, 999_000_000),
            1_300_000_000,
            2,
            venue::PHLX,
            &[condition::SINGLE_LEG_AUCTION],
            45,
        ),
    ]
}

/// Writes the market and returns what was written for the call.
pub fn write_market(data: &std::path::Path) -> Written {
    let call = OptionSymbol::parse(CALL).unwrap();
    let put = OptionSymbol::parse("O:SPY241220P00590000").unwrap();
    let half = OptionSymbol::parse("O:SPY241220C00585500").unwrap();
    let late = OptionSymbol::parse("O:SPY241220P00600000").unwrap();
    let other_expiry = OptionSymbol::parse("O:SPY241227C00590000").unwrap();
    let mut written = Written::default();
    for (k, day) in DAYS.into_iter().enumerate() {
        let mut builder = SessionBuilder::create(&data.join("tape"), "SPY", day).unwrap();
        let owner = builder.contract(call).unwrap();
        for other in [put, half, other_expiry] {
            builder.contract(other).unwrap();
        }
        if day == date(2024, 12, 2) {
            builder.contract(late).unwrap();
        }
        if day != DAYS[0] {
            let quotes = call_quotes(day, k as i64);
            let trades = call_trades(day);
            for q in &quotes {
                builder.quote(owner, *q).unwrap();
            }
            for t in &trades {
                builder.trade(owner, *t).unwrap();
            }
            written.quotes.insert(day, quotes);
            written.trades.insert(day, trades);
        }
        builder.finish().unwrap();
    }
    // An index class: SPXW contracts live in SPX's sessions.
    let mut spx = SessionBuilder::create(&data.join("tape"), "SPX", DAYS[3]).unwrap();
    for text in [
        "O:SPXW241202P05950000",
        "O:SPXW241202C06000000",
        "O:SPXW241202C05950000",
    ] {
        spx.contract(OptionSymbol::parse(text).unwrap()).unwrap();
    }
    spx.finish().unwrap();
    written
}

/// A server over the market with a column key, and what was written.
pub async fn start() -> (TestServer, String, Written) {
    start_with(|_| {}).await
}

pub async fn start_with(
    configure: impl FnOnce(&mut server::Settings),
) -> (TestServer, String, Written) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let written = write_market(dir.path());
    // Market time after everything written, unless `configure` says otherwise.
    let server = TestServer::start_in(
        dir,
        model::ManualClock::new(crate::support::T0),
        axum::Router::new(),
        |settings| {
            settings.market_clock = model::ClockSetting::Fixed(at(date(2025, 1, 6), 12, 0, 0, 0));
            configure(settings)
        },
    )
    .await;
    let key = server
        .key("column@example.com", Product::Column, Plan::Expert)
        .await;
    (server, key, written)
}

/// The text a price must have on the wire: its exact decimal.
fn price_text(px: i64) -> String {
    tape::records::px_to_decimal(px).to_string()
}

/// A row's cells as wire text, for comparisons that see float artefacts.
fn cells(row: &Value) -> Vec<String> {
    row.as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect()
}

fn yyyymmdd(day: Date) -> String {
    format!("{:04}{:02}{:02}", day.year(), day.month(), day.day())
}

/// Milliseconds after New York midnight, cut (not rounded) from nanoseconds.
fn ms_of_day(day: Date, ts: Timestamp) -> i64 {
    (ts.as_nanos() - new_york_instant(day, 0, 0, 0).as_nanos()).div_euclid(1_000_000)
}

async fn rows(server: &TestServer, key: &str, path: &str, format: &[&str]) -> Vec<Value> {
    let response = server.get(path).bearer_auth(key).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["header"]["format"], json!(format), "{path}");
    assert!(body["header"]["latency_ms"].is_u64());
    let rows = body["response"].as_array().unwrap().clone();
    assert!(
        rows.iter()
            .all(|r| r.as_array().unwrap().len() == format.len())
    );
    rows
}

#[tokio::test]
async fn the_chain_lists_every_contract_of_the_expiration_ever_held() {
    let (server, key, _) = start().await;
    let format = ["root", "expiration", "strike", "right"];
    let chain = rows(
        &server,
        &key,
        "/v1/options/chain?root=SPY&exp=20241220",
        &format,
    )
    .await;
    assert_eq!(
        chain,
        [
            json!(["SPY", 20241220, 585500, "C"]),
            json!(["SPY", 20241220, 590000, "C"]),
            json!(["SPY", 20241220, 590000, "P"]),
            json!(["SPY", 20241220, 600000, "P"]),
        ],
        "strike ascending, calls first; the put listed only on the last day is there too"
    );
    // A root whose contracts live under another underlying.
    let spxw = rows(
        &server,
        &key,
        "/v1/options/chain?root=SPXW&exp=20241202",
        &format,
    )
    .await;
    assert_eq!(
        spxw,
        [
            json!(["SPXW", 20241202, 5950000, "C"]),
            json!(["SPXW", 20241202, 5950000, "P"]),
            json!(["SPXW", 20241202, 6000000, "C"]),
        ]
    );
    for path in [
        "/v1/options/chain?root=SPY&exp=20241213",
        "/v1/options/chain?root=SPYSPYS&exp=20241220",
        "/v1/options/chain?root=BRK.B&exp=20241220",
        "/v1/options/chain?root=QQQ&exp=20241220",
    ] {
        let (status, body) = server.get_json(&key, path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"], "not_found");
    }
}

#[tokio::test]
async fn eod_rows_are_the_day_summary_and_the_closing_quote() {
    let (server, key, written) = start().await;
    let format = [
        "date", "open", "high", "low", "close", "bid", "ask", "volume",
    ];
    let path = format!("/v1/options/quote/eod?{CALL_QUERY}&start_date=20241101&end_date=20241231");
    let got = rows(&server, &key, &path, &format).await;
    let mut expected = Vec::new();
    for day in DAYS {
        let trades = written.trades.get(&day).cloned().unwrap_or_default();
        let quotes = written.quotes.get(&day).cloned().unwrap_or_default();
        let close_hour = if day == date(2024, 11, 29) { 13 } else { 16 };
        let close = new_york_instant(day, close_hour, 0, 0);
        let closing = quotes
            .iter()
            .rev()
            .find(|q| q.ts <= close)
            .copied()
            .unwrap_or_default();
        let prices: Vec<i64> = trades.iter().map(|t| t.price).collect();
        let (open, high, low, last) = match (prices.first(), prices.last()) {
            (Some(first), Some(last)) => (
                *first,
                *prices.iter().max().unwrap(),
                *prices.iter().min().unwrap(),
                *last,
            ),
            _ => (0, 0, 0, 0),
        };
        let volume: u64 = trades.iter().map(|t| t.size / tape::SIZE_SCALE).sum();
        expected.push(vec![
            yyyymmdd(day),
            price_text(open),
            price_text(high),
            price_text(low),
            price_text(last),
            price_text(closing.bid),
            price_text(closing.ask),
            volume.to_string(),
        ]);
    }
    let got: Vec<Vec<String>> = got.iter().map(cells).collect();
    assert_eq!(
        got, expected,
        "the 26th (no file) is absent; the 25th is all zeros"
    );
    assert_eq!(got[0][1..], ["0", "0", "0", "0", "0", "0", "0"]);
    assert_eq!(got[1][1..5], ["0", "0", "0", "0"], "no trades on the 27th");
    assert_ne!(got[1][5], "0", "but a closing quote");
    // 2024-11-29 closed at 13:00: the closing quote is the last before 13:00, not 16:00's.
    assert_eq!(got[2][4], "1.3");

    // Clipped to the range asked and the contract's life.
    let path = format!("/v1/options/quote/eod?{CALL_QUERY}&start_date=20241127&end_date=20241129");
    let dates: Vec<Value> = rows(&server, &key, &path, &format)
        .await
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(dates, [json!(20241127), json!(20241129)]);
    // A known contract with nothing in the range is an empty 200; an unknown one is a 404.
    let path = format!("/v1/options/quote/eod?{CALL_QUERY}&start_date=20241001&end_date=20241031");
    assert!(rows(&server, &key, &path, &format).await.is_empty());
    let (status, body) = server
        .get_json(
            &key,
            "/v1/options/quote/eod?root=SPY&exp=20241220&strike=590.5&right=C&start_date=20241101&end_date=20241231",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    // The chain's strike, divided by 1000, names the contract.
    let path = "/v1/options/quote/eod?root=SPY&exp=20241220&strike=585.5&right=C&start_date=20241101&end_date=20241231";
    assert_eq!(rows(&server, &key, path, &format).await.len(), 4);
}

/// The row the grid must show at `ms` of `day`: the last quote at or before it that day.
fn as_of(written: &Written, day: Date, ms: i64) -> Option<Vec<String>> {
    let t = new_york_instant(day, 0, 0, 0).as_nanos() + ms * 1_000_000;
    let q = written
        .quotes
        .get(&day)?
        .iter()
        .rev()
        .find(|q| q.ts.as_nanos() <= t)?;
    Some(vec![
        ms.to_string(),
        price_text(q.bid),
        price_text(q.ask),
        q.bid_size.to_string(),
        q.ask_size.to_string(),
        yyyymmdd(day),
    ])
}

#[tokio::test]
async fn intraday_rows_are_the_quote_as_of_each_grid_time() {
    let (server, key, written) = start().await;
    let format = ["ms_of_day", "bid", "ask", "bid_size", "ask_size", "date"];
    for (ivl, rth) in [
        (60_000i64, true),
        (1_000, true),
        (3_600_000, false),
        (7_000, false),
    ] {
        let path = format!(
            "/v1/options/quote/intraday?{CALL_QUERY}&start_date=20241125&end_date=20241202&ivl={ivl}&rth={rth}"
        );
        let got: Vec<Vec<String>> = rows(&server, &key, &path, &format)
            .await
            .iter()
            .map(cells)
            .collect();
        let mut expected = Vec::new();
        for day in DAYS {
            let (first, last): (i64, i64) = match (rth, day == date(2024, 11, 29)) {
                (false, _) => (0, 86_399_999),
                (true, true) => (34_200_000, 46_800_000),
                (true, false) => (34_200_000, 57_600_000),
            };
            let mut ms = (first + ivl - 1) / ivl * ivl;
            while ms <= last {
                expected.extend(as_of(&written, day, ms));
                ms += ivl;
            }
        }
        assert_eq!(got.len(), expected.len(), "ivl={ivl} rth={rth}");
        assert_eq!(got, expected, "ivl={ivl} rth={rth}");
    }
    // Defaults: one minute, regular hours, 09:30 and 16:00 both on the grid. At 09:30:00 the
    // quote in force is 08:00's (one-sided); the 09:30:00.5 quote is not seen before 09:31.
    let path =
        format!("/v1/options/quote/intraday?{CALL_QUERY}&start_date=20241127&end_date=20241127");
    let got = rows(&server, &key, &path, &format).await;
    assert_eq!(
        got.first().unwrap(),
        &json!([34_200_000, 1.13, 0, 14, 2, 20241127])
    );
    assert_eq!(got[1][1], 1.275, "the 09:30:37.8 quote");
    assert_eq!(got.last().unwrap()[0], 57_600_000);
    assert_eq!(got.len(), 391);
    // Without regular hours, nothing before the day's first quote at 08:00:00.25.
    let path = format!(
        "/v1/options/quote/intraday?{CALL_QUERY}&start_date=20241127&end_date=20241127&rth=false&ivl=3600000"
    );
    let got = rows(&server, &key, &path, &format).await;
    assert_eq!(got.first().unwrap()[0], 9 * 3_600_000);
}

#[tokio::test]
async fn trades_are_every_print_with_thetadata_codes() {
    let (server, key, written) = start().await;
    let format = [
        "ms_of_day",
        "sequence",
        "size",
        "condition",
        "price",
        "exchange",
        "date",
    ];
    let path = format!("/v1/options/trades?{CALL_QUERY}&start_date=20241125&end_date=20241202");
    let got: Vec<Vec<String>> = rows(&server, &key, &path, &format)
        .await
        .iter()
        .map(cells)
        .collect();
    let mut expected = Vec::new();
    for (day, trades) in &written.trades {
        let mut day_rows: Vec<(i64, u64, Vec<String>)> = trades
            .iter()
            .map(|t| {
                let ms = ms_of_day(*day, t.ts);
                let condition = match t.conditions[0] {
                    condition::NONE => 0,
                    c if c <= 148 => c,
                    _ => 10_000,
                };
                let exchange = if t.exchange == 12 { 0 } else { t.exchange };
                let row = vec![
                    ms.to_string(),
                    t.sequence.to_string(),
                    (t.size / tape::SIZE_SCALE).to_string(),
                    condition.to_string(),
                    price_text(t.price),
                    exchange.to_string(),
                    yyyymmdd(*day),
                ];
                (ms, t.sequence, row)
            })
            .collect();
        day_rows.sort_by_key(|(ms, sequence, _)| (*ms, *sequence));
        expected.extend(day_rows.into_iter().map(|(_, _, row)| row));
    }
    assert_eq!(got, expected);
    // Pinned by hand: 09:31:02.000999 is millisecond 34,262,000 (cut, not rounded); the two
    // prints of 10:00:00.000 go by sequence; no condition is 0, an unknown one 10000; an
    // exchange ThetaData has no code for is 0.
    assert_eq!(got[0][..4], ["34262000", "41", "3", "18"]);
    assert_eq!(got[1][..2], ["36000000", "42"]);
    assert_eq!((got[1][3].as_str(), got[1][5].as_str()), ("95", "0"));
    assert_eq!((got[2][3].as_str(), got[2][5].as_str()), ("0", "46"));
    assert_eq!(
        (got[3][3].as_str(), got[3][4].as_str()),
        ("10000", "1.123456789")
    );
    assert_eq!(got.len(), 10);
}

#[tokio::test]
async fn nothing_later_than_market_time_is_shown() {
    // Market time 10:00:00.000150 on 2 December: the day so far, as a live market shows it.
    let (server, key, _) = start_with(|settings| {
        settings.market_clock =
            model::ClockSetting::Fixed(at(date(2024, 12, 2), 10, 0, 0, 150_000));
    })
    .await;
    let range = "start_date=20241129&end_date=20241228";
    let trades = rows(
        &server,
        &key,
        &format!("/v1/options/trades?{CALL_QUERY}&{range}"),
        &[
            "ms_of_day",
            "sequence",
            "size",
            "condition",
            "price",
            "exchange",
            "date",
        ],
    )
    .await;
    let today: Vec<&Value> = trades
        .iter()
        .filter(|r| r[6] == 20241202)
        .map(|r| &r[1])
        .collect();
    // 09:31:02 and the print 100 µs after 10:00; the one at 200 µs is later.
    assert_eq!(today, [&json!(41), &json!(43)]);
    let eod = rows(
        &server,
        &key,
        &format!("/v1/options/quote/eod?{CALL_QUERY}&{range}"),
        &[
            "date", "open", "high", "low", "close", "bid", "ask", "volume",
        ],
    )
    .await;
    assert_eq!(eod.len(), 2, "no row for days after market time");
    assert_eq!(
        (&eod[1][0], &eod[1][4], &eod[1][7]),
        (&json!(20241202), &json!(1.255), &json!(4))
    );
    let intraday = rows(
        &server,
        &key,
        &format!("/v1/options/quote/intraday?{CALL_QUERY}&start_date=20241202&end_date=20241202"),
        &["ms_of_day", "bid", "ask", "bid_size", "ask_size", "date"],
    )
    .await;
    assert_eq!(intraday.last().unwrap()[0], json!(36_000_000));
}
