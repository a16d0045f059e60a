//! Reading input files: transparent gzip and zstd decompression, byte counting for progress,
//! and the digest that identifies a file's content.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::error::ImportError;

/// Counts the bytes read through it (of the file as stored, before decompression).
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Opens a file for reading its content, decompressing gzip (including multi-member files) or
/// zstd when the file starts with their magic bytes. Returns the reader and a counter of the
/// stored bytes consumed so far.
pub fn open_decompressed(
    path: &Path,
) -> Result<(Box<dyn Read + Send>, Arc<AtomicU64>), ImportError> {
    let mut file =
        File::open(path).map_err(|e| ImportError::whole(path, format!("cannot open: {e}")))?;
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic)
        .map_err(|e| ImportError::whole(path, format!("cannot read: {e}")))?;
    let file =
        File::open(path).map_err(|e| ImportError::whole(path, format!("cannot open: {e}")))?;
    let count = Arc::new(AtomicU64::new(0));
    let counted = BufReader::with_capacity(
        1 << 20,
        CountingReader {
            inner: file,
            count: count.clone(),
        },
    );
    let reader: Box<dyn Read + Send> = if n >= 2 && magic[..2] == GZIP_MAGIC {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(counted),
        ))
    } else if n >= 4 && magic == ZSTD_MAGIC {
        let decoder = zstd::stream::read::Decoder::with_buffer(counted)
            .map_err(|e| ImportError::whole(path, format!("not a readable zstd file: {e}")))?;
        Box::new(BufReader::with_capacity(1 << 20, decoder))
    } else {
        Box::new(counted)
    };
    Ok((reader, count))
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// The first `limit` bytes of a file's (decompressed) content.
pub fn head(path: &Path, limit: usize) -> Result<Vec<u8>, ImportError> {
    let (mut reader, _) = open_decompressed(path)?;
    let mut buf = vec![0u8; limit];
    let n = read_up_to(&mut reader, &mut buf)
        .map_err(|e| ImportError::whole(path, format!("cannot read: {e}")))?;
    buf.truncate(n);
    Ok(buf)
}

/// SHA-256 of the file as stored, hex.
pub fn file_digest(path: &Path) -> Result<String, ImportError> {
    let mut file =
        File::open(path).map_err(|e| ImportError::whole(path, format!("cannot open: {e}")))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| ImportError::whole(path, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
