//! DBN import throughput.
//!
//! Builds, with the `dbn` crate's own encoder, a mixed-schema OPRA file: a definition set for
//! 400 option contracts (300 SPXW, 100 SPY) followed by cbbo-1s samples spread over a trading
//! day (2,000,000 by default), writes it plain and zstd-compressed to a temporary folder, and
//! times in the same run:
//!
//! - `decode only`: the `dbn` crate decoding the records from memory, touching each one;
//! - `decode + tape`: the least an importer can do, decoding and pushing every quote straight
//!   into the session builders and finishing the files (no symbology, routing or checks);
//! - `import .dbn` and `import .dbn.zst`: `ingest::import_file` into an empty tape (detection,
//!   file digest, the schema scan of a mixed file, symbology, routing, staging, commit);
//! - `import cbbo-1s.dbn.zst`: the same records as a single-schema file whose ids resolve
//!   through its metadata mappings, as Databento ships batch files (no schema scan).
//!
//! Each is run `DBN_BENCH_ROUNDS` times (3) and the best is reported, as records per second on
//! one thread. `DBN_BENCH_RECORDS` changes the number of cbbo records; `DBN_BENCH_ONLY=import`
//! runs only the plain import (for profiling).
//!
//! ```text
//! cargo bench -p ingest --bench dbn_import
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use dbn::encode::{DbnEncoder, EncodeRecord};
use dbn::record::str_to_c_chars;
use dbn::{
    CbboMsg, ConsolidatedBidAskPair, InstrumentDefMsg, MappingInterval, Metadata, RecordHeader,
    SType, Schema, SymbolMapping, rtype,
};
use ingest::{ImportOptions, import_file};
use jiff::civil::date;
use model::Timestamp;
use model::symbol::OptionSymbol;
use tape::{Owner, Quote, SessionBuilder, Tape};

const INSTRUMENTS: u32 = 400;
/// 2025-01-15 14:30:00 UTC (09:30 New York).
const OPEN: u64 = 1_736_951_400_000_000_000;
const SECOND: u64 = 1_000_000_000;
const SESSION_SECONDS: u64 = 6 * 3600 + 45 * 60;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The OSI symbol of instrument `i` (1-based).
fn raw_symbol(i: u32) -> String {
    let k = i - 1;
    let right = if k.is_multiple_of(2) { 'C' } else { 'P' };
    if k < 300 {
        format!("SPXW  250115{right}{:08}", (5800 + (k / 2) * 5) * 1000)
    } else {
        format!("SPY   250117{right}{:08}", (560 + (k - 300) / 2) * 1000)
    }
}

/// A deterministic price path per instrument.
struct Walk(u64);

