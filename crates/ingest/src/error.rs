use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a file a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a text file (the header is line 1).
    Line(u64),
    /// Byte offset in a binary file (after decompression).
    Offset(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Offset(n) => write!(f, "byte offset {n}"),
        }
    }
}

/// A file that could not be imported: which, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    pub file: PathBuf,
    pub at: Option<Location>,
    pub reason: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(at) => write!(f, "{}: {at}: {}", self.file.display(), self.reason),
            None => write!(f, "{}: {}", self.file.display(), self.reason),
        }
    }
}

impl ImportError {
    pub fn new(file: &Path, at: Option<Location>, reason: impl Into<String>) -> Self {
        ImportError {
            file: file.to_path_buf(),
            at,
            reason: reason.into(),
        }
    }

    pub fn at_line(file: &Path, line: u64, reason: impl Into<String>) -> Self {
        Self::new(file, Some(Location::Line(line)), reason)
    }

    pub fn at_offset(file: &Path, offset: u64, reason: impl Into<String>) -> Self {
        Self::new(file, Some(Location::Offset(offset)), reason)
    }

    pub fn whole(file: &Path, reason: impl Into<String>) -> Self {
        Self::new(file, None, reason)
    }
}
