//! What an order fills at.
//!
//! Prices here are per share and signed the trader's way: positive is a debit (paid), negative a
//! credit (received). Per unit of the order (see [`model::order::units`]):
//!
//! - the **net mid** is `Σ sign × ratio × (bid + ask) / 2` over the legs;
//! - the **fill** is the net mid snapped onto the order's grid toward the market maker (a debit
//!   rounds up, a credit rounds down in magnitude: an odd number of ticks of spread leaves the mid
//!   on a half tick, and the half tick goes to the market maker), plus the user's slippage, which
//!   always moves against the trader;
//! - a **market** order fills at the natural price instead: the ask to buy, the bid to sell.
//!
//! Each leg is booked at its own mid, and what snapping and slippage added goes onto one leg so
//! the legs add up to the fill exactly.

use model::grid::Grid;
use model::order::{Leg, PriceEffect};
use rust_decimal::Decimal;

/// A leg's quote at the second being priced, per share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegQuote {
    pub bid: Decimal,
    pub ask: Decimal,
}

impl LegQuote {
    pub fn mid(self) -> Decimal {
        (self.bid + self.ask) / Decimal::TWO
    }
}

/// A net price per unit, signed: positive a debit, negative a credit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Net(pub Decimal);

impl Net {
    /// A price as written on an order: its magnitude and its effect.
    pub fn of(price: Decimal, effect: PriceEffect) -> Net {
        match effect {
            PriceEffect::Debit => Net(price),
            PriceEffect::Credit => Net(-price),
        }
    }

    /// The magnitude, as reported in `fill_price`.
    pub fn price(self) -> Decimal {
        self.0.abs().normalize()
    }

    /// Debit when the trader pays (or nothing changes hands), credit when they receive.
    pub fn effect(self) -> PriceEffect {
        if self.0.is_sign_negative() && !self.0.is_zero() {
            PriceEffect::Credit
        } else {
            PriceEffect::Debit
        }
    }
}

/// The net mid of the legs per unit: `Σ sign × ratio × mid`.
pub fn net_mid(legs: &[Leg], ratios: &[u32], quotes: &[LegQuote]) -> Net {
    Net(legs
        .iter()
        .zip(ratios)
        .zip(quotes)
        .map(|((leg, ratio), quote)| signed(leg, *ratio) * quote.mid())
        .sum())
}

/// The natural price per unit: what crossing the spread on every leg costs.
pub fn natural(legs: &[Leg], ratios: &[u32], quotes: &[LegQuote]) -> Net {
    Net(legs
        .iter()
        .zip(ratios)
        .zip(quotes)
        .map(|((leg, ratio), quote)| {
            let side = if leg.action.buys() {
                quote.ask
            } else {
                quote.bid
            };
            signed(leg, *ratio) * side
        })
        .sum())
}

/// The net mid snapped toward the market maker, then moved by `slippage` against the trader.
pub fn fill_at(mid: Net, grid: Grid, slippage: Decimal) -> Net {
    let snapped = if mid.0.is_sign_negative() {
        -grid.down(-mid.0)
    } else {
        grid.up(mid.0)
    };
    Net(snapped + slippage)
}

/// Whether a limit at `limit` takes a fill at `fill`: the trader pays no more (or receives no
/// less) than the limit.
pub fn limit_fills(limit: Net, fill: Net) -> bool {
    fill.0 <= limit.0
}

/// The mid level a limit order needs before it fills: its limit less the slippage that will be
/// added to the fill.
pub fn execution_price(limit: Net, slippage: Decimal) -> Net {
    Net(limit.0 - slippage)
}

/// Whether a stop has triggered at a leg's mid: a debit stop at or below its trigger (entering
/// on a pullback), a credit stop at or above it (entering on a rally).
pub fn stop_triggered(effect: PriceEffect, trigger: Decimal, mid: Decimal) -> bool {
    match effect {
        PriceEffect::Debit => mid <= trigger,
        PriceEffect::Credit => mid >= trigger,
    }
}

