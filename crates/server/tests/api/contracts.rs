//! Options listings over the tape: the contracts list (`/v1/options/contracts/`), the expiration
//! dates (`/v1/tickers/expirations/{ticker}/`) and one contract's
//! detail (`/v1/options/contracts/{options_ticker}/`).

use crate::support::{TestServer, header};
use jiff::civil::{Date, date};
use model::symbol::OptionSymbol;
use model::{Plan, Product, Timestamp};
use serde_json::Value;

/// A session of `underlying` on `date` listing `contracts`, each with one quote.
fn write_session(data: &std::path::Path, underlying: &str, day: Date, contracts: &[&str]) {
    let open = model::calendar::session(day).unwrap().open;
    let mut builder = tape::SessionBuilder::create(&data.join("tape"), underlying, day).unwrap();
    for ticker in contracts {
        let owner = builder
            .contract(OptionSymbol::parse(ticker).unwrap())
            .unwrap();
        let quote = tape::Quote {
            ts: open,
            bid: 1_000_000_000,
            ask: 1_100_000_000,
            bid_size: 10,
            ask_size: 10,
            bid_exchange: 1,
            ask_exchange: 1,
        };
        builder.quote(owner, quote).unwrap();
    }
    builder.finish().unwrap();
}

async fn server() -> (TestServer, String) {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let daily = "O:SPXW250115C05950000";
    let monthly = "O:SPX250117P05900000";
    write_session(dir.path(), "SPX", date(2025, 1, 15), &[daily, monthly]);
    // The next day: the monthly and the Friday weeklies from 5800 to 6200.
    let weeklies: Vec<String> = (0..17)
        .flat_map(|k| {
            let strike = 5_800 + 25 * k;
            ['C', 'P'].map(|right| format!("O:SPXW250117{right}{:08}", strike * 1000))
        })
        .collect();
    let mut next_day: Vec<&str> = weeklies.iter().map(String::as_str).collect();
    next_day.push(monthly);
    write_session(dir.path(), "SPX", date(2025, 1, 16), &next_day);
    write_session(
        dir.path(),
        "SPY",
        date(2025, 1, 15),
        &["O:SPY250117C00592500"],
    );
    // Market time: Thursday 2025-01-16, 10:00 in New York.
    let now = Timestamp::from_seconds(1_737_039_600);
    let server = TestServer::start_with_market_at(dir, now).await;
    let key = server
        .key("contracts@example.com", Product::Options, Plan::Developer)
        .await;
    (server, key)
}

