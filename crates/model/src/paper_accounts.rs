//! Paper accounts' rules (paper-trading spec §3.3, §5.2, §5.6, §9.8): names, initial cash, the
//! active-account limit, reset reasons, and the figures of an equity point.

use rust_decimal::{Decimal, RoundingStrategy, dec};

/// Active accounts a user may hold at once; archived ones do not count.
pub const MAX_ACTIVE_ACCOUNTS: usize = 20;
/// Cash of a new account or generation when the request names none.
pub const DEFAULT_INITIAL_CASH: Decimal = dec!(100000);
pub const MAX_INITIAL_CASH: Decimal = dec!(100000000);
/// Initial cash is whole cents.
pub const CASH_DECIMALS: u32 = 2;
pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_REASON_CHARS: usize = 500;
/// Decimals a drawdown fraction keeps.
pub const DRAWDOWN_DECIMALS: u32 = 8;

/// Why a name, an amount or a reason was refused; the text completes "`field` ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountRuleError {
    #[error("must not be empty")]
    EmptyName,
    #[error("may have at most {MAX_NAME_CHARS} characters")]
    LongName,
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("must be greater than 0")]
    NotPositive,
    #[error("must be at most 100000000")]
    TooMuchCash,
    #[error("may have at most 2 decimals")]
    SubCent,
    #[error("may have at most {MAX_REASON_CHARS} characters")]
    LongReason,
}

/// An account name as kept: trimmed, 1–64 characters, no control characters. Names need not be
/// unique.
pub fn account_name(text: &str) -> Result<String, AccountRuleError> {
    let name = text.trim();
    if name.is_empty() {
        return Err(AccountRuleError::EmptyName);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AccountRuleError::LongName);
    }
    if name.chars().any(char::is_control) {
        return Err(AccountRuleError::ControlCharacter);
    }
    Ok(name.to_string())
}

/// Initial cash as kept: more than 0, at most 100,000,000, whole cents. Judged by value, so
/// `"1.50"` and `"1.5"` are the same amount; the result is normalized.
pub fn initial_cash(amount: Decimal) -> Result<Decimal, AccountRuleError> {
    let amount = amount.normalize();
    if amount <= Decimal::ZERO {
        return Err(AccountRuleError::NotPositive);
    }
    if amount > MAX_INITIAL_CASH {
        return Err(AccountRuleError::TooMuchCash);
    }
    if amount.scale() > CASH_DECIMALS {
        return Err(AccountRuleError::SubCent);
    }
    Ok(amount)
}

/// A reset's reason as kept: trimmed, at most 500 characters; blank means none. Line breaks
/// are allowed: it is free text for the audit trail.
pub fn reset_reason(text: &str) -> Result<Option<String>, AccountRuleError> {
    let reason = text.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AccountRuleError::LongReason);
    }
    Ok((!reason.is_empty()).then(|| reason.to_string()))
}

/// The values of one equity point (§6.8, §9.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EquityFigures {
    pub equity: Decimal,
    pub cash: Decimal,
    pub market_value: Decimal,
    pub realized_pl: Decimal,
    pub unrealized_pl: Decimal,
    /// The highest equity of the generation's points so far, this one included.
    pub peak_equity: Decimal,
    /// `equity / peak_equity − 1`, at most 0, to [`DRAWDOWN_DECIMALS`].
    pub drawdown: Decimal,
    /// `equity − peak_equity`, at most 0.
    pub drawdown_amount: Decimal,
}

