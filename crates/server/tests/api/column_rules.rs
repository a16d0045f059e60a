//! The column API's rules around the data: validation in `details.fieldErrors`, idempotent
//! replays of real responses, deprecation headers and the sunset, methods, the document.

use model::Timestamp;
use serde_json::{Value, json};
use std::time::Duration;

use crate::column::{CALL_QUERY, start, start_with};
use crate::support::{T0, header};

#[tokio::test]
async fn every_invalid_parameter_is_named_at_once() {
    let (server, key, _) = start_with(|settings| settings.column.trades_max_days = 3).await;
    let (status, body) = server
        .get_json(
            &key,
            "/v1/options/quote/intraday?root=spy&exp=20241320&strike=5e2&right=X&start_date=2024112&ivl=5&rth=yes&rth=no",
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "error": "invalid_parameters",
            "message": "root must match ^[A-Z0-9.]+$ and be at most 8 characters; exp is not a valid date; strike must be a positive dollar amount with at most 3 decimals; right must be C or P; start_date must be YYYYMMDD; end_date is required; ivl must be an integer between 1000 and 3600000; rth must be given only once",
            "details": { "fieldErrors": {
                "root": ["root must match ^[A-Z0-9.]+$ and be at most 8 characters"],
                "exp": ["exp is not a valid date"],
                "strike": ["strike must be a positive dollar amount with at most 3 decimals"],
                "right": ["right must be C or P"],
                "start_date": ["start_date must be YYYYMMDD"],
                "end_date": ["end_date is required"],
                "ivl": ["ivl must be an integer between 1000 and 3600000"],
                "rth": ["rth must be given only once"],
            }}
        })
    );
    // Span limits come from the configuration: trades here allow 3 days, EOD the default.
    let range = |endpoint: &str, start: &str, end: &str| {
        format!("/v1/options/{endpoint}?{CALL_QUERY}&start_date={start}&end_date={end}")
    };
    let (status, body) = server
        .get_json(&key, &range("trades", "20241125", "20241128"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["details"]["fieldErrors"],
        json!({ "end_date": ["date range too large"] })
    );
    let (status, _) = server
        .get_json(&key, &range("trades", "20241125", "20241127"))
        .await;
    assert_eq!(status, 200);
    let (status, body) = server
        .get_json(&key, &range("quote/eod", "20241202", "20241125"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["details"]["fieldErrors"],
        json!({ "start_date": ["start_date must be on or before end_date"] })
    );
    let (status, _) = server
        .get_json(&key, &range("quote/eod", "20150101", "20241231"))
        .await;
    assert_eq!(status, 200, "3,653 days is within the EOD limit");
    let (status, body) = server
        .get_json(&key, &range("quote/intraday", "20241101", "20241202"))
        .await;
    assert_eq!(status, 400, "32 days of intraday rows");
    assert_eq!(body["message"], "date range too large");
}

#[tokio::test]
async fn a_replay_is_the_first_response_byte_for_byte_and_free() {
    let (server, key, _) = start().await;
    let send = |strike: &str| {
        server
            .get(&format!(
                "/v1/options/quote/eod?root=SPY&exp=20241220&strike={strike}&right=C&start_date=20241101&end_date=20241231"
            ))
            .bearer_auth(&key)
            .header("Idempotency-Key", "eod-590")
            .send()
    };
    let first = send("590").await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let remaining: u64 = header(&first, "x-ratelimit-remaining").parse().unwrap();
    let first_body = first.bytes().await.unwrap();
    let rows: Value = serde_json::from_slice(&first_body).unwrap();
    assert_eq!(rows["response"].as_array().unwrap().len(), 4);

    server.advance(Duration::from_secs(5));
    let replay = send("590").await.unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(header(&replay, "idempotent-replayed"), "true");
    assert_eq!(
        header(&replay, "x-ratelimit-remaining"),
        remaining.to_string()
    );
    assert_eq!(
        header(&replay, "content-type"),
        "application/json; charset=utf-8"
    );
    assert_eq!(replay.bytes().await.unwrap(), first_body);

    let conflict = send("585.5").await.unwrap();
    assert_eq!(conflict.status(), 409);
    let body: Value = conflict.json().await.unwrap();
    assert_eq!(body["error"], "idempotency_conflict");
    // A request without the key is counted.
    let (status, _) = server
        .get_json(&key, "/v1/options/chain?root=SPY&exp=20241220")
        .await;
    assert_eq!(status, 200);
    let after = server
        .get("/v1/options/chain?root=SPY&exp=20241220")
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&after, "x-ratelimit-remaining"),
        (remaining - 2).to_string(),
        "the two chain requests cost one each; the replay and the conflict nothing"
    );
}

