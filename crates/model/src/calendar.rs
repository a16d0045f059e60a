//! The NYSE / U.S. options exchange calendar, in America/New_York.
//!
//! Sessions, closures and 13:00 early closes for 2000 through 2099. The years 2020–2027 come from
//! a data table copied from the exchanges' published calendars (spec C.5, C.6), because special
//! closures such as the 2025-01-09 national day of mourning cannot be derived from rules. Other
//! years are generated from the standing NYSE rules, corrected by a short list of known special
//! closures and irregular early closes before 2020. Outside the supported years there are no
//! sessions at all: guessing would be worse than saying "unknown".
//!
//! Every wall-clock conversion goes through the bundled tz database, never a fixed offset.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Duration;

use jiff::SignedDuration;
use jiff::civil::{Date, Time, Weekday, date};
use jiff::tz::TimeZone;

use crate::time::Timestamp;

/// First calendar year with sessions.
pub const FIRST_YEAR: i16 = 2000;
/// Last calendar year with sessions.
pub const LAST_YEAR: i16 = 2099;

const FIRST_DAY: Date = date(FIRST_YEAR, 1, 1);
const LAST_DAY: Date = date(LAST_YEAR, 12, 31);

/// Grace after the equity close during which index and broad-ETF options keep trading.
const OPTIONS_EXTENSION: Duration = Duration::from_secs(15 * 60);

/// One trading day: the regular session of the stock and options markets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Session {
    pub date: Date,
    /// 09:30 New York, as a UTC instant.
    pub open: Timestamp,
    /// 16:00 New York, or 13:00 on early-close days.
    pub close: Timestamp,
    pub early_close: bool,
}

impl Session {
    fn on(date: Date, early_close: bool) -> Session {
        let close_hour = if early_close { 13 } else { 16 };
        Session {
            date,
            open: new_york_instant(date, 9, 30, 0),
            close: new_york_instant(date, close_hour, 0, 0),
            early_close,
        }
    }

    /// The close for index and broad-ETF options (SPX, SPXW, XSP, NDX, RUT, SPY, QQQ, IWM):
    /// fifteen minutes after the equity close, so 16:15 or 13:15 on early closes.
    pub fn extended_options_close(&self) -> Timestamp {
        self.close.plus(OPTIONS_EXTENSION)
    }

    /// Whether `t` falls in the regular session: `open <= t < close`.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.open <= t && t < self.close
    }

    /// Length of the regular session: 6.5 hours, or 3.5 hours on early closes.
    pub fn duration(&self) -> Duration {
        self.close.since(self.open)
    }
}

/// The session on `date`, or `None` on weekends, closures and dates outside
/// [`FIRST_YEAR`]..=[`LAST_YEAR`].
pub fn session(date: Date) -> Option<Session> {
    if !(FIRST_DAY..=LAST_DAY).contains(&date) || is_weekend(date) {
        return None;
    }
    let cal = calendar();
    if cal.closures.contains_key(&date) {
        return None;
    }
    Some(Session::on(date, cal.early_closes.contains(&date)))
}

/// Whether the markets hold a regular session on `date`.
pub fn is_trading_day(date: Date) -> bool {
    session(date).is_some()
}

/// The first session strictly after `after`.
pub fn next_session(after: Date) -> Option<Session> {
    if after >= LAST_DAY {
        return None;
    }
    let mut day = if after < FIRST_DAY {
        FIRST_DAY
    } else {
        after.tomorrow().ok()?
    };
    while day <= LAST_DAY {
        if let Some(s) = session(day) {
            return Some(s);
        }
        day = day.tomorrow().ok()?;
    }
    None
}

/// The last session strictly before `before`.
pub fn previous_session(before: Date) -> Option<Session> {
    if before <= FIRST_DAY {
        return None;
    }
    let mut day = if before > LAST_DAY {
        LAST_DAY
    } else {
        before.yesterday().ok()?
    };
    while day >= FIRST_DAY {
        if let Some(s) = session(day) {
            return Some(s);
        }
        day = day.yesterday().ok()?;
    }
    None
}

/// Every session from `from` through `to`, both inclusive, in date order.
pub fn sessions(from: Date, to: Date) -> impl Iterator<Item = Session> {
    let start = from.max(FIRST_DAY);
    let end = to.min(LAST_DAY);
    std::iter::successors(Some(start), |d| d.tomorrow().ok())
        .take_while(move |d| *d <= end)
        .filter_map(session)
}

/// The name of the closure on `date` (`"Good Friday"`, `"Christmas Day"`), or `None` when the
/// markets are open, it is a weekend, or the date is outside the supported years. Observed
/// holidays carry the holiday's own name.
pub fn holiday(date: Date) -> Option<&'static str> {
    calendar().closures.get(&date).copied()
}

/// The calendar date in New York at instant `t`.
pub fn new_york_date(t: Timestamp) -> Date {
    new_york().to_datetime(t.to_jiff()).date()
}

