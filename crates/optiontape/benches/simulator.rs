//! The simulator against its targets: the fill-time search of a pending four-leg order over a
//! whole session (≤ 1 ms), a clock PATCH on a simulation with 50 orders and 20 positions
//! (≤ 5 ms), and the per-second history of a full session (≤ 50 ms).
//!
//! Run: `cargo bench -p optiontape --bench simulator`
//!
//! Generates one SPX session of the synthetic market (as the demo does), starts the server
//! in-process on a loopback socket with SQLite in a temporary folder, and drives it over HTTP.
//! References measured in the same run: decoding the four legs' quotes for the whole session
//! (the least a search that reads them can cost), and `GET /user` (the cheapest authenticated
//! request). Nothing is asserted: it prints.

use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::account::Simulation;
use engine::order::{LegRequest, OrderRequest};
use engine::placement::Desk;
use model::Timestamp;
use model::fees::FeeSchedule;
use model::symbol::{OptionSymbol, Right};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use server::faces::simulator::tape_market::TapeMarket;
use server::{App, AppState, Settings, WallClock};
use tape::{Owner, Quote, SessionFile};

type Error = Box<dyn std::error::Error>;

const SEARCHES: usize = 50;
const PATCHES: usize = 200;
const HISTORIES: usize = 10;

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

/// The session's 0DTE SPXW contracts with a two-sided quote at `at`, nearest the money first.
fn near_the_money(session: &SessionFile, at: Timestamp, spot: f64) -> Vec<OptionSymbol> {
    let date = session.date();
    let mut listed: Vec<OptionSymbol> = session
        .contracts()
        .iter()
        .map(|c| c.symbol)
        .filter(|s| s.root.as_str() == "SPXW" && s.expiration == date)
        .filter(|s| {
            session
                .contract(s)
                .and_then(|owner| session.quote_at(owner, at).ok().flatten())
                .is_some_and(|q| q.is_two_sided())
        })
        .collect();
    listed.sort_by(|a, b| {
        let distance = |s: &OptionSymbol| {
            (s.strike
                .to_decimal()
                .to_string()
                .parse::<f64>()
                .unwrap_or(0.0)
                - spot)
                .abs()
        };
        distance(a).total_cmp(&distance(b))
    });
    listed
}