#[tokio::test]
async fn deprecation_is_announced_then_the_version_is_gone() {
    let deprecated = Timestamp::from_seconds(T0.as_seconds() - 86_400);
    let sunset = Timestamp::from_seconds(T0.as_seconds() + 3_600);
    let (server, key, _) = start_with(|settings| {
        settings.column.deprecated_at = Some(deprecated);
        settings.column.sunset_at = Some(sunset);
        settings.column.successor_url = Some("https://lab.example.com/docs#v2".into());
    })
    .await;
    let chain = || {
        server
            .get("/v1/options/chain?root=SPY&exp=20241220")
            .bearer_auth(&key)
            .send()
    };
    let before = chain().await.unwrap();
    assert_eq!(before.status(), 200);
    assert_eq!(
        header(&before, "deprecation"),
        format!("@{}", deprecated.as_seconds())
    );
    // T0 is Monday 2026-01-05 15:00 UTC; the sunset an hour later.
    assert_eq!(header(&before, "sunset"), "Mon, 05 Jan 2026 16:00:00 GMT");
    assert_eq!(
        header(&before, "link"),
        "<https://lab.example.com/docs#v2>; rel=\"successor-version\""
    );

    server.advance(Duration::from_secs(3_600));
    for request in [
        chain(),
        server.get("/v1/options/trades?root=SPY").send(),
        server.post("/v1/options/quote/eod").send(),
    ] {
        let response = request.await.unwrap();
        assert_eq!(response.status(), 410);
        assert_eq!(header(&response, "sunset"), "Mon, 05 Jan 2026 16:00:00 GMT");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "gone");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("lab.example.com")
        );
    }
    let health = server.get("/v1/options/health").send().await.unwrap();
    assert_eq!(health.status(), 200, "probes keep working");
    assert_eq!(
        header(&health, "deprecation"),
        format!("@{}", deprecated.as_seconds())
    );
}

#[tokio::test]
async fn without_configuration_no_lifecycle_headers_are_sent() {
    let (server, key, _) = start().await;
    let response = server
        .get("/v1/options/chain?root=SPY&exp=20241220")
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "api-version"), "v1");
    for name in ["deprecation", "sunset", "link"] {
        assert!(response.headers().get(name).is_none(), "{name}");
    }
}

#[tokio::test]
async fn other_methods_are_refused_in_the_column_shape() {
    let (server, key, _) = start().await;
    for path in [
        "/v1/options/chain",
        "/v1/options/quote/eod",
        "/v1/options/quote/intraday",
        "/v1/options/trades",
    ] {
        let response = server.post(path).bearer_auth(&key).send().await.unwrap();
        assert_eq!(response.status(), 405, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "method_not_allowed", "{path}");
    }
}

#[tokio::test]
async fn the_data_endpoints_are_documented_under_column() {
    let (server, _, _) = start().await;
    let doc: Value = server
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, params) in [
        ("/v1/options/chain", &["root", "exp"][..]),
        (
            "/v1/options/quote/eod",
            &["root", "exp", "strike", "right", "start_date", "end_date"],
        ),
        (
            "/v1/options/quote/intraday",
            &[
                "root",
                "exp",
                "strike",
                "right",
                "start_date",
                "end_date",
                "ivl",
                "rth",
            ],
        ),
        (
            "/v1/options/trades",
            &["root", "exp", "strike", "right", "start_date", "end_date"],
        ),
    ] {
        let get = &doc["paths"][path]["get"];
        assert_eq!(get["tags"], json!(["column"]), "{path}");
        let documented: Vec<&str> = get["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(documented, params, "{path}");
        assert!(
            get["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["in"] == "header" && p["name"] == "Idempotency-Key"),
            "{path}"
        );
    }
}
