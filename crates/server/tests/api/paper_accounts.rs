//! Paper accounts over HTTP (paper-trading spec §5.1–5.6, §5.15, §15 scenarios 1, 2, 13–14):
//! the envelope, every refusal with its code, malformed input, ownership and key scopes.

use model::{Plan, Product, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use store::paper_accounts::{EquityTrigger, Generations};
use uuid::Uuid;

use crate::support::{TestServer, header, is_request_id};

const ACCOUNTS: &str = "/v1/paper/accounts";

async fn paper_key(server: &TestServer, email: &str) -> String {
    server.key(email, Product::Paper, Plan::Free).await
}

/// Sends a request with a bearer key and an optional raw JSON body; the status and JSON body.
async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    key: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let mut request = server
        .http
        .request(method, server.at(path))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let id = header(&response, "x-request-id").to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str(), "{path}");
    assert!(is_request_id(&id));
    (status, body)
}

async fn post(server: &TestServer, path: &str, key: &str, body: Value) -> (u16, Value) {
    call(server, Method::POST, path, key, Some(&body.to_string())).await
}

async fn get(server: &TestServer, path: &str, key: &str) -> (u16, Value) {
    call(server, Method::GET, path, key, None).await
}

/// The status and `error.code` of an error answer, checking the CuteMarkets error envelope.
fn error(answer: &(u16, Value)) -> (u16, &str) {
    let (status, body) = answer;
    assert_eq!(body["status"], "ERROR", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    (*status, body["error"]["code"].as_str().unwrap())
}

/// Creates an account and returns its object.
async fn create(server: &TestServer, key: &str, body: Value) -> Value {
    let (status, body) = post(server, ACCOUNTS, key, body).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "OK");
    body["account"].clone()
}

fn id_of(account: &Value) -> String {
    account["id"].as_str().unwrap().to_string()
}

/// A paper instant: RFC 3339 UTC, `Z`, exactly six fractional digits.
fn micro(t: Timestamp) -> String {
    format!("{:.6}", t.to_jiff())
}