/// Milliseconds after local midnight in New York at `t`, as the wall clock reads (09:30 is
/// always 34,200,000, even on the Sundays when the clocks change).
pub fn ms_of_day(t: Timestamp) -> u32 {
    let time = new_york().to_datetime(t.to_jiff()).time();
    let ms = i64::from(time.hour()) * 3_600_000
        + i64::from(time.minute()) * 60_000
        + i64::from(time.second()) * 1_000
        + i64::from(time.subsec_nanosecond()) / 1_000_000;
    // A wall-clock reading is always within 0..86_400_000.
    u32::try_from(ms).unwrap_or(0)
}

/// The instant at which New York's wall clock reads `hour:minute:second` on `date`.
///
/// Fields outside their usual ranges carry over (`24:00:00` is the next midnight). In the hour
/// skipped when daylight saving starts the later offset applies; in the hour repeated when it
/// ends, the first occurrence is chosen (the tz database's "compatible" rule). Markets are closed
/// at both times.
pub fn new_york_instant(date: Date, hour: i8, minute: i8, second: i8) -> Timestamp {
    let seconds = i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second);
    let wall = date
        .to_datetime(Time::midnight())
        .checked_add(SignedDuration::from_secs(seconds));
    match wall.and_then(|dt| new_york().to_ambiguous_timestamp(dt).compatible()) {
        Ok(ts) => Timestamp::from_jiff(ts),
        // Only reachable at the ends of jiff's supported range (years -9999 and 9999).
        Err(_) if date.year() < 1970 => Timestamp::from_nanos(i64::MIN),
        Err(_) => Timestamp::from_nanos(i64::MAX),
    }
}

/// America/New_York from the bundled tz database, loaded once.
pub fn new_york() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(|| {
        TimeZone::get("America/New_York")
            .expect("jiff is built with tzdb-bundle-always, which includes America/New_York")
    })
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

// ---------------------------------------------------------------------------------------------
// The calendar: data table, rules, overrides.

const NEW_YEARS_DAY: &str = "New Year's Day";
const MARTIN_LUTHER_KING_DAY: &str = "Martin Luther King Jr. Day";
const WASHINGTONS_BIRTHDAY: &str = "Washington's Birthday";
const GOOD_FRIDAY: &str = "Good Friday";
const MEMORIAL_DAY: &str = "Memorial Day";
const JUNETEENTH: &str = "Juneteenth";
const INDEPENDENCE_DAY: &str = "Independence Day";
const LABOR_DAY: &str = "Labor Day";
const THANKSGIVING_DAY: &str = "Thanksgiving Day";
const CHRISTMAS_DAY: &str = "Christmas Day";

/// Years whose closures and early closes come from [`TABLE_CLOSURES`] and
/// [`TABLE_EARLY_CLOSES`] rather than from the rules.
const TABLE_YEARS: std::ops::RangeInclusive<i16> = 2020..=2027;