async fn get(server: &TestServer, key: &str, path: &str) -> (u16, Value) {
    let response = server.get(path).bearer_auth(key).send().await.unwrap();
    let status = response.status().as_u16();
    assert!(!header(&response, "x-ratelimit-plan").is_empty());
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_contract_listed_on_a_day_has_its_reference_data() {
    let (server, key) = server().await;
    let (status, body) = get(
        &server,
        &key,
        "/v1/options/contracts/O:SPXW250115C05950000/?as_of=2025-01-15",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "OK");
    let contract = &body["results"];
    assert_eq!(contract["ticker"], "O:SPXW250115C05950000");
    assert_eq!(contract["underlying_ticker"], "SPX");
    assert_eq!(contract["contract_type"], "call");
    assert_eq!(contract["exercise_style"], "european");
    assert_eq!(contract["expiration_date"], "2025-01-15");
    assert!(contract["strike_price"].is_i64(), "{contract}");
    assert_eq!(contract["strike_price"], 5950);
    assert_eq!(contract["shares_per_contract"], 100);
    assert_eq!(contract["primary_exchange"], "XCBO");
    assert_eq!(contract["cfi"], "OCEICS");

    // An equity option: American, physical delivery, listed on every exchange, a strike with
    // a fraction; `%3A` for the colon; no `as_of` means the market clock's day.
    let (status, body) = get(
        &server,
        &key,
        "/v1/options/contracts/O%3ASPY250117C00592500?as_of=2025-01-15",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let contract = &body["results"];
    assert_eq!(contract["underlying_ticker"], "SPY");
    assert_eq!(contract["exercise_style"], "american");
    assert_eq!(contract["strike_price"], 592.5);
    assert_eq!(contract["cfi"], "OCASPS");
    assert!(contract.get("primary_exchange").is_none(), "{contract}");
    let (status, body) = get(&server, &key, "/v1/options/contracts/O:SPX250117P05900000").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["cfi"], "OPEICS");
}

#[tokio::test]
async fn contracts_not_listed_malformed_input_and_lookback_get_the_face_errors() {
    let (server, key) = server().await;
    for (path, status, code, names) in [
        // Expired by the market clock's day, listed the day before.
        (
            "/v1/options/contracts/O:SPXW250115C05950000",
            404,
            "not_found",
            "2025-01-16",
        ),
        // Never listed.
        (
            "/v1/options/contracts/O:SPXW250115C06950000?as_of=2025-01-15",
            404,
            "not_found",
            "O:SPXW250115C06950000",
        ),
        // Before any session of the underlying.
        (
            "/v1/options/contracts/O:SPY250117C00592500?as_of=2025-01-14",
            404,
            "not_found",
            "2025-01-14",
        ),
        (
            "/v1/options/contracts/SPXW250115C05950000",
            400,
            "bad_request",
            "options_ticker",
        ),
        (
            "/v1/options/contracts/O:NOPE",
            400,
            "bad_request",
            "options_ticker",
        ),
        (
            "/v1/options/contracts/O:SPXW250115C05950000?as_of=2025-13-01",
            400,
            "bad_request",
            "as_of",
        ),
        (
            "/v1/options/contracts/O:SPXW250115C05950000?as_of=15.01.2025",
            400,
            "bad_request",
            "as_of",
        ),
        // The Developer plan looks back seven years from the market clock's day.
        (
            "/v1/options/contracts/O:SPXW250115C05950000?as_of=2017-06-01",
            403,
            "lookback_exceeded",
            "as_of",
        ),
    ] {
        let (got, body) = get(&server, &key, path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["status"], "ERROR", "{path}");
        assert_eq!(body["error"]["code"], code, "{path}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{path}: {message}");
    }
}

/// Every ticker of a list, following `next_url` verbatim.
async fn every_page(server: &TestServer, key: &str, first: &str) -> (Vec<String>, usize) {
    let mut tickers = Vec::new();
    let mut pages = 0;
    let mut url = server.at(first);
    loop {
        let response = server.http.get(&url).bearer_auth(key).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let body: Value = response.json().await.unwrap();
        pages += 1;
        for contract in body["results"].as_array().unwrap() {
            tickers.push(contract["ticker"].as_str().unwrap().to_string());
        }
        match body.get("next_url") {
            Some(next) => {
                let next = next.as_str().unwrap();
                assert!(
                    next.starts_with(&format!("{}/v1/options/contracts/?page=", server.url)),
                    "{next}"
                );
                url = next.to_string();
            }
            None => return (tickers, pages),
        }
    }
}

async fn tickers(server: &TestServer, key: &str, path: &str) -> Vec<String> {
    let (status, body) = get(server, key, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert!(body.get("next_url").is_none(), "{path}: one page expected");
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ticker"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_contracts_list_filters_sorts_and_pages() {
    let (server, key) = server().await;
    // The market clock's day lists 35 SPX contracts: pages of 10 in ticker order.
    let (all, pages) = every_page(
        &server,
        &key,
        "/v1/options/contracts/?underlying_ticker=SPX",
    )
    .await;
    assert_eq!((all.len(), pages), (35, 4));
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(all, sorted, "in ticker order, each once");
    assert_eq!(all[0], "O:SPX250117P05900000");

    // Range operators combine with AND, with each other and with exact values.
    assert_eq!(
        tickers(&server, &key, "/v1/options/contracts/?contract_type=put&strike_price.gte=6000&strike_price.lt=6100.0&limit=50").await,
        ["O:SPXW250117P06000000", "O:SPXW250117P06025000", "O:SPXW250117P06050000", "O:SPXW250117P06075000"]
    );
    assert_eq!(
        tickers(&server, &key, "/v1/options/contracts/?sort=strike_price&order=desc&limit=2&underlying_ticker.gte=S&underlying_ticker.lt=SPY&strike_price=6200").await,
        ["O:SPXW250117P06200000", "O:SPXW250117C06200000"]
    );
    // Another day's listings, other underlyings, expired contracts.
    assert_eq!(
        tickers(&server, &key, "/v1/options/contracts/?as_of=2025-01-15&expiration_date.lte=2025-01-17&sort=expiration_date").await,
        ["O:SPXW250115C05950000", "O:SPX250117P05900000", "O:SPY250117C00592500"]
    );
    assert_eq!(
        tickers(&server, &key, "/v1/options/contracts/?expired=true").await,
        ["O:SPXW250115C05950000"]
    );
    // Over the maximum is clamped, not refused.
    let (status, body) = get(&server, &key, "/v1/options/contracts/?limit=50000").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"].as_array().unwrap().len(), 36);

    // The page value alone restores the whole query; other filters are then ignored.
    let (_, first) = get(
        &server,
        &key,
        "/v1/options/contracts/?underlying_ticker=SPX&contract_type=call&limit=5",
    )
    .await;
    let next = first["next_url"].as_str().unwrap();
    let token = next.split("page=").nth(1).unwrap();
    let (status, second) = get(
        &server,
        &key,
        &format!("/v1/options/contracts?page={token}&contract_type=put"),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let second = second["results"].as_array().unwrap();
    assert_eq!(second.len(), 5);
    assert!(second.iter().all(|c| c["contract_type"] == "call"));
    assert_eq!(second[0]["ticker"], "O:SPXW250117C05925000");

    // Another user's key cannot use the token; nor can an altered one.
    let other = server
        .key("other@example.com", Product::Options, Plan::Developer)
        .await;
    let tampered = format!("{}x", &token[..token.len() - 1]);
    for (key, token) in [
        (other.as_str(), token),
        (key.as_str(), tampered.as_str()),
        (key.as_str(), "garbage"),
    ] {
        let (status, body) = get(
            &server,
            key,
            &format!("/v1/options/contracts/?page={token}"),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "invalid_page_token");
    }
}

#[tokio::test]
async fn the_contracts_list_refuses_bad_parameters_naming_them() {
    let (server, key) = server().await;
    for (query, status, code, names) in [
        ("ticker=O:SPXW250115C05950000", 400, "bad_request", "ticker"),
        ("limit=0", 400, "bad_request", "limit"),
        ("limit=abc", 400, "bad_request", "limit"),
        (
            "contract_type=straddle",
            400,
            "bad_request",
            "contract_type",
        ),
        (
            "strike_price.gte=lots",
            400,
            "bad_request",
            "strike_price.gte",
        ),
        (
            "expiration_date.lt=2025-02-30",
            400,
            "bad_request",
            "expiration_date.lt",
        ),
        ("expired=maybe", 400, "bad_request", "expired"),
        ("sort=volume", 400, "bad_request", "sort"),
        ("order=up", 400, "bad_request", "order"),
        ("as_of=2017-06-01", 403, "lookback_exceeded", "as_of"),
        (
            "expiration_date.gte=2015-01-01",
            403,
            "lookback_exceeded",
            "expiration_date",
        ),
    ] {
        let path = format!("/v1/options/contracts/?{query}");
        let (got, body) = get(&server, &key, &path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{path}: {message}");
    }
    // The Free plan looks back three years.
    let free = server
        .key("free@example.com", Product::Options, Plan::Free)
        .await;
    let (status, body) = get(&server, &free, "/v1/options/contracts/?as_of=2021-06-01").await;
    assert_eq!(status, 403, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Free plan"), "{message}");
}

#[tokio::test]
async fn expiration_dates_are_those_listed_on_the_market_clocks_day() {
    let (server, key) = server().await;
    let (status, body) = get(&server, &key, "/v1/tickers/expirations/SPX/").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticker"], "SPX");
    // 2025-01-16 lists the Friday weeklies and the monthly, both expiring 2025-01-17; the
    // 0DTE of the 15th is gone.
    assert_eq!(body["results"], serde_json::json!(["2025-01-17"]));
    let (status, body) = get(&server, &key, "/v1/tickers/expirations/QQQ").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"], serde_json::json!([]));
    let (status, body) = get(&server, &key, "/v1/tickers/expirations/spx%20x").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ticker")
    );
}

#[tokio::test]
async fn polygon_clients_list_contracts_on_the_v3_path_with_api_key() {
    let (server, key) = server().await;
    let first = format!(
        "/v3/reference/options/contracts?apiKey={key}&underlying_ticker=SPX&limit=20&expired=false"
    );
    let response = server.get(&first).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 20);
    let next = body["next_url"].as_str().unwrap();
    assert!(
        next.starts_with(&format!(
            "{}/v3/reference/options/contracts/?page=",
            server.url
        )),
        "{next}"
    );
    // As cutebacktests does: the key appended to next_url.
    let response = server
        .http
        .get(format!("{next}&apiKey={key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 15);
}
