//! `optiontape data info`: what market data the tape holds.

use std::collections::BTreeSet;
use std::path::Path;

use clap::Args;
use serde::Serialize;
use tape::{Kind, SessionFile, Tape};

use super::generate::{megabytes, thousands};

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// One line per session instead of per underlying
    #[arg(long)]
    pub sessions: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// One session file, summarised.
#[derive(Serialize, Debug, Clone)]
pub struct SessionInfo {
    pub underlying: String,
    pub date: String,
    pub contracts: usize,
    pub quotes: u64,
    pub trades: u64,
    /// Index values (SPX, VIX) or none.
    pub values: u64,
    pub bytes: u64,
    /// Where the data came from: the generator and its seed, imported files and their digests.
    pub sources: Vec<String>,
}

/// One underlying over all its sessions.
#[derive(Serialize, Debug)]
pub struct UnderlyingInfo {
    pub underlying: String,
    pub sessions: usize,
    pub first: String,
    pub last: String,
    /// Contracts listed in the latest session.
    pub contracts: usize,
    pub quotes: u64,
    pub trades: u64,
    pub values: u64,
    pub bytes: u64,
    pub sources: Vec<String>,
}

pub fn run(tape_dir: &Path, args: &InfoArgs) -> anyhow::Result<()> {
    let sessions = summarise(&Tape::new(tape_dir))?;
    if sessions.is_empty() {
        if args.json {
            println!("[]");
        } else {
            println!(
                "No market data in {}. Make some with `optiontape data generate` or bring your own with `optiontape data import`.",
                tape_dir.display()
            );
        }
        return Ok(());
    }
    if args.sessions {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&sessions)?);
            return Ok(());
        }
        let rows = sessions
            .iter()
            .map(|s| {
                vec![
                    s.underlying.clone(),
                    s.date.clone(),
                    thousands(s.contracts as u64),
                    thousands(s.quotes),
                    thousands(s.trades),
                    thousands(s.values),
                    megabytes(s.bytes),
                    s.sources.join("; "),
                ]
            })
            .collect();
        print_table(
            &[
                "UNDERLYING",
                "SESSION",
                "CONTRACTS",
                "QUOTES",
                "TRADES",
                "VALUES",
                "SIZE",
                "SOURCES",
            ],
            rows,
        );
        return Ok(());
    }
    let underlyings = by_underlying(&sessions);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&underlyings)?);
        return Ok(());
    }
    let rows = underlyings
        .iter()
        .map(|u| {
            vec![
                u.underlying.clone(),
                u.sessions.to_string(),
                u.first.clone(),
                u.last.clone(),
                thousands(u.contracts as u64),
                thousands(u.quotes),
                thousands(u.trades),
                megabytes(u.bytes),
            ]
        })
        .collect();
    print_table(
        &[
            "UNDERLYING",
            "SESSIONS",
            "FIRST",
            "LAST",
            "CONTRACTS",
            "QUOTES",
            "TRADES",
            "SIZE",
        ],
        rows,
    );
    let total: u64 = underlyings.iter().map(|u| u.bytes).sum();
    println!(
        "{} in {} ({} per session file on average)",
        megabytes(total),
        tape_dir.display(),
        megabytes(total / sessions.len() as u64)
    );
    Ok(())
}

/// Every session of every underlying, in order.
pub fn summarise(tape: &Tape) -> anyhow::Result<Vec<SessionInfo>> {
    let mut out = Vec::new();
    for underlying in tape.underlyings()? {
        for date in tape.sessions(&underlying)? {
            let session = SessionFile::open(&tape.session_path(&underlying, date))?;
            let count = |kind: Kind| -> u64 {
                session
                    .series_list()
                    .filter(|(_, k, _, _)| *k == kind)
                    .map(|(_, _, _, n)| n)
                    .sum()
            };
            out.push(SessionInfo {
                underlying: underlying.clone(),
                date: date.to_string(),
                contracts: session.contracts().len(),
                quotes: count(Kind::Quotes),
                trades: count(Kind::Trades),
                values: count(Kind::Values),
                bytes: session.file_len(),
                sources: session.sources().to_vec(),
            });
        }
    }
    Ok(out)
}

fn by_underlying(sessions: &[SessionInfo]) -> Vec<UnderlyingInfo> {
    let mut out: Vec<UnderlyingInfo> = Vec::new();
    for s in sessions {
        match out.last_mut() {
            Some(u) if u.underlying == s.underlying => {
                u.sessions += 1;
                u.last = s.date.clone();
                u.contracts = s.contracts;
                u.quotes += s.quotes;
                u.trades += s.trades;
                u.values += s.values;
                u.bytes += s.bytes;
                let mut sources: BTreeSet<String> = u.sources.drain(..).collect();
                sources.extend(s.sources.iter().cloned());
                u.sources = sources.into_iter().collect();
            }
            _ => out.push(UnderlyingInfo {
                underlying: s.underlying.clone(),
                sessions: 1,
                first: s.date.clone(),
                last: s.date.clone(),
                contracts: s.contracts,
                quotes: s.quotes,
                trades: s.trades,
                values: s.values,
                bytes: s.bytes,
                sources: s.sources.clone(),
            }),
        }
    }
    out
}

/// Left-aligned text, right-aligned numbers.
fn print_table(headers: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let numeric = |cell: &str| {
        cell.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() && !cell.contains('-'))
    };
    let line = |cells: Vec<String>| {
        let last = cells.len() - 1;
        let text: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i == last {
                    cell.clone()
                } else if numeric(cell) {
                    format!("{cell:>width$}", width = widths[i])
                } else {
                    format!("{cell:<width$}", width = widths[i])
                }
            })
            .collect();
        println!("{}", text.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row);
    }
}
