//! The `optiontape` command.

mod commands;
mod config;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

use config::{GlobalOptions, ServeOptions};

/// A self-hosted U.S. options and stocks market lab.
#[derive(Parser, Debug)]
#[command(name = "optiontape", version, about)]
struct Cli {
    #[command(flatten)]
    global: GlobalOptions,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server
    Serve(ServeOptions),
    /// Manage users
    #[command(subcommand)]
    Users(commands::users::UsersCommand),
    /// Manage API keys
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
    /// Generate, inspect and import market data
    #[command(subcommand)]
    Data(commands::data::DataCommand),
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(options) => commands::serve::run(&cli.global, &options).await,
            Command::Users(command) => commands::users::run(&cli.global, command).await,
            Command::Keys(command) => commands::keys::run(&cli.global, command).await,
            Command::Data(command) => commands::data::run(&cli.global, command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
