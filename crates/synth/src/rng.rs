//! Deterministic random numbers.
//!
//! Every random draw in the synthetic market comes from a stream named by the seed and labels
//! (an underlying, a date, a contract), so a session's data depends only on the seed and what the
//! session is, never on which other sessions were generated or in which order. The generator is
//! xoshiro256**, seeded through SplitMix64; both are simple and fast, and the same seed gives the
//! same market on every machine. A release that changes any draw (as any change to the generator
//! does) gives a different market for the same seed; docs/decisions.md says when that happened.

use crate::math::ln;
/// SplitMix64 step: a good 64-bit mixer.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes labels into a 64-bit stream key. Each part is mixed in before the next one comes, so
/// nearby seeds and nearby dates never name the same stream (XOR-ing small numbers into one
/// unmixed state let seed 1 on one day share its stream with seed 0 on another).
pub fn key(parts: &[u64]) -> u64 {
    let mut state = 0x6f70_7469_6f6e_7461; // "optionta"
    for part in parts {
        let mut mixed = state ^ *part;
        state = splitmix(&mut mixed);
    }
    state
}

/// Labels as numbers: text hashed with FNV-1a.
pub fn label(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
    spare_normal: Option<f64>,
}

impl Rng {
    /// The stream named by `parts` (a seed, then labels).
    pub fn stream(parts: &[u64]) -> Rng {
        let mut state = key(parts);
        Rng {
            s: [
                splitmix(&mut state),
                splitmix(&mut state),
                splitmix(&mut state),
                splitmix(&mut state),
            ],
            spare_normal: None,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Standard normal (Marsaglia's polar method).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = (-2.0 * ln(s) / s).sqrt();
                self.spare_normal = Some(v * factor);
                return u * factor;
            }
        }
    }

    /// Exponential with mean 1.
    pub fn exponential(&mut self) -> f64 {
        -ln(1.0 - self.uniform())
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        self.weighted_by(weights.len(), |i| weights[i])
    }

    /// An index below `n` drawn with weight `weight(i)` for index `i`.
    pub fn weighted_by(&mut self, n: usize, weight: impl Fn(usize) -> f64) -> usize {
        let total: f64 = (0..n).map(&weight).sum();
        let mut target = self.uniform() * total;
        for i in 0..n {
            let w = weight(i);
            if target < w {
                return i;
            }
            target -= w;
        }
        n - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::stream(&[42, label("SPX")]);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::stream(&[42, label("SPX")]);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        let mut other = Rng::stream(&[42, label("SPY")]);
        assert_ne!(a[0], other.next_u64());
    }

    #[test]
    fn nearby_seeds_and_days_name_different_streams() {
        let mut keys = std::collections::HashSet::new();
        for seed in 0..400u64 {
            for day in 20_230_101..20_230_400u64 {
                assert!(
                    keys.insert(key(&[seed, label("market"), day])),
                    "seed {seed} day {day} shares a stream"
                );
            }
        }
    }

    #[test]
    fn distributions_have_their_moments() {
        let mut rng = Rng::stream(&[7]);
        let n = 200_000;
        let normals: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = normals.iter().sum::<f64>() / n as f64;
        let var = normals.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
        let exponential = (0..n).map(|_| rng.exponential()).sum::<f64>() / n as f64;
        assert!((exponential - 1.0).abs() < 0.01, "{exponential}");
        let uniform = (0..n).map(|_| rng.below(10)).filter(|x| *x == 3).count() as f64 / n as f64;
        assert!((uniform - 0.1).abs() < 0.005);
    }
}
