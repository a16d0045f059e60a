//! The simulator's market data (§5) over a small tape: sessions, strikes, chain snapshots at a
//! second and over a range, index series and the average expected move, for visitors and
//! registered users, with their credit costs.

use model::Timestamp;
use model::symbol::OptionSymbol;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

use crate::support::{TestServer, header};

/// The market clock of most tests: 11:00 New York on Wednesday 2025-01-15, the current session.
pub const ELEVEN: &str = "2025-01-15T16:00:00Z";

pub fn utc(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn px(text: &str) -> i64 {
    tape::records::px_from_decimal(text.parse().unwrap()).unwrap()
}

/// A record of the fixture: an index value (`contract` None, the value in `bid`) or a quote.
struct Row {
    at: &'static str,
    contract: Option<&'static str>,
    bid: &'static str,
    ask: &'static str,
}

const fn value(at: &'static str, v: &'static str) -> Row {
    Row {
        at,
        contract: None,
        bid: v,
        ask: v,
    }
}

const fn quote(
    at: &'static str,
    contract: &'static str,
    bid: &'static str,
    ask: &'static str,
) -> Row {
    Row {
        at,
        contract: Some(contract),
        bid,
        ask,
    }
}

/// A session of `rows`, its contracts listed in `listed` first (some never quote), then as they
/// first appear.
fn write_session(
    data: &Path,
    underlying: &str,
    date: jiff::civil::Date,
    listed: &[&'static str],
    rows: &[Row],
) {
    let mut builder = tape::SessionBuilder::create(&data.join("tape"), underlying, date).unwrap();
    let mut owners = std::collections::HashMap::new();
    for contract in listed {
        let owner = builder
            .contract(OptionSymbol::parse(contract).unwrap())
            .unwrap();
        owners.insert(*contract, owner);
    }
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by_key(|r| utc(r.at));
    for row in &sorted {
        if let Some(contract) = row.contract
            && !owners.contains_key(contract)
        {
            let owner = builder
                .contract(OptionSymbol::parse(contract).unwrap())
                .unwrap();
            owners.insert(contract, owner);
        }
    }
    for row in sorted {
        let ts = utc(row.at);
        match row.contract {
            None => builder
                .value(tape::IndexValue {
                    ts,
                    value: px(row.bid),
                })
                .unwrap(),
            Some(contract) => builder
                .quote(
                    owners[contract],
                    tape::Quote {
                        ts,
                        bid: px(row.bid),
                        ask: px(row.ask),
                        bid_size: 10,
                        ask_size: 10,
                        bid_exchange: 0,
                        ask_exchange: 0,
                    },
                )
                .unwrap(),
        }
    }
    builder.finish().unwrap();
}

/// Five SPX sessions and a VIX one:
/// - 2024-08-05 (daylight time: 13:30–20:00Z), the last index value at 19:59:00.25 and one
///   0DTE call quoted only from 19:00;
/// - 2024-11-29 (early close at 18:00Z), index only, one value after the close;
/// - 2025-01-14, the most recent completed session at 11:00 on the 15th: 0DTE strikes 5895,
///   5900, 5905, the 5900 call re-quoted 10 s after the first quotes;
/// - 2025-01-15, the current session: 0DTE SPXW strikes 5940–5960 with a 5952.5 whose put
///   never quotes, a 5960 put quoted before the open (not shown) and again at 14:33, an
///   AM-settled SPX 5950 call of the same day (SPXW wins), and a next-day SPXW 5950 call;
/// - 2025-01-16, after the market clock (upcoming).
pub fn write_fixture(data: &Path) {
    use jiff::civil::date;
    write_session(
        data,
        "SPX",
        date(2024, 8, 5),
        &[],
        &[
            value("2024-08-05T13:31:00Z", "5200"),
            value("2024-08-05T19:59:00.250Z", "5190"),
            quote("2024-08-05T19:00:00Z", "SPXW240805C05200000", "1.0", "1.2"),
        ],
    );
    write_session(
        data,
        "SPX",
        date(2024, 11, 29),
        &[],
        &[
            value("2024-11-29T14:30:30Z", "6000"),
            value("2024-11-29T17:59:59Z", "6010"),
            value("2024-11-29T18:05:00Z", "6020"),
        ],
    );
    write_session(
        data,
        "SPX",
        date(2025, 1, 14),
        &[],
        &[
            value("2025-01-14T14:31:00Z", "5900"),
            value("2025-01-14T14:31:10Z", "5910"),
            value("2025-01-14T20:59:59Z", "5920"),
            quote("2025-01-14T14:31:00Z", "SPXW250114C05895000", "8.0", "8.4"),
            quote("2025-01-14T14:31:00Z", "SPXW250114P05895000", "2.0", "2.2"),
            quote("2025-01-14T14:31:00Z", "SPXW250114C05900000", "5.0", "5.2"),
            quote("2025-01-14T14:31:00Z", "SPXW250114P05900000", "4.0", "4.2"),
            quote("2025-01-14T14:31:00Z", "SPXW250114C05905000", "2.5", "2.7"),
            quote("2025-01-14T14:31:00Z", "SPXW250114P05905000", "7.0", "7.4"),
            quote("2025-01-14T14:31:10Z", "SPXW250114C05900000", "5.5", "5.7"),
        ],
    );
    write_session(
        data,
        "SPX",
        date(2025, 1, 15),
        &["SPXW250115P05952500"],
        &[
            value("2025-01-15T14:31:00Z", "5950"),
            value("2025-01-15T14:31:10Z", "5951"),
            value("2025-01-15T14:35:00Z", "5953"),
            value("2025-01-15T15:00:00Z", "5950"),
            value("2025-01-15T20:59:58.400Z", "5960"),
            quote(
                "2025-01-15T14:29:59Z",
                "SPXW250115P05960000",
                "11.0",
                "11.4",
            ),
            quote(
                "2025-01-15T14:31:00Z",
                "SPXW250115C05940000",
                "12.0",
                "12.4",
            ),
            quote("2025-01-15T14:31:00Z", "SPXW250115P05940000", "2.0", "2.2"),
            quote("2025-01-15T14:31:00Z", "SPXW250115C05945000", "8.0", "8.4"),
            quote("2025-01-15T14:31:00Z", "SPXW250115P05945000", "3.0", "3.2"),
            quote("2025-01-15T14:31:00Z", "SPXW250115C05950000", "4.2", "4.4"),
            quote("2025-01-15T14:31:00Z", "SPXW250115P05950000", "3.1", "3.3"),
            quote("2025-01-15T14:31:00Z", "SPXW250115C05952500", "3.5", "3.7"),
            quote("2025-01-15T14:31:00Z", "SPXW250115C05955000", "2.0", "2.2"),
            quote("2025-01-15T14:31:00Z", "SPXW250115P05955000", "7.0", "7.4"),
            quote("2025-01-15T14:31:00Z", "SPXW250115C05960000", "1.0", "1.1"),
            quote("2025-01-15T14:31:00Z", "SPX250115C05950000", "1.0", "2.0"),
            quote("2025-01-15T14:31:00Z", "SPXW250116C05950000", "6.0", "6.4"),
            quote(
                "2025-01-15T14:33:00Z",
                "SPXW250115P05960000",
                "11.1",
                "11.5",
            ),
            quote(
                "2025-01-15T14:35:00.250Z",
                "SPXW250115C05950000",
                "4.0",
                "4.2",
            ),
            quote(
                "2025-01-15T20:59:58.400Z",
                "SPXW250115C05950000",
                "3.0",
                "3.2",
            ),
        ],
    );
    write_session(
        data,
        "SPX",
        date(2025, 1, 16),
        &[],
        &[value("2025-01-16T14:31:00Z", "5970")],
    );
    write_session(
        data,
        "VIX",
        date(2025, 1, 15),
        &[],
        &[
            value("2025-01-15T14:31:00Z", "16.25"),
            value("2025-01-15T15:00:00Z", "16.5"),
        ],
    );
}

pub async fn fixture_server(now: &str) -> TestServer {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    write_fixture(dir.path());
    TestServer::start_with_market_at(dir, utc(now)).await
}

async fn get(server: &TestServer, path: &str, token: Option<&str>) -> reqwest::Response {
    let request = match token {
        Some(token) => server.as_session(reqwest::Method::GET, path, token),
        None => server.get(path),
    };
    request.send().await.unwrap()
}

/// Status and JSON body.
async fn json(server: &TestServer, path: &str, token: Option<&str>) -> (u16, Value) {
    let response = get(server, path, token).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} {path}: {text}"));
    (status, body)
}

/// Status and the plain-text error.
async fn error(server: &TestServer, path: &str, token: Option<&str>) -> (u16, String) {
    let response = get(server, path, token).await;
    let status = response.status().as_u16();
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; charset=utf-8",
        "{path}"
    );
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn the_calendar_shows_exchange_bounds_data_spans_and_flags() {
    let server = fixture_server(ELEVEN).await;
    let (status, visitor) = json(&server, "/market-data/sessions", None).await;
    assert_eq!(status, 200);
    let expected = json!({
        "2024-08-05": {
            "start-time": "2024-08-05T13:30:00Z", "end-time": "2024-08-05T20:00:00Z",
            "data-start-time": "2024-08-05T13:31:00Z", "data-end-time": "2024-08-05T19:59:01Z",
            "restricted": true
        },
        "2024-11-29": {
            "start-time": "2024-11-29T14:30:00Z", "end-time": "2024-11-29T18:00:00Z",
            "data-start-time": "2024-11-29T14:30:30Z", "data-end-time": "2024-11-29T17:59:59Z",
            "restricted": true
        },
        "2025-01-14": {
            "start-time": "2025-01-14T14:30:00Z", "end-time": "2025-01-14T21:00:00Z",
            "data-start-time": "2025-01-14T14:31:00Z", "data-end-time": "2025-01-14T20:59:59Z"
        },
        "2025-01-15": {
            "start-time": "2025-01-15T14:30:00Z", "end-time": "2025-01-15T21:00:00Z",
            "data-start-time": "2025-01-15T14:31:00Z", "data-end-time": "2025-01-15T16:00:00Z",
            "current": true
        },
        "2025-01-16": {
            "start-time": "2025-01-16T14:30:00Z", "end-time": "2025-01-16T21:00:00Z",
            "upcoming": true, "restricted": true
        }
    });
    assert_eq!(visitor, expected);
    let dates: Vec<&String> = visitor.as_object().unwrap().keys().collect();
    assert_eq!(
        dates,
        [
            "2024-08-05",
            "2024-11-29",
            "2025-01-14",
            "2025-01-15",
            "2025-01-16"
        ],
        "ascending"
    );

    // Registered callers see nothing restricted, and the calendar is free.
    let token = server.register("calendar@example.com").await;
    let response = get(&server, "/market-data/sessions", Some(&token)).await;
    assert_eq!(header(&response, "x-ratelimit-used"), "0");
    let registered: Value = response.json().await.unwrap();
    let mut unrestricted = expected.clone();
    for session in unrestricted.as_object_mut().unwrap().values_mut() {
        session.as_object_mut().unwrap().remove("restricted");
    }
    assert_eq!(registered, unrestricted);

    // VIX's own calendar; an underlying the tape lacks is a 404 saying what it holds.
    let (_, vix) = json(&server, "/market-data/sessions?underlying=VIX", None).await;
    assert_eq!(vix.as_object().unwrap().len(), 1);
    assert_eq!(vix["2025-01-15"]["current"], true);
    let (status, text) = error(&server, "/market-data/sessions?underlying=QQQ", None).await;
    assert_eq!(status, 404);
    assert_eq!(
        text,
        "no market data for underlying QQQ; the tape holds SPX, VIX"
    );
    let (status, text) = error(&server, "/market-data/sessions?underlying=..", None).await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = error(&server, "/market-data/sessions?date=2025-01-15", None).await;
    assert_eq!(status, 400);
    assert_eq!(text, "unknown query parameter date; expected underlying");
}

#[tokio::test]
async fn strikes_are_the_day_s_expiration_ascending() {
    let server = fixture_server(ELEVEN).await;
    let token = server.register("strikes@example.com").await;
    let response = get(&server, "/market-data/strikes/2025-01-15", Some(&token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-used"), "5");
    let text = response.text().await.unwrap();
    assert_eq!(text, "[5940,5945,5950,5952.5,5955,5960]");

    let (_, next_day) = json(
        &server,
        "/market-data/strikes/2025-01-15?expiration=2025-01-16",
        Some(&token),
    )
    .await;
    assert_eq!(next_day, json!([5950]));
    // Visitors: the current and the most recent completed sessions only.
    let (_, visitor) = json(&server, "/market-data/strikes/2025-01-14", None).await;
    assert_eq!(visitor, json!([5895, 5900, 5905]));
    let (status, text) = error(&server, "/market-data/strikes/2024-11-29", None).await;
    assert_eq!(
        (status, text.as_str()),
        (403, "this session requires a registered account")
    );

    let (status, text) = error(&server, "/market-data/strikes/2025-01-17", Some(&token)).await;
    assert_eq!(
        (status, text.as_str()),
        (404, "no SPX session on 2025-01-17")
    );
    let (status, text) = error(&server, "/market-data/strikes/2024-11-29", Some(&token)).await;
    assert_eq!(
        (status, text.as_str()),
        (404, "no SPX options are listed on 2024-11-29")
    );
    let (status, text) = error(
        &server,
        "/market-data/strikes/2025-01-15?expiration=2025-01-17",
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            404,
            "no SPX options expiring 2025-01-17 are listed on 2025-01-15"
        )
    );
    let (status, _) = error(&server, "/market-data/strikes/2025-1-15", Some(&token)).await;
    assert_eq!(status, 400);
    // Failures cost nothing.
    let response = get(&server, "/market-data/strikes/2025-01-17", Some(&token)).await;
    assert_eq!(header(&response, "x-ratelimit-used"), "10");
}

fn quote_of(body: &Value, key: &str) -> (f64, f64, f64) {
    let entry = &body[key];
    assert!(entry.is_object(), "{key}: {entry}");
    (
        entry["bid"].as_f64().unwrap(),
        entry["ask"].as_f64().unwrap(),
        entry["delta"].as_f64().unwrap(),
    )
}

#[tokio::test]
async fn a_snapshot_shows_each_strike_as_of_the_second() {
    let server = fixture_server(ELEVEN).await;
    let token = server.register("snapshot@example.com").await;
    let path = "/market-data/option-chain-snapshots/2025-01-15T14:35:00";
    let response = get(&server, path, Some(&token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-used"), "10");
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "call_5940",
            "put_5940",
            "call_5945",
            "put_5945",
            "call_5950",
            "put_5950",
            "call_5952.5",
            "put_5952.5",
            "call_5955",
            "put_5955",
            "call_5960",
            "put_5960"
        ]
    );
    // Listed but never quoted.
    assert_eq!(body["put_5952.5"], Value::Null);
    // The SPXW contract, not the AM-settled SPX one of the same strike and day.
    assert_eq!(body["call_5950"]["bid"], json!(4.2));
    assert_eq!(body["call_5950"]["ask"], json!(4.4));
    assert_eq!(body["put_5950"]["bid"], json!(3.1));
    assert_eq!(body["put_5960"]["bid"], json!(11.1));
    assert_eq!(body["put_5960"]["ask"], json!(11.5));
    // Deltas are unsigned, at most four decimals, and fall as calls go out of the money.
    let mut previous = f64::INFINITY;
    for strike in ["5945", "5950", "5952.5", "5955", "5960"] {
        let (_, _, delta) = quote_of(&body, &format!("call_{strike}"));
        assert!((0.0..=1.0).contains(&delta), "{strike}: {delta}");
        assert!(delta <= previous, "call {strike}: {delta} after {previous}");
        assert_eq!((delta * 1e4).round() / 1e4, delta);
        previous = delta;
    }
    let (_, _, call) = quote_of(&body, "call_5950");
    let (_, _, put) = quote_of(&body, "put_5950");
    assert!(call > 0.5 && call < 0.9, "{call}");
    assert!(put > 0.1 && put < 0.5, "{put}");

    // A quarter second later the 5950 call's new quote is in force; the next-day contract never
    // shows.
    let (_, later) = json(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:35:01",
        Some(&token),
    )
    .await;
    assert_eq!(
        (
            later["call_5950"]["bid"].clone(),
            later["call_5950"]["ask"].clone()
        ),
        (json!(4), json!(4.2))
    );
    // At the first second of data the 5960 put's quote from before the open is not shown.
    let (_, first) = json(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:31:00",
        Some(&token),
    )
    .await;
    assert_eq!(first["put_5960"], Value::Null);
    assert_eq!(first["call_5960"]["ask"], json!(1.1));
    // `expiration` shows another day's chain.
    let (_, next_day) = json(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:35:00?expiration=2025-01-16",
        Some(&token),
    )
    .await;
    assert_eq!(next_day.as_object().unwrap().len(), 2);
    assert_eq!(next_day["call_5950"]["bid"], json!(6));
    assert_eq!(next_day["put_5950"], Value::Null);
}

#[tokio::test]
async fn snapshot_errors_say_what_is_wrong() {
    let server = fixture_server(ELEVEN).await;
    let token = server.register("errors@example.com").await;
    let (status, text) = error(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:35:00Z",
        Some(&token),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        text,
        "timestamp must be YYYY-MM-DDTHH:MM:SS in UTC without a zone; drop the trailing Z from \
         \"2025-01-15T14:35:00Z\""
    );
    let (status, _) = error(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:35",
        Some(&token),
    )
    .await;
    assert_eq!(status, 400);
    // New York wall time sent as UTC: before the open.
    let (status, text) = error(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T09:35:00",
        Some(&token),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        text,
        "no SPX market data at 2025-01-15T09:35:00Z: data on 2025-01-15 runs from \
         2025-01-15T14:31:00Z to 2025-01-15T16:00:00Z (UTC; snapshot timestamps are UTC, not \
         New York time)"
    );
    // In the session but before its data; after the market clock; a day without a session.
    for (path, status) in [
        ("2025-01-15T14:30:59", 404),
        ("2025-01-15T16:00:01", 404),
        ("2025-01-18T15:00:00", 404),
        ("2025-01-16T15:00:00", 404),
    ] {
        let (got, text) = error(
            &server,
            &format!("/market-data/option-chain-snapshots/{path}"),
            Some(&token),
        )
        .await;
        assert_eq!(got, status, "{path}: {text}");
    }
    // Inside the data span but before any option of the chain has quoted.
    let (status, text) = error(
        &server,
        "/market-data/option-chain-snapshots/2024-08-05T15:00:00",
        Some(&token),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (404, "no SPX option quotes at 2024-08-05T15:00:00Z yet")
    );
    let (_, evening) = json(
        &server,
        "/market-data/option-chain-snapshots/2024-08-05T19:00:00",
        Some(&token),
    )
    .await;
    assert_eq!(evening["call_5200"]["bid"], json!(1));
    assert_eq!(evening["put_5200"], Value::Null);
    // Only successes are charged.
    let response = get(&server, "/market-data/sessions", Some(&token)).await;
    assert_eq!(header(&response, "x-ratelimit-used"), "10");
}

#[tokio::test]
async fn visitors_see_the_current_session_and_the_last_one_every_thirty_seconds() {
    let server = fixture_server(ELEVEN).await;
    let token = server.register("grid@example.com").await;
    let path = "/market-data/option-chain-snapshots/2025-01-14T14:31:17";
    // Registered: the 5900 call's 14:31:10 quote; a visitor sees 14:31:00 instead.
    let (_, registered) = json(&server, path, Some(&token)).await;
    assert_eq!(registered["call_5900"]["bid"], json!(5.5));
    let response = get(&server, path, None).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-ratelimit-used").is_none());
    let visitor: Value = response.json().await.unwrap();
    assert_eq!(visitor["call_5900"]["bid"], json!(5));
    assert_eq!(visitor["put_5905"]["ask"], json!(7.4));

    // The current session at one second, for everyone.
    let (_, current) = json(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:35:01",
        None,
    )
    .await;
    assert_eq!(current["call_5950"]["bid"], json!(4));
    // Older sessions are for registered accounts.
    let (status, text) = error(
        &server,
        "/market-data/option-chain-snapshots/2024-11-29T15:00:00",
        None,
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (403, "this session requires a registered account")
    );
}

#[tokio::test]
async fn a_range_returns_up_to_thirty_snapshots_and_costs_five_each() {
    let server = fixture_server(ELEVEN).await;
    let token = server.register("range@example.com").await;
    let response = get(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:34:58/2025-01-15T14:35:02",
        Some(&token),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-used"), "25");
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "2025-01-15T14:34:58Z",
            "2025-01-15T14:34:59Z",
            "2025-01-15T14:35:00Z",
            "2025-01-15T14:35:01Z",
            "2025-01-15T14:35:02Z"
        ]
    );
    assert_eq!(body["2025-01-15T14:35:00Z"]["call_5950"]["bid"], json!(4.2));
    assert_eq!(body["2025-01-15T14:35:01Z"]["call_5950"]["bid"], json!(4));
    assert_eq!(body["2025-01-15T14:35:00Z"]["put_5952.5"], Value::Null);

    // Every other second: three snapshots, 15 credits.
    let response = get(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:34:58/2025-01-15T14:35:02?interval=2",
        Some(&token),
    )
    .await;
    assert_eq!(header(&response, "x-ratelimit-used"), "40");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 3);
    // Seconds before the data starts are left out, and not paid for.
    let response = get(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:30:50/2025-01-15T14:31:01",
        Some(&token),
    )
    .await;
    assert_eq!(header(&response, "x-ratelimit-used"), "50");
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["2025-01-15T14:31:00Z", "2025-01-15T14:31:01Z"]);

    // Thirty is the limit; thirty-one is refused and costs nothing.
    let response = get(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:35:00/2025-01-15T14:35:29",
        Some(&token),
    )
    .await;
    assert_eq!(header(&response, "x-ratelimit-used"), "200");
    let (status, text) = error(
        &server,
        "/market-data/option-chain-snapshots/2025-01-15T14:35:00/2025-01-15T14:35:30",
        Some(&token),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        text,
        "at most 30 snapshots per request: 2025-01-15T14:35:00Z to 2025-01-15T14:35:30Z every \
         1 s is 31; narrow the range or raise interval"
    );
    for (path, expected) in [
        ("2025-01-15T14:35:00/2025-01-15T14:35:10?interval=0", 400),
        ("2025-01-15T14:35:00/2025-01-15T14:35:10?interval=abc", 400),
        (
            "2025-01-15T14:35:00/2025-01-15T14:35:10?interval=99999999999999",
            400,
        ),
        ("2025-01-15T14:35:10/2025-01-15T14:35:00", 400),
        ("2025-01-15T14:35:00/2025-01-16T14:35:00", 400),
        ("2025-01-15T14:35:00/2025-01-15T14:35:10Z", 400),
        ("2025-01-15T10:00:00/2025-01-15T10:00:10", 404),
    ] {
        let (status, text) = error(
            &server,
            &format!("/market-data/option-chain-snapshots/{path}"),
            Some(&token),
        )
        .await;
        assert_eq!(status, expected, "{path}: {text}");
    }
    let response = get(&server, "/user", Some(&token)).await;
    assert_eq!(header(&response, "x-ratelimit-used"), "200");

    // Visitors: every 30 seconds on the most recent completed session, grid-aligned.
    let (status, visitor) = json(
        &server,
        "/market-data/option-chain-snapshots/2025-01-14T14:31:05/2025-01-14T14:32:10",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let keys: Vec<&String> = visitor.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "2025-01-14T14:31:00Z",
            "2025-01-14T14:31:30Z",
            "2025-01-14T14:32:00Z"
        ]
    );
    let (status, text) = error(
        &server,
        "/market-data/option-chain-snapshots/2025-01-14T14:31:00/2025-01-14T14:31:10?interval=1",
        None,
    )
    .await;
    assert_eq!(status, 403, "{text}");
}

