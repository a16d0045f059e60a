//! Canonical prefix (Huffman) codes over a column's symbols.
//!
//! A column of market data is dominated by a few values (an unchanged size, a one-tick move), so
//! a code built from the chunk's own symbol counts spends about their entropy. Codes are limited
//! to [`MAX_LEN`] bits so a decoder reads any symbol with one table look-up of at most
//! `2^MAX_LEN` entries; the table is only as large as the longest code in use.

use crate::bits::{BitReader, BitWriter};
use crate::error::{CorruptKind, TapeError};

/// Longest code word.
pub const MAX_LEN: u8 = 8;

/// Code lengths for symbol counts, none longer than [`MAX_LEN`]; unused symbols get 0. A lone
/// used symbol also gets 0: it costs no bits at all.
pub fn code_lengths(counts: &[u64]) -> Vec<u8> {
    let used: Vec<usize> = (0..counts.len()).filter(|s| counts[*s] > 0).collect();
    let mut lengths = vec![0u8; counts.len()];
    if used.len() <= 1 {
        return lengths;
    }
    let mut weights: Vec<u64> = used.iter().map(|s| counts[*s]).collect();
    loop {
        let depths = huffman_depths(&weights);
        if depths.iter().all(|d| *d <= MAX_LEN) {
            for (symbol, depth) in used.iter().zip(depths) {
                lengths[*symbol] = depth;
            }
            return lengths;
        }
        // Flatten the distribution until the tree is shallow enough.
        for w in &mut weights {
            *w = (*w >> 1) | 1;
        }
    }
}

/// Depths of the leaves of a Huffman tree over `weights` (at least two), in their order.
fn huffman_depths(weights: &[u64]) -> Vec<u8> {
    let n = weights.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|i| (weights[*i], *i));
    // Nodes 0..n are the leaves in ascending weight; internal nodes follow in creation order,
    // which is also ascending weight, so two queues give the two lightest at every step.
    let mut weight: Vec<u64> = order.iter().map(|i| weights[*i]).collect();
    let mut parent = vec![0usize; 2 * n - 1];
    let (mut leaf, mut internal) = (0usize, n);
    for created in n..2 * n - 1 {
        let mut pick = || {
            let take_leaf = leaf < n && (internal >= created || weight[leaf] <= weight[internal]);
            if take_leaf {
                leaf += 1;
                leaf - 1
            } else {
                internal += 1;
                internal - 1
            }
        };
        let (a, b) = (pick(), pick());
        weight.push(weight[a].saturating_add(weight[b]));
        parent[a] = created;
        parent[b] = created;
    }
    let mut depth = vec![0u8; 2 * n - 1];
    for node in (0..2 * n - 2).rev() {
        depth[node] = depth[parent[node]].saturating_add(1);
    }
    let mut depths = vec![0u8; n];
    for (rank, original) in order.iter().enumerate() {
        depths[*original] = depth[rank];
    }
    depths
}

/// Bits spent coding `counts` with `lengths`.
pub fn cost(counts: &[u64], lengths: &[u8]) -> u64 {
    counts
        .iter()
        .zip(lengths)
        .map(|(c, l)| c * u64::from(*l))
        .sum()
}

/// Code words assigned canonically: by length, then by symbol. Calls `each(symbol, length,
/// code word)` for every symbol with a code, in symbol order. The first code word of each length
/// follows from the count of shorter ones, so no sort is needed.
fn canonical(lengths: &[u8], mut each: impl FnMut(usize, u8, u32)) -> Result<(), TapeError> {
    let bad = || TapeError::corrupt(CorruptKind::ColumnMode);
    const LENGTHS: usize = MAX_LEN as usize + 1;
    let mut per_length = [0u64; LENGTHS];
    for &length in lengths {
        *per_length.get_mut(usize::from(length)).ok_or_else(bad)? += 1;
    }
    per_length[0] = 0;
    // next[l]: the code word of the next symbol of length l.
    let mut next = [0u64; LENGTHS];
    let mut code = 0u64;
    for length in 1..LENGTHS {
        code = (code + per_length[length - 1]) << 1;
        next[length] = code;
        if code + per_length[length] > 1 << length {
            // Over-subscribed: the lengths do not form a prefix code.
            return Err(bad());
        }
    }
    for (symbol, &length) in lengths.iter().enumerate() {
        if length > 0 {
            let slot = &mut next[usize::from(length)];
            each(symbol, length, *slot as u32);
            *slot += 1;
        }
    }
    Ok(())
}

/// Writes symbols with a code built by [`code_lengths`].
pub struct Encoder {
    lengths: Vec<u8>,
    codes: Vec<u32>,
}

impl Encoder {
    pub fn new(lengths: &[u8]) -> Encoder {
        let mut codes = vec![0u32; lengths.len()];
        canonical(lengths, |symbol, _, code| codes[symbol] = code)
            .expect("lengths from code_lengths form a prefix code");
        Encoder {
            lengths: lengths.to_vec(),
            codes,
        }
    }

