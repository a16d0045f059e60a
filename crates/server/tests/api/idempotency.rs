//! Idempotency keys on the column API, driven through the real gate with a handler that counts
//! how often it runs.

use axum::extract::Query;
use axum::routing::get;
use model::{Plan, Product};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::support::{T0, TestServer, header};

/// A column path no real route takes, so the counting handler can be mounted there.
const PATH: &str = "/v1/options/quote/counting";

/// A column-shaped handler that records each execution and takes a moment, so concurrent
/// duplicates really overlap.
fn counting_route(runs: Arc<AtomicU64>) -> axum::Router<server::AppState> {
    axum::Router::new().route(
        PATH,
        get(move |Query(query): Query<HashMap<String, String>>| {
            let runs = runs.clone();
            async move {
                let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
                if query.contains_key("fail") {
                    return Err(server::http::Problem::invalid_parameter(
                        "fail",
                        "fail was requested",
                    ));
                }
                Ok(axum::Json(json!({
                    "header": { "latency_ms": run, "format": ["run", "strike"] },
                    "response": [[run, query.get("strike")]],
                })))
            }
        }),
    )
}

async fn start(runs: &Arc<AtomicU64>) -> (TestServer, String) {
    let server = TestServer::start_with(counting_route(runs.clone()), |_| {}).await;
    let key = server
        .key("idem@example.com", Product::Column, Plan::Expert)
        .await;
    (server, key)
}

