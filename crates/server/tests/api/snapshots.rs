//! Option snapshots over the tape: the chain (`/v1/options/chain/{underlying}/`) and one contract
//! (`/v1/options/snapshot/{underlying}/{option_contract}/`), now or as of any instant, and their
//! Polygon paths.

use crate::support::TestServer;
use jiff::civil::date;
use model::symbol::OptionSymbol;
use model::venues::venue;
use model::{Plan, Product, Timestamp};
use pricing::{OptionKind, bsm_greeks, bsm_price};
use serde_json::Value;
use std::time::Duration;

/// The demo market is priced at this rate, and so is this fixture: the server's default.
const RATE: f64 = 0.04;
const YIELD: f64 = 0.013;
const VOL: f64 = 0.2;
const CALL: &str = "O:SPY250117C00590000";

fn years_to_expiry(ts: Timestamp) -> f64 {
    let settles = model::calendar::new_york_instant(date(2025, 1, 17), 16, 0, 0);
    (settles.as_nanos() - ts.as_nanos()) as f64 / 1e9 / (365.0 * 86_400.0)
}

/// SPY on 2025-01-14 (mid 588) and 2025-01-15 (mid 590), quoted every minute a cent either side;
/// calls and puts at 585, 590 and 595 expiring 2025-01-17 quoted every minute a nickel either
/// side of their Black-Scholes price (20 % volatility, 1.3 % yield, 4 % rate); the 590 call
/// trading at half past every hour; and a 500 call quoted below its intrinsic value, which no
/// volatility explains.
fn write_sessions(data: &std::path::Path) {
    for (day, spot) in [(date(2025, 1, 14), 588.0), (date(2025, 1, 15), 590.0)] {
        let open = model::calendar::session(day).unwrap().open;
        let mut builder = tape::SessionBuilder::create(&data.join("tape"), "SPY", day).unwrap();
        let mut owners = Vec::new();
        for strike in [585u32, 590, 595] {
            for right in ['C', 'P'] {
                let symbol =
                    OptionSymbol::parse(&format!("SPY250117{right}{:08}", strike * 1000)).unwrap();
                let owner = builder.contract(symbol).unwrap();
                builder
                    .set_open_interest(owner, u64::from(strike) * 10)
                    .unwrap();
                owners.push((owner, f64::from(strike), right));
            }
        }
        let broken = builder
            .contract(OptionSymbol::parse("SPY250117C00500000").unwrap())
            .unwrap();
        let spot_nanos = (spot * 1e9) as i64;
        for minute in 0..390u64 {
            let ts = open.plus(Duration::from_secs(minute * 60));
            let underlying = tape::Quote {
                ts,
                bid: spot_nanos - 10_000_000,
                ask: spot_nanos + 10_000_000,
                bid_size: 300,
                ask_size: 200,
                bid_exchange: venue::CBOE,
                ask_exchange: venue::CBOE,
            };
            builder.quote(tape::Owner::Underlying, underlying).unwrap();
            for (owner, strike, right) in &owners {
                let kind = if *right == 'C' {
                    OptionKind::Call
                } else {
                    OptionKind::Put
                };
                let price = bsm_price(kind, spot, *strike, years_to_expiry(ts), RATE, YIELD, VOL);
                let nanos = (price * 1e9).round() as i64;
                let quote = tape::Quote {
                    ts,
                    bid: nanos - 50_000_000,
                    ask: nanos + 50_000_000,
                    bid_size: 10,
                    ask_size: 20,
                    bid_exchange: venue::CBOE,
                    ask_exchange: venue::ISE,
                };
                builder.quote(*owner, quote).unwrap();
                if *strike == 590.0 && *right == 'C' && minute % 60 == 30 {
                    let trade = tape::Trade {
                        ts,
                        price: nanos,
                        size: 2 * tape::SIZE_SCALE,
                        exchange: venue::CBOE,
                        conditions: tape::Trade::conditions_from(&[]),
                        sequence: minute,
                    };
                    builder.trade(*owner, trade).unwrap();
                }
            }
            let low = tape::Quote {
                ts,
                bid: 80 * tape::PRICE_SCALE,
                ask: 81 * tape::PRICE_SCALE,
                bid_size: 1,
                ask_size: 1,
                bid_exchange: venue::CBOE,
                ask_exchange: venue::CBOE,
            };
            builder.quote(broken, low).unwrap();
        }
        builder.finish().unwrap();
    }
}