#[tokio::test]
async fn scenario_1_create_then_list() {
    let server = TestServer::start().await;
    let key = paper_key(&server, "agent@example.com").await;
    let (status, listed) = get(&server, "/v1/paper/accounts/", &key).await;
    assert_eq!(status, 200);
    assert_eq!(listed["status"], "OK");
    assert_eq!(listed["results"], json!([]));

    let (status, created) = post(
        &server,
        "/v1/paper/accounts/",
        &key,
        json!({"name": "agent-sandbox", "initial_cash": "100000"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["status"], "OK");
    let account = &created["account"];
    let id = id_of(account);
    assert!(Uuid::parse_str(&id).is_ok());
    // Paper instants are market time, not the wall clock.
    let market = server.state.market_now();
    assert_ne!(market, server.clock_now());
    let now = micro(market);
    assert_eq!(now.len(), "2026-01-02T15:00:00.000000Z".len());
    let expected = json!({
        "id": id,
        "name": "agent-sandbox",
        "status": "active",
        "generation": 1,
        "currency": "USD",
        "initial_cash": "100000",
        "cash": "100000",
        "reserved_cash": "0",
        "buying_power": "100000",
        "market_value": "0",
        "equity": "100000",
        "realized_pl": "0",
        "unrealized_pl": "0",
        "open_orders_count": 0,
        "positions_count": 0,
        "created_at": now,
        "updated_at": now,
        "generation_started_at": now,
        "archived_at": null,
        "last_reset_reason": null,
    });
    assert_eq!(account, &expected);

    // Listed in results[0], with and without the trailing slash.
    for path in ["/v1/paper/accounts/", "/v1/paper/accounts"] {
        let (status, listed) = get(&server, path, &key).await;
        assert_eq!(status, 200);
        assert_eq!(listed["results"], json!([expected]), "{path}");
    }
    for path in [format!("{ACCOUNTS}/{id}"), format!("{ACCOUNTS}/{id}/")] {
        let (status, one) = get(&server, &path, &key).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(one["account"], expected);
    }
    // Its ledger holds the deposit, its generations the first one.
    let (_, ledger) = get(&server, &format!("{ACCOUNTS}/{id}/ledger/"), &key).await;
    let entries = ledger["results"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["type"], "deposit");
    assert_eq!(entries[0]["amount"], "100000");
    assert_eq!(entries[0]["cash_after"], "100000");
    assert_eq!(entries[0]["generation"], 1);
    assert_eq!(entries[0]["account_id"], id.as_str());
    assert_eq!(entries[0]["created_at"], now.as_str());
    assert_eq!(entries[0]["order_id"], Value::Null);
    let (_, generations) = get(&server, &format!("{ACCOUNTS}/{id}/generations"), &key).await;
    assert_eq!(
        generations["results"],
        json!([{
            "generation": 1,
            "started_at": now,
            "ended_at": null,
            "initial_cash": "100000",
            "reset_reason": null,
            "final_cash": null,
            "final_equity": null,
            "final_realized_pl": null,
            "canceled_orders_count": null,
            "cleared_positions": null,
        }])
    );
}

#[tokio::test]
async fn scenario_2_twenty_active_then_archive_one() {
    let server = TestServer::start().await;
    let key = paper_key(&server, "limits@example.com").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let account = create(&server, &key, json!({"name": format!("account {i}")})).await;
        assert_eq!(account["cash"], "100000", "the default initial cash");
        ids.push(id_of(&account));
        // Market time moves with the wall clock under the replay clock.
        server.advance(Duration::from_secs(1));
    }
    let refused = post(&server, ACCOUNTS, &key, json!({"name": "twenty-first"})).await;
    assert_eq!(error(&refused), (409, "account_limit_reached"));

    let (status, archived) = call(
        &server,
        Method::DELETE,
        &format!("{ACCOUNTS}/{}/", ids[5]),
        &key,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(archived["account"]["status"], "archived");
    assert_eq!(
        archived["account"]["archived_at"],
        micro(server.state.market_now()).as_str()
    );
    let replacement = create(&server, &key, json!({"name": "twenty-first"})).await;

    let listed_ids = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect()
    };
    let (_, active) = get(&server, ACCOUNTS, &key).await;
    let active = listed_ids(&active);
    assert_eq!(active.len(), 20);
    assert!(!active.contains(&ids[5]));
    assert_eq!(active.last(), Some(&id_of(&replacement)));
    for flag in ["false", "0", "FALSE"] {
        let (status, body) = get(
            &server,
            &format!("{ACCOUNTS}?include_archived={flag}"),
            &key,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(listed_ids(&body), active, "{flag}");
    }
    for flag in ["true", "True", "1"] {
        let (_, all) = get(
            &server,
            &format!("{ACCOUNTS}/?include_archived={flag}"),
            &key,
        )
        .await;
        let all = listed_ids(&all);
        // Creation order, the archived account in its place.
        let mut expected = ids.clone();
        expected.push(id_of(&replacement));
        assert_eq!(all, expected, "{flag}");
    }
    let bad = get(&server, &format!("{ACCOUNTS}?include_archived=yes"), &key).await;
    assert_eq!(error(&bad), (400, "bad_request"));
    // Still 20 active: another create is refused again.
    let refused = post(&server, ACCOUNTS, &key, json!({"name": "one more"})).await;
    assert_eq!(error(&refused), (409, "account_limit_reached"));
}

#[tokio::test]
async fn concurrent_creates_over_http_stop_at_twenty() {
    let server = TestServer::start().await;
    let key = paper_key(&server, "burst@example.com").await;
    let requests: Vec<_> = (0..25)
        .map(|i| {
            let request = server
                .post(ACCOUNTS)
                .bearer_auth(&key)
                .json(&json!({"name": format!("burst {i}")}));
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 20);
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 5);
}

#[tokio::test]
async fn rename_archive_and_what_an_archived_account_refuses() {
    let server = TestServer::start().await;
    let key = paper_key(&server, "rename@example.com").await;
    let account = create(&server, &key, json!({"name": "before"})).await;
    let path = format!("{ACCOUNTS}/{}", id_of(&account));
    server.advance(Duration::from_secs(30));

    let (status, renamed) = call(
        &server,
        Method::PATCH,
        &format!("{path}/"),
        &key,
        Some(r#"{"name": "  after  "}"#),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(renamed["account"]["name"], "after");
    assert_eq!(
        renamed["account"]["updated_at"],
        micro(server.state.market_now()).as_str()
    );
    assert_eq!(renamed["account"]["created_at"], account["created_at"]);

    let (status, archived) = call(&server, Method::DELETE, &path, &key, None).await;
    assert_eq!(status, 200);
    let archived = archived["account"].clone();
    assert_eq!(archived["status"], "archived");
    assert_eq!(archived["name"], "after");
    // Idempotent: the same object again, even later.
    server.advance(Duration::from_secs(30));
    let (status, again) = call(&server, Method::DELETE, &path, &key, None).await;
    assert_eq!(status, 200);
    assert_eq!(again["account"], archived);
    // Readable, write-protected.
    let (status, read) = get(&server, &path, &key).await;
    assert_eq!((status, &read["account"]), (200, &archived));
    let rename = call(
        &server,
        Method::PATCH,
        &path,
        &key,
        Some(r#"{"name": "x"}"#),
    )
    .await;
    assert_eq!(error(&rename), (409, "account_archived"));
    let reset = post(
        &server,
        &format!("{path}/reset"),
        &key,
        json!({"confirm": true}),
    )
    .await;
    assert_eq!(error(&reset), (409, "account_archived"));
    let (status, ledger) = get(&server, &format!("{path}/ledger"), &key).await;
    assert_eq!(status, 200);
    assert_eq!(ledger["results"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn scenario_14_reset_opens_generation_two_and_keeps_generation_one() {
    let server = TestServer::start().await;
    let key = paper_key(&server, "reset@example.com").await;
    let account = create(
        &server,
        &key,
        json!({"name": "resettable", "initial_cash": 25000}),
    )
    .await;
    let id = id_of(&account);
    let reset_path = format!("{ACCOUNTS}/{id}/reset/");
    let started = micro(server.state.market_now());

    // Nothing but exactly `true` confirms; nothing changes until it does.
    for body in [
        Some(r#"{"confirm": false}"#),
        Some("{}"),
        Some(r#"{"confirm": "true"}"#),
        Some(r#"{"confirm": 1}"#),
        Some(r#"{"confirm": null, "initial_cash": "5"}"#),
        Some("  "),
        None,
    ] {
        let answer = call(&server, Method::POST, &reset_path, &key, body).await;
        assert_eq!(error(&answer), (400, "confirmation_required"), "{body:?}");
    }
    let (_, unchanged) = get(&server, &format!("{ACCOUNTS}/{id}"), &key).await;
    assert_eq!(unchanged["account"], account);

    server.advance(Duration::from_secs(90));
    let reset_at = micro(server.state.market_now());
    let (status, reset) = post(
        &server,
        &reset_path,
        &key,
        json!({"confirm": true, "initial_cash": "50000.25", "reason": " new strategy "}),
    )
    .await;
    assert_eq!(status, 200, "{reset}");
    let after = &reset["account"];
    assert_eq!(after["generation"], 2);
    assert_eq!(after["initial_cash"], "50000.25");
    assert_eq!(after["cash"], "50000.25");
    assert_eq!(after["equity"], "50000.25");
    assert_eq!(after["buying_power"], "50000.25");
    assert_eq!(after["generation_started_at"], reset_at.as_str());
    assert_eq!(after["created_at"], started.as_str());
    assert_eq!(after["last_reset_reason"], "new strategy");
    assert_eq!(
        (&after["open_orders_count"], &after["positions_count"]),
        (&json!(0), &json!(0))
    );

    // Generations, newest first; the first closed with its final figures.
    let (_, generations) = get(&server, &format!("{ACCOUNTS}/{id}/generations/"), &key).await;
    let generations = generations["results"].as_array().unwrap();
    assert_eq!(generations.len(), 2);
    assert_eq!(generations[0]["generation"], 2);
    assert_eq!(generations[0]["reset_reason"], "new strategy");
    assert_eq!(generations[0]["ended_at"], Value::Null);
    assert_eq!(
        generations[1],
        json!({
            "generation": 1,
            "started_at": started,
            "ended_at": reset_at,
            "initial_cash": "25000",
            "reset_reason": null,
            "final_cash": "25000",
            "final_equity": "25000",
            "final_realized_pl": "0",
            "canceled_orders_count": 0,
            "cleared_positions": [],
        })
    );

    // Default reads show the new generation; generation 1 stays readable.
    let ledger = |query: &'static str| {
        let path = format!("{ACCOUNTS}/{id}/ledger{query}");
        let server = &server;
        let key = &key;
        async move {
            let (status, body) = get(server, &path, key).await;
            assert_eq!(status, 200, "{query}: {body}");
            body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["generation"].as_i64().unwrap(),
                        e["type"].as_str().unwrap().to_string(),
                        e["amount"].as_str().unwrap().to_string(),
                        e["cash_after"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let row = |g: i64, t: &str, amount: &str, after: &str| {
        (g, t.to_string(), amount.to_string(), after.to_string())
    };
    assert_eq!(
        ledger("").await,
        [row(2, "deposit", "50000.25", "50000.25")]
    );
    assert_eq!(
        ledger("?generation=1").await,
        [
            row(1, "generation_end", "0", "25000"),
            row(1, "deposit", "25000", "25000"),
        ]
    );
    assert_eq!(
        ledger("?generation=ALL").await,
        [
            row(2, "deposit", "50000.25", "50000.25"),
            row(1, "generation_end", "0", "25000"),
            row(1, "deposit", "25000", "25000"),
        ]
    );
    assert_eq!(
        ledger("?generation=all&type=deposit").await,
        [
            row(2, "deposit", "50000.25", "50000.25"),
            row(1, "deposit", "25000", "25000"),
        ]
    );
    assert_eq!(ledger("?generation=all&limit=1").await.len(), 1);
    assert!(ledger("?generation=7").await.is_empty());
    assert!(ledger("?type=trade").await.is_empty());

    // Generation 1's equity history is intact: its start and the reset's final point.
    let user = server
        .state
        .store
        .user_by_email(&model::Email::parse("reset@example.com").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let account_id = Uuid::parse_str(&id).unwrap();
    let points = server
        .state
        .store
        .paper_equity_points(user, account_id, Generations::One(1))
        .await
        .unwrap()
        .unwrap();
    let triggers: Vec<_> = points.iter().map(|p| p.trigger).collect();
    assert_eq!(
        triggers,
        [EquityTrigger::GenerationStart, EquityTrigger::GenerationEnd]
    );
    assert!(
        points
            .iter()
            .all(|p| p.figures.equity == rust_decimal::dec!(25000))
    );

    // Scenario 13's account half: reads follow the current generation after a reset, and a
    // second reset without initial_cash keeps the closing generation's.
    let (status, again) = post(&server, &reset_path, &key, json!({"confirm": true})).await;
    assert_eq!(status, 200);
    assert_eq!(again["account"]["generation"], 3);
    assert_eq!(again["account"]["initial_cash"], "50000.25");
    assert_eq!(again["account"]["last_reset_reason"], Value::Null);
    assert_eq!(
        ledger("").await,
        [row(3, "deposit", "50000.25", "50000.25")]
    );
}

#[tokio::test]
async fn create_refuses_malformed_bodies() {
    let server = TestServer::start().await;
    let key = paper_key(&server, "strict@example.com").await;
    let long = format!(r#"{{"name": "{}"}}"#, "n".repeat(65));
    for body in [
        "[]",
        r#""agent""#,
        "5",
        "null",
        "{",
        r#"{"name": 5}"#,
        r#"{"name": ["a"]}"#,
        r#"{"name": null}"#,
        r#"{}"#,
        r#"{"name": ""}"#,
        r#"{"name": "   "}"#,
        r#"{"name": "bell\u0007"}"#,
        r#"{"name": "two\nlines"}"#,
        long.as_str(),
        r#"{"name": "a", "colour": "red"}"#,
        r#"{"name": "a", "name": "b"}"#,
        r#"{"name": "a", "initial_cash": "1e3"}"#,
        r#"{"name": "a", "initial_cash": 1e3}"#,
        r#"{"name": "a", "initial_cash": 1E3}"#,
        r#"{"name": "a", "initial_cash": "0"}"#,
        r#"{"name": "a", "initial_cash": 0}"#,
        r#"{"name": "a", "initial_cash": "-5"}"#,
        r#"{"name": "a", "initial_cash": -5}"#,
        r#"{"name": "a", "initial_cash": "100000000.01"}"#,
        r#"{"name": "a", "initial_cash": 100000000.01}"#,
        r#"{"name": "a", "initial_cash": "1.234"}"#,
        r#"{"name": "a", "initial_cash": 1.234}"#,
        r#"{"name": "a", "initial_cash": "abc"}"#,
        r#"{"name": "a", "initial_cash": " 100"}"#,
        r#"{"name": "a", "initial_cash": true}"#,
        r#"{"name": "a", "initial_cash": {}}"#,
        r#"{"name": "a", "initial_cash": ["100"]}"#,
    ] {
        let answer = call(&server, Method::POST, ACCOUNTS, &key, Some(body)).await;
        assert_eq!(error(&answer), (400, "bad_request"), "{body}");
    }
    let empty = call(&server, Method::POST, ACCOUNTS, &key, Some("")).await;
    assert_eq!(error(&empty), (400, "bad_request"));
    let form = server
        .post(ACCOUNTS)
        .bearer_auth(&key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=a")
        .send()
        .await
        .unwrap();
    let status = form.status().as_u16();
    let form: Value = form.json().await.unwrap();
    assert_eq!(
        (status, form["error"]["code"].as_str()),
        (415, Some("bad_request"))
    );
    // Nothing was created by any of them.
    let (_, listed) = get(&server, &format!("{ACCOUNTS}?include_archived=true"), &key).await;
    assert_eq!(listed["results"], json!([]));
}

#[tokio::test]
async fn create_reads_cash_exactly_from_strings_and_numbers() {
    let server = TestServer::start().await;
    let key = paper_key(&server, "exact@example.com").await;
    for (i, (sent, kept)) in [
        ("250000.5", "250000.5"),
        ("\"250000.50\"", "250000.5"),
        ("100000000", "100000000"),
        ("100000000.00", "100000000"),
        ("0.01", "0.01"),
        ("\"0.10\"", "0.1"),
        ("1.0", "1"),
        ("99999999.99", "99999999.99"),
        ("null", "100000"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = format!(r#"{{"name": " exact {i} ", "initial_cash": {sent}}}"#);
        let (status, created) = call(&server, Method::POST, ACCOUNTS, &key, Some(&body)).await;
        assert_eq!(status, 201, "{sent}: {created}");
        let account = &created["account"];
        assert_eq!(account["initial_cash"], kept, "{sent}");
        assert_eq!(account["cash"], kept, "{sent}");
        assert_eq!(account["equity"], kept, "{sent}");
        assert_eq!(account["name"], format!("exact {i}"));
    }
    // 64 characters (not bytes) is the longest name.
    let name = "é".repeat(64);
    let account = create(&server, &key, json!({ "name": name })).await;
    assert_eq!(account["name"], name.as_str());
}

#[tokio::test]
async fn rename_and_reset_refuse_malformed_bodies() {
    let server = TestServer::start().await;
    let key = paper_key(&server, "bodies@example.com").await;
    let account = create(&server, &key, json!({"name": "a"})).await;
    let path = format!("{ACCOUNTS}/{}", id_of(&account));
    for body in [
        "{}",
        "[]",
        r#"{"name": 5}"#,
        r#"{"name": ""}"#,
        r#"{"name": "b", "initial_cash": "5"}"#,
        r#"{"name": "b", "status": "archived"}"#,
        "",
    ] {
        let answer = call(&server, Method::PATCH, &path, &key, Some(body)).await;
        assert_eq!(error(&answer), (400, "bad_request"), "PATCH {body}");
    }
    let reset = format!("{path}/reset");
    let too_long = json!({"confirm": true, "reason": "r".repeat(501)}).to_string();
    for body in [
        "[]",
        r#"{"confirm": true, "extra": 1}"#,
        r#"{"confirm": true, "initial_cash": "0"}"#,
        r#"{"confirm": true, "initial_cash": 1e3}"#,
        r#"{"confirm": true, "initial_cash": "1.234"}"#,
        r#"{"confirm": true, "initial_cash": 100000000.01}"#,
        r#"{"confirm": true, "reason": 5}"#,
        too_long.as_str(),
        "{",
    ] {
        let answer = call(&server, Method::POST, &reset, &key, Some(body)).await;
        assert_eq!(error(&answer), (400, "bad_request"), "reset {body}");
    }
    // Nothing changed.
    let (_, read) = get(&server, &path, &key).await;
    assert_eq!(read["account"], account);
    // The longest reason and a number for initial_cash are fine.
    let longest = json!({"confirm": true, "reason": "r".repeat(500), "initial_cash": 250000.5});
    let (status, reset) = post(&server, &reset, &key, longest).await;
    assert_eq!(status, 200);
    assert_eq!(reset["account"]["cash"], "250000.5");
    assert_eq!(
        reset["account"]["last_reset_reason"]
            .as_str()
            .unwrap()
            .len(),
        500
    );
}

#[tokio::test]
async fn ledger_parameters_are_checked() {
    let server = TestServer::start().await;
    let key = paper_key(&server, "ledger@example.com").await;
    let account = create(&server, &key, json!({"name": "a"})).await;
    let path = format!("{ACCOUNTS}/{}/ledger", id_of(&account));
    for query in [
        "generation=0",
        "generation=-1",
        "generation=first",
        "type=bogus",
        "type=DEPOSIT",
        "limit=0",
        "limit=ten",
        "after=yesterday",
        "until=2026-01-02",
    ] {
        let answer = get(&server, &format!("{path}?{query}"), &key).await;
        assert_eq!(error(&answer), (400, "bad_request"), "{query}");
    }
    let market = server.state.market_now();
    let before = micro(market.minus(Duration::from_secs(1)));
    let (status, body) = get(
        &server,
        &format!("{path}?limit=5000&after={before}&until={}", micro(market)),
        &key,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    // `after` is exclusive: nothing after the deposit's own instant.
    let (_, body) = get(&server, &format!("{path}?after={}", micro(market)), &key).await;
    assert_eq!(body["results"], json!([]));
    // An offset other than Z, percent-encoded as the SDK sends it.
    let offset = market
        .to_jiff()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(-5)));
    let until = offset
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
        .replace('+', "%2B");
    let (status, body) = get(&server, &format!("{path}?until={until}"), &key).await;
    assert_eq!(status, 200);
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn another_user_s_account_is_answered_like_a_missing_one() {
    let server = TestServer::start().await;
    let owner = paper_key(&server, "owner@example.com").await;
    let second_key = paper_key(&server, "owner@example.com").await;
    let stranger = paper_key(&server, "stranger@example.com").await;
    let account = create(&server, &owner, json!({"name": "private"})).await;
    let id = id_of(&account);
    let missing = Uuid::new_v4().to_string();

    for (key, target) in [(&stranger, &id), (&owner, &missing), (&stranger, &missing)] {
        let base = format!("{ACCOUNTS}/{target}");
        let attempts = [
            (Method::GET, base.clone(), None),
            (Method::PATCH, base.clone(), Some(r#"{"name": "mine"}"#)),
            (Method::DELETE, base.clone(), None),
            (
                Method::POST,
                format!("{base}/reset"),
                Some(r#"{"confirm": true}"#),
            ),
            (Method::GET, format!("{base}/generations"), None),
            (Method::GET, format!("{base}/ledger"), None),
        ];
        for (method, path, body) in attempts {
            let answer = call(&server, method.clone(), &path, key, body).await;
            assert_eq!(error(&answer), (404, "not_found"), "{method} {path}");
            // Word for word what a missing id gets: nothing tells the two apart.
            assert_eq!(
                answer.1["error"]["message"],
                format!("paper account {target} not found")
            );
        }
    }
    let (_, listed) = get(
        &server,
        &format!("{ACCOUNTS}?include_archived=1"),
        &stranger,
    )
    .await;
    assert_eq!(listed["results"], json!([]));
    // Text that is no id names no account either.
    let answer = get(&server, &format!("{ACCOUNTS}/not-a-uuid"), &owner).await;
    assert_eq!(error(&answer), (404, "not_found"));
    // The owner's account is untouched, and any key of the owner reaches it.
    let (status, read) = get(&server, &format!("{ACCOUNTS}/{id}"), &second_key).await;
    assert_eq!((status, &read["account"]), (200, &account));
}

#[tokio::test]
async fn only_paper_keys_reach_paper_accounts() {
    let server = TestServer::start().await;
    let paper = paper_key(&server, "keys@example.com").await;
    let account = create(&server, &paper, json!({"name": "a"})).await;
    let options = server
        .key("keys@example.com", Product::Options, Plan::Expert)
        .await;
    let column = server
        .key("keys@example.com", Product::Column, Plan::Free)
        .await;
    let base = format!("{ACCOUNTS}/{}", id_of(&account));
    let routes = [
        (Method::GET, ACCOUNTS.to_string(), None),
        (Method::POST, ACCOUNTS.to_string(), Some(r#"{"name": "b"}"#)),
        (Method::GET, base.clone(), None),
        (Method::PATCH, base.clone(), Some(r#"{"name": "b"}"#)),
        (Method::DELETE, base.clone(), None),
        (
            Method::POST,
            format!("{base}/reset"),
            Some(r#"{"confirm": true}"#),
        ),
        (Method::GET, format!("{base}/generations"), None),
        (Method::GET, format!("{base}/ledger"), None),
    ];
    for (method, path, body) in &routes {
        for key in [&options, &column] {
            let answer = call(&server, method.clone(), path, key, *body).await;
            assert_eq!(error(&answer), (403, "forbidden"), "{method} {path}");
        }
        let mut request = server.http.request(method.clone(), server.at(path));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    // None of them changed the account.
    let (_, read) = get(&server, &base, &paper).await;
    assert_eq!(read["account"], account);
    let (_, listed) = get(&server, ACCOUNTS, &paper).await;
    assert_eq!(listed["results"].as_array().unwrap().len(), 1);
}
