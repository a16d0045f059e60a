//! Options trades over the tape: the historical rows (`/v1/options/trades/{options_ticker}/`)
//! and the last trade (`/v1/options/trades/{options_ticker}/last/`).

use crate::support::TestServer;
use jiff::civil::date;
use model::symbol::OptionSymbol;
use model::venues::{condition, venue};
use model::{Plan, Product, Timestamp};
use serde_json::{Value, json};

const TICKER: &str = "O:SPY250117C00592500";

/// SPY 2025-01-14 with a trade at 15:55 ET, and 2025-01-15 with trades at 09:40 and 09:55 ET.
fn write_sessions(data: &std::path::Path) {
    for (day, trades) in [
        (
            date(2025, 1, 14),
            vec![(6 * 3600 + 25 * 60, 4_000_000, 5_100_000_000)],
        ),
        (
            date(2025, 1, 15),
            vec![
                (10 * 60, 2_500_000, 5_250_000_000),
                (25 * 60, 10_000_000, 5_300_000_000),
            ],
        ),
    ] {
        let open = model::calendar::session(day).unwrap().open;
        let mut builder = tape::SessionBuilder::create(&data.join("tape"), "SPY", day).unwrap();
        let owner = builder
            .contract(OptionSymbol::parse(TICKER).unwrap())
            .unwrap();
        for (i, (seconds, size, price)) in trades.into_iter().enumerate() {
            let trade = tape::Trade {
                ts: open.plus(std::time::Duration::from_secs(seconds)),
                price,
                size,
                exchange: venue::CBOE,
                conditions: tape::Trade::conditions_from(&[condition::AUTO_EXECUTION]),
                sequence: 100 + i as u64,
            };
            builder.trade(owner, trade).unwrap();
        }
        builder.finish().unwrap();
    }
}

async fn last(server: &TestServer, key: &str, ticker: &str) -> (u16, Value) {
    let path = format!("/v1/options/trades/{ticker}/last/");
    let response = server.get(&path).bearer_auth(key).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_last_trade_is_as_of_market_time_and_fifteen_minutes_earlier_on_delayed_plans() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    // Market time: 2025-01-15 10:00 ET.
    let now = Timestamp::from_seconds(1_736_953_200);
    let server = TestServer::start_with_market_at(dir, now).await;
    let live = server
        .key("live@example.com", Product::Options, Plan::Expert)
        .await;
    let delayed = server
        .key("delayed@example.com", Product::Options, Plan::Developer)
        .await;

    let (status, body) = last(&server, &live, TICKER).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "OK");
    let open = model::calendar::session(date(2025, 1, 15)).unwrap().open;
    assert_eq!(
        body["results"],
        json!({
            "T": TICKER, "c": [209], "ds": "10.0", "i": "", "p": 5.3, "q": 101, "s": 10,
            "t": open.as_nanos() + 25 * 60 * 1_000_000_000, "x": 302
        })
    );
    // Fifteen minutes earlier (09:45) the last trade was the 09:40 one, of 2.5 contracts.
    let (status, body) = last(&server, &delayed, TICKER).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["p"], 5.25);
    assert_eq!(body["results"]["s"], 2.5);
    assert_eq!(body["results"]["ds"], "2.5");
    // `%3A` for the colon; a contract never traded; not a ticker.
    let (status, body) = last(&server, &live, "O%3ASPY250117C00592500").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = last(&server, &live, "O:SPY250117C00600000").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = last(&server, &live, "SPY").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("options_ticker")
    );
}

#[tokio::test]
async fn before_the_days_first_trade_the_last_one_is_from_an_earlier_session() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    // Market time: 2025-01-15 09:35 ET, before that day's first trade.
    let now = Timestamp::from_seconds(1_736_951_700);
    let server = TestServer::start_with_market_at(dir, now).await;
    let live = server
        .key("live@example.com", Product::Options, Plan::Expert)
        .await;
    let (status, body) = last(&server, &live, TICKER).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["p"], 5.1);
    assert_eq!(body["results"]["ds"], "4.0");
}

async fn rows(server: &TestServer, key: &str, query: &str) -> (u16, Value) {
    let path = format!("/v1/options/trades/{TICKER}/?{query}");
    let response = server.get(&path).bearer_auth(key).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn prices(body: &Value) -> Vec<f64> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["price"].as_f64().unwrap())
        .collect()
}

#[tokio::test]
async fn trades_are_filtered_by_time_newest_first_and_paged() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    // Market time: 2025-01-15 10:00 ET.
    let server =
        TestServer::start_with_market_at(dir, Timestamp::from_seconds(1_736_953_200)).await;
    let live = server
        .key("live@example.com", Product::Options, Plan::Expert)
        .await;
    let delayed = server
        .key("delayed@example.com", Product::Options, Plan::Developer)
        .await;

    let (status, body) = rows(&server, &live, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(prices(&body), [5.3, 5.25, 5.1]);
    let open = model::calendar::session(date(2025, 1, 15)).unwrap().open;
    assert_eq!(
        body["results"][1],
        json!({
            "sip_timestamp": open.as_nanos() + 10 * 60 * 1_000_000_000, "price": 5.25,
            "size": 2.5, "decimal_size": "2.5", "exchange": 302, "conditions": [209], "id": "",
            "sequence_number": 100
        })
    );
    // One New York day, oldest first; the same instant as RFC 3339, milliseconds or nanoseconds.
    let (_, body) = rows(&server, &live, "timestamp=2025-01-15&order=asc").await;
    assert_eq!(prices(&body), [5.25, 5.3]);
    let at_0950 = open.as_nanos() + 20 * 60 * 1_000_000_000;
    for bound in [
        "2025-01-15T14:50:00Z".to_string(),
        (at_0950 / 1_000_000).to_string(),
        at_0950.to_string(),
    ] {
        let (_, body) = rows(&server, &live, &format!("timestamp.gte={bound}")).await;
        assert_eq!(prices(&body), [5.3], "{bound}");
    }
    let (_, body) = rows(&server, &live, "timestamp.lt=2025-01-15").await;
    assert_eq!(prices(&body), [5.1]);
    // Pages follow next_url.
    let (_, first) = rows(&server, &live, "limit=2").await;
    assert_eq!(prices(&first), [5.3, 5.25]);
    let next = first["next_url"].as_str().unwrap();
    let response = server
        .http
        .get(next)
        .bearer_auth(&live)
        .send()
        .await
        .unwrap();
    let second: Value = response.json().await.unwrap();
    assert_eq!(prices(&second), [5.1]);
    assert!(second.get("next_url").is_none());
    // A delayed plan sees nothing newer than 09:45.
    let (_, body) = rows(&server, &delayed, "").await;
    assert_eq!(prices(&body), [5.25, 5.1]);

    for (query, status, code, names) in [
        ("timestamp=yesterday", 400, "bad_request", "timestamp"),
        (
            "timestamp.gte=2025-02-30",
            400,
            "bad_request",
            "timestamp.gte",
        ),
        ("sort=price", 400, "bad_request", "sort"),
        ("order=newest", 400, "bad_request", "order"),
        ("limit=0", 400, "bad_request", "limit"),
        (
            "timestamp.gte=2015-01-01",
            403,
            "lookback_exceeded",
            "timestamp",
        ),
    ] {
        let (got, body) = rows(&server, &delayed, query).await;
        assert_eq!(got, status, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{query}: {message}");
    }
}