/// 11:00 New York on 2025-01-15: ninety minutes into the session, exactly at a quote.
fn eleven() -> Timestamp {
    model::calendar::new_york_instant(date(2025, 1, 15), 11, 0, 0)
}

async fn server() -> TestServer {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    write_sessions(dir.path());
    TestServer::start_with_market_at(dir, eleven()).await
}

fn tickers(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["details"]["ticker"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_chain_snapshot_prices_each_contract_from_its_quote_at_the_instant() {
    let server = server().await;
    let expert = server
        .key("expert@example.com", Product::Options, Plan::Expert)
        .await;
    let (status, body) = server
        .get_json(&expert, "/v1/options/chain/SPY/?limit=100")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "OK");
    assert!(body.get("next_url").is_none());
    assert_eq!(tickers(&body).len(), 7);
    let results = body["results"].as_array().unwrap();
    let call = results
        .iter()
        .find(|r| r["details"]["ticker"] == CALL)
        .unwrap();

    let details = &call["details"];
    assert_eq!(details["contract_type"], "call");
    assert_eq!(details["exercise_style"], "american");
    assert_eq!(details["expiration_date"], "2025-01-17");
    assert_eq!(details["strike_price"], 590);
    assert_eq!(details["shares_per_contract"], 100);
    assert_eq!(details["underlying_ticker"], "SPY");

    // The implied volatility and Greeks the quote's midpoint gives at 11:00, in snapshot units.
    let years = years_to_expiry(eleven());
    let exact = bsm_greeks(OptionKind::Call, 590.0, 590.0, years, RATE, YIELD, VOL);
    let iv = call["implied_volatility"].as_f64().unwrap();
    assert!((iv - VOL).abs() < 1e-5, "{iv}");
    let greeks = &call["greeks"];
    let close = |name: &str, expected: f64, tolerance: f64| {
        let got = greeks[name].as_f64().unwrap();
        assert!(
            (got - expected).abs() < tolerance,
            "{name}: {got} vs {expected}"
        );
    };
    close("delta", exact.delta, 1e-4);
    close("gamma", exact.gamma, 1e-4);
    close("theta", exact.theta / 365.0, 1e-3);
    close("vega", exact.vega / 100.0, 1e-4);

    // The quote and the underlying as of 11:00, and the break-even on the midpoint.
    let quote = &call["last_quote"];
    assert_eq!(quote["last_updated"], eleven().as_nanos());
    assert_eq!(quote["timeframe"], "REAL-TIME");
    assert_eq!(quote["bid_exchange"], 302);
    let (bid, ask) = (
        quote["bid"].as_f64().unwrap(),
        quote["ask"].as_f64().unwrap(),
    );
    assert!((quote["midpoint"].as_f64().unwrap() - (bid + ask) / 2.0).abs() < 1e-9);
    let underlying = &call["underlying_asset"];
    assert_eq!(underlying["ticker"], "SPY");
    assert_eq!(underlying["price"], 590);
    assert_eq!(underlying["last_updated"], eleven().as_nanos());
    let break_even = call["break_even_price"].as_f64().unwrap();
    assert!((break_even - (590.0 + (bid + ask) / 2.0)).abs() < 1e-9);
    assert!(
        (underlying["change_to_break_even"].as_f64().unwrap() - (break_even - 590.0)).abs() < 1e-9
    );
    assert_eq!(call["open_interest"], 5900);

    // The day so far: the 10:00 and 11:00 trades, not the later ones; the change from the 14th.
    let day = &call["day"];
    assert_eq!(day["volume"], 4);
    assert_eq!(call["last_trade"]["sip_timestamp"], eleven().as_nanos());
    assert_eq!(call["last_trade"]["size"], 2);
    let previous = day["previous_close"].as_f64().unwrap();
    let change = day["change"].as_f64().unwrap();
    assert!((day["close"].as_f64().unwrap() - previous - change).abs() < 1e-9);
    assert!(change > 0.0, "SPY rose two dollars: {day}");

    // A quote no volatility explains has no Greeks and no implied volatility, and no NaN.
    let broken = results
        .iter()
        .find(|r| r["details"]["ticker"] == "O:SPY250117C00500000")
        .unwrap();
    assert!(broken.get("greeks").is_none() && broken.get("implied_volatility").is_none());
    assert!(broken.get("last_quote").is_some());
}

#[tokio::test]
async fn delayed_plans_see_the_chain_fifteen_minutes_back_without_quotes() {
    let server = server().await;
    let developer = server
        .key("dev@example.com", Product::Options, Plan::Developer)
        .await;
    let (status, body) = server
        .get_json(&developer, "/v1/options/chain/SPY/?limit=100")
        .await;
    assert_eq!(status, 200, "{body}");
    let call = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["details"]["ticker"] == CALL)
        .unwrap()
        .clone();
    assert!(call.get("last_quote").is_none(), "{call}");
    assert!(call["implied_volatility"].as_f64().is_some());
    assert_eq!(call["underlying_asset"]["timeframe"], "DELAYED");
    let seen = eleven().minus(model::plans::DELAY).as_nanos();
    assert!(call["underlying_asset"]["last_updated"].as_i64().unwrap() <= seen);
    // The 11:00 trade is not visible yet: only the 10:30 one.
    assert_eq!(call["day"]["volume"], 2);
    assert_eq!(call["last_trade"]["timeframe"], "DELAYED");
}