/// Full-day closures 2020–2027 as published (spec C.5).
const TABLE_CLOSURES: &[(Date, &str)] = &[
    // 2020
    (date(2020, 1, 1), NEW_YEARS_DAY),
    (date(2020, 1, 20), MARTIN_LUTHER_KING_DAY),
    (date(2020, 2, 17), WASHINGTONS_BIRTHDAY),
    (date(2020, 4, 10), GOOD_FRIDAY),
    (date(2020, 5, 25), MEMORIAL_DAY),
    (date(2020, 7, 3), INDEPENDENCE_DAY),
    (date(2020, 9, 7), LABOR_DAY),
    (date(2020, 11, 26), THANKSGIVING_DAY),
    (date(2020, 12, 25), CHRISTMAS_DAY),
    // 2021
    (date(2021, 1, 1), NEW_YEARS_DAY),
    (date(2021, 1, 18), MARTIN_LUTHER_KING_DAY),
    (date(2021, 2, 15), WASHINGTONS_BIRTHDAY),
    (date(2021, 4, 2), GOOD_FRIDAY),
    (date(2021, 5, 31), MEMORIAL_DAY),
    (date(2021, 7, 5), INDEPENDENCE_DAY),
    (date(2021, 9, 6), LABOR_DAY),
    (date(2021, 11, 25), THANKSGIVING_DAY),
    (date(2021, 12, 24), CHRISTMAS_DAY),
    // 2022 (New Year's Day fell on a Saturday and was not observed)
    (date(2022, 1, 17), MARTIN_LUTHER_KING_DAY),
    (date(2022, 2, 21), WASHINGTONS_BIRTHDAY),
    (date(2022, 4, 15), GOOD_FRIDAY),
    (date(2022, 5, 30), MEMORIAL_DAY),
    (date(2022, 6, 20), JUNETEENTH),
    (date(2022, 7, 4), INDEPENDENCE_DAY),
    (date(2022, 9, 5), LABOR_DAY),
    (date(2022, 11, 24), THANKSGIVING_DAY),
    (date(2022, 12, 26), CHRISTMAS_DAY),
    // 2023
    (date(2023, 1, 2), NEW_YEARS_DAY),
    (date(2023, 1, 16), MARTIN_LUTHER_KING_DAY),
    (date(2023, 2, 20), WASHINGTONS_BIRTHDAY),
    (date(2023, 4, 7), GOOD_FRIDAY),
    (date(2023, 5, 29), MEMORIAL_DAY),
    (date(2023, 6, 19), JUNETEENTH),
    (date(2023, 7, 4), INDEPENDENCE_DAY),
    (date(2023, 9, 4), LABOR_DAY),
    (date(2023, 11, 23), THANKSGIVING_DAY),
    (date(2023, 12, 25), CHRISTMAS_DAY),
    // 2024
    (date(2024, 1, 1), NEW_YEARS_DAY),
    (date(2024, 1, 15), MARTIN_LUTHER_KING_DAY),
    (date(2024, 2, 19), WASHINGTONS_BIRTHDAY),
    (date(2024, 3, 29), GOOD_FRIDAY),
    (date(2024, 5, 27), MEMORIAL_DAY),
    (date(2024, 6, 19), JUNETEENTH),
    (date(2024, 7, 4), INDEPENDENCE_DAY),
    (date(2024, 9, 2), LABOR_DAY),
    (date(2024, 11, 28), THANKSGIVING_DAY),
    (date(2024, 12, 25), CHRISTMAS_DAY),
    // 2025
    (date(2025, 1, 1), NEW_YEARS_DAY),
    (date(2025, 1, 9), NATIONAL_DAY_OF_MOURNING_CARTER),
    (date(2025, 1, 20), MARTIN_LUTHER_KING_DAY),
    (date(2025, 2, 17), WASHINGTONS_BIRTHDAY),
    (date(2025, 4, 18), GOOD_FRIDAY),
    (date(2025, 5, 26), MEMORIAL_DAY),
    (date(2025, 6, 19), JUNETEENTH),
    (date(2025, 7, 4), INDEPENDENCE_DAY),
    (date(2025, 9, 1), LABOR_DAY),
    (date(2025, 11, 27), THANKSGIVING_DAY),
    (date(2025, 12, 25), CHRISTMAS_DAY),
    // 2026
    (date(2026, 1, 1), NEW_YEARS_DAY),
    (date(2026, 1, 19), MARTIN_LUTHER_KING_DAY),
    (date(2026, 2, 16), WASHINGTONS_BIRTHDAY),
    (date(2026, 4, 3), GOOD_FRIDAY),
    (date(2026, 5, 25), MEMORIAL_DAY),
    (date(2026, 6, 19), JUNETEENTH),
    (date(2026, 7, 3), INDEPENDENCE_DAY),
    (date(2026, 9, 7), LABOR_DAY),
    (date(2026, 11, 26), THANKSGIVING_DAY),
    (date(2026, 12, 25), CHRISTMAS_DAY),
    // 2027
    (date(2027, 1, 1), NEW_YEARS_DAY),
    (date(2027, 1, 18), MARTIN_LUTHER_KING_DAY),
    (date(2027, 2, 15), WASHINGTONS_BIRTHDAY),
    (date(2027, 3, 26), GOOD_FRIDAY),
    (date(2027, 5, 31), MEMORIAL_DAY),
    (date(2027, 6, 18), JUNETEENTH),
    (date(2027, 7, 5), INDEPENDENCE_DAY),
    (date(2027, 9, 6), LABOR_DAY),
    (date(2027, 11, 25), THANKSGIVING_DAY),
    (date(2027, 12, 24), CHRISTMAS_DAY),
];

/// 13:00 early closes 2020–2027 as published (spec C.6).
const TABLE_EARLY_CLOSES: &[Date] = &[
    date(2020, 11, 27),
    date(2020, 12, 24),
    date(2021, 11, 26),
    date(2022, 11, 25),
    date(2023, 7, 3),
    date(2023, 11, 24),
    date(2024, 7, 3),
    date(2024, 11, 29),
    date(2024, 12, 24),
    date(2025, 7, 3),
    date(2025, 11, 28),
    date(2025, 12, 24),
    date(2026, 11, 27),
    date(2026, 12, 24),
    date(2027, 11, 26),
];

const NATIONAL_DAY_OF_MOURNING_CARTER: &str = "National Day of Mourning (President Carter)";

