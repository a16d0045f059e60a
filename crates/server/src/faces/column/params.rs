//! The column API's query parameters (spec A.5): each read from its text, every problem reported
//! at once under its parameter's name.
//!
//! Parameters are taken from the raw query string so that a repeated one (`root=A&root=B`) is
//! seen and refused; unknown parameters are ignored. Strikes are read as decimal text into
//! thousandths of a dollar, never through a float.

use jiff::civil::Date;
use model::symbol::Right;

use crate::http::Problem;
use crate::http::extract::query_pairs;

/// Longest root the vendor's pattern allows (OSI roots are at most 6, so 7 and 8 match nothing).
const ROOT_MAX: usize = 8;
/// Largest strike, in thousandths of a dollar (99999.999).
const STRIKE_MAX: u32 = 99_999_999;
pub const IVL_DEFAULT: u32 = 60_000;
const IVL_RANGE: std::ops::RangeInclusive<u32> = 1_000..=3_600_000;

/// `GET /v1/options/chain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainQuery {
    pub root: String,
    pub exp: Date,
}

/// One contract over a range of days: EOD, intraday and trades.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractQuery {
    pub root: String,
    pub exp: Date,
    /// Thousandths of a dollar (tenths of a cent), as the chain reports strikes.
    pub strike: u32,
    pub right: Right,
    pub start: Date,
    pub end: Date,
}

/// `GET /v1/options/quote/intraday`: a contract query and the grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntradayQuery {
    pub contract: ContractQuery,
    /// Grid step in milliseconds.
    pub ivl: u32,
    /// Regular trading hours only.
    pub rth: bool,
}

/// The parameters naming a contract and its days, for the API document (requests are read from
/// the raw query string by [`contract`] and [`intraday`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractParams {
    /// Option root, `^[A-Z0-9.]+$`, at most 8 characters.
    #[param(example = "AAPL")]
    pub root: String,
    /// Expiration, YYYYMMDD.
    #[param(example = "20250117")]
    pub exp: String,
    /// Strike in dollars, at most 3 decimals (a chain's strike divided by 1000).
    #[param(example = "180")]
    pub strike: String,
    /// `C` or `P`.
    #[param(example = "C")]
    pub right: String,
    /// First day, YYYYMMDD.
    #[param(example = "20240102")]
    pub start_date: String,
    /// Last day, YYYYMMDD; by default at most 3660 days from `start_date` for EOD, 31 for
    /// intraday and trades (both ends counted).
    #[param(example = "20240103")]
    pub end_date: String,
}

/// The intraday grid's parameters, for the API document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridParams {
    /// Grid step in milliseconds, 1000 to 3600000 (default 60000).
    pub ivl: Option<u32>,
    /// `true` (default): 09:30 through the close; `false`: the whole day.
    pub rth: Option<String>,
}

/// The optional idempotency header of every data endpoint, for the API document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyParams {
    /// Replays the first response to the same request for 24 hours, at no cost; the same key
    /// with another request is 409 `idempotency_conflict`.
    #[param(rename = "Idempotency-Key")]
    pub idempotency_key: Option<String>,
}

