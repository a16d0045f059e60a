//! The Alpaca-compatible paper surface over a socket (paper-trading spec §12): requests shaped
//! the way alpaca-py sends them, answered in Alpaca's shapes and error codes, on a recorded AAPL
//! session replayed from 10:00 New York.

use crate::support::TestServer;
use model::symbol::OptionSymbol;
use model::venues::venue;
use model::{Plan, Product, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const CALL: &str = "AAPL250117C00200000";
const WIDE: &str = "AAPL250117C00210000";

fn quote(ts: Timestamp, bid: i64, ask: i64) -> tape::Quote {
    tape::Quote {
        ts,
        bid,
        ask,
        bid_size: 100,
        ask_size: 100,
        bid_exchange: venue::CBOE,
        ask_exchange: venue::CBOE,
    }
}

/// Cents as tape prices (nanodollars).
const fn cents(c: i64) -> i64 {
    c * 10_000_000
}

/// AAPL on 2025-01-15 quoted 190.00 x 190.05 every second from the open to 11:00; a call quoted
/// 4.10 x 4.20 and one 1.00 x 1.60 every five seconds.
fn write_session(data: &std::path::Path) {
    let day = jiff::civil::date(2025, 1, 15);
    let open = model::calendar::session(day).unwrap().open;
    let mut builder = tape::SessionBuilder::create(&data.join("tape"), "AAPL", day).unwrap();
    let call = builder
        .contract(OptionSymbol::parse(&format!("O:{CALL}")).unwrap())
        .unwrap();
    let wide = builder
        .contract(OptionSymbol::parse(&format!("O:{WIDE}")).unwrap())
        .unwrap();
    for second in 0..5400u64 {
        let ts = open.plus(Duration::from_secs(second));
        builder
            .quote(
                tape::Owner::Underlying,
                quote(ts, cents(19000), cents(19005)),
            )
            .unwrap();
        if second % 5 == 0 {
            builder
                .quote(call, quote(ts, cents(410), cents(420)))
                .unwrap();
            builder
                .quote(wide, quote(ts, cents(100), cents(160)))
                .unwrap();
        }
    }
    builder.finish().unwrap();
}

struct Lab {
    server: TestServer,
    key: String,
    /// The account's path; `/v2` paths hang below it, like alpaca-py's `url_override`.
    account: String,
}

impl Lab {
    async fn new() -> Lab {
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
        let lab = Lab {
            server,
            key,
            account: String::new(),
        };
        let (status, created) = lab
            .send(
                Method::POST,
                "/v1/paper/accounts",
                Some(json!({"name": "alpaca", "initial_cash": "100000"})),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let id = created["account"]["id"].as_str().unwrap();
        Lab {
            account: format!("/v1/paper/accounts/{id}"),
            ..lab
        }
    }

    /// A request with the paper key as the bearer: the status and the JSON body (`null` when
    /// empty).
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .server
            .http
            .request(method, self.server.at(path))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, body)
    }

    async fn v2(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send(method, &format!("{}/v2{path}", self.account), body)
            .await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.v2(Method::GET, path, None).await
    }

    async fn submit(&self, body: Value) -> (u16, Value) {
        self.v2(Method::POST, "/orders", Some(body)).await
    }
}

/// An order body as alpaca-py writes it: numbers for quantities and prices, optional keys left
/// out.
fn market(symbol: &str, side: &str, qty: f64) -> Value {
    json!({"symbol": symbol, "qty": qty, "side": side, "type": "market", "time_in_force": "day"})
}

fn limit(symbol: &str, side: &str, qty: f64, price: f64) -> Value {
    json!({"symbol": symbol, "qty": qty, "side": side, "type": "limit", "time_in_force": "day", "limit_price": price})
}

fn code(body: &Value) -> (Option<i64>, bool) {
    (body["code"].as_i64(), body["message"].is_string())
}

