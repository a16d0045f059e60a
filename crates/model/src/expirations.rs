//! Expiration dates, last trading days and settlement instants.
//!
//! Standard monthlies expire on the third Friday; weeklies on each Friday. When that Friday is an
//! exchange closure the expiration moves to the trading day before it (spec C.2). AM-settled
//! classes stop trading the day before expiration and settle at its opening; PM-settled classes
//! trade through expiration day and settle at its close.

use jiff::civil::{Date, Weekday, date};

use crate::calendar::{self, is_trading_day, previous_session};
use crate::roots::{Settlement, root_info};
use crate::time::Timestamp;

/// The third Friday of `month` (1-12) in `year`.
///
/// # Panics
///
/// When `month` is not 1-12 or `year` is outside -9999..=9999 (as [`jiff::civil::date`] does).
pub fn third_friday(year: i16, month: i8) -> Date {
    let first = date(year, month, 1);
    // The first Friday is within the first seven days; the third is two weeks later.
    let to_friday = (Weekday::Friday.to_monday_zero_offset()
        - first.weekday().to_monday_zero_offset())
    .rem_euclid(7);
    date(year, month, 1 + to_friday + 14)
}

/// The standard monthly expiration: the third Friday, or the trading day before it when that
/// Friday is an exchange closure (Good Friday 2025 moved April to 2025-04-17).
///
/// Outside the calendar's years ([`calendar::FIRST_YEAR`]..=[`calendar::LAST_YEAR`]) no
/// closures are known and the third Friday is returned as is.
///
/// # Panics
///
/// When `month` is not 1-12, like [`third_friday`].
pub fn monthly_expiration(year: i16, month: i8) -> Date {
    let friday = third_friday(year, month);
    if calendar::holiday(friday).is_none() {
        return friday;
    }
    previous_session(friday).map_or(friday, |s| s.date)
}

/// The weekly expiration for the Monday-to-Sunday week containing `date`: its Friday, or the
/// last trading day before that Friday in the same week when the Friday is a closure. `None`
/// when no trading day is left that week, or outside the calendar's years.
pub fn weekly_expiration(date: Date) -> Option<Date> {
    let monday = date
        .checked_sub(jiff::Span::new().days(date.weekday().to_monday_zero_offset()))
        .ok()?;
    (0..5)
        .rev()
        .filter_map(|offset| monday.checked_add(jiff::Span::new().days(offset)).ok())
        .find(|day| is_trading_day(*day))
}

/// The last day `root`'s contracts expiring on `expiration` can be traded: the trading day
/// before for AM-settled classes (SPX, NDX, RUT, VIX), the expiration day itself otherwise.
/// `None` when `expiration` is not a trading day (no series expires on a closure) or no trading
/// day precedes it in the calendar.
pub fn last_trading_day(root: &str, expiration: Date) -> Option<Date> {
    if !is_trading_day(expiration) {
        return None;
    }
    match root_info(root).settlement {
        Settlement::Am => previous_session(expiration).map(|s| s.date),
        Settlement::Pm => Some(expiration),
    }
}

/// When the settlement value of `root`'s contracts expiring on `expiration` is fixed: the 09:30
/// New York open of expiration day for AM settlement, the regular close (16:00, or 13:00 on
/// early closes) for PM settlement. `None` when `expiration` is not a trading day.
pub fn settlement_instant(root: &str, expiration: Date) -> Option<Timestamp> {
    let session = calendar::session(expiration)?;
    Some(match root_info(root).settlement {
        Settlement::Am => session.open,
        Settlement::Pm => session.close,
    })
}

/// Seconds in the year of option pricing's time to expiry: 365 calendar days.
pub const YEAR_SECONDS: f64 = 365.0 * 86_400.0;

