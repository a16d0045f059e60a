//! Options bars over the tape: a custom range (`/v1/options/aggs/{ticker}/{m}/{span}/{from}/{to}/`),
//! the previous day (`.../prev/`) and one day's open and close (`/v1/options/open-close/...`).

use crate::support::TestServer;
use jiff::civil::date;
use model::symbol::OptionSymbol;
use model::venues::venue;
use model::{Plan, Product, Timestamp};
use serde_json::{Value, json};

const TICKER: &str = "O:SPY250117C00592500";

/// Trades of the contract: (session, seconds after the open, price in cents, contracts).
const TRADES: &[(i8, u64, i64, u64)] = &[
    (14, 10 * 60, 480, 4),
    (14, 6 * 3600 + 29 * 60, 490, 1),
    (15, 60, 500, 1),
    (15, 90, 520, 3),
    (15, 190, 510, 2),
];

fn write_sessions(data: &std::path::Path) {
    for day in [14, 15] {
        let session = date(2025, 1, day);
        let open = model::calendar::session(session).unwrap().open;
        let mut builder = tape::SessionBuilder::create(&data.join("tape"), "SPY", session).unwrap();
        let owner = builder
            .contract(OptionSymbol::parse(TICKER).unwrap())
            .unwrap();
        for (i, (_, seconds, cents, size)) in TRADES.iter().filter(|t| t.0 == day).enumerate() {
            let trade = tape::Trade {
                ts: open.plus(std::time::Duration::from_secs(*seconds)),
                price: cents * 10_000_000,
                size: size * 1_000_000,
                exchange: venue::CBOE,
                conditions: [0; 4],
                sequence: i as u64,
            };
            builder.trade(owner, trade).unwrap();
        }
        builder.finish().unwrap();
    }
}

fn ms(at: Timestamp) -> i64 {
    at.as_nanos() / 1_000_000
}