/// Unscheduled closures in rule-generated years (the table years carry their own).
const SPECIAL_CLOSURES: &[(Date, &str)] = &[
    (date(2001, 9, 11), "September 11 attacks"),
    (date(2001, 9, 12), "September 11 attacks"),
    (date(2001, 9, 13), "September 11 attacks"),
    (date(2001, 9, 14), "September 11 attacks"),
    (
        date(2004, 6, 11),
        "National Day of Mourning (President Reagan)",
    ),
    (
        date(2007, 1, 2),
        "National Day of Mourning (President Ford)",
    ),
    (date(2012, 10, 29), "Hurricane Sandy"),
    (date(2012, 10, 30), "Hurricane Sandy"),
    (
        date(2018, 12, 5),
        "National Day of Mourning (President George H. W. Bush)",
    ),
];

/// Early closes the rules miss: before 2013 a Thursday Independence Day gave an early close on
/// Friday July 5 instead of Wednesday July 3; 2003 also closed early on December 26.
const SPECIAL_EARLY_CLOSES: &[Date] = &[date(2002, 7, 5), date(2003, 12, 26)];

/// Early closes the rules would produce but that did not happen (see [`SPECIAL_EARLY_CLOSES`]).
const SKIPPED_EARLY_CLOSES: &[Date] = &[date(2002, 7, 3)];

struct Calendar {
    closures: BTreeMap<Date, &'static str>,
    early_closes: BTreeSet<Date>,
}

fn calendar() -> &'static Calendar {
    static CALENDAR: OnceLock<Calendar> = OnceLock::new();
    CALENDAR.get_or_init(build_calendar)
}

fn build_calendar() -> Calendar {
    let mut closures: BTreeMap<Date, &'static str> = TABLE_CLOSURES.iter().copied().collect();
    let mut early_closes: BTreeSet<Date> = TABLE_EARLY_CLOSES.iter().copied().collect();
    for year in (FIRST_YEAR..=LAST_YEAR).filter(|y| !TABLE_YEARS.contains(y)) {
        let year_closures = rule_closures(year);
        early_closes.extend(rule_early_closes(year, &year_closures));
        closures.extend(year_closures);
    }
    closures.extend(SPECIAL_CLOSURES.iter().copied());
    early_closes.extend(SPECIAL_EARLY_CLOSES.iter().copied());
    for skipped in SKIPPED_EARLY_CLOSES {
        early_closes.remove(skipped);
    }
    Calendar {
        closures,
        early_closes,
    }
}

/// The standing NYSE holidays of `year`, moved to their observed weekdays.
fn rule_closures(year: i16) -> BTreeMap<Date, &'static str> {
    let nth = |month: i8, n: i8, weekday: Weekday| {
        date(year, month, 1).nth_weekday_of_month(n, weekday).ok()
    };
    let fixed = |month: i8, day: i8| Date::new(year, month, day).ok();

    let mut closures = BTreeMap::new();
    // New Year's Day on a Saturday is not observed: the Friday before belongs to the old year's
    // books and stays open.
    if let Some(new_year) = fixed(1, 1).filter(|d| d.weekday() != Weekday::Saturday) {
        add_observed(&mut closures, new_year, NEW_YEARS_DAY);
    }
    let floating = [
        (nth(1, 3, Weekday::Monday), MARTIN_LUTHER_KING_DAY),
        (nth(2, 3, Weekday::Monday), WASHINGTONS_BIRTHDAY),
        (
            easter_sunday(year).and_then(|e| e.yesterday().ok()?.yesterday().ok()),
            GOOD_FRIDAY,
        ),
        (nth(5, -1, Weekday::Monday), MEMORIAL_DAY),
        (nth(9, 1, Weekday::Monday), LABOR_DAY),
        (nth(11, 4, Weekday::Thursday), THANKSGIVING_DAY),
    ];
    for (day, name) in floating {
        if let Some(day) = day {
            closures.insert(day, name);
        }
    }
    if year >= 2022
        && let Some(juneteenth) = fixed(6, 19)
    {
        add_observed(&mut closures, juneteenth, JUNETEENTH);
    }
    for (day, name) in [
        (fixed(7, 4), INDEPENDENCE_DAY),
        (fixed(12, 25), CHRISTMAS_DAY),
    ] {
        if let Some(day) = day {
            add_observed(&mut closures, day, name);
        }
    }
    closures
}

/// Saturday holidays are observed on Friday, Sunday holidays on Monday.
fn add_observed(closures: &mut BTreeMap<Date, &'static str>, day: Date, name: &'static str) {
    let observed = match day.weekday() {
        Weekday::Saturday => day.yesterday().ok(),
        Weekday::Sunday => day.tomorrow().ok(),
        _ => Some(day),
    };
    if let Some(observed) = observed {
        closures.insert(observed, name);
    }
}

/// The standing 13:00 early closes of `year`: the day after Thanksgiving, and July 3 and
/// December 24 when they are weekdays that are not themselves closures.
fn rule_early_closes(year: i16, closures: &BTreeMap<Date, &'static str>) -> Vec<Date> {
    let open_weekday = |d: &Date| !is_weekend(*d) && !closures.contains_key(d);
    let day_after_thanksgiving = date(year, 11, 1)
        .nth_weekday_of_month(4, Weekday::Thursday)
        .ok()
        .and_then(|d| d.tomorrow().ok());
    [
        Date::new(year, 7, 3).ok(),
        day_after_thanksgiving,
        Date::new(year, 12, 24).ok(),
    ]
    .into_iter()
    .flatten()
    .filter(open_weekday)
    .collect()
}

