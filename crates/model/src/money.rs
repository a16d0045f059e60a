//! Exact decimal amounts: parsing from the wire and canonical rendering.
//!
//! Money is never a float. Amounts arrive as decimal text and leave as decimal text; in between
//! they are [`Decimal`]s.

pub use rust_decimal::Decimal;
use std::str::FromStr;

/// Longest decimal text accepted from outside; longer input is refused before parsing.
pub const MAX_DECIMAL_TEXT: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("must be a decimal string such as \"1.25\"")]
    Syntax,
    #[error("must not be negative")]
    Negative,
    #[error("has more digits than can be represented exactly")]
    Precision,
}

/// Parses plain decimal notation (`"12"`, `"0.0008"`, `"-3.5"`), rejecting exponents, signs other
/// than a leading minus, whitespace, thousands separators and values that would lose digits.
pub fn parse_decimal(text: &str) -> Result<Decimal, DecimalError> {
    if text.is_empty() || text.len() > MAX_DECIMAL_TEXT {
        return Err(DecimalError::Syntax);
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return Err(DecimalError::Syntax);
    }
    Decimal::from_str_exact(text).map_err(|_| DecimalError::Precision)
}

/// Like [`parse_decimal`] but refuses negative amounts (`"-0"` counts as zero and is accepted).
pub fn parse_non_negative(text: &str) -> Result<Decimal, DecimalError> {
    let value = parse_decimal(text)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(DecimalError::Negative);
    }
    Ok(value.abs())
}

/// Canonical text for a server-computed amount: plain notation, no exponent, trailing zeros
/// stripped (`100000`, `3.44`, `0.0008`).
pub fn canonical(value: Decimal) -> String {
    Canonical(value).to_string()
}

/// [`canonical`] text written straight into a formatter, for responses of many amounts.
#[derive(Clone, Copy, Debug)]
pub struct Canonical(pub Decimal);

impl std::fmt::Display for Canonical {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buffer = [0u8; CANONICAL_MAX];
        f.write_str(write_canonical(self.0, &mut buffer))
    }
}

/// The longest canonical text: a sign, 29 digits, a point and a leading zero.
pub const CANONICAL_MAX: usize = 40;

/// Writes [`canonical`] text into `buffer` and returns it: the mantissa's digits with the point
/// placed by the scale, trailing zeros of the fraction dropped. Used where many amounts are
/// written at once (a session's history); the same text as normalizing and displaying.
pub fn write_canonical(value: Decimal, buffer: &mut [u8; CANONICAL_MAX]) -> &str {
    let mantissa = value.mantissa().unsigned_abs();
    if mantissa == 0 {
        return "0";
    }
    let mut at = match u64::try_from(mantissa) {
        // Nearly every amount: 64-bit division is several times cheaper than 128-bit.
        Ok(small) => write_digits(small, value.scale() as usize, buffer),
        Err(_) => write_digits(mantissa, value.scale() as usize, buffer),
    };
    if value.is_sign_negative() {
        at -= 1;
        buffer[at] = b'-';
    }
    // Only ASCII digits, '.' and '-' were written.
    std::str::from_utf8(&buffer[at..]).unwrap_or("0")
}

/// Writes a non-zero mantissa at `scale` right-aligned in `buffer`, trailing fraction zeros
/// dropped; returns where the text starts.
fn write_digits<N>(mut mantissa: N, mut scale: usize, buffer: &mut [u8; CANONICAL_MAX]) -> usize
where
    N: Copy + PartialEq + PartialOrd + From<u8> + std::ops::Rem<Output = N> + std::ops::DivAssign,
    u8: TryFrom<N>,
{
    let (zero, ten) = (N::from(0), N::from(10));
    while scale > 0 && mantissa % ten == zero {
        mantissa /= ten;
        scale -= 1;
    }
    // Digits from the right: the fraction, the point, the whole part (at least "0").
    let mut at = CANONICAL_MAX;
    let mut written = 0;
    while mantissa > zero || written <= scale {
        if written == scale && scale > 0 {
            at -= 1;
            buffer[at] = b'.';
        }
        at -= 1;
        buffer[at] = b'0' + u8::try_from(mantissa % ten).unwrap_or(0);
        mantissa /= ten;
        written += 1;
    }
    at
}

/// Parses a decimal that the server itself wrote (for example from the database).
pub fn parse_stored(text: &str) -> Result<Decimal, DecimalError> {
    Decimal::from_str(text).map_err(|_| DecimalError::Syntax)
}

#[cfg(test)]
mod tests {

    proptest::proptest! {
        /// The fast writer gives the text of normalizing and displaying, for any decimal.
        #[test]
        fn fast_canonical_text_matches_normalize_and_display(
            mantissa in proptest::num::i128::ANY,
            scale in 0u32..=28,
        ) {
            let mantissa = mantissa % 79_228_162_514_264_337_593_543_950_335i128;
            let value = Decimal::from_i128_with_scale(mantissa, scale);
            let normalized = value.normalize();
            let expected = if normalized.is_zero() { "0".to_string() } else { normalized.to_string() };
            let mut buffer = [0u8; CANONICAL_MAX];
            proptest::prop_assert_eq!(write_canonical(value, &mut buffer), expected.as_str());
        }
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_plain_decimals_only() {
        for ok in ["0", "12", "0.0008", "3.986", "-3.5", "10.50", "007"] {
            assert!(parse_decimal(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", " 1", "1 ", "+1", "1e3", "1E3", ".5", "5.", "1,000", "--1", "0x10", "NaN", "inf",
            "1.2.3", "١",
        ] {
            assert_eq!(parse_decimal(bad), Err(DecimalError::Syntax), "{bad:?}");
        }
        assert_eq!(
            parse_decimal("123456789012345678901234567890.5"),
            Err(DecimalError::Precision)
        );
    }

    #[test]
    fn non_negative_refuses_negative_amounts() {
        assert_eq!(parse_non_negative("-0.01"), Err(DecimalError::Negative));
        assert_eq!(canonical(parse_non_negative("-0").unwrap()), "0");
    }

    #[test]
    fn canonical_strips_trailing_zeros_without_exponent() {
        assert_eq!(canonical(parse_decimal("100000").unwrap()), "100000");
        assert_eq!(canonical(parse_decimal("3.4400").unwrap()), "3.44");
        assert_eq!(canonical(parse_decimal("0.00080").unwrap()), "0.0008");
        assert_eq!(canonical(parse_decimal("5.0").unwrap()), "5");
        assert_eq!(canonical(parse_decimal("0.000").unwrap()), "0");
        assert_eq!(canonical(Decimal::new(1, 20)), "0.00000000000000000001");
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(text in ".{0,60}") {
            let _ = parse_decimal(&text);
            let _ = parse_non_negative(&text);
        }

        #[test]
        fn canonical_round_trips(mantissa in any::<i64>(), scale in 0u32..18) {
            let value = Decimal::new(mantissa, scale);
            let text = canonical(value);
            prop_assert!(!text.contains('e') && !text.contains('E'));
            prop_assert_eq!(parse_decimal(&text).unwrap(), value);
        }
    }
}
