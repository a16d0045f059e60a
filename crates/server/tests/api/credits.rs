//! The simulator's credit bucket, driven through the real gate and the market-data endpoints
//! over the fixture tape of `simulator_market_data`.

use serde_json::{Value, json};
use std::time::Duration;

use crate::simulator_market_data::{ELEVEN, fixture_server};
use crate::support::header;
use server::faces::simulator::credits;

/// Thirty snapshots: the most a range request returns, 150 credits.
const RANGE: &str = "/market-data/option-chain-snapshots/2025-01-15T14:35:00/2025-01-15T14:35:29";

#[tokio::test]
async fn metered_reads_fill_the_bucket_and_it_drains() {
    let server = fixture_server(ELEVEN).await;
    let token = server.register("credits@example.com").await;
    let strikes = || {
        server
            .as_session(
                reqwest::Method::GET,
                "/market-data/strikes/2025-01-15",
                &token,
            )
            .send()
    };

    let response = strikes().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-used"), "5");
    assert_eq!(header(&response, "x-ratelimit-limit"), "10000");

    // Thirty range snapshots cost 150; the meter takes the bucket the rest of the way to 9,905.
    let response = server
        .as_session(reqwest::Method::GET, RANGE, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-used"), "155");
    let profile: Value = server.profile(&token).await.json().await.unwrap();
    let user = profile["id"].as_str().unwrap().to_string();
    let filled = server.state.meter.charge(
        (credits::POLICY, user),
        &credits::rules(),
        9_750,
        server.clock_now(),
    );
    assert!(filled.allowed);
    let profile: Value = server.profile(&token).await.json().await.unwrap();
    assert_eq!(profile["usage_percent"], 99);

    // 9,905 + 150 > 10,000: refused, in the documented JSON shape, and it costs nothing.
    let refused = server
        .as_session(reqwest::Method::GET, RANGE, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    // 55 credits over at 10,000/86,400 per second: 476 seconds.
    assert_eq!(header(&refused, "retry-after"), "476");
    assert_eq!(header(&refused, "content-type"), "application/json");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "error": "rate_limit_exceeded", "retry_after_seconds": 476, "credits_used": 9905, "credits_cap": 10000 })
    );
    // Smaller reads still fit.
    assert_eq!(strikes().await.unwrap().status(), 200);

    // A failed read is not charged.
    let missing = server
        .as_session(
            reqwest::Method::GET,
            "/market-data/historical/1999-01-01",
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "x-ratelimit-used"), "9910");

    // Half a day later, half the bucket has drained.
    server.advance(Duration::from_secs(43_200));
    let profile: Value = server.profile(&token).await.json().await.unwrap();
    assert_eq!(profile["usage_percent"], 49);
}

#[tokio::test]
async fn visitors_are_not_metered_and_bad_tokens_are_refused() {
    let server = fixture_server(ELEVEN).await;
    for _ in 0..3 {
        let response = server
            .get("/market-data/strikes/2025-01-15")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("x-ratelimit-used").is_none());
    }
    let bad = server
        .get("/market-data/strikes/2025-01-15")
        .header("authorization", "0123456789abcdef0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(
        bad.text().await.unwrap(),
        "invalid or expired session token"
    );
}