/// Easter Sunday in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" computus).
fn easter_sunday(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: Duration = Duration::from_secs(3_600);

    fn utc(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn every_published_closure_is_closed_and_named() {
        let expected: &[(i16, i8, i8)] = &[
            (2020, 1, 1),
            (2020, 1, 20),
            (2020, 2, 17),
            (2020, 4, 10),
            (2020, 5, 25),
            (2020, 7, 3),
            (2020, 9, 7),
            (2020, 11, 26),
            (2020, 12, 25),
            (2021, 1, 1),
            (2021, 1, 18),
            (2021, 2, 15),
            (2021, 4, 2),
            (2021, 5, 31),
            (2021, 7, 5),
            (2021, 9, 6),
            (2021, 11, 25),
            (2021, 12, 24),
            (2022, 1, 17),
            (2022, 2, 21),
            (2022, 4, 15),
            (2022, 5, 30),
            (2022, 6, 20),
            (2022, 7, 4),
            (2022, 9, 5),
            (2022, 11, 24),
            (2022, 12, 26),
            (2023, 1, 2),
            (2023, 1, 16),
            (2023, 2, 20),
            (2023, 4, 7),
            (2023, 5, 29),
            (2023, 6, 19),
            (2023, 7, 4),
            (2023, 9, 4),
            (2023, 11, 23),
            (2023, 12, 25),
            (2024, 1, 1),
            (2024, 1, 15),
            (2024, 2, 19),
            (2024, 3, 29),
            (2024, 5, 27),
            (2024, 6, 19),
            (2024, 7, 4),
            (2024, 9, 2),
            (2024, 11, 28),
            (2024, 12, 25),
            (2025, 1, 1),
            (2025, 1, 9),
            (2025, 1, 20),
            (2025, 2, 17),
            (2025, 4, 18),
            (2025, 5, 26),
            (2025, 6, 19),
            (2025, 7, 4),
            (2025, 9, 1),
            (2025, 11, 27),
            (2025, 12, 25),
            (2026, 1, 1),
            (2026, 1, 19),
            (2026, 2, 16),
            (2026, 4, 3),
            (2026, 5, 25),
            (2026, 6, 19),
            (2026, 7, 3),
            (2026, 9, 7),
            (2026, 11, 26),
            (2026, 12, 25),
            (2027, 1, 1),
            (2027, 1, 18),
            (2027, 2, 15),
            (2027, 3, 26),
            (2027, 5, 31),
            (2027, 6, 18),
            (2027, 7, 5),
            (2027, 9, 6),
            (2027, 11, 25),
            (2027, 12, 24),
        ];
        for &(y, m, d) in expected {
            let day = date(y, m, d);
            assert!(!is_trading_day(day), "{day} should be closed");
            assert!(holiday(day).is_some(), "{day} should be named");
            assert!(!is_weekend(day), "{day} is listed but is a weekend");
        }
        let closed_weekdays = sessions_closed_on_weekdays(date(2020, 1, 1), date(2027, 12, 31));
        assert_eq!(closed_weekdays, expected.len());
        assert_eq!(
            holiday(date(2025, 1, 9)),
            Some("National Day of Mourning (President Carter)")
        );
        assert_eq!(holiday(date(2021, 12, 24)), Some("Christmas Day"));
        assert_eq!(holiday(date(2025, 4, 18)), Some("Good Friday"));
        assert_eq!(holiday(date(2025, 4, 17)), None);
    }

    fn sessions_closed_on_weekdays(from: Date, to: Date) -> usize {
        std::iter::successors(Some(from), |d| d.tomorrow().ok())
            .take_while(|d| *d <= to)
            .filter(|d| !is_weekend(*d) && !is_trading_day(*d))
            .count()
    }

    #[test]
    fn unobserved_and_absent_holidays_are_trading_days() {
        // New Year's Day 2022 fell on a Saturday; the Friday before was a normal session.
        assert!(is_trading_day(date(2021, 12, 31)));
        // Juneteenth 2021 fell on a Saturday before the market observed it.
        assert!(is_trading_day(date(2021, 6, 18)));
        // New Year's Day 2028 falls on a Saturday too.
        assert!(is_trading_day(date(2027, 12, 31)));
    }

    #[test]
    fn every_published_early_close_closes_at_one() {
        let expected: &[(i16, i8, i8)] = &[
            (2020, 11, 27),
            (2020, 12, 24),
            (2021, 11, 26),
            (2022, 11, 25),
            (2023, 7, 3),
            (2023, 11, 24),
            (2024, 7, 3),
            (2024, 11, 29),
            (2024, 12, 24),
            (2025, 7, 3),
            (2025, 11, 28),
            (2025, 12, 24),
            (2026, 11, 27),
            (2026, 12, 24),
            (2027, 11, 26),
        ];
        for &(y, m, d) in expected {
            let s = session(date(y, m, d)).unwrap();
            assert!(s.early_close, "{} should close early", s.date);
            assert_eq!(ms_of_day(s.close), 46_800_000);
            assert_eq!(ms_of_day(s.extended_options_close()), 47_700_000);
            assert_eq!(s.duration(), Duration::from_secs(3 * 3_600 + 1_800));
        }
        let early = sessions(date(2020, 1, 1), date(2027, 12, 31))
            .filter(|s| s.early_close)
            .count();
        assert_eq!(early, expected.len());
    }

    #[test]
    fn trading_day_counts_per_year() {
        let expected = [
            (2020, 253),
            (2021, 252),
            (2022, 251),
            (2023, 250),
            (2024, 252),
            (2025, 250),
            (2026, 251),
            (2027, 251),
        ];
        for (year, count) in expected {
            let n = sessions(date(year, 1, 1), date(year, 12, 31)).count();
            assert_eq!(n, count, "{year}");
        }
    }

    #[test]
    fn rule_generated_years_match_history() {
        // NYSE trading-day counts 2000-2019, including 9/11 (2001), Reagan (2004), Ford (2007),
        // Hurricane Sandy (2012) and George H. W. Bush (2018).
        let expected = [
            252, 248, 252, 252, 252, 252, 251, 251, 253, 252, 252, 252, 250, 252, 252, 252, 252,
            251, 251, 252,
        ];
        for (year, count) in (2000..).zip(expected) {
            let n = sessions(date(year, 1, 1), date(year, 12, 31)).count();
            assert_eq!(n, count, "{year}");
        }
    }

    #[test]
    fn rules_reproduce_the_published_table() {
        for year in TABLE_YEARS {
            let from_table: BTreeMap<Date, &str> = TABLE_CLOSURES
                .iter()
                .copied()
                .filter(|(d, name)| d.year() == year && *name != NATIONAL_DAY_OF_MOURNING_CARTER)
                .collect();
            let from_rules = rule_closures(year);
            assert_eq!(from_rules, from_table, "closures {year}");

            let early_table: Vec<Date> = TABLE_EARLY_CLOSES
                .iter()
                .copied()
                .filter(|d| d.year() == year)
                .collect();
            assert_eq!(
                rule_early_closes(year, &from_rules),
                early_table,
                "early closes {year}"
            );
        }
    }

    #[test]
    fn rule_years_follow_the_observance_rules() {
        // 2028: New Year's Day on a Saturday (not observed), Juneteenth on a Monday, Christmas on
        // a Monday; 2032: Independence Day on a Sunday, observed Monday.
        assert!(is_trading_day(date(2027, 12, 31)));
        assert_eq!(holiday(date(2028, 4, 14)), Some(GOOD_FRIDAY));
        assert_eq!(holiday(date(2028, 6, 19)), Some(JUNETEENTH));
        assert_eq!(holiday(date(2028, 12, 25)), Some(CHRISTMAS_DAY));
        assert_eq!(holiday(date(2032, 7, 5)), Some(INDEPENDENCE_DAY));
        assert!(session(date(2028, 11, 24)).unwrap().early_close);
        assert!(session(date(2028, 7, 3)).unwrap().early_close);
        // Juneteenth was not a market holiday before 2022.
        assert!(is_trading_day(date(2019, 6, 19)));
        // Special closures before 2020.
        assert_eq!(holiday(date(2012, 10, 29)), Some("Hurricane Sandy"));
        assert!(!is_trading_day(date(2001, 9, 11)));
        assert!(is_trading_day(date(2001, 9, 17)));
        assert!(session(date(2002, 7, 5)).unwrap().early_close);
        assert!(!session(date(2002, 7, 3)).unwrap().early_close);
        assert_eq!(
            easter_sunday(2000),
            Some(date(2000, 4, 23)),
            "Gregorian Easter 2000"
        );
        assert_eq!(easter_sunday(2038), Some(date(2038, 4, 25)));
        assert_eq!(easter_sunday(2099), Some(date(2099, 4, 12)));
    }

    #[test]
    fn outside_the_supported_years_there_are_no_sessions() {
        assert_eq!(session(date(1999, 12, 30)), None);
        assert_eq!(session(date(2100, 1, 4)), None);
        assert_eq!(next_session(date(2099, 12, 31)), None);
        assert_eq!(previous_session(date(2000, 1, 3)), None);
        assert_eq!(
            next_session(date(1990, 6, 1)).unwrap().date,
            date(2000, 1, 3)
        );
        assert_eq!(
            previous_session(date(2150, 1, 1)).unwrap().date,
            date(2099, 12, 31)
        );
        assert_eq!(next_session(Date::MAX), None);
        assert_eq!(previous_session(Date::MIN), None);
        assert_eq!(sessions(Date::MIN, Date::MAX).count(), {
            (FIRST_YEAR..=LAST_YEAR)
                .map(|y| sessions(date(y, 1, 1), date(y, 12, 31)).count())
                .sum::<usize>()
        });
        assert_eq!(sessions(date(2025, 1, 10), date(2025, 1, 9)).count(), 0);
    }

    #[test]
    fn open_follows_daylight_saving() {
        // (last session before the change, first session after, UTC hour of the open before,
        // after), spec C.4.
        type Ymd = (i16, i8, i8);
        let changes: &[(Ymd, Ymd, &str, &str)] = &[
            ((2020, 3, 6), (2020, 3, 9), "14:30", "13:30"),
            ((2020, 10, 30), (2020, 11, 2), "13:30", "14:30"),
            ((2021, 3, 12), (2021, 3, 15), "14:30", "13:30"),
            ((2021, 11, 5), (2021, 11, 8), "13:30", "14:30"),
            ((2022, 3, 11), (2022, 3, 14), "14:30", "13:30"),
            ((2022, 11, 4), (2022, 11, 7), "13:30", "14:30"),
            ((2023, 3, 10), (2023, 3, 13), "14:30", "13:30"),
            ((2023, 11, 3), (2023, 11, 6), "13:30", "14:30"),
            ((2024, 3, 8), (2024, 3, 11), "14:30", "13:30"),
            ((2024, 11, 1), (2024, 11, 4), "13:30", "14:30"),
            ((2025, 3, 7), (2025, 3, 10), "14:30", "13:30"),
            ((2025, 10, 31), (2025, 11, 3), "13:30", "14:30"),
            ((2026, 3, 6), (2026, 3, 9), "14:30", "13:30"),
            ((2026, 10, 30), (2026, 11, 2), "13:30", "14:30"),
            ((2027, 3, 12), (2027, 3, 15), "14:30", "13:30"),
            ((2027, 11, 5), (2027, 11, 8), "13:30", "14:30"),
        ];
        for &(before, after, open_before, open_after) in changes {
            for ((y, m, d), hm) in [(before, open_before), (after, open_after)] {
                let s = session(date(y, m, d)).unwrap();
                let expected = utc(&format!("{}T{hm}:00Z", s.date));
                assert_eq!(s.open, expected, "open on {}", s.date);
                assert_eq!(s.close, expected.plus(Duration::from_secs(23_400)));
                assert_eq!(s.duration(), Duration::from_secs(6 * 3_600 + 1_800));
                assert_eq!(ms_of_day(s.open), 34_200_000);
                assert_eq!(ms_of_day(s.close), 57_600_000);
                assert_eq!(ms_of_day(s.extended_options_close()), 58_500_000);
            }
            let (y, m, d) = before;
            let s = session(date(y, m, d)).unwrap();
            let next = next_session(s.date).unwrap();
            // A weekend with a clock change is an hour shorter or longer in UTC.
            let gap = next.open.since(s.open);
            assert!(
                gap == 72 * HOUR - HOUR || gap == 72 * HOUR + HOUR,
                "{gap:?}"
            );
        }
    }

    #[test]
    fn contains_is_half_open() {
        let s = session(date(2025, 1, 15)).unwrap();
        assert_eq!(s.open, utc("2025-01-15T14:30:00Z"));
        assert!(s.contains(s.open));
        assert!(s.contains(utc("2025-01-15T20:59:59.999999999Z")));
        assert!(!s.contains(s.close));
        assert!(!s.contains(utc("2025-01-15T14:29:59.999999999Z")));
        assert_eq!(s.extended_options_close(), utc("2025-01-15T21:15:00Z"));
    }

    #[test]
    fn next_and_previous_skip_closures() {
        // Good Friday 2025 and the weekend after it.
        assert_eq!(
            next_session(date(2025, 4, 17)).unwrap().date,
            date(2025, 4, 21)
        );
        assert_eq!(
            previous_session(date(2025, 4, 21)).unwrap().date,
            date(2025, 4, 17)
        );
        // The day of mourning.
        assert_eq!(
            next_session(date(2025, 1, 8)).unwrap().date,
            date(2025, 1, 10)
        );
        // Across a year end with a closure on January 1.
        assert_eq!(
            previous_session(date(2025, 1, 2)).unwrap().date,
            date(2024, 12, 31)
        );
        // Strictly after / before, even on trading days.
        assert_eq!(
            next_session(date(2025, 1, 14)).unwrap().date,
            date(2025, 1, 15)
        );
        assert_eq!(
            previous_session(date(2025, 1, 15)).unwrap().date,
            date(2025, 1, 14)
        );
    }

    #[test]
    fn new_york_wall_clock_conversions() {
        assert_eq!(
            new_york_instant(date(2025, 1, 15), 9, 30, 0),
            utc("2025-01-15T14:30:00Z")
        );
        assert_eq!(
            new_york_instant(date(2025, 7, 15), 16, 15, 0),
            utc("2025-07-15T20:15:00Z")
        );
        // Carry-over and the DST gap.
        assert_eq!(
            new_york_instant(date(2025, 1, 15), 24, 0, 0),
            new_york_instant(date(2025, 1, 16), 0, 0, 0)
        );
        assert_eq!(
            new_york_instant(date(2025, 3, 9), 2, 30, 0),
            utc("2025-03-09T07:30:00Z")
        );
        assert_eq!(
            new_york_instant(date(2025, 11, 2), 1, 30, 0),
            utc("2025-11-02T05:30:00Z")
        );
        // Late evening in New York is already the next day in UTC.
        let t = utc("2025-01-16T03:00:00Z");
        assert_eq!(new_york_date(t), date(2025, 1, 15));
        assert_eq!(ms_of_day(t), 22 * 3_600_000);
        assert_eq!(ms_of_day(utc("2025-06-02T16:45:00.123456Z")), 45_900_123);
        // No panic at the extremes.
        let _ = new_york_instant(Date::MIN, i8::MIN, i8::MIN, i8::MIN);
        let _ = new_york_instant(Date::MAX, i8::MAX, i8::MAX, i8::MAX);
        let _ = new_york_date(Timestamp::from_nanos(i64::MIN));
        let _ = ms_of_day(Timestamp::from_nanos(i64::MAX));
    }

    fn any_supported_date() -> impl Strategy<Value = Date> {
        (0i32..36_525).prop_map(|days| FIRST_DAY.checked_add(jiff::Span::new().days(days)).unwrap())
    }

    proptest! {
        #[test]
        fn weekends_are_never_trading_days(day in any_supported_date()) {
            if is_weekend(day) {
                prop_assert!(!is_trading_day(day));
                prop_assert_eq!(holiday(day), None);
            }
            prop_assert!(!(is_trading_day(day) && holiday(day).is_some()));
        }

        #[test]
        fn sessions_have_regular_lengths(day in any_supported_date()) {
            if let Some(s) = session(day) {
                let expected = if s.early_close { 12_600 } else { 23_400 };
                prop_assert_eq!(s.duration(), Duration::from_secs(expected));
                prop_assert_eq!(new_york_date(s.open), day);
                prop_assert_eq!(ms_of_day(s.open), 34_200_000);
            }
        }

        #[test]
        fn next_and_previous_are_inverse(day in any_supported_date()) {
            if let Some(next) = next_session(day) {
                prop_assert!(next.date > day);
                let back = previous_session(next.date).unwrap();
                prop_assert!(back.date <= day);
                // Nothing trades strictly between `day` and `next`.
                let between = sessions(day.tomorrow().unwrap(), next.date.yesterday().unwrap());
                prop_assert_eq!(between.count(), 0);
                if is_trading_day(day) {
                    prop_assert_eq!(back.date, day);
                }
            }
            if let Some(prev) = previous_session(day) {
                prop_assert!(prev.date < day);
                let forward = next_session(prev.date).unwrap();
                prop_assert!(forward.date >= day);
                if is_trading_day(day) {
                    prop_assert_eq!(forward.date, day);
                }
            }
        }

        #[test]
        fn wall_clock_round_trips(
            day in any_supported_date(),
            hour in 0i8..24,
            minute in 0i8..60,
            second in 0i8..60,
        ) {
            let t = new_york_instant(day, hour, minute, second);
            let wall_ms = (u32::from(hour as u8) * 3_600 + u32::from(minute as u8) * 60
                + u32::from(second as u8)) * 1_000;
            let in_spring_gap = hour == 2 && new_york_date(t) == day && ms_of_day(t) != wall_ms;
            if !in_spring_gap {
                prop_assert_eq!(new_york_date(t), day);
                prop_assert_eq!(ms_of_day(t), wall_ms);
            }
        }

        #[test]
        fn instants_round_trip_through_the_wall_clock(
            nanos in 946_684_800_000_000_000i64..4_102_444_800_000_000_000i64,
        ) {
            let t = Timestamp::from_nanos(nanos);
            let ms = ms_of_day(t);
            let secs = ms / 1_000;
            let back = new_york_instant(
                new_york_date(t),
                (secs / 3_600) as i8,
                (secs / 60 % 60) as i8,
                (secs % 60) as i8,
            );
            let truncated = Timestamp::from_nanos(nanos - nanos.rem_euclid(1_000_000_000));
            // In the hour repeated when daylight saving ends, the wall clock names the first
            // occurrence, an hour earlier.
            let repeated_hour = secs / 3_600 == 1 && truncated.since(back) == HOUR;
            prop_assert!(back == truncated || repeated_hour, "{t} -> {back}");
        }
    }
}
