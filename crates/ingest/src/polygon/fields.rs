//! Reading vendor CSV cells: columns by name, exact decimal numbers, integers.
//!
//! Shared by the Polygon and ThetaData importers. Cells arrive as bytes (`csv::ByteRecord`): a
//! day of full-market quotes is hundreds of millions of rows, so numbers are parsed straight from
//! the bytes into scaled integers, never through floats. An empty cell is a missing value
//! (`Ok(None)`); anything else that is not a number is an error whose message names the column.

use std::collections::BTreeMap;

/// Column positions of a CSV header, by lower-cased, trimmed name.
pub(crate) struct Columns {
    by_name: BTreeMap<String, usize>,
}

impl Columns {
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> Columns {
        let by_name = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let name = String::from_utf8_lossy(name);
                // A UTF-8 byte-order mark may precede the first name.
                let name = name
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_ascii_lowercase();
                (name, i)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .rev() // the first of duplicate names wins
            .collect();
        Columns { by_name }
    }

    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The first of `names` the header lacks, if any.
    pub(crate) fn missing<'n>(&self, names: &[&'n str]) -> Option<&'n str> {
        names.iter().copied().find(|n| !self.has(n))
    }
}

/// The cell at `index` of a row, trimmed of spaces; empty when the column is absent.
pub(crate) fn cell(record: &csv::ByteRecord, index: Option<usize>) -> &[u8] {
    index
        .and_then(|i| record.get(i))
        .map(|c| c.trim_ascii())
        .unwrap_or(b"")
}

/// Cell text for messages: lossy, and cut short.
pub(crate) fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() > 40 {
        format!("{}...", text.chars().take(40).collect::<String>())
    } else {
        text.into_owned()
    }
}

/// Why decimal text did not become a scaled integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecimalProblem {
    Syntax,
    Negative,
    /// More significant decimals than the scale keeps.
    TooPrecise,
    TooLarge,
}

/// Parses decimal text (`12`, `2.2`, `0.05`, `4.000000`, `1e-05`) into the integer
/// `value * 10^decimals`, exactly: digits beyond `decimals` places must be zeros. Negative values
/// are refused (prices, sizes and volumes never are).
pub(crate) fn scaled_decimal(text: &[u8], decimals: u32) -> Result<i128, DecimalProblem> {
    use DecimalProblem::*;
    if text.is_empty() || text.len() > 64 {
        return Err(Syntax);
    }
    let (negative, body) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match body.iter().position(|b| *b == b'e' || *b == b'E') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.iter().position(|b| *b == b'.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &b""[..]),
    };
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(Syntax);
    }
    let exponent: i64 = match exponent {
        None => 0,
        Some(e) => {
            let (sign, e) = match e.first() {
                Some(b'-') => (-1, &e[1..]),
                Some(b'+') => (1, &e[1..]),
                _ => (1, e),
            };
            if e.is_empty() || e.len() > 4 || !digits(e) {
                return Err(Syntax);
            }
            sign * e.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'))
        }
    };
    // Significant digits without the point, and where the point sits.
    let fraction = {
        let end = fraction
            .iter()
            .rposition(|d| *d != b'0')
            .map_or(0, |i| i + 1);
        &fraction[..end]
    };
    let start = whole.iter().position(|d| *d != b'0').unwrap_or(whole.len());
    let whole = &whole[start..];
    let all: Vec<u8> = whole.iter().chain(fraction).copied().collect();
    let all = {
        let start = all.iter().position(|d| *d != b'0').unwrap_or(all.len());
        &all[start..]
    };
    if all.is_empty() {
        return Ok(0);
    }
    if negative {
        return Err(Negative);
    }
    // value = all * 10^(exponent - fraction.len()); scaled = value * 10^decimals.
    let shift = exponent - fraction.len() as i64 + i64::from(decimals);
    let (kept, dropped) = if shift >= 0 {
        (all, &b""[..])
    } else {
        let cut = (-shift) as usize;
        if cut >= all.len() {
            return Err(TooPrecise);
        }
        all.split_at(all.len() - cut)
    };
    if dropped.iter().any(|d| *d != b'0') {
        return Err(TooPrecise);
    }
    let mut value: i128 = 0;
    for d in kept {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i128::from(d - b'0')))
            .ok_or(TooLarge)?;
    }
    if shift > 0 {
        let shift = u32::try_from(shift).map_err(|_| TooLarge)?;
        let factor = 10i128.checked_pow(shift).ok_or(TooLarge)?;
        value = value.checked_mul(factor).ok_or(TooLarge)?;
    }
    Ok(value)
}

