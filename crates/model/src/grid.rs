//! The grid of prices an order may name and a fill may land on.
//!
//! A single-leg option follows its class's tick rule: for SPX and the other index classes $0.05
//! up to $3.00 and $0.10 above, so the grid is {0.05, 0.10, …, 2.95, 3.00, 3.10, 3.20, …}. It is
//! a set of points rather than "the tick of a price": $3.05 is off the grid even though $0.05 is
//! the tick just below it. A multi-leg order uses the low tick throughout ($0.05 for index
//! spreads); shares trade in cents.

use crate::order::{Instrument, Leg};
use crate::roots::{TickRule, root_info};
use rust_decimal::dec;
use rust_decimal::{Decimal, RoundingStrategy};

/// Where the tick widens.
const BOUNDARY: Decimal = dec!(3.00);

impl TickRule {
    /// The prices a quote or a single-leg order of the class may name.
    pub fn grid(self) -> Grid {
        Grid {
            low: self.tick(Decimal::ZERO),
            high: self.tick(BOUNDARY),
        }
    }
}

/// A price grid: `low` steps up to $3.00 and `high` steps above it (the same for a
/// uniform grid). The boundary is a multiple of both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    low: Decimal,
    high: Decimal,
}

impl Grid {
    /// One tick everywhere.
    pub const fn uniform(tick: Decimal) -> Grid {
        Grid {
            low: tick,
            high: tick,
        }
    }

    /// The grid of an order's net price: its one leg's class rule, or the class's low tick for a
    /// multi-leg order; cents for shares.
    pub fn of_order(legs: &[Leg]) -> Grid {
        let Some(first) = legs.first() else {
            return Grid::uniform(dec!(0.01));
        };
        match &first.instrument {
            Instrument::Equity(_) => Grid::uniform(dec!(0.01)),
            Instrument::Option(symbol) => {
                let grid = root_info(symbol.root.as_str()).ticks.grid();
                if legs.len() > 1 {
                    Grid::uniform(grid.low)
                } else {
                    grid
                }
            }
        }
    }

    /// The step that applies at `price` (its magnitude): the one an off-grid price is judged by.
    pub fn tick_at(self, price: Decimal) -> Decimal {
        if price.abs() <= BOUNDARY {
            self.low
        } else {
            self.high
        }
    }

    /// Whether `price` (its magnitude) is a grid point.
    pub fn contains(self, price: Decimal) -> bool {
        let price = price.abs();
        price
            .checked_rem(self.tick_at(price))
            .is_some_and(|rest| rest.is_zero())
    }

    /// The lowest grid point at or above `price` (not negative).
    pub fn up(self, price: Decimal) -> Decimal {
        let tick = if price <= BOUNDARY {
            self.low
        } else {
            self.high
        };
        round_to(price, tick, RoundingStrategy::ToPositiveInfinity)
    }

    /// The highest grid point at or below `price` (not negative).
    pub fn down(self, price: Decimal) -> Decimal {
        let tick = if price < BOUNDARY {
            self.low
        } else {
            self.high
        };
        round_to(price, tick, RoundingStrategy::ToNegativeInfinity)
    }
}

/// `price` rounded to a whole number of `tick`s; a price too large to divide stays as it is.
fn round_to(price: Decimal, tick: Decimal, strategy: RoundingStrategy) -> Decimal {
    price
        .checked_div(tick)
        .and_then(|ticks| ticks.round_dp_with_strategy(0, strategy).checked_mul(tick))
        .unwrap_or(price)
        .normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::Action;
    use crate::symbol::OptionSymbol;
    use proptest::prelude::*;

    fn option_leg(symbol: &str) -> Leg {
        Leg {
            instrument: Instrument::Option(OptionSymbol::parse(symbol).unwrap()),
            quantity: 1,
            action: Action::BuyToOpen,
        }
    }

    fn spx_single() -> Grid {
        Grid::of_order(&[option_leg("SPXW250115C05950000")])
    }

    fn spx_spread() -> Grid {
        Grid::of_order(&[
            option_leg("SPXW250115C05950000"),
            option_leg("SPXW250115C05970000"),
        ])
    }

    #[test]
    fn single_leg_spx_prices_step_a_nickel_to_three_dollars_and_a_dime_above() {
        let grid = spx_single();
        for on in ["0.05", "2.95", "3.00", "3.10", "3.20", "10.50", "125.30"] {
            assert!(grid.contains(on.parse().unwrap()), "{on}");
        }
        for off in ["3.05", "2.97", "10.55", "0.01", "3.15"] {
            assert!(!grid.contains(off.parse().unwrap()), "{off}");
        }
        assert_eq!(grid.tick_at(dec!(3.05)), dec!(0.10));
        assert_eq!(grid.tick_at(dec!(3.00)), dec!(0.05));
    }

    #[test]
    fn a_multi_leg_spx_order_steps_a_nickel_everywhere() {
        let grid = spx_spread();
        assert!(grid.contains(dec!(3.05)));
        assert!(grid.contains(dec!(10.55)));
        assert!(!grid.contains(dec!(1.07)));
    }

    #[test]
    fn penny_classes_and_shares_use_their_own_steps() {
        let spy = Grid::of_order(&[option_leg("SPY250117C00600000")]);
        assert!(spy.contains(dec!(3.01)) && spy.contains(dec!(0.01)));
        let shares = Grid::of_order(&[Leg {
            instrument: Instrument::Equity("SPY".into()),
            quantity: 10,
            action: Action::BuyToOpen,
        }]);
        assert!(shares.contains(dec!(601.37)) && !shares.contains(dec!(601.375)));
    }

    #[test]
    fn snapping_reaches_the_adjacent_grid_points() {
        let grid = spx_single();
        // The spec's worked examples: a debit rounds up, a credit down.
        assert_eq!(grid.up(dec!(2.175)), dec!(2.20));
        assert_eq!(grid.down(dec!(2.175)), dec!(2.15));
        assert_eq!(grid.up(dec!(3.025)), dec!(3.10));
        assert_eq!(grid.down(dec!(3.025)), dec!(3.00));
        assert_eq!(grid.up(dec!(4.25)), dec!(4.30));
        assert_eq!(grid.down(dec!(4.25)), dec!(4.20));
        assert_eq!(grid.up(dec!(4.30)), dec!(4.30));
        assert_eq!(grid.up(dec!(3.00)), dec!(3.00));
        assert_eq!(grid.down(dec!(3.00)), dec!(3.00));
        assert_eq!(spx_spread().up(dec!(1.075)), dec!(1.10));
        assert_eq!(spx_spread().down(dec!(1.075)), dec!(1.05));
    }

    proptest! {
        /// Snapping lands on the grid, on the right side, with no grid point skipped.
        #[test]
        fn snapping_gives_the_nearest_grid_point_on_each_side(cents in 0i64..100_000, tenths in 0i64..10) {
            let price = Decimal::new(cents * 10 + tenths, 3);
            for grid in [spx_single(), spx_spread()] {
                let (up, down) = (grid.up(price), grid.down(price));
                prop_assert!(grid.contains(up) && grid.contains(down));
                prop_assert!(down <= price && price <= up);
                // Nothing on the grid strictly between: each side moves less than its tick.
                prop_assert!(up - price < grid.tick_at(up) || up == price);
                prop_assert!(price - down < grid.tick_at(price).max(grid.tick_at(down)));
                if grid.contains(price) {
                    prop_assert_eq!(up, price);
                    prop_assert_eq!(down, price);
                }
            }
        }
    }
}
