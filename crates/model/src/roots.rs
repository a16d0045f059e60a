//! Reference data per option root: settlement, exercise style, delivery, multiplier, ticks.
//!
//! OSI symbols say nothing about how a contract settles, so this table supplies it (spec C.2).
//! The root is the option class, not the underlying: `SPXW` options are on `SPX`, `BRKB` options
//! on `BRK.B`. Roots not in the table are treated as standard equity options.

use crate::money::Decimal;

/// When the settlement value is fixed on expiration day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Settlement {
    /// From the opening prints (SPX's Special Opening Quotation); trading ends the day before.
    Am,
    /// From the closing value; trading runs through expiration day.
    Pm,
}

/// When the holder may exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exercise {
    /// Only at expiration.
    European,
    /// On any trading day up to expiration.
    American,
}

/// What changes hands on exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Delivery {
    Cash,
    /// The deliverable, normally 100 shares.
    Physical,
}

/// Minimum price increments for a class of options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TickRule {
    /// $0.05 below $3.00, $0.10 at or above (SPX, SPXW, XSP and other index classes).
    Index,
    /// The Penny Interval Program: $0.01 below $3.00, $0.05 at or above (most liquid equities).
    PennyInterval,
    /// $0.01 at every price (SPY, QQQ, IWM).
    Penny,
}

impl TickRule {
    /// The minimum increment for a quote at `price` (judged by magnitude, so negative prices of
    /// spreads follow the same steps).
    pub fn tick(&self, price: Decimal) -> Decimal {
        let low = price.abs() < Decimal::new(3, 0);
        match (self, low) {
            (TickRule::Index, true) => Decimal::new(5, 2),
            (TickRule::Index, false) => Decimal::new(10, 2),
            (TickRule::PennyInterval, true) => Decimal::new(1, 2),
            (TickRule::PennyInterval, false) => Decimal::new(5, 2),
            (TickRule::Penny, _) => Decimal::new(1, 2),
        }
    }
}

/// How one option root trades and settles.
///
/// Borrows from the argument of [`root_info`] for roots outside the table, so that any root
/// can be described without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RootInfo<'a> {
    pub root: &'a str,
    /// The underlying's ticker (`SPX`, `BRK.B`).
    pub underlying: &'a str,
    pub settlement: Settlement,
    pub exercise: Exercise,
    pub delivery: Delivery,
    /// Dollars per point of premium.
    pub multiplier: u32,
    pub ticks: TickRule,
    /// Whether the class trades until 16:15 (13:15 on early closes) rather than 16:00; see
    /// [`crate::calendar::Session::extended_options_close`].
    pub extended_close: bool,
}

const fn cash_index(
    root: &'static str,
    underlying: &'static str,
    settlement: Settlement,
    extended_close: bool,
) -> RootInfo<'static> {
    RootInfo {
        root,
        underlying,
        settlement,
        exercise: Exercise::European,
        delivery: Delivery::Cash,
        multiplier: 100,
        ticks: TickRule::Index,
        extended_close,
    }
}

const fn equity(
    root: &'static str,
    underlying: &'static str,
    ticks: TickRule,
    extended_close: bool,
) -> RootInfo<'static> {
    RootInfo {
        root,
        underlying,
        settlement: Settlement::Pm,
        exercise: Exercise::American,
        delivery: Delivery::Physical,
        multiplier: 100,
        ticks,
        extended_close,
    }
}

/// Roots that differ from the equity default.
const TABLE: &[RootInfo<'static>] = &[
    cash_index("SPX", "SPX", Settlement::Am, true),
    cash_index("SPXW", "SPX", Settlement::Pm, true),
    // Mini-SPX: a tenth of the S&P 500, quoted as its own index.
    cash_index("XSP", "XSP", Settlement::Pm, true),
    cash_index("NDX", "NDX", Settlement::Am, true),
    cash_index("NDXP", "NDX", Settlement::Pm, true),
    cash_index("RUT", "RUT", Settlement::Am, true),
    cash_index("RUTW", "RUT", Settlement::Pm, true),
    // VIX options settle on the Wednesday morning Special Opening Quotation.
    cash_index("VIX", "VIX", Settlement::Am, true),
    cash_index("VIXW", "VIX", Settlement::Am, true),
    equity("SPY", "SPY", TickRule::Penny, true),
    equity("QQQ", "QQQ", TickRule::Penny, true),
    equity("IWM", "IWM", TickRule::Penny, true),
    // Share classes: OSI roots cannot hold the dot.
    equity("BRKB", "BRK.B", TickRule::PennyInterval, false),
    equity("BFB", "BF.B", TickRule::PennyInterval, false),
];

impl RootInfo<'_> {
    /// The ISO 10962 CFI code of the class's contracts of `right`: options, call or put,
    /// American or European, on an index (the cash-settled classes) or a stock, cash or
    /// physical delivery, standardized.
    pub fn cfi(&self, right: crate::symbol::Right) -> String {
        let cash = self.delivery == Delivery::Cash;
        [
            'O',
            match right {
                crate::symbol::Right::Call => 'C',
                crate::symbol::Right::Put => 'P',
            },
            match self.exercise {
                Exercise::American => 'A',
                Exercise::European => 'E',
            },
            if cash { 'I' } else { 'S' },
            if cash { 'C' } else { 'P' },
            'S',
        ]
        .iter()
        .collect()
    }

    /// The MIC of the only exchange that lists the class: Cboe for the cash-settled index
    /// classes; `None` for classes listed on every options exchange.
    pub fn sole_listing(&self) -> Option<&'static str> {
        (self.delivery == Delivery::Cash).then_some("XCBO")
    }
}

