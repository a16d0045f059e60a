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
    tokio::task::spawn_blocking(move || {
        set_aside_other_formats(&tape_dir)?;
        match command {
            DataCommand::Generate(args) => generate::run(&tape_dir, &args),
            DataCommand::Info(args) => info::run(&tape_dir, &args),
            DataCommand::Import(args) => import::run(&tape_dir, &args),
        }
    })
    .await?
}

/// Moves session files of another tape format out of the way (this build cannot read them), and
/// says so: the sessions can then be generated or imported again.
pub fn set_aside_other_formats(tape_dir: &std::path::Path) -> anyhow::Result<()> {
    let moved = tape::Tape::new(tape_dir).set_aside_other_formats()?;
    if let Some(first) = moved.first() {
        println!(
            "{} written in another tape format, which this build does not read, renamed \
             (e.g. {}): generate or import them again.",
            generate::plural(moved.len(), "session file"),
            first.display()
        );
    }
    Ok(())
}
