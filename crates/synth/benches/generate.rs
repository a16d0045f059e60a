//! Generation speed of the synthetic market.
//!
//! Run: `cargo bench -p synth --bench generate [-- SESSIONS]`
//!
//! Generates the default universe for the given number of sessions (default 20, the demo market)
//! on every core and reports the wall time, the tape size, and the time to copy the written
//! files as a same-run reference for the machine's speed.

use std::time::Instant;

fn main() {
    let sessions: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let tape = dir.path().join("tape");
    let config = synth::Config::new(&tape, 42);
    let products = synth::default_universe();
    let dates = synth::sessions_before(jiff::civil::date(2026, 11, 20), sessions);
    let started = Instant::now();
    let report = synth::generate(&config, &products, &dates, &|_, _| {}).unwrap();
    let elapsed = started.elapsed();
    let bytes: u64 = report
        .files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let copy_started = Instant::now();
    let copy = dir.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    for (i, file) in report.files.iter().enumerate() {
        std::fs::copy(file, copy.join(i.to_string())).unwrap();
    }
    let copy_elapsed = copy_started.elapsed();
    println!(
        "generate: {} sessions x {} products on {} threads: {:.2} s",
        sessions,
        products.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        elapsed.as_secs_f64()
    );
    println!(
        "  {} files, {:.1} MB, {} contracts, {} quotes, {} trades",
        report.files.len(),
        bytes as f64 / 1e6,
        report.contracts,
        report.quotes,
        report.trades
    );
    println!(
        "  {:.2} M quotes+trades per second of generation",
        (report.quotes + report.trades) as f64 / elapsed.as_secs_f64() / 1e6
    );
    println!(
        "reference: copying the written files: {:.3} s",
        copy_elapsed.as_secs_f64()
    );
}
