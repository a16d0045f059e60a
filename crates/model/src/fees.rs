//! The per-user fee schedule and slippage setting of the session simulator.
//!
//! Every user trades under the platform default schedule unless they override all seven fields.
//! Each overridden value is a non-negative decimal at most ten times its default, so a typo cannot
//! turn one contract into a thousand-dollar fee.

use crate::money::{Decimal, DecimalError, canonical, parse_non_negative};
use rust_decimal::dec;

/// Fees charged by the simulator, in dollars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeSchedule {
    /// Per share bought.
    pub buy_equity: Decimal,
    /// Per share sold.
    pub sell_equity: Decimal,
    /// Per contract.
    pub buy_to_open_option: Decimal,
    pub sell_to_open_option: Decimal,
    pub buy_to_close_option: Decimal,
    pub sell_to_close_option: Decimal,
    /// Once per settled in-the-money strike.
    pub exercise_option: Decimal,
}

/// The wire names of the seven fields, in the order the documentation lists them.
pub const FEE_FIELDS: [&str; 7] = [
    "buy_equity",
    "sell_equity",
    "buy_to_open_option",
    "sell_to_open_option",
    "buy_to_close_option",
    "sell_to_close_option",
    "exercise_option",
];

/// How far above its default a user may set a fee.
pub const FEE_CAP_MULTIPLE: Decimal = dec!(10);

impl FeeSchedule {
    pub const PLATFORM_DEFAULT: FeeSchedule = FeeSchedule {
        buy_equity: dec!(0.0008),
        sell_equity: dec!(0.003986),
        buy_to_open_option: dec!(1.72),
        sell_to_open_option: dec!(1.72),
        buy_to_close_option: dec!(0.72),
        sell_to_close_option: dec!(0.72),
        exercise_option: dec!(5),
    };

