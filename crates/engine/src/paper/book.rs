//! Cash and a long position at a fill (§9.4). Cash moves by the gross amount rounded to the cent
//! (half away from zero); a buy moves the average entry price, a sale realizes against it.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimals an average entry price keeps: the tape's nanodollar.
const PRICE_DECIMALS: u32 = 9;

/// Dollars rounded to the cent, half away from zero.
pub fn cents(amount: Decimal) -> Decimal {
    amount
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// What a fill of `qty` at `price` moves: `price × qty × multiplier`, to the cent.
pub fn gross(price: Decimal, qty: Decimal, multiplier: Decimal) -> Decimal {
    cents(price * qty * multiplier)
}

/// A long position in one symbol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holding {
    pub qty: Decimal,
    /// Per share (per option share for contracts).
    pub avg_entry_price: Decimal,
    /// Realized over the generation in this symbol.
    pub realized_pl: Decimal,
}

impl Holding {
    /// Buys `qty` at `price`: the average moves to the quantity-weighted one.
    pub fn buy(&mut self, price: Decimal, qty: Decimal) {
        let total = self.qty + qty;
        // A book that was short (it never should be) restarts from this price rather than
        // dividing by nothing.
        self.avg_entry_price = (self.qty * self.avg_entry_price + qty * price)
            .checked_div(total)
            .filter(|_| total > Decimal::ZERO && self.qty >= Decimal::ZERO)
            .unwrap_or(price)
            .round_dp_with_strategy(PRICE_DECIMALS, RoundingStrategy::MidpointAwayFromZero)
            .normalize();
        self.qty = total.normalize();
    }

    /// Sells `qty` (at most what is held) at `price`; returns the P&L realized, to the cent.
    pub fn sell(&mut self, price: Decimal, qty: Decimal, multiplier: Decimal) -> Decimal {
        let realized = cents((price - self.avg_entry_price) * qty * multiplier);
        self.realized_pl += realized;
        self.qty = (self.qty - qty).normalize();
        realized
    }

    /// `avg_entry_price × qty × multiplier`.
    pub fn cost_basis(&self, multiplier: Decimal) -> Decimal {
        (self.avg_entry_price * self.qty * multiplier).normalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn buys_average_and_sales_realize() {
        let mut apple = Holding::default();
        apple.buy(dec!(190.05), dec!(10));
        apple.buy(dec!(189.99), dec!(5));
        assert_eq!(apple.avg_entry_price, dec!(190.03));
        assert_eq!(apple.cost_basis(Decimal::ONE), dec!(2850.45));
        let realized = apple.sell(dec!(191.00), dec!(5), Decimal::ONE);
        assert_eq!(realized, dec!(4.85));
        assert_eq!((apple.qty, apple.avg_entry_price), (dec!(10), dec!(190.03)));
    }

    #[test]
    fn option_amounts_are_premium_times_100_to_the_cent() {
        assert_eq!(gross(dec!(4.20), dec!(1), dec!(100)), dec!(420));
        assert_eq!(gross(dec!(190.05), dec!(0.333), Decimal::ONE), dec!(63.29));
        assert_eq!(cents(dec!(0.005)), dec!(0.01));
        assert_eq!(cents(dec!(-0.005)), dec!(-0.01));
    }
}