fn decimal_message(name: &str, text: &[u8], problem: DecimalProblem, decimals: u32) -> String {
    let text = shown(text);
    match problem {
        DecimalProblem::Syntax => format!("{name} {text:?} is not a decimal number"),
        DecimalProblem::Negative => format!("{name} {text:?} must not be negative"),
        DecimalProblem::TooPrecise => {
            format!("{name} {text:?} has more than {decimals} decimals")
        }
        DecimalProblem::TooLarge => format!("{name} {text:?} is too large"),
    }
}

/// A price in dollars as nanodollars; `None` when the cell is empty.
pub(crate) fn price(name: &str, text: &[u8]) -> Result<Option<i64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let value = scaled_decimal(text, 9).map_err(|p| decimal_message(name, text, p, 9))?;
    i64::try_from(value)
        .map(Some)
        .map_err(|_| decimal_message(name, text, DecimalProblem::TooLarge, 9))
}

/// A trade size or volume in millionths of a unit; `None` when the cell is empty.
pub(crate) fn size(name: &str, text: &[u8]) -> Result<Option<u64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let value = scaled_decimal(text, 6).map_err(|p| decimal_message(name, text, p, 6))?;
    u64::try_from(value)
        .map(Some)
        .map_err(|_| decimal_message(name, text, DecimalProblem::TooLarge, 6))
}

/// A whole count such as a quote size. Decimal text is accepted (`5.000000`); a fraction of a
/// unit is dropped, since quote sizes are whole units in the tape.
pub(crate) fn count(name: &str, text: &[u8]) -> Result<Option<u64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    if text.iter().all(u8::is_ascii_digit) {
        return integer::<u64>(name, text);
    }
    let micro = scaled_decimal(text, 6).or_else(|p| match p {
        // Digits far below a unit do not matter for a count.
        DecimalProblem::TooPrecise => scaled_decimal(truncate_decimals(text, 6).as_slice(), 6),
        other => Err(other),
    });
    let micro = micro.map_err(|p| decimal_message(name, text, p, 6))?;
    u64::try_from(micro / 1_000_000)
        .map(Some)
        .map_err(|_| decimal_message(name, text, DecimalProblem::TooLarge, 6))
}

/// Decimal text with its fraction cut to `places` digits (only for plain notation).
fn truncate_decimals(text: &[u8], places: usize) -> Vec<u8> {
    match text.iter().position(|b| *b == b'.') {
        Some(dot) if !text.iter().any(|b| *b == b'e' || *b == b'E') => {
            text[..(dot + 1 + places).min(text.len())].to_vec()
        }
        _ => text.to_vec(),
    }
}

/// A plain integer (`-12`, `300`); `None` when the cell is empty.
pub(crate) fn integer<T: std::str::FromStr>(name: &str, text: &[u8]) -> Result<Option<T>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    std::str::from_utf8(text)
        .ok()
        .filter(|t| {
            let digits = t.strip_prefix('-').unwrap_or(t);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|t| t.parse::<T>().ok())
        .map(Some)
        .ok_or_else(|| format!("{name} {:?} is not a whole number in range", shown(text)))
}