/// The query's values of the parameters an endpoint knows, and the problems found so far.
struct Reader {
    values: Vec<(&'static str, Vec<String>)>,
    errors: Vec<(String, String)>,
}

impl Reader {
    fn new(query: Option<&str>, known: &[&'static str]) -> Reader {
        let mut values: Vec<(&'static str, Vec<String>)> =
            known.iter().map(|name| (*name, Vec::new())).collect();
        for (name, value) in query_pairs(query.unwrap_or("")) {
            if let Some((_, list)) = values.iter_mut().find(|(known, _)| *known == name) {
                list.push(value);
            }
        }
        Reader {
            values,
            errors: Vec::new(),
        }
    }

    fn fail(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push((name.to_string(), message.into()));
    }

    /// The parameter's one value, if given; given twice is a problem.
    fn optional(&mut self, name: &'static str) -> Option<String> {
        let list = self
            .values
            .iter_mut()
            .find(|(known, _)| *known == name)
            .map(|(_, list)| std::mem::take(list))
            .unwrap_or_default();
        match <[String; 1]>::try_from(list) {
            Ok([value]) => Some(value),
            Err(list) if list.is_empty() => None,
            Err(_) => {
                self.fail(name, format!("{name} must be given only once"));
                None
            }
        }
    }

    /// The parameter's value read by `parse`; a missing or unreadable value is a problem.
    fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let present = self
            .values
            .iter()
            .any(|(n, list)| *n == name && !list.is_empty());
        let Some(text) = self.optional(name) else {
            if !present {
                self.fail(name, format!("{name} is required"));
            }
            return None;
        };
        self.read(name, &text, parse)
    }

    fn read<T>(
        &mut self,
        name: &'static str,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        parse(text).map_err(|message| self.fail(name, message)).ok()
    }

    /// The problem holding every error, or `value` when there are none.
    fn finish<T>(self, value: Option<T>) -> Result<T, Problem> {
        match (self.errors.is_empty(), value) {
            (true, Some(value)) => Ok(value),
            _ => {
                let message = self
                    .errors
                    .iter()
                    .map(|(_, m)| m.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut problem = Problem::bad_request(message);
                problem.field_errors = self.errors;
                Err(problem)
            }
        }
    }
}

fn root(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= ROOT_MAX
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.');
    if valid {
        Ok(text.to_string())
    } else {
        Err("root must match ^[A-Z0-9.]+$ and be at most 8 characters".to_string())
    }
}

/// A `YYYYMMDD` date parameter.
fn date(name: &str) -> impl Fn(&str) -> Result<Date, String> + '_ {
    move |text| {
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{name} must be YYYYMMDD"));
        }
        text.parse::<u32>()
            .ok()
            .and_then(tape::format::date_of)
            .ok_or_else(|| format!("{name} is not a valid date"))
    }
}

/// A strike in dollars (`180`, `182.5`, `0.125`) to thousandths of a dollar.
fn strike(text: &str) -> Result<u32, String> {
    let invalid = || "strike must be a positive dollar amount with at most 3 decimals".to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > 3
        || (text.contains('.') && fraction.is_empty())
    {
        return Err(invalid());
    }
    let whole = whole.trim_start_matches('0');
    // More than five integer digits is past 99999.999 whatever they are.
    if whole.len() > 5 {
        return Err(invalid());
    }
    let number = |s: &str| s.parse::<u32>().unwrap_or(0);
    let thousandths = number(whole) * 1_000 + number(&format!("{fraction:0<3}"));
    if thousandths == 0 || thousandths > STRIKE_MAX {
        return Err(invalid());
    }
    Ok(thousandths)
}

fn right(text: &str) -> Result<Right, String> {
    match text {
        "C" => Ok(Right::Call),
        "P" => Ok(Right::Put),
        _ => Err("right must be C or P".to_string()),
    }
}

fn ivl(text: &str) -> Result<u32, String> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<u32>().ok())
        .flatten()
        .filter(|v| IVL_RANGE.contains(v))
        .ok_or_else(|| "ivl must be an integer between 1000 and 3600000".to_string())
}

fn rth(text: &str) -> Result<bool, String> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("rth must be true or false".to_string()),
    }
}

/// Calendar days from `start` through `end`, both counted.
fn days_spanned(start: Date, end: Date) -> i64 {
    start
        .until(end)
        .map(|span| i64::from(span.get_days()) + 1)
        .unwrap_or(i64::MAX)
}

pub fn chain(query: Option<&str>) -> Result<ChainQuery, Problem> {
    let mut reader = Reader::new(query, &["root", "exp"]);
    let root = reader.required("root", root);
    let exp = reader.required("exp", date("exp"));
    let value = root.zip(exp).map(|(root, exp)| ChainQuery { root, exp });
    reader.finish(value)
}

const CONTRACT_PARAMS: [&str; 6] = ["root", "exp", "strike", "right", "start_date", "end_date"];