#[tokio::test]
async fn the_account_orders_and_positions_in_alpacas_shapes() {
    let lab = Lab::new().await;
    let (status, account) = lab.get("/account").await;
    assert_eq!(status, 200, "{account}");
    let id = lab.account.rsplit('/').next().unwrap();
    assert_eq!(account["id"], id);
    assert_eq!(
        account["account_number"],
        format!("PA{}", id.replace('-', "")[..10].to_uppercase())
    );
    for (field, value) in [
        ("status", json!("ACTIVE")),
        ("cash", json!("100000")),
        ("buying_power", json!("100000")),
        ("equity", json!("100000")),
        ("last_equity", json!("100000")),
        ("short_market_value", json!("0")),
        ("shorting_enabled", json!(false)),
        ("options_trading_level", json!(2)),
    ] {
        assert_eq!(account[field], value, "{field}");
    }
    let (_, configuration) = lab.get("/account/configurations").await;
    assert_eq!(
        (
            &configuration["no_shorting"],
            &configuration["max_margin_multiplier"]
        ),
        (&json!(true), &json!("1"))
    );

    // The key pair form of alpaca-py: the key id is the paper key, the secret is ignored.
    let paired = lab
        .server
        .get(&format!("{}/v2/account", lab.account))
        .header("APCA-API-KEY-ID", &lab.key)
        .header("APCA-API-SECRET-KEY", "unused")
        .send()
        .await
        .unwrap();
    assert_eq!(paired.status(), 200);

    let mut stock = market("AAPL", "buy", 10.0);
    stock["client_order_id"] = json!("bot-1");
    let (status, order) = lab.submit(stock).await;
    assert_eq!(status, 200, "{order}");
    for (field, value) in [
        ("symbol", json!("AAPL")),
        ("status", json!("filled")),
        ("filled_qty", json!("10")),
        ("filled_avg_price", json!("190.05")),
        ("asset_class", json!("us_equity")),
        ("order_class", json!("simple")),
        ("extended_hours", json!(false)),
    ] {
        assert_eq!(order[field], value, "{field}");
    }
    lab.server.advance(Duration::from_secs(1));
    let (status, call) = lab.submit(limit(CALL, "buy", 1.0, 4.25)).await;
    assert_eq!(status, 200, "{call}");
    assert_eq!(
        (
            call["symbol"].as_str(),
            call["asset_class"].as_str(),
            call["status"].as_str(),
            call["filled_avg_price"].as_str(),
            call["position_intent"].as_str()
        ),
        (
            Some(CALL),
            Some("us_option"),
            Some("filled"),
            Some("4.2"),
            Some("buy_to_open")
        ),
        "an option without `O:`, as alpaca-py sends and reads it"
    );

    let (_, by_client) = lab
        .get("/orders:by_client_order_id?client_order_id=bot-1")
        .await;
    assert_eq!(by_client["id"], order["id"]);
    let (_, encoded) = lab
        .get("/orders%3Aby_client_order_id?client_order_id=bot-1")
        .await;
    assert_eq!(encoded["id"], order["id"]);
    let (status, missing) = lab
        .get("/orders:by_client_order_id?client_order_id=nope")
        .await;
    assert_eq!((status, code(&missing)), (404, (Some(40410000), true)));
    let (_, got) = lab
        .get(&format!("/orders/{}", call["id"].as_str().unwrap()))
        .await;
    assert_eq!(got["symbol"], CALL);

    let (_, open) = lab.get("/orders").await;
    assert_eq!(open, json!([]), "open orders by default");
    let (_, closed) = lab.get("/orders?status=closed&direction=asc").await;
    let ids: Vec<&Value> = closed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["id"])
        .collect();
    assert_eq!(ids, [&order["id"], &call["id"]]);
    for symbols in [
        CALL.to_string(),
        format!("O:{CALL}"),
        format!("MSFT,{CALL}"),
    ] {
        let (_, listed) = lab
            .get(&format!("/orders?status=all&symbols={symbols}"))
            .await;
        assert_eq!(listed.as_array().unwrap().len(), 1, "{symbols}");
    }
    let after = call["submitted_at"]
        .as_str()
        .unwrap()
        .replace('Z', "%2B00:00");
    let (_, later) = lab.get(&format!("/orders?status=all&after={after}")).await;
    assert_eq!(later, json!([]), "after is exclusive");
    let (_, limited) = lab.get("/orders?status=all&limit=1").await;
    assert_eq!(limited[0]["id"], call["id"], "newest first");

    let (_, positions) = lab.get("/positions").await;
    let symbols: Vec<&str> = positions
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["AAPL", CALL]);
    let option = &positions[1];
    for (field, value) in [
        ("exchange", json!("")),
        ("side", json!("long")),
        ("asset_marginable", json!(false)),
        ("avg_entry_price", json!("4.2")),
        ("cost_basis", json!("420")),
        ("market_value", json!("415")),
        ("lastday_price", Value::Null),
    ] {
        assert_eq!(option[field], value, "{field}");
    }
    assert_eq!(option["asset_id"], call["asset_id"]);
    for key in [
        CALL.to_string(),
        format!("O:{CALL}"),
        option["asset_id"].as_str().unwrap().to_string(),
    ] {
        let (status, one) = lab.get(&format!("/positions/{key}")).await;
        assert_eq!((status, &one["symbol"]), (200, &json!(CALL)), "{key}");
    }
    let (status, flat) = lab.get("/positions/MSFT").await;
    assert_eq!(
        (status, &flat),
        (
            404,
            &json!({"code": 40410000, "message": "position does not exist"})
        )
    );

    let (_, account) = lab.get("/account").await;
    assert_eq!(
        (
            account["cash"].as_str(),
            account["long_market_value"].as_str()
        ),
        (Some("97679.5"), Some("2315.25"))
    );
}

