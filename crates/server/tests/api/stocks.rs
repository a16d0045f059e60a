//! The stocks endpoints over hand-written sessions: trades and quotes (rows and last), bars
//! (range, previous day, open-close, grouped), indicators, snapshots (one, the market, movers)
//! and the reference lists.

use crate::support::TestServer;
use jiff::civil::date;
use model::venues::{condition, venue};
use model::{Plan, Product, Timestamp};
use serde_json::{Value, json};
use std::time::Duration;

/// Market time: 2025-01-15 10:00 New York, half an hour into the session.
const NOW: i64 = 1_736_953_200;

/// Trades: (ticker, session day, seconds after the open, price in cents, shares, venue, odd lot).
const TRADES: &[(&str, i8, u64, i64, u64, u16, bool)] = &[
    ("SPY", 14, 60, 58_800, 100, venue::NYSE_ARCA, false),
    ("SPY", 14, 6 * 3600, 59_000, 200, venue::NYSE_ARCA, false),
    ("SPY", 15, 60, 59_200, 100, venue::NYSE_ARCA, false),
    ("SPY", 15, 120, 59_300, 300, venue::NASDAQ, false),
    // After market time: never shown.
    ("SPY", 15, 3 * 3600, 60_000, 100, venue::NASDAQ, false),
    ("NFLX", 14, 6 * 3600, 85_000, 100, venue::NASDAQ, false),
    ("NFLX", 15, 30, 84_000, 100, venue::NASDAQ, false),
    ("NFLX", 15, 90, 84_100, 5, venue::FINRA_NASDAQ_TRF, true),
];

fn open(day: i8) -> Timestamp {
    model::calendar::session(date(2025, 1, day)).unwrap().open
}

fn at(day: i8, seconds: u64) -> Timestamp {
    open(day).plus(Duration::from_secs(seconds))
}

fn write_sessions(data: &std::path::Path) {
    let root = data.join("tape");
    for day in [14, 15] {
        for ticker in ["SPY", "NFLX"] {
            let mut builder =
                tape::SessionBuilder::create(&root, ticker, date(2025, 1, day)).unwrap();
            let trades = TRADES.iter().filter(|t| t.0 == ticker && t.1 == day);
            for (i, (_, _, seconds, cents, shares, venue, odd)) in trades.enumerate() {
                let codes: &[u16] = if *odd { &[condition::ODD_LOT] } else { &[] };
                let trade = tape::Trade {
                    ts: at(day, *seconds),
                    price: cents * 10_000_000,
                    size: shares * 1_000_000,
                    exchange: *venue,
                    conditions: tape::Trade::conditions_from(codes),
                    sequence: 1000 + i as u64,
                };
                builder.trade(tape::Owner::Underlying, trade).unwrap();
            }
            if ticker == "SPY" && day == 15 {
                let quote = tape::Quote {
                    ts: at(15, 100),
                    bid: 592_900_000_000,
                    ask: 593_100_000_000,
                    bid_size: 3,
                    ask_size: 4,
                    bid_exchange: venue::NYSE_ARCA,
                    ask_exchange: venue::NASDAQ,
                };
                builder.quote(tape::Owner::Underlying, quote).unwrap();
            }
            builder.finish().unwrap();
        }
        let mut spx = tape::SessionBuilder::create(&root, "SPX", date(2025, 1, day)).unwrap();
        spx.value(tape::IndexValue {
            ts: at(day, 60),
            value: 5_900_000_000_000,
        })
        .unwrap();
        spx.finish().unwrap();
    }
}

async fn server() -> TestServer {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    TestServer::start_with_market_at(dir, Timestamp::from_seconds(NOW)).await
}

fn ns(t: Timestamp) -> i64 {
    t.as_nanos()
}

