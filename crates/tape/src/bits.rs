//! Bit streams, most significant bit first, for the column coders.

use crate::error::{CorruptKind, TapeError};

/// Appends bits to a byte buffer.
#[derive(Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Pending bits, right-aligned.
    acc: u64,
    bits: u32,
}

impl BitWriter {
    pub fn with_capacity(bytes: usize) -> Self {
        BitWriter {
            bytes: Vec::with_capacity(bytes),
            acc: 0,
            bits: 0,
        }
    }

    /// Appends the low `count` bits of `value` (count <= 64).
    #[inline]
    pub fn put(&mut self, value: u64, count: u32) {
        if count > 32 {
            self.put_small(value >> 32, count - 32);
            self.put_small(value & 0xffff_ffff, 32);
        } else {
            self.put_small(value, count);
        }
    }

    #[inline]
    fn put_small(&mut self, value: u64, count: u32) {
        debug_assert!(count <= 32);
        if count == 0 {
            return;
        }
        let mask = (1u64 << count) - 1;
        self.acc = (self.acc << count) | (value & mask);
        self.bits += count;
        while self.bits >= 8 {
            self.bits -= 8;
            self.bytes.push((self.acc >> self.bits) as u8);
        }
        self.acc &= (1u64 << self.bits) - 1;
    }

    /// The bytes written, the last one padded with zero bits.
    pub fn finish(mut self) -> Vec<u8> {
        if self.bits > 0 {
            self.bytes.push((self.acc << (8 - self.bits)) as u8);
        }
        self.bytes
    }
}

/// Reads bits written by [`BitWriter`]. Past the end it reads zeros rather than checking every
/// read; [`BitReader::overran`] then tells the caller, once per column, that the input was short.
pub struct BitReader<'a> {
    bytes: &'a [u8],
    /// Next byte not yet loaded into `buf` (may pass the end: those bytes read as zero).
    at: usize,
    /// Loaded bits, left-aligned: the next bit is the top one.
    buf: u64,
    /// Valid bits in `buf`.
    avail: u32,
}

impl<'a> BitReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        BitReader {
            bytes,
            at: 0,
            buf: 0,
            avail: 0,
        }
    }

    /// Loads bytes until at least 56 bits are available.
    #[inline]
    fn refill(&mut self) {
        if let Some(word) = self.bytes.get(self.at..self.at + 8) {
            let word = u64::from_be_bytes(word.try_into().expect("eight bytes"));
            self.buf |= word >> self.avail;
            let whole = (63 - self.avail) / 8;
            self.at += whole as usize;
            self.avail += whole * 8;
        } else {
            while self.avail < 56 {
                let byte = self.bytes.get(self.at).copied().unwrap_or(0);
                self.buf |= u64::from(byte) << (56 - self.avail);
                self.at += 1;
                self.avail += 8;
            }
        }
    }

    /// The next `count` bits (count <= 56) without consuming them.
    #[inline]
    pub fn peek(&mut self, count: u32) -> u64 {
        debug_assert!(count <= 56);
        if self.avail < count {
            self.refill();
        }
        // Two shifts so that a count of 0 yields 0 rather than overflowing.
        (self.buf >> 1) >> (63 - count)
    }

    /// Drops `count` peeked bits.
    #[inline]
    pub fn consume(&mut self, count: u32) {
        debug_assert!(count <= self.avail);
        // `avail` never exceeds 63, so neither does `count`.
        self.buf <<= count;
        self.avail -= count;
    }

    /// Reads `count` bits (count <= 64) as a number.
    #[inline]
    pub fn bits(&mut self, count: u32) -> u64 {
        if count <= 56 {
            let value = self.peek(count);
            self.consume(count);
            return value;
        }
        let high = self.peek(count - 32);
        self.consume(count - 32);
        let low = self.peek(32);
        self.consume(32);
        (high << 32) | low
    }

    /// Whether more bits were read than the input holds.
    pub fn overran(&self) -> bool {
        self.at as u64 * 8 - u64::from(self.avail) > self.bytes.len() as u64 * 8
    }

    /// Fails if more bits were read than the input holds.
    pub fn check(&self) -> Result<(), TapeError> {
        if self.overran() {
            Err(TapeError::corrupt(CorruptKind::Truncated))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bits_round_trip(fields in proptest::collection::vec((any::<u64>(), 0u32..=64), 0..200)) {
            let mut writer = BitWriter::default();
            for (value, count) in &fields {
                writer.put(*value, *count);
            }
            let bytes = writer.finish();
            let total: u32 = fields.iter().map(|f| f.1).sum();
            prop_assert_eq!(bytes.len(), total.div_ceil(8) as usize);
            let mut reader = BitReader::new(&bytes);
            for (value, count) in &fields {
                let mask = if *count == 64 { u64::MAX } else { (1u64 << count) - 1 };
                prop_assert_eq!(reader.bits(*count), value & mask);
            }
            prop_assert!(!reader.overran());
        }
    }

    #[test]
    fn reading_past_the_end_fails() {
        let mut reader = BitReader::new(&[0xff]);
        assert_eq!(reader.bits(8), 0xff);
        assert!(reader.check().is_ok());
        assert_eq!(reader.bits(1), 0, "zeros past the end");
        assert!(reader.check().is_err());
        let mut reader = BitReader::new(&[]);
        assert_eq!(reader.bits(64), 0);
        assert!(reader.overran());
    }
}
