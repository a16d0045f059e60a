//! The CuteMarkets query grammar: exact values and `.gte` / `.gt` / `.lte` / `.lt` range
//! operators on a field (combined with AND), booleans, `sort` / `order`, and `limit` clamped to
//! the endpoint's maximum. Every value that does not parse is a `bad_request` naming the
//! parameter.

use jiff::civil::Date;
use model::Timestamp;
use model::symbol::OptionSymbol;
use rust_decimal::Decimal;

use crate::http::Problem;

/// How a condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// One condition on a field: `field<op>value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition<T> {
    pub op: Op,
    pub value: T,
}

impl<T: PartialOrd> Condition<T> {
    pub fn holds(&self, x: &T) -> bool {
        match self.op {
            Op::Eq => x == &self.value,
            Op::Gt => x > &self.value,
            Op::Gte => x >= &self.value,
            Op::Lt => x < &self.value,
            Op::Lte => x <= &self.value,
        }
    }
}

/// Whether every condition holds.
pub fn all<T: PartialOrd>(conditions: &[Condition<T>], x: &T) -> bool {
    conditions.iter().all(|c| c.holds(x))
}

/// A request's query parameters.
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Params {
        Params { pairs }
    }

    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Sets `name` when the request left it out, e.g. to pin "now" into the pages that follow.
    pub fn set_if_absent(&mut self, name: &str, value: String) {
        if self.get(name).is_none() {
            self.pairs.push((name.to_string(), value));
        }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Fails when `name` is present: a parameter this endpoint refuses.
    pub fn refuse(&self, name: &str, why: &str) -> Result<(), Problem> {
        match self.get(name) {
            Some(_) => Err(Problem::bad_request(format!(
                "{name} is not accepted here: {why}"
            ))),
            None => Ok(()),
        }
    }

    /// Every condition on `field`, its values read by `parse` (`expected` says what they
    /// should look like).
    pub fn conditions<T>(
        &self,
        field: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<Condition<T>>, Problem> {
        let mut out = Vec::new();
        for (name, value) in &self.pairs {
            let op = match name.strip_prefix(field) {
                Some("") => Op::Eq,
                Some(".gt") => Op::Gt,
                Some(".gte") => Op::Gte,
                Some(".lt") => Op::Lt,
                Some(".lte") => Op::Lte,
                _ => continue,
            };
            let value = parse(value).ok_or_else(|| {
                Problem::bad_request(format!("{name} must be {expected}, not {value:?}"))
            })?;
            out.push(Condition { op, value });
        }
        Ok(out)
    }

    /// A boolean: `true` / `false` (or `1` / `0`).
    pub fn boolean(&self, name: &str, default: bool) -> Result<bool, Problem> {
        match self.get(name) {
            None => Ok(default),
            Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(other) => Err(Problem::bad_request(format!(
                "{name} must be true or false, not {other:?}"
            ))),
        }
    }

    /// One of `choices` (the first is the default).
    pub fn choice<'a>(&self, name: &str, choices: &[&'a str]) -> Result<&'a str, Problem> {
        match self.get(name) {
            None => Ok(choices[0]),
            Some(value) => choices
                .iter()
                .find(|c| **c == value)
                .copied()
                .ok_or_else(|| {
                    Problem::bad_request(format!(
                        "{name} must be one of {}, not {value:?}",
                        choices.join(", ")
                    ))
                }),
        }
    }

    /// `limit`: a whole number of at least 1 (`100.0` reads as 100), clamped to `max`.
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, Problem> {
        let Some(text) = self.get("limit") else {
            return Ok(default);
        };
        let value = number(text)
            .filter(|v| v.fract().is_zero() && *v >= Decimal::ONE)
            .ok_or_else(|| {
                Problem::bad_request(format!(
                    "limit must be a whole number of at least 1, not {text:?}"
                ))
            })?;
        Ok(usize::try_from(value.min(Decimal::from(max))).unwrap_or(max))
    }
}

