//! A synthetic U.S. options and stocks market: seeded, deterministic, and realistic enough to
//! trade against.
//!
//! - Prices: a daily model with mean-reverting stochastic volatility, the leverage effect, jumps
//!   and a common market factor, bridged between yearly anchor levels so every year from 2020 to
//!   2027 trades near its real level ([`daily`]), and a second-by-second intraday path with the
//!   U-shaped time-of-day pattern of variance ([`intraday`]).
//! - Options: an SSVI implied volatility surface with an index put skew and a term structure
//!   from expected variance ([`surface`]); SPX with SPXW dailies and weeklies and AM-settled
//!   monthlies, equities and ETFs with weeklies and monthlies, on real strike increments
//!   ([`listings`]); quotes around Black-76 values (never below exercise value for American
//!   equity options) on each root's tick grid, re-priced as the underlying moves, wider away from
//!   the money and at the open, with sizes and venues; trades with realistic arrival rates, sizes,
//!   venues and conditions; open interest ([`market`], [`session`]).
//! - VIX computed from the SPX surface with Cboe's method ([`vix`]).
//!
//! The same seed and dates give byte-identical tape files; each session depends only on the seed
//! and its own date.

pub mod daily;
pub mod intraday;
pub mod listings;
pub mod market;
pub mod math;
pub mod rng;
pub mod session;
pub mod surface;
pub mod universe;
pub mod vix;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::civil::Date;
use model::calendar;

pub use session::SessionStats;
pub use universe::{Product, Publication, default_symbols, default_universe};

/// What to generate and how.
#[derive(Clone, Debug)]
pub struct Config {
    /// The tape folder to write into.
    pub tape: PathBuf,
    pub seed: u64,
    /// Risk-free rate, continuously compounded.
    pub rate: f64,
    /// Re-quote every contract every second even when nothing changed (benchmarks).
    pub quote_every_second: bool,
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    /// Sessions (underlying, date) not to write, e.g. because they hold imported data.
    pub keep: BTreeSet<(String, Date)>,
}