/// Each leg's booked price per share: its own mid, with the difference between the fill and the
/// net mid placed on one leg so that `Σ sign × ratio × price = fill` exactly. That leg is the
/// first whose ratio divides the difference within the four decimals prices keep and whose
/// price stays non-negative (a leg of ratio 1 divides anything); the first leg if none stays
/// non-negative. Legs whose ratios all fail to divide it (a 2×3 spread, say) share it by the
/// ratios' Bézout coefficients, which is exact.
pub fn leg_prices(legs: &[Leg], ratios: &[u32], quotes: &[LegQuote], fill: Net) -> Vec<Decimal> {
    let mut prices: Vec<Decimal> = quotes.iter().map(|q| q.mid()).collect();
    let residual = fill.0 - net_mid(legs, ratios, quotes).0;
    if residual.is_zero() || legs.is_empty() {
        return prices;
    }
    let share = |i: usize| residual / signed(&legs[i], ratios[i]);
    let exact: Vec<usize> = (0..legs.len())
        .filter(|i| share(*i).normalize().scale() <= PRICE_DECIMALS)
        .collect();
    let chosen = exact
        .iter()
        .copied()
        .find(|i| prices[*i] + share(*i) >= Decimal::ZERO)
        .or(exact.first().copied());
    match chosen {
        Some(i) => prices[i] = (prices[i] + share(i)).normalize(),
        None => {
            for (i, coefficient) in bezout(ratios).into_iter().enumerate() {
                let sign = Decimal::from(legs[i].action.sign());
                prices[i] = (prices[i] + sign * Decimal::from(coefficient) * residual).normalize();
            }
        }
    }
    prices
}

/// Integers `a` with `Σ a_i × ratios_i = gcd(ratios)` (extended Euclid, leg by leg). Ratios are
/// at most [`MAX_RATIO`](crate::order::MAX_RATIO) and legs at most eight, so the coefficients
/// stay far inside `i128`.
fn bezout(ratios: &[u32]) -> Vec<i128> {
    let mut coefficients = vec![0i128; ratios.len()];
    let Some(first) = ratios.first() else {
        return coefficients;
    };
    coefficients[0] = 1;
    let mut g = i128::from(*first);
    for (j, ratio) in ratios.iter().enumerate().skip(1) {
        let (next, x, y) = extended_gcd(g, i128::from(*ratio));
        coefficients.iter_mut().take(j).for_each(|c| *c *= x);
        coefficients[j] = y;
        g = next;
    }
    coefficients
}

/// `(g, x, y)` with `a x + b y = g = gcd(a, b)`.
fn extended_gcd(a: i128, b: i128) -> (i128, i128, i128) {
    if b == 0 {
        (a, 1, 0)
    } else {
        let (g, x, y) = extended_gcd(b, a % b);
        (g, y, x - (a / b) * y)
    }
}

/// Decimals a booked leg price keeps.
const PRICE_DECIMALS: u32 = 4;

