//! Option contract symbols: the OCC Options Symbology Initiative (OSI) key and its renderings.
//!
//! A contract is `(root, expiration, right, strike)`. Vendors write it three ways: the 21-character
//! OSI form with the root padded to six (`SPXW  250115C05950000`, Databento), the same without
//! padding, and Polygon's `O:` + unpadded (`O:SPXW250115C05950000`). The parser accepts all three
//! and reads from the right, because only the root has a variable width.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

use crate::money::{Decimal, parse_decimal};

/// Longest option root OSI can carry.
pub const MAX_ROOT_LEN: usize = 6;

/// Characters after the root: `YYMMDD`, the right, eight strike digits.
const TAIL_LEN: usize = 6 + 1 + 8;

/// How much of a rejected input an error message repeats.
const PREVIEW_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    #[error(
        "option symbol {input:?} has {len} characters; expected a 1-6 character root, YYMMDD, \
         C or P and 8 strike digits (16 to 21 characters, 18 to 23 with \"O:\")"
    )]
    Length { input: String, len: usize },
    #[error("option symbol {input:?} contains non-ASCII characters")]
    NotAscii { input: String },
    #[error("root {root:?} must be 1 to 6 ASCII letters or digits")]
    Root { root: String },
    #[error(
        "root field {field:?} is padded wrongly: OSI pads the root to exactly 6 characters and \
         the O: form is never padded"
    )]
    RootPadding { field: String },
    #[error("expiration {text:?} is not a valid YYMMDD date")]
    Expiration { text: String },
    #[error("expiration {date} cannot be written as YYMMDD; OSI covers 2000-01-01 to 2099-12-31")]
    ExpirationOutOfRange { date: Date },
    #[error("right {text:?} must be C or P (or call or put)")]
    Right { text: String },
    #[error("strike field {text:?} must be 8 digits (dollars times 1000)")]
    StrikeDigits { text: String },
    #[error("strike {text:?} is not a decimal number")]
    StrikeSyntax { text: String },
    #[error("strike must be greater than zero")]
    StrikeZero,
    #[error("strike {value} must not be negative")]
    StrikeNegative { value: Decimal },
    #[error("strike {value} has more than three decimal places")]
    StrikePrecision { value: Decimal },
    #[error("strike {value} exceeds the OSI maximum of 99999.999")]
    StrikeTooLarge { value: Decimal },
}

