//! HTTP conventions shared by every face: request ids, slashes, colons, error shapes, and that
//! malformed input never earns a 500.

use axum::routing::get;
use model::{Plan, Product};
use serde_json::Value;

use crate::support::{T0, TestServer, header, is_request_id};

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = TestServer::start().await;
    for (path, in_body) in [
        ("/v1/status/", true),
        ("/nowhere", true),
        ("/health", false),
        ("/auth/nowhere", false),
    ] {
        let response = server.get(path).send().await.unwrap();
        let id = header(&response, "x-request-id").to_string();
        assert!(is_request_id(&id), "{path}: {id}");
        let body = response.text().await.unwrap();
        if in_body {
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["request_id"], id.as_str(), "{path}");
        }
    }
    let a = server.get("/health").send().await.unwrap();
    let b = server.get("/health").send().await.unwrap();
    assert_ne!(header(&a, "x-request-id"), header(&b, "x-request-id"));
}

/// Writes a one-quote session of `underlying` on `date` into a data folder's tape.
fn write_session(data: &std::path::Path, underlying: &str, date: jiff::civil::Date) {
    let open = model::calendar::session(date).unwrap().open;
    let mut builder = tape::SessionBuilder::create(&data.join("tape"), underlying, date).unwrap();
    builder
        .quote(
            tape::Owner::Underlying,
            tape::Quote {
                ts: open,
                bid: 100_000_000_000,
                ask: 100_010_000_000,
                bid_size: 100,
                ask_size: 100,
                bid_exchange: 1,
                ask_exchange: 1,
            },
        )
        .unwrap();
    builder.finish().unwrap();
}

#[tokio::test]
async fn status_reports_health_without_a_key() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_session(dir.path(), "SPY", jiff::civil::date(2025, 12, 31));
    write_session(dir.path(), "SPY", jiff::civil::date(2025, 1, 15));
    let server = TestServer::start_in(
        dir,
        model::ManualClock::new(T0),
        axum::Router::new(),
        |_| {},
    )
    .await;
    let response = server.get("/v1/status/").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert!(
        response.headers().get("x-ratelimit-plan").is_none(),
        "status is not rate limited"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["services"]["api"]["status"], "ok");
    assert_eq!(body["services"]["database"]["status"], "ok");
    assert_eq!(body["services"]["market_data"]["status"], "ok");
    assert!(body["services"]["database"]["latency_ms"].as_f64().unwrap() >= 0.0);
    // The wall clock (10:00 in New York) replayed on the latest recorded session.
    assert_eq!(body["market"]["clock"], "replay");
    assert_eq!(body["market"]["session"], "2025-12-31");
    assert_eq!(body["market"]["time"], "2025-12-31T15:00:00Z");
    assert_eq!(body["market"]["underlyings"], serde_json::json!(["SPY"]));

    let health = server.get("/v1/options/health").send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(header(&health, "api-version"), "v1");
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["upstream"]["mdds_status"], "CONNECTED");
    assert!(body["upstream"]["upstream_ms"].is_u64());

    let live = server.get("/health").send().await.unwrap();
    assert_eq!(live.status(), 200);
}

#[tokio::test]
async fn without_market_data_status_is_degraded_and_a_fixed_clock_stands_still() {
    let at = model::Timestamp::parse_rfc3339("2025-01-15T15:30:00Z").unwrap();
    let server = TestServer::start_with(axum::Router::new(), |settings| {
        settings.market_clock = model::ClockSetting::Fixed(at);
    })
    .await;
    let body: Value = server
        .get("/v1/status/")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["database"]["status"], "ok");
    assert_eq!(body["services"]["market_data"]["status"], "degraded");
    assert_eq!(body["market"]["clock"], "fixed");
    assert_eq!(body["market"]["time"], "2025-01-15T15:30:00Z");
    server.clock.advance(std::time::Duration::from_secs(3600));
    let later: Value = server
        .get("/v1/status/")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(later["market"]["time"], "2025-01-15T15:30:00Z");
}

