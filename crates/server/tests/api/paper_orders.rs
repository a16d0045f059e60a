//! Paper orders over a socket: the acceptance scenarios of the paper-trading spec (§15) on a
//! recorded AAPL session, with the market clock replaying it from 10:00 New York.

use crate::support::TestServer;
use model::symbol::OptionSymbol;
use model::venues::venue;
use model::{Plan, Product, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const CALL: &str = "O:AAPL250117C00200000";
const WIDE: &str = "O:AAPL250117C00210000";
/// In the money, expiring the session's day.
const DAILY: &str = "O:AAPL250115C00180000";

fn px(dollars: f64) -> i64 {
    (dollars * 1e9).round() as i64
}

fn quote(ts: Timestamp, bid: f64, ask: f64) -> tape::Quote {
    tape::Quote {
        ts,
        bid: px(bid),
        ask: px(ask),
        bid_size: 100,
        ask_size: 100,
        bid_exchange: venue::CBOE,
        ask_exchange: venue::CBOE,
    }
}

/// AAPL on 2025-01-15 quoted every second from the open to 11:00: 190.00 x 190.05, then from
/// 10:05 189.95 x 189.99; a call quoted 4.10 x 4.20 and one 1.00 x 1.60 every five seconds.
fn write_session(data: &std::path::Path) {
    let day = jiff::civil::date(2025, 1, 15);
    let open = model::calendar::session(day).unwrap().open;
    let mut builder = tape::SessionBuilder::create(&data.join("tape"), "AAPL", day).unwrap();
    let call = builder
        .contract(OptionSymbol::parse(CALL).unwrap())
        .unwrap();
    let wide = builder
        .contract(OptionSymbol::parse(WIDE).unwrap())
        .unwrap();
    let daily = builder
        .contract(OptionSymbol::parse(DAILY).unwrap())
        .unwrap();
    for second in 0..5400u64 {
        let ts = open.plus(Duration::from_secs(second));
        let (bid, ask) = if second < 2100 {
            (190.00, 190.05)
        } else {
            (189.95, 189.99)
        };
        builder
            .quote(tape::Owner::Underlying, quote(ts, bid, ask))
            .unwrap();
        if second % 5 == 0 {
            builder.quote(call, quote(ts, 4.10, 4.20)).unwrap();
            builder.quote(wide, quote(ts, 1.00, 1.60)).unwrap();
            builder.quote(daily, quote(ts, 10.00, 10.10)).unwrap();
        }
    }
    builder.finish().unwrap();
}

/// A server replaying the session (the test clock stands at 10:00 New York on a Monday) and a
/// paper account with 100,000.
async fn setup() -> (TestServer, String, String) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    write_session(dir.path());
    let server = TestServer::start_in(
        dir,
        model::ManualClock::new(crate::support::T0),
        axum::Router::new(),
        |_| {},
    )
    .await;
    let key = server
        .key("trader@example.com", Product::Paper, Plan::Free)
        .await;
    let created = post(
        &server,
        &key,
        "/v1/paper/accounts",
        json!({"name": "agent-sandbox", "initial_cash": "100000"}),
    )
    .await;
    assert_eq!(created.0, 201, "{}", created.1);
    let account = format!(
        "/v1/paper/accounts/{}",
        created.1["account"]["id"].as_str().unwrap()
    );
    (server, key, account)
}

