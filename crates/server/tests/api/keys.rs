//! API keys over HTTP: product scopes, plan gating and the rate limits of each face.

use model::{Plan, Product};
use serde_json::Value;
use std::time::Duration;

use crate::support::{TestServer, header};

async fn cm_error(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ERROR");
    (
        status,
        body["error"]["code"].as_str().unwrap().to_string(),
        body["error"]["message"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn keys_are_scoped_to_their_product() {
    let server = TestServer::start().await;
    let options = server
        .key("u@example.com", Product::Options, Plan::Expert)
        .await;
    let stocks = server
        .key("u@example.com", Product::Stocks, Plan::Expert)
        .await;
    let paper = server
        .key("u@example.com", Product::Paper, Plan::Free)
        .await;
    let column = server
        .key("u@example.com", Product::Column, Plan::Free)
        .await;

    let missing = server.get("/v1/options/chain/SPY/").send().await.unwrap();
    let (status, code, _) = cm_error(missing).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
    let unknown = server
        .get("/v1/options/chain/SPY/")
        .bearer_auth("cm_options_thisKeyDoesNotExist1234567890")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cm_error(unknown).await,
        (
            401,
            "unauthorized".into(),
            "Invalid or inactive API key.".into()
        )
    );

    for (key, path, expected) in [
        (
            &stocks,
            "/v1/options/chain/SPY/",
            "This endpoint requires an Options API key; this is a Stocks key.",
        ),
        (
            &options,
            "/v1/stocks/tickers/",
            "This endpoint requires a Stocks API key; this is an Options key.",
        ),
        (
            &paper,
            "/v1/options/contracts/",
            "This endpoint requires an Options API key; this is a Paper key.",
        ),
        (
            &column,
            "/v1/tickers/search/",
            "This endpoint requires an Options or Stocks API key; this is a Column key.",
        ),
        (
            &options,
            "/v1/paper/accounts/",
            "This endpoint requires a Paper API key; this is an Options key.",
        ),
    ] {
        let response = server.get(path).bearer_auth(key).send().await.unwrap();
        assert_eq!(
            cm_error(response).await,
            (403, "forbidden".into(), expected.into()),
            "{path}"
        );
    }
    // With the right product the gate lets the request through: to an empty market (no session
    // of SPY), to an empty search, or to an empty list of paper accounts.
    for (key, path, status) in [
        (&options, "/v1/options/chain/SPY/", 404),
        (&stocks, "/v1/stocks/snapshot/SPY/", 404),
        (&options, "/v1/tickers/search/?query=SPY", 200),
        (&stocks, "/v1/tickers/search/?query=SPY", 200),
        (&paper, "/v1/paper/accounts/", 200),
    ] {
        let response = server.get(path).bearer_auth(key).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
    }
    // Polygon-style aliases take the key from apiKey; the header wins when both are present.
    let alias = server
        .get(&format!(
            "/v3/snapshot/options/SPY?apiKey={options}&limit=50000"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(alias.status(), 404);
    let both = server
        .get(&format!("/v3/snapshot/options/SPY?apiKey={options}"))
        .bearer_auth(&stocks)
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 403);
    let stock_aggs = server
        .get(&format!(
            "/v2/aggs/ticker/AAPL/range/1/day/2025-01-02/2025-01-31?apiKey={options}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stock_aggs.status(), 403);
}

#[tokio::test]
async fn quote_endpoints_need_a_plan_with_quotes() {
    let server = TestServer::start().await;
    let free_options = server
        .key("f@example.com", Product::Options, Plan::Developer)
        .await;
    let free_stocks = server
        .key("f@example.com", Product::Stocks, Plan::Developer)
        .await;
    let expert_options = server
        .key("e@example.com", Product::Options, Plan::Expert)
        .await;
    let expert_stocks = server
        .key("e@example.com", Product::Stocks, Plan::Commercial)
        .await;

    let response = server
        .get("/v1/options/quotes/O:SPY260619P00450000/")
        .bearer_auth(&free_options)
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&response, "x-ratelimit-plan"),
        "Developer",
        "gating errors carry the rate-limit headers"
    );
    assert_eq!(
        cm_error(response).await,
        (
            403,
            "forbidden".into(),
            "This endpoint requires an Expert Plan subscription.".into()
        )
    );
    let response = server
        .get("/v1/stocks/quotes/AAPL/last/")
        .bearer_auth(&free_stocks)
        .send()
        .await
        .unwrap();
    assert_eq!(
        cm_error(response).await,
        (
            403,
            "plan_upgrade_required".into(),
            "This endpoint requires an Expert or Commercial plan.".into()
        )
    );
    let response = server
        .get("/v3/quotes/O:SPY260619P00450000")
        .bearer_auth(&free_options)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A paid options plan does not unlock stock quotes.
    let response = server
        .get("/v1/stocks/quotes/AAPL/")
        .bearer_auth(&expert_options)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Expert plans pass the gate (a stock the tape does not hold has no quotes).
    for (key, path, status) in [
        (
            &expert_options,
            "/v1/options/quotes/O:SPY260619P00450000/",
            200,
        ),
        (&expert_stocks, "/v1/stocks/quotes/AAPL/", 200),
    ] {
        assert_eq!(
            server
                .get(path)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status(),
            status,
            "{path}"
        );
    }
}

#[tokio::test]
async fn free_plan_allows_ten_a_minute_and_5000_a_day() {
    let server = TestServer::start().await;
    let key = server
        .key("free@example.com", Product::Options, Plan::Free)
        .await;
    let get = || {
        server
            .get("/v1/options/contracts/")
            .bearer_auth(&key)
            .send()
    };
    for i in 1..=10u64 {
        let response = get().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-plan"), "Free");
        assert_eq!(header(&response, "x-ratelimit-limit-minute"), "10");
        assert_eq!(
            header(&response, "x-ratelimit-remaining-minute"),
            (10 - i).to_string()
        );
        assert_eq!(header(&response, "x-ratelimit-limit-day"), "5000");
        assert_eq!(
            header(&response, "x-ratelimit-remaining-day"),
            (5000 - i).to_string()
        );
    }
    let limited = get().await.unwrap();
    assert_eq!(limited.status(), 429);
    // T0 is on a minute boundary: the window ends 60 s later.
    assert_eq!(header(&limited, "retry-after"), "60");
    assert_eq!(header(&limited, "x-ratelimit-remaining-minute"), "0");
    assert_eq!(header(&limited, "x-ratelimit-remaining-day"), "4990");
    let (_, code, message) = cm_error(limited).await;
    assert_eq!(code, "rate_limit_exceeded");
    assert_eq!(
        message,
        "Rate limit exceeded: the Free plan allows 10 requests per minute."
    );

    // Use up the day, ten a minute.
    let mut used = 10u64;
    while used < 5000 {
        server.advance(Duration::from_secs(60));
        for _ in 0..10 {
            assert_eq!(get().await.unwrap().status(), 200);
        }
        used += 10;
    }
    server.advance(Duration::from_secs(60));
    let exhausted = get().await.unwrap();
    assert_eq!(exhausted.status(), 429);
    assert_eq!(header(&exhausted, "x-ratelimit-remaining-day"), "0");
    assert_eq!(header(&exhausted, "x-ratelimit-remaining-minute"), "10");
    let retry: u64 = header(&exhausted, "retry-after").parse().unwrap();
    let (_, _, message) = cm_error(exhausted).await;
    assert_eq!(
        message,
        "Rate limit exceeded: the Free plan allows 5000 requests per day."
    );
    // The day resets at 00:00 UTC.
    let now = server.clock_now();
    let midnight = (now.as_seconds() / 86_400 + 1) * 86_400;
    assert_eq!(retry, (midnight - now.as_seconds()) as u64);
    server.advance(Duration::from_secs(retry));
    assert_eq!(get().await.unwrap().status(), 200);
}

#[tokio::test]
async fn paid_plans_report_unlimited_windows() {
    let server = TestServer::start().await;
    let key = server
        .key("paid@example.com", Product::Stocks, Plan::Developer)
        .await;
    for _ in 0..30 {
        let response = server
            .get("/v1/stocks/tickers/")
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit-minute"), "unlimited");
        assert_eq!(header(&response, "x-ratelimit-limit-day"), "unlimited");
        let remaining: u64 = header(&response, "x-ratelimit-remaining-minute")
            .parse()
            .unwrap();
        assert!(remaining > 1_000_000);
    }
}

#[tokio::test]
async fn revoked_keys_stop_working_at_once() {
    let server = TestServer::start().await;
    let key = server
        .key("r@example.com", Product::Options, Plan::Expert)
        .await;
    assert_eq!(
        server
            .get("/v1/options/contracts")
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let found = server
        .state
        .store
        .authenticate_api_key(&key)
        .await
        .unwrap()
        .unwrap();
    server
        .state
        .store
        .revoke_api_key(found.id, crate::support::T0)
        .await
        .unwrap();
    let response = server
        .get("/v1/options/contracts")
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(cm_error(response).await.0, 401);
}

#[tokio::test]
async fn column_keys_burst_then_refill_within_a_monthly_quota() {
    let server = TestServer::start().await;
    let key = server
        .key("c@example.com", Product::Column, Plan::Free)
        .await;
    let get = || {
        server
            .get("/v1/options/chain?root=SPXW&exp=20250115")
            .bearer_auth(&key)
            .send()
    };
    for i in 1..=20u64 {
        let response = get().await.unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(header(&response, "api-version"), "v1");
        assert_eq!(header(&response, "x-ratelimit-limit"), "1000");
        assert_eq!(
            header(&response, "x-ratelimit-remaining"),
            (1000 - i).to_string()
        );
        assert_eq!(header(&response, "x-ratelimit-limit-minute"), "60");
        assert_eq!(header(&response, "x-ratelimit-burst"), "20");
        // Monthly quota resets 2026-02-01T00:00:00Z.
        assert_eq!(header(&response, "x-ratelimit-reset"), "1769904000");
    }
    let limited = get().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(header(&limited, "retry-after"), "1");
    assert_eq!(header(&limited, "x-ratelimit-remaining"), "980");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    server.advance(Duration::from_secs(1));
    assert_eq!(get().await.unwrap().status(), 404);
    // Spend the rest of the month.
    for _ in 0..979 {
        server.advance(Duration::from_secs(1));
        assert_eq!(get().await.unwrap().status(), 404);
    }
    server.advance(Duration::from_secs(60));
    let exhausted = get().await.unwrap();
    assert_eq!(exhausted.status(), 429);
    assert_eq!(header(&exhausted, "x-ratelimit-remaining"), "0");
    let retry: i64 = header(&exhausted, "retry-after").parse().unwrap();
    assert_eq!(retry, 1_769_904_000 - server.clock_now().as_seconds());
    let body: Value = exhausted.json().await.unwrap();
    assert_eq!(body["error"], "quota_exceeded");
}

#[tokio::test]
async fn column_api_refuses_other_credentials() {
    let server = TestServer::start().await;
    let options = server
        .key("o@example.com", Product::Options, Plan::Expert)
        .await;
    for request in [
        server.get("/v1/options/chain?root=SPXW&exp=20250115"),
        server
            .get("/v1/options/chain?root=SPXW&exp=20250115")
            .bearer_auth(&options),
        server
            .get("/v1/options/chain?root=SPXW&exp=20250115")
            .bearer_auth("sopk_live_unknownButWellFormed123"),
        server
            .get("/v1/options/chain?root=SPXW&exp=20250115")
            .header("authorization", "Token abc"),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert!(response.headers().get("x-ratelimit-limit").is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn alpaca_surface_takes_paper_keys_in_either_header() {
    let server = TestServer::start().await;
    let paper = server
        .key("a@example.com", Product::Paper, Plan::Free)
        .await;
    let options = server
        .key("a@example.com", Product::Options, Plan::Expert)
        .await;
    let path = "/v1/paper/accounts/5f0c2a4e-0000-4000-8000-000000000000/v2/account";
    let missing = server.get(path).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.json::<Value>().await.unwrap()["code"], 40110000);
    let wrong = server.get(path).bearer_auth(&options).send().await.unwrap();
    assert_eq!(wrong.status(), 403);
    assert_eq!(wrong.json::<Value>().await.unwrap()["code"], 40310000);
    for request in [
        server.get(path).bearer_auth(&paper),
        server
            .get(path)
            .header("APCA-API-KEY-ID", &paper)
            .header("APCA-API-SECRET-KEY", "unused"),
    ] {
        // Authenticated; the account endpoints arrive with paper trading.
        assert_eq!(request.send().await.unwrap().status(), 404);
    }
}