/// Years of 365 days from `at` to the settlement of `root`'s contracts expiring on `expiration`
/// (16:00 New York of that date when it is not a trading day); negative once it has passed.
pub fn years_to_settlement(root: &str, expiration: Date, at: Timestamp) -> f64 {
    let settles = settlement_instant(root, expiration)
        .unwrap_or_else(|| calendar::new_york_instant(expiration, 16, 0, 0));
    (settles.as_nanos() - at.as_nanos()) as f64 / 1e9 / YEAR_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn third_fridays() {
        assert_eq!(third_friday(2025, 1), date(2025, 1, 17));
        assert_eq!(third_friday(2025, 2), date(2025, 2, 21));
        // Months starting on a Friday and a Saturday.
        assert_eq!(third_friday(2024, 3), date(2024, 3, 15));
        assert_eq!(third_friday(2025, 3), date(2025, 3, 21));
        assert_eq!(third_friday(2022, 4), date(2022, 4, 15));
    }

    #[test]
    fn monthlies_move_off_closures() {
        assert_eq!(monthly_expiration(2022, 4), date(2022, 4, 14));
        assert_eq!(monthly_expiration(2025, 4), date(2025, 4, 17));
        assert_eq!(monthly_expiration(2026, 6), date(2026, 6, 18));
        assert_eq!(monthly_expiration(2027, 6), date(2027, 6, 17));
        assert_eq!(monthly_expiration(2025, 1), date(2025, 1, 17));
        assert_eq!(monthly_expiration(2025, 6), date(2025, 6, 20));
        // Outside the calendar the third Friday stands.
        assert_eq!(monthly_expiration(2150, 4), third_friday(2150, 4));
    }

    #[test]
    fn monthlies_moved_2020_to_2027_are_exactly_the_four_in_the_spec() {
        let moved: Vec<Date> = (2020..=2027)
            .flat_map(|y| (1..=12).map(move |m| (y, m)))
            .filter(|&(y, m)| monthly_expiration(y, m) != third_friday(y, m))
            .map(|(y, m)| monthly_expiration(y, m))
            .collect();
        assert_eq!(
            moved,
            [
                date(2022, 4, 14),
                date(2025, 4, 17),
                date(2026, 6, 18),
                date(2027, 6, 17)
            ]
        );
    }

    #[test]
    fn weeklies() {
        // Every day of an ordinary week, Monday through Sunday.
        for day in 13..=19 {
            assert_eq!(
                weekly_expiration(date(2025, 1, day)),
                Some(date(2025, 1, 17))
            );
        }
        // Good Friday week: Thursday.
        assert_eq!(
            weekly_expiration(date(2025, 4, 14)),
            Some(date(2025, 4, 17))
        );
        assert_eq!(
            weekly_expiration(date(2025, 4, 20)),
            Some(date(2025, 4, 17))
        );
        // Independence Day observed on Friday 2026-07-03.
        assert_eq!(weekly_expiration(date(2026, 7, 1)), Some(date(2026, 7, 2)));
        assert_eq!(weekly_expiration(date(2150, 1, 1)), None);
        assert_eq!(weekly_expiration(jiff::civil::Date::MIN), None);
    }

    #[test]
    fn weekly_falls_back_to_the_only_session_of_the_week() {
        // 2001-09-10 was the only session in the week of September 11.
        assert_eq!(
            weekly_expiration(date(2001, 9, 12)),
            Some(date(2001, 9, 10))
        );
    }

    #[test]
    fn spx_and_spxw_last_trading_day_and_settlement() {
        // March 2025 monthly, after daylight saving started on the 9th: AM at 13:30 UTC.
        let monthly = monthly_expiration(2025, 3);
        assert_eq!(monthly, date(2025, 3, 21));
        assert_eq!(last_trading_day("SPX", monthly), Some(date(2025, 3, 20)));
        assert_eq!(last_trading_day("SPXW", monthly), Some(monthly));
        assert_eq!(
            settlement_instant("SPX", monthly),
            Some(utc("2025-03-21T13:30:00Z"))
        );
        assert_eq!(
            settlement_instant("SPXW", monthly),
            Some(utc("2025-03-21T20:00:00Z"))
        );
        // The Friday before the change, in standard time.
        assert_eq!(
            settlement_instant("SPXW", date(2025, 3, 7)),
            Some(utc("2025-03-07T21:00:00Z"))
        );
        assert_eq!(
            settlement_instant("SPX", date(2025, 3, 7)),
            Some(utc("2025-03-07T14:30:00Z"))
        );
        // November 2025 monthly, after the return to standard time on the 2nd.
        let november = monthly_expiration(2025, 11);
        assert_eq!(
            settlement_instant("SPX", november),
            Some(utc("2025-11-21T14:30:00Z"))
        );
        assert_eq!(
            settlement_instant("SPXW", date(2025, 10, 31)),
            Some(utc("2025-10-31T20:00:00Z"))
        );
        // Good Friday move: AM settles Thursday morning, trading ended Wednesday.
        let april = monthly_expiration(2025, 4);
        assert_eq!(last_trading_day("SPX", april), Some(date(2025, 4, 16)));
        assert_eq!(
            settlement_instant("SPX", april),
            Some(utc("2025-04-17T13:30:00Z"))
        );
        // A Monday AM expiration's last trading day is the Friday before.
        assert_eq!(
            last_trading_day("SPX", date(2025, 1, 13)),
            Some(date(2025, 1, 10))
        );
        // Early close: PM settlement at 13:00 New York.
        assert_eq!(
            settlement_instant("SPXW", date(2025, 11, 28)),
            Some(utc("2025-11-28T18:00:00Z"))
        );
        assert_eq!(
            settlement_instant("AAPL", date(2025, 12, 24)),
            Some(utc("2025-12-24T18:00:00Z"))
        );
    }

    #[test]
    fn years_run_to_the_settlement_instant() {
        let monthly = date(2025, 3, 21);
        let at = utc("2025-03-20T13:30:00Z");
        // AM settlement a day later; PM settlement six and a half hours after that.
        assert!((years_to_settlement("SPX", monthly, at) - 1.0 / 365.0).abs() < 1e-12);
        let pm = years_to_settlement("SPXW", monthly, at) * YEAR_SECONDS;
        assert!((pm - (86_400.0 + 6.5 * 3_600.0)).abs() < 1e-6);
        assert!(years_to_settlement("SPX", monthly, utc("2025-03-21T14:00:00Z")) < 0.0);
    }

    #[test]
    fn no_settlement_on_closures() {
        assert_eq!(last_trading_day("SPX", date(2025, 4, 18)), None);
        assert_eq!(last_trading_day("SPXW", date(2025, 1, 9)), None);
        assert_eq!(settlement_instant("SPXW", date(2025, 1, 11)), None);
        assert_eq!(settlement_instant("SPX", date(2150, 1, 16)), None);
        assert_eq!(last_trading_day("SPX", date(2000, 1, 3)), None);
        for root in ["NDX", "RUT", "VIX"] {
            assert_eq!(
                last_trading_day(root, date(2025, 1, 15)),
                Some(date(2025, 1, 14))
            );
        }
    }

    proptest! {
        #[test]
        fn monthlies_are_trading_days_in_the_third_week(year in 2000i16..=2099, month in 1i8..=12) {
            let friday = third_friday(year, month);
            prop_assert_eq!(friday.weekday(), Weekday::Friday);
            prop_assert!((15..=21).contains(&friday.day()));
            let expiration = monthly_expiration(year, month);
            prop_assert!(is_trading_day(expiration));
            prop_assert!(expiration <= friday);
            prop_assert!(friday.since(expiration).unwrap().get_days() < 7);
        }

        #[test]
        fn weeklies_stay_in_their_week(days in 0i32..36_525) {
            let day = date(2000, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            if let Some(expiration) = weekly_expiration(day) {
                prop_assert!(is_trading_day(expiration));
                prop_assert!(expiration.weekday() != Weekday::Saturday);
                prop_assert!(expiration.weekday() != Weekday::Sunday);
                let monday = |d: Date| d.checked_sub(
                    jiff::Span::new().days(d.weekday().to_monday_zero_offset())).unwrap();
                prop_assert_eq!(monday(expiration), monday(day));
            }
        }
    }
}