impl EquityFigures {
    /// The point after a generation's earlier points whose highest equity was `previous_peak`
    /// (`None` for the generation's first point).
    pub fn new(
        cash: Decimal,
        market_value: Decimal,
        realized_pl: Decimal,
        unrealized_pl: Decimal,
        previous_peak: Option<Decimal>,
    ) -> EquityFigures {
        let equity = (cash + market_value).normalize();
        let peak_equity = previous_peak.map_or(equity, |peak| peak.max(equity));
        // A peak of zero or less (an account that never held anything) has no drawdown to show.
        let drawdown = if peak_equity > Decimal::ZERO {
            (equity / peak_equity - Decimal::ONE)
                .round_dp_with_strategy(DRAWDOWN_DECIMALS, RoundingStrategy::MidpointAwayFromZero)
                .normalize()
        } else {
            Decimal::ZERO
        };
        EquityFigures {
            equity,
            cash: cash.normalize(),
            market_value: market_value.normalize(),
            realized_pl: realized_pl.normalize(),
            unrealized_pl: unrealized_pl.normalize(),
            peak_equity,
            drawdown,
            drawdown_amount: (equity - peak_equity).normalize(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(account_name("  agent-sandbox \t").unwrap(), "agent-sandbox");
        assert_eq!(account_name(" \n "), Err(AccountRuleError::EmptyName));
        assert_eq!(account_name(&"é".repeat(64)).unwrap().chars().count(), 64);
        assert_eq!(
            account_name(&"x".repeat(65)),
            Err(AccountRuleError::LongName)
        );
        assert_eq!(
            account_name("a\u{7}b"),
            Err(AccountRuleError::ControlCharacter)
        );
        assert_eq!(
            account_name("a\nb"),
            Err(AccountRuleError::ControlCharacter)
        );
        assert_eq!(
            account_name("a\u{85}b"),
            Err(AccountRuleError::ControlCharacter)
        );
    }

    #[test]
    fn initial_cash_is_positive_bounded_whole_cents() {
        assert_eq!(
            initial_cash(dec!(250000.50)).unwrap().to_string(),
            "250000.5"
        );
        assert_eq!(initial_cash(dec!(100000000)).unwrap(), MAX_INITIAL_CASH);
        assert_eq!(initial_cash(dec!(0.01)).unwrap(), dec!(0.01));
        assert_eq!(initial_cash(dec!(1.230)).unwrap(), dec!(1.23));
        assert_eq!(initial_cash(dec!(0)), Err(AccountRuleError::NotPositive));
        assert_eq!(initial_cash(dec!(-5)), Err(AccountRuleError::NotPositive));
        assert_eq!(
            initial_cash(dec!(100000000.01)),
            Err(AccountRuleError::TooMuchCash)
        );
        assert_eq!(initial_cash(dec!(1.234)), Err(AccountRuleError::SubCent));
    }

    #[test]
    fn reasons_are_bounded_and_blank_is_none() {
        assert_eq!(reset_reason("  ").unwrap(), None);
        assert_eq!(
            reset_reason(" new strategy\n").unwrap().as_deref(),
            Some("new strategy")
        );
        assert!(reset_reason(&"r".repeat(500)).is_ok());
        assert_eq!(
            reset_reason(&"r".repeat(501)),
            Err(AccountRuleError::LongReason)
        );
    }

    #[test]
    fn drawdown_follows_the_peak() {
        // Acceptance scenario 16: 100000 → 102000 → 99960.
        let first = EquityFigures::new(dec!(100000), dec!(0), dec!(0), dec!(0), None);
        assert_eq!((first.peak_equity, first.drawdown), (dec!(100000), dec!(0)));
        let up = EquityFigures::new(
            dec!(50000),
            dec!(52000),
            dec!(0),
            dec!(2000),
            Some(first.peak_equity),
        );
        assert_eq!((up.equity, up.peak_equity), (dec!(102000), dec!(102000)));
        let down = EquityFigures::new(
            dec!(50000),
            dec!(49960),
            dec!(0),
            dec!(-40),
            Some(up.peak_equity),
        );
        assert_eq!(down.drawdown, dec!(-0.02));
        assert_eq!(down.drawdown_amount, dec!(-2040));
        assert_eq!(down.peak_equity, dec!(102000));
        let third = EquityFigures::new(dec!(2), dec!(0), dec!(0), dec!(0), Some(dec!(3)));
        assert_eq!(third.drawdown, dec!(-0.33333333));
    }
}
