//! `/v1/paper/clock` and `/v1/paper/calendar` over a socket, on a fixed market clock.

use crate::support::TestServer;
use model::{Plan, Product, Timestamp};

/// Wednesday 2026-11-25, noon in New York: the session before Thanksgiving.
fn noon() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-25T17:00:00Z").unwrap()
}

async fn server() -> (TestServer, String) {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let server = TestServer::start_with_market_at(dir, noon()).await;
    let key = server
        .key("clock@example.com", Product::Paper, Plan::Free)
        .await;
    (server, key)
}

#[tokio::test]
async fn the_clock_runs_on_market_time() {
    let (server, key) = server().await;
    let (status, body) = server.get_json(&key, "/v1/paper/clock").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "OK");
    let clock = &body["clock"];
    assert_eq!(clock["timestamp"], "2026-11-25T17:00:00.000000Z");
    assert_eq!(clock["is_open"], true);
    assert_eq!(clock["next_close"], "2026-11-25T21:00:00.000000Z");
    assert_eq!(
        clock["next_open"], "2026-11-27T14:30:00.000000Z",
        "Thanksgiving is closed"
    );
}

#[tokio::test]
async fn the_calendar_lists_sessions_with_early_closes() {
    let (server, key) = server().await;
    let (status, body) = server
        .get_json(&key, "/v1/paper/calendar?start=2026-11-23&end=2026-11-29")
        .await;
    assert_eq!(status, 200, "{body}");
    let days: Vec<(String, String, bool)> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["close"].as_str().unwrap().to_string(),
                d["early_close"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            (
                "2026-11-23".into(),
                "2026-11-23T21:00:00.000000Z".into(),
                false
            ),
            (
                "2026-11-24".into(),
                "2026-11-24T21:00:00.000000Z".into(),
                false
            ),
            (
                "2026-11-25".into(),
                "2026-11-25T21:00:00.000000Z".into(),
                false
            ),
            (
                "2026-11-27".into(),
                "2026-11-27T18:00:00.000000Z".into(),
                true
            ),
        ]
    );
    let (_, default) = server.get_json(&key, "/v1/paper/calendar").await;
    assert_eq!(
        default["results"][0]["date"], "2026-11-25",
        "from today by the market clock"
    );
    for bad in [
        "start=2026-13-01",
        "start=20261123",
        "start=2026-11-23&end=2026-11-01",
        "start=2026-01-01&end=2028-12-31",
    ] {
        let (status, body) = server
            .get_json(&key, &format!("/v1/paper/calendar?{bad}"))
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn the_clock_needs_a_paper_key() {
    let (server, _) = server().await;
    let (status, _) = server.get_json("cm_paper_nope", "/v1/paper/clock").await;
    assert_eq!(status, 401);
    let options = server
        .key("data@example.com", Product::Options, Plan::Developer)
        .await;
    let (status, body) = server.get_json(&options, "/v1/paper/clock").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
}
