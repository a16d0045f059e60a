//! `optiontape data generate`, and the demo market `serve` makes in an empty data folder.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use jiff::civil::Date;
use synth::Product;
use tape::{SessionFile, Tape};

use crate::commands::progress::Progress;
use crate::config::{DEFAULT_DEMO_SESSIONS, DEFAULT_SEED};

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Underlyings, comma separated [default: SPX,VIX,SPY,QQQ,AAPL,NFLX,TSLA]
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub underlyings: Vec<String>,
    /// First session to generate (YYYY-MM-DD), with --to
    #[arg(
        long,
        value_name = "DATE",
        requires = "to",
        conflicts_with = "sessions"
    )]
    pub from: Option<Date>,
    /// Last session to generate (YYYY-MM-DD), with --from
    #[arg(long, value_name = "DATE", requires = "from")]
    pub to: Option<Date>,
    /// The N most recent sessions before today [default: 20]
    #[arg(long, value_name = "N")]
    pub sessions: Option<usize>,
    /// Seed: the same seed and sessions give byte-identical files
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Worker threads [default: one per core]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Most sessions one command generates (about ten years).
const MAX_SESSIONS: usize = 2_520;

pub fn run(tape_dir: &Path, args: &GenerateArgs) -> anyhow::Result<()> {
    let products = if args.underlyings.is_empty() {
        synth::default_universe()
    } else {
        synth::select(&args.underlyings)?
    };
    let dates = match (args.from, args.to) {
        (Some(from), Some(to)) => {
            if from > to {
                bail!("--from {from} is after --to {to}");
            }
            let dates = synth::sessions_between(from, to);
            if dates.is_empty() {
                bail!(
                    "no trading sessions from {from} to {to} (weekends and holidays have none; \
                     the calendar covers 2000 to 2099)"
                );
            }
            dates
        }
        _ => {
            let count = args.sessions.unwrap_or(DEFAULT_DEMO_SESSIONS);
            if count == 0 {
                bail!("--sessions must be at least 1");
            }
            before_today(count)?
        }
    };
    if dates.len() > MAX_SESSIONS {
        bail!(
            "{} sessions asked for; at most {MAX_SESSIONS} at a time",
            dates.len()
        );
    }
    generate_market(tape_dir, &products, &dates, args.seed, args.threads)?;
    Ok(())
}

/// The `count` most recent sessions before today (New York).
pub fn before_today(count: usize) -> anyhow::Result<Vec<Date>> {
    let today = model::calendar::new_york_date(crate::commands::now());
    let dates = synth::sessions_before(today, count.min(MAX_SESSIONS));
    if dates.is_empty() {
        bail!("the exchange calendar has no sessions before {today}");
    }
    Ok(dates)
}

/// Generates `products` on `dates` with a progress bar, leaving sessions that hold imported data
/// as they are, and prints what it did.
pub fn generate_market(
    tape_dir: &Path,
    products: &[Product],
    dates: &[Date],
    seed: u64,
    threads: Option<usize>,
) -> anyhow::Result<synth::Report> {
    let tape = Tape::new(tape_dir);
    let keep = sessions_with_imported_data(&tape, products, dates)?;
    let mut config = synth::Config::new(tape_dir, seed);
    config.threads = threads.unwrap_or(0);
    config.keep = keep.clone();
    let names: Vec<&str> = products.iter().map(|p| p.symbol).collect();
    let progress = Progress::new(
        &format!(
            "Generating {} of {}",
            plural(dates.len(), "session"),
            names.join(", ")
        ),
        0,
        "sessions",
    );
    let started = Instant::now();
    let report = synth::generate(&config, products, dates, &|done, total| {
        progress.update(done as u64, total as u64);
    })
    .with_context(|| format!("generating the market into {}", tape_dir.display()))?;
    progress.finish();
    let bytes: u64 = report
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "Generated {} of {} (seed {seed}) in {:.1} s: {} files, {} contracts, {} quotes, {} trades, {} in {}",
        plural(dates.len(), "session"),
        names.join(", "),
        started.elapsed().as_secs_f64(),
        report.files.len(),
        thousands(report.contracts as u64),
        thousands(report.quotes),
        thousands(report.trades),
        megabytes(bytes),
        tape_dir.display()
    );
    if !keep.is_empty() {
        let kept: Vec<String> = keep.iter().map(|(u, d)| format!("{u} {d}")).collect();
        println!(
            "Left as they were (they hold imported data): {}",
            kept.join(", ")
        );
    }
    Ok(report)
}

/// Sessions among those to generate whose files hold data from anything but the generator.
fn sessions_with_imported_data(
    tape: &Tape,
    products: &[Product],
    dates: &[Date],
) -> anyhow::Result<BTreeSet<(String, Date)>> {
    let mut keep = BTreeSet::new();
    for product in products {
        for date in dates {
            let path = tape.session_path(product.symbol, *date);
            if !path.exists() {
                continue;
            }
            let session = SessionFile::open(&path)?;
            if session.sources().iter().any(|s| !synth::is_synthetic(s)) {
                keep.insert((product.symbol.to_string(), *date));
            }
        }
    }
    Ok(keep)
}

pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// 1234567 as "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(381_252_420), "381,252,420");
        assert_eq!(plural(1, "session"), "1 session");
        assert_eq!(plural(20, "session"), "20 sessions");
        assert_eq!(megabytes(757_412_345), "757.4 MB");
    }
}
