//! Options contract detail (`/v1/options/contracts/{options_ticker}/`) over the tape.

use crate::support::{TestServer, header};
use jiff::civil::{Date, date};
use model::symbol::OptionSymbol;
use model::{ClockSetting, ManualClock, Plan, Product, Timestamp};
use serde_json::Value;

/// A session of `underlying` on `date` listing `contracts`, each with one quote.
fn write_session(data: &std::path::Path, underlying: &str, day: Date, contracts: &[&str]) {
    let open = model::calendar::session(day).unwrap().open;
    let mut builder = tape::SessionBuilder::create(&data.join("tape"), underlying, day).unwrap();
    for ticker in contracts {
        let owner = builder
            .contract(OptionSymbol::parse(ticker).unwrap())
            .unwrap();
        let quote = tape::Quote {
            ts: open,
            bid: 1_000_000_000,
            ask: 1_100_000_000,
            bid_size: 10,
            ask_size: 10,
            bid_exchange: 1,
            ask_exchange: 1,
        };
        builder.quote(owner, quote).unwrap();
    }
    builder.finish().unwrap();
}

async fn server() -> (TestServer, String) {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let daily = "O:SPXW250115C05950000";
    let monthly = "O:SPX250117P05900000";
    write_session(dir.path(), "SPX", date(2025, 1, 15), &[daily, monthly]);
    write_session(dir.path(), "SPX", date(2025, 1, 16), &[monthly]);
    write_session(
        dir.path(),
        "SPY",
        date(2025, 1, 15),
        &["O:SPY250117C00592500"],
    );
    // Market time: Thursday 2025-01-16, 10:00 in New York.
    let now = Timestamp::from_seconds(1_737_039_600);
    let server = TestServer::start_in(
        dir,
        ManualClock::new(crate::support::T0),
        axum::Router::new(),
        |settings| settings.market_clock = ClockSetting::Fixed(now),
    )
    .await;
    let key = server
        .key("contracts@example.com", Product::Options, Plan::Free)
        .await;
    (server, key)
}

async fn get(server: &TestServer, key: &str, path: &str) -> (u16, Value) {
    let response = server.get(path).bearer_auth(key).send().await.unwrap();
    let status = response.status().as_u16();
    assert!(!header(&response, "x-ratelimit-plan").is_empty());
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_contract_listed_on_a_day_has_its_reference_data() {
    let (server, key) = server().await;
    let (status, body) = get(
        &server,
        &key,
        "/v1/options/contracts/O:SPXW250115C05950000/?as_of=2025-01-15",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "OK");
    let contract = &body["results"];
    assert_eq!(contract["ticker"], "O:SPXW250115C05950000");
    assert_eq!(contract["underlying_ticker"], "SPX");
    assert_eq!(contract["contract_type"], "call");
    assert_eq!(contract["exercise_style"], "european");
    assert_eq!(contract["expiration_date"], "2025-01-15");
    assert!(contract["strike_price"].is_i64(), "{contract}");
    assert_eq!(contract["strike_price"], 5950);
    assert_eq!(contract["shares_per_contract"], 100);
    assert_eq!(contract["primary_exchange"], "XCBO");
    assert_eq!(contract["cfi"], "OCEICS");

    // An equity option: American, physical delivery, listed on every exchange, a strike with
    // a fraction; `%3A` for the colon; no `as_of` means the market clock's day.
    let (status, body) = get(
        &server,
        &key,
        "/v1/options/contracts/O%3ASPY250117C00592500?as_of=2025-01-15",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let contract = &body["results"];
    assert_eq!(contract["underlying_ticker"], "SPY");
    assert_eq!(contract["exercise_style"], "american");
    assert_eq!(contract["strike_price"], 592.5);
    assert_eq!(contract["cfi"], "OCASPS");
    assert!(contract.get("primary_exchange").is_none(), "{contract}");
    let (status, body) = get(&server, &key, "/v1/options/contracts/O:SPX250117P05900000").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["cfi"], "OPEICS");
}

#[tokio::test]
async fn contracts_not_listed_malformed_input_and_lookback_get_the_face_errors() {
    let (server, key) = server().await;
    for (path, status, code, names) in [
        // Expired by the market clock's day, listed the day before.
        (
            "/v1/options/contracts/O:SPXW250115C05950000",
            404,
            "not_found",
            "2025-01-16",
        ),
        // Never listed.
        (
            "/v1/options/contracts/O:SPXW250115C06950000?as_of=2025-01-15",
            404,
            "not_found",
            "O:SPXW250115C06950000",
        ),
        // Before any session of the underlying.
        (
            "/v1/options/contracts/O:SPY250117C00592500?as_of=2025-01-14",
            404,
            "not_found",
            "2025-01-14",
        ),
        (
            "/v1/options/contracts/SPXW250115C05950000",
            400,
            "bad_request",
            "options_ticker",
        ),
        (
            "/v1/options/contracts/O:NOPE",
            400,
            "bad_request",
            "options_ticker",
        ),
        (
            "/v1/options/contracts/O:SPXW250115C05950000?as_of=2025-13-01",
            400,
            "bad_request",
            "as_of",
        ),
        (
            "/v1/options/contracts/O:SPXW250115C05950000?as_of=15.01.2025",
            400,
            "bad_request",
            "as_of",
        ),
        // The Free plan looks back three years from the market clock's day.
        (
            "/v1/options/contracts/O:SPXW250115C05950000?as_of=2021-06-01",
            403,
            "lookback_exceeded",
            "as_of",
        ),
    ] {
        let (got, body) = get(&server, &key, path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["status"], "ERROR", "{path}");
        assert_eq!(body["error"]["code"], code, "{path}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{path}: {message}");
    }
}