impl Config {
    pub fn new(tape: impl Into<PathBuf>, seed: u64) -> Config {
        Config {
            tape: tape.into(),
            seed,
            rate: 0.04,
            quote_every_second: false,
            threads: 0,
            keep: BTreeSet::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error(transparent)]
    Tape(#[from] tape::TapeError),
    #[error("{0} is not a trading day")]
    NotATradingDay(Date),
    #[error("{0} cannot be generated on its own")]
    Unsupported(&'static str),
    #[error("unknown underlying {0:?}; the synthetic market has: {1}")]
    UnknownUnderlying(String, String),
    #[error("VIX is computed from the SPX option surface: generate it together with SPX")]
    VixNeedsSpx,
}

/// The source label of generated sessions: the generator and its seed.
pub fn source_label(seed: u64) -> String {
    format!("synthetic seed={seed}")
}

/// Whether a session's source label says it was generated (by any seed).
pub fn is_synthetic(source: &str) -> bool {
    source.starts_with("synthetic seed=")
}

/// The `count` most recent trading sessions strictly before `before`, oldest first.
pub fn sessions_before(before: Date, count: usize) -> Vec<Date> {
    let mut dates = Vec::with_capacity(count);
    let mut cursor = before;
    while dates.len() < count {
        match calendar::previous_session(cursor) {
            Some(session) => {
                dates.push(session.date);
                cursor = session.date;
            }
            None => break,
        }
    }
    dates.reverse();
    dates
}

/// Trading sessions from `from` to `to`, inclusive.
pub fn sessions_between(from: Date, to: Date) -> Vec<Date> {
    calendar::sessions(from, to).map(|s| s.date).collect()
}

/// What a generation run produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub sessions: usize,
    pub files: Vec<PathBuf>,
    pub contracts: usize,
    pub quotes: u64,
    pub trades: u64,
}

/// The products for a list of symbols, checked against the universe.
pub fn select(symbols: &[String]) -> Result<Vec<Product>, SynthError> {
    let universe = default_universe();
    let known = universe
        .iter()
        .map(|p| p.symbol)
        .collect::<Vec<_>>()
        .join(", ");
    let mut chosen = Vec::new();
    for symbol in symbols {
        let upper = symbol.to_ascii_uppercase();
        let product = universe
            .iter()
            .find(|p| p.symbol == upper)
            .ok_or_else(|| SynthError::UnknownUnderlying(symbol.clone(), known.clone()))?;
        if !chosen.iter().any(|p: &Product| p.symbol == product.symbol) {
            chosen.push(product.clone());
        }
    }
    if chosen
        .iter()
        .any(|p| p.publication == Publication::VolatilityIndex)
        && !chosen.iter().any(|p| p.symbol == "SPX")
    {
        return Err(SynthError::VixNeedsSpx);
    }
    Ok(chosen)
}

/// Generates `products` on `dates` into the tape, in parallel. `progress(done, total)` is called
/// after each product-session.
pub fn generate(
    config: &Config,
    products: &[Product],
    dates: &[Date],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, SynthError> {
    for date in dates {
        if !calendar::is_trading_day(*date) {
            return Err(SynthError::NotATradingDay(*date));
        }
    }
    let vix = products
        .iter()
        .find(|p| p.publication == Publication::VolatilityIndex);
    let (Some(first), Some(last)) = (dates.iter().min(), dates.iter().max()) else {
        return Ok(Report::default());
    };
    let mut jobs = Vec::new();
    for product in products
        .iter()
        .filter(|p| p.publication != Publication::VolatilityIndex)
    {
        let days = daily::days(config.seed, product, *first, *last);
        for date in dates {
            if config.keep.contains(&(product.symbol.to_string(), *date)) {
                continue;
            }
            let carries_vix = product.symbol == "SPX"
                && vix.is_some_and(|v| !config.keep.contains(&(v.symbol.to_string(), *date)));
            jobs.push((product, days[date], carries_vix.then_some(vix).flatten()));
        }
    }
    let threads = match config.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let outcome: Mutex<(Report, Option<SynthError>)> = Mutex::new((Report::default(), None));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= jobs.len() || outcome.lock().map(|o| o.1.is_some()).unwrap_or(true) {
                        break;
                    }
                    let (product, day, vix) = jobs[i];
                    let result = session::generate(config, product, vix, &day);
                    let mut guard = outcome.lock().unwrap_or_else(|p| p.into_inner());
                    match result {
                        Ok(stats) => {
                            guard.0.files.extend(stats.files);
                            guard.0.contracts += stats.contracts;
                            guard.0.quotes += stats.quotes;
                            guard.0.trades += stats.trades;
                        }
                        Err(error) => {
                            guard.1.get_or_insert(error);
                        }
                    }
                    drop(guard);
                    progress(done.fetch_add(1, Ordering::SeqCst) + 1, jobs.len());
                }
            });
        }
    });
    let (mut report, error) = outcome.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(error) = error {
        return Err(error);
    }
    report.sessions = dates.len();
    report.files.sort();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_session_comes_out_byte_identical_whatever_else_is_generated_with_it() {
        let products = select(&["SPX", "VIX", "AAPL"].map(String::from)).unwrap();
        let day = date(2025, 11, 28);
        let (wide, alone) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let with_more = Config {
            threads: 2,
            ..Config::new(wide.path(), 42)
        };
        generate(
            &with_more,
            &products,
            &[date(2025, 11, 26), day],
            &|_, _| {},
        )
        .unwrap();
        let single = Config {
            threads: 1,
            ..Config::new(alone.path(), 42)
        };
        let report = generate(&single, &products, &[day], &|_, _| {}).unwrap();
        assert_eq!(report.files.len(), 3);
        for file in &report.files {
            let relative = file.strip_prefix(alone.path()).unwrap();
            let other = std::fs::read(wide.path().join(relative)).unwrap();
            assert!(
                std::fs::read(file).unwrap() == other,
                "{relative:?} differs"
            );
        }
    }
}