fn leg(symbol: &OptionSymbol, action: &str, quantity: u32) -> Value {
    json!({"instrument": symbol.osi(), "quantity": quantity.to_string(), "action": action})
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let date = jiff::civil::date(2025, 1, 15);
    let session = model::calendar::session(date).ok_or("a session")?;
    let dir = tempfile::tempdir()?;
    let tape_dir = server::settings::tape_dir(dir.path());
    let started = Instant::now();
    synth::generate(
        &synth::Config::new(&tape_dir, 42),
        &synth::select(&["SPX".into()])?,
        &[date],
        &|_, _| {},
    )?;
    eprintln!(
        "generated SPX {date} in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let store = store::Store::open(&store::Store::sqlite_url_in(dir.path())).await?;
    let email = model::Email::parse("bench@example.com")?;
    let user = store.create_user(&email, None, Timestamp::EPOCH).await??;
    let token = store.create_session(user.id, Timestamp::EPOCH).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let mut settings = Settings::new(url.clone(), dir.path());
    settings.market_clock =
        model::ClockSetting::Fixed(Timestamp::parse_rfc3339("2025-01-16T15:00:00Z")?);
    let state = AppState::new(store, Arc::new(WallClock), settings)?;
    let app = App::new(state.clone(), axum::Router::new())?;
    tokio::spawn(server::serve(
        listener,
        state.clone(),
        app,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{url}{path}"))
            .header("authorization", token.expose());
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

    // A simulation with 20 positions and 30 pending orders.
    let created: Value = serde_json::from_str(
        &call(
            reqwest::Method::POST,
            "/simulations".into(),
            Some(json!({"date": "2025-01-15", "starting_capital": "10000000"})),
        )
        .await,
    )?;
    let simulation = format!("/simulations/{}", created["id"].as_str().ok_or("id")?);
    let ten = model::calendar::new_york_instant(date, 10, 0, 0);
    call(
        reqwest::Method::PATCH,
        simulation.clone(),
        Some(json!({"time": ten.to_rfc3339()})),
    )
    .await;
    let file = state.tape.session("SPX", date)?.ok_or("the session")?;
    let spot = file
        .underlying_price(ten)?
        .map(|p| tape::records::px_to_f64(p.price))
        .ok_or("a spot")?;
    let contracts = near_the_money(&file, ten, spot);
    for symbol in contracts.iter().take(20) {
        call(
            reqwest::Method::POST,
            format!("{simulation}/orders"),
            Some(json!({"type": "market", "legs": [leg(symbol, "buy to open", 1)]})),
        )
        .await;
    }
    for symbol in contracts.iter().skip(20).take(30) {
        call(reqwest::Method::POST, format!("{simulation}/orders"), Some(json!({"type": "limit", "price": "0.05", "price_effect": "debit", "legs": [leg(symbol, "buy to open", 1)]}))).await;
    }

    // References.
    let mut user_times = Vec::new();
    for _ in 0..PATCHES {
        let started = Instant::now();
        call(reqwest::Method::GET, "/user".into(), None).await;
        user_times.push(started.elapsed());
    }

    // Clock PATCH across the session.
    let span = (session.close.as_nanos() - session.open.as_nanos()) / 1_000_000_000;
    let mut patch_times = Vec::new();
    for i in 0..PATCHES {
        let second = (i as i64 * 7919) % span;
        let at = Timestamp::from_seconds(session.open.as_seconds() + second);
        let started = Instant::now();
        call(
            reqwest::Method::PATCH,
            simulation.clone(),
            Some(json!({"time": at.to_rfc3339()})),
        )
        .await;
        patch_times.push(started.elapsed());
    }

    // The full session's history, over HTTP and in the engine alone.
    call(
        reqwest::Method::PATCH,
        simulation.clone(),
        Some(json!({"time": session.close.to_rfc3339()})),
    )
    .await;
    let mut history_times = Vec::new();
    let mut rows = 0;
    for _ in 0..HISTORIES {
        let started = Instant::now();
        let body = call(reqwest::Method::GET, format!("{simulation}/history"), None).await;
        history_times.push(started.elapsed());
        rows = body.matches("\"timestamp\"").count();
    }
    let ledger = state
        .store
        .ledger(uuid::Uuid::parse_str(created["id"].as_str().ok_or("id")?)?)
        .await?;
    let schedule = FeeSchedule::PLATFORM_DEFAULT;
    let simulated = Simulation {
        id: uuid::Uuid::nil(),
        date,
        start: session.open,
        end: session.close,
        starting_capital: Decimal::from(10_000_000),
        schedule: &schedule,
    };
    let market = TapeMarket {
        tape: &state.tape,
        session: file.clone(),
        close: session.close,
        rate: 0.04,
    };
    let mut engine_history = Vec::new();
    let mut writing_history = Vec::new();
    let mut history_bytes = 0;
    for _ in 0..HISTORIES {
        let started = Instant::now();
        let samples = engine::history::history(
            &simulated,
            &ledger.orders,
            session.open,
            session.close,
            1,
            &market,
        )?;
        engine_history.push(started.elapsed());
        assert_eq!(samples.len(), rows);
        let started = Instant::now();
        let body: Vec<server::faces::simulator::wire::HistoryRow> = samples
            .iter()
            .map(|sample| server::faces::simulator::wire::HistoryRow {
                timestamp: sample.at.to_rfc3339(),
                financials: server::faces::simulator::wire::FinancialsBody::of(&sample.financials),
            })
            .collect();
        let json = serde_json::to_vec(&body)?;
        writing_history.push(started.elapsed());
        history_bytes = json.len();
    }

    // A four-leg order that never fills, searched from 09:31 to the close, and the decoding of
    // its legs' quotes for the whole session.
    let strike = |s: &OptionSymbol| {
        s.strike
            .to_decimal()
            .to_string()
            .parse::<f64>()
            .unwrap_or(0.0)
    };
    // The day's range of the index: shorts outside it keep the condor's credit far from its cap.
    let values = file.whole_series::<tape::IndexValue>(Owner::Underlying)?;
    let low = values
        .iter()
        .map(|v| tape::records::px_to_f64(v.value))
        .fold(f64::MAX, f64::min);
    let high = values
        .iter()
        .map(|v| tape::records::px_to_f64(v.value))
        .fold(f64::MIN, f64::max);
    let mut puts: Vec<&OptionSymbol> = contracts
        .iter()
        .filter(|s| s.right == Right::Put && strike(s) < low)
        .collect();
    puts.sort_by(|a, b| strike(b).total_cmp(&strike(a)));
    let mut calls: Vec<&OptionSymbol> = contracts
        .iter()
        .filter(|s| s.right == Right::Call && strike(s) > high)
        .collect();
    calls.sort_by(|a, b| strike(a).total_cmp(&strike(b)));
    // Long put, short put, short call, long call: shorts just outside the day's range, wings two
    // strikes further out.
    let condor = [puts[2], puts[0], calls[0], calls[2]];
    let legs = vec![
        LegRequest {
            instrument: condor[0].osi(),
            quantity: "1".into(),
            action: "buy to open".into(),
        },
        LegRequest {
            instrument: condor[1].osi(),
            quantity: "1".into(),
            action: "sell to open".into(),
        },
        LegRequest {
            instrument: condor[2].osi(),
            quantity: "1".into(),
            action: "sell to open".into(),
        },
        LegRequest {
            instrument: condor[3].osi(),
            quantity: "1".into(),
            action: "buy to open".into(),
        },
    ];
    let wing = (condor[1].strike.to_decimal() - condor[0].strike.to_decimal())
        .max(condor[3].strike.to_decimal() - condor[2].strike.to_decimal());
    let order = OrderRequest {
        order_type: "limit".into(),
        price: Some((wing - Decimal::new(5, 2)).normalize().to_string()),
        price_effect: Some("credit".into()),
        stop_trigger: None,
        legs,
    }
    .check()?;
    let empty = Vec::new();
    let open = model::calendar::new_york_instant(date, 9, 31, 0);
    let mut search_times = Vec::new();
    for _ in 0..SEARCHES {
        let desk = Desk {
            simulation: &simulated,
            underlying: "SPX",
            ledger: &empty,
            clock: open,
            market: &market,
        };
        let started = Instant::now();
        let placement = desk.place(uuid::Uuid::nil(), order.clone(), Decimal::ZERO)?;
        search_times.push(started.elapsed());
        assert!(
            placement.placed.fill.is_none(),
            "the condor at its cap never fills"
        );
    }
    // The same search without the chunk bounds (every second with a quote change visited), and
    // the bounds alone (every window ruled out).
    use engine::market::Market;
    let instruments: Vec<model::order::Instrument> = condor
        .iter()
        .map(|s| model::order::Instrument::Option(**s))
        .collect();
    let mut scan_times = Vec::new();
    let mut bounds_times = Vec::new();
    for _ in 0..SEARCHES {
        let started = Instant::now();
        market.first_second(
            &instruments,
            open,
            session.close,
            &mut |_| true,
            &mut |_, _| false,
        )?;
        scan_times.push(started.elapsed());
        let started = Instant::now();
        market.first_second(
            &instruments,
            open,
            session.close,
            &mut |_| false,
            &mut |_, _| false,
        )?;
        bounds_times.push(started.elapsed());
    }
    let owners: Vec<Owner> = condor.iter().filter_map(|s| file.contract(s)).collect();
    let mut decode_times = Vec::new();
    let mut quotes = 0;
    for _ in 0..SEARCHES {
        let started = Instant::now();
        quotes = 0;
        for owner in &owners {
            quotes += std::hint::black_box(file.whole_series::<Quote>(*owner)?).len();
        }
        decode_times.push(started.elapsed());
    }

    println!(
        "simulator benchmarks (cargo bench -p optiontape --bench simulator), SPX {date}, synthetic seed 42"
    );
    println!(
        "  condor: {}",
        condor
            .iter()
            .map(|s| s.osi())
            .collect::<Vec<_>>()
            .join(" / ")
    );
    println!(
        "  fill-time search, 4-leg condor never filling, 09:31 to the close: median {} (target 1 ms)",
        ms(median(search_times))
    );
    println!(
        "    reference: decoding the 4 legs' {quotes} quotes: median {}",
        ms(median(decode_times))
    );
    println!(
        "    visiting every second with a quote change: median {}; the windows' bounds alone: median {}",
        ms(median(scan_times)),
        ms(median(bounds_times))
    );
    println!(
        "  clock PATCH, 50 orders (20 filled positions, 30 pending), {PATCHES} instants: median {}, p99 {} (target 5 ms)",
        ms(median(patch_times.clone())),
        ms(p99(patch_times))
    );
    println!(
        "    reference: GET /user: median {}, p99 {}",
        ms(median(user_times.clone())),
        ms(p99(user_times))
    );
    println!(
        "  history of the full session ({rows} rows): engine median {} (target 50 ms); over HTTP with JSON median {}",
        ms(median(engine_history)),
        ms(median(history_times))
    );
    println!(
        "    writing its {:.1} MB of JSON: median {}",
        history_bytes as f64 / 1e6,
        ms(median(writing_history))
    );
    Ok(())
}