/// The start of `text`, for error messages about inputs that may be arbitrarily long.
fn preview(text: &str) -> String {
    match text.char_indices().nth(PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Right {
    Call,
    Put,
}

impl Right {
    /// `'C'` or `'P'`, as in OSI.
    pub const fn as_char(self) -> char {
        match self {
            Right::Call => 'C',
            Right::Put => 'P',
        }
    }

    /// `C`/`P` in either case.
    pub fn from_char(c: char) -> Option<Right> {
        match c.to_ascii_uppercase() {
            'C' => Some(Right::Call),
            'P' => Some(Right::Put),
            _ => None,
        }
    }
}

impl FromStr for Right {
    type Err = SymbolError;

    /// `C`, `P`, `call` or `put`, in any case.
    fn from_str(text: &str) -> Result<Right, SymbolError> {
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && let Some(right) = Right::from_char(c)
        {
            return Ok(right);
        }
        if text.eq_ignore_ascii_case("call") {
            Ok(Right::Call)
        } else if text.eq_ignore_ascii_case("put") {
            Ok(Right::Put)
        } else {
            Err(SymbolError::Right {
                text: preview(text),
            })
        }
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

// ---------------------------------------------------------------------------------------------

/// An option root (the option class, not the underlying): 1 to 6 ASCII uppercase letters or
/// digits, e.g. `SPXW`, `AAPL`, `AMC1`.
///
/// Stored inline so symbols are `Copy` and cheap to hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Root {
    // Zero-padded; zero sorts before every valid character, so the derived order is the
    // alphabetical order of the text.
    bytes: [u8; MAX_ROOT_LEN],
}

impl Root {
    /// Validates and upper-cases a root.
    pub fn new(text: &str) -> Result<Root, SymbolError> {
        let valid = (1..=MAX_ROOT_LEN).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric());
        if !valid {
            return Err(SymbolError::Root {
                root: preview(text),
            });
        }
        let mut bytes = [0u8; MAX_ROOT_LEN];
        for (slot, b) in bytes.iter_mut().zip(text.bytes()) {
            *slot = b.to_ascii_uppercase();
        }
        Ok(Root { bytes })
    }

    pub fn as_str(&self) -> &str {
        let len = self.len();
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.bytes[..len]).unwrap_or_default()
    }

    /// Number of characters, 1 to 6.
    pub fn len(&self) -> usize {
        self.bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(MAX_ROOT_LEN)
    }

    /// Always false: a root has at least one character.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl FromStr for Root {
    type Err = SymbolError;

    fn from_str(text: &str) -> Result<Root, SymbolError> {
        Root::new(text)
    }
}

impl AsRef<str> for Root {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so that width and alignment flags (`{:<6}`) work.
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Root({:?})", self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------

/// A strike price in thousandths of a dollar, OSI's 8-digit field: $0.001 to $99,999.999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Strike(u32);

impl Strike {
    /// Largest strike OSI can write: $99,999.999.
    pub const MAX_THOUSANDTHS: u32 = 99_999_999;

    pub fn from_thousandths(thousandths: u32) -> Result<Strike, SymbolError> {
        match thousandths {
            0 => Err(SymbolError::StrikeZero),
            t if t > Self::MAX_THOUSANDTHS => Err(SymbolError::StrikeTooLarge {
                value: Decimal::new(i64::from(t), 3).normalize(),
            }),
            t => Ok(Strike(t)),
        }
    }

    pub const fn thousandths(self) -> u32 {
        self.0
    }

    /// The strike in dollars, without trailing zeros.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(i64::from(self.0), 3).normalize()
    }

    /// Exact conversion from dollars: refuses negatives, zero, more than three decimal places
    /// and amounts above $99,999.999 rather than rounding.
    pub fn from_decimal(value: Decimal) -> Result<Strike, SymbolError> {
        if value.is_zero() {
            return Err(SymbolError::StrikeZero);
        }
        if value.is_sign_negative() {
            return Err(SymbolError::StrikeNegative { value });
        }
        let normalized = value.normalize();
        let scale = normalized.scale();
        if scale > 3 {
            return Err(SymbolError::StrikePrecision { value });
        }
        let too_large = SymbolError::StrikeTooLarge { value };
        let thousandths = normalized
            .mantissa()
            .checked_mul(10i128.pow(3 - scale))
            .ok_or_else(|| too_large.clone())?;
        let thousandths = u32::try_from(thousandths).map_err(|_| too_large.clone())?;
        Strike::from_thousandths(thousandths).map_err(|_| too_large)
    }
}

impl FromStr for Strike {
    type Err = SymbolError;

    /// Plain decimal dollars: `"5950"`, `"22.5"`, `"450.050"`.
    fn from_str(text: &str) -> Result<Strike, SymbolError> {
        let value = parse_decimal(text).map_err(|_| SymbolError::StrikeSyntax {
            text: preview(text),
        })?;
        Strike::from_decimal(value)
    }
}

impl fmt::Display for Strike {
    /// Plain dollars without trailing zeros: `5950`, `22.5`, `450.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 1000;
        let fraction = self.0 % 1000;
        if fraction == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{fraction:03}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

// ---------------------------------------------------------------------------------------------

/// One option contract: the canonical internal key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OptionSymbol {
    pub root: Root,
    pub expiration: Date,
    pub right: Right,
    pub strike: Strike,
}

/// Longest underlying ticker (`BRK.B`, `SPX`, `I:` prefixes aside).
pub const TICKER_MAX: usize = 16;

/// Whether `text` is an underlying's ticker as optiontape stores it: 1 to [`TICKER_MAX`] of
/// `A`-`Z`, `0`-`9`, `.` and `-`.
pub fn is_ticker(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= TICKER_MAX
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

impl OptionSymbol {
    /// A contract whose expiration OSI can write (2000-01-01 through 2099-12-31).
    pub fn new(
        root: Root,
        expiration: Date,
        right: Right,
        strike: Strike,
    ) -> Result<OptionSymbol, SymbolError> {
        if !(2000..=2099).contains(&expiration.year()) {
            return Err(SymbolError::ExpirationOutOfRange { date: expiration });
        }
        Ok(OptionSymbol {
            root,
            expiration,
            right,
            strike,
        })
    }

    /// Parses the padded OSI form (`SPXW  250115C05950000`), the unpadded form
    /// (`SPXW250115C05950000`) or Polygon's (`O:SPXW250115C05950000`).
    pub fn parse(text: &str) -> Result<OptionSymbol, SymbolError> {
        let (polygon, body) = match text.strip_prefix("O:") {
            Some(body) => (true, body),
            None => (false, text),
        };
        if !body.is_ascii() {
            return Err(SymbolError::NotAscii {
                input: preview(text),
            });
        }
        if body.len() <= TAIL_LEN {
            return Err(SymbolError::Length {
                input: preview(text),
                len: text.len(),
            });
        }
        // Read from the right: only the root has a variable width. All ASCII, so every byte
        // index is a character boundary.
        let (root_field, tail) = body.split_at(body.len() - TAIL_LEN);
        let (yymmdd, tail) = tail.split_at(6);
        let (right, strike) = tail.split_at(1);

        let root_text = root_field.trim_end_matches(' ');
        // Padding is OSI's alone: one spelling per form keeps a contract's text unique.
        let padded = root_text.len() != root_field.len();
        if padded && (polygon || root_field.len() != MAX_ROOT_LEN) {
            return Err(SymbolError::RootPadding {
                field: preview(root_field),
            });
        }
        let root = Root::new(root_text)?;
        let expiration = parse_yymmdd(yymmdd)?;
        let right = right
            .chars()
            .next()
            .and_then(Right::from_char)
            .ok_or_else(|| SymbolError::Right {
                text: right.to_string(),
            })?;
        let strike = parse_strike_field(strike)?;
        Ok(OptionSymbol {
            root,
            expiration,
            right,
            strike,
        })
    }

    /// The 21-character OSI form, root padded with spaces: `SPXW  250115C05950000`.
    pub fn osi(&self) -> String {
        format!("{:<6}{}", self.root, self.tail())
    }

    /// OSI without the padding: `SPXW250115C05950000`.
    pub fn unpadded(&self) -> String {
        format!("{}{}", self.root, self.tail())
    }

    /// Polygon/Massive's form: `O:SPXW250115C05950000`.
    pub fn polygon(&self) -> String {
        format!("O:{}{}", self.root, self.tail())
    }

    /// `YYMMDD`, the right and the eight strike digits. Years outside 2000-2099 (which neither
    /// [`OptionSymbol::new`] nor the parser produce) are written modulo 100.
    fn tail(&self) -> String {
        let e = self.expiration;
        format!(
            "{:02}{:02}{:02}{}{:08}",
            i32::from(e.year()).rem_euclid(100),
            e.month(),
            e.day(),
            self.right.as_char(),
            self.strike.thousandths()
        )
    }
}

fn parse_yymmdd(text: &str) -> Result<Date, SymbolError> {
    let bad = || SymbolError::Expiration {
        text: text.to_string(),
    };
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let field = |i: usize| text[i..i + 2].parse::<i8>().map_err(|_| bad());
    Date::new(2000 + i16::from(field(0)?), field(2)?, field(4)?).map_err(|_| bad())
}

fn parse_strike_field(text: &str) -> Result<Strike, SymbolError> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SymbolError::StrikeDigits {
            text: text.to_string(),
        });
    }
    let thousandths = text.parse::<u32>().map_err(|_| SymbolError::StrikeDigits {
        text: text.to_string(),
    })?;
    Strike::from_thousandths(thousandths)
}