#[tokio::test]
async fn a_retry_replays_the_first_response_for_free() {
    let runs = Arc::new(AtomicU64::new(0));
    let (server, key) = start(&runs).await;
    let send = |strike: &str, idem: &str| {
        server
            .get(&format!("{PATH}?root=AAPL&strike={strike}"))
            .bearer_auth(&key)
            .header("Idempotency-Key", idem)
            .send()
    };
    let first = send("180", "k-1").await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let remaining = header(&first, "x-ratelimit-remaining").to_string();
    let first_body = first.bytes().await.unwrap();

    let replay = send("180", "k-1").await.unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(header(&replay, "idempotent-replayed"), "true");
    assert_eq!(
        header(&replay, "x-ratelimit-remaining"),
        remaining,
        "a replay costs no quota"
    );
    assert_eq!(header(&replay, "content-type"), "application/json");
    assert_eq!(
        replay.bytes().await.unwrap(),
        first_body,
        "byte for byte, latency_ms included"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    let conflict = send("182.5", "k-1").await.unwrap();
    assert_eq!(conflict.status(), 409);
    let body: Value = conflict.json().await.unwrap();
    assert_eq!(body["error"], "idempotency_conflict");
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // Without a key every request runs.
    server
        .get(&format!("{PATH}?root=AAPL&strike=180"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn concurrent_duplicates_execute_once() {
    let runs = Arc::new(AtomicU64::new(0));
    let (server, key) = start(&runs).await;
    let server = Arc::new(server);
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let (server, key) = (server.clone(), key.clone());
            tokio::spawn(async move {
                let response = server
                    .get(&format!("{PATH}?root=SPXW&strike=5950"))
                    .bearer_auth(&key)
                    .header("Idempotency-Key", "same-key")
                    .send()
                    .await
                    .unwrap();
                let replayed = response.headers().contains_key("idempotent-replayed");
                (
                    response.status().as_u16(),
                    replayed,
                    response.bytes().await.unwrap(),
                )
            })
        })
        .collect();
    let mut bodies = Vec::new();
    let mut replayed = 0;
    for request in requests {
        let (status, was_replayed, body) = request.await.unwrap();
        assert_eq!(status, 200);
        replayed += usize::from(was_replayed);
        bodies.push(body);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "executed once");
    assert_eq!(replayed, 7);
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn validation_errors_are_kept_but_rate_limits_are_not() {
    let runs = Arc::new(AtomicU64::new(0));
    let (server, key) = start(&runs).await;
    let failing = || {
        server
            .get(&format!("{PATH}?fail=1"))
            .bearer_auth(&key)
            .header("Idempotency-Key", "bad-request")
            .send()
    };
    let first = failing().await.unwrap();
    assert_eq!(first.status(), 400);
    let first_body: Value = first.json().await.unwrap();
    assert_eq!(first_body["error"], "invalid_parameters");
    assert_eq!(
        first_body["details"]["fieldErrors"]["fail"][0],
        "fail was requested"
    );
    let again = failing().await.unwrap();
    assert_eq!(header(&again, "idempotent-replayed"), "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first_body);
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // A free-plan key: the 21st request in a burst is a 429 that is not remembered.
    let free = server
        .key("free-idem@example.com", Product::Column, Plan::Free)
        .await;
    for i in 0..20 {
        let response = server
            .get(&format!("{PATH}?n={i}"))
            .bearer_auth(&free)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let limited = server
        .get(&format!("{PATH}?n=x"))
        .bearer_auth(&free)
        .header("Idempotency-Key", "later")
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    server.advance(Duration::from_secs(1));
    let retried = server
        .get(&format!("{PATH}?n=x"))
        .bearer_auth(&free)
        .header("Idempotency-Key", "later")
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);
    assert!(retried.headers().get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn malformed_keys_are_rejected_by_name() {
    let runs = Arc::new(AtomicU64::new(0));
    let (server, key) = start(&runs).await;
    for bad in ["k".repeat(256), "has space".to_string()] {
        let response = server
            .get(PATH)
            .bearer_auth(&key)
            .header("Idempotency-Key", bad.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("x-ratelimit-limit").is_some());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_parameters");
        assert_eq!(
            body["details"]["fieldErrors"]["Idempotency-Key"][0],
            "Idempotency-Key must be 1 to 255 visible ASCII characters"
        );
    }
    let ok = server
        .get(PATH)
        .bearer_auth(&key)
        .header("Idempotency-Key", "k".repeat(255))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn records_survive_a_restart_and_expire_after_a_day() {
    let runs = Arc::new(AtomicU64::new(0));
    let (server, key) = start(&runs).await;
    let url = format!("{PATH}?root=QQQ");
    let first = server
        .get(&url)
        .bearer_auth(&key)
        .header("Idempotency-Key", "durable")
        .send()
        .await
        .unwrap();
    let first_body = first.bytes().await.unwrap();
    let (dir, clock) = server.stop().await;

    let server = TestServer::start_in(dir, clock, counting_route(runs.clone()), |_| {}).await;
    let replay = server
        .get(&url)
        .bearer_auth(&key)
        .header("Idempotency-Key", "durable")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&replay, "idempotent-replayed"), "true");
    assert_eq!(replay.bytes().await.unwrap(), first_body);
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    server.clock.set(T0.plus(Duration::from_secs(24 * 60 * 60)));
    let later = server
        .get(&url)
        .bearer_auth(&key)
        .header("Idempotency-Key", "durable")
        .send()
        .await
        .unwrap();
    assert!(
        later.headers().get("idempotent-replayed").is_none(),
        "after 24 h the key is free again"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn keys_are_scoped_per_account() {
    let runs = Arc::new(AtomicU64::new(0));
    let (server, key) = start(&runs).await;
    let other = server
        .key("someone-else@example.com", Product::Column, Plan::Expert)
        .await;
    let same_user_second_key = server
        .key("idem@example.com", Product::Column, Plan::Expert)
        .await;
    let send = |k: &str| {
        server
            .get(PATH)
            .bearer_auth(k.to_string())
            .header("Idempotency-Key", "shared")
            .send()
    };
    send(&key).await.unwrap();
    let mine = send(&same_user_second_key).await.unwrap();
    assert_eq!(
        header(&mine, "idempotent-replayed"),
        "true",
        "all keys of an account share the space"
    );
    let theirs = send(&other).await.unwrap();
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}
