//! Historical simulations over HTTP: the conformance examples of the simulator spec's Appendix A
//! on a session imported from the project's plain CSV format (`tests/fixtures/appendix_a.csv`,
//! made by `scripts/fixtures/appendix_a.py`), clock travel, bad input and concurrent writers.

use crate::support::TestServer;
use model::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

const C5950: &str = "SPXW  250115C05950000";
const C5970: &str = "SPXW  250115C05970000";
const P5900: &str = "SPXW  250115P05900000";
const P5880: &str = "SPXW  250115P05880000";
const P5950: &str = "SPXW  250115P05950000";

/// A server whose tape holds the Appendix A session and whose market clock stands the next day.
async fn server() -> TestServer {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/appendix_a.csv");
    let tape = tape::Tape::new(dir.path().join("tape"));
    ingest::import_file(&tape, &fixture, &Default::default(), &|_| {}).unwrap();
    let next_day = Timestamp::parse_rfc3339("2025-01-16T15:00:00Z").unwrap();
    TestServer::start_with_market_at(dir, next_day).await
}

struct Trader<'a> {
    server: &'a TestServer,
    token: String,
}

impl Trader<'_> {
    async fn new<'a>(server: &'a TestServer, email: &str) -> Trader<'a> {
        Trader {
            server,
            token: server.register(email).await,
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, String) {
        let mut request = self.server.as_session(method, path, &self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn json(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, text) = self.send(method, path, body).await;
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// Creates a simulation of 2025-01-15 and returns its path.
    async fn simulation(&self, capital: u64) -> String {
        let (status, body) = self
            .json(
                Method::POST,
                "/simulations",
                Some(json!({"date": "2025-01-15", "starting_capital": capital, "description": "Iron condor day"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        format!("/simulations/{}", body["id"].as_str().unwrap())
    }

    async fn clock(&self, simulation: &str, time: &str) -> Value {
        let (status, body) = self
            .json(Method::PATCH, simulation, Some(json!({ "time": time })))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn order(&self, simulation: &str, order: Value) -> (u16, Value) {
        self.json(Method::POST, &format!("{simulation}/orders"), Some(order))
            .await
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.json(Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }
}

fn leg(instrument: &str, action: &str, quantity: u32) -> Value {
    json!({"instrument": instrument, "quantity": quantity.to_string(), "action": action})
}

fn debit_vertical() -> Value {
    json!({"type": "limit", "price": "1.05", "price_effect": "debit",
           "legs": [leg(C5950, "buy to open", 1), leg(C5970, "sell to open", 1)]})
}

fn credit_put_vertical() -> Value {
    json!({"type": "limit", "price": "1.50", "price_effect": "credit",
           "legs": [leg(P5900, "sell to open", 1), leg(P5880, "buy to open", 1)]})
}

fn block(order: &Value) -> Vec<(&str, &str)> {
    let b = &order["buying-power-effect"];
    [
        "change-in-margin-requirement",
        "change-in-margin-requirement-effect",
        "change-in-buying-power",
        "change-in-buying-power-effect",
        "current-buying-power",
        "current-buying-power-effect",
        "new-buying-power",
        "new-buying-power-effect",
        "value",
        "effect",
    ]
    .iter()
    .map(|key| (*key, b[*key].as_str().unwrap_or("<missing>")))
    .collect()
}

#[tokio::test]
async fn a1_a_debit_vertical_fills_at_placement_and_its_dry_run_predicts_it() {
    let server = server().await;
    let trader = Trader::new(&server, "a1@example.com").await;
    let simulation = trader.simulation(100_000).await;
    let created = trader.get(&simulation).await;
    assert_eq!(created["time"], Value::Null);
    assert_eq!(
        (created["start_time"].as_str(), created["end_time"].as_str()),
        (Some("2025-01-15T14:30:00Z"), Some("2025-01-15T21:00:00Z"))
    );
    assert_eq!(created["available_buying_power"], "100000");
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;

    let (status, dry) = trader
        .json(
            Method::POST,
            &format!("{simulation}/orders/dry-run"),
            Some(debit_vertical()),
        )
        .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["id"], "00000000-0000-0000-0000-000000000000");
    assert!(dry.get("transactions").is_none());
    assert_eq!(dry["fees"], "3.44");
    assert_eq!(
        trader.get(&format!("{simulation}/orders")).await,
        json!([]),
        "a dry-run persists nothing"
    );

    let (status, order) = trader.order(&simulation, debit_vertical()).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["status"], "filled");
    assert_eq!(order["fill_price"], "1.05");
    assert_eq!(order["fill_price_effect"], "debit");
    assert_eq!(order["execution_price"], "1.05");
    assert_eq!(order["fill_datetime"], "2025-01-15T14:35:00Z");
    assert_eq!(order["datetime"], "2025-01-15T14:35:00Z");
    assert_eq!(order["underlying"], "SPX");
    assert_eq!(order["price"], "1.05");
    assert_eq!(order["fees"], "3.44");
    assert_eq!(order["slippage"], "0");
    let transactions: Vec<_> = order["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["type"].clone(),
                t["price"].clone(),
                t["value"].clone(),
                t["effect"].clone(),
                t["fees"].clone(),
            )
        })
        .collect();
    assert_eq!(
        transactions,
        [
            (
                json!("buy to open"),
                json!("430"),
                json!("430"),
                json!("debit"),
                json!("1.72")
            ),
            (
                json!("sell to open"),
                json!("325"),
                json!("-325"),
                json!("credit"),
                json!("1.72")
            ),
        ]
    );
    let expected_block = [
        ("change-in-margin-requirement", "0"),
        ("change-in-margin-requirement-effect", "None"),
        ("change-in-buying-power", "108.44"),
        ("change-in-buying-power-effect", "Debit"),
        ("current-buying-power", "100000"),
        ("current-buying-power-effect", "Credit"),
        ("new-buying-power", "99891.56"),
        ("new-buying-power-effect", "Credit"),
        ("value", "108.44"),
        ("effect", "Debit"),
    ];
    assert_eq!(block(&order), expected_block);
    assert_eq!(
        block(&dry),
        expected_block,
        "the dry-run shows the same block"
    );

    let after = trader.get(&simulation).await;
    for (field, value) in [
        ("debits", "430"),
        ("credits", "325"),
        ("fees", "3.44"),
        ("maintenance_buying_power", "0"),
        ("available_buying_power", "99891.56"),
        ("equities_credits", "0"),
        ("equity_options_debits", "430"),
    ] {
        assert_eq!(after[field], value, "{field}");
    }
    assert_eq!(after["time"], "2025-01-15T14:35:00Z");
}

#[tokio::test]
async fn a2_positions_are_marked_at_the_clock() {
    let server = server().await;
    let trader = Trader::new(&server, "a2@example.com").await;
    let simulation = trader.simulation(100_000).await;
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    trader.order(&simulation, debit_vertical()).await;
    trader.clock(&simulation, "2025-01-15T14:40:00Z").await;
    let positions = trader.get(&format!("{simulation}/positions")).await;
    let long = positions
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["instrument"] == C5950)
        .expect("the long call");
    for (field, value) in [
        ("direction", "long"),
        ("quantity", "1"),
        ("cost", "431.72"),
        ("cost_basis", "430"),
        ("debit", "430"),
        ("credit", "0"),
        ("unrealized_profit_loss", "5"),
        ("realized_profit_loss", "0"),
        ("fees", "1.72"),
        ("total_profit_loss", "3.28"),
        ("net_liquidity", "435"),
        ("price", "4.35"),
    ] {
        assert_eq!(long[field], value, "{field}");
    }
    let delta: f64 = long["delta"].as_str().unwrap().parse().unwrap();
    assert!(
        delta > 0.0 && delta < 1.0,
        "a long call's delta is positive: {delta}"
    );
    let short = positions
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["instrument"] == C5970)
        .unwrap();
    assert_eq!(
        (short["direction"].as_str(), short["net_liquidity"].as_str()),
        (Some("short"), Some("-325"))
    );
    let id = long["id"].as_str().unwrap();
    assert_eq!(&id[14..15], "5", "position ids are UUIDv5");
    let again = trader.get(&format!("{simulation}/positions")).await;
    assert_eq!(again, positions, "ids and marks are stable");
}

#[tokio::test]
async fn a3_a_pending_credit_vertical_fills_as_the_clock_passes_and_reverts() {
    let server = server().await;
    let trader = Trader::new(&server, "a3@example.com").await;
    let simulation = trader.simulation(100_000).await;
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    let (status, order) = trader.order(&simulation, credit_put_vertical()).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["fees"], "3.44");
    for hidden in [
        "fill_price",
        "fill_price_effect",
        "fill_datetime",
        "transactions",
        "execution_price",
    ] {
        assert!(
            order.get(hidden).is_none(),
            "a pending order does not show {hidden}"
        );
    }
    assert_eq!(
        block(&order),
        [
            ("change-in-margin-requirement", "2000"),
            ("change-in-margin-requirement-effect", "Debit"),
            ("change-in-buying-power", "1853.44"),
            ("change-in-buying-power-effect", "Debit"),
            ("current-buying-power", "100000"),
            ("current-buying-power-effect", "Credit"),
            ("new-buying-power", "98146.56"),
            ("new-buying-power-effect", "Credit"),
            ("value", "1853.44"),
            ("effect", "Debit"),
        ]
    );
    let path = format!("{simulation}/orders/{}", order["id"].as_str().unwrap());
    assert_eq!(
        block(&trader.get(&path).await),
        block(&order),
        "a pending order shows its block as if placed now"
    );
    let before = trader.clock(&simulation, "2025-01-15T14:50:00Z").await;
    let waiting = trader.get(&path).await;
    assert_eq!(waiting["status"], "pending");
    assert_eq!(block(&waiting), block(&order));
    assert_eq!(
        before["maintenance_buying_power"], "2000",
        "a pending order reserves its margin"
    );
    assert_eq!(
        trader.get(&format!("{simulation}/transactions")).await,
        json!([])
    );

    // The 5900 put moves at 09:50:00.400 New York; the simulator sees it at the next second.
    let filled = trader.clock(&simulation, "2025-01-15T14:50:01Z").await;
    let now = trader.get(&path).await;
    assert_eq!(now["status"], "filled");
    assert!(now.get("buying-power-effect").is_none());
    assert_eq!(now["fill_datetime"], "2025-01-15T14:50:01Z");
    assert_eq!(
        (
            now["fill_price"].as_str(),
            now["fill_price_effect"].as_str()
        ),
        (Some("1.8"), Some("credit"))
    );
    assert_eq!(now["transactions"].as_array().unwrap().len(), 2);
    assert_eq!(filled["credits"], "355");
    assert_eq!(filled["debits"], "175");
    assert_eq!(filled["fees"], "3.44");

    let rewound = trader.clock(&simulation, "2025-01-15T14:50:00Z").await;
    assert_eq!(
        rewound, before,
        "rewinding restores the earlier state exactly"
    );
    let pending = trader.get(&path).await;
    assert_eq!(pending["status"], "pending");
    assert!(pending.get("fill_price").is_none());
    assert_eq!(pending["fees"], "3.44");
}

