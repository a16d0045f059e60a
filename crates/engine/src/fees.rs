//! Fees under a user's schedule ([`model::fees::FeeSchedule`]).
//!
//! Options pay per contract by action, shares per share by side, and a settled in-the-money
//! strike pays the exercise fee once whatever the quantity. Each transaction's fee is computed
//! exactly and rounded to the cent, half away from zero; an order's fee is the sum of its legs'.

use model::fees::FeeSchedule;
use model::order::{Action, Instrument, Leg};
use rust_decimal::{Decimal, RoundingStrategy};

/// The fee of one transaction: `quantity` of `instrument` traded with `action`.
pub fn transaction_fee(
    schedule: &FeeSchedule,
    instrument: &Instrument,
    action: Action,
    quantity: u32,
) -> Decimal {
    let rate = match instrument {
        Instrument::Option(_) => match action {
            Action::BuyToOpen => schedule.buy_to_open_option,
            Action::SellToOpen => schedule.sell_to_open_option,
            Action::BuyToClose => schedule.buy_to_close_option,
            Action::SellToClose => schedule.sell_to_close_option,
        },
        Instrument::Equity(_) if action.buys() => schedule.buy_equity,
        Instrument::Equity(_) => schedule.sell_equity,
    };
    cents(rate * Decimal::from(quantity))
}

/// The fees an order's legs will pay when it fills: the estimate shown while it is pending.
pub fn order_fees(schedule: &FeeSchedule, legs: &[Leg]) -> Decimal {
    legs.iter()
        .map(|leg| transaction_fee(schedule, &leg.instrument, leg.action, leg.quantity))
        .sum::<Decimal>()
        .normalize()
}

/// The fee of settling one in-the-money strike.
pub fn exercise_fee(schedule: &FeeSchedule) -> Decimal {
    cents(schedule.exercise_option)
}

fn cents(amount: Decimal) -> Decimal {
    amount
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::option_leg as option;
    use rust_decimal::dec;

    #[test]
    fn a_vertical_costs_3_44_to_open_and_1_44_to_close_by_default() {
        let schedule = FeeSchedule::PLATFORM_DEFAULT;
        let open = [
            option("SPXW250115C05950000", Action::BuyToOpen, 1),
            option("SPXW250115C05970000", Action::SellToOpen, 1),
        ];
        assert_eq!(order_fees(&schedule, &open), dec!(3.44));
        let close = [
            option("SPXW250115C05950000", Action::SellToClose, 1),
            option("SPXW250115C05970000", Action::BuyToClose, 1),
        ];
        assert_eq!(order_fees(&schedule, &close), dec!(1.44));
        let ten = [option("SPXW250115C05950000", Action::BuyToOpen, 10)];
        assert_eq!(order_fees(&schedule, &ten), dec!(17.2));
        assert_eq!(exercise_fee(&schedule), dec!(5));
    }

    #[test]
    fn shares_pay_per_share_rounded_to_the_cent() {
        let schedule = FeeSchedule::PLATFORM_DEFAULT;
        let spy = Instrument::Equity("SPY".into());
        // 0.0008 × 100 = 0.08; 0.003986 × 100 = 0.3986 → 0.40; × 1 = 0.003986 → 0.
        assert_eq!(
            transaction_fee(&schedule, &spy, Action::BuyToOpen, 100),
            dec!(0.08)
        );
        assert_eq!(
            transaction_fee(&schedule, &spy, Action::SellToClose, 100),
            dec!(0.4)
        );
        assert_eq!(
            transaction_fee(&schedule, &spy, Action::SellToClose, 1),
            dec!(0)
        );
        // Half a cent rounds away from zero.
        let mut half = schedule;
        half.buy_equity = dec!(0.005);
        assert_eq!(
            transaction_fee(&half, &spy, Action::BuyToOpen, 1),
            dec!(0.01)
        );
        assert_eq!(
            transaction_fee(&half, &spy, Action::BuyToOpen, 3),
            dec!(0.02)
        );
    }

    #[test]
    fn a_custom_schedule_replaces_the_default() {
        let mut schedule = FeeSchedule::PLATFORM_DEFAULT;
        schedule.buy_to_open_option = dec!(0.65);
        let legs = [option("SPXW250115C05950000", Action::BuyToOpen, 3)];
        assert_eq!(order_fees(&schedule, &legs), dec!(1.95));
    }
}
