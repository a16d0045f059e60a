//! Streaming DBN records with the byte offset of each (in the decompressed stream).
//!
//! The `dbn` crate's `Decoder` hides where a record starts and treats a file that ends inside a
//! record as a clean end. We drive its sans-I/O state machine (`DbnFsm`) ourselves instead: we
//! know every byte we fed it and how many it has not consumed yet, so the start of each record is
//! exact, also for records it upgrades from DBN versions 1 and 2, and a truncated tail is an
//! error that names where the broken record starts.

use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dbn::decode::dbn::fsm::{DbnFsm, ProcessResult};
use dbn::{Metadata, RecordRef, VersionUpgradePolicy};

use crate::error::ImportError;
use crate::read::open_decompressed;

/// Internal buffer of the state machine: large reads, few calls into the decompressor.
const BUFFER: usize = 1 << 20;

/// A DBN stream after its metadata header.
pub(super) struct Records {
    path: PathBuf,
    reader: Box<dyn Read + Send>,
    stored: Arc<AtomicU64>,
    fsm: DbnFsm,
    /// Decompressed bytes handed to the state machine so far.
    fed: u64,
}

impl Records {
    /// Opens `path` (plain or zstd/gzip-compressed) and reads its metadata header.
    pub(super) fn open(path: &Path) -> Result<(Records, Metadata), ImportError> {
        let (reader, stored) = open_decompressed(path)?;
        let fsm = DbnFsm::builder()
            .upgrade_policy(VersionUpgradePolicy::UpgradeToV3)
            .buffer_size(BUFFER)
            .build()
            .map_err(|e| ImportError::whole(path, format!("cannot set up the DBN decoder: {e}")))?;
        let mut records = Records {
            path: path.to_path_buf(),
            reader,
            stored,
            fsm,
            fed: 0,
        };
        loop {
            match records.fsm.process() {
                ProcessResult::Metadata(metadata) => return Ok((records, metadata)),
                ProcessResult::ReadMore(_) => {
                    if records.fill()? == 0 {
                        return Err(ImportError::at_offset(
                            path,
                            records.fed,
                            "the file ends inside the DBN metadata header",
                        ));
                    }
                }
                ProcessResult::Err(e) => {
                    return Err(ImportError::at_offset(
                        path,
                        0,
                        format!("not a readable DBN metadata header: {e}"),
                    ));
                }
                ProcessResult::Record(()) => {
                    return Err(ImportError::at_offset(
                        path,
                        0,
                        "DBN records before the metadata header",
                    ));
                }
            }
        }
    }

    /// Bytes of the file as stored (before decompression) read so far, for progress.
    pub(super) fn stored_bytes(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    /// Reads more input into the state machine; returns the number of bytes read (0 at the end).
    fn fill(&mut self) -> Result<usize, ImportError> {
        loop {
            match self.reader.read(self.fsm.space()) {
                Ok(n) => {
                    self.fsm.fill(n);
                    self.fed += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(ImportError::at_offset(
                        &self.path,
                        self.fed,
                        format!("cannot read: {e}"),
                    ));
                }
            }
        }
    }

    /// The next record and the offset where it starts, or `None` at a clean end of the file.
    pub(super) fn next(&mut self) -> Result<Option<(u64, RecordRef<'_>)>, ImportError> {
        loop {
            // What the state machine has not consumed yet starts at the next record.
            let start = self.fed - self.fsm.data().len() as u64;
            match self.fsm.process() {
                ProcessResult::Record(()) => {
                    let record = self
                        .fsm
                        .last_record()
                        .expect("the state machine just decoded a record");
                    return Ok(Some((start, record)));
                }
                ProcessResult::ReadMore(_) => {
                    if self.fill()? > 0 {
                        continue;
                    }
                    let rest = self.fsm.data();
                    if rest.is_empty() {
                        return Ok(None);
                    }
                    let reason = match rest.first() {
                        Some(&words) if words > 0 => format!(
                            "truncated record: the file ends {} bytes into a record of {} bytes",
                            rest.len(),
                            usize::from(words) * 4
                        ),
                        _ => format!(
                            "truncated record: {} stray bytes at the end of the file",
                            rest.len()
                        ),
                    };
                    return Err(ImportError::at_offset(&self.path, start, reason));
                }
                ProcessResult::Err(e) => {
                    return Err(ImportError::at_offset(
                        &self.path,
                        start,
                        format!("invalid DBN record: {e}"),
                    ));
                }
                ProcessResult::Metadata(_) => {
                    return Err(ImportError::at_offset(
                        &self.path,
                        start,
                        "a second DBN metadata header",
                    ));
                }
            }
        }
    }
}
