//! `optiontape serve`.

use anyhow::Context;
use server::bootstrap::{self, DemoCredentials};
use server::{App, AppState, MailSettings, Settings, WallClock};
use std::sync::Arc;

use crate::config::{self, GlobalOptions, ServeOptions};

pub async fn run(global: &GlobalOptions, options: &ServeOptions) -> anyhow::Result<()> {
    let (store, file, storage) = super::open_store(global).await?;
    let bind = config::bind(options, &file);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    let public_url = config::public_url(options, &file, bound)?;

    let mut settings = Settings::new(public_url.clone(), storage.data_dir.clone());
    settings.mail = MailSettings {
        smtp_url: options.smtp_url.clone().or(file.mail.smtp_url.clone()),
        from: options
            .mail_from
            .clone()
            .or(file.mail.from.clone())
            .unwrap_or(settings.mail.from),
    };
    settings.simulator_accepts_bearer = file.simulator.accept_bearer;
    file.plans.apply(&mut settings.plans);

    let state = AppState::new(store, Arc::new(WallClock), settings)?;
    let app = App::new(state.clone(), axum::Router::new())?;
    let demo = bootstrap::ensure_demo(&state).await?;

    print_banner(&state, &storage, &public_url, bound, demo.as_ref());
    tracing::info!(%bound, public_url, "listening");
    server::serve(listener, state, app, shutdown_signal()).await?;
    tracing::info!("stopped");
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

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