    /// The fields as (wire name, amount), in [`FEE_FIELDS`] order.
    pub fn fields(&self) -> [(&'static str, Decimal); 7] {
        [
            (FEE_FIELDS[0], self.buy_equity),
            (FEE_FIELDS[1], self.sell_equity),
            (FEE_FIELDS[2], self.buy_to_open_option),
            (FEE_FIELDS[3], self.sell_to_open_option),
            (FEE_FIELDS[4], self.buy_to_close_option),
            (FEE_FIELDS[5], self.sell_to_close_option),
            (FEE_FIELDS[6], self.exercise_option),
        ]
    }

    fn field_mut(&mut self, name: &str) -> Option<&mut Decimal> {
        Some(match name {
            "buy_equity" => &mut self.buy_equity,
            "sell_equity" => &mut self.sell_equity,
            "buy_to_open_option" => &mut self.buy_to_open_option,
            "sell_to_open_option" => &mut self.sell_to_open_option,
            "buy_to_close_option" => &mut self.buy_to_close_option,
            "sell_to_close_option" => &mut self.sell_to_close_option,
            "exercise_option" => &mut self.exercise_option,
            _ => return None,
        })
    }

    /// The highest value a user may set for `field`.
    pub fn cap(field: &str) -> Option<Decimal> {
        let mut defaults = Self::PLATFORM_DEFAULT;
        defaults.field_mut(field).map(|d| *d * FEE_CAP_MULTIPLE)
    }

    /// Builds a user's override from the submitted fields. `None` as a value means the field was
    /// present but not a string. Every problem found is reported, each naming its field.
    pub fn from_override<'a>(
        submitted: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Result<FeeSchedule, Vec<String>> {
        let mut schedule = Self::PLATFORM_DEFAULT;
        let mut seen = [false; 7];
        let mut problems = Vec::new();
        for (name, value) in submitted {
            let Some(index) = FEE_FIELDS.iter().position(|f| *f == name) else {
                problems.push(format!("fee_schedule.{name} is not a fee field"));
                continue;
            };
            seen[index] = true;
            let Some(text) = value else {
                problems.push(format!("fee_schedule.{name} must be a decimal string"));
                continue;
            };
            let amount = match parse_non_negative(text) {
                Ok(amount) => amount,
                Err(DecimalError::Negative) => {
                    problems.push(format!("fee_schedule.{name} must not be negative"));
                    continue;
                }
                Err(e) => {
                    problems.push(format!("fee_schedule.{name} {e}"));
                    continue;
                }
            };
            let cap = Self::cap(name).expect("known field has a cap");
            if amount > cap {
                problems.push(format!(
                    "fee_schedule.{name} must be at most {} (10x the default)",
                    canonical(cap)
                ));
                continue;
            }
            *schedule.field_mut(name).expect("known field") = amount;
        }
        for (index, present) in seen.iter().enumerate() {
            if !present {
                problems.push(format!("fee_schedule.{} is required", FEE_FIELDS[index]));
            }
        }
        if problems.is_empty() {
            Ok(schedule)
        } else {
            Err(problems)
        }
    }
}

/// The slippage a user adds to simulated fills, in option price points (0.05 is $5 a contract).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Slippage(Decimal);

impl Slippage {
    pub const STEP: Decimal = dec!(0.05);
    pub const MAX: Decimal = dec!(1.00);
    pub const NONE: Slippage = Slippage(Decimal::ZERO);

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Validates a submitted setting: a non-negative multiple of 0.05, at most 1.00.
    pub fn parse(text: &str) -> Result<Slippage, String> {
        let amount = parse_non_negative(text).map_err(|e| format!("slippage {e}"))?;
        if amount > Self::MAX {
            return Err("slippage must be at most 1.00".to_string());
        }
        if !(amount % Self::STEP).is_zero() {
            return Err("slippage must be a multiple of 0.05".to_string());
        }
        Ok(Slippage(amount.normalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn full(
        overrides: &[(&'static str, &'static str)],
    ) -> Vec<(&'static str, Option<&'static str>)> {
        let mut fields: Vec<(&str, Option<&str>)> = FeeSchedule::PLATFORM_DEFAULT
            .fields()
            .iter()
            .map(|(name, _)| (*name, Some("1")))
            .collect();
        for (name, value) in overrides {
            fields.iter_mut().find(|(n, _)| n == name).unwrap().1 = Some(value);
        }
        fields
    }

    #[test]
    fn caps_are_ten_times_the_defaults() {
        assert_eq!(canonical(FeeSchedule::cap("buy_equity").unwrap()), "0.008");
        assert_eq!(
            canonical(FeeSchedule::cap("sell_equity").unwrap()),
            "0.03986"
        );
        assert_eq!(
            canonical(FeeSchedule::cap("buy_to_open_option").unwrap()),
            "17.2"
        );
        assert_eq!(
            canonical(FeeSchedule::cap("exercise_option").unwrap()),
            "50"
        );
        assert_eq!(FeeSchedule::cap("tip"), None);
    }

    #[test]
    fn a_complete_override_within_caps_is_accepted() {
        let schedule = FeeSchedule::from_override(full(&[
            ("buy_equity", "0.008"),
            ("sell_equity", "0"),
            ("exercise_option", "50"),
        ]))
        .unwrap();
        assert_eq!(canonical(schedule.buy_equity), "0.008");
        assert_eq!(schedule.sell_equity, Decimal::ZERO);
        assert_eq!(canonical(schedule.buy_to_open_option), "1");
    }

    #[test]
    fn every_problem_is_named() {
        let mut fields = full(&[("buy_equity", "0.0081"), ("sell_equity", "-1")]);
        fields.retain(|(n, _)| *n != "exercise_option");
        fields.push(("tip", Some("1")));
        fields
            .iter_mut()
            .find(|(n, _)| *n == "buy_to_open_option")
            .unwrap()
            .1 = None;
        let problems = FeeSchedule::from_override(fields).unwrap_err();
        assert_eq!(
            problems,
            vec![
                "fee_schedule.buy_equity must be at most 0.008 (10x the default)",
                "fee_schedule.sell_equity must not be negative",
                "fee_schedule.buy_to_open_option must be a decimal string",
                "fee_schedule.tip is not a fee field",
                "fee_schedule.exercise_option is required",
            ]
        );
    }

    #[test]
    fn slippage_is_a_nickel_multiple_up_to_one_dollar() {
        assert_eq!(Slippage::parse("0.05").unwrap().amount(), dec!(0.05));
        assert_eq!(canonical(Slippage::parse("1.00").unwrap().amount()), "1");
        assert_eq!(Slippage::parse("0").unwrap(), Slippage::NONE);
        assert!(
            Slippage::parse("0.07")
                .unwrap_err()
                .contains("multiple of 0.05")
        );
        assert!(
            Slippage::parse("1.05")
                .unwrap_err()
                .contains("at most 1.00")
        );
        assert!(Slippage::parse("-0.05").unwrap_err().contains("negative"));
        assert!(
            Slippage::parse("5e-2")
                .unwrap_err()
                .contains("decimal string")
        );
    }

    proptest! {
        #[test]
        fn override_validation_never_panics(
            entries in proptest::collection::vec((".{0,24}", proptest::option::of(".{0,24}")), 0..10)
        ) {
            let borrowed: Vec<(&str, Option<&str>)> =
                entries.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
            let _ = FeeSchedule::from_override(borrowed);
        }
    }
}