/// The mean of a bar's open, high, low and close, floored to the nanodollar: the stand-in for a
/// volume-weighted average when a source gives none.
pub(crate) fn ohlc_mean(open: i64, high: i64, low: i64, close: i64) -> i64 {
    let sum = i128::from(open) + i128::from(high) + i128::from(low) + i128::from(close);
    sum.div_euclid(4) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimals_scale_exactly() {
        assert_eq!(scaled_decimal(b"2.2", 9), Ok(2_200_000_000));
        assert_eq!(scaled_decimal(b"0.05", 9), Ok(50_000_000));
        assert_eq!(scaled_decimal(b"5950", 9), Ok(5_950_000_000_000));
        assert_eq!(scaled_decimal(b"0", 9), Ok(0));
        assert_eq!(scaled_decimal(b"0.0", 9), Ok(0));
        assert_eq!(scaled_decimal(b"-0", 9), Ok(0));
        assert_eq!(scaled_decimal(b".5", 9), Ok(500_000_000));
        assert_eq!(scaled_decimal(b"5.", 9), Ok(5_000_000_000));
        assert_eq!(scaled_decimal(b"4.000000", 6), Ok(4_000_000));
        assert_eq!(scaled_decimal(b"2036584.149027", 6), Ok(2_036_584_149_027));
        assert_eq!(scaled_decimal(b"0.123456789", 9), Ok(123_456_789));
        assert_eq!(scaled_decimal(b"0.1234567890000", 9), Ok(123_456_789));
        assert_eq!(scaled_decimal(b"1e-05", 9), Ok(10_000));
        assert_eq!(scaled_decimal(b"1.5E2", 0), Ok(150));
        assert_eq!(
            scaled_decimal(b"0.1234567891", 9),
            Err(DecimalProblem::TooPrecise)
        );
        assert_eq!(scaled_decimal(b"1e-10", 9), Err(DecimalProblem::TooPrecise));
        assert_eq!(scaled_decimal(b"-1", 9), Err(DecimalProblem::Negative));
        for bad in [
            &b""[..],
            b".",
            b"abc",
            b"1.2.3",
            b"1,5",
            b"1e",
            b"NaN",
            b"inf",
            b"1 2",
            b"--1",
            b"1e99999",
        ] {
            assert_eq!(
                scaled_decimal(bad, 9),
                Err(DecimalProblem::Syntax),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            scaled_decimal(b"1e300", 9),
            Err(DecimalProblem::TooLarge),
            "no overflow panic"
        );
    }

    #[test]
    fn cells_become_values_or_named_errors() {
        assert_eq!(price("price", b"2.2"), Ok(Some(2_200_000_000)));
        assert_eq!(price("price", b""), Ok(None));
        let error = price("bid_price", b"1.2x").unwrap_err();
        assert!(
            error.contains("bid_price") && error.contains("1.2x"),
            "{error}"
        );
        assert!(
            price("price", b"1.0000000001")
                .unwrap_err()
                .contains("more than 9 decimals")
        );
        assert_eq!(size("size", b"4.000000"), Ok(Some(4_000_000)));
        assert_eq!(size("size", b"0.5"), Ok(Some(500_000)));
        assert_eq!(count("bid_size", b"15"), Ok(Some(15)));
        assert_eq!(count("bid_size", b"15.000000"), Ok(Some(15)));
        assert_eq!(count("bid_size", b"15.9"), Ok(Some(15)));
        assert_eq!(
            count("bid_size", b"99999999999999999999"),
            Err("bid_size \"99999999999999999999\" is not a whole number in range".to_string())
        );
        assert!(count("bid_size", b"-1").is_err());
        assert_eq!(integer::<i64>("correction", b"-12"), Ok(Some(-12)));
        assert!(integer::<u16>("exchange", b"70000").is_err());
        assert!(integer::<i64>("exchange", b"3.0").is_err());
        assert_eq!(ohlc_mean(1, 2, 3, 5), 2);
    }

    #[test]
    fn columns_are_found_by_name() {
        let columns = Columns::new([&b"\xef\xbb\xbfTicker"[..], b" price ", b"size", b"price"]);
        assert_eq!(columns.get("ticker"), Some(0));
        assert_eq!(columns.get("price"), Some(1));
        assert_eq!(
            columns.missing(&["ticker", "sip_timestamp"]),
            Some("sip_timestamp")
        );
    }

    proptest! {
        #[test]
        fn decimal_parsing_never_panics(text in "\\PC{0,70}", decimals in 0u32..12) {
            let _ = scaled_decimal(text.as_bytes(), decimals);
            let _ = count("n", text.as_bytes());
            let _ = integer::<i64>("n", text.as_bytes());
        }

        #[test]
        fn plain_decimals_round_trip(whole in 0u64..10_000_000, fraction in 0u32..1_000_000_000) {
            let text = format!("{whole}.{fraction:09}");
            let expected = i128::from(whole) * 1_000_000_000 + i128::from(fraction);
            prop_assert_eq!(scaled_decimal(text.as_bytes(), 9), Ok(expected));
        }
    }
}
