//! Options quotes over the tape: the historical rows (`/v1/options/quotes/{options_ticker}/`) and
//! the last quote (`/v1/options/quotes/{options_ticker}/last/`), for Expert and Commercial plans.

use crate::support::TestServer;
use jiff::civil::date;
use model::symbol::OptionSymbol;
use model::venues::venue;
use model::{Plan, Product, Timestamp};
use serde_json::{Value, json};

const TICKER: &str = "O:SPY250117C00592500";

/// SPY on 2025-01-14 and 2025-01-15, the contract quoting every second for the first 300 seconds
/// of each session; the bid in cents counts the quotes (1.00 + 0.01 per quote, from the 14th).
fn write_sessions(data: &std::path::Path) {
    for (k, day) in [date(2025, 1, 14), date(2025, 1, 15)]
        .into_iter()
        .enumerate()
    {
        let open = model::calendar::session(day).unwrap().open;
        let mut builder = tape::SessionBuilder::create(&data.join("tape"), "SPY", day).unwrap();
        let owner = builder
            .contract(OptionSymbol::parse(TICKER).unwrap())
            .unwrap();
        for s in 0..300i64 {
            let bid = (100 + 300 * k as i64 + s) * 10_000_000;
            let quote = tape::Quote {
                ts: open.plus(std::time::Duration::from_secs(s as u64)),
                bid,
                ask: bid + 50_000_000,
                bid_size: 10,
                ask_size: 20,
                bid_exchange: venue::CBOE,
                ask_exchange: venue::ISE,
            };
            builder.quote(owner, quote).unwrap();
        }
        builder.finish().unwrap();
    }
}

fn bids(body: &Value) -> Vec<i64> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["bid_price"].as_f64().unwrap() * 100.0).round() as i64)
        .collect()
}

/// Every bid (in cents) of a query, page by page through next_url.
async fn every_page(server: &TestServer, key: &str, first: &str) -> Vec<i64> {
    let mut all = Vec::new();
    let mut url = server.at(first);
    loop {
        let response = server.http.get(&url).bearer_auth(key).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let body: Value = response.json().await.unwrap();
        all.extend(bids(&body));
        match body.get("next_url") {
            Some(next) => url = next.as_str().unwrap().to_string(),
            None => return all,
        }
    }
}

#[tokio::test]
async fn quotes_page_across_sessions_in_either_order() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    // Market time: 2025-01-15 10:00 ET.
    let server =
        TestServer::start_with_market_at(dir, Timestamp::from_seconds(1_736_953_200)).await;
    let expert = server
        .key("expert@example.com", Product::Options, Plan::Expert)
        .await;
    let path = format!("/v1/options/quotes/{TICKER}/");

    // Pages of 250 run across the session boundary, newest first by default.
    let newest_first = every_page(&server, &expert, &format!("{path}?limit=250")).await;
    assert_eq!(newest_first, (100..700).rev().collect::<Vec<_>>());
    let oldest_first = every_page(&server, &expert, &format!("{path}?limit=250&order=asc")).await;
    assert_eq!(oldest_first, (100..700).collect::<Vec<_>>());
    // A time range, as a New York day and as an RFC 3339 bound.
    let (_, body) = server
        .get_json(
            &expert,
            &format!("{path}?timestamp=2025-01-14&order=asc&limit=3"),
        )
        .await;
    assert_eq!(bids(&body), [100, 101, 102]);
    let (_, body) = server
        .get_json(
            &expert,
            &format!("{path}?timestamp.gte=2025-01-15T14:34:58Z"),
        )
        .await;
    assert_eq!(bids(&body), [699, 698]);
    let open = model::calendar::session(date(2025, 1, 15)).unwrap().open;
    assert_eq!(
        body["results"][0],
        json!({
            "sip_timestamp": open.as_nanos() + 299 * 1_000_000_000, "bid_price": 6.99,
            "bid_size": 10, "ask_price": 7.04, "ask_size": 20, "bid_exchange": 302,
            "ask_exchange": 308
        })
    );

    // The last quote: now, or fifteen minutes ago with timeframe=delayed (the 14th's last).
    let (status, body) = server.get_json(&expert, &format!("{path}last/")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["bid_price"], 6.99);
    let (status, body) = server
        .get_json(&expert, &format!("{path}last?timeframe=delayed"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["bid_price"], 6.99, "09:35 is before 09:45");
    let (status, body) = server
        .get_json(
            &expert,
            &format!("{path}?timeframe=delayed&timestamp=2025-01-15&limit=1"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(bids(&body), [699]);

    // Errors: a bad timeframe, a contract without quotes, and plans without quotes.
    let (status, body) = server
        .get_json(&expert, &format!("{path}?timeframe=slow"))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timeframe")
    );
    let (status, body) = server
        .get_json(&expert, "/v1/options/quotes/O:SPY250117C00600000/last/")
        .await;
    assert_eq!(status, 404, "{body}");
    let developer = server
        .key("developer@example.com", Product::Options, Plan::Developer)
        .await;
    let (status, body) = server.get_json(&developer, &path).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
}

#[tokio::test]
async fn polygon_clients_read_quotes_on_the_v3_path_with_api_key() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    let server =
        TestServer::start_with_market_at(dir, Timestamp::from_seconds(1_736_953_200)).await;
    let key = server
        .key("polygon@example.com", Product::Options, Plan::Expert)
        .await;
    let open = model::calendar::session(date(2025, 1, 15))
        .unwrap()
        .open
        .as_nanos();
    let path = format!(
        "/v3/quotes/O%3ASPY250117C00592500?apiKey={key}&timestamp.gte={}&timestamp.lt={}\
         &order=asc&sort=timestamp&limit=50000",
        open + 10 * 1_000_000_000,
        open + 13 * 1_000_000_000
    );
    let response = server.get(&path).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(bids(&body), [410, 411, 412]);
}
