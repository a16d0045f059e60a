//! The tape against the session targets: size on disk, size against the vendor's gzip CSV,
//! chain as of an instant (cold and warm), a fill-time search over a whole session.
//!
//! Run: `cargo bench -p synth --bench tape_session [-- CONTRACTS]` (default 400 contracts).
//!
//! Generates one SPX session with every contract re-quoting every second, copies the contracts
//! of the nearest expirations (by expiration, then strike) with their trades and the index values
//! into a new session file, writes the same quotes and trades as gzip CSV in the Polygon/Massive
//! flat-file layout, and times the queries. Every figure is printed next to a reference measured
//! in the same run, so it can be scaled to another machine. Nothing is asserted: it prints.

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use model::Timestamp;
use model::venues::{condition, venue};
use tape::{IndexValue, Owner, Quote, QuoteBounds, SessionBuilder, SessionFile, Trade};

const DEFAULT_CONTRACTS: usize = 400;
const NANOS: i64 = 1_000_000_000;
/// Instants spread over the session for chain and quote look-ups.
const INSTANTS: usize = 40;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let wanted: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(DEFAULT_CONTRACTS);
    let command = if wanted == DEFAULT_CONTRACTS {
        "cargo bench -p synth --bench tape_session".to_string()
    } else {
        format!("cargo bench -p synth --bench tape_session -- {wanted}")
    };
    let date = jiff::civil::date(2025, 1, 15);
    let session = model::calendar::session(date).ok_or("2025-01-15 is a session")?;
    let (open, close) = (session.open, session.close);
    let dir = tempfile::tempdir()?;

    // The full generated session.
    let generated_root = dir.path().join("generated");
    let config = synth::Config {
        quote_every_second: true,
        ..synth::Config::new(&generated_root, 42)
    };
    let started = Instant::now();
    let report = synth::generate(
        &config,
        &synth::select(&["SPX".into()])?,
        &[date],
        &|_, _| {},
    )?;
    let generation = started.elapsed();
    let generated_path = report
        .files
        .iter()
        .find(|f| f.parent().and_then(|p| p.file_name()) == Some("SPX".as_ref()))
        .ok_or("no SPX file generated")?;
    let generated = SessionFile::open(generated_path)?;
    eprintln!(
        "generated SPX {date}: {} contracts, {} quotes, {} trades, {:.1} MB in {:.1} s",
        report.contracts,
        report.quotes,
        report.trades,
        generated.file_len() as f64 / 1e6,
        generation.as_secs_f64()
    );

    // The benchmark session: the nearest contracts, copied.
    let mut order: Vec<usize> = (0..generated.contracts().len()).collect();
    order.sort_by_key(|&i| {
        let s = generated.contracts()[i].symbol;
        (s.expiration, s.strike, s.right, s.root)
    });
    order.truncate(wanted);
    let n = order.len();
    let bench_root = dir.path().join("bench");
    let started = Instant::now();
    let mut builder = SessionBuilder::create(&bench_root, "SPX", date)?;
    builder.source(
        generated
            .sources()
            .first()
            .map_or("synthetic", |s| s.as_str()),
    );
    // The underlying first, as the generator writes it, so option quotes are predicted from it.
    let index_values = generated.whole_series::<IndexValue>(Owner::Underlying)?;
    for v in &index_values {
        builder.value(*v)?;
    }
    for &i in &order {
        let from = Owner::Contract(i as u32);
        let entry = &generated.contracts()[i];
        let to = builder.contract(entry.symbol)?;
        if let Some(oi) = entry.open_interest {
            builder.set_open_interest(to, oi)?;
        }
        for q in generated.whole_series::<Quote>(from)? {
            builder.quote(to, q)?;
        }
        for t in generated.whole_series::<Trade>(from)? {
            builder.trade(to, t)?;
        }
    }
    let bench_path = builder.finish()?;
    let copying = started.elapsed();
    // The same contracts' quotes with the index values they are predicted from, less the index
    // values alone: the quotes' share of the file.
    let label = generated
        .sources()
        .first()
        .map_or("synthetic", |s| s.as_str())
        .to_string();
    let sized_file = |name: &str, with_quotes: bool| -> Result<u64, Error> {
        let mut builder = SessionBuilder::create(&dir.path().join(name), "SPX", date)?;
        builder.source(&label);
        for v in &index_values {
            builder.value(*v)?;
        }
        if with_quotes {
            for &i in &order {
                let to = builder.contract(generated.contracts()[i].symbol)?;
                for q in generated.whole_series::<Quote>(Owner::Contract(i as u32))? {
                    builder.quote(to, q)?;
                }
            }
        }
        Ok(std::fs::metadata(builder.finish()?)?.len())
    };
    let quotes_only_len = sized_file("quotes", true)? - sized_file("values", false)?;
    let file = SessionFile::open(&bench_path)?;
    let symbols: Vec<_> = file.contracts().iter().map(|c| c.symbol).collect();
    let quotes: Vec<Vec<Quote>> = (0..n)
        .map(|i| file.whole_series::<Quote>(Owner::Contract(i as u32)))
        .collect::<Result<_, _>>()?;
    let trades: Vec<Vec<Trade>> = (0..n)
        .map(|i| file.whole_series::<Trade>(Owner::Contract(i as u32)))
        .collect::<Result<_, _>>()?;
    // The copy reads back as written.
    let mut differing = 0;
    for (k, &i) in order.iter().enumerate() {
        let from = Owner::Contract(i as u32);
        if symbols[k] != generated.contracts()[i].symbol
            || quotes[k] != generated.whole_series::<Quote>(from)?
            || trades[k] != generated.whole_series::<Trade>(from)?
        {
            differing += 1;
        }
    }
    if differing > 0 {
        println!("WARNING: {differing} contracts read back differently from what was written");
    }
    drop(generated);
    let values = file.whole_series::<IndexValue>(Owner::Underlying)?;
    let quote_count: usize = quotes.iter().map(Vec::len).sum();
    let trade_count: usize = trades.iter().map(Vec::len).sum();
    let file_len = file.file_len();
    eprintln!(
        "benchmark session: {n} contracts ({} to {}), copied in {:.1} s",
        symbols.first().map(|s| s.polygon()).unwrap_or_default(),
        symbols.last().map(|s| s.polygon()).unwrap_or_default(),
        copying.as_secs_f64()
    );

    // The same data as the vendor's gzip CSV.
    eprintln!("writing the gzip CSV...");
    let csv = polygon_csv(&symbols, &quotes, &trades)?;
    let gzip_total = csv.quotes_gz.len() + csv.trades_gz.len();
    let gunzip_quotes = timed(3, || {
        let mut decoder = GzDecoder::new(csv.quotes_gz.as_slice());
        black_box(std::io::copy(&mut decoder, &mut std::io::sink()).expect("gunzip"));
    });

    // References for the machine.
    let read_file = timed(20, || {
        black_box(std::fs::read(&bench_path).expect("read").len());
    });
    let source = std::fs::read(&bench_path)?;
    let mut target = vec![0u8; source.len()];
    let copy_file_bytes = timed(20, || {
        target.copy_from_slice(black_box(&source));
        black_box(&target);
    });
    let open_only = timed(100, || {
        black_box(SessionFile::open(&bench_path).expect("open"));
    });

    // Instants spread over the session, at whole milliseconds inside a second.
    let span = close.as_nanos() - open.as_nanos();
    let instants: Vec<Timestamp> = (0..INSTANTS)
        .map(|k| {
            let at = span / INSTANTS as i64 * k as i64 + span / (2 * INSTANTS as i64);
            Timestamp::from_nanos(open.as_nanos() + at + (k as i64 * 37 % 1000) * 1_000_000)
        })
        .collect();

    // Chain as of an instant, cold: a fresh open and empty caches each time.
    let mut chain_len = 0;
    let mut cold_chain = Vec::new();
    for _ in 0..3 {
        for t in &instants {
            let started = Instant::now();
            let fresh = SessionFile::open(&bench_path)?;
            let chain = fresh.chain_at(*t, |_| true)?;
            cold_chain.push(started.elapsed());
            chain_len = chain_len.max(chain.len());
            black_box(chain);
        }
    }

    // Chain as of an instant, warm: the chunks already decoded.
    let warm_file = SessionFile::open(&bench_path)?;
    let mut warm_chain = Vec::new();
    let mut reference_chain = Vec::new();
    for t in &instants {
        black_box(warm_file.chain_at(*t, |_| true)?);
        for rep in 0..50 {
            let at = Timestamp::from_nanos(t.as_nanos() + (rep % 2) * 1_000_000);
            let started = Instant::now();
            let chain = warm_file.chain_at(at, |_| true)?;
            warm_chain.push(started.elapsed());
            black_box(chain);
            let started = Instant::now();
            let chain = chain_in_memory(&quotes, at);
            reference_chain.push(started.elapsed());
            black_box(chain);
        }
    }
    let mismatches = instants
        .iter()
        .filter(|t| {
            let tape: Vec<Quote> = warm_file
                .chain_at(**t, |_| true)
                .expect("chain")
                .into_iter()
                .map(|(_, q)| q)
                .collect();
            let memory: Vec<Quote> = chain_in_memory(&quotes, **t)
                .into_iter()
                .map(|(_, q)| q)
                .collect();
            tape != memory
        })
        .count();
    if mismatches > 0 {
        println!("WARNING: chain_at differs from the in-memory chain at {mismatches} instants");
    }

    // One contract's quote as of an instant, warm, in batches of 1000 look-ups.
    let atm = condor(&symbols, &values, open).ok_or("no condor around the money")?;
    let one = Owner::Contract(atm.short_call as u32);
    let one_quotes = &quotes[atm.short_call];
    let mut quote_at = Vec::new();
    let mut reference_quote_at = Vec::new();
    for t in &instants {
        black_box(warm_file.quote_at(one, *t)?);
        for _ in 0..10 {
            let started = Instant::now();
            for k in 0..1000 {
                let at = Timestamp::from_nanos(t.as_nanos() + k * 1_000_000);
                black_box(warm_file.quote_at(one, at)?);
            }
            quote_at.push(started.elapsed() / 1000);
            let started = Instant::now();
            for k in 0..1000 {
                let at = Timestamp::from_nanos(t.as_nanos() + k * 1_000_000);
                black_box(as_of(one_quotes, at));
            }
            reference_quote_at.push(started.elapsed() / 1000);
        }
    }

    // Fill-time search for an iron condor over the whole session.
    let legs = [
        Owner::Contract(atm.long_put as u32),
        Owner::Contract(atm.short_put as u32),
        Owner::Contract(atm.short_call as u32),
        Owner::Contract(atm.long_call as u32),
    ];
    let leg_quotes: Vec<&[Quote]> = legs
        .iter()
        .map(|o| match o {
            Owner::Contract(i) => quotes[*i as usize].as_slice(),
            Owner::Underlying => &[],
        })
        .collect();
    let events = merged_credits(&leg_quotes, open, close);
    let never = |_: Timestamp, q: &[Option<Quote>]| credit(q).is_some_and(|c| c >= 10_000 * NANOS);
    let mid = Timestamp::from_nanos(open.as_nanos() + span / 2);
    let (label, threshold, expected) = midday_condition(&events, mid);
    let midday = move |_: Timestamp, q: &[Option<Quote>]| match (label, credit(q)) {
        ("above", Some(c)) => c > threshold,
        ("below", Some(c)) => c < threshold,
        _ => false,
    };
    let mut checked = 0usize;
    let never_found =
        SessionFile::open(&bench_path)?.first_instant(&legs, open, close, |t, q| {
            checked += 1;
            never(t, q)
        })?;
    let midday_found = SessionFile::open(&bench_path)?
        .first_instant(&legs, open, close, midday)?
        .map(|(t, _)| t);
    if never_found.is_some() || checked != events.len() || midday_found != expected {
        println!(
            "WARNING: first_instant disagrees with the in-memory search: never -> {:?} after {} \
             checks (expected none after {}); midday -> {:?} (expected {:?})",
            never_found.map(|(t, _)| t),
            checked,
            events.len(),
            midday_found,
            expected
        );
    }
    let search_cold = |condition: &dyn Fn(Timestamp, &[Option<Quote>]) -> bool| {
        // Timed from the open to the answer; dropping the file is not included.
        (0..20)
            .map(|_| {
                let started = Instant::now();
                let fresh = SessionFile::open(&bench_path).expect("open");
                let found = fresh
                    .first_instant(&legs, open, close, condition)
                    .expect("search");
                let elapsed = started.elapsed();
                black_box(found);
                elapsed
            })
            .collect::<Vec<_>>()
    };
    let search_warm = |condition: &dyn Fn(Timestamp, &[Option<Quote>]) -> bool| {
        let file = SessionFile::open(&bench_path).expect("open");
        black_box(
            file.first_instant(&legs, open, close, condition)
                .expect("search"),
        );
        timed(50, || {
            black_box(
                file.first_instant(&legs, open, close, condition)
                    .expect("search"),
            );
        })
    };
    // The same searches told what the credit can be in a window from the chunk index's bounds,
    // so windows where the condition cannot hold are never decoded.
    let never_possible =
        |b: &[Option<QuoteBounds>]| credit_range(b).is_none_or(|(_, high)| high >= 10_000 * NANOS);
    let midday_possible = move |b: &[Option<QuoteBounds>]| match (label, credit_range(b)) {
        ("above", Some((_, high))) => high > threshold,
        ("below", Some((low, _))) => low < threshold,
        _ => true,
    };
    type Possible<'a> = &'a dyn Fn(&[Option<QuoteBounds>]) -> bool;
    type Condition<'a> = &'a dyn Fn(Timestamp, &[Option<Quote>]) -> bool;
    let bounded_cold = |possible: Possible, condition: Condition| {
        (0..20)
            .map(|_| {
                let started = Instant::now();
                let fresh = SessionFile::open(&bench_path).expect("open");
                let found = fresh
                    .first_instant_within_bounds(&legs, open, close, possible, condition)
                    .expect("search");
                let elapsed = started.elapsed();
                black_box(found);
                elapsed
            })
            .collect::<Vec<_>>()
    };
    let bounded_found = |possible: Possible, condition: Condition| {
        SessionFile::open(&bench_path)
            .expect("open")
            .first_instant_within_bounds(&legs, open, close, possible, condition)
            .expect("search")
            .map(|(t, _)| t)
    };
    if bounded_found(&never_possible, &never).is_some()
        || bounded_found(&midday_possible, &midday) != expected
    {
        println!("WARNING: first_instant_within_bounds disagrees with the in-memory search");
    }
    let never_bounded_cold = bounded_cold(&never_possible, &never);
    let midday_bounded_cold = bounded_cold(&midday_possible, &midday);
    let never_cold = search_cold(&never);
    let never_warm = search_warm(&never);
    let midday_cold = search_cold(&midday);
    let midday_warm = search_warm(&midday);
    let never_memory = timed(50, || {
        black_box(search_in_memory(&leg_quotes, open, close, never));
    });
    let midday_memory = timed(50, || {
        black_box(search_in_memory(&leg_quotes, open, close, midday));
    });
    let leg_records: usize = leg_quotes.iter().map(|q| q.len()).sum();

    // Decode throughput: every quote of every contract, from a fresh open.
    let mut decode = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let fresh = SessionFile::open(&bench_path)?;
        let mut total = 0;
        for i in 0..n {
            total += fresh
                .whole_series::<Quote>(Owner::Contract(i as u32))?
                .len();
        }
        decode.push(started.elapsed());
        black_box(total);
    }
    let copy_decoded = timed(5, || {
        black_box(quotes.to_vec());
    });

    // The report.
    let per_quote = |d: Duration| d.as_nanos() as f64 / quote_count as f64;
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    // The size and chain targets are for 400 contracts.
    let at_target_size = n == DEFAULT_CONTRACTS;
    let sized = |v: &'static str| {
        if at_target_size {
            v
        } else {
            "n/a: not 400 contracts"
        }
    };
    let timing_verdict = |(median, p90): (Duration, Duration), target: Duration| {
        if p90 <= target {
            "met (p90)"
        } else if median <= target {
            "median only"
        } else {
            "NOT met"
        }
    };
    let (cold_median, cold_p90) = median_p90(&mut cold_chain);
    let (warm_median, warm_p90) = median_p90(&mut warm_chain);
    let never_cold_stats = median_p90(&mut never_cold.clone());
    let never_warm_stats = median_p90(&mut never_warm.clone());
    let ratio = file_len as f64 / gzip_total as f64;
    let (gunzip_median, _) = median_p90(&mut gunzip_quotes.clone());
    let (decode_median, decode_p90) = median_p90(&mut decode.clone());

    println!("## Tape: one SPX session");
    println!();
    println!("Command: `{command}`");
    println!();
    println!(
        "Machine: {cores} cores ({cpu}); release profile. Data: synthetic SPX {date} (seed 42), \
         every contract re-quoting every second (unchanged quotes included); the {n} contracts \
         of the nearest expirations ({} to {}), their trades and the index values each second.",
        symbols.first().map(|s| s.polygon()).unwrap_or_default(),
        symbols.last().map(|s| s.polygon()).unwrap_or_default(),
    );
    println!();
    println!("| Size | Value | Reference (same run) | Target | |");
    println!("|---|---|---|---|---|");
    println!(
        "| tape file | {file_len} B = {:.2} MB | — | ≤ 10 MB | {} |",
        file_len as f64 / 1e6,
        sized(verdict(file_len as f64 <= 10e6))
    );
    println!(
        "| of which quotes | {quotes_only_len} B = {:.2} MB ({:.2} bits per quote; a file of \
         the same contracts' quotes and the index values less one of the index values alone) | gzip CSV of the quotes {:.1} MB | | |",
        quotes_only_len as f64 / 1e6,
        quotes_only_len as f64 * 8.0 / quote_count as f64,
        csv.quotes_gz.len() as f64 / 1e6
    );
    println!(
        "| records | {quote_count} quotes + {trade_count} trades + {} index values | — | | |",
        values.len()
    );
    println!(
        "| per quote | {:.2} bits (whole file / quotes) | {:.1} bits per quote as gzip CSV \
         (quotes file alone: {:.1}) | | |",
        file_len as f64 * 8.0 / quote_count as f64,
        gzip_total as f64 * 8.0 / quote_count as f64,
        csv.quotes_gz.len() as f64 * 8.0 / quote_count as f64
    );
    println!(
        "| per contract | {:.0} records ({:.0} quotes, {:.0} trades), {:.0} B | — | | |",
        (quote_count + trade_count) as f64 / n as f64,
        quote_count as f64 / n as f64,
        trade_count as f64 / n as f64,
        file_len as f64 / n as f64
    );
    println!(
        "| tape / gzip CSV | {ratio:.3} | gzip CSV (level 6): quotes {} B + trades {} B = {:.1} MB, \
         from {:.1} MB of CSV | ≤ 0.2 | {} |",
        csv.quotes_gz.len(),
        csv.trades_gz.len(),
        gzip_total as f64 / 1e6,
        (csv.quotes_raw + csv.trades_raw) as f64 / 1e6,
        sized(verdict(ratio <= 0.2))
    );
    println!();
    println!("| Query | Median | p90 | Runs | Reference (same run) | Target | |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| chain as of an instant, cold ({n} contracts, open included) | {} | {} | {} | \
         open alone {}; reading the file ({:.1} MB) {}; memcpy of its bytes {} | ≤ 5 ms | {} |",
        show(cold_median),
        show(cold_p90),
        cold_chain.len(),
        show(median_p90(&mut open_only.clone()).0),
        file_len as f64 / 1e6,
        show(median_p90(&mut read_file.clone()).0),
        show(median_p90(&mut copy_file_bytes.clone()).0),
        sized(timing_verdict(
            (cold_median, cold_p90),
            Duration::from_millis(5)
        ))
    );
    println!(
        "| chain as of an instant, warm ({chain_len} quotes) | {} | {} | {} | \
         the same as-of look-ups over in-memory arrays {} | ≤ 100 µs | {} |",
        show(warm_median),
        show(warm_p90),
        warm_chain.len(),
        show(median_p90(&mut reference_chain).0),
        sized(timing_verdict(
            (warm_median, warm_p90),
            Duration::from_micros(100)
        ))
    );
    println!(
        "| one contract's quote as of an instant, warm (per look-up, timed in batches of 1000) \
         | {} | {} | {} × 1000 | binary search over its in-memory array {} | | |",
        show(median_p90(&mut quote_at).0),
        show(median_p90(&mut quote_at.clone()).1),
        quote_at.len(),
        show(median_p90(&mut reference_quote_at).0),
    );
    let search_line = |what: &str,
                       stats: (Duration, Duration),
                       runs: usize,
                       memory: &[Duration],
                       target: bool| {
        println!(
            "| {what} | {} | {} | {runs} | the same merge over in-memory arrays {} | {} | {} |",
            show(stats.0),
            show(stats.1),
            show(median_p90(&mut memory.to_vec()).0),
            if target { "≤ 1 ms" } else { "" },
            if target {
                timing_verdict(stats, Duration::from_millis(1))
            } else {
                ""
            }
        );
    };
    search_line(
        &format!(
            "fill-time search, 4-leg condor, never holds ({} events, {leg_records} quotes), cold",
            events.len()
        ),
        never_cold_stats,
        never_cold.len(),
        &never_memory,
        true,
    );
    search_line(
        "fill-time search, never holds, warm",
        never_warm_stats,
        never_warm.len(),
        &never_memory,
        true,
    );
    search_line(
        "fill-time search within the chunk index's bounds, never holds, cold",
        median_p90(&mut never_bounded_cold.clone()),
        never_bounded_cold.len(),
        &never_memory,
        true,
    );
    let hit = expected.map_or("none".into(), new_york);
    search_line(
        &format!("fill-time search, holds at {hit}, cold"),
        median_p90(&mut midday_cold.clone()),
        midday_cold.len(),
        &midday_memory,
        false,
    );
    search_line(
        &format!("fill-time search, holds at {hit}, warm"),
        median_p90(&mut midday_warm.clone()),
        midday_warm.len(),
        &midday_memory,
        false,
    );
    search_line(
        &format!("fill-time search within the chunk index's bounds, holds at {hit}, cold"),
        median_p90(&mut midday_bounded_cold.clone()),
        midday_bounded_cold.len(),
        &midday_memory,
        false,
    );
    println!(
        "| decode every quote (range per contract, fresh open) | {:.1} ns/quote ({}) | \
         {:.1} ns/quote | {} | gunzip of the quotes CSV {:.1} ns/quote ({}); copying the decoded \
         quotes ({:.0} MB) {:.1} ns/quote | | |",
        per_quote(decode_median),
        show(decode_median),
        per_quote(decode_p90),
        decode.len(),
        per_quote(gunzip_median),
        show(gunzip_median),
        (quote_count * std::mem::size_of::<Quote>()) as f64 / 1e6,
        per_quote(median_p90(&mut copy_decoded.clone()).0),
    );
    println!();
    println!(
        "Cold means a freshly opened file (new memory map, empty chunk and table caches); the \
         OS page cache cannot be dropped here, so the file's pages are in memory. Warm chain: \
         the same open file at t and t + 1 ms after a look-up at t. Condor ({}): long {} / short \
         {} puts, short {} / long {} calls; natural credit = short bids - long asks; \"never\" \
         asks for a credit of $10,000, \"holds\" for a credit {label} {} (first reached after \
         mid-session). Gzip CSV: Polygon/Massive flat-file columns, rows by ticker then time, \
         quote sequence numbers ranked across all contracts in time order, trade \
         participant_timestamp = sip_timestamp, flate2 (miniz_oxide) at the default level 6.",
        atm.expiration,
        strike_text(&symbols[atm.long_put]),
        strike_text(&symbols[atm.short_put]),
        strike_text(&symbols[atm.short_call]),
        strike_text(&symbols[atm.long_call]),
        dollars(threshold),
    );
    eprintln!(
        "(gzip CSV written in {:.1} s; generation {:.1} s)",
        csv.compress.as_secs_f64(),
        generation.as_secs_f64()
    );
    Ok(())
}