#[tokio::test]
async fn refusals_answer_in_alpacas_error_shape() {
    let lab = Lab::new().await;
    let (status, short) = lab.submit(market("AAPL", "sell", 11.0)).await;
    assert_eq!((status, code(&short)), (403, (Some(40310000), true)));
    let message = short["message"].as_str().unwrap();
    assert!(message.starts_with("short sale not allowed"), "{message}");
    let (_, stored) = lab.get("/orders?status=closed").await;
    assert_eq!(
        (
            stored[0]["status"].as_str(),
            stored[0]["reject_reason"].as_str()
        ),
        (Some("rejected"), Some("short_sale_not_allowed")),
        "a reject at submission is stored"
    );
    let (status, naked) = lab.submit(market(CALL, "sell", 1.0)).await;
    assert_eq!((status, code(&naked)), (403, (Some(40310000), true)));

    // Rejected by its first evaluation rather than the account checks: an order, as Alpaca
    // reports a venue's reject.
    let (status, wide) = lab.submit(market(WIDE, "buy", 1.0)).await;
    assert_eq!(
        (
            status,
            wide["status"].as_str(),
            wide["reject_reason"].as_str()
        ),
        (200, Some("rejected"), Some("wide_spread"))
    );

    let mut sell_to_open = limit(CALL, "sell", 1.0, 5.0);
    sell_to_open["position_intent"] = json!("sell_to_open");
    let mut stop = market("AAPL", "buy", 1.0);
    stop["type"] = json!("stop");
    for body in [sell_to_open, stop, market(CALL, "buy", 1.5)] {
        let (status, refused) = lab.submit(body.clone()).await;
        assert_eq!(
            (status, code(&refused)),
            (422, (Some(42210000), true)),
            "{body}"
        );
    }
    let (status, zero) = lab.submit(market("AAPL", "buy", 0.0)).await;
    assert_eq!((status, code(&zero)), (400, (Some(40010000), true)));

    let mut first = limit("AAPL", "buy", 1.0, 150.0);
    first["client_order_id"] = json!("once");
    assert_eq!(lab.submit(first.clone()).await.0, 200);
    let (status, duplicate) = lab.submit(first).await;
    assert_eq!((status, code(&duplicate)), (422, (Some(40010001), true)));

    for (method, path) in [
        (Method::PATCH, "/account/configurations".to_string()),
        (
            Method::PATCH,
            format!(
                "/orders/{}",
                lab.get("/orders").await.1[0]["id"].as_str().unwrap()
            ),
        ),
    ] {
        let (status, body) = lab.v2(method.clone(), &path, Some(json!({}))).await;
        assert_eq!(
            (status, code(&body)),
            (422, (Some(42210000), true)),
            "{method} {path}"
        );
    }

    // Unknown, foreign and malformed account ids are all 404; keys are checked first.
    let nobody = "/v1/paper/accounts/00000000-0000-4000-8000-000000000000/v2/account";
    let (status, body) = lab.send(Method::GET, nobody, None).await;
    assert_eq!((status, code(&body)), (404, (Some(40410000), true)));
    let (status, _) = lab
        .send(Method::GET, "/v1/paper/accounts/nope/v2/clock", None)
        .await;
    assert_eq!(status, 404);
    let other = lab
        .server
        .key("other@example.com", Product::Paper, Plan::Free)
        .await;
    let foreign = lab
        .server
        .get(&format!("{}/v2/positions", lab.account))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);
    let anonymous = lab
        .server
        .get(&format!("{}/v2/account", lab.account))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["code"], 40110000);
    let market_data = lab
        .server
        .key("trader@example.com", Product::Options, Plan::Free)
        .await;
    let wrong = lab
        .server
        .get(&format!("{}/v2/account", lab.account))
        .bearer_auth(&market_data)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);

    // An archived account reads as closed and refuses orders with 403.
    assert_eq!(lab.send(Method::DELETE, &lab.account, None).await.0, 200);
    let (_, account) = lab.get("/account").await;
    assert_eq!(account["status"], "ACCOUNT_CLOSED");
    let (status, body) = lab.submit(market("AAPL", "buy", 1.0)).await;
    assert_eq!((status, code(&body)), (403, (Some(40310000), true)));
}