impl Walk {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The DBN file: mixed (definitions, then cbbo-1s) or, with `mixed` false, a single-schema
/// cbbo-1s file whose ids are resolved through its metadata mappings, as in Databento's batch
/// files.
fn generate(records: usize, mixed: bool) -> Vec<u8> {
    let start = OPEN - 4 * 3600 * SECOND;
    let metadata = if mixed {
        Metadata::builder()
            .dataset("OPRA.PILLAR")
            .schema(None)
            .start(start)
            .stype_in(Some(SType::Parent))
            .stype_out(SType::InstrumentId)
            .symbols(vec!["SPXW.OPT".into(), "SPY.OPT".into()])
            .build()
    } else {
        let probe = Metadata::builder()
            .dataset("OPRA.PILLAR")
            .schema(Some(Schema::Cbbo1S))
            .start(start)
            .stype_in(Some(SType::RawSymbol))
            .stype_out(SType::InstrumentId)
            .build();
        let day = probe.start().date();
        let mappings = (1..=INSTRUMENTS)
            .map(|i| SymbolMapping {
                raw_symbol: raw_symbol(i),
                intervals: vec![MappingInterval {
                    start_date: day,
                    end_date: day.next_day().unwrap(),
                    symbol: i.to_string(),
                }],
            })
            .collect();
        Metadata {
            symbols: (1..=INSTRUMENTS).map(raw_symbol).collect(),
            mappings,
            ..probe
        }
    };
    let mut out = Vec::with_capacity(records * 80 + INSTRUMENTS as usize * 520 + 64 * 1024);
    let mut encoder = DbnEncoder::new(&mut out, &metadata).unwrap();
    for i in (1..=INSTRUMENTS).filter(|_| mixed) {
        let raw = raw_symbol(i);
        let symbol = OptionSymbol::parse(&raw).unwrap();
        let mut def = InstrumentDefMsg::default();
        let ts = OPEN - 4 * 3600 * SECOND + u64::from(i);
        def.hd = RecordHeader::new::<InstrumentDefMsg>(rtype::INSTRUMENT_DEF, 30, i, ts);
        def.ts_recv = ts;
        def.raw_symbol = str_to_c_chars(&raw).unwrap();
        def.instrument_class = symbol.right.as_char() as _;
        def.security_update_action = b'A' as _;
        def.strike_price = i64::from(symbol.strike.thousandths()) * 1_000_000;
        encoder.encode_record(&def).unwrap();
    }
    let mut walks: Vec<(Walk, i64)> = (0..INSTRUMENTS)
        .map(|i| {
            (
                Walk(0x9e37_79b9_7f4a_7c15 ^ u64::from(i + 1)),
                5_000_000_000,
            )
        })
        .collect();
    let per_second = (records as u64).div_ceil(SESSION_SECONDS).max(1);
    for r in 0..records as u64 {
        let i = (r % u64::from(INSTRUMENTS)) as u32 + 1;
        let (walk, mid) = &mut walks[(i - 1) as usize];
        let step = walk.next();
        *mid = (*mid + ((step % 5) as i64 - 2) * 5_000_000).max(100_000_000);
        let spread = 10_000_000 * (1 + (step >> 8) % 3) as i64;
        let mut msg = CbboMsg::default_for_schema(Schema::Cbbo1S);
        msg.hd = RecordHeader::new::<CbboMsg>(rtype::CBBO_1S, 30, i, u64::MAX);
        msg.ts_recv = OPEN + (r / per_second + 1) * SECOND;
        msg.levels = [ConsolidatedBidAskPair {
            bid_px: *mid - spread,
            ask_px: *mid + spread,
            bid_sz: 1 + (step >> 16) as u32 % 200,
            ask_sz: 1 + (step >> 24) as u32 % 200,
            bid_pb: 20 + (step >> 32) as u16 % 18,
            ask_pb: 20 + (step >> 40) as u16 % 18,
            ..Default::default()
        }];
        encoder.encode_record(&msg).unwrap();
    }
    encoder.flush().unwrap();
    out
}

/// Decodes every record from memory with the `dbn` crate.
fn decode_only(bytes: &[u8]) -> u64 {
    let mut decoder = dbn::decode::DbnDecoder::new(bytes).unwrap();
    let mut sum = 0u64;
    while let Some(record) = decoder.decode_ref().unwrap() {
        if let Some(cbbo) = record.get::<CbboMsg>() {
            sum = sum.wrapping_add(cbbo.levels[0].bid_px as u64 ^ cbbo.ts_recv);
        }
    }
    sum
}

/// Decodes and writes the quotes straight into session builders.
fn decode_and_write(bytes: &[u8], root: &Path) -> u64 {
    let day = date(2025, 1, 15);
    let mut spx = SessionBuilder::create(root, "SPX", day).unwrap();
    let mut spy = SessionBuilder::create(root, "SPY", day).unwrap();
    let mut owners = vec![Owner::Underlying; INSTRUMENTS as usize + 1];
    for i in 1..=INSTRUMENTS {
        let symbol = OptionSymbol::parse(&raw_symbol(i)).unwrap();
        let builder = if i <= 300 { &mut spx } else { &mut spy };
        owners[i as usize] = builder.contract(symbol).unwrap();
    }
    let mut decoder = dbn::decode::DbnDecoder::new(bytes).unwrap();
    let mut count = 0;
    while let Some(record) = decoder.decode_ref().unwrap() {
        let Some(cbbo) = record.get::<CbboMsg>() else {
            continue;
        };
        let i = cbbo.hd.instrument_id;
        let level = &cbbo.levels[0];
        let quote = Quote {
            ts: Timestamp::from_nanos(cbbo.ts_recv as i64),
            bid: level.bid_px,
            ask: level.ask_px,
            bid_size: level.bid_sz,
            ask_size: level.ask_sz,
            bid_exchange: level.bid_pb,
            ask_exchange: level.ask_pb,
        };
        let builder = if i <= 300 { &mut spx } else { &mut spy };
        builder.quote(owners[i as usize], quote).unwrap();
        count += 1;
    }
    spx.finish().unwrap();
    spy.finish().unwrap();
    count
}

fn best(rounds: usize, mut run: impl FnMut() -> u64) -> (Duration, u64) {
    let mut best = Duration::MAX;
    let mut result = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        result = std::hint::black_box(run());
        best = best.min(start.elapsed());
    }
    (best, result)
}