/// Runs `f` `runs` times and returns each run's time.
fn timed(runs: usize, mut f: impl FnMut()) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect()
}

fn median_p90(samples: &mut [Duration]) -> (Duration, Duration) {
    if samples.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    samples.sort_unstable();
    let median = samples[samples.len() / 2];
    let p90 = samples[(samples.len() * 9).div_ceil(10) - 1];
    (median, p90)
}

fn show(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn new_york(t: Timestamp) -> String {
    t.to_jiff()
        .in_tz("America/New_York")
        .map(|z| z.strftime("%H:%M:%S%.3f ET").to_string())
        .unwrap_or_else(|_| t.to_rfc3339())
}

fn dollars(px: i64) -> String {
    let mut out = Vec::new();
    if px < 0 {
        out.push(b'-');
    }
    push_px(&mut out, px.unsigned_abs());
    format!("${}", String::from_utf8_lossy(&out))
}

fn strike_text(symbol: &model::symbol::OptionSymbol) -> String {
    symbol.strike.to_decimal().normalize().to_string()
}

/// The last quote at or before `t`.
fn as_of(quotes: &[Quote], t: Timestamp) -> Option<Quote> {
    let within = quotes.partition_point(|q| q.ts <= t);
    within.checked_sub(1).map(|i| quotes[i])
}

/// `chain_at` over decoded arrays: the reference for the warm chain.
fn chain_in_memory(quotes: &[Vec<Quote>], t: Timestamp) -> Vec<(Owner, Quote)> {
    let mut chain = Vec::new();
    for (i, series) in quotes.iter().enumerate() {
        if let Some(q) = as_of(series, t) {
            chain.push((Owner::Contract(i as u32), q));
        }
    }
    chain
}

/// Indexes of an iron condor's legs in the session's contracts.
struct Condor {
    expiration: jiff::civil::Date,
    long_put: usize,
    short_put: usize,
    short_call: usize,
    long_call: usize,
}

/// An iron condor on the nearest expiration around the index at the open: short strikes 25
/// points out, long strikes 50 points out (or the nearest listed).
fn condor(
    symbols: &[model::symbol::OptionSymbol],
    values: &[IndexValue],
    open: Timestamp,
) -> Option<Condor> {
    use model::symbol::Right;
    let spot = values
        .iter()
        .find(|v| v.ts >= open)
        .or(values.first())?
        .value;
    let spot = spot / (NANOS / 1000);
    let expiration = symbols.iter().map(|s| s.expiration).min()?;
    let nearest = |right: Right, target: i64| {
        symbols
            .iter()
            .enumerate()
            .filter(|(_, s)| s.expiration == expiration && s.right == right)
            .min_by_key(|(_, s)| (i64::from(s.strike.thousandths()) - target).abs())
            .map(|(i, _)| i)
    };
    Some(Condor {
        expiration,
        long_put: nearest(Right::Put, spot - 50_000)?,
        short_put: nearest(Right::Put, spot - 25_000)?,
        short_call: nearest(Right::Call, spot + 25_000)?,
        long_call: nearest(Right::Call, spot + 50_000)?,
    })
}

/// The condor's credit at natural prices (sell at the bid, buy at the ask) in nanodollars, when
/// every leg has the side it trades against: legs are long put, short put, short call, long call.
fn credit(legs: &[Option<Quote>]) -> Option<i64> {
    let (long_put, short_put, short_call, long_call) = (legs[0]?, legs[1]?, legs[2]?, legs[3]?);
    if !(short_put.has_bid() && short_call.has_bid() && long_put.has_ask() && long_call.has_ask()) {
        return None;
    }
    Some(short_put.bid + short_call.bid - long_put.ask - long_call.ask)
}

/// The lowest and highest natural credit the condor's quotes allow, from each leg's bounds.
fn credit_range(legs: &[Option<QuoteBounds>]) -> Option<(i64, i64)> {
    let (long_put, short_put, short_call, long_call) = (legs[0]?, legs[1]?, legs[2]?, legs[3]?);
    Some((
        short_put.bid_low + short_call.bid_low - long_put.ask_high - long_call.ask_high,
        short_put.bid_high + short_call.bid_high - long_put.ask_low - long_call.ask_low,
    ))
}

/// The legs' event times in `(after, until]` and the state after each, merged over decoded arrays
/// with `first_instant`'s semantics: the reference search.
fn search_in_memory(
    legs: &[&[Quote]],
    after: Timestamp,
    until: Timestamp,
    mut condition: impl FnMut(Timestamp, &[Option<Quote>]) -> bool,
) -> Option<Timestamp> {
    let mut state: Vec<Option<Quote>> = legs.iter().map(|q| as_of(q, after)).collect();
    let mut at: Vec<usize> = legs
        .iter()
        .map(|q| q.partition_point(|r| r.ts <= after))
        .collect();
    loop {
        let mut now: Option<Timestamp> = None;
        for (leg, q) in legs.iter().enumerate() {
            if let Some(r) = q.get(at[leg]) {
                now = Some(now.map_or(r.ts, |n| n.min(r.ts)));
            }
        }
        let now = now.filter(|t| *t <= until)?;
        for (leg, q) in legs.iter().enumerate() {
            while let Some(r) = q.get(at[leg]).filter(|r| r.ts == now) {
                state[leg] = Some(*r);
                at[leg] += 1;
            }
        }
        if condition(now, &state) {
            return Some(now);
        }
    }
}

/// Every event time of the legs and the condor's credit after it.
fn merged_credits(
    legs: &[&[Quote]],
    after: Timestamp,
    until: Timestamp,
) -> Vec<(Timestamp, Option<i64>)> {
    let mut events = Vec::new();
    search_in_memory(legs, after, until, |t, state| {
        events.push((t, credit(state)));
        false
    });
    events
}

/// A condition on the credit first met soon after `mid`: a credit above the highest or below the
/// lowest seen before `mid`, whichever comes first. Returns its direction, threshold and instant.
fn midday_condition(
    events: &[(Timestamp, Option<i64>)],
    mid: Timestamp,
) -> (&'static str, i64, Option<Timestamp>) {
    let morning: Vec<i64> = events
        .iter()
        .filter(|(t, _)| *t < mid)
        .filter_map(|(_, c)| *c)
        .collect();
    let high = morning.iter().copied().max().unwrap_or(i64::MAX);
    let low = morning.iter().copied().min().unwrap_or(i64::MIN);
    let first = |f: &dyn Fn(i64) -> bool| {
        events
            .iter()
            .find(|(_, c)| c.is_some_and(f))
            .map(|(t, _)| *t)
    };
    let above = first(&|c| c > high);
    let below = first(&|c| c < low);
    match (above, below) {
        (Some(a), Some(b)) if a <= b => ("above", high, Some(a)),
        (_, Some(b)) => ("below", low, Some(b)),
        (a, None) => ("above", high, a),
    }
}

/// The session as Polygon/Massive flat files.
struct Csv {
    quotes_gz: Vec<u8>,
    trades_gz: Vec<u8>,
    quotes_raw: usize,
    trades_raw: usize,
    compress: Duration,
}

/// Our venue code as a Polygon option exchange ID (300 + the OPRA participant letter).
fn polygon_venue(code: u16) -> u32 {
    match code {
        venue::NYSE_AMERICAN => 300,
        venue::BOX => 301,
        venue::CBOE => 302,
        46 => 303,
        venue::CBOE_EDGX => 304,
        venue::ISE_GEMINI => 307,
        venue::ISE => 308,
        venue::ISE_MERCURY => 309,
        venue::MIAX => 312,
        venue::NYSE_ARCA => 313,
        venue::OPRA => 314,
        venue::MIAX_PEARL => 315,
        venue::NASDAQ => 316,
        76 => 318,
        venue::NASDAQ_BX => 319,
        venue::MEMX => 320,
        venue::CBOE_C2 => 322,
        venue::PHLX => 323,
        venue::CBOE_BZX => 325,
        _ => 0,
    }
}

/// Our trade condition as a Polygon option condition ID. Polygon has no "regular" option
/// condition; regular electronic prints appear as 209 (automatic execution) in its files.
fn polygon_condition(code: u16) -> u32 {
    match code {
        condition::REGULAR | condition::AUTO_EXECUTION => 209,
        condition::CANCELLED => 201,
        condition::OUT_OF_SEQUENCE => 202,
        condition::OPEN_REPORT_LATE => 208,
        condition::INTERMARKET_SWEEP => 219,
        condition::SINGLE_LEG_AUCTION => 227,
        condition::SINGLE_LEG_CROSS => 229,
        condition::SINGLE_LEG_FLOOR => 231,
        condition::MULTI_LEG_ELECTRONIC => 232,
        condition::MULTI_LEG_AUCTION => 233,
        condition::MULTI_LEG_CROSS => 234,
        condition::MULTI_LEG_FLOOR => 235,
        condition::STOCK_OPTION_ELECTRONIC => 240,
        _ => 209,
    }
}

fn push_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Nanodollars as decimal dollars without trailing zeros: `2.2`, `0.05`, `3`.
fn push_px(out: &mut Vec<u8>, px: u64) {
    let scale = NANOS as u64;
    push_u64(out, px / scale);
    let mut fraction = px % scale;
    if fraction == 0 {
        return;
    }
    let mut places = 9;
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        places -= 1;
    }
    out.push(b'.');
    let mut digits = [b'0'; 9];
    for slot in digits[..places].iter_mut().rev() {
        *slot = b'0' + (fraction % 10) as u8;
        fraction /= 10;
    }
    out.extend_from_slice(&digits[..places]);
}