#[tokio::test]
async fn cancels_closes_and_the_current_generation() {
    let lab = Lab::new().await;
    let (_, resting) = lab.submit(limit("AAPL", "buy", 10.0, 150.0)).await;
    assert_eq!(resting["status"], "new");
    let path = format!("/orders/{}", resting["id"].as_str().unwrap());
    let (status, body) = lab.v2(Method::DELETE, &path, None).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, again) = lab.v2(Method::DELETE, &path, None).await;
    assert_eq!((status, code(&again)), (422, (Some(42210000), true)));
    let (status, _) = lab
        .v2(
            Method::DELETE,
            "/orders/00000000-0000-4000-8000-000000000000",
            None,
        )
        .await;
    assert_eq!(status, 404);

    let (_, one) = lab.submit(limit("AAPL", "buy", 1.0, 150.0)).await;
    let (_, two) = lab.submit(limit(CALL, "buy", 1.0, 0.05)).await;
    let (status, canceled) = lab.v2(Method::DELETE, "/orders", None).await;
    assert_eq!(status, 207);
    let mut rows: Vec<(String, Value, Value)> = canceled
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].to_string(),
                r["status"].clone(),
                r["body"]["status"].clone(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected: Vec<(String, Value, Value)> = [&one, &two]
        .iter()
        .map(|o| (o["id"].to_string(), json!(200), json!("canceled")))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(rows, expected);

    // Closing sells at the bid; each fill a second after the last (the store orders fills by
    // time).
    lab.submit(market("AAPL", "buy", 10.0)).await;
    lab.submit(market(CALL, "buy", 3.0)).await;
    lab.server.advance(Duration::from_secs(1));
    let (status, half) = lab
        .v2(Method::DELETE, "/positions/AAPL?percentage=50", None)
        .await;
    assert_eq!(
        (
            status,
            half["side"].as_str(),
            half["qty"].as_str(),
            half["status"].as_str(),
            half["filled_avg_price"].as_str()
        ),
        (200, Some("sell"), Some("5"), Some("filled"), Some("190"))
    );
    let (status, tiny) = lab
        .v2(
            Method::DELETE,
            &format!("/positions/{CALL}?percentage=10"),
            None,
        )
        .await;
    assert_eq!((status, code(&tiny)), (422, (Some(42210000), true)));
    let (_, resting) = lab.submit(limit(CALL, "sell", 1.0, 9.0)).await;
    assert_eq!(resting["position_intent"], "sell_to_close");
    lab.server.advance(Duration::from_secs(1));
    let (status, closed) = lab
        .v2(Method::DELETE, "/positions?cancel_orders=true", None)
        .await;
    assert_eq!(status, 207, "{closed}");
    let mut closes: Vec<(&str, i64, &str)> = closed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["symbol"].as_str().unwrap(),
                r["status"].as_i64().unwrap(),
                r["body"]["qty"].as_str().unwrap(),
            )
        })
        .collect();
    closes.sort();
    assert_eq!(closes, [("AAPL", 200, "5"), (CALL, 200, "3")]);
    let (_, positions) = lab.get("/positions").await;
    assert_eq!(positions, json!([]));
    let (status, _) = lab
        .v2(Method::POST, &format!("/positions/{CALL}/exercise"), None)
        .await;
    assert_eq!(status, 404, "nothing held to exercise");

    // After a reset the views show the new generation only.
    let (status, _) = lab
        .send(
            Method::POST,
            &format!("{}/reset", lab.account),
            Some(json!({"confirm": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, orders) = lab.get("/orders?status=all").await;
    assert_eq!(orders, json!([]));
    let (status, _) = lab.get(&path).await;
    assert_eq!(status, 404, "an earlier generation's order");
}

#[tokio::test]
async fn history_clock_and_calendar() {
    let lab = Lab::new().await;
    lab.submit(market("AAPL", "buy", 10.0)).await;
    let (status, history) = lab
        .get("/account/portfolio/history?period=1D&timeframe=1Min")
        .await;
    assert_eq!(status, 200, "{history}");
    let stamps = history["timestamp"].as_array().unwrap();
    assert!(!stamps.is_empty());
    for series in ["equity", "profit_loss", "profit_loss_pct"] {
        assert_eq!(history[series].as_array().unwrap().len(), stamps.len());
    }
    assert_eq!(
        history["equity"].as_array().unwrap().last(),
        Some(&json!(99999.75))
    );
    assert_eq!(
        history["profit_loss"].as_array().unwrap().last(),
        Some(&json!(-0.25))
    );
    assert_eq!(
        (
            &history["base_value"],
            &history["timeframe"],
            &history["cashflow"]
        ),
        (&json!(100000), &json!("1Min"), &json!({}))
    );
    let (_, daily) = lab.get("/account/portfolio/history").await;
    assert_eq!(daily["timeframe"], "1D");
    let (status, body) = lab.get("/account/portfolio/history?timeframe=2H").await;
    assert_eq!((status, code(&body)), (400, (Some(40010000), true)));
    let (status, body) = lab
        .get("/account/portfolio/history?period=2M&timeframe=1H")
        .await;
    assert_eq!((status, code(&body)), (422, (Some(42210000), true)));

    let (_, clock) = lab.get("/clock").await;
    assert_eq!(clock["is_open"], true);
    for field in ["timestamp", "next_open", "next_close"] {
        let text = clock[field].as_str().unwrap();
        assert!(text.ends_with("-05:00"), "{field}: {text}");
    }
    assert_eq!(clock["next_close"], "2025-01-15T16:00:00.000000-05:00");

    let (_, days) = lab.get("/calendar?start=2025-01-17&end=2025-01-21").await;
    assert_eq!(
        days,
        json!([
            {"date": "2025-01-17", "open": "09:30", "close": "16:00", "session_open": "0400",
             "session_close": "2000", "settlement_date": "2025-01-21"},
            {"date": "2025-01-21", "open": "09:30", "close": "16:00", "session_open": "0400",
             "session_close": "2000", "settlement_date": "2025-01-22"},
        ]),
        "Martin Luther King Jr. Day is a holiday"
    );
    let (status, body) = lab.get("/calendar?start=2025-01-17&end=2024-01-01").await;
    assert_eq!((status, code(&body)), (400, (Some(40010000), true)));
}