async fn post(server: &TestServer, key: &str, path: &str, body: Value) -> (u16, Value) {
    let response = server
        .post(path)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn delete(server: &TestServer, key: &str, path: &str) -> (u16, Value) {
    let response = server
        .http
        .delete(server.at(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn order(symbol: &str, side: &str, qty: &str, limit: Option<&str>) -> Value {
    let mut body = json!({"symbol": symbol, "qty": qty, "side": side, "type": "market", "time_in_force": "day"});
    if let Some(limit) = limit {
        body["type"] = json!("limit");
        body["limit_price"] = json!(limit);
    }
    body
}

#[tokio::test]
async fn scenario_3_a_market_buy_fills_at_the_ask_with_its_evidence() {
    let (server, key, account) = setup().await;
    let (status, body) = post(
        &server,
        &key,
        &format!("{account}/orders"),
        order("AAPL", "buy", "10", None),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let placed = &body["order"];
    assert_eq!(placed["status"], "filled");
    assert_eq!(placed["filled_avg_price"], "190.05");
    assert_eq!(placed["filled_qty"], "10");
    assert_eq!(placed["last_quote"]["ask_price"], "190.05");
    let (_, got) = server.get_json(&key, &account).await;
    assert_eq!(got["account"]["cash"], "98099.5");
    assert_eq!(got["account"]["positions_count"], 1);
    let (_, ledger) = server.get_json(&key, &format!("{account}/ledger")).await;
    let trade = ledger["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "trade")
        .unwrap()
        .clone();
    assert_eq!(
        (trade["amount"].as_str(), trade["cash_after"].as_str()),
        (Some("-1900.5"), Some("98099.5"))
    );
    let (_, positions) = server.get_json(&key, &format!("{account}/positions")).await;
    let position = &positions["results"][0];
    assert_eq!(
        (
            position["symbol"].as_str(),
            position["qty"].as_str(),
            position["avg_entry_price"].as_str()
        ),
        (Some("AAPL"), Some("10"), Some("190.05"))
    );
    assert_eq!(position["current_price"], "190.025", "marked at the mid");

    let (_, fills) = server.get_json(&key, &format!("{account}/fills")).await;
    let fill = &fills["results"][0];
    assert_eq!(
        (
            fill["fill_rule"].as_str(),
            fill["price"].as_str(),
            fill["cash_after"].as_str(),
            fill["quote"]["ask_price"].as_str()
        ),
        (
            Some("buy_at_ask"),
            Some("190.05"),
            Some("98099.5"),
            Some("190.05")
        )
    );
    let (_, history) = server
        .get_json(&key, &format!("{account}/portfolio/history"))
        .await;
    let history = &history["history"];
    let points: Vec<(&str, &str)> = history["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["trigger"].as_str().unwrap(),
                p["equity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        points,
        [("generation_start", "100000"), ("fill", "99999.75")]
    );
    assert_eq!(history["base_value"], "100000");
    assert_eq!(history["summary"]["max_drawdown"], "-0.0000025");
    let (status, _) = server
        .get_json(&key, &format!("{account}/portfolio/history?timeframe=2H"))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_restart_keeps_open_orders_and_they_resume() {
    let (server, key, account) = setup().await;
    let (_, body) = post(
        &server,
        &key,
        &format!("{account}/orders"),
        order("AAPL", "buy", "10", Some("190.00")),
    )
    .await;
    let path = format!("{account}/orders/{}", body["order"]["id"].as_str().unwrap());
    let (dir, clock) = server.stop().await;
    let server = TestServer::start_in(dir, clock, axum::Router::new(), |_| {}).await;
    let (_, still) = server.get_json(&key, &path).await;
    assert_eq!(still["order"]["status"], "new");
    server.advance(Duration::from_secs(301));
    server::faces::paper::evaluation::tick(&server.state)
        .await
        .unwrap();
    let (_, now) = server.get_json(&key, &path).await;
    assert_eq!(now["order"]["status"], "filled");
}

#[tokio::test]
async fn scenario_4_a_limit_waits_until_marketable_then_fills_at_the_ask() {
    let (server, key, account) = setup().await;
    let (_, body) = post(
        &server,
        &key,
        &format!("{account}/orders"),
        order("AAPL", "buy", "10", Some("190.00")),
    )
    .await;
    let placed = body["order"].clone();
    assert_eq!(placed["status"], "new");
    assert_eq!(placed["last_no_fill_reason"], "not_marketable");
    let (_, got) = server.get_json(&key, &account).await;
    assert_eq!(
        got["account"]["reserved_cash"], "1900",
        "a limit buy reserves its cost"
    );
    assert_eq!(got["account"]["buying_power"], "98100");
    server.advance(Duration::from_secs(301));
    server::faces::paper::evaluation::tick(&server.state)
        .await
        .unwrap();
    let path = format!("{account}/orders/{}", placed["id"].as_str().unwrap());
    let (_, now) = server.get_json(&key, &path).await;
    assert_eq!(now["order"]["status"], "filled");
    assert_eq!(
        now["order"]["filled_avg_price"], "189.99",
        "at the ask, not at the limit"
    );
    let (_, got) = server.get_json(&key, &account).await;
    assert_eq!(
        (
            got["account"]["cash"].as_str(),
            got["account"]["reserved_cash"].as_str()
        ),
        (Some("98100.1"), Some("0"))
    );
}

#[tokio::test]
async fn scenarios_5_to_9_rejections_and_refusals() {
    let (server, key, account) = setup().await;
    let orders = format!("{account}/orders");
    post(&server, &key, &orders, order("AAPL", "buy", "10", None)).await;
    let (status, body) = post(&server, &key, &orders, order("AAPL", "sell", "11", None)).await;
    assert_eq!(
        (
            status,
            body["order"]["status"].as_str(),
            body["order"]["reject_reason"].as_str()
        ),
        (201, Some("rejected"), Some("short_sale_not_allowed"))
    );

    let (_, body) = post(
        &server,
        &key,
        &orders,
        order(CALL, "buy", "1", Some("4.25")),
    )
    .await;
    assert_eq!(
        (
            body["order"]["status"].as_str(),
            body["order"]["filled_avg_price"].as_str()
        ),
        (Some("filled"), Some("4.2"))
    );
    let (_, positions) = server.get_json(&key, &format!("{account}/positions")).await;
    let call = positions["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["symbol"] == CALL)
        .unwrap()
        .clone();
    assert_eq!(
        (call["market_value"].as_str(), call["multiplier"].as_str()),
        (Some("415"), Some("100"))
    );

    let (_, body) = post(&server, &key, &orders, order(WIDE, "buy", "1", None)).await;
    assert_eq!(body["order"]["reject_reason"], "wide_spread");
    let (_, body) = post(&server, &key, &orders, order(WIDE, "sell", "1", None)).await;
    assert_eq!(body["order"]["reject_reason"], "naked_option_sell");

    let mut sell_to_open = order(CALL, "sell", "1", None);
    sell_to_open["position_intent"] = json!("sell_to_open");
    let mut option_gtc = order(CALL, "buy", "1", None);
    option_gtc["time_in_force"] = json!("gtc");
    let mut extended = order(CALL, "buy", "1", None);
    extended["extended_hours"] = json!(true);
    let mut stop = order("AAPL", "buy", "1", None);
    stop["type"] = json!("stop");
    let mut notional = order("AAPL", "buy", "1", None);
    notional["notional"] = json!("100");
    for (body, code) in [
        (sell_to_open, "unsupported_position_intent"),
        (
            order(CALL, "buy", "1.5", None),
            "fractional_option_quantity",
        ),
        (stop, "unsupported_order_type"),
        (notional, "notional_not_supported"),
        (option_gtc, "unsupported_time_in_force"),
        (extended, "extended_hours_not_supported"),
        (order("$$$", "buy", "1", None), "invalid_symbol"),
        (
            order("O:AAPL250110C00200000", "buy", "1", None),
            "contract_expired",
        ),
    ] {
        let (status, answer) = post(&server, &key, &orders, body.clone()).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (422, Some(code)),
            "{body}"
        );
    }
    let (status, answer) = post(&server, &key, &orders, order("AAPL", "buy", "0", None)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let (status, answer) = post(&server, &key, &orders, json!(["not", "an", "object"])).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
}

#[tokio::test]
async fn client_ids_cancels_and_resets() {
    let (server, key, account) = setup().await;
    let orders = format!("{account}/orders");
    let mut limit = order("AAPL", "buy", "10", Some("150"));
    limit["client_order_id"] = json!("bot-1");
    let (status, first) = post(&server, &key, &orders, limit.clone()).await;
    assert_eq!(
        (status, first["order"]["status"].as_str()),
        (201, Some("new"))
    );
    let (status, again) = post(&server, &key, &orders, limit.clone()).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("duplicate_client_order_id"))
    );

    let path = format!("{orders}/{}", first["order"]["id"].as_str().unwrap());
    let (status, canceled) = delete(&server, &key, &path).await;
    assert_eq!(
        (
            status,
            canceled["order"]["status"].as_str(),
            canceled["order"]["cancel_reason"].as_str()
        ),
        (200, Some("canceled"), Some("user_request"))
    );
    let (status, twice) = delete(&server, &key, &path).await;
    assert_eq!(
        (status, twice["error"]["code"].as_str()),
        (422, Some("order_not_cancelable"))
    );

    let mut open = order("AAPL", "buy", "1", Some("150"));
    open["client_order_id"] = json!("bot-2");
    let (_, open) = post(&server, &key, &orders, open).await;
    post(&server, &key, &orders, order("AAPL", "buy", "10", None)).await;
    let (status, reset) = post(
        &server,
        &key,
        &format!("{account}/reset"),
        json!({"confirm": true}),
    )
    .await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(reset["account"]["generation"], 2);
    let (_, positions) = server.get_json(&key, &format!("{account}/positions")).await;
    assert_eq!(positions["results"], json!([]), "positions are cleared");
    let (_, old) = server
        .get_json(
            &key,
            &format!("{orders}/{}", open["order"]["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        (
            old["order"]["status"].as_str(),
            old["order"]["cancel_reason"].as_str()
        ),
        (Some("canceled"), Some("account_reset"))
    );
    let (_, listed) = server
        .get_json(&key, &format!("{orders}?status=all&generation=1"))
        .await;
    assert_eq!(listed["results"].as_array().unwrap().len(), 3);
    let count = |body: &Value| body["results"].as_array().unwrap().len();
    let (_, filtered) = server
        .get_json(
            &key,
            &format!("{orders}?status=all&generation=1&symbols=aapl,msft&side=buy&direction=asc"),
        )
        .await;
    assert_eq!(count(&filtered), 3);
    let (_, none) = server
        .get_json(
            &key,
            &format!("{orders}?status=all&generation=1&symbols=MSFT"),
        )
        .await;
    assert_eq!(count(&none), 0);
    let (_, later) = server
        .get_json(
            &key,
            &format!("{orders}?status=all&generation=1&after=2030-01-01T00:00:00Z"),
        )
        .await;
    assert_eq!(count(&later), 0);
    let (status, _) = server
        .get_json(&key, &format!("{orders}?after=yesterday"))
        .await;
    assert_eq!(status, 400);
    let (status, reused) = post(&server, &key, &orders, limit).await;
    assert_eq!(
        (status, reused["order"]["client_order_id"].as_str()),
        (201, Some("bot-1")),
        "a new generation frees client ids"
    );
}

#[tokio::test]
async fn another_users_account_is_not_found() {
    let (server, _, account) = setup().await;
    let other = server
        .key("other@example.com", Product::Paper, Plan::Free)
        .await;
    let (status, body) = post(
        &server,
        &other,
        &format!("{account}/orders"),
        order("AAPL", "buy", "1", None),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = server
        .get_json(&other, &format!("{account}/positions"))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn one_client_order_id_submitted_concurrently_makes_one_order() {
    let (server, key, account) = setup().await;
    let mut body = order("AAPL", "buy", "1", Some("150"));
    body["client_order_id"] = json!("same");
    let attempts: Vec<_> = (0..6)
        .map(|_| {
            let request = server
                .post(&format!("{account}/orders"))
                .bearer_auth(&key)
                .json(&body);
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
    let (_, listed) = server
        .get_json(&key, &format!("{account}/orders?status=all"))
        .await;
    assert_eq!(listed["results"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn equity_points_every_minute_for_holders_and_at_the_close_for_all() {
    use server::faces::paper::evaluation::record_equity;
    use store::paper_accounts::EquityTrigger;
    let (server, key, holder) = setup().await;
    let (_, idle) = post(&server, &key, "/v1/paper/accounts", json!({"name": "idle"})).await;
    let idle = format!(
        "/v1/paper/accounts/{}",
        idle["account"]["id"].as_str().unwrap()
    );
    post(
        &server,
        &key,
        &format!("{holder}/orders"),
        order("AAPL", "buy", "10", None),
    )
    .await;
    server.advance(Duration::from_secs(301));
    let now = server.state.market_now();
    assert_eq!(
        record_equity(&server.state, EquityTrigger::Interval, now)
            .await
            .unwrap(),
        1,
        "only the account holding positions"
    );
    assert_eq!(
        record_equity(&server.state, EquityTrigger::SessionClose, now)
            .await
            .unwrap(),
        2,
        "every active account"
    );
    let triggers = |history: &Value| -> Vec<(String, String)> {
        history["history"]["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["trigger"].as_str().unwrap().to_string(),
                    p["equity"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (_, held) = server
        .get_json(&key, &format!("{holder}/portfolio/history"))
        .await;
    // 10 shares bought at 190.05, marked at 189.97 after 10:05.
    assert_eq!(
        triggers(&held),
        [
            ("generation_start".to_string(), "100000".to_string()),
            ("fill".to_string(), "99999.75".to_string()),
            ("interval".to_string(), "99999.2".to_string()),
            ("session_close".to_string(), "99999.2".to_string()),
        ]
    );
    let (_, idle_history) = server
        .get_json(&key, &format!("{idle}/portfolio/history"))
        .await;
    assert_eq!(
        triggers(&idle_history),
        [
            ("generation_start".to_string(), "100000".to_string()),
            ("session_close".to_string(), "100000".to_string()),
        ]
    );
}

#[tokio::test]
async fn fills_at_one_instant_apply_in_the_order_they_were_made() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    write_session(dir.path());
    let ten = model::calendar::new_york_instant(jiff::civil::date(2025, 1, 15), 10, 0, 0);
    let server = TestServer::start_with_market_at(dir, ten).await;
    let key = server
        .key("fixed@example.com", Product::Paper, Plan::Free)
        .await;
    let (_, created) = post(
        &server,
        &key,
        "/v1/paper/accounts",
        json!({"name": "fixed"}),
    )
    .await;
    let account = format!(
        "/v1/paper/accounts/{}",
        created["account"]["id"].as_str().unwrap()
    );
    for _ in 0..3 {
        let (_, bought) = post(
            &server,
            &key,
            &format!("{account}/orders"),
            order("AAPL", "buy", "10", None),
        )
        .await;
        assert_eq!(bought["order"]["status"], "filled");
        let (_, sold) = post(
            &server,
            &key,
            &format!("{account}/orders"),
            order("AAPL", "sell", "10", None),
        )
        .await;
        assert_eq!(sold["order"]["status"], "filled", "{sold}");
    }
    let (status, got) = server.get_json(&key, &account).await;
    assert_eq!(status, 200);
    // Three round trips of 10 shares bought at 190.05 and sold at 190.00.
    assert_eq!(
        (
            got["account"]["realized_pl"].as_str(),
            got["account"]["cash"].as_str()
        ),
        (Some("-1.5"), Some("99998.5"))
    );
    let (_, positions) = server.get_json(&key, &format!("{account}/positions")).await;
    assert_eq!(positions["results"], json!([]));
}

#[tokio::test]
async fn an_option_held_through_its_expiration_settles_at_intrinsic_value() {
    use server::faces::paper::evaluation::settle_expirations;
    let (server, key, account) = setup().await;
    let (_, bought) = post(
        &server,
        &key,
        &format!("{account}/orders"),
        order(DAILY, "buy", "1", None),
    )
    .await;
    assert_eq!(bought["order"]["filled_avg_price"], "10.1");
    let close = model::calendar::session(jiff::civil::date(2025, 1, 15))
        .unwrap()
        .close;
    let before = model::calendar::new_york_instant(jiff::civil::date(2025, 1, 15), 15, 59, 0);
    assert_eq!(
        settle_expirations(&server.state, before).await.unwrap(),
        0,
        "not before the close"
    );
    assert_eq!(settle_expirations(&server.state, close).await.unwrap(), 1);
    assert_eq!(
        settle_expirations(&server.state, close).await.unwrap(),
        0,
        "once"
    );
    let (_, got) = server.get_json(&key, &account).await;
    // Bought at 10.10; AAPL's last mid 189.97 makes the 180 call worth 9.97.
    assert_eq!(
        (
            got["account"]["cash"].as_str(),
            got["account"]["realized_pl"].as_str(),
            got["account"]["positions_count"].as_u64()
        ),
        (Some("99987"), Some("-13"), Some(0))
    );
    let (_, fills) = server
        .get_json(&key, &format!("{account}/fills?direction=asc"))
        .await;
    let settlement = &fills["results"][1];
    assert_eq!(
        (
            settlement["fill_rule"].as_str(),
            settlement["price"].as_str(),
            settlement["order_id"].is_null(),
            settlement["quote"]["underlying_mid"].as_str()
        ),
        (Some("expiration"), Some("9.97"), true, Some("189.97"))
    );
    let (_, ledger) = server
        .get_json(&key, &format!("{account}/ledger?type=option_expiration"))
        .await;
    assert_eq!(ledger["results"][0]["amount"], "997");
    let (_, history) = server
        .get_json(&key, &format!("{account}/portfolio/history"))
        .await;
    let last = history["history"]["points"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["trigger"].as_str(), last["equity"].as_str()),
        (Some("option_expiration"), Some("99987"))
    );
}

/// A server over the AAPL session whose market clock is fixed at `at`, on the folder `dir`.
async fn fixed_at(dir: Arc<tempfile::TempDir>, at: Timestamp) -> TestServer {
    TestServer::start_in(
        dir,
        model::ManualClock::new(crate::support::T0),
        axum::Router::new(),
        move |settings| settings.market_clock = model::ClockSetting::Fixed(at),
    )
    .await
}

#[tokio::test]
async fn scenario_10_and_11_orders_wait_for_their_session_and_expire_at_its_close() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    write_session(dir.path());
    let ny =
        |y, m, d, h, min| model::calendar::new_york_instant(jiff::civil::date(y, m, d), h, min, 0);
    // Saturday 2025-01-18: the next session is Tuesday the 21st (Monday is Martin Luther King Day).
    let server = fixed_at(dir.clone(), ny(2025, 1, 18, 12, 0)).await;
    let key = server
        .key("hours@example.com", Product::Paper, Plan::Free)
        .await;
    let (_, created) = post(
        &server,
        &key,
        "/v1/paper/accounts",
        json!({"name": "hours"}),
    )
    .await;
    let account = format!(
        "/v1/paper/accounts/{}",
        created["account"]["id"].as_str().unwrap()
    );
    let orders = format!("{account}/orders");
    let (_, canceled) = post(
        &server,
        &key,
        &orders,
        order("AAPL", "buy", "1", Some("150")),
    )
    .await;
    assert_eq!(canceled["order"]["status"], "accepted");
    assert_eq!(
        canceled["order"]["expires_at"],
        "2025-01-21T21:00:00.000000Z"
    );
    let path = format!("{orders}/{}", canceled["order"]["id"].as_str().unwrap());
    let (status, body) = delete(&server, &key, &path).await;
    assert_eq!(
        (status, body["order"]["status"].as_str()),
        (200, Some("canceled")),
        "a closed-market order can be canceled"
    );
    let (_, waiting) = post(
        &server,
        &key,
        &orders,
        order("AAPL", "buy", "1", Some("150")),
    )
    .await;
    let waiting = format!("{orders}/{}", waiting["order"]["id"].as_str().unwrap());
    server::faces::paper::evaluation::tick(&server.state)
        .await
        .unwrap();
    let (_, still) = server.get_json(&key, &waiting).await;
    assert_eq!(
        (
            still["order"]["status"].as_str(),
            still["order"]["last_no_fill_reason"].as_str()
        ),
        (Some("accepted"), Some("market_closed"))
    );

    // Tuesday at the open it becomes new (its quotes are last week's: no fill).
    let (dir, _) = server.stop().await;
    let server = fixed_at(dir, ny(2025, 1, 21, 9, 30)).await;
    server::faces::paper::evaluation::tick(&server.state)
        .await
        .unwrap();
    let (_, open) = server.get_json(&key, &waiting).await;
    assert_eq!(
        (
            open["order"]["status"].as_str(),
            open["order"]["last_no_fill_reason"].as_str()
        ),
        (Some("new"), Some("quote_stale"))
    );

    // At its session's close it expires.
    let (dir, _) = server.stop().await;
    let server = fixed_at(dir, ny(2025, 1, 21, 16, 0)).await;
    server::faces::paper::evaluation::tick(&server.state)
        .await
        .unwrap();
    let (_, expired) = server.get_json(&key, &waiting).await;
    assert_eq!(
        (
            expired["order"]["status"].as_str(),
            expired["order"]["expire_reason"].as_str()
        ),
        (Some("expired"), Some("session_close"))
    );

    // 2026-11-27 closes at 13:00 New York: a day order submitted that morning expires then.
    let (dir, _) = server.stop().await;
    let server = fixed_at(dir, ny(2026, 11, 27, 10, 0)).await;
    let (_, friday) = post(
        &server,
        &key,
        &orders,
        order("AAPL", "buy", "1", Some("150")),
    )
    .await;
    assert_eq!(friday["order"]["expires_at"], "2026-11-27T18:00:00.000000Z");
}