#[tokio::test]
async fn status_turns_degraded_when_the_database_is_gone() {
    let server = TestServer::start().await;
    server.state.store.close().await;
    let response = server.get("/v1/status").send().await.unwrap();
    assert_eq!(
        response.status(),
        200,
        "degraded still answers 200 so clients read the body"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["database"]["status"], "degraded");
    let column: Value = server
        .get("/v1/options/health")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(column["status"], "degraded");
    assert_eq!(column["upstream"]["mdds_status"], "DISCONNECTED");
    // A route that needs the database answers 503 in its face's shape, not 500.
    let unavailable = server
        .post("/auth/check-email")
        .json(&serde_json::json!({"email": "a@b.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unavailable.status(), 503);
    assert_eq!(
        header(&unavailable, "content-type"),
        "text/plain; charset=utf-8"
    );
}

#[tokio::test]
async fn trailing_slashes_and_encoded_colons_route_without_redirects() {
    let mut extra = axum::Router::new();
    extra = extra.route(
        "/v1/options/echo/{underlying}/{contract}",
        get(
            |axum::extract::Path((u, c)): axum::extract::Path<(String, String)>| async move {
                format!("{u}|{c}")
            },
        ),
    );
    let server = TestServer::start_with(extra, |_| {}).await;
    for path in ["/v1/status", "/v1/status/"] {
        assert_eq!(
            server.get(path).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
    let key = server
        .key("a@example.com", Product::Options, Plan::Expert)
        .await;
    for path in [
        "/v1/options/echo/SPY/O:SPY260619P00450000/",
        "/v1/options/echo/SPY/O:SPY260619P00450000",
        "/v1/options/echo/SPY/O%3ASPY260619P00450000/",
        "/v1/options/echo/SPY/O%3aSPY260619P00450000",
    ] {
        let response = server.get(path).bearer_auth(&key).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.text().await.unwrap(),
            "SPY|O:SPY260619P00450000",
            "{path}"
        );
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_face_shape() {
    let server = TestServer::start().await;
    // CuteMarkets envelope.
    let response = server.get("/v9/nothing/").send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, "content-type"), "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ERROR");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(body["error"]["message"], "no route for /v9/nothing");

    let response = server
        .http
        .delete(server.at("/v1/status/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    assert_eq!(
        body["error"]["message"],
        "method DELETE is not allowed on /v1/status"
    );

    // Simulator: plain text.
    let response = server.get("/auth/nowhere").send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap(), "no route for /auth/nowhere");
    let response = server.get("/auth/register").send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.text().await.unwrap(),
        "method GET is not allowed on /auth/register"
    );

    // Column: {error, message}.
    let response = server.post("/v1/options/health").send().await.unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
    let key = server
        .key("col@example.com", Product::Column, Plan::Free)
        .await;
    let response = server
        .get("/v1/options/quote/nothing")
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");

    // Alpaca: {code, message}.
    let paper = server
        .key("p@example.com", Product::Paper, Plan::Free)
        .await;
    let response = server
        .get("/v1/paper/accounts/5f0c2a4e-0000-4000-8000-000000000000/v2/nothing")
        .bearer_auth(&paper)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 40410000);
    assert!(body["message"].as_str().unwrap().contains("no route"));
}

#[tokio::test]
async fn malformed_json_bodies_get_clear_errors() {
    let server = TestServer::start().await;
    let cases: [(&str, &[u8], u16, &str); 6] = [
        (
            "application/json",
            b"{\"email\": ",
            400,
            "request body is not valid JSON",
        ),
        ("application/json", b"", 400, "request body is empty"),
        (
            "application/json",
            b"{\"email\": 42}",
            400,
            "invalid request body: invalid type",
        ),
        ("application/json", b"{}", 400, "missing field `email`"),
        ("application/json", b"[1,2,3]", 400, "invalid request body"),
        (
            "text/plain",
            b"{\"email\": \"a@b.com\"}",
            415,
            "Content-Type: application/json",
        ),
    ];
    for (content_type, body, status, needle) in cases {
        let response = server
            .post("/auth/check-email")
            .header("content-type", content_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            status,
            "{:?}",
            String::from_utf8_lossy(body)
        );
        let text = response.text().await.unwrap();
        assert!(text.contains(needle), "{text:?} should mention {needle:?}");
    }
    let huge = vec![b' '; (1 << 20) + 10];
    let response = server
        .post("/auth/check-email")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert!(response.text().await.unwrap().contains("exceeds"));
}

#[tokio::test]
async fn malformed_headers_and_paths_never_earn_a_500() {
    let server = TestServer::start().await;
    let requests: Vec<Vec<u8>> = vec![
        // Non-ASCII bytes in Authorization, on each face.
        b"GET /user HTTP/1.1\r\nHost: x\r\nAuthorization: \xff\xfe\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET /v1/options/chain/SPY/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET /v1/options/chain?root=SPY HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\r\nConnection: close\r\n\r\n".to_vec(),
        // Odd schemes and empty values.
        b"GET /v1/stocks/tickers/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Zm9vOmJhcg==\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET /user HTTP/1.1\r\nHost: x\r\nAuthorization: \r\nConnection: close\r\n\r\n".to_vec(),
        // Broken percent-encoding and control characters in paths.
        b"GET /v1/options/chain/%ZZ/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET /auth/%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET /v1/status/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
        // Idempotency key with bytes outside visible ASCII.
        b"GET /v1/options/chain?root=SPXW HTTP/1.1\r\nHost: x\r\nIdempotency-Key: \xc3\xa9\r\nConnection: close\r\n\r\n".to_vec(),
        // A body that claims to be longer than it is, then ends.
        b"POST /auth/check-email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\nConnection: close\r\n\r\n{\"email\"".to_vec(),
    ];
    for request in requests {
        let response = server.raw(&request).await;
        let status_line = response.lines().next().unwrap_or("");
        let ok = ["HTTP/1.1 4", "HTTP/1.1 2"]
            .iter()
            .any(|p| status_line.starts_with(p))
            || response.is_empty();
        assert!(
            ok,
            "{:?} -> {status_line:?}",
            String::from_utf8_lossy(&request)
        );
    }
    // The server is still serving.
    assert_eq!(server.get("/health").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_in_the_face_shape() {
    let extra = axum::Router::new().route(
        "/user/explode",
        get(|| async {
            if true {
                panic!("boom");
            }
            ""
        }),
    );
    let server = TestServer::start_with(extra, |_| {}).await;
    let response = server.get("/user/explode").send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(!text.contains("boom"), "internals are not leaked: {text}");
    assert_eq!(server.get("/health").send().await.unwrap().status(), 200);
}
