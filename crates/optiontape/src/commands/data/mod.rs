//! `optiontape data`: generate, inspect and import market data.

pub mod generate;
pub mod import;
pub mod info;

use clap::Subcommand;

use crate::config::GlobalOptions;

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Generate a synthetic market (seeded and deterministic) into the tape
    Generate(generate::GenerateArgs),
    /// List the market data on hand: underlyings, sessions, contracts, records and bytes
    Info(info::InfoArgs),
    /// Import vendor files (Polygon/Massive flat files, Databento DBN, ThetaData CSV, plain CSV)
    Import(import::ImportArgs),
}

pub async fn run(global: &GlobalOptions, command: DataCommand) -> anyhow::Result<()> {
    let file = crate::config::load_file(global.config.as_deref())?;
    let storage = crate::config::storage(global, &file)?;
    let tape_dir = server::settings::tape_dir(&storage.data_dir);
    // The work is CPU and file bound: keep it off the async workers.
    tokio::task::spawn_blocking(move || match command {
        DataCommand::Generate(args) => generate::run(&tape_dir, &args),
        DataCommand::Info(args) => info::run(&tape_dir, &args),
        DataCommand::Import(args) => import::run(&tape_dir, &args),
    })
    .await?
}
