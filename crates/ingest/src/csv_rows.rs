//! Reading the rows of a vendor's CSV file: line numbers for errors, progress as it goes.

use std::io::Read;
use std::path::Path;

use crate::error::ImportError;

/// Rows between progress reports.
const PROGRESS_ROWS: u64 = 65_536;

/// Hands every row after the header to `row` with its line number, calling `progress` every
/// [`PROGRESS_ROWS`] rows and at the end. A row the CSV reader cannot read fails with its line.
pub(crate) fn each_row<R: Read>(
    csv: &mut csv::Reader<R>,
    path: &Path,
    mut row: impl FnMut(u64, &csv::ByteRecord) -> Result<(), ImportError>,
    progress: impl Fn(),
) -> Result<(), ImportError> {
    let mut record = csv::ByteRecord::new();
    let mut rows: u64 = 0;
    loop {
        let line = csv.position().line().max(2);
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, line, e)),
        }
        let line = record.position().map_or(line, |p| p.line());
        row(line, &record)?;
        rows += 1;
        if rows.is_multiple_of(PROGRESS_ROWS) {
            progress();
        }
    }
    progress();
    Ok(())
}

/// An error of the CSV reader: a malformed row, or the file ending or breaking mid-way.
fn csv_error(path: &Path, line: u64, error: csv::Error) -> ImportError {
    let line = error.position().map_or(line, |p| p.line());
    match error.kind() {
        csv::ErrorKind::Io(io) => ImportError::at_line(
            path,
            line,
            format!("the file is damaged or ends early (compressed data broken off?): {io}"),
        ),
        csv::ErrorKind::Utf8 { err, .. } => {
            ImportError::at_line(path, line, format!("not UTF-8 text: {err}"))
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => ImportError::at_line(
            path,
            line,
            format!("found a row with {len} fields where the header has {expected_len}"),
        ),
        _ => ImportError::at_line(path, line, error.to_string()),
    }
}