#[tokio::test]
async fn historical_series_hold_each_second_s_values() {
    let server = fixture_server(ELEVEN).await;
    let token = server.register("series@example.com").await;
    let path =
        "/market-data/historical/2025-01-15?series=spx,vix,spxExpectedMove,spxOTMBids,spxExtrinsic";
    let response = get(&server, path, Some(&token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-used"), "10");
    let rows: Value = response.json().await.unwrap();
    let rows = rows.as_array().unwrap();
    // 14:31:00 through the market clock at 16:00:00, every second.
    assert_eq!(rows.len(), 5_341);
    assert_eq!(
        rows[0],
        json!({
            "datetime": "2025-01-15T14:31:00Z", "datetimeUnix": 1_736_951_460,
            "spx": "5950", "vix": "16.25", "spx_expected_move": "0.001261",
            "spx_otm_bids": "11.5", "spx_extrinsic": "7.5"
        })
    );
    // The index moves to 5951: 5950 stays at the money (one point off), and its put, now below
    // the spot, adds its bid to the out-of-the-money sum.
    assert_eq!(
        rows[10],
        json!({
            "datetime": "2025-01-15T14:31:10Z", "datetimeUnix": 1_736_951_470,
            "spx": "5951", "vix": "16.25", "spx_expected_move": "0.00126",
            "spx_otm_bids": "14.6", "spx_extrinsic": "6.5"
        })
    );
    // At 5953 the 5952.5 strike is at the money and its put has no quote.
    assert_eq!(rows[240]["datetime"], "2025-01-15T14:35:00Z");
    assert_eq!(rows[240]["spx_expected_move"], Value::Null);
    assert_eq!(rows[240]["spx_extrinsic"], Value::Null);
    assert_eq!(rows[240]["spx_otm_bids"], "11.1");
    // Back at 5950 with the 5950 call re-quoted at 4.0/4.2; VIX moved too.
    assert_eq!(
        rows[1_740],
        json!({
            "datetime": "2025-01-15T15:00:00Z", "datetimeUnix": 1_736_953_200,
            "spx": "5950", "vix": "16.5", "spx_expected_move": "0.001227",
            "spx_otm_bids": "11.5", "spx_extrinsic": "7.3"
        })
    );
    assert_eq!(rows[5_340]["datetime"], "2025-01-15T16:00:00Z");

    // The default series, every minute.
    let (_, minutes) = json(
        &server,
        "/market-data/historical/2025-01-15?interval=60",
        Some(&token),
    )
    .await;
    let minutes = minutes.as_array().unwrap();
    assert_eq!(minutes.len(), 90);
    assert_eq!(
        minutes[1],
        json!({"datetime": "2025-01-15T14:32:00Z", "datetimeUnix": 1_736_951_520,
               "spx": "5951", "spx_expected_move": "0.00126"})
    );

    // An early close and a value after it; daylight time and a value between seconds.
    let (_, early) = json(
        &server,
        "/market-data/historical/2024-11-29?series=spx",
        Some(&token),
    )
    .await;
    let early = early.as_array().unwrap();
    assert_eq!(
        early[0],
        json!({"datetime": "2024-11-29T14:30:30Z", "datetimeUnix": 1_732_890_630, "spx": "6000"})
    );
    assert_eq!(early.last().unwrap()["datetime"], "2024-11-29T17:59:59Z");
    assert_eq!(early.last().unwrap()["spx"], "6010");
    let (_, summer) = json(
        &server,
        "/market-data/historical/2024-08-05?series=spx,spxExpectedMove",
        Some(&token),
    )
    .await;
    let summer = summer.as_array().unwrap();
    assert_eq!(summer.len(), 23_282);
    let last = summer.len() - 1;
    assert_eq!(
        summer[last - 1],
        json!({"datetime": "2024-08-05T19:59:00Z", "datetimeUnix": 1_722_887_940, "spx": "5200", "spx_expected_move": null})
    );
    assert_eq!(summer[last]["spx"], "5190");
}

#[tokio::test]
async fn historical_access_and_input_errors() {
    let server = fixture_server(ELEVEN).await;
    // Visitors: the most recent completed session every 30 seconds, unmetered.
    let response = get(
        &server,
        "/market-data/historical/2025-01-14?series=spx",
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let rows: Value = response.json().await.unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 778);
    assert_eq!(rows[0]["spx"], "5900");
    assert_eq!(
        rows[1],
        json!({"datetime": "2025-01-14T14:31:30Z", "datetimeUnix": 1_736_865_090, "spx": "5910"})
    );
    assert_eq!(rows[777]["datetime"], "2025-01-14T20:59:30Z");
    let (status, _) = json(
        &server,
        "/market-data/historical/2025-01-15?interval=1",
        None,
    )
    .await;
    assert_eq!(status, 200, "the current session at one second");
    for (path, status, message) in [
        (
            "2024-11-29",
            403,
            "this session requires a registered account",
        ),
        (
            "2025-01-14?interval=1",
            403,
            "visitors see this session every 30 seconds: use an interval that is a multiple of 30, or register for 1-second data",
        ),
        (
            "2025-01-15?series=spx,VIX",
            400,
            "unknown series: VIX; series are spx, vix, spxExpectedMove, spxOTMBids, spxExtrinsic (case-sensitive)",
        ),
        (
            "2025-01-15?interval=0",
            400,
            "interval must be a whole number of seconds from 1 to 3600, not \"0\"",
        ),
        (
            "2025-01-15?interval=1e3",
            400,
            "interval must be a whole number of seconds from 1 to 3600, not \"1e3\"",
        ),
        (
            "2025-01-15?interval=86400",
            400,
            "interval must be a whole number of seconds from 1 to 3600, not \"86400\"",
        ),
        (
            "2025-01-15T14:31:00",
            400,
            "date must be a date YYYY-MM-DD, not \"2025-01-15T14:31:00\"",
        ),
        (
            "2025-01-15?underlying=SPY",
            404,
            "no market data for underlying SPY; the tape holds SPX, VIX",
        ),
    ] {
        let (got, text) = error(&server, &format!("/market-data/historical/{path}"), None).await;
        assert_eq!((got, text.as_str()), (status, message), "{path}");
    }
    // VIX on its own calendar: its data runs 14:31 to its last value at 15:00, and rows every
    // half hour fall on the half hours from the open.
    let (_, vix) = json(
        &server,
        "/market-data/historical/2025-01-15?underlying=VIX&series=spx&interval=1800",
        None,
    )
    .await;
    assert_eq!(
        vix,
        json!([
            {"datetime": "2025-01-15T15:00:00Z", "datetimeUnix": 1_736_953_200, "spx": "16.5"}
        ])
    );
}

#[tokio::test]
async fn the_average_expected_move_is_per_minute_over_completed_sessions() {
    // After the close of the 15th: both option sessions are complete.
    let server = fixture_server("2025-01-15T22:00:00Z").await;
    let (status, rows) = json(&server, "/market-data/average-expected-move", None).await;
    assert_eq!(status, 200);
    let rows = rows.as_array().unwrap();
    // 09:31 through 15:59 in New York; the other sessions have no expected move (no put).
    assert_eq!(rows.len(), 389);
    assert_eq!(
        rows[0],
        json!({"time": "09:31", "spx_expected_move": "0.00141"})
    );
    assert_eq!(
        rows[1],
        json!({"time": "09:32", "spx_expected_move": "0.001459"})
    );
    // At 09:35 only the 14th has one (the 15th's at-the-money put has no quote).
    assert_eq!(
        rows[4],
        json!({"time": "09:35", "spx_expected_move": "0.001658"})
    );
    assert_eq!(rows[388]["time"], "15:59");
    // Kept: the same answer again, and free for registered callers.
    let token = server.register("average@example.com").await;
    let response = get(&server, "/market-data/average-expected-move", Some(&token)).await;
    assert_eq!(header(&response, "x-ratelimit-used"), "0");
    let again: Value = response.json().await.unwrap();
    assert_eq!(again.as_array().unwrap(), rows);

    // While the 15th is in progress only the 14th counts.
    let current = fixture_server(ELEVEN).await;
    let (_, rows) = json(&current, "/market-data/average-expected-move", None).await;
    assert_eq!(
        rows[0],
        json!({"time": "09:31", "spx_expected_move": "0.001559"})
    );
}
