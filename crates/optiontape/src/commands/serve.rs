//! `optiontape serve`.

use anyhow::Context;
use server::bootstrap::{self, DemoCredentials};
use server::{App, AppState, MailSettings, Settings, WallClock};
use std::sync::Arc;

use super::data;
use crate::config::{self, GlobalOptions, ServeOptions};

pub async fn run(global: &GlobalOptions, options: &ServeOptions) -> anyhow::Result<()> {
    let (store, file, storage) = super::open_store(global).await?;
    let bind = config::bind(options, &file);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    let public_url = config::public_url(options, &file, bound)?;

    let demo_market = config::demo_market(options, &file);
    ensure_market_data(&storage.data_dir, &demo_market).await?;

    let mut settings = Settings::new(public_url.clone(), storage.data_dir.clone());
    settings.market_clock = config::market_clock(options, &file)?;
    settings.mail = MailSettings {
        smtp_url: options.smtp_url.clone().or(file.mail.smtp_url.clone()),
        from: options
            .mail_from
            .clone()
            .or(file.mail.from.clone())
            .unwrap_or(settings.mail.from),
    };
    settings.simulator_accepts_bearer = file.simulator.accept_bearer;
    if let Some(rate) = file.pricing.risk_free_rate {
        anyhow::ensure!(
            rate.is_finite() && rate.abs() < 1.0,
            "the config file's pricing.risk_free_rate must be a decimal rate such as 0.04, not {rate}"
        );
        settings.risk_free_rate = rate;
    }
    file.plans.apply(&mut settings.plans);
    settings.column = file.column.settings()?;

    let state = AppState::new(store, Arc::new(WallClock), settings)?;
    let app = App::new(state.clone(), axum::Router::new())?;
    let demo = bootstrap::ensure_demo(&state).await?;

    // From here on Ctrl-C stops the server gracefully (before, during generation, it simply
    // ends the process).
    let shutdown = shutdown_signal();
    print_banner(&state, &storage, &public_url, bound, demo.as_ref());
    tracing::info!(%bound, public_url, "listening");
    server::serve(listener, state, app, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Generates the demo market into a data folder that has no market data (unless told not to).
async fn ensure_market_data(
    data_dir: &std::path::Path,
    demo: &config::DemoMarket,
) -> anyhow::Result<()> {
    let tape_dir = server::settings::tape_dir(data_dir);
    data::set_aside_other_formats(&tape_dir)?;
    let tape = tape::Tape::new(&tape_dir);
    if demo.sessions == 0 || !tape.underlyings()?.is_empty() {
        return Ok(());
    }
    let products = synth::select(&demo.underlyings)?;
    println!(
        "No market data in {}: generating the demo market first (once).",
        tape_dir.display()
    );
    let (sessions, seed) = (demo.sessions, demo.seed);
    tokio::task::spawn_blocking(move || {
        let dates = data::generate::before_today(sessions)?;
        data::generate::generate_market(&tape_dir, &products, &dates, seed, None)
    })
    .await??;
    Ok(())
}

fn print_banner(
    state: &AppState,
    storage: &config::Storage,
    public_url: &str,
    bound: std::net::SocketAddr,
    demo: Option<&DemoCredentials>,
) {
    let database = match state.store.backend() {
        store::Backend::Sqlite => format!(
            "SQLite ({})",
            storage.data_dir.join("optiontape.db").display()
        ),
        store::Backend::Postgres => {
            format!("PostgreSQL ({})", store::redact_url(&storage.database_url))
        }
    };
    println!(
        "optiontape {} listening on {public_url} ({bound})",
        env!("CARGO_PKG_VERSION")
    );
    println!("  data folder   {}", storage.data_dir.display());
    println!("  database      {database}");
    println!("  e-mail        {}", state.mailer.describe());
    let underlyings = state.tape.underlyings().unwrap_or_default();
    let wall = state.now();
    println!(
        "  market data   {} ({})",
        state.tape.root().display(),
        if underlyings.is_empty() {
            "none yet: optiontape data generate | import".to_string()
        } else {
            underlyings.join(", ")
        }
    );
    println!(
        "  market clock  {} {}",
        state.market.setting(),
        match state.market.session() {
            Some(session) => format!(
                "on the {} session, now {}",
                session.date,
                state.market.now(wall).to_rfc3339()
            ),
            None => format!("now {}", state.market.now(wall).to_rfc3339()),
        }
    );
    println!("  API document  {public_url}/openapi.json");
    match demo {
        Some(demo) => {
            println!();
            println!(
                "Demo account {} (saved in {}):",
                demo.email,
                bootstrap::credentials_path(&storage.data_dir).display()
            );
            for (product, key) in &demo.keys {
                println!("  {:<14} {key}", format!("{product} key"));
            }
            if !demo.session_token.is_empty() {
                println!("  {:<14} {}", "session token", demo.session_token);
            }
            println!();
            println!("Try: curl {public_url}/v1/status/");
            if !demo.session_token.is_empty() {
                println!(
                    "     curl -H 'Authorization: {}' {public_url}/user",
                    demo.session_token
                );
            }
        }
        None => {
            println!();
            println!(
                "Create a key: optiontape keys create --email YOU@EXAMPLE.COM --product options --plan expert"
            );
        }
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal sent as soon as the server answers is never missed (it
/// would otherwise end the process with the signal's default action).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(stream) => Some(stream),
            Err(error) => {
                tracing::error!(%error, "cannot listen for {name}");
                None
            }
        };
        (
            listen(SignalKind::interrupt(), "SIGINT"),
            listen(SignalKind::terminate(), "SIGTERM"),
        )
    };
    async move {
        #[cfg(unix)]
        {
            async fn received(stream: Option<tokio::signal::unix::Signal>) {
                match stream {
                    Some(mut stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            let (interrupt, terminate) = signals;
            tokio::select! {
                () = received(interrupt) => {},
                () = received(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}
