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