fn report(label: &str, records: usize, (time, _): (Duration, u64)) {
    println!(
        "{label:<24} {:>7.3} s  {:>6.2} M records/s",
        time.as_secs_f64(),
        records as f64 / time.as_secs_f64() / 1e6
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run passes nothing and
    // should stay quick.
    let benching = std::env::args().any(|a| a == "--bench");
    let records = env_or(
        "DBN_BENCH_RECORDS",
        if benching { 2_000_000 } else { 20_000 },
    );
    let rounds = env_or("DBN_BENCH_ROUNDS", if benching { 3 } else { 1 });
    let dir = tempfile::tempdir().unwrap();
    let bytes = generate(records, true);
    let plain = dir.path().join("opra-bench.mixed.dbn");
    std::fs::write(&plain, &bytes).unwrap();
    let only_import = std::env::var("DBN_BENCH_ONLY").is_ok_and(|v| v == "import");
    if only_import {
        for round in 0..rounds {
            let tape = Tape::new(dir.path().join(format!("tape-{round}")));
            let start = Instant::now();
            import_file(&tape, &plain, &ImportOptions::default(), &|_| {}).unwrap();
            report("import .dbn", records, (start.elapsed(), 0));
        }
        return;
    }
    let zst = dir.path().join("opra-bench.mixed.dbn.zst");
    std::fs::write(&zst, zstd::encode_all(&bytes[..], 3).unwrap()).unwrap();
    println!(
        "{records} cbbo-1s records over {INSTRUMENTS} instruments after {INSTRUMENTS} definitions; \
         {:.1} MB plain, {:.1} MB zstd; best of {rounds}",
        bytes.len() as f64 / 1e6,
        std::fs::metadata(&zst).unwrap().len() as f64 / 1e6
    );

    let mut n = 0;
    report("decode only", records, best(rounds, || decode_only(&bytes)));
    report(
        "decode + tape",
        records,
        best(rounds, || {
            n += 1;
            let root = dir.path().join(format!("direct-{n}"));
            decode_and_write(&bytes, &root)
        }),
    );
    let single = dir.path().join("opra-bench.cbbo-1s.dbn.zst");
    let single_bytes = generate(records, false);
    std::fs::write(&single, zstd::encode_all(&single_bytes[..], 3).unwrap()).unwrap();
    drop(single_bytes);
    for (label, path, kept) in [
        ("import .dbn", &plain, records + INSTRUMENTS as usize),
        ("import .dbn.zst", &zst, records + INSTRUMENTS as usize),
        ("import cbbo-1s.dbn.zst", &single, records),
    ] {
        report(
            label,
            records,
            best(rounds, || {
                n += 1;
                let tape = Tape::new(dir.path().join(format!("tape-{n}")));
                let report = import_file(&tape, path, &ImportOptions::default(), &|_| {}).unwrap();
                assert_eq!(report.records, kept as u64);
                report.records
            }),
        );
    }
}
