//! Importers: vendor market-data files into the tape.
//!
//! Each file is read as a stream (a day of full-market option quotes does not fit in memory),
//! routed by underlying and trading date into staged session files, and the staged files replace
//! the tape's only when the whole input file was read without error: a malformed file is
//! rejected with its name, the line or byte offset and the reason, and leaves the tape unchanged.
//!
//! A session keeps what other imports put there. What a file provides (option quotes, underlying
//! trades, ...) replaces that kind of data in the sessions it touches, so importing the same file
//! twice gives the same tape, and two vendors' quotes are never blended into one series.
//!
//! Formats: [`polygon`] flat files, [`databento`] DBN, [`thetadata`] CSV and our own
//! hand-writable [`plain`] CSV. [`detect`] tells them apart by their first bytes.

mod csv_rows;
pub mod databento;
pub mod detect;
mod error;
pub mod plain;
pub mod polygon;
mod read;
mod staging;
pub mod thetadata;

pub use error::{ImportError, Location};
pub use read::{CountingReader, open_decompressed};
pub use staging::{Provides, Staging};

use std::collections::BTreeSet;
use std::path::Path;

use jiff::civil::Date;
use tape::Tape;

/// Choices that apply to every file of an import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Import only these underlyings (all when `None`). Full-market files need a filter.
    pub underlyings: Option<BTreeSet<String>>,
}

impl ImportOptions {
    pub fn wants(&self, underlying: &str) -> bool {
        self.underlyings
            .as_ref()
            .is_none_or(|set| set.contains(underlying))
    }
}

/// What importing one file did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileReport {
    pub format: &'static str,
    /// Sessions written, as (underlying, date).
    pub sessions: Vec<(String, Date)>,
    /// Sessions that already held exactly this file's data and were left alone.
    pub unchanged: Vec<(String, Date)>,
    /// Records read from the file and kept.
    pub records: u64,
}

/// Reports how many bytes of the input have been read so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Imports one file into the tape.
pub fn import_file(
    tape: &Tape,
    path: &Path,
    options: &ImportOptions,
    progress: Progress<'_>,
) -> Result<FileReport, ImportError> {
    let format = detect::detect(path)?;
    let format = format.as_ref();
    let digest = read::file_digest(path)?;
    let label = format!(
        "{} {} sha256:{}",
        format.name(),
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        &digest[..16]
    );
    let mut staging = Staging::new(tape, path, label, format.provides(), options);
    let records = format.read(path, &mut staging, progress)?;
    let (sessions, unchanged) = staging.commit()?;
    Ok(FileReport {
        format: format.name(),
        sessions,
        unchanged,
        records,
    })
}