#[tokio::test]
async fn a4_the_clock_stays_within_the_session() {
    let server = server().await;
    let trader = Trader::new(&server, "a4@example.com").await;
    let simulation = trader.simulation(100_000).await;
    for (time, reason) in [
        (
            "2025-01-15T22:00:00Z",
            "simulation time cannot be after the end time",
        ),
        (
            "2025-01-15T14:29:59Z",
            "simulation time cannot be before the start time",
        ),
    ] {
        let (status, body) = trader
            .send(Method::PATCH, &simulation, Some(json!({ "time": time })))
            .await;
        assert_eq!((status, body.as_str()), (400, reason));
    }
    let (status, body) = trader
        .send(
            Method::PATCH,
            &simulation,
            Some(json!({"time": "2025-01-15T14:35:00"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("with a zone"), "{body}");
    let ended = trader.clock(&simulation, "2025-01-15T21:00:00Z").await;
    assert_eq!(ended["ended"], true);
    let rewound = trader.clock(&simulation, "2025-01-15T20:59:59.700Z").await;
    assert_eq!(
        (rewound["ended"].as_bool(), rewound["time"].as_str()),
        (Some(false), Some("2025-01-15T20:59:59Z"))
    );
}

#[tokio::test]
async fn a5_a6_a7_ticks_the_profit_cap_and_naked_margin() {
    let server = server().await;
    let trader = Trader::new(&server, "a5@example.com").await;
    let simulation = trader.simulation(100_000).await;
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    let dry = |order: Value| {
        let trader = &trader;
        let path = format!("{simulation}/orders/dry-run");
        async move { trader.send(Method::POST, &path, Some(order)).await }
    };
    let single = |price: &str| json!({"type": "limit", "price": price, "price_effect": "debit", "legs": [leg(C5950, "buy to open", 1)]});
    assert_eq!(
        dry(single("3.05")).await,
        (400, "price 3.05 is not a valid SPX tick (0.10)".into())
    );
    for price in ["3.10", "3.00", "2.95"] {
        assert_eq!(dry(single(price)).await.0, 200, "{price}");
    }
    let mut two_legs = debit_vertical();
    two_legs["price"] = json!("3.05");
    assert_eq!(dry(two_legs).await.0, 200);

    let five_wide = |price: &str| {
        json!({"type": "limit", "price": price, "price_effect": "credit",
        "legs": [leg(C5950, "sell to open", 1), leg("SPXW  250115C05955000", "buy to open", 1)]})
    };
    assert_eq!(
        dry(five_wide("5.05")).await,
        (
            400,
            "limit price exceeds the order's maximum profit of 5.00".into()
        )
    );
    // At 5.00 it passes the cap and meets the next check: the 5955 call is not quoted.
    assert_eq!(
        dry(five_wide("5.00")).await,
        (
            400,
            "no market data for SPXW  250115C05955000 at 2025-01-15T14:35:00Z".into()
        )
    );

    let naked = json!({"type": "limit", "price": "20.20", "price_effect": "credit", "legs": [leg(P5950, "sell to open", 1)]});
    assert_eq!(
        dry(naked.clone()).await,
        (400, "insufficient buying power".into())
    );
    assert_eq!(trader.order(&simulation, naked).await.0, 400);
    assert_eq!(trader.get(&format!("{simulation}/orders")).await, json!([]));
    assert_eq!(
        trader.get(&simulation).await["available_buying_power"],
        "100000"
    );
}

#[tokio::test]
async fn a8_settlement_at_the_close_and_back() {
    let server = server().await;
    let trader = Trader::new(&server, "a8@example.com").await;
    let simulation = trader.simulation(100_000).await;
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    trader.order(&simulation, debit_vertical()).await;
    let closed = trader.clock(&simulation, "2025-01-15T21:00:00Z").await;
    assert_eq!(closed["ended"], true);
    let transactions = trader.get(&format!("{simulation}/transactions")).await;
    let settled: Vec<&Value> = transactions
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["order_id"].is_null())
        .collect();
    assert_eq!(settled.len(), 2, "{transactions}");
    let exercise = settled[0];
    assert_eq!(
        (
            exercise["instrument"].as_str(),
            exercise["type"].as_str(),
            exercise["price"].as_str(),
            exercise["value"].as_str(),
            exercise["effect"].as_str(),
            exercise["fees"].as_str()
        ),
        (
            Some(C5950),
            Some("exercise"),
            Some("1240"),
            Some("-1240"),
            Some("credit"),
            Some("5")
        )
    );
    assert_eq!(exercise["datetime"], "2025-01-15T21:00:00Z");
    let expiration = settled[1];
    assert_eq!(
        (
            expiration["instrument"].as_str(),
            expiration["type"].as_str()
        ),
        (Some(C5970), Some("expiration"))
    );
    for absent in ["price", "value", "effect"] {
        assert!(
            expiration.get(absent).is_none(),
            "an expiration has no {absent}"
        );
    }
    assert_eq!(
        trader.get(&format!("{simulation}/positions")).await,
        json!([])
    );
    assert_eq!(closed["realized_profit_loss"], "1135");
    assert_eq!(closed["net_liquidation_value"], "101126.56");

    let rewound = trader.clock(&simulation, "2025-01-15T20:59:59Z").await;
    assert_eq!(rewound["ended"], false);
    let transactions = trader.get(&format!("{simulation}/transactions")).await;
    assert!(
        transactions
            .as_array()
            .unwrap()
            .iter()
            .all(|t| !t["order_id"].is_null())
    );
    let orders = trader.get(&format!("{simulation}/orders")).await;
    assert_eq!(orders[0]["status"], "filled");
}

#[tokio::test]
async fn a9_fee_schedule_rules_apply_to_existing_orders() {
    let server = server().await;
    let trader = Trader::new(&server, "a9@example.com").await;
    let simulation = trader.simulation(100_000).await;
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    trader.order(&simulation, debit_vertical()).await;
    let schedule = |buy_to_open: &str| {
        json!({"fee_schedule": {
        "buy_equity": "0.0008", "sell_equity": "0.003986",
        "buy_to_open_option": buy_to_open, "sell_to_open_option": "1.72",
        "buy_to_close_option": "0.72", "sell_to_close_option": "0.72", "exercise_option": "5"}})
    };
    assert_eq!(
        trader
            .send(Method::PATCH, "/user", Some(schedule("17.21")))
            .await
            .0,
        400
    );
    let mut missing = schedule("1");
    missing["fee_schedule"]
        .as_object_mut()
        .unwrap()
        .remove("exercise_option");
    assert_eq!(
        trader.send(Method::PATCH, "/user", Some(missing)).await.0,
        400
    );
    assert_eq!(
        trader
            .send(Method::PATCH, "/user", Some(schedule("2.50")))
            .await
            .0,
        204
    );
    let orders = trader.get(&format!("{simulation}/orders")).await;
    assert_eq!(
        orders[0]["fees"], "4.22",
        "2.50 + 1.72 under the new schedule"
    );
    assert_eq!(trader.get(&simulation).await["fees"], "4.22");
    assert_eq!(
        trader
            .send(Method::PATCH, "/user", Some(json!({"fee_schedule": null})))
            .await
            .0,
        204
    );
    assert_eq!(
        trader.get(&format!("{simulation}/orders")).await[0]["fees"],
        "3.44"
    );
}

#[tokio::test]
async fn orders_are_checked_in_order_and_refusals_leave_nothing_behind() {
    let server = server().await;
    let trader = Trader::new(&server, "checks@example.com").await;
    let simulation = trader.simulation(100_000).await;
    // At the open there is no market yet.
    assert_eq!(
        trader
            .send(
                Method::POST,
                &format!("{simulation}/orders"),
                Some(debit_vertical())
            )
            .await,
        (
            400,
            format!("no market data for {C5950} at 2025-01-15T14:30:00Z")
        )
    );
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    let cases = [
        (
            json!({"type": "trailing", "legs": [leg(C5950, "buy to open", 1)]}),
            "invalid order type",
        ),
        (
            json!({"type": "market", "legs": []}),
            "order must have at least one leg",
        ),
        (
            json!({"type": "market", "legs": [leg("SPXW 2501", "buy to open", 1)]}),
            "invalid instrument: SPXW 2501",
        ),
        (
            json!({"type": "market", "legs": [leg(C5950, "buy", 1)]}),
            "invalid leg action: buy",
        ),
        (
            json!({"type": "market", "legs": [leg(C5950, "buy to open", 0)]}),
            "invalid quantity",
        ),
        (
            json!({"type": "market", "legs": [leg(C5950, "buy to open", 1), leg(C5970, "sell to open", 1)]}),
            "market orders must have exactly one leg",
        ),
        (
            json!({"type": "limit", "price_effect": "debit", "legs": [leg(C5950, "buy to open", 1)]}),
            "price is required for limit orders",
        ),
        (
            json!({"type": "stop", "price_effect": "debit", "legs": [leg(C5950, "buy to open", 1)]}),
            "stop_trigger is required for stop orders",
        ),
        (
            json!({"type": "stop", "stop_trigger": "4.50", "price_effect": "debit", "legs": [leg(C5950, "buy to open", 1)]}),
            "stop order would execute immediately",
        ),
        (
            json!({"type": "market", "legs": [leg(C5950, "sell to close", 1)]}),
            "insufficient position to close in SPXW  250115C05950000",
        ),
        (json!("not an object"), "request body must be a JSON object"),
        (
            json!({"type": "market", "legs": "none"}),
            "legs must be an array",
        ),
    ];
    for (order, reason) in cases {
        let (status, body) = trader
            .send(
                Method::POST,
                &format!("{simulation}/orders"),
                Some(order.clone()),
            )
            .await;
        assert_eq!((status, body.as_str()), (400, reason), "{order}");
    }
    let (status, body) = trader
        .send(Method::POST, &format!("{simulation}/orders"), None)
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(trader.get(&format!("{simulation}/orders")).await, json!([]));
    assert_eq!(
        trader.get(&simulation).await["available_buying_power"],
        "100000"
    );
}

#[tokio::test]
async fn cancelling_releases_buying_power_and_respects_dependent_closes() {
    let server = server().await;
    let trader = Trader::new(&server, "cancel@example.com").await;
    let simulation = trader.simulation(100_000).await;
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    let (_, pending) = trader.order(&simulation, credit_put_vertical()).await;
    assert_eq!(
        trader.get(&simulation).await["available_buying_power"],
        "98000"
    );
    let path = format!("{simulation}/orders/{}", pending["id"].as_str().unwrap());
    assert_eq!(trader.send(Method::DELETE, &path, None).await.0, 204);
    assert_eq!(
        trader.get(&simulation).await["available_buying_power"],
        "100000"
    );
    assert_eq!(trader.send(Method::DELETE, &path, None).await.0, 404);

    let (_, bought) = trader
        .order(
            &simulation,
            json!({"type": "market", "legs": [leg(C5950, "buy to open", 1)]}),
        )
        .await;
    trader.clock(&simulation, "2025-01-15T14:45:00Z").await;
    let (status, sold) = trader
        .order(
            &simulation,
            json!({"type": "market", "legs": [leg(C5950, "sell to close", 1)]}),
        )
        .await;
    assert_eq!(status, 201, "{sold}");
    let opening = format!("{simulation}/orders/{}", bought["id"].as_str().unwrap());
    assert_eq!(
        trader.send(Method::DELETE, &opening, None).await,
        (
            400,
            "order has dependent orders placed after it filled; delete them first".into()
        )
    );
    let closing = format!("{simulation}/orders/{}", sold["id"].as_str().unwrap());
    assert_eq!(trader.send(Method::DELETE, &closing, None).await.0, 204);
    assert_eq!(trader.send(Method::DELETE, &opening, None).await.0, 204);
    assert_eq!(
        trader.get(&format!("{simulation}/transactions")).await,
        json!([])
    );
}

#[tokio::test]
async fn concurrent_orders_cannot_overdraw_buying_power() {
    let server = server().await;
    let trader = Trader::new(&server, "race@example.com").await;
    // 1,000 buys two 5950 calls at the 4.40 ask (441.72 each with the fee), not three.
    let simulation = trader.simulation(1_000).await;
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    let buy = json!({"type": "market", "legs": [leg(C5950, "buy to open", 1)]});
    let attempts: Vec<_> = (0..6)
        .map(|_| {
            let request = server
                .as_session(Method::POST, &format!("{simulation}/orders"), &trader.token)
                .json(&buy);
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for attempt in attempts {
        outcomes.push(attempt.await.unwrap());
    }
    let accepted = outcomes.iter().filter(|(status, _)| *status == 201).count();
    let refused: Vec<_> = outcomes
        .iter()
        .filter(|(status, _)| *status != 201)
        .collect();
    assert_eq!(accepted, 2, "{outcomes:?}");
    assert!(
        refused
            .iter()
            .all(|(status, body)| *status == 400 && body == "insufficient buying power")
    );
    let account = trader.get(&simulation).await;
    assert_eq!(account["available_buying_power"], "116.56");
    assert_eq!(
        trader
            .get(&format!("{simulation}/orders"))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn simulations_are_one_per_date_owned_and_deletable() {
    let server = server().await;
    let trader = Trader::new(&server, "owner@example.com").await;
    let other = Trader::new(&server, "other@example.com").await;
    let simulation = trader.simulation(100_000).await;
    let again = trader
        .send(
            Method::POST,
            "/simulations",
            Some(json!({"date": "2025-01-15", "starting_capital": "5000"})),
        )
        .await;
    assert_eq!(
        again,
        (400, "a simulation already exists for this date".into())
    );
    for (body, reason) in [
        (
            json!({"date": "2025-01-16", "starting_capital": 5000}),
            "no recorded session of SPX on 2025-01-16",
        ),
        (
            json!({"date": "2025-01-15", "starting_capital": 999}),
            "starting_capital must be between 1000 and 10000000",
        ),
        (
            json!({"date": "2025-01-15", "starting_capital": "10000000.01"}),
            "starting_capital must be between 1000 and 10000000",
        ),
        (
            json!({"date": "15/01/2025", "starting_capital": 5000}),
            "invalid date: 15/01/2025; use YYYY-MM-DD",
        ),
        (json!({"starting_capital": 5000}), "date is required"),
        (
            json!({"date": "2025-01-15", "starting_capital": 5000, "underlying": "ZZZZ"}),
            "no market data for ZZZZ",
        ),
    ] {
        assert_eq!(
            other.send(Method::POST, "/simulations", Some(body)).await,
            (400, reason.into())
        );
    }
    assert_eq!(
        other.send(Method::GET, &simulation, None).await,
        (404, "simulation not found".into())
    );
    assert_eq!(other.send(Method::DELETE, &simulation, None).await.0, 404);
    assert_eq!(other.get("/simulations").await, json!([]));
    assert_eq!(
        trader.get("/simulations").await.as_array().unwrap().len(),
        1
    );
    let anonymous = server
        .http
        .get(server.at(&simulation))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(trader.send(Method::DELETE, &simulation, None).await.0, 204);
    assert_eq!(trader.send(Method::GET, &simulation, None).await.0, 404);
    assert_eq!(
        trader
            .send(Method::GET, "/simulations/not-a-uuid", None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn the_history_runs_second_by_second_up_to_the_clock() {
    let server = server().await;
    let trader = Trader::new(&server, "history@example.com").await;
    let simulation = trader.simulation(100_000).await;
    let history = format!("{simulation}/history");
    assert_eq!(
        trader.get(&history).await.as_array().unwrap().len(),
        1,
        "a new simulation stands at its start"
    );
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    trader.order(&simulation, debit_vertical()).await;
    let now = trader.clock(&simulation, "2025-01-15T14:40:00Z").await;
    let rows = trader.get(&history).await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 601, "14:30:00 through 14:40:00");
    assert_eq!(rows[0]["timestamp"], "2025-01-15T14:30:00Z");
    assert_eq!(rows[299]["fees"], "0");
    assert_eq!(rows[300]["timestamp"], "2025-01-15T14:35:00Z");
    assert_eq!(rows[300]["fees"], "3.44");
    assert_eq!(rows[300]["available_buying_power"], "99891.56");
    let last = &rows[600];
    for field in [
        "net_liquidation_value",
        "unrealized_profit_loss",
        "profit_loss",
        "equity_options_net_liquidation_value",
    ] {
        assert_eq!(last[field], now[field], "{field}");
    }
    let sampled = trader
        .get(&format!(
            "{history}?interval=60&from=2025-01-15T14:33:00Z&to=2025-01-15T23:00:00Z"
        ))
        .await;
    let times: Vec<_> = sampled
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["timestamp"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        times.first().map(String::as_str),
        Some("2025-01-15T14:33:00Z")
    );
    assert_eq!(
        times.last().map(String::as_str),
        Some("2025-01-15T14:40:00Z"),
        "never past the clock"
    );
    assert_eq!(times.len(), 8);
    for bad in [
        "interval=0",
        "interval=x",
        "interval=99999",
        "from=yesterday",
    ] {
        let (status, body) = trader
            .send(Method::GET, &format!("{history}?{bad}"), None)
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
}

#[tokio::test]
async fn any_underlying_any_listed_expiration_and_its_shares() {
    let server = server().await;
    let trader = Trader::new(&server, "spy@example.com").await;
    let (status, created) = trader
        .json(
            Method::POST,
            "/simulations",
            Some(json!({"date": "2025-01-15", "starting_capital": "100000", "underlying": "spy"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["underlying"], "SPY");
    let simulation = format!("/simulations/{}", created["id"].as_str().unwrap());
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    let market = |instrument: &str, action: &str, quantity: u32| json!({"type": "market", "legs": [leg(instrument, action, quantity)]});
    let (status, shares) = trader
        .order(&simulation, market("SPY", "buy to open", 10))
        .await;
    assert_eq!(status, 201, "{shares}");
    let bought = &shares["transactions"][0];
    assert_eq!(
        (
            bought["price"].as_str(),
            bought["value"].as_str(),
            bought["fees"].as_str()
        ),
        (Some("590.12"), Some("5901.2"), Some("0.01")),
        "ten shares at the ask, 0.0008 a share rounded to the cent"
    );
    let (status, weekly) = trader
        .order(
            &simulation,
            market("SPY   250117C00590000", "buy to open", 1),
        )
        .await;
    assert_eq!(
        status, 201,
        "a later expiration listed that day trades: {weekly}"
    );
    let (status, daily) = trader
        .order(
            &simulation,
            market("SPY   250115C00589000", "buy to open", 1),
        )
        .await;
    assert_eq!(status, 201, "{daily}");
    assert_eq!(
        trader
            .send(
                Method::POST,
                &format!("{simulation}/orders"),
                Some(market(C5950, "buy to open", 1))
            )
            .await,
        (400, format!("{C5950} is not an option on SPY"))
    );
    assert_eq!(
        trader
            .send(
                Method::POST,
                &format!("{simulation}/orders"),
                Some(market("SPY", "sell to open", 1))
            )
            .await,
        (400, "short selling stock is not supported".into())
    );

    let closed = trader.clock(&simulation, "2025-01-15T21:00:00Z").await;
    let transactions = trader.get(&format!("{simulation}/transactions")).await;
    let settled: Vec<_> = transactions
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["order_id"].is_null())
        .map(|t| {
            (
                t["instrument"].as_str().unwrap(),
                t["type"].as_str().unwrap(),
                t["quantity"].as_str().unwrap(),
                t.get("price").and_then(Value::as_str),
                t.get("value").and_then(Value::as_str),
            )
        })
        .collect();
    assert_eq!(
        settled,
        [
            ("SPY   250115C00589000", "exercise", "1", None, None),
            ("SPY", "exercise", "100", Some("589"), Some("58900")),
        ],
        "the 589 call closes in the money and delivers 100 shares at its strike"
    );
    let positions = trader.get(&format!("{simulation}/positions")).await;
    let held: Vec<_> = positions
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["instrument"].as_str().unwrap(),
                p["direction"].as_str().unwrap(),
                p["quantity"].as_str().unwrap(),
                p["price"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [
            ("SPY   250117C00590000", "long", "1", "5.05"),
            ("SPY", "long", "110", "591.01")
        ],
        "the later expiration and the shares stay open, marked at the close (options first)"
    );
    assert_eq!(closed["equities_debits"], "64801.2");
    assert_eq!(closed["equities_net_liquidation_value"], "65011.1");
    assert_eq!(closed["equity_options_net_liquidation_value"], "505");
}

#[tokio::test]
async fn a_stop_on_shares_waits_for_the_last_trade() {
    let server = server().await;
    let trader = Trader::new(&server, "stop@example.com").await;
    let (_, created) = trader
        .json(
            Method::POST,
            "/simulations",
            Some(json!({"date": "2025-01-15", "starting_capital": 100000, "underlying": "SPY"})),
        )
        .await;
    let simulation = format!("/simulations/{}", created["id"].as_str().unwrap());
    trader.clock(&simulation, "2025-01-15T14:35:00Z").await;
    let stop = |trigger: &str| {
        json!({"type": "stop", "stop_trigger": trigger, "price_effect": "debit",
               "legs": [leg("SPY", "buy to open", 5)]})
    };
    assert_eq!(
        trader
            .send(
                Method::POST,
                &format!("{simulation}/orders"),
                Some(stop("590.50"))
            )
            .await,
        (400, "stop order would execute immediately".into()),
        "the last trade, 590.11, is already at or below 590.50"
    );
    let (status, order) = trader.order(&simulation, stop("589.45")).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["status"], "pending");
    let path = format!("{simulation}/orders/{}", order["id"].as_str().unwrap());
    // 589.40 traded within the second after 14:40:00 and 590.00 after it: never reached at a
    // whole second. 589.30 at 14:45:00.2 is first seen at 14:45:01.
    trader.clock(&simulation, "2025-01-15T14:45:00Z").await;
    assert_eq!(trader.get(&path).await["status"], "pending");
    trader.clock(&simulation, "2025-01-15T14:45:01Z").await;
    let filled = trader.get(&path).await;
    assert_eq!(filled["status"], "filled");
    assert_eq!(filled["fill_price"], "589.25", "the mid of 589.20 x 589.30");
    assert_eq!(
        filled["execution_price"], "589.45",
        "a stop's execution price is its trigger"
    );
}