/// Reference data for `root` (expected upper case, as [`crate::symbol::Root`] holds it).
///
/// Roots outside the table are standard equity options: American, physically delivered,
/// PM-settled, 100 shares, Penny Interval ticks, on the root's ticker with any trailing digits
/// removed (adjusted roots such as `AMC1`; their non-standard deliverables need definitions
/// data, which this table does not have).
pub fn root_info(root: &str) -> RootInfo<'_> {
    if let Some(info) = TABLE.iter().find(|info| info.root == root) {
        return *info;
    }
    let stripped = root.trim_end_matches(|c: char| c.is_ascii_digit());
    RootInfo {
        root,
        underlying: if stripped.is_empty() { root } else { stripped },
        ..equity("", "", TickRule::PennyInterval, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfi_codes_and_sole_listings_follow_the_class_rules() {
        use crate::symbol::Right;
        assert_eq!(root_info("SPXW").cfi(Right::Call), "OCEICS");
        assert_eq!(root_info("SPX").cfi(Right::Put), "OPEICS");
        assert_eq!(root_info("AAPL").cfi(Right::Call), "OCASPS");
        assert_eq!(root_info("SPXW").sole_listing(), Some("XCBO"));
        assert_eq!(root_info("SPY").sole_listing(), None);
    }

    fn dec(text: &str) -> Decimal {
        crate::money::parse_decimal(text).unwrap()
    }

    #[test]
    fn index_classes_are_european_and_cash_settled() {
        for (root, underlying, settlement) in [
            ("SPX", "SPX", Settlement::Am),
            ("SPXW", "SPX", Settlement::Pm),
            ("XSP", "XSP", Settlement::Pm),
            ("NDX", "NDX", Settlement::Am),
            ("NDXP", "NDX", Settlement::Pm),
            ("RUT", "RUT", Settlement::Am),
            ("RUTW", "RUT", Settlement::Pm),
            ("VIX", "VIX", Settlement::Am),
            ("VIXW", "VIX", Settlement::Am),
        ] {
            let info = root_info(root);
            assert_eq!(info.root, root);
            assert_eq!(info.underlying, underlying, "{root}");
            assert_eq!(info.settlement, settlement, "{root}");
            assert_eq!(info.exercise, Exercise::European, "{root}");
            assert_eq!(info.delivery, Delivery::Cash, "{root}");
            assert_eq!(info.multiplier, 100, "{root}");
            assert_eq!(info.ticks, TickRule::Index, "{root}");
            assert!(info.extended_close, "{root}");
        }
    }

    #[test]
    fn broad_etfs_trade_pennies_until_the_extended_close() {
        for root in ["SPY", "QQQ", "IWM"] {
            let info = root_info(root);
            assert_eq!(info.underlying, root);
            assert_eq!(info.exercise, Exercise::American);
            assert_eq!(info.delivery, Delivery::Physical);
            assert_eq!(info.settlement, Settlement::Pm);
            assert_eq!(info.ticks, TickRule::Penny);
            assert!(info.extended_close);
        }
    }

    #[test]
    fn other_roots_are_standard_equity_options() {
        for (root, underlying) in [
            ("AAPL", "AAPL"),
            ("NFLX", "NFLX"),
            ("TSLA", "TSLA"),
            ("AMC1", "AMC"),
            ("GME12", "GME"),
            ("BRKB", "BRK.B"),
            ("BFB", "BF.B"),
            ("1", "1"),
        ] {
            let info = root_info(root);
            assert_eq!(info.root, root);
            assert_eq!(info.underlying, underlying, "{root}");
            assert_eq!(info.settlement, Settlement::Pm);
            assert_eq!(info.exercise, Exercise::American);
            assert_eq!(info.delivery, Delivery::Physical);
            assert_eq!(info.multiplier, 100);
            assert_eq!(info.ticks, TickRule::PennyInterval);
            assert!(!info.extended_close);
        }
    }

    #[test]
    fn tick_sizes_step_up_at_three_dollars() {
        let cases = [
            (TickRule::Index, "0.05", "0.05", "0.10"),
            (TickRule::PennyInterval, "0.01", "0.01", "0.05"),
            (TickRule::Penny, "0.01", "0.01", "0.01"),
        ];
        for (rule, at_zero, below, at_three) in cases {
            assert_eq!(rule.tick(dec("0")), dec(at_zero), "{rule:?}");
            assert_eq!(rule.tick(dec("2.99")), dec(below), "{rule:?}");
            assert_eq!(rule.tick(dec("3.00")), dec(at_three), "{rule:?}");
            assert_eq!(rule.tick(dec("450")), dec(at_three), "{rule:?}");
            assert_eq!(rule.tick(dec("-2.5")), dec(below), "{rule:?}");
        }
    }

    #[test]
    fn grid_membership() {
        let spx = root_info("SPXW").ticks;
        for on in ["0", "0.05", "2.95", "3", "3.10", "12.30", "-1.45"] {
            assert!(spx.grid().contains(dec(on)), "{on}");
        }
        for off in ["0.01", "2.97", "3.05", "12.35", "0.051"] {
            assert!(!spx.grid().contains(dec(off)), "{off}");
        }
        let aapl = root_info("AAPL").ticks;
        assert!(aapl.grid().contains(dec("2.99")));
        assert!(aapl.grid().contains(dec("3.05")));
        assert!(!aapl.grid().contains(dec("3.01")));
        let spy = root_info("SPY").ticks;
        assert!(spy.grid().contains(dec("3.01")));
        assert!(spy.grid().contains(dec("512.37")));
        assert!(!spy.grid().contains(dec("0.005")));
        assert!(spy.grid().contains(Decimal::MAX));
    }
}
