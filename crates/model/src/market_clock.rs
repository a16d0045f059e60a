//! The market clock: what "now" is for paper trading, live mode, streams and "latest" snapshots.
//!
//! There is one source of it, chosen in configuration:
//!
//! - **`replay`** (the default): wall-clock time mapped onto the most recent recorded session, so
//!   a recorded market is open whenever the server runs. Market time advances one second per
//!   second. During New York trading hours it shows the same time of day as the wall clock
//!   (10:30 on a weekday shows 10:30 of the session); outside them it runs round the session
//!   again, counting from 09:30 of the wall clock's New York day, so the market never closes.
//!   Market time jumps back to the open at each round, and once more at New York midnight.
//! - **`fixed:<RFC 3339 instant>`**: always that instant (tests, reproducible demos).
//!
//! The mapping is a pure function of the wall-clock instant: the server reads the wall clock and
//! asks this module for market time; nothing here reads a clock itself.

use std::fmt;
use std::str::FromStr;

use crate::Timestamp;
use crate::calendar::{self, Session};

/// The configured kind of market clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClockSetting {
    #[default]
    Replay,
    Fixed(Timestamp),
}

impl fmt::Display for ClockSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockSetting::Replay => f.write_str("replay"),
            ClockSetting::Fixed(at) => write!(f, "fixed:{}", at.to_rfc3339()),
        }
    }
}

/// Why a market clock setting was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "market clock {given:?}: {reason}; use `replay` or `fixed:<RFC 3339 instant>`, e.g. `fixed:2025-01-15T15:30:00Z`"
)]
pub struct ClockSettingError {
    pub given: String,
    pub reason: String,
}

impl FromStr for ClockSetting {
    type Err = ClockSettingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| ClockSettingError {
            given: text.to_string(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("replay") {
            return Ok(ClockSetting::Replay);
        }
        match trimmed.split_once(':') {
            Some((kind, instant)) if kind.eq_ignore_ascii_case("fixed") => {
                Timestamp::parse_rfc3339(instant)
                    .map(ClockSetting::Fixed)
                    .map_err(|e| error(e.to_string()))
            }
            _ => Err(error("unknown kind of clock".into())),
        }
    }
}

/// A market clock ready to tell time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarketClock {
    /// Wall-clock time replayed on a session.
    Replay(Session),
    Fixed(Timestamp),
}

impl MarketClock {
    /// The clock for a setting. `latest` is the most recent session with market data, if any;
    /// without one, replay uses the last session before the wall clock's New York date, so that
    /// the clock still reads like a market day.
    pub fn new(setting: ClockSetting, latest: Option<Session>, wall: Timestamp) -> MarketClock {
        match setting {
            ClockSetting::Fixed(at) => MarketClock::Fixed(at),
            ClockSetting::Replay => {
                let session = latest
                    .or_else(|| calendar::previous_session(calendar::new_york_date(wall)))
                    .or_else(|| calendar::session(calendar::new_york_date(wall)));
                match session {
                    Some(session) => MarketClock::Replay(session),
                    // Outside the calendar's years there is no session to replay.
                    None => MarketClock::Fixed(wall),
                }
            }
        }
    }

    /// Market time at wall-clock instant `wall`.
    pub fn now(&self, wall: Timestamp) -> Timestamp {
        match self {
            MarketClock::Fixed(at) => *at,
            MarketClock::Replay(session) => {
                let length = session.duration().as_nanos() as i64;
                let wall_open = calendar::new_york_instant(calendar::new_york_date(wall), 9, 30, 0);
                let offset = (wall.as_nanos() - wall_open.as_nanos()).rem_euclid(length.max(1));
                Timestamp::from_nanos(session.open.as_nanos() + offset)
            }
        }
    }

    /// The session market time falls in (for `fixed`, the session of that day, if it is one).
    pub fn session(&self) -> Option<Session> {
        match self {
            MarketClock::Replay(session) => Some(*session),
            MarketClock::Fixed(at) => calendar::session(calendar::new_york_date(*at)),
        }
    }

