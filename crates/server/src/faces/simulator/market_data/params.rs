//! What the market-data routes read from a request: the query's named parameters, the underlying,
//! dates, URL timestamps and intervals, each refused with a sentence that says what is expected.

use std::collections::HashMap;

use jiff::civil::{Date, DateTime};
use model::Timestamp;

use crate::http::Problem;
use crate::http::extract::query_pairs;

/// The underlying every route serves unless `underlying=` names another.
pub const DEFAULT_UNDERLYING: &str = "SPX";

/// Largest `interval`, in seconds: an hour. Longer steps would make the range endpoint span
/// more than a session.
pub const MAX_INTERVAL: u32 = 3_600;

/// The query's parameters by name. Unknown names and repeated names are refused, so a typo
/// (`serie=`) is reported instead of silently ignored.
#[derive(Debug)]
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(query: Option<&str>, allowed: &[&str]) -> Result<Query, Problem> {
        let mut values = HashMap::new();
        for (name, value) in query_pairs(query.unwrap_or("")) {
            if !allowed.contains(&name.as_str()) {
                let expected = if allowed.is_empty() {
                    "this endpoint takes no query parameters".to_string()
                } else {
                    format!("expected {}", allowed.join(", "))
                };
                return Err(Problem::bad_request(format!(
                    "unknown query parameter {name}; {expected}"
                )));
            }
            if values.insert(name.clone(), value).is_some() {
                return Err(Problem::bad_request(format!(
                    "query parameter {name} is given more than once"
                )));
            }
        }
        Ok(Query(values))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `underlying`, checked to be a ticker (it names a folder of the tape, so nothing else may
    /// pass); `SPX` when absent.
    pub fn underlying(&self) -> Result<String, Problem> {
        let Some(text) = self.get("underlying") else {
            return Ok(DEFAULT_UNDERLYING.to_string());
        };
        let ticker = text.to_ascii_uppercase();
        let starts_alphanumeric = ticker
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
        if !model::symbol::is_ticker(&ticker) || !starts_alphanumeric {
            return Err(Problem::bad_request(format!(
                "underlying must be a ticker such as SPX, not {text:?}"
            )));
        }
        Ok(ticker)
    }

    /// `interval` in whole seconds, 1 to [`MAX_INTERVAL`], or `default` when absent.
    pub fn interval(&self, default: u32) -> Result<u32, Problem> {
        match self.get("interval") {
            None => Ok(default),
            Some(text) => parse_interval(text),
        }
    }
}

pub fn parse_interval(text: &str) -> Result<u32, Problem> {
    let refuse = || {
        Problem::bad_request(format!(
            "interval must be a whole number of seconds from 1 to {MAX_INTERVAL}, not {text:?}"
        ))
    };
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse());
    }
    let seconds: u32 = text.parse().map_err(|_| refuse())?;
    if !(1..=MAX_INTERVAL).contains(&seconds) {
        return Err(refuse());
    }
    Ok(seconds)
}

/// A `YYYY-MM-DD` date, exactly that shape.
pub fn parse_date(text: &str, name: &str) -> Result<Date, Problem> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let refuse = || Problem::bad_request(format!("{name} must be a date YYYY-MM-DD, not {text:?}"));
    if !shaped {
        return Err(refuse());
    }
    text.parse::<Date>().map_err(|_| refuse())
}

/// A snapshot URL's `YYYY-MM-DDTHH:MM:SS`, read as UTC. A zone is refused: the documented form
/// has none, and accepting `Z` would hide the common mistake of sending New York wall time with
/// some other suffix.
pub fn parse_url_instant(text: &str, name: &str) -> Result<Timestamp, Problem> {
    if text.ends_with(['Z', 'z']) {
        return Err(Problem::bad_request(format!(
            "{name} must be YYYY-MM-DDTHH:MM:SS in UTC without a zone; drop the trailing Z from \
             {text:?}"
        )));
    }
    let shaped = text.len() == 19
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    let refuse = || {
        Problem::bad_request(format!(
            "{name} must be YYYY-MM-DDTHH:MM:SS in UTC (for example 2025-01-15T14:35:00), not \
             {text:?}"
        ))
    };
    if !shaped {
        return Err(refuse());
    }
    let civil: DateTime = text.parse().map_err(|_| refuse())?;
    let instant = civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|_| refuse())?
        .timestamp();
    Ok(Timestamp::from_jiff(instant))
}

