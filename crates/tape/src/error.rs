use std::fmt;
use std::path::PathBuf;

/// What exactly is wrong with a damaged tape file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorruptKind {
    Magic,
    Version,
    Truncated,
    Checksum,
    Varint,
    Compression,
    Count,
    ColumnCount,
    ColumnMode,
    Range,
    Catalog,
    Order,
}

impl fmt::Display for CorruptKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CorruptKind::Magic => "not a tape file (bad magic bytes)",
            CorruptKind::Version => "unsupported tape format version",
            CorruptKind::Truncated => "data ends early",
            CorruptKind::Checksum => "checksum mismatch",
            CorruptKind::Varint => "malformed integer",
            CorruptKind::Compression => "compressed block does not decompress",
            CorruptKind::Count => "record count out of range",
            CorruptKind::ColumnCount => "wrong number of columns",
            CorruptKind::ColumnMode => "unknown column encoding",
            CorruptKind::Range => "value out of range",
            CorruptKind::Catalog => "catalog is inconsistent",
            CorruptKind::Order => "records out of time order",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TapeError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file exists but its bytes are not what was written. `path` and `part` are filled in
    /// as the error travels up.
    #[error("damaged tape file{}: {kind}{}", .path.as_ref().map(|p| format!(" {}", p.display())).unwrap_or_default(), .part.as_ref().map(|p| format!(" in {p}")).unwrap_or_default())]
    Corrupt {
        kind: CorruptKind,
        path: Option<PathBuf>,
        part: Option<String>,
    },
    /// Data handed to the writer breaks a rule of the format.
    #[error("{0}")]
    Invalid(String),
    #[error("no such contract in this session: {0}")]
    UnknownContract(String),
}

impl TapeError {
    pub(crate) fn corrupt(kind: CorruptKind) -> Self {
        TapeError::Corrupt {
            kind,
            path: None,
            part: None,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TapeError::Io {
            path: path.into(),
            source,
        }
    }

    /// Names the file a corruption was found in.
    pub(crate) fn in_file(self, file: &std::path::Path) -> Self {
        match self {
            TapeError::Corrupt {
                kind,
                path: None,
                part,
            } => TapeError::Corrupt {
                kind,
                path: Some(file.to_path_buf()),
                part,
            },
            other => other,
        }
    }

    /// Names the part of the file (a series and chunk) a corruption was found in.
    pub(crate) fn in_part(self, what: impl FnOnce() -> String) -> Self {
        match self {
            TapeError::Corrupt {
                kind,
                path,
                part: None,
            } => TapeError::Corrupt {
                kind,
                path,
                part: Some(what()),
            },
            other => other,
        }
    }

    pub fn is_corrupt(&self) -> bool {
        matches!(self, TapeError::Corrupt { .. })
    }
}
