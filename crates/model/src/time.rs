//! Instants and the clock.
//!
//! Inside optiontape an instant is a count of nanoseconds since the Unix epoch, UTC. Nothing in the
//! domain reads the wall clock: time comes in through [`Clock`], so tests and simulations can move
//! it at will.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// An instant, in nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

const NANOS_PER_SECOND: i64 = 1_000_000_000;

impl Timestamp {
    pub const EPOCH: Timestamp = Timestamp(0);

    pub const fn from_nanos(nanos: i64) -> Self {
        Timestamp(nanos)
    }

    pub const fn from_seconds(seconds: i64) -> Self {
        Timestamp(seconds * NANOS_PER_SECOND)
    }

    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch, rounded toward negative infinity.
    pub const fn as_seconds(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SECOND)
    }

    /// This instant moved forward by `d` (saturating at the far future).
    pub fn plus(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_add(duration_nanos(d)))
    }

    /// This instant moved back by `d` (saturating at the far past).
    pub fn minus(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_sub(duration_nanos(d)))
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        let nanos = self.0.saturating_sub(earlier.0);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
    }

    /// The same instant in jiff's representation, for calendar arithmetic and formatting.
    pub fn to_jiff(self) -> jiff::Timestamp {
        // Every i64 nanosecond count is within jiff's supported range.
        jiff::Timestamp::from_nanosecond(i128::from(self.0)).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// Converts from jiff, saturating instants outside the i64 nanosecond range (years 1677–2262).
    pub fn from_jiff(ts: jiff::Timestamp) -> Self {
        let nanos = ts.as_nanosecond();
        Timestamp(nanos.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    /// RFC 3339 in UTC with a `Z` suffix and only as many fractional digits as needed.
    pub fn to_rfc3339(self) -> String {
        self.to_jiff().to_string()
    }

    /// Parses an RFC 3339 instant; an explicit `Z` or offset is required.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampError> {
        let ts: jiff::Timestamp = text.parse().map_err(|e: jiff::Error| TimestampError {
            input: text.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Timestamp::from_jiff(ts))
    }
}

fn duration_nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp {input:?}: {reason}")]
pub struct TimestampError {
    pub input: String,
    pub reason: String,
}

/// The source of "now". Production uses the wall clock; tests and simulations use [`ManualClock`].
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// A clock that only moves when told to. Cloning shares the same instant.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicI64::new(start.as_nanos())))
    }

    pub fn set(&self, to: Timestamp) {
        self.0.store(to.as_nanos(), Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(duration_nanos(by), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_and_requires_a_zone() {
        let t = Timestamp::parse_rfc3339("2025-01-15T14:30:00Z").unwrap();
        assert_eq!(t.as_seconds(), 1_736_951_400);
        assert_eq!(t.to_rfc3339(), "2025-01-15T14:30:00Z");
        let offset = Timestamp::parse_rfc3339("2025-01-15T09:30:00-05:00").unwrap();
        assert_eq!(offset, t);
        assert!(Timestamp::parse_rfc3339("2025-01-15T14:30:00").is_err());
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let t = Timestamp::from_nanos(i64::MAX - 5);
        assert_eq!(t.plus(Duration::from_secs(1)).as_nanos(), i64::MAX);
        assert_eq!(Timestamp::EPOCH.since(t), Duration::ZERO);
        assert_eq!(Timestamp::from_seconds(-1).as_seconds(), -1);
        assert_eq!(Timestamp::from_nanos(-1).as_seconds(), -1);
    }

    #[test]
    fn manual_clock_is_shared_between_clones() {
        let a = ManualClock::new(Timestamp::from_seconds(10));
        let b = a.clone();
        a.advance(Duration::from_secs(5));
        assert_eq!(b.now(), Timestamp::from_seconds(15));
        b.set(Timestamp::EPOCH);
        assert_eq!(a.now(), Timestamp::EPOCH);
    }
}