/// An instant as the simulator writes it: `YYYY-MM-DDTHH:MM:SSZ` (whole seconds only ever reach
/// here).
pub fn format_instant(t: Timestamp) -> String {
    Timestamp::from_seconds(t.as_seconds()).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_instants_are_utc_without_a_zone() {
        let t = parse_url_instant("2025-01-15T14:35:00", "timestamp").unwrap();
        assert_eq!(t, Timestamp::from_seconds(1_736_951_700));
        assert_eq!(format_instant(t), "2025-01-15T14:35:00Z");

        let z = parse_url_instant("2025-01-15T14:35:00Z", "timestamp").unwrap_err();
        assert_eq!(z.status(), 400);
        assert!(z.message.contains("drop the trailing Z"), "{}", z.message);
        for bad in [
            "2025-01-15T14:35:00+00:00",
            "2025-01-15 14:35:00",
            "2025-01-15T14:35",
            "2025-01-15T14:35:00.5",
            "2025-13-15T14:35:00",
            "2025-02-30T14:35:00",
            "2025-01-15T25:00:00",
            "1736951700",
            "",
            "２025-01-15T14:35:00",
        ] {
            let problem = parse_url_instant(bad, "timestamp").unwrap_err();
            assert_eq!(problem.status(), 400, "{bad}");
            assert!(problem.message.starts_with("timestamp must be"), "{bad}");
        }
    }

    #[test]
    fn dates_have_one_shape() {
        assert_eq!(
            parse_date("2025-01-15", "date").unwrap(),
            jiff::civil::date(2025, 1, 15)
        );
        for bad in [
            "2025-1-15",
            "20250115",
            "2025-02-30",
            "2025-01-15T00:00:00",
            "+2025-01-1",
        ] {
            assert_eq!(parse_date(bad, "date").unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn intervals_are_whole_seconds_within_an_hour() {
        assert_eq!(parse_interval("1").unwrap(), 1);
        assert_eq!(parse_interval("3600").unwrap(), 3600);
        for bad in [
            "0",
            "3601",
            "99999999999",
            "-1",
            "1.5",
            "abc",
            "",
            " 5",
            "1e3",
        ] {
            let problem = parse_interval(bad).unwrap_err();
            assert!(problem.message.starts_with("interval must be"), "{bad}");
        }
    }

    #[test]
    fn queries_refuse_unknown_and_repeated_names() {
        let query = Query::parse(
            Some("underlying=spy&interval=5"),
            &["underlying", "interval"],
        )
        .unwrap();
        assert_eq!(query.underlying().unwrap(), "SPY");
        assert_eq!(query.interval(1).unwrap(), 5);
        assert_eq!(
            Query::parse(None, &["interval"])
                .unwrap()
                .interval(30)
                .unwrap(),
            30
        );
        let unknown = Query::parse(Some("serie=spx"), &["series"]).unwrap_err();
        assert_eq!(
            unknown.message,
            "unknown query parameter serie; expected series"
        );
        let repeated = Query::parse(Some("series=spx&series=vix"), &["series"]).unwrap_err();
        assert!(repeated.message.contains("more than once"));
        for bad in ["..", ".SPX", "SP/X", "", "A%2FB"] {
            let query = Query::parse(Some(&format!("underlying={bad}")), &["underlying"]).unwrap();
            assert_eq!(query.underlying().unwrap_err().status(), 400, "{bad}");
        }
    }
}
