//! Ticker search (`/v1/tickers/search/`) over the underlyings the tape holds.

use crate::support::TestServer;
use jiff::civil::date;
use model::{Plan, Product, Timestamp};
use serde_json::Value;

/// One session each of SPX, SPY, XSP and an underlying the reference table does not know.
async fn server() -> TestServer {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    for underlying in ["SPX", "SPY", "XSP", "ZZYQ"] {
        let builder =
            tape::SessionBuilder::create(&dir.path().join("tape"), underlying, date(2025, 1, 15))
                .unwrap();
        builder.finish().unwrap();
    }
    TestServer::start_with_market_at(dir, Timestamp::from_seconds(1_736_953_200)).await
}

async fn search(server: &TestServer, key: &str, query: &str) -> (u16, Value) {
    let response = server
        .get(&format!("/v1/tickers/search/?{query}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn symbols(body: &Value) -> Vec<&str> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["symbol"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn search_ranks_exact_symbols_first_then_prefixes_then_names() {
    let server = server().await;
    // Any market-data key searches: a stocks key here.
    let key = server
        .key("stocks@example.com", Product::Stocks, Plan::Developer)
        .await;
    let (status, body) = search(&server, &key, "query=spx").await;
    assert_eq!(status, 200, "{body}");
    // The exact symbol first, then XSP, whose name ("Mini-SPX Index") holds it.
    assert_eq!(symbols(&body), ["SPX", "XSP"]);
    assert_eq!(body["results"][0]["name"], "S&P 500 Index");

    // SPY and SPX start with "SP"; XSP holds it; names are searched too.
    let (_, body) = search(&server, &key, "query=SP").await;
    assert_eq!(symbols(&body), ["SPX", "SPY", "XSP"]);
    let (_, body) = search(&server, &key, "query=s%26p%20500").await;
    assert_eq!(symbols(&body), ["SPX", "SPY"]);

    // Unknown names are left out rather than made up; pages follow next_url.
    let (_, body) = search(&server, &key, "query=ZZY").await;
    assert_eq!(body["results"][0]["symbol"], "ZZYQ");
    assert!(body["results"][0].get("name").is_none());
    let (_, first) = search(&server, &key, "query=S&limit=2").await;
    assert_eq!(symbols(&first).len(), 2);
    let next = first["next_url"].as_str().unwrap();
    let rest: Value = server
        .http
        .get(next)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(symbols(&rest), ["XSP"]);

    for (query, names) in [
        ("", "query"),
        ("query=%20", "query"),
        ("query=S&limit=x", "limit"),
    ] {
        let (status, body) = search(&server, &key, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(body["error"]["message"].as_str().unwrap().contains(names));
    }
}

#[tokio::test]
async fn ticker_detail_and_news_answer_on_their_paths() {
    let server = server().await;
    let stocks = server
        .key("stocks@example.com", Product::Stocks, Plan::Developer)
        .await;
    let options = server
        .key("options@example.com", Product::Options, Plan::Expert)
        .await;
    let response = server
        .get("/v1/stocks/tickers/SPY/")
        .bearer_auth(&stocks)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let spy = &body["results"];
    assert_eq!(spy["ticker"], "SPY");
    assert_eq!(spy["name"], "SPDR S&P 500 ETF Trust");
    assert_eq!(spy["type"], "ETF");
    assert_eq!(spy["primary_exchange"], "ARCX");
    assert_eq!(spy["active"], true);
    // Polygon's path with any market-data key; indexes are in the indices market; what the
    // reference table lacks is left out, never guessed.
    let alias: Value = server
        .get(&format!("/v3/reference/tickers/SPX?apiKey={options}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(alias["results"]["market"], "indices");
    assert!(alias["results"].get("market_cap").is_none());
    let unknown: Value = server
        .get(&format!("/v3/reference/tickers/ZZYQ?apiKey={options}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(unknown["results"].get("name").is_none());
    // Before its first session it was not active yet.
    let (status, body) = server
        .get_json(&stocks, "/v1/stocks/tickers/SPY/?date=2025-01-10")
        .await;
    assert_eq!(
        (status, body["results"]["active"].clone()),
        (200, Value::Bool(false))
    );

    for (path, status, code) in [
        ("/v1/stocks/tickers/NOPE/", 404, "not_found"),
        ("/v1/stocks/tickers/SPY/?date=someday", 400, "bad_request"),
        (
            "/v1/stocks/tickers/SPY/?date=2001-01-02",
            403,
            "lookback_exceeded",
        ),
    ] {
        let (got, body) = server.get_json(&stocks, path).await;
        assert_eq!(
            (got, body["error"]["code"].as_str().unwrap()),
            (status, code),
            "{path}"
        );
    }

    // No news source: a valid query has no articles; a malformed one is refused.
    let news = "/v2/reference/news?ticker=SPY&published_utc.gte=2025-01-14T00:00:00Z&order=asc&sort=published_utc&limit=1000";
    let (status, body) = server.get_json(&options, news).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"], serde_json::json!([]));
    for (query, names) in [
        ("limit=0", "limit"),
        ("published_utc.gte=yesterday", "published_utc.gte"),
        ("order=sideways", "order"),
        ("ticker=%20", "ticker"),
    ] {
        let (status, body) = server
            .get_json(&options, &format!("/v2/reference/news?{query}"))
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(names),
            "{body}"
        );
    }
}
