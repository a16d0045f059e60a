//! Exact decimals as JSON numbers, for every face.
//!
//! JSON has one number type and clients read it as a double, so a price must leave as the
//! shortest text that reads back as the intended decimal: `8.75`, never `8.7500000001`. A whole
//! value goes out as an integer (`5950`). Otherwise the decimal's own text is read into the
//! nearest double (Rust's parser rounds correctly) and written back shortest-first (ryu), which
//! gives the same digits for any decimal of up to 15 significant digits: every price of up to
//! six integer digits at the tape's nine decimals.

use model::Decimal;
use serde::{Serialize, Serializer};

/// A decimal as a JSON number.
pub fn number(value: Decimal) -> serde_json::Number {
    let value = value.normalize();
    if value.fract().is_zero()
        && let Ok(whole) = i64::try_from(value)
    {
        return serde_json::Number::from(whole);
    }
    value
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .unwrap_or_else(|| serde_json::Number::from(0))
}

/// A tape price (nanodollars) as a JSON number of dollars. Prices under a million dollars go
/// straight from the integer to the double (both exact, the division correctly rounded) without
/// a `Decimal`, because a chain snapshot writes a few thousand of them.
pub fn dollars(px: tape::Px) -> serde_json::Number {
    const SCALE: i64 = tape::PRICE_SCALE;
    if px % SCALE == 0 {
        return serde_json::Number::from(px / SCALE);
    }
    if px.unsigned_abs() < 1_000_000 * SCALE as u64
        && let Some(n) = serde_json::Number::from_f64(px as f64 / SCALE as f64)
    {
        return n;
    }
    number(tape::records::px_to_decimal(px))
}

/// A tape price that serializes as a number of dollars, without an intermediate JSON value
/// (for responses of many rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dollars(pub tape::Px);

impl Serialize for Dollars {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        dollars(self.0).serialize(serializer)
    }
}

/// An exact decimal that serializes as its canonical string (`"3.44"`, `"100000"`): money and
/// quantities in the simulator's bodies, written without an intermediate `String`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecimalString(pub Decimal);

impl Serialize for DecimalString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0u8; model::money::CANONICAL_MAX];
        serializer.serialize_str(model::money::write_canonical(self.0, &mut buffer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(px: tape::Px) -> String {
        serde_json::to_string(&Dollars(px)).unwrap()
    }

    #[test]
    fn prices_keep_their_digits() {
        assert_eq!(text(8_750_000_000), "8.75");
        assert_eq!(text(8_700_000_000), "8.7");
        assert_eq!(text(5_950_000_000_000), "5950");
        assert_eq!(text(0), "0");
        assert_eq!(text(50_000_000), "0.05");
        assert_eq!(text(123_456_789_123), "123.456789123");
        assert_eq!(text(-2_200_000_000), "-2.2");
        assert_eq!(number(Decimal::new(1_825, 1)).to_string(), "182.5");
    }

    #[test]
    fn decimal_strings_are_canonical() {
        let text = |d: Decimal| serde_json::to_string(&DecimalString(d)).unwrap();
        assert_eq!(text(Decimal::new(34_400, 4)), "\"3.44\"");
        assert_eq!(text(Decimal::new(100_000, 0)), "\"100000\"");
        assert_eq!(text(Decimal::new(-3250, 1)), "\"-325\"");
        assert_eq!(text(-Decimal::ZERO), "\"0\"");
    }

    proptest! {
        /// Whatever the price, the number read back is the price's decimal exactly.
        #[test]
        fn any_price_reads_back_exactly(px in -2_000_000_000_000_000i64..2_000_000_000_000_000) {
            let decimal = tape::records::px_to_decimal(px);
            let written = text(px);
            let read: Decimal = written.parse().or_else(|_| Decimal::from_scientific(&written)).unwrap();
            prop_assert_eq!(read, decimal, "{} went out as {}", px, written);
        }
    }
}