#[tokio::test]
async fn stock_trades_carry_polygons_stock_numbering_and_the_tape() {
    let server = server().await;
    let key = server
        .key("trades@example.com", Product::Stocks, Plan::Expert)
        .await;
    let (status, body) = server
        .get_json(
            &key,
            "/v1/stocks/trades/NFLX?timestamp=2025-01-15&order=asc",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"],
        json!([
            {"sip_timestamp": ns(at(15, 30)), "price": 840, "size": 100, "decimal_size": "100.0",
             "exchange": 12, "conditions": [], "id": "", "sequence_number": 1000, "tape": 3},
            {"sip_timestamp": ns(at(15, 90)), "price": 841, "size": 5, "decimal_size": "5.0",
             "exchange": 4, "trf_id": 202, "conditions": [37], "id": "", "sequence_number": 1001,
             "tape": 3},
        ])
    );
    // Newest first by default, and nothing after market time.
    let (_, body) = server
        .get_json(&key, "/v1/stocks/trades/SPY?timestamp.gte=2025-01-15")
        .await;
    let prices: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["price"])
        .collect();
    assert_eq!(prices, [&json!(593), &json!(592)]);
    assert_eq!(body["results"][0]["tape"], 2);

    let (status, body) = server.get_json(&key, "/v1/stocks/trades/NFLX/last").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"],
        json!({"T": "NFLX", "c": [37], "ds": "5.0", "i": "", "p": 841, "q": 1001, "s": 5,
               "t": ns(at(15, 90)), "x": 4, "r": 202, "z": 3})
    );
    let (status, body) = server
        .get_json(&key, "/v1/stocks/trades/O:SPY250117C00592500")
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("bad_request")),
        "{body}"
    );
    let (status, _) = server.get_json(&key, "/v1/stocks/trades/AAPL/last").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn stock_quotes_and_the_compact_nbbo() {
    let server = server().await;
    let key = server
        .key("quotes@example.com", Product::Stocks, Plan::Expert)
        .await;
    let quote = json!({"sip_timestamp": ns(at(15, 100)), "bid_price": 592.9, "bid_size": 3,
                       "ask_price": 593.1, "ask_size": 4, "bid_exchange": 11, "ask_exchange": 12,
                       "tape": 2});
    let (status, body) = server.get_json(&key, "/v1/stocks/quotes/SPY").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"], json!([quote]));
    let (status, body) = server.get_json(&key, "/v1/stocks/quotes/SPY/last").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"],
        json!({"T": "SPY", "P": 593.1, "S": 4, "p": 592.9, "s": 3, "X": 12, "x": 11,
               "t": ns(at(15, 100)), "z": 2})
    );
    let (status, _) = server.get_json(&key, "/v1/stocks/quotes/NFLX/last").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn stock_bars_previous_day_open_close_grouped_and_indicators() {
    let server = server().await;
    let key = server
        .key("bars@example.com", Product::Stocks, Plan::Expert)
        .await;
    let (status, body) = server
        .get_json(&key, "/v1/stocks/aggs/SPY/1/day/2025-01-14/2025-01-15")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticker"], "SPY");
    let closes: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["c"])
        .collect();
    // The session in progress shows only what traded by market time.
    assert_eq!(closes, [&json!(590), &json!(593)]);
    assert_eq!(body["results"][1]["v"], 400);

    let (_, body) = server.get_json(&key, "/v1/stocks/aggs/SPY/prev").await;
    assert_eq!(body["results"][0]["T"], "SPY");
    assert_eq!(body["results"][0]["c"], 590);
    assert_eq!(body["results"][0]["o"], 588);

    let (status, body) = server
        .get_json(&key, "/v1/stocks/open-close/NFLX/2025-01-14")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["symbol"].as_str(), &body["close"]),
        (Some("NFLX"), &json!(850))
    );

    let (status, body) = server
        .get_json(&key, "/v1/stocks/aggs/grouped/2025-01-14")
        .await;
    assert_eq!(status, 200, "{body}");
    let tickers: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["T"])
        .collect();
    // Indexes do not trade: SPX has no bar here.
    assert_eq!(tickers, [&json!("NFLX"), &json!("SPY")]);
    assert_eq!(body["resultsCount"], 2);
    assert!(body.get("ticker").is_none());

    let (status, body) = server
        .get_json(
            &key,
            "/v1/stocks/indicators/sma/SPY?window=2&expand_underlying=true",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["values"][0]["value"], (590.0 + 593.0) / 2.0);
    let url = body["results"]["underlying"]["url"].as_str().unwrap();
    assert!(url.contains("/v1/stocks/aggs/SPY/1/day/"), "{url}");

    for path in [
        "/v1/stocks/aggs/O:SPY250117C00592500/1/day/2025-01-14/2025-01-15",
        "/v1/stocks/aggs/grouped/2025-13-01",
        "/v1/stocks/open-close/spy/2025-01-14",
    ] {
        let (status, body) = server.get_json(&key, path).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
}