/// The instants a timestamp filter value stands for, `[start, end)`: a `YYYY-MM-DD` is its whole
/// New York calendar day; RFC 3339 text or a digit string is one instant, the digits read by
/// magnitude (at least 10^17 nanoseconds, 10^14 microseconds, 10^11 milliseconds, else seconds).
pub fn instants(text: &str) -> Option<(Timestamp, Timestamp)> {
    use model::calendar::new_york_instant;
    if text.len() == 10 && text.as_bytes()[4] == b'-' {
        let day: jiff::civil::Date = text.parse().ok()?;
        let next = day.tomorrow().ok()?;
        return Some((
            new_york_instant(day, 0, 0, 0),
            new_york_instant(next, 0, 0, 0),
        ));
    }
    let at = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = text.parse().ok()?;
        let nanos = match n {
            n if n >= 100_000_000_000_000_000 => Some(n),
            n if n >= 100_000_000_000_000 => n.checked_mul(1_000),
            n if n >= 100_000_000_000 => n.checked_mul(1_000_000),
            n => n.checked_mul(1_000_000_000),
        }?;
        Timestamp::from_nanos(nanos)
    } else {
        Timestamp::from_jiff(text.parse::<jiff::Timestamp>().ok()?)
    };
    Some((at, Timestamp::from_nanos(at.as_nanos().checked_add(1)?)))
}

/// The instants `[from, to)` that timestamp conditions (values read by [`instants`]) leave:
/// `=` keeps the value's span, `.gte`/`.gt` start at its start or end, `.lt`/`.lte` stop at them.
pub fn instant_range(conditions: &[Condition<(Timestamp, Timestamp)>]) -> (Timestamp, Timestamp) {
    let (mut from, mut to) = (
        Timestamp::from_nanos(i64::MIN),
        Timestamp::from_nanos(i64::MAX),
    );
    for Condition {
        op,
        value: (start, end),
    } in conditions
    {
        match op {
            Op::Eq => {
                from = from.max(*start);
                to = to.min(*end);
            }
            Op::Gte => from = from.max(*start),
            Op::Gt => from = from.max(*end),
            Op::Lt => to = to.min(*start),
            Op::Lte => to = to.min(*end),
        }
    }
    (from, to)
}

/// The `options_ticker` path segment: `O:` and an OSI symbol.
pub fn option_ticker(ticker: &str) -> Result<OptionSymbol, Problem> {
    ticker
        .strip_prefix("O:")
        .and_then(|_| OptionSymbol::parse(ticker).ok())
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "options_ticker {ticker:?} is not an option ticker like O:SPXW250115C05950000"
            ))
        })
}

/// A `YYYY-MM-DD` value of parameter `name`.
pub fn parse_date(name: &str, text: &str) -> Result<Date, Problem> {
    let valid = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    valid
        .then(|| text.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| {
            Problem::bad_request(format!("{name} must be a date (YYYY-MM-DD), not {text:?}"))
        })
}

