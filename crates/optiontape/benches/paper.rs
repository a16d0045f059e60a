//! Paper trading against its benchmarks: order submissions per second through the API, and the
//! evaluator's cost per open order per tick.
//!
//! Run: `cargo bench -p optiontape --bench paper`
//!
//! Generates one SPY session of the synthetic market (as the demo does), starts the server
//! in-process on a loopback socket with SQLite in a temporary folder and a market clock fixed at
//! 10:30 New York, so the session is open and the quotes fresh. References measured in the same
//! run: `GET /v1/paper/clock` (the cheapest authenticated paper request) and reading one quote
//! from the tape. Nothing is asserted: it prints.

use std::sync::Arc;
use std::time::{Duration, Instant};

use model::order::Instrument;
use model::{Plan, Product, Timestamp};
use serde_json::{Value, json};
use server::faces::paper::{evaluation, quotes};
use server::{App, AppState, Settings, WallClock};
use store::keys::KeyFamily;

type Error = Box<dyn std::error::Error>;

const SUBMISSIONS: usize = 400;
const CONCURRENT: usize = 8;
const TICKS: usize = 10;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn p99(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[(times.len() * 99 / 100).min(times.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let date = jiff::civil::date(2025, 1, 15);
    let dir = tempfile::tempdir()?;
    let tape_dir = server::settings::tape_dir(dir.path());
    synth::generate(
        &synth::Config::new(&tape_dir, 42),
        &synth::select(&["SPY".into()])?,
        &[date],
        &|_, _| {},
    )?;
    let store = store::Store::open(&store::Store::sqlite_url_in(dir.path())).await?;
    let email = model::Email::parse("bench@example.com")?;
    let user = store.create_user(&email, None, Timestamp::EPOCH).await??;
    let (_, key) = store
        .create_api_key(
            user.id,
            Product::Paper,
            Plan::Free,
            KeyFamily::Live,
            Timestamp::EPOCH,
        )
        .await?;
    let key = key.expose().to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let mut settings = Settings::new(url.clone(), dir.path());
    let now = model::calendar::new_york_instant(date, 10, 30, 0);
    settings.market_clock = model::ClockSetting::Fixed(now);
    let state = AppState::new(store, Arc::new(WallClock), settings)?;
    let app = App::new(state.clone(), axum::Router::new())?;
    tokio::spawn(server::serve(
        listener,
        state.clone(),
        app,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{url}{path}"))
            .bearer_auth(&key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            let text = response.text().await.expect("body");
            assert!(status.is_success(), "{status}: {text}");
            text
        }
    };
    let created: Value = serde_json::from_str(
        &send(
            reqwest::Method::POST,
            "/v1/paper/accounts".into(),
            Some(json!({"name": "bench", "initial_cash": "100000000"})),
        )
        .await,
    )?;
    let orders = format!(
        "/v1/paper/accounts/{}/orders",
        created["account"]["id"].as_str().ok_or("id")?
    );
    // Limit buys far under the market: stored, evaluated once, left open.
    fn order(i: usize) -> Value {
        json!({"symbol": "SPY", "qty": "1", "side": "buy", "type": "limit", "limit_price": "1.00", "time_in_force": "day", "client_order_id": format!("bench-{i}")})
    }

    let mut clock_times = Vec::new();
    for _ in 0..SUBMISSIONS {
        let started = Instant::now();
        send(reqwest::Method::GET, "/v1/paper/clock".into(), None).await;
        clock_times.push(started.elapsed());
    }
    let mut submit_times = Vec::new();
    let started = Instant::now();
    for i in 0..SUBMISSIONS {
        let one = Instant::now();
        send(reqwest::Method::POST, orders.clone(), Some(order(i))).await;
        submit_times.push(one.elapsed());
    }
    let sequential = SUBMISSIONS as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..CONCURRENT {
        let (http, url, key, orders) = (http.clone(), url.clone(), key.clone(), orders.clone());
        tasks.spawn(async move {
            for i in 0..SUBMISSIONS / CONCURRENT {
                let body = order(SUBMISSIONS + worker * SUBMISSIONS + i);
                let response = http
                    .post(format!("{url}{orders}"))
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                    .expect("request");
                assert!(response.status().is_success());
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let concurrent = SUBMISSIONS as f64 / started.elapsed().as_secs_f64();

    let open = state.store.open_paper_orders().await?.len();
    let mut tick_times = Vec::new();
    for _ in 0..TICKS {
        let started = Instant::now();
        evaluation::tick(&state).await.map_err(|p| p.message)?;
        tick_times.push(started.elapsed());
    }
    let spy = Instrument::Equity("SPY".into());
    let mut quote_times = Vec::new();
    for _ in 0..SUBMISSIONS {
        let started = Instant::now();
        std::hint::black_box(quotes::latest(&state, &spy, now).map_err(|p| p.message)?);
        quote_times.push(started.elapsed());
    }
    let tick = median(tick_times);
    println!(
        "paper benchmarks (cargo bench -p optiontape --bench paper), SPY {date}, synthetic seed 42, clock fixed at 10:30 New York"
    );
    println!(
        "  order submission (limit, stored, evaluated once, left open): {sequential:.0} per second one at a time (median {}, p99 {}); {concurrent:.0} per second from {CONCURRENT} clients",
        ms(median(submit_times.clone())),
        ms(p99(submit_times))
    );
    println!(
        "    reference: GET /v1/paper/clock: median {}, p99 {}",
        ms(median(clock_times.clone())),
        ms(p99(clock_times))
    );
    println!(
        "  evaluator tick over {open} open orders: median {} ({} per open order)",
        ms(tick),
        ms(tick / open.max(1) as u32)
    );
    println!(
        "    reference: one quote from the tape: median {}",
        ms(median(quote_times))
    );
    Ok(())
}