fn signed(leg: &Leg, ratio: u32) -> Decimal {
    Decimal::from(leg.action.sign() * i64::from(ratio))
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::order::{Action, Instrument, ratios};
    use model::symbol::OptionSymbol;
    use proptest::prelude::*;
    use rust_decimal::dec;

    fn leg(strike: u32, right: char, action: Action, quantity: u32) -> Leg {
        let symbol = OptionSymbol::parse(&format!("SPXW250115{right}{:08}", strike * 1000));
        Leg {
            instrument: Instrument::Option(symbol.unwrap()),
            quantity,
            action,
        }
    }

    fn quote(bid: &str, ask: &str) -> LegQuote {
        LegQuote {
            bid: bid.parse().unwrap(),
            ask: ask.parse().unwrap(),
        }
    }

    /// (buy fill, sell fill) of one SPX leg quoted `bid`/`ask`, no slippage.
    fn single_fills(bid: &str, ask: &str) -> (Net, Net) {
        let quotes = [quote(bid, ask)];
        let fill = |action| {
            let legs = [leg(5950, 'C', action, 1)];
            fill_at(
                net_mid(&legs, &[1], &quotes),
                Grid::of_order(&legs),
                Decimal::ZERO,
            )
        };
        (fill(Action::BuyToOpen), fill(Action::SellToOpen))
    }

    #[test]
    fn single_leg_fills_follow_the_worked_grid_examples() {
        let cases = [
            ("4.20", "4.40", dec!(4.30), dec!(4.30)),
            ("2.10", "2.25", dec!(2.20), dec!(2.15)),
            ("2.95", "3.10", dec!(3.10), dec!(3.00)),
            ("4.20", "4.30", dec!(4.30), dec!(4.20)),
        ];
        for (bid, ask, buy, sell) in cases {
            let (bought, sold) = single_fills(bid, ask);
            assert_eq!((bought.price(), bought.effect()), (buy, PriceEffect::Debit));
            assert_eq!((sold.price(), sold.effect()), (sell, PriceEffect::Credit));
        }
    }

    #[test]
    fn a_vertical_fills_at_its_net_mid_or_the_half_tick_against_the_trader() {
        let legs = [
            leg(5950, 'C', Action::BuyToOpen, 1),
            leg(5970, 'C', Action::SellToOpen, 1),
        ];
        let grid = Grid::of_order(&legs);
        // Mids 4.30 and 3.25: 1.05 on the grid.
        let quotes = [quote("4.20", "4.40"), quote("3.20", "3.30")];
        let mid = net_mid(&legs, &[1, 1], &quotes);
        assert_eq!(mid, Net(dec!(1.05)));
        let fill = fill_at(mid, grid, Decimal::ZERO);
        assert_eq!(
            (fill.price(), fill.effect()),
            (dec!(1.05), PriceEffect::Debit)
        );
        assert_eq!(
            leg_prices(&legs, &[1, 1], &quotes, fill),
            [dec!(4.30), dec!(3.25)]
        );
        // Net mid 1.075: 1.10 to buy, 1.05 to sell.
        let odd = [quote("4.20", "4.40"), quote("3.20", "3.25")];
        assert_eq!(net_mid(&legs, &[1, 1], &odd), Net(dec!(1.075)));
        assert_eq!(
            fill_at(net_mid(&legs, &[1, 1], &odd), grid, Decimal::ZERO),
            Net(dec!(1.10))
        );
        let sold: Vec<Leg> = legs
            .iter()
            .map(|l| Leg {
                action: if l.action.buys() {
                    Action::SellToOpen
                } else {
                    Action::BuyToOpen
                },
                ..l.clone()
            })
            .collect();
        let credit = fill_at(net_mid(&sold, &[1, 1], &odd), grid, Decimal::ZERO);
        assert_eq!(
            (credit.price(), credit.effect()),
            (dec!(1.05), PriceEffect::Credit)
        );
    }

    #[test]
    fn slippage_moves_every_fill_against_the_trader() {
        let legs = [leg(5950, 'C', Action::BuyToOpen, 1)];
        let grid = Grid::of_order(&legs);
        let bought = fill_at(Net(dec!(4.30)), grid, dec!(0.10));
        assert_eq!(bought, Net(dec!(4.40)));
        let sold = fill_at(Net(dec!(-4.30)), grid, dec!(0.10));
        assert_eq!(
            (sold.price(), sold.effect()),
            (dec!(4.20), PriceEffect::Credit)
        );
        // A credit smaller than the slippage becomes a debit, and says so.
        let flipped = fill_at(Net(dec!(-0.05)), grid, dec!(0.10));
        assert_eq!(
            (flipped.price(), flipped.effect()),
            (dec!(0.05), PriceEffect::Debit)
        );
        // A limit needs the mid to reach its price less the slippage.
        let limit = Net::of(dec!(10.50), PriceEffect::Debit);
        assert_eq!(execution_price(limit, dec!(0.10)).price(), dec!(10.40));
        let credit = Net::of(dec!(1.50), PriceEffect::Credit);
        assert_eq!(execution_price(credit, dec!(0.10)).price(), dec!(1.60));
    }

    #[test]
    fn limits_fill_at_or_better_than_their_price() {
        let debit = Net::of(dec!(1.05), PriceEffect::Debit);
        assert!(limit_fills(debit, Net(dec!(1.05))));
        assert!(limit_fills(debit, Net(dec!(1.00))));
        assert!(!limit_fills(debit, Net(dec!(1.10))));
        let credit = Net::of(dec!(1.50), PriceEffect::Credit);
        assert!(limit_fills(credit, Net(dec!(-1.55))));
        assert!(!limit_fills(credit, Net(dec!(-1.45))));
    }

    #[test]
    fn stops_trigger_on_the_side_they_enter() {
        assert!(stop_triggered(PriceEffect::Debit, dec!(4.00), dec!(3.95)));
        assert!(stop_triggered(PriceEffect::Debit, dec!(4.00), dec!(4.00)));
        assert!(!stop_triggered(PriceEffect::Debit, dec!(4.00), dec!(4.05)));
        assert!(stop_triggered(PriceEffect::Credit, dec!(4.00), dec!(4.05)));
        assert!(!stop_triggered(PriceEffect::Credit, dec!(4.00), dec!(3.95)));
    }

    #[test]
    fn market_orders_cross_the_spread() {
        let quotes = [quote("4.20", "4.40")];
        let buy = [leg(5950, 'C', Action::BuyToOpen, 1)];
        assert_eq!(natural(&buy, &[1], &quotes), Net(dec!(4.40)));
        let sell = [leg(5950, 'C', Action::SellToClose, 1)];
        assert_eq!(natural(&sell, &[1], &quotes), Net(dec!(-4.20)));
    }

    #[test]
    fn a_spread_without_a_unit_leg_still_adds_up_exactly() {
        // Two calls against three: no leg's ratio divides a half tick to four decimals.
        let legs = [
            leg(5950, 'C', Action::BuyToOpen, 2),
            leg(5970, 'C', Action::SellToOpen, 3),
        ];
        let quotes = [quote("4.20", "4.30"), quote("3.20", "3.25")];
        let mid = net_mid(&legs, &[2, 3], &quotes);
        let fill = Net(mid.0 + dec!(0.0125));
        let prices = leg_prices(&legs, &[2, 3], &quotes, fill);
        assert_eq!(dec!(2) * prices[0] - dec!(3) * prices[1], fill.0);
        assert_eq!(bezout(&[2, 3]), [-1, 1]);
        assert_eq!(
            bezout(&[6, 10, 15])
                .iter()
                .zip([6, 10, 15])
                .map(|(a, r)| a * r)
                .sum::<i128>(),
            1
        );
    }

    proptest! {
        /// Booked leg prices always add up to the fill, and the fill is never better for the
        /// trader than the net mid.
        #[test]
        fn legs_add_up_to_the_fill(
            mids in proptest::collection::vec((1i64..2000, 0i64..40), 1..5),
            quantities in proptest::collection::vec(1u32..5, 5),
            buys in proptest::collection::vec(any::<bool>(), 5),
            slippage in 0i64..5,
        ) {
            let legs: Vec<Leg> = mids
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    let action = if buys[i] { Action::BuyToOpen } else { Action::SellToOpen };
                    leg(5000 + 5 * i as u32, 'C', action, quantities[i])
                })
                .collect();
            let quotes: Vec<LegQuote> = mids
                .iter()
                .map(|(bid, spread)| LegQuote {
                    bid: Decimal::new(bid * 5, 2),
                    ask: Decimal::new(bid * 5 + spread * 5, 2),
                })
                .collect();
            let ratios = ratios(&legs);
            let mid = net_mid(&legs, &ratios, &quotes);
            let fill = fill_at(mid, Grid::of_order(&legs), Decimal::new(slippage * 5, 2));
            prop_assert!(fill >= mid, "the fill {fill:?} beats the mid {mid:?}");
            prop_assert!(Grid::of_order(&legs).contains(fill.0 - Decimal::new(slippage * 5, 2)));
            let prices = leg_prices(&legs, &ratios, &quotes, fill);
            let total: Decimal = legs
                .iter()
                .zip(&ratios)
                .zip(&prices)
                .map(|((leg, ratio), price)| signed(leg, *ratio) * price)
                .sum();
            prop_assert_eq!(total, fill.0);
        }
    }
}
