//! Rate limits: one mechanism, many policies.
//!
//! A policy is a list of [`Rule`]s charged together: a request is admitted only if every rule
//! admits it, and then every rule is charged (all or nothing). Two kinds of rule cover every face:
//!
//! - a calendar [`Rule::Window`] (minute, UTC day, UTC month) counting requests;
//! - a [`Rule::Bucket`] that fills with the cost of each request and drains continuously, a full
//!   bucket emptying in `drain`. A token bucket with burst *b* refilling at *r* per minute is the
//!   same thing with capacity *b* and drain *b/r* minutes; the simulator's credit bucket is capacity
//!   10,000 draining in 24 hours.
//!
//! Bucket arithmetic is exact: a level is kept in units of (cost × drain nanoseconds), so leaking
//! over *dt* nanoseconds subtracts exactly `capacity × dt`. State lives in this process (the
//! embedded deployment); the faces decide which rules apply and how readings become headers.

use model::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// What a face reports as "remaining" on an unlimited window. Clients parse these headers as
/// integers, so the word "unlimited" cannot go there; a large number reads correctly everywhere.
pub const UNLIMITED_REMAINING: u64 = 999_999_999;

/// A calendar-aligned counting window, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    Minute,
    Day,
    Month,
}

impl Span {
    /// The window containing `now`: its first instant and the first instant after it.
    pub fn bounds(self, now: Timestamp) -> (Timestamp, Timestamp) {
        let secs = now.as_seconds();
        match self {
            Span::Minute => {
                let start = secs - secs.rem_euclid(60);
                (
                    Timestamp::from_seconds(start),
                    Timestamp::from_seconds(start + 60),
                )
            }
            Span::Day => {
                let start = secs - secs.rem_euclid(86_400);
                (
                    Timestamp::from_seconds(start),
                    Timestamp::from_seconds(start + 86_400),
                )
            }
            Span::Month => {
                let date = now.to_jiff().to_zoned(jiff::tz::TimeZone::UTC).date();
                let first = date.first_of_month();
                let next = first
                    .checked_add(jiff::Span::new().months(1))
                    .unwrap_or(first);
                let midnight = |d: jiff::civil::Date| {
                    d.to_zoned(jiff::tz::TimeZone::UTC)
                        .map(|z| Timestamp::from_jiff(z.timestamp()))
                        .unwrap_or(now)
                };
                (midnight(first), midnight(next))
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// At most `max` units per calendar window.
    Window { span: Span, max: u64 },
    /// At most `capacity` units in the bucket; a full bucket drains in `drain`.
    Bucket { capacity: u64, drain: Duration },
}

/// Where a subject stands against one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    pub limit: u64,
    /// Units in use, rounded up.
    pub used: u64,
    pub remaining: u64,
    /// When the window ends, or when the bucket will have drained empty.
    pub resets_at: Timestamp,
    /// Fill level in percent, rounded down.
    pub percent_used: u64,
}

/// The answer to a charge or a peek.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    /// One reading per rule, in the policy's order, after the charge if it was admitted.
    pub readings: Vec<Reading>,
    /// The first rule that refused, if any.
    pub refused_by: Option<usize>,
    /// Whole seconds until the refused request would be admitted (at least 1 when refused).
    pub retry_after_secs: u64,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Window {
        start: Timestamp,
        used: u64,
    },
    /// `level` is in cost × drain-nanoseconds.
    Bucket {
        level: u128,
        at: Timestamp,
    },
}

fn nanos(d: Duration) -> u128 {
    d.as_nanos().max(1)
}

fn ceil_div(a: u128, b: u128) -> u128 {
    a.div_ceil(b.max(1))
}

fn secs_ceil(nanos: u128) -> u64 {
    u64::try_from(ceil_div(nanos, 1_000_000_000)).unwrap_or(u64::MAX)
}

fn to_u64(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

impl Rule {
    fn fresh(&self, now: Timestamp) -> State {
        match *self {
            Rule::Window { span, .. } => State::Window {
                start: span.bounds(now).0,
                used: 0,
            },
            Rule::Bucket { .. } => State::Bucket { level: 0, at: now },
        }
    }

    /// The state brought forward to `now`: a new window resets, a bucket leaks.
    fn advance(&self, state: State, now: Timestamp) -> State {
        match (*self, state) {
            (Rule::Window { span, .. }, State::Window { start, used }) => {
                let current = span.bounds(now).0;
                if current == start {
                    State::Window { start, used }
                } else {
                    State::Window {
                        start: current,
                        used: 0,
                    }
                }
            }
            (Rule::Bucket { capacity, .. }, State::Bucket { level, at }) => {
                let elapsed = now.since(at).as_nanos();
                let leaked = u128::from(capacity).saturating_mul(elapsed);
                State::Bucket {
                    level: level.saturating_sub(leaked),
                    at: now.max(at),
                }
            }
            // The policy for this subject changed shape; start over.
            _ => self.fresh(now),
        }
    }

    /// Admits `cost` against `state` (already advanced), returning the charged state, or the
    /// nanoseconds to wait.
    fn admit(&self, state: State, cost: u64, now: Timestamp) -> Result<State, u128> {
        match (*self, state) {
            (Rule::Window { span, max }, State::Window { start, used }) => {
                if used.saturating_add(cost) <= max {
                    Ok(State::Window {
                        start,
                        used: used + cost,
                    })
                } else {
                    Err(span.bounds(now).1.since(now).as_nanos())
                }
            }
            (Rule::Bucket { capacity, drain }, State::Bucket { level, at }) => {
                let full = u128::from(capacity) * nanos(drain);
                let after = level + u128::from(cost) * nanos(drain);
                if after <= full {
                    Ok(State::Bucket { level: after, at })
                } else {
                    Err(ceil_div(after - full, u128::from(capacity)))
                }
            }
            _ => Err(0),
        }
    }

    fn reading(&self, state: State, now: Timestamp) -> Reading {
        match (*self, state) {
            (Rule::Window { span, max }, State::Window { used, .. }) => Reading {
                limit: max,
                used,
                remaining: max.saturating_sub(used),
                resets_at: span.bounds(now).1,
                percent_used: used.saturating_mul(100).checked_div(max).unwrap_or(100),
            },
            (Rule::Bucket { capacity, drain }, State::Bucket { level, .. }) => {
                let full = u128::from(capacity) * nanos(drain);
                let used = ceil_div(level, nanos(drain));
                let free = (full - level.min(full)) / nanos(drain);
                let until_empty = ceil_div(level, u128::from(capacity));
                Reading {
                    limit: capacity,
                    used: to_u64(used),
                    remaining: to_u64(free),
                    resets_at: now.plus(Duration::from_nanos(to_u64(until_empty))),
                    percent_used: to_u64(level * 100 / full.max(1)),
                }
            }
            _ => self.reading(self.fresh(now), now),
        }
    }

    fn is_idle(&self, state: State, now: Timestamp) -> bool {
        match self.advance(state, now) {
            State::Window { used, .. } => used == 0,
            State::Bucket { level, .. } => level == 0,
        }
    }
}

/// Who is being limited: a policy's name and the subject within it (a key id, a user id, an IP).
pub type Subject = (&'static str, String);

/// A subject's rules as last charged, with its state under each.
struct Entry {
    rules: Vec<Rule>,
    states: Vec<State>,
}

/// Limit state for every subject, in memory.
#[derive(Default)]
pub struct Meter {
    subjects: Mutex<HashMap<Subject, Entry>>,
}

impl Meter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Charges `cost` to `subject` under `rules`, all or nothing.
    pub fn charge(&self, subject: Subject, rules: &[Rule], cost: u64, now: Timestamp) -> Verdict {
        self.evaluate(subject, rules, Some(cost), now)
    }

    /// Reads `subject`'s standing without charging anything.
    pub fn peek(&self, subject: Subject, rules: &[Rule], now: Timestamp) -> Verdict {
        self.evaluate(subject, rules, None, now)
    }

    fn evaluate(
        &self,
        subject: Subject,
        rules: &[Rule],
        cost: Option<u64>,
        now: Timestamp,
    ) -> Verdict {
        let mut subjects = self
            .subjects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A subject whose rules changed (its plan did) starts over under the new ones.
        let stored = subjects.get(&subject).filter(|entry| entry.rules == rules);
        let current: Vec<State> = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| match stored {
                Some(entry) => rule.advance(entry.states[i], now),
                None => rule.fresh(now),
            })
            .collect();
        let Some(cost) = cost else {
            return Verdict {
                allowed: true,
                readings: readings(rules, &current, now),
                refused_by: None,
                retry_after_secs: 0,
            };
        };
        let mut charged = Vec::with_capacity(rules.len());
        let mut refused_by = None;
        let mut wait = 0u128;
        for (i, (rule, state)) in rules.iter().zip(&current).enumerate() {
            match rule.admit(*state, cost, now) {
                Ok(next) => charged.push(next),
                Err(nanos) => {
                    refused_by.get_or_insert(i);
                    wait = wait.max(nanos);
                    charged.push(*state);
                }
            }
        }
        let allowed = refused_by.is_none();
        let kept = if allowed { charged } else { current };
        let verdict = Verdict {
            allowed,
            readings: readings(rules, &kept, now),
            refused_by,
            retry_after_secs: if allowed { 0 } else { secs_ceil(wait).max(1) },
        };
        subjects.insert(
            subject,
            Entry {
                rules: rules.to_vec(),
                states: kept,
            },
        );
        verdict
    }

    /// Gives back a charge whose request turned out not to be billable (it failed).
    pub fn refund(&self, subject: Subject, rules: &[Rule], cost: u64, now: Timestamp) {
        let mut subjects = self
            .subjects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(entry) = subjects
            .get_mut(&subject)
            .filter(|entry| entry.rules == rules)
        else {
            return;
        };
        for (rule, state) in rules.iter().zip(entry.states.iter_mut()) {
            *state = match (*rule, rule.advance(*state, now)) {
                (_, State::Window { start, used }) => State::Window {
                    start,
                    used: used.saturating_sub(cost),
                },
                (Rule::Bucket { drain, .. }, State::Bucket { level, at }) => State::Bucket {
                    level: level.saturating_sub(u128::from(cost) * nanos(drain)),
                    at,
                },
                (_, other) => other,
            };
        }
    }

    /// Forgets subjects with nothing left to remember, bounding memory.
    pub fn prune(&self, now: Timestamp) {
        let mut subjects = self
            .subjects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        subjects.retain(|_, entry| {
            !entry
                .rules
                .iter()
                .zip(&entry.states)
                .all(|(rule, state)| rule.is_idle(*state, now))
        });
    }

    pub fn subject_count(&self) -> usize {
        self.subjects.lock().map(|s| s.len()).unwrap_or(0)
    }
}

fn readings(rules: &[Rule], states: &[State], now: Timestamp) -> Vec<Reading> {
    rules
        .iter()
        .zip(states)
        .map(|(rule, state)| rule.reading(*state, now))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: Timestamp = Timestamp::from_seconds(1_767_225_600); // 2026-01-01T00:00:00Z

    fn subject(name: &str) -> Subject {
        ("test", name.to_string())
    }

    fn credits() -> Vec<Rule> {
        vec![Rule::Bucket {
            capacity: 10_000,
            drain: Duration::from_secs(86_400),
        }]
    }

    #[test]
    fn windows_count_and_reset_on_calendar_boundaries() {
        let meter = Meter::new();
        let rules = [
            Rule::Window {
                span: Span::Minute,
                max: 10,
            },
            Rule::Window {
                span: Span::Day,
                max: 5_000,
            },
        ];
        let at = T0.plus(Duration::from_secs(30));
        for i in 1..=10 {
            let v = meter.charge(subject("k"), &rules, 1, at);
            assert!(v.allowed);
            assert_eq!(v.readings[0].remaining, 10 - i);
            assert_eq!(v.readings[1].remaining, 5_000 - i);
        }
        let refused = meter.charge(subject("k"), &rules, 1, at);
        assert!(!refused.allowed);
        assert_eq!(refused.refused_by, Some(0));
        assert_eq!(refused.retry_after_secs, 30);
        assert_eq!(
            refused.readings[1].remaining, 4_990,
            "a refused request costs nothing"
        );
        let next_minute = meter.charge(subject("k"), &rules, 1, T0.plus(Duration::from_secs(60)));
        assert!(next_minute.allowed);
        assert_eq!(next_minute.readings[0].remaining, 9);
        assert_eq!(next_minute.readings[1].remaining, 4_989);
    }

    #[test]
    fn month_windows_follow_the_calendar() {
        let feb = Timestamp::parse_rfc3339("2026-02-14T12:00:00Z").unwrap();
        let (start, end) = Span::Month.bounds(feb);
        assert_eq!(start.to_rfc3339(), "2026-02-01T00:00:00Z");
        assert_eq!(end.to_rfc3339(), "2026-03-01T00:00:00Z");
        let dec = Timestamp::parse_rfc3339("2026-12-31T23:59:59Z").unwrap();
        assert_eq!(
            Span::Month.bounds(dec).1.to_rfc3339(),
            "2027-01-01T00:00:00Z"
        );
    }

    #[test]
    fn credit_bucket_matches_the_documented_example() {
        // At 9,900 credits used, a 150-credit request is refused; a 100-credit one is not.
        let meter = Meter::new();
        assert!(meter.charge(subject("u"), &credits(), 9_900, T0).allowed);
        let refused = meter.charge(subject("u"), &credits(), 150, T0);
        assert!(!refused.allowed);
        assert_eq!(refused.readings[0].used, 9_900);
        // 50 credits over capacity at 10,000/86,400 per second: 432 seconds.
        assert_eq!(refused.retry_after_secs, 432);
        assert!(meter.charge(subject("u"), &credits(), 100, T0).allowed);
        assert_eq!(
            meter.peek(subject("u"), &credits(), T0).readings[0].percent_used,
            100
        );
    }

    #[test]
    fn buckets_drain_continuously() {
        let meter = Meter::new();
        meter.charge(subject("u"), &credits(), 10_000, T0);
        let half_day = meter.peek(
            subject("u"),
            &credits(),
            T0.plus(Duration::from_secs(43_200)),
        );
        assert_eq!(half_day.readings[0].used, 5_000);
        assert_eq!(half_day.readings[0].percent_used, 50);
        assert_eq!(
            half_day.readings[0].resets_at,
            T0.plus(Duration::from_secs(86_400))
        );
        let drained = meter.peek(
            subject("u"),
            &credits(),
            T0.plus(Duration::from_secs(86_400)),
        );
        assert_eq!(drained.readings[0].used, 0);
    }

    #[test]
    fn token_bucket_burst_then_steady_rate() {
        // Burst 20, 10 per minute: the /auth throttle.
        let rules = [Rule::Bucket {
            capacity: 20,
            drain: Duration::from_secs(120),
        }];
        let meter = Meter::new();
        for _ in 0..20 {
            assert!(meter.charge(subject("ip"), &rules, 1, T0).allowed);
        }
        let refused = meter.charge(subject("ip"), &rules, 1, T0);
        assert_eq!((refused.allowed, refused.retry_after_secs), (false, 6));
        assert!(
            !meter
                .charge(subject("ip"), &rules, 1, T0.plus(Duration::from_secs(5)))
                .allowed
        );
        assert!(
            meter
                .charge(subject("ip"), &rules, 1, T0.plus(Duration::from_secs(6)))
                .allowed
        );
    }

    #[test]
    fn all_rules_or_none_are_charged() {
        let rules = [
            Rule::Window {
                span: Span::Minute,
                max: 100,
            },
            Rule::Window {
                span: Span::Day,
                max: 2,
            },
        ];
        let meter = Meter::new();
        assert!(meter.charge(subject("k"), &rules, 1, T0).allowed);
        assert!(meter.charge(subject("k"), &rules, 1, T0).allowed);
        let refused = meter.charge(subject("k"), &rules, 1, T0);
        assert_eq!(refused.refused_by, Some(1));
        assert_eq!(
            refused.readings[0].remaining, 98,
            "the minute window was not charged"
        );
        assert_eq!(refused.retry_after_secs, 86_400);
    }

    #[test]
    fn refunds_give_back_exactly_the_charge() {
        let meter = Meter::new();
        meter.charge(subject("u"), &credits(), 10, T0);
        meter.charge(subject("u"), &credits(), 5, T0);
        meter.refund(subject("u"), &credits(), 5, T0);
        assert_eq!(
            meter.peek(subject("u"), &credits(), T0).readings[0].used,
            10
        );
        let window = [Rule::Window {
            span: Span::Minute,
            max: 3,
        }];
        meter.charge(subject("w"), &window, 1, T0);
        meter.refund(subject("w"), &window, 1, T0);
        meter.refund(subject("w"), &window, 1, T0);
        assert_eq!(
            meter.peek(subject("w"), &window, T0).readings[0].remaining,
            3
        );
    }

    #[test]
    fn idle_subjects_are_pruned() {
        let meter = Meter::new();
        let rules = [Rule::Window {
            span: Span::Minute,
            max: 5,
        }];
        meter.charge(subject("a"), &rules, 1, T0);
        meter.prune(T0);
        assert_eq!(meter.subject_count(), 1);
        meter.prune(T0.plus(Duration::from_secs(60)));
        assert_eq!(meter.subject_count(), 0);
    }

    proptest! {
        #[test]
        fn a_bucket_never_admits_more_than_capacity_plus_drain(
            costs in proptest::collection::vec((1u64..50, 0u64..30), 1..200)
        ) {
            let rules = [Rule::Bucket { capacity: 100, drain: Duration::from_secs(100) }];
            let meter = Meter::new();
            let mut now = T0;
            let mut admitted = 0u64;
            for (cost, gap) in &costs {
                now = now.plus(Duration::from_secs(*gap));
                if meter.charge(subject("p"), &rules, *cost, now).allowed {
                    admitted += cost;
                }
            }
            let elapsed = now.since(T0).as_secs();
            prop_assert!(admitted <= 100 + elapsed, "admitted {admitted} in {elapsed}s");
        }
    }
}