    #[inline]
    pub fn put(&self, writer: &mut BitWriter, symbol: usize) {
        writer.put(
            u64::from(self.codes[symbol]),
            u32::from(self.lengths[symbol]),
        );
    }
}

/// Reads symbols of a canonical code with one table look-up each.
pub struct Decoder {
    /// Bits looked at per symbol: the longest code length.
    width: u32,
    /// For every `width`-bit prefix: symbol << 8 | code length.
    table: Vec<u32>,
}

impl Decoder {
    /// A decoder for `lengths`, which come from a file and are checked: every length at most
    /// [`MAX_LEN`], and together a prefix code (a complete one, or a single symbol of length 0).
    pub fn new(lengths: &[u8]) -> Result<Decoder, TapeError> {
        let bad = || TapeError::corrupt(CorruptKind::ColumnMode);
        let width = u32::from(lengths.iter().copied().max().unwrap_or(0));
        if width > u32::from(MAX_LEN) || lengths.len() > 1 << 16 {
            return Err(bad());
        }
        let used = lengths.iter().filter(|l| **l > 0).count();
        if used == 0 {
            // Only a single symbol: it is the one with length 0, and there must be just one.
            return if lengths.len() == 1 {
                Ok(Decoder {
                    width: 0,
                    table: vec![0],
                })
            } else {
                Err(bad())
            };
        }
        if used != lengths.len() {
            // Every listed symbol is used, so none has an empty code.
            return Err(bad());
        }
        let mut table = vec![u32::MAX; 1 << width];
        canonical(lengths, |symbol, length, code| {
            let shift = width - u32::from(length);
            let first = (code as usize) << shift;
            let entry = ((symbol as u32) << 8) | u32::from(length);
            table[first..first + (1 << shift)].fill(entry);
        })?;
        if table.contains(&u32::MAX) {
            // Incomplete codes are never written; a hole means damage.
            return Err(bad());
        }
        Ok(Decoder { width, table })
    }

    /// The next symbol (reading past the end yields symbols too: see [`BitReader::check`]).
    #[inline]
    pub fn get(&self, reader: &mut BitReader<'_>) -> usize {
        let entry = self.table[reader.peek(self.width) as usize];
        reader.consume(entry & 0xff);
        (entry >> 8) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_lone_symbol_costs_nothing() {
        let lengths = code_lengths(&[0, 7, 0]);
        assert_eq!(lengths, vec![0, 0, 0]);
        assert_eq!(cost(&[0, 7, 0], &lengths), 0);
    }

    #[test]
    fn skewed_counts_get_short_codes_for_common_symbols() {
        let counts = [1000, 10, 10, 5, 1];
        let lengths = code_lengths(&counts);
        assert_eq!(lengths[0], 1);
        assert!(lengths[4] >= lengths[1]);
    }

    #[test]
    fn deep_trees_are_limited() {
        // Fibonacci weights make the deepest possible Huffman tree.
        let mut counts = vec![1u64, 1];
        while counts.len() < 40 {
            let next = counts[counts.len() - 1] + counts[counts.len() - 2];
            counts.push(next);
        }
        let lengths = code_lengths(&counts);
        assert!(lengths.iter().all(|l| *l <= MAX_LEN && *l > 0));
        assert!(Decoder::new(&lengths).is_ok());
    }

    #[test]
    fn damaged_lengths_are_refused() {
        assert!(Decoder::new(&[1, 1, 1]).is_err(), "over-subscribed");
        assert!(Decoder::new(&[2, 2, 2]).is_err(), "incomplete");
        assert!(Decoder::new(&[13, 13]).is_err(), "too long");
        assert!(Decoder::new(&[0, 0]).is_err(), "two lone symbols");
        assert!(Decoder::new(&[1, 0, 1]).is_err(), "an unused symbol listed");
    }

    proptest! {
        #[test]
        fn symbols_round_trip(symbols in proptest::collection::vec(0usize..40, 1..500)) {
            let mut counts = vec![0u64; 40];
            for s in &symbols {
                counts[*s] += 1;
            }
            // Only used symbols are listed, as in a column.
            let used: Vec<usize> = (0..40).filter(|s| counts[*s] > 0).collect();
            let counts: Vec<u64> = used.iter().map(|s| counts[*s]).collect();
            let symbols: Vec<usize> = symbols.iter().map(|s| used.binary_search(s).unwrap()).collect();
            let lengths = code_lengths(&counts);
            let encoder = Encoder::new(&lengths);
            let mut writer = BitWriter::default();
            for s in &symbols {
                encoder.put(&mut writer, *s);
            }
            let bytes = writer.finish();
            prop_assert_eq!(bytes.len() as u64, cost(&counts, &lengths).div_ceil(8));
            let decoder = Decoder::new(&lengths).unwrap();
            let mut reader = BitReader::new(&bytes);
            for s in &symbols {
                prop_assert_eq!(decoder.get(&mut reader), *s);
            }
        }
    }
}
