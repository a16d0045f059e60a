//! `optiontape data import`: vendor files into the tape.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;
use ingest::{ImportOptions, import_file};
use tape::Tape;

use super::generate::{plural, thousands};
use crate::commands::progress::Progress;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files or folders (every file inside, in name order). Gzip and zstd files are read as they
    /// are.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Import only these underlyings, comma separated (full-market files need this to stay small)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub underlyings: Vec<String>,
}

pub fn run(tape_dir: &Path, args: &ImportArgs) -> anyhow::Result<()> {
    let files = expand(&args.paths)?;
    let options = ImportOptions {
        underlyings: (!args.underlyings.is_empty()).then(|| {
            args.underlyings
                .iter()
                .map(|u| u.trim().to_ascii_uppercase())
                .collect::<BTreeSet<_>>()
        }),
    };
    let tape = Tape::new(tape_dir);
    let mut failed = 0;
    for file in &files {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let progress = Progress::new(&format!("Importing {}", file.display()), size, "bytes");
        let outcome = import_file(&tape, file, &options, &|read| progress.set(read));
        progress.finish();
        match outcome {
            Ok(report) => {
                let written: BTreeSet<&str> =
                    report.sessions.iter().map(|(u, _)| u.as_str()).collect();
                println!(
                    "{}: {}, {} records; {} written{}{}",
                    file.display(),
                    report.format,
                    thousands(report.records),
                    plural(report.sessions.len(), "session"),
                    if written.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", written.into_iter().collect::<Vec<_>>().join(", "))
                    },
                    if report.unchanged.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", {} already held this file's data",
                            plural(report.unchanged.len(), "session")
                        )
                    }
                );
            }
            Err(error) => {
                failed += 1;
                eprintln!("error: {error}");
            }
        }
    }
    if failed > 0 {
        bail!(
            "{} of {} not imported (the tape is unchanged for those)",
            plural(failed, "file"),
            files.len()
        );
    }
    Ok(())
}

/// The files named, with folders replaced by the files inside them (recursively, sorted; hidden
/// files skipped).
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let metadata =
            std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if metadata.is_dir() {
            let mut inside = Vec::new();
            walk(path, &mut inside)?;
            inside.sort();
            if inside.is_empty() {
                bail!("{}: the folder has no files to import", path.display());
            }
            files.extend(inside);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(folder: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in
        std::fs::read_dir(folder).map_err(|e| anyhow::anyhow!("{}: {e}", folder.display()))?
    {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