fn read_contract(reader: &mut Reader, max_days: u32) -> Option<ContractQuery> {
    let root = reader.required("root", root);
    let exp = reader.required("exp", date("exp"));
    let strike = reader.required("strike", strike);
    let right = reader.required("right", right);
    let start = reader.required("start_date", date("start_date"));
    let end = reader.required("end_date", date("end_date"));
    if let (Some(start), Some(end)) = (start, end) {
        if start > end {
            reader.fail("start_date", "start_date must be on or before end_date");
        } else if days_spanned(start, end) > i64::from(max_days) {
            reader.fail("end_date", "date range too large");
        }
    }
    Some(ContractQuery {
        root: root?,
        exp: exp?,
        strike: strike?,
        right: right?,
        start: start?,
        end: end?,
    })
}

/// EOD and trades: one contract over at most `max_days` days.
pub fn contract(query: Option<&str>, max_days: u32) -> Result<ContractQuery, Problem> {
    let mut reader = Reader::new(query, &CONTRACT_PARAMS);
    let value = read_contract(&mut reader, max_days);
    reader.finish(value)
}

pub fn intraday(query: Option<&str>, max_days: u32) -> Result<IntradayQuery, Problem> {
    let mut names = CONTRACT_PARAMS.to_vec();
    names.extend(["ivl", "rth"]);
    let mut reader = Reader::new(query, &names);
    let contract = read_contract(&mut reader, max_days);
    let ivl = match reader.optional("ivl") {
        Some(text) => reader.read("ivl", &text, ivl),
        None => Some(IVL_DEFAULT),
    };
    let rth = match reader.optional("rth") {
        Some(text) => reader.read("rth", &text, rth),
        None => Some(true),
    };
    let value = contract
        .zip(ivl.zip(rth))
        .map(|(contract, (ivl, rth))| IntradayQuery { contract, ivl, rth });
    reader.finish(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as ymd;
    use proptest::prelude::*;

    const GOOD: &str =
        "root=AAPL&exp=20250117&strike=180&right=C&start_date=20240102&end_date=20240103";

    /// The field errors of a refused query, as (name, message) pairs.
    fn errors(result: Result<impl std::fmt::Debug, Problem>) -> Vec<(String, String)> {
        result.expect_err("the query is refused").field_errors
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, m)| (n.to_string(), m.to_string()))
            .collect()
    }

    #[test]
    fn a_good_query_reads_into_internal_forms() {
        assert_eq!(
            contract(Some(GOOD), 3660).unwrap(),
            ContractQuery {
                root: "AAPL".into(),
                exp: ymd(2025, 1, 17),
                strike: 180_000,
                right: Right::Call,
                start: ymd(2024, 1, 2),
                end: ymd(2024, 1, 3),
            }
        );
        let q = intraday(Some(&format!("{GOOD}&ivl=1000&rth=false&extra=1")), 31).unwrap();
        assert_eq!((q.ivl, q.rth), (1_000, false));
        let q = intraday(Some(GOOD), 31).unwrap();
        assert_eq!((q.ivl, q.rth), (60_000, true));
        assert_eq!(
            chain(Some("exp=20250115&root=SPXW")).unwrap(),
            ChainQuery {
                root: "SPXW".into(),
                exp: ymd(2025, 1, 15)
            }
        );
    }

    #[test]
    fn strikes_are_decimal_text_in_thousandths() {
        for (text, thousandths) in [
            ("180", 180_000),
            ("182.5", 182_500),
            ("0.125", 125),
            ("007.50", 7_500),
            ("99999.999", 99_999_999),
            ("0.001", 1),
        ] {
            assert_eq!(strike(text), Ok(thousandths), "{text}");
        }
        for text in [
            "",
            "0",
            "0.000",
            "-5",
            "+5",
            "1e3",
            "1,000",
            "180.",
            ".5",
            "1.2345",
            "100000",
            "99999.9991",
            "0000000000000000000000180.5x",
            "18 0",
            "NaN",
            "١٢٣",
        ] {
            assert!(strike(text).is_err(), "{text:?}");
        }
        // Many leading zeros are still one number.
        assert_eq!(strike("0000000000000000000000180.5"), Ok(180_500));
    }

    #[test]
    fn every_problem_is_reported_at_once_with_the_documented_texts() {
        let got = errors(contract(
            Some("root=aapl&exp=2025011&strike=1.2345&right=c&start_date=20240230&end_date=x"),
            3660,
        ));
        assert_eq!(
            got,
            pairs(&[
                (
                    "root",
                    "root must match ^[A-Z0-9.]+$ and be at most 8 characters"
                ),
                ("exp", "exp must be YYYYMMDD"),
                (
                    "strike",
                    "strike must be a positive dollar amount with at most 3 decimals"
                ),
                ("right", "right must be C or P"),
                ("start_date", "start_date is not a valid date"),
                ("end_date", "end_date must be YYYYMMDD"),
            ])
        );
        let got = errors(contract(None, 3660));
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, CONTRACT_PARAMS);
        assert_eq!(got[0].1, "root is required");
        assert_eq!(got[5].1, "end_date is required");
        let got = errors(intraday(Some(&format!("{GOOD}&ivl=999&rth=TRUE")), 31));
        assert_eq!(
            got,
            pairs(&[
                ("ivl", "ivl must be an integer between 1000 and 3600000"),
                ("rth", "rth must be true or false"),
            ])
        );
        for bad in ["3600001", "+1000", "1000.0", "", "99999999999999999999"] {
            assert!(ivl(bad).is_err(), "{bad}");
        }
        assert_eq!(ivl("3600000"), Ok(3_600_000));
    }

    #[test]
    fn the_message_names_every_problem() {
        let problem = chain(Some("root=SPXW&exp=20251301")).unwrap_err();
        assert_eq!(problem.message, "exp is not a valid date");
        let problem = chain(Some("root=toolongroot")).unwrap_err();
        assert_eq!(
            problem.message,
            "root must match ^[A-Z0-9.]+$ and be at most 8 characters; exp is required"
        );
        assert!(chain(Some("root=BRK.B&exp=20250117")).is_ok());
        assert!(chain(Some("root=ABCDEFGHI&exp=20250117")).is_err());
    }

    #[test]
    fn ranges_are_ordered_and_bounded() {
        let with = |start: &str, end: &str, max| {
            contract(
                Some(&format!(
                    "root=SPY&exp=20250117&strike=500&right=P&start_date={start}&end_date={end}"
                )),
                max,
            )
        };
        assert_eq!(
            errors(with("20250103", "20250102", 31)),
            pairs(&[("start_date", "start_date must be on or before end_date")])
        );
        // January is 31 days, both ends counted; one more is too many.
        assert!(with("20250101", "20250131", 31).is_ok());
        assert_eq!(
            errors(with("20250101", "20250201", 31)),
            pairs(&[("end_date", "date range too large")])
        );
        assert!(with("20150101", "20250107", 3660).is_ok());
        assert!(with("20150101", "20250108", 3660).is_err());
    }

    #[test]
    fn repeated_parameters_are_refused_and_unknown_ones_ignored() {
        let got = errors(chain(Some("root=SPXW&root=SPX&exp=20250115")));
        assert_eq!(got, pairs(&[("root", "root must be given only once")]));
        let got = errors(intraday(Some(&format!("{GOOD}&rth=true&rth=true")), 31));
        assert_eq!(got, pairs(&[("rth", "rth must be given only once")]));
        assert!(chain(Some("root=SPXW&exp=20250115&foo=1&foo=2&apiKey=x")).is_ok());
        // Percent-encoded values are decoded first.
        assert!(chain(Some("root=%53PXW&exp=2025%30115")).is_ok());
    }

    proptest! {
        /// Whatever the query text, reading it answers without panicking.
        #[test]
        fn arbitrary_queries_never_panic(query in ".{0,200}") {
            let _ = chain(Some(&query));
            let _ = contract(Some(&query), 31);
            let _ = intraday(Some(&query), 31);
        }

        /// Queries built from the parameter names with arbitrary values never panic either.
        #[test]
        fn arbitrary_values_never_panic(
            values in proptest::collection::vec(("(root|exp|strike|right|start_date|end_date|ivl|rth)", "\\PC{0,12}"), 0..12)
        ) {
            let query: String = values
                .iter()
                .map(|(n, v)| format!("{n}={}", form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
                .collect::<Vec<_>>()
                .join("&");
            let _ = intraday(Some(&query), 31);
            if let Ok(q) = contract(Some(&query), 31) {
                prop_assert!(q.strike > 0 && q.strike <= STRIKE_MAX && q.start <= q.end);
            }
        }
    }
}