fn push_ts(out: &mut Vec<u8>, t: Timestamp) {
    push_u64(out, t.as_nanos() as u64);
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data)?;
    encoder.finish()
}

/// Writes quotes and trades as the vendor's gzip CSV files, rows sorted by ticker then time.
fn polygon_csv(
    symbols: &[model::symbol::OptionSymbol],
    quotes: &[Vec<Quote>],
    trades: &[Vec<Trade>],
) -> Result<Csv, Error> {
    let tickers: Vec<String> = symbols.iter().map(|s| s.polygon()).collect();
    let mut by_ticker: Vec<usize> = (0..symbols.len()).collect();
    by_ticker.sort_by(|a, b| tickers[*a].cmp(&tickers[*b]));
    // Sequence numbers: the quote's rank across all contracts in time order, as OPRA numbers
    // its messages.
    let mut all: Vec<(i64, u32)> = quotes
        .iter()
        .enumerate()
        .flat_map(|(i, q)| q.iter().map(move |r| (r.ts.as_nanos(), i as u32)))
        .collect();
    all.sort_unstable();
    let mut sequences: Vec<Vec<u64>> = quotes.iter().map(|q| Vec::with_capacity(q.len())).collect();
    for (rank, (_, i)) in all.iter().enumerate() {
        sequences[*i as usize].push(rank as u64 + 1);
    }
    drop(all);

    let mut compress = Duration::ZERO;
    let mut text = Vec::with_capacity(64 << 20);
    let mut quotes_gz = Vec::new();
    let mut quotes_raw = 0;
    {
        let mut encoder = GzEncoder::new(&mut quotes_gz, Compression::default());
        text.extend_from_slice(
            b"ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp\n",
        );
        for &i in &by_ticker {
            for (q, sequence) in quotes[i].iter().zip(&sequences[i]) {
                text.extend_from_slice(tickers[i].as_bytes());
                text.push(b',');
                let (ask_exchange, bid_exchange) = (
                    if q.has_ask() {
                        polygon_venue(q.ask_exchange)
                    } else {
                        0
                    },
                    if q.has_bid() {
                        polygon_venue(q.bid_exchange)
                    } else {
                        0
                    },
                );
                push_u64(&mut text, u64::from(ask_exchange));
                text.push(b',');
                push_px(&mut text, q.ask.max(0) as u64);
                text.push(b',');
                push_u64(&mut text, u64::from(q.ask_size));
                text.push(b',');
                push_u64(&mut text, u64::from(bid_exchange));
                text.push(b',');
                push_px(&mut text, q.bid.max(0) as u64);
                text.push(b',');
                push_u64(&mut text, u64::from(q.bid_size));
                text.push(b',');
                push_u64(&mut text, *sequence);
                text.push(b',');
                push_ts(&mut text, q.ts);
                text.push(b'\n');
            }
            if text.len() > 32 << 20 {
                quotes_raw += text.len();
                let started = Instant::now();
                encoder.write_all(&text)?;
                compress += started.elapsed();
                text.clear();
            }
        }
        quotes_raw += text.len();
        let started = Instant::now();
        encoder.write_all(&text)?;
        encoder.finish()?;
        compress += started.elapsed();
        text.clear();
    }

    text.extend_from_slice(
        b"ticker,conditions,correction,exchange,participant_timestamp,price,sip_timestamp,size\n",
    );
    for &i in &by_ticker {
        for t in &trades[i] {
            text.extend_from_slice(tickers[i].as_bytes());
            text.push(b',');
            let codes: Vec<u32> = t.condition_codes().map(polygon_condition).collect();
            if codes.len() > 1 {
                text.push(b'"');
            }
            for (k, code) in codes.iter().enumerate() {
                if k > 0 {
                    text.push(b',');
                }
                push_u64(&mut text, u64::from(*code));
            }
            if codes.len() > 1 {
                text.push(b'"');
            }
            text.extend_from_slice(b",0,");
            push_u64(&mut text, u64::from(polygon_venue(t.exchange)));
            text.push(b',');
            push_ts(&mut text, t.ts);
            text.push(b',');
            push_px(&mut text, t.price.max(0) as u64);
            text.push(b',');
            push_ts(&mut text, t.ts);
            text.push(b',');
            if t.size.is_multiple_of(tape::SIZE_SCALE) {
                push_u64(&mut text, t.whole_size());
            } else {
                // Fractional sizes (never for options): six decimals, trailing zeros dropped.
                push_px(&mut text, t.size * 1000);
            }
            text.push(b'\n');
        }
    }
    let trades_raw = text.len();
    let started = Instant::now();
    let trades_gz = gzip(&text)?;
    compress += started.elapsed();
    check_gzip(&quotes_gz, quotes_raw)?;
    Ok(Csv {
        quotes_gz,
        trades_gz,
        quotes_raw,
        trades_raw,
        compress,
    })
}

/// Checks that a gzip stream inflates to the expected length.
fn check_gzip(gz: &[u8], raw: usize) -> Result<(), Error> {
    let mut decoder = GzDecoder::new(gz);
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        let read = decoder.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        total += read;
    }
    if total != raw {
        return Err(format!("gzip inflated to {total} bytes, expected {raw}").into());
    }
    Ok(())
}