impl fmt::Display for OptionSymbol {
    /// The Polygon form, which has no spaces and so survives URLs and CSV cells.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.polygon())
    }
}

impl FromStr for OptionSymbol {
    type Err = SymbolError;

    fn from_str(text: &str) -> Result<OptionSymbol, SymbolError> {
        OptionSymbol::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn sym(text: &str) -> OptionSymbol {
        OptionSymbol::parse(text).unwrap()
    }

    #[test]
    fn parses_all_three_forms_of_the_spec_examples() {
        let spxw = OptionSymbol {
            root: Root::new("SPXW").unwrap(),
            expiration: date(2025, 1, 15),
            right: Right::Call,
            strike: Strike::from_thousandths(5_950_000).unwrap(),
        };
        for text in [
            "SPXW  250115C05950000",
            "SPXW250115C05950000",
            "O:SPXW250115C05950000",
        ] {
            assert_eq!(sym(text), spxw, "{text}");
        }
        assert_eq!(spxw.osi(), "SPXW  250115C05950000");
        assert_eq!(spxw.polygon(), "O:SPXW250115C05950000");
        assert_eq!(spxw.unpadded(), "SPXW250115C05950000");
        assert_eq!(spxw.to_string(), "O:SPXW250115C05950000");
        assert_eq!("SPXW250115C05950000".parse::<OptionSymbol>(), Ok(spxw));

        let brkb = sym("BRKB  250620P00450500");
        assert_eq!(brkb.root.as_str(), "BRKB");
        assert_eq!(brkb.right, Right::Put);
        assert_eq!(brkb.strike.to_string(), "450.5");
        assert_eq!(brkb.expiration, date(2025, 6, 20));

        assert_eq!(sym("AAPL  250117C00180000").strike.to_string(), "180");
        assert_eq!(sym("SPY   250117C00500000").root.as_str(), "SPY");
        assert_eq!(sym("AMC1  250117C00022500").strike.to_string(), "22.5");
        assert_eq!(sym("X     250117P00001000").osi(), "X     250117P00001000");
        assert_eq!(sym("GOOGL1250117C00150000").root.as_str(), "GOOGL1");
        // Lower case is tolerated and normalised.
        assert_eq!(sym("spxw250115c05950000"), spxw);
    }

    #[test]
    fn rejects_malformed_symbols_naming_the_problem() {
        let err = |text: &str| OptionSymbol::parse(text).unwrap_err();
        assert!(matches!(err(""), SymbolError::Length { len: 0, .. }));
        assert!(matches!(err("250115C05950000"), SymbolError::Length { .. }));
        assert!(matches!(err("O:"), SymbolError::Length { .. }));
        assert!(matches!(
            err("SPXWXYZ250115C05950000"),
            SymbolError::Root { .. }
        ));
        assert!(matches!(
            err("SP-W250115C05950000"),
            SymbolError::Root { .. }
        ));
        assert!(matches!(
            err(" SPXW 250115C05950000"),
            SymbolError::Root { .. }
        ));
        assert!(matches!(
            err("SPXW 250115C05950000"),
            SymbolError::RootPadding { .. }
        ));
        // Found by fuzzing: the O: form with OSI's padding was accepted as a fourth spelling.
        assert!(matches!(
            err("O:SPXW  250115C05950000"),
            SymbolError::RootPadding { .. }
        ));
        assert!(matches!(
            err("SPXW251315C05950000"),
            SymbolError::Expiration { .. }
        ));
        assert!(matches!(
            err("SPXW250230C05950000"),
            SymbolError::Expiration { .. }
        ));
        assert!(matches!(
            err("SPXW25011XC05950000"),
            SymbolError::Expiration { .. }
        ));
        assert!(matches!(
            err("SPXW250115X05950000"),
            SymbolError::Right { .. }
        ));
        assert!(matches!(
            err("SPXW250115C0595000X"),
            SymbolError::StrikeDigits { .. }
        ));
        assert!(matches!(
            err("SPXW250115C+5950000"),
            SymbolError::StrikeDigits { .. }
        ));
        assert!(matches!(
            err("SPXW250115C00000000"),
            SymbolError::StrikeZero
        ));
        assert!(matches!(
            err("SPXW250115C0595000é"),
            SymbolError::NotAscii { .. }
        ));

        assert_eq!(
            err("SPXW251315C05950000").to_string(),
            "expiration \"251315\" is not a valid YYMMDD date"
        );
        let long = "A".repeat(10_000) + "250115C05950000";
        assert!(err(&long).to_string().len() < 200);
    }

    #[test]
    fn rights_parse_from_letters_and_words() {
        for (text, right) in [
            ("C", Right::Call),
            ("c", Right::Call),
            ("call", Right::Call),
            ("CALL", Right::Call),
            ("P", Right::Put),
            ("put", Right::Put),
            ("Put", Right::Put),
        ] {
            assert_eq!(text.parse::<Right>(), Ok(right), "{text}");
        }
        for bad in ["", "X", "calls", "CP", " C"] {
            assert!(bad.parse::<Right>().is_err(), "{bad:?}");
        }
        assert_eq!(Right::Call.as_char(), 'C');
        assert_eq!(Right::Put.to_string(), "P");
    }

    #[test]
    fn roots_are_validated_and_ordered_alphabetically() {
        assert_eq!(Root::new("spxw").unwrap().as_str(), "SPXW");
        assert_eq!(Root::new("AMC1").unwrap().len(), 4);
        for bad in ["", "ABCDEFG", "BRK.B", "A B", "É"] {
            assert!(Root::new(bad).is_err(), "{bad:?}");
        }
        let mut roots: Vec<Root> = ["SPXW", "SPX", "AAPL", "SP", "A1", "A"]
            .iter()
            .map(|r| Root::new(r).unwrap())
            .collect();
        roots.sort();
        let names: Vec<&str> = roots.iter().map(Root::as_str).collect();
        assert_eq!(names, ["A", "A1", "AAPL", "SP", "SPX", "SPXW"]);
        assert_eq!(format!("{:<6}|", Root::new("SPY").unwrap()), "SPY   |");
    }

    #[test]
    fn strikes_convert_exactly() {
        let s = |t: u32| Strike::from_thousandths(t).unwrap();
        assert_eq!(s(5_950_000).to_string(), "5950");
        assert_eq!(s(22_500).to_string(), "22.5");
        assert_eq!(s(450_050).to_string(), "450.05");
        assert_eq!(s(1).to_string(), "0.001");
        assert_eq!(s(99_999_999).to_string(), "99999.999");
        assert_eq!(s(450_050).to_decimal(), Decimal::new(45005, 2));
        assert_eq!(s(450_050).to_decimal().to_string(), "450.05");

        let d = |text: &str| Strike::from_decimal(parse_decimal(text).unwrap());
        assert_eq!(d("5950"), Ok(s(5_950_000)));
        assert_eq!(d("22.50000"), Ok(s(22_500)));
        assert_eq!(d("99999.999"), Ok(s(99_999_999)));
        assert!(matches!(
            d("22.5001"),
            Err(SymbolError::StrikePrecision { .. })
        ));
        assert!(matches!(d("-5"), Err(SymbolError::StrikeNegative { .. })));
        assert!(matches!(d("0"), Err(SymbolError::StrikeZero)));
        assert!(matches!(d("-0.000"), Err(SymbolError::StrikeZero)));
        assert!(matches!(
            d("100000"),
            Err(SymbolError::StrikeTooLarge { .. })
        ));
        assert!(matches!(
            d("99999999999999999999999"),
            Err(SymbolError::StrikeTooLarge { .. })
        ));
        assert!(matches!(
            Strike::from_thousandths(100_000_000),
            Err(SymbolError::StrikeTooLarge { .. })
        ));
        assert_eq!("450.05".parse::<Strike>(), Ok(s(450_050)));
        assert!(matches!(
            "4e2".parse::<Strike>(),
            Err(SymbolError::StrikeSyntax { .. })
        ));
    }

    #[test]
    fn new_refuses_expirations_osi_cannot_write() {
        let root = Root::new("SPX").unwrap();
        let strike = Strike::from_thousandths(1_000).unwrap();
        assert!(OptionSymbol::new(root, date(2099, 12, 31), Right::Call, strike).is_ok());
        assert_eq!(
            OptionSymbol::new(root, date(2100, 1, 1), Right::Call, strike),
            Err(SymbolError::ExpirationOutOfRange {
                date: date(2100, 1, 1)
            })
        );
    }

    fn any_symbol() -> impl Strategy<Value = OptionSymbol> {
        (
            "[A-Z0-9]{1,6}",
            0i32..36_525,
            any::<bool>(),
            1u32..=Strike::MAX_THOUSANDTHS,
        )
            .prop_map(|(root, days, call, strike)| OptionSymbol {
                root: Root::new(&root).unwrap(),
                expiration: date(2000, 1, 1)
                    .checked_add(jiff::Span::new().days(days))
                    .unwrap(),
                right: if call { Right::Call } else { Right::Put },
                strike: Strike::from_thousandths(strike).unwrap(),
            })
    }

    proptest! {
        #[test]
        fn renderings_round_trip(symbol in any_symbol()) {
            let osi = symbol.osi();
            prop_assert_eq!(osi.len(), 21);
            prop_assert_eq!(OptionSymbol::parse(&osi), Ok(symbol));
            prop_assert_eq!(OptionSymbol::parse(&symbol.polygon()), Ok(symbol));
            prop_assert_eq!(OptionSymbol::parse(&symbol.unpadded()), Ok(symbol));
            prop_assert_eq!(symbol.to_string().parse::<OptionSymbol>(), Ok(symbol));
        }

        #[test]
        fn strikes_round_trip_through_decimal_and_text(t in 1u32..=Strike::MAX_THOUSANDTHS) {
            let strike = Strike::from_thousandths(t).unwrap();
            prop_assert_eq!(Strike::from_decimal(strike.to_decimal()), Ok(strike));
            prop_assert_eq!(strike.to_string().parse::<Strike>(), Ok(strike));
            prop_assert_eq!(strike.to_string(), crate::money::canonical(strike.to_decimal()));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,30}") {
            let _ = OptionSymbol::parse(&text);
            let _ = text.parse::<Right>();
            let _ = text.parse::<Strike>();
        }

        #[test]
        fn parse_never_panics_on_near_misses(
            root in "[ A-Za-z0-9.é]{0,8}",
            tail in "[0-9CPcpX ]{13,17}",
        ) {
            let _ = OptionSymbol::parse(&format!("{root}{tail}"));
            let _ = OptionSymbol::parse(&format!("O:{root}{tail}"));
        }
    }
}