#[tokio::test]
async fn bars_of_a_range_the_previous_day_and_a_days_open_close() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    // Market time: 2025-01-15 10:00 ET.
    let server =
        TestServer::start_with_market_at(dir, Timestamp::from_seconds(1_736_953_200)).await;
    let key = server
        .key("bars@example.com", Product::Options, Plan::Expert)
        .await;
    let open = model::calendar::session(date(2025, 1, 15)).unwrap().open;

    let (status, body) = server
        .get_json(
            &key,
            &format!("/v1/options/aggs/{TICKER}/1/minute/2025-01-15/2025-01-15/"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticker"], TICKER);
    assert_eq!(body["adjusted"], true);
    assert_eq!(body["resultsCount"], 2);
    assert_eq!(
        body["results"][0],
        json!({ "o": 5, "h": 5.2, "l": 5, "c": 5.2, "v": 4, "vw": 5.15,
                "t": ms(open.plus(std::time::Duration::from_secs(60))), "n": 2 })
    );
    assert_eq!(body["results"][1]["c"], 5.1);

    // Day bars over two sessions, newest first, a page at a time.
    let path = format!("/v1/options/aggs/{TICKER}/1/day/2025-01-14/2025-01-15?sort=desc&limit=1");
    let (status, first) = server.get_json(&key, &path).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["results"][0]["c"], 5.1);
    assert_eq!(
        first["results"][0]["t"],
        ms(model::calendar::new_york_instant(
            date(2025, 1, 15),
            0,
            0,
            0
        ))
    );
    let next = first["next_url"].as_str().unwrap();
    let response = server
        .http
        .get(next)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["results"][0]["o"], 4.8);
    assert_eq!(second["results"][0]["v"], 5);
    assert!(second.get("next_url").is_none());

    // The previous session's bar, with its ticker.
    let (status, body) = server
        .get_json(&key, &format!("/v1/options/aggs/{TICKER}/prev"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resultsCount"], 1);
    assert_eq!(body["results"][0]["T"], TICKER);
    assert_eq!(body["results"][0]["c"], 4.9);

    // One day's open and close, flat.
    let (status, body) = server
        .get_json(
            &key,
            &format!("/v1/options/open-close/{TICKER}/2025-01-14/"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("results").is_none());
    assert_eq!(body["symbol"], TICKER);
    assert_eq!(body["from"], "2025-01-14");
    assert_eq!(
        (body["open"].clone(), body["close"].clone()),
        (json!(4.8), json!(4.9))
    );
    assert_eq!(
        (body["high"].clone(), body["low"].clone()),
        (json!(4.9), json!(4.8))
    );
    assert_eq!(body["volume"], 5);
    assert_eq!(body["preMarket"], 4.8);
    assert_eq!(body["afterHours"], 4.9);

    for (path, status, code, names) in [
        (
            format!("/v1/options/open-close/{TICKER}/2025-01-13"),
            404,
            "not_found",
            "2025-01-13",
        ),
        (
            format!("/v1/options/aggs/{TICKER}/0/minute/2025-01-15/2025-01-15"),
            400,
            "bad_request",
            "multiplier",
        ),
        (
            format!("/v1/options/aggs/{TICKER}/1/fortnight/2025-01-15/2025-01-15"),
            400,
            "bad_request",
            "timespan",
        ),
        (
            format!("/v1/options/aggs/{TICKER}/1/day/15-01-2025/2025-01-15"),
            400,
            "bad_request",
            "from_date",
        ),
        (
            format!("/v1/options/aggs/{TICKER}/1/day/2014-01-02/2025-01-15"),
            403,
            "lookback_exceeded",
            "from_date",
        ),
        (
            "/v1/options/aggs/NOT A TICKER/prev".to_string(),
            400,
            "bad_request",
            "ticker",
        ),
    ] {
        let (got, body) = server.get_json(&key, &path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{path}: {message}");
    }
}

#[tokio::test]
async fn polygon_clients_read_option_bars_on_the_v2_path_with_api_key() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    let server =
        TestServer::start_with_market_at(dir, Timestamp::from_seconds(1_736_953_200)).await;
    let key = server
        .key("polygon@example.com", Product::Options, Plan::Developer)
        .await;
    let path = format!(
        "/v2/aggs/ticker/O%3ASPY250117C00592500/range/1/minute/2025-01-15/2025-01-15\
         ?apiKey={key}&adjusted=true&limit=50000&sort=asc"
    );
    let response = server.get(&path).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ticker"], TICKER);
    assert_eq!(body["results"].as_array().unwrap().len(), 2);
    assert!(body["results"][0]["t"].is_i64());
    assert_eq!(body["results"][0]["v"], 4);
}

#[tokio::test]
async fn indicators_over_the_tickers_bars() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    // Market time: 2025-01-15 10:00 ET; the two sessions' day bars close at 4.90 and 5.10.
    let server =
        TestServer::start_with_market_at(dir, Timestamp::from_seconds(1_736_953_200)).await;
    let key = server
        .key("indicators@example.com", Product::Options, Plan::Expert)
        .await;
    let day = |d| ms(model::calendar::new_york_instant(date(2025, 1, d), 0, 0, 0));
    let path = |rest: &str| format!("/v1/options/indicators/{rest}");

    let (status, body) = server
        .get_json(&key, &path(&format!("sma/{TICKER}?window=2")))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"]["values"],
        json!([{ "value": 5.0, "timestamp": day(15) }])
    );
    assert!(body["results"].get("underlying").is_none());
    let (_, body) = server
        .get_json(&key, &path(&format!("ema/{TICKER}/?window=1")))
        .await;
    assert_eq!(
        body["results"]["values"],
        json!([{ "value": 5.1, "timestamp": day(15) }, { "value": 4.9, "timestamp": day(14) }])
    );
    let (_, body) = server
        .get_json(&key, &path(&format!("rsi/{TICKER}?window=1&order=asc")))
        .await;
    assert_eq!(
        body["results"]["values"],
        json!([{ "value": 100.0, "timestamp": day(15) }])
    );
    let (_, body) = server
        .get_json(
            &key,
            &path(&format!(
                "macd/{TICKER}?short_window=1&long_window=2&signal_window=1&series_type=open"
            )),
        )
        .await;
    let point = &body["results"]["values"][0];
    assert_eq!(point["timestamp"], day(15));
    // Opens 4.80 and 5.00: EMA(1) = 5.00, EMA(2) = 4.90, MACD 0.10 = its own EMA(1).
    assert!(
        (point["value"].as_f64().unwrap() - 0.1).abs() < 1e-9,
        "{point}"
    );
    assert!(point["histogram"].as_f64().unwrap().abs() < 1e-9, "{point}");
    let (_, body) = server
        .get_json(
            &key,
            &path(&format!("sma/{TICKER}?window=1&expand_underlying=true")),
        )
        .await;
    let underlying = &body["results"]["underlying"];
    assert_eq!(underlying["aggregates"].as_array().unwrap().len(), 2);
    assert!(underlying["url"].as_str().unwrap().starts_with(&server.url));
    // An empty range is still an object.
    let (_, body) = server
        .get_json(
            &key,
            &path(&format!("sma/{TICKER}?window=1&timestamp.lt=2025-01-14")),
        )
        .await;
    assert_eq!(body["results"], json!({ "values": [] }));

    for (rest, status, code, names) in [
        (format!("bollinger/{TICKER}"), 404, "not_found", "bollinger"),
        (
            format!("sma/{TICKER}?window=0"),
            400,
            "bad_request",
            "window",
        ),
        (
            format!("sma/{TICKER}?series_type=mid"),
            400,
            "bad_request",
            "series_type",
        ),
        (
            format!("sma/{TICKER}?timespan=fortnight"),
            400,
            "bad_request",
            "timespan",
        ),
        (
            format!("rsi/{TICKER}?timestamp.gte=2014-01-02"),
            403,
            "lookback_exceeded",
            "timestamp",
        ),
    ] {
        let (got, body) = server.get_json(&key, &path(&rest)).await;
        assert_eq!(got, status, "{rest}: {body}");
        assert_eq!(body["error"]["code"], code, "{rest}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(names),
            "{rest}: {body}"
        );
    }
}