/// A decimal number (`500`, `500.0`, `592.5`).
pub fn number(text: &str) -> Option<Decimal> {
    let valid = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    valid.then(|| text.parse::<Decimal>().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(query: &str) -> Params {
        Params::new(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    #[test]
    fn operators_combine_with_and() {
        let p = params("strike_price.gte=90&strike_price.lt=110&strike_price=100.0&other=1");
        let conditions = p.conditions("strike_price", "a number", number).unwrap();
        assert_eq!(conditions.len(), 3);
        assert!(all(&conditions, &Decimal::from(100)));
        assert!(!all(&conditions, &Decimal::from(95)));
        let err = params("strike_price.gte=abc")
            .conditions("strike_price", "a number", number)
            .unwrap_err();
        assert!(
            err.message.contains("strike_price.gte must be a number"),
            "{}",
            err.message
        );
        // A longer field that starts with the name is not an operator on it.
        assert!(
            params("strike_price_x=1")
                .conditions("strike_price", "a number", number)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn limits_clamp_and_refuse_what_is_not_a_count() {
        assert_eq!(params("").limit(10, 1000).unwrap(), 10);
        assert_eq!(params("limit=50000").limit(10, 1000).unwrap(), 1000);
        assert_eq!(params("limit=250.0").limit(10, 1000).unwrap(), 250);
        for bad in ["limit=0", "limit=-5", "limit=2.5", "limit=ten", "limit="] {
            let err = params(bad).limit(10, 1000).unwrap_err();
            assert!(
                err.message.starts_with("limit must be"),
                "{bad}: {}",
                err.message
            );
        }
        assert!(params("expired=maybe").boolean("expired", false).is_err());
        assert!(params("expired=1").boolean("expired", false).unwrap());
        assert_eq!(
            params("order=desc")
                .choice("order", &["asc", "desc"])
                .unwrap(),
            "desc"
        );
        assert!(
            params("order=up")
                .choice("order", &["asc", "desc"])
                .is_err()
        );
    }

    #[test]
    fn timestamps_are_days_instants_or_digits_by_magnitude() {
        let (start, end) = instants("2025-01-15").unwrap();
        assert_eq!(
            start.as_seconds(),
            1_736_917_200,
            "midnight in New York (EST)"
        );
        assert_eq!(end.as_seconds() - start.as_seconds(), 86_400);
        let at = 1_736_951_400i64; // 2025-01-15 14:30:00 UTC
        for text in [
            "2025-01-15T14:30:00Z",
            "2025-01-15T09:30:00-05:00",
            "1736951400",
            "1736951400000",
            "1736951400000000",
            "1736951400000000000",
        ] {
            assert_eq!(
                instants(text).unwrap().0.as_nanos(),
                at * 1_000_000_000,
                "{text}"
            );
        }
        for bad in [
            "",
            "2025-13-01",
            "yesterday",
            "12:00",
            "-5",
            "99999999999999999999",
        ] {
            assert!(instants(bad).is_none(), "{bad}");
        }
        let p = params("timestamp.gte=2025-01-15&timestamp.lte=2025-01-15");
        let conditions = p.conditions("timestamp", "a date", instants).unwrap();
        let (from, to) = instant_range(&conditions);
        assert_eq!((from, to), instants("2025-01-15").unwrap());
        let p = params("timestamp.gt=2025-01-14&timestamp.lt=2025-01-16");
        let (from, to) = instant_range(&p.conditions("timestamp", "a date", instants).unwrap());
        assert_eq!((from, to), instants("2025-01-15").unwrap());
    }

    proptest! {
        #[test]
        fn any_query_string_parses_or_is_refused_without_panicking(query in "[a-z_.=&%0-9-]{0,60}") {
            let p = params(&query);
            let _ = p.conditions("strike_price", "a number", number);
            let _ = p.limit(10, 1000);
            let _ = p.boolean("expired", false);
            let _ = p.choice("order", &["asc", "desc"]);
            let _ = p.conditions("timestamp", "a time", instants);
        }

        /// Values as clients send them, and anything else: every parser answers or refuses.
        #[test]
        fn value_parsers_answer_or_refuse_any_text(
            text in prop_oneof![
                any::<String>(),
                "O:[A-Z]{1,6}[0-9]{6}[CPX][0-9]{8}",
                "[0-9]{1,22}",
                "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]{0,18}(Z|[+-][0-9:]{0,6}))?",
                "-?[0-9.]{0,30}",
            ]
        ) {
            let _ = instants(&text);
            let _ = number(&text);
            let _ = parse_date("as_of", &text);
            if let Ok(symbol) = option_ticker(&text) {
                prop_assert_eq!(OptionSymbol::parse(&symbol.polygon()).ok(), Some(symbol));
            }
        }
    }
}