#[tokio::test]
async fn chains_filter_sort_and_page_at_one_instant() {
    let server = server().await;
    let key = server
        .key("expert@example.com", Product::Options, Plan::Expert)
        .await;
    let (_, body) = server.get_json(&key,
        "/v1/options/chain/SPY/?contract_type=put&strike_price.gte=590&sort=strike_price&order=desc",
    )
    .await;
    assert_eq!(
        tickers(&body),
        ["O:SPY250117P00595000", "O:SPY250117P00590000"]
    );

    // Pages of three by strike; every page shows the first page's instant.
    let mut url = server.at("/v1/options/chain/SPY/?sort=strike_price&limit=3");
    let mut seen = Vec::new();
    loop {
        let response = server
            .http
            .get(&url)
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let body: Value = response.json().await.unwrap();
        for row in body["results"].as_array().unwrap() {
            assert_eq!(row["underlying_asset"]["last_updated"], eleven().as_nanos());
        }
        seen.extend(tickers(&body));
        match body.get("next_url") {
            Some(next) => {
                let next = next.as_str().unwrap();
                assert!(next.starts_with(&server.url), "{next}");
                url = next.to_string();
            }
            None => break,
        }
    }
    let strikes: Vec<&str> = seen.iter().map(|t| &t[t.len() - 8..]).collect();
    assert_eq!(seen.len(), 7);
    assert!(strikes.windows(2).all(|w| w[0] <= w[1]), "{strikes:?}");

    // The limit is clamped at 100.
    let (status, _) = server
        .get_json(&key, "/v1/options/chain/SPY/?limit=5000")
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_snapshot_as_of_a_past_instant_shows_that_moment() {
    let server = server().await;
    let key = server
        .key("expert@example.com", Product::Options, Plan::Expert)
        .await;
    // A day stands for its end: the 14th's last quote, at 15:59.
    let last_of_14th = model::calendar::new_york_instant(date(2025, 1, 14), 15, 59, 0);
    let path = format!("/v1/options/snapshot/SPY/{CALL}/?as_of=2025-01-14");
    let (status, body) = server.get_json(&key, &path).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["results"].is_object());
    assert_eq!(
        body["results"]["last_quote"]["last_updated"],
        last_of_14th.as_nanos()
    );
    assert_eq!(body["results"]["underlying_asset"]["price"], 588);

    // An instant: 10:15 on the 15th sees the 10:15 quote and only the 10:30 trade's absence.
    let quarter_past = model::calendar::new_york_instant(date(2025, 1, 15), 10, 15, 0);
    for as_of in [
        quarter_past.as_nanos().to_string(),
        "2025-01-15T15:15:00Z".to_string(),
    ] {
        let path = format!("/v1/options/snapshot/SPY/{CALL}/?as_of={as_of}");
        let (status, body) = server.get_json(&key, &path).await;
        assert_eq!(status, 200, "{body}");
        let results = &body["results"];
        assert_eq!(
            results["last_quote"]["last_updated"],
            quarter_past.as_nanos()
        );
        assert_eq!(results["day"]["volume"], 2, "{results}");
    }

    // Before the open of the 15th: the 14th's last state.
    let path = format!("/v1/options/snapshot/SPY/{CALL}/?as_of=2025-01-15T13:00:00Z");
    let (_, body) = server.get_json(&key, &path).await;
    assert_eq!(body["results"]["underlying_asset"]["price"], 588);

    // A later instant than the market's now is now.
    let path = format!("/v1/options/snapshot/SPY/{CALL}/?as_of=2025-01-16");
    let (_, body) = server.get_json(&key, &path).await;
    assert_eq!(
        body["results"]["last_quote"]["last_updated"],
        eleven().as_nanos()
    );

    // The one-segment form and the Polygon path with apiKey.
    let (status, one) = server
        .get_json(&key, &format!("/v1/options/snapshot/{CALL}/"))
        .await;
    assert_eq!(status, 200);
    let polygon = server
        .get(&format!("/v3/snapshot/options/SPY/{CALL}?apiKey={key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(polygon.status(), 200);
    let polygon: Value = polygon.json().await.unwrap();
    assert_eq!(one["results"], polygon["results"]);
    let chain = server
        .get(&format!(
            "/v3/snapshot/options/SPY?apiKey={key}&contract_type=call"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(chain.status(), 200);
    let chain: Value = chain.json().await.unwrap();
    assert_eq!(tickers(&chain).len(), 4);
}

#[tokio::test]
async fn bad_snapshot_requests_get_the_face_errors() {
    let server = server().await;
    let key = server
        .key("expert@example.com", Product::Options, Plan::Expert)
        .await;
    for (path, status, code, names) in [
        (
            format!("/v1/options/snapshot/QQQ/{CALL}/"),
            400,
            "bad_request",
            "underlying",
        ),
        (
            "/v1/options/snapshot/SPY/SPY250117C00590000/".to_string(),
            400,
            "bad_request",
            "options_ticker",
        ),
        (
            "/v1/options/snapshot/SPY/O:SPY250117C00700000/".to_string(),
            404,
            "not_found",
            "O:SPY250117C00700000",
        ),
        (
            format!("/v1/options/snapshot/SPY/{CALL}/?as_of=yesterday"),
            400,
            "bad_request",
            "as_of",
        ),
        (
            format!("/v1/options/snapshot/SPY/{CALL}/?as_of=2014-06-01"),
            403,
            "lookback_exceeded",
            "as_of",
        ),
        (
            "/v1/options/chain/SPY/?contract_type=straddle".to_string(),
            400,
            "bad_request",
            "contract_type",
        ),
        (
            "/v1/options/chain/SPY/?strike_price.gte=lots".to_string(),
            400,
            "bad_request",
            "strike_price",
        ),
        (
            "/v1/options/chain/SPY/?sort=volume".to_string(),
            400,
            "bad_request",
            "sort",
        ),
        (
            "/v1/options/chain/SPY/?limit=-1".to_string(),
            400,
            "bad_request",
            "limit",
        ),
        (
            "/v1/options/chain/SPY/?page=forged".to_string(),
            400,
            "invalid_page_token",
            "page",
        ),
        (
            "/v1/options/chain/ZZZZ/".to_string(),
            404,
            "not_found",
            "ZZZZ",
        ),
    ] {
        let (got, body) = server.get_json(&key, &path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["status"], "ERROR", "{path}");
        assert_eq!(body["error"]["code"], code, "{path}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{path}: {message}");
    }
}
