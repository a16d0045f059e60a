//! Telling input formats apart by their content.

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::ImportError;
use crate::staging::{Provides, Staging};
use crate::{Progress, read};

/// A file layout an importer understands.
pub trait FileFormat: Send + Sync {
    /// Short name, e.g. `polygon-options-quotes`.
    fn name(&self) -> &'static str;
    /// What importing such a file replaces in the sessions it touches.
    fn provides(&self) -> BTreeSet<Provides>;
    /// Reads the whole file into `staging`; returns the number of records kept.
    fn read(
        &self,
        path: &Path,
        staging: &mut Staging<'_>,
        progress: Progress<'_>,
    ) -> Result<u64, ImportError>;
}

/// The start of a file, decompressed: what sniffers look at.
pub struct Head<'a> {
    pub path: &'a Path,
    pub bytes: &'a [u8],
}

impl Head<'_> {
    /// The first line, when the file starts with text.
    pub fn first_line(&self) -> Option<&str> {
        let end = self
            .bytes
            .iter()
            .position(|b| *b == b'\n')
            .unwrap_or(self.bytes.len());
        std::str::from_utf8(&self.bytes[..end])
            .ok()
            .map(|l| l.trim_end_matches('\r'))
    }

    /// The first line that is not a `#` comment or blank, for CSV headers.
    pub fn header_line(&self) -> Option<&str> {
        let text = std::str::from_utf8(&self.bytes[..self.bytes.len().min(64 * 1024)]).ok()?;
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
    }
}

type Sniffer = fn(&Head<'_>) -> Option<Box<dyn FileFormat>>;

/// Every known format, asked in turn.
const SNIFFERS: &[Sniffer] = &[
    crate::plain::sniff,
    crate::databento::sniff,
    crate::polygon::sniff,
    crate::thetadata::sniff,
];

/// Which format a file is in.
pub fn detect(path: &Path) -> Result<Box<dyn FileFormat>, ImportError> {
    let bytes = read::head(path, 64 * 1024)?;
    if bytes.is_empty() {
        return Err(ImportError::whole(path, "file is empty"));
    }
    let head = Head {
        path,
        bytes: &bytes,
    };
    SNIFFERS
        .iter()
        .find_map(|sniff| sniff(&head))
        .ok_or_else(|| {
            let first = head
                .first_line()
                .map(|l| l.chars().take(80).collect::<String>());
            ImportError::whole(
                path,
                match first {
                    Some(line) => format!("unrecognised format; first line is {line:?}"),
                    None => "unrecognised binary format".to_string(),
                },
            )
        })
}