    pub fn setting(&self) -> ClockSetting {
        match self {
            MarketClock::Replay(_) => ClockSetting::Replay,
            MarketClock::Fixed(at) => ClockSetting::Fixed(*at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn ny(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        calendar::new_york_instant(date(y, m, d), h, min, 0)
    }

    #[test]
    fn settings_parse_and_bad_ones_say_why() {
        assert_eq!(
            "replay".parse::<ClockSetting>().unwrap(),
            ClockSetting::Replay
        );
        assert_eq!(
            "fixed:2025-01-15T15:30:00Z"
                .parse::<ClockSetting>()
                .unwrap(),
            ClockSetting::Fixed(Timestamp::parse_rfc3339("2025-01-15T15:30:00Z").unwrap())
        );
        let shown = ClockSetting::Fixed(Timestamp::from_seconds(1_736_955_000)).to_string();
        assert_eq!(shown.parse::<ClockSetting>().unwrap().to_string(), shown);
        for bad in [
            "",
            "live",
            "fixed:",
            "fixed:2025-01-15 15:30",
            "fixed:2025-01-15T15:30:00",
        ] {
            let error = bad.parse::<ClockSetting>().unwrap_err().to_string();
            assert!(error.contains("replay"), "{error}");
        }
    }

    #[test]
    fn replay_follows_the_wall_clock_in_trading_hours_and_wraps_outside() {
        let session = calendar::session(date(2025, 1, 15)).unwrap();
        let clock = MarketClock::new(ClockSetting::Replay, Some(session), ny(2026, 6, 3, 12, 0));
        // 10:30 on a summer weekday (daylight time) is 10:30 of a winter session.
        assert_eq!(clock.now(ny(2026, 6, 3, 10, 30)), ny(2025, 1, 15, 10, 30));
        // 16:30 is seven hours after 09:30: half an hour into the session's second round.
        assert_eq!(clock.now(ny(2026, 6, 3, 16, 30)), ny(2025, 1, 15, 10, 0));
        // 08:00 is an hour and a half before 09:30: that far before the session's close.
        assert_eq!(clock.now(ny(2026, 6, 6, 8, 0)), ny(2025, 1, 15, 14, 30));
        // A Sunday works the same way.
        assert_eq!(clock.now(ny(2026, 6, 7, 9, 30)), session.open);
    }

    #[test]
    fn without_data_replay_uses_the_last_session_before_today() {
        let clock = MarketClock::new(ClockSetting::Replay, None, ny(2025, 1, 13, 12, 0));
        assert_eq!(clock.session().unwrap().date, date(2025, 1, 10));
        let fixed = Timestamp::parse_rfc3339("2025-01-15T15:30:00Z").unwrap();
        let clock = MarketClock::new(ClockSetting::Fixed(fixed), None, ny(2030, 1, 1, 0, 0));
        assert_eq!(clock.now(ny(2031, 5, 5, 5, 5)), fixed);
        assert_eq!(clock.session().unwrap().date, date(2025, 1, 15));
    }

    proptest! {
        #[test]
        fn replayed_time_is_always_inside_the_session_and_moves_with_the_wall_clock(
            wall in 1_600_000_000i64..2_000_000_000, step in 0i64..3_600,
        ) {
            let session = calendar::session(date(2025, 11, 28)).unwrap(); // an early close
            let clock = MarketClock::Replay(session);
            let a = clock.now(Timestamp::from_seconds(wall));
            prop_assert!(session.contains(a));
            let later = Timestamp::from_seconds(wall + step);
            let b = clock.now(later);
            // Within one New York day, one second per second, give or take whole rounds.
            if calendar::new_york_date(later) == calendar::new_york_date(Timestamp::from_seconds(wall)) {
                let length = session.duration().as_nanos() as i64;
                let drift = b.as_nanos() - a.as_nanos() - step * 1_000_000_000;
                prop_assert_eq!(drift.rem_euclid(length), 0);
            }
        }
    }
}
