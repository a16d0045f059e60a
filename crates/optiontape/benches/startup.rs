//! Start-up time of `optiontape serve`: from spawning the process to the first answered request,
//! on an existing data folder and on an empty one. The reference, measured in the same run, is
//! spawning the same binary for `--version` (process start and exit, no server).
//!
//! Run: `cargo bench -p optiontape --bench startup`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_optiontape");
const RUNS: usize = 20;

fn health_ok(authority: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(authority) else {
        return false;
    };
    let request = format!("GET /health HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

/// Spawns the server on `data` and returns the time until /health answers 200.
fn time_to_first_answer(data: &std::path::Path) -> Duration {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("OPTIONTAPE_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn optiontape");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("banner").expect("banner line");
    let address = first
        .split('(')
        .nth(1)
        .expect("bound address")
        .trim_end_matches(')')
        .to_string();
    while !health_ok(&address) {
        std::thread::sleep(Duration::from_micros(200));
    }
    let elapsed = started.elapsed();
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    elapsed
}

fn version() -> Duration {
    let started = Instant::now();
    let status = Command::new(BIN)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    started.elapsed()
}

fn summary(name: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let median = samples[samples.len() / 2];
    let p90 = samples[samples.len() * 9 / 10];
    println!(
        "{name:<40} median {:>8.2} ms   p90 {:>8.2} ms   ({} runs)",
        median.as_secs_f64() * 1e3,
        p90.as_secs_f64() * 1e3,
        samples.len()
    );
    median
}

fn main() {
    let existing = tempfile::tempdir().unwrap();
    time_to_first_answer(existing.path()); // first start creates the database and the demo account
    let warm: Vec<Duration> = (0..RUNS)
        .map(|_| time_to_first_answer(existing.path()))
        .collect();
    let empty: Vec<Duration> = (0..RUNS / 4)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            time_to_first_answer(dir.path())
        })
        .collect();
    let reference: Vec<Duration> = (0..RUNS).map(|_| version()).collect();
    let warm = summary("serve, existing data folder", warm);
    summary("serve, empty data folder", empty);
    let reference = summary("reference: optiontape --version", reference);
    println!(
        "ratio existing-folder start / reference: {:.1}",
        warm.as_secs_f64() / reference.as_secs_f64()
    );
}