#[tokio::test]
async fn snapshots_show_the_session_so_far_and_rank_movers() {
    let server = server().await;
    let expert = server
        .key("snap@example.com", Product::Stocks, Plan::Expert)
        .await;
    let (status, body) = server.get_json(&expert, "/v1/stocks/snapshot/SPY").await;
    assert_eq!(status, 200, "{body}");
    let spy = &body["results"];
    assert_eq!(spy["ticker"], "SPY");
    assert_eq!(
        spy["day"],
        json!({"o": 592, "h": 593, "l": 592, "c": 593, "v": 400, "vw": 592.75})
    );
    assert_eq!(spy["prevDay"]["c"], 590);
    assert_eq!(spy["todaysChange"], 3);
    assert_eq!(spy["todaysChangePerc"], 0.5085);
    assert_eq!(spy["lastTrade"]["p"], 593);
    assert_eq!(spy["lastTrade"]["x"], 12);
    assert_eq!(
        spy["lastQuote"],
        json!({"P": 593.1, "S": 4, "p": 592.9, "s": 3, "t": ns(at(15, 100))})
    );
    assert_eq!(spy["min"]["t"], ns(at(15, 120)) / 1_000_000);
    assert_eq!(spy["min"]["av"], 400);
    assert_eq!(spy["updated"], ns(at(15, 120)));

    // A plan without quotes sees no lastQuote; a delayed one sees fifteen minutes back.
    let developer = server
        .key("dev@example.com", Product::Stocks, Plan::Developer)
        .await;
    let (_, body) = server.get_json(&developer, "/v1/stocks/snapshot/SPY").await;
    assert!(body["results"].get("lastQuote").is_none(), "{body}");
    assert_eq!(body["results"]["lastTrade"]["p"], 593);

    // As of the day before's end.
    let (_, body) = server
        .get_json(&expert, "/v1/stocks/snapshot/SPY?as_of=2025-01-14")
        .await;
    assert_eq!(body["results"]["day"]["c"], 590);
    assert!(body["results"].get("prevDay").is_none(), "{body}");

    let (status, body) = server.get_json(&expert, "/v1/stocks/snapshot").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 2);
    let tickers: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["ticker"])
        .collect();
    assert_eq!(tickers, [&json!("NFLX"), &json!("SPY")]);
    let (_, body) = server
        .get_json(&expert, "/v1/stocks/snapshot?tickers=SPY,AAPL")
        .await;
    assert_eq!(body["count"], 1);
    assert_eq!(body["results"][0]["ticker"], "SPY");

    let (_, body) = server
        .get_json(&expert, "/v1/stocks/snapshot/movers/gainers")
        .await;
    assert_eq!(body["results"][0]["ticker"], "SPY");
    assert_eq!(body["count"], 1);
    let (_, body) = server
        .get_json(&expert, "/v1/stocks/snapshot/movers/losers")
        .await;
    assert_eq!(body["results"][0]["ticker"], "NFLX");
    assert_eq!(body["results"][0]["todaysChangePerc"], -1.0588);

    for (path, status) in [
        ("/v1/stocks/snapshot/movers/sideways", 400),
        ("/v1/stocks/snapshot/AAPL", 404),
        ("/v1/stocks/snapshot?tickers=SPY,not-a-ticker!", 400),
        ("/v1/stocks/snapshot/SPY?as_of=yesterday", 400),
    ] {
        let (got, body) = server.get_json(&expert, path).await;
        assert_eq!(got, status, "{path}: {body}");
    }
}

#[tokio::test]
async fn ticker_lists_filter_sort_and_page() {
    let server = server().await;
    let key = server
        .key("ref@example.com", Product::Stocks, Plan::Expert)
        .await;
    let tickers = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ticker"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, body) = server.get_json(&key, "/v1/stocks/tickers").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(tickers(&body), ["NFLX", "SPX", "SPY"]);
    assert_eq!(body["results"][2]["type"], "ETF");
    assert_eq!(body["results"][2]["primary_exchange"], "ARCX");
    for (query, expected) in [
        ("type=ETF", vec!["SPY"]),
        ("market=indices", vec!["SPX"]),
        ("search=netflix", vec!["NFLX"]),
        ("ticker.gte=SPX", vec!["SPX", "SPY"]),
        ("exchange=XNAS", vec!["NFLX"]),
        ("sort=name&order=desc", vec!["SPY", "SPX", "NFLX"]),
        ("cik=0001065280", vec![]),
        ("active=false", vec![]),
        ("date=2025-01-13", vec![]),
        ("date=2025-01-13&active=false", vec!["NFLX", "SPX", "SPY"]),
    ] {
        let (status, body) = server
            .get_json(&key, &format!("/v1/stocks/tickers?{query}"))
            .await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(tickers(&body), expected, "{query}");
    }
    let (_, first) = server.get_json(&key, "/v1/stocks/tickers?limit=2").await;
    assert_eq!(tickers(&first), ["NFLX", "SPX"]);
    let next = first["next_url"].as_str().unwrap();
    let path = &next[next.find("/v1/").unwrap()..];
    let (_, second) = server.get_json(&key, path).await;
    assert_eq!(tickers(&second), ["SPY"]);
    assert!(second.get("next_url").is_none());
    for query in [
        "sort=cusip",
        "active=maybe",
        "ticker.gt=lower",
        "date=2025-1-1",
    ] {
        let (status, body) = server
            .get_json(&key, &format!("/v1/stocks/tickers?{query}"))
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"]["message"].as_str().is_some(), "{body}");
    }

    let (_, body) = server.get_json(&key, "/v1/stocks/tickers/types").await;
    let codes: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["code"])
        .collect();
    assert_eq!(codes, [&json!("CS"), &json!("ETF"), &json!("INDEX")]);
    let (_, body) = server
        .get_json(&key, "/v1/stocks/tickers/types?asset_class=indices")
        .await;
    assert_eq!(
        body["results"],
        json!([{"code": "INDEX", "description": "Index", "asset_class": "indices", "locale": "us"}])
    );

    let (status, body) = server
        .get_json(&key, "/v1/stocks/tickers/SPY/related")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"],
        json!([{"ticker": "SPX", "name": "S&P 500 Index", "type": "INDEX"}])
    );
    let (_, body) = server
        .get_json(&key, "/v1/stocks/tickers/NFLX/related")
        .await;
    assert_eq!(body["results"], json!([]));
    let (status, _) = server
        .get_json(&key, "/v1/stocks/tickers/AAPL/related")
        .await;
    assert_eq!(status, 404);
}
