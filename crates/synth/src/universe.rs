//! The products of the synthetic market and their parameters.
//!
//! Levels follow history: each product is pinned to its approximate real close at the first
//! session of every year from 2020 (see [`Product::anchors`]); volatilities, skews and liquidity
//! follow what these products typically show.

/// How an underlying is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publication {
    /// An index: values once a second, no trades or quotes (SPX).
    Index,
    /// An index computed from another product's option surface (VIX from SPX).
    VolatilityIndex,
    /// A stock or ETF: NBBO quotes and trades.
    Stock,
}

/// Which expirations of a root are listed on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// The next `sessions` trading days (including today): SPXW dailies.
    Daily { sessions: usize },
    /// The next `count` weekly (Friday) expirations.
    Weekly { count: usize },
    /// The next `count` standard monthly expirations.
    Monthly { count: usize },
}

/// An option root listed on a product.
#[derive(Clone, Debug)]
pub struct RootSpec {
    pub root: &'static str,
    pub listings: &'static [Listing],
}

/// The year of the first anchor level.
pub const FIRST_ANCHOR_YEAR: i16 = 2020;
/// Anchor years: 2020 through 2028, so every day of 2020 through 2027 (the years the exchange
/// calendar is checked against) lies between two anchors.
pub const ANCHOR_YEARS: usize = 9;

/// Parameters of one product.
#[derive(Clone, Debug)]
pub struct Product {
    pub symbol: &'static str,
    pub publication: Publication,
    /// Closes at the first session of each year from [`FIRST_ANCHOR_YEAR`]: approximate real
    /// closes on today's share basis (split-adjusted; NFLX on its basis before the 2025 split, on
    /// which its strikes are set), 2026 rounded, 2027 and 2028 extrapolated with a modest drift
    /// (about 6 % a year). The daily walk is bridged between them.
    pub anchors: [f64; ANCHOR_YEARS],
    /// Long-run annualised volatility of returns.
    pub long_run_vol: f64,
    /// Daily mean reversion speed of log variance.
    pub reversion: f64,
    /// Daily volatility of log variance.
    pub vol_of_vol: f64,
    /// Correlation of return and variance shocks (negative: volatility rises when prices fall).
    pub leverage: f64,
    /// Correlation of daily returns with the common market factor.
    pub market_correlation: f64,
    /// Continuous dividend yield.
    pub dividend_yield: f64,
    /// Expected jumps a year, and their mean and spread (log return).
    pub jumps_per_year: f64,
    pub jump_mean: f64,
    pub jump_sd: f64,
    /// Implied volatility over the volatility expected to be realised (the variance premium).
    pub implied_premium: f64,
    /// SSVI skew: correlation and power-law curvature (see `surface`).
    pub skew_rho: f64,
    pub skew_eta: f64,
    /// Option roots, empty for products without options.
    pub roots: &'static [RootSpec],
    /// Quote size at the money, in contracts.
    pub option_size: f64,
    /// Option trades per second for an at-the-money contract at midday.
    pub option_trade_rate: f64,
    /// Option spread: absolute part and proportional part of the theoretical value.
    pub spread_abs: f64,
    pub spread_rel: f64,
    /// Stock quotes: spread in cents, size in round lots, trades a second.
    pub stock_spread_cents: f64,
    pub stock_lots: f64,
    pub stock_trade_rate: f64,
}

impl Product {
    /// The strike grid step for a strike `distance` away from the money, relative to one standard
    /// deviation of the underlying to expiry (`sd`, in price units).
    pub fn strike_step(&self, price: f64, distance: f64, sd: f64) -> f64 {
        // Exchanges list fine strikes near the money and coarser ones further out.
        let near = distance <= 1.0 * sd.max(price * 0.004);
        // A stock's own increments hold near its recent levels; years ago it traded far lower
        // (TSLA near $30 split-adjusted in 2020) and was listed on the finer steps of its price.
        let (fine, coarse) = match self.symbol {
            "SPX" => (5.0, 25.0),
            "SPY" | "QQQ" => (1.0, 5.0),
            "AAPL" if price >= 100.0 => (2.5, 5.0),
            "NFLX" if price >= 500.0 => (10.0, 25.0),
            "TSLA" if price >= 150.0 => (5.0, 10.0),
            _ if price < 25.0 => (0.5, 1.0),
            _ if price < 100.0 => (1.0, 2.5),
            _ if price < 200.0 => (2.5, 5.0),
            _ => (5.0, 10.0),
        };
        if near { fine } else { coarse }
    }
}

const SPX_ROOTS: &[RootSpec] = &[
    RootSpec {
        root: "SPXW",
        listings: &[Listing::Daily { sessions: 3 }, Listing::Weekly { count: 1 }],
    },
    RootSpec {
        root: "SPX",
        listings: &[Listing::Monthly { count: 1 }],
    },
];

const EQUITY_LISTINGS: &[Listing] = &[Listing::Weekly { count: 2 }, Listing::Monthly { count: 1 }];

macro_rules! equity_roots {
    ($root:literal) => {
        &[RootSpec {
            root: $root,
            listings: EQUITY_LISTINGS,
        }]
    };
}

/// The default universe: SPX with VIX, two index ETFs and three single stocks.
pub fn default_universe() -> Vec<Product> {
    let base = Product {
        symbol: "",
        publication: Publication::Stock,
        anchors: [100.0; ANCHOR_YEARS],
        long_run_vol: 0.25,
        reversion: 0.05,
        vol_of_vol: 0.08,
        leverage: -0.5,
        market_correlation: 0.6,
        dividend_yield: 0.0,
        jumps_per_year: 2.0,
        jump_mean: -0.01,
        jump_sd: 0.03,
        implied_premium: 1.08,
        skew_rho: -0.45,
        skew_eta: 0.9,
        roots: &[],
        option_size: 40.0,
        option_trade_rate: 0.01,
        spread_abs: 0.03,
        spread_rel: 0.015,
        stock_spread_cents: 1.0,
        stock_lots: 3.0,
        stock_trade_rate: 1.0,
    };
    vec![
        Product {
            symbol: "SPX",
            publication: Publication::Index,
            anchors: [
                3_258.0, 3_701.0, 4_797.0, 3_824.0, 4_743.0, 5_900.0, 6_860.0, 7_250.0, 7_680.0,
            ],
            long_run_vol: 0.155,
            reversion: 0.04,
            vol_of_vol: 0.09,
            leverage: -0.75,
            market_correlation: 1.0,
            dividend_yield: 0.013,
            jumps_per_year: 1.5,
            jump_mean: -0.012,
            jump_sd: 0.015,
            implied_premium: 1.12,
            skew_rho: -0.75,
            skew_eta: 0.9,
            roots: SPX_ROOTS,
            option_size: 25.0,
            option_trade_rate: 0.06,
            spread_abs: 0.03,
            spread_rel: 0.006,
            ..base.clone()
        },
        Product {
            symbol: "VIX",
            publication: Publication::VolatilityIndex,
            // Unused: VIX is computed from the SPX surface, never walked.
            anchors: [16.0; ANCHOR_YEARS],
            ..base.clone()
        },
        Product {
            symbol: "SPY",
            anchors: [
                325.0, 369.0, 478.0, 381.0, 473.0, 590.0, 683.0, 722.0, 765.0,
            ],
            long_run_vol: 0.155,
            leverage: -0.75,
            market_correlation: 0.995,
            dividend_yield: 0.013,
            jumps_per_year: 1.5,
            jump_mean: -0.012,
            jump_sd: 0.015,
            implied_premium: 1.12,
            skew_rho: -0.72,
            skew_eta: 0.9,
            roots: equity_roots!("SPY"),
            option_size: 250.0,
            option_trade_rate: 0.04,
            spread_abs: 0.01,
            spread_rel: 0.006,
            stock_spread_cents: 1.0,
            stock_lots: 8.0,
            stock_trade_rate: 2.5,
            ..base.clone()
        },
        Product {
            symbol: "QQQ",
            anchors: [
                216.0, 309.0, 402.0, 264.0, 403.0, 510.0, 614.0, 650.0, 690.0,
            ],
            long_run_vol: 0.2,
            leverage: -0.65,
            market_correlation: 0.9,
            dividend_yield: 0.006,
            skew_rho: -0.6,
            skew_eta: 1.1,
            roots: equity_roots!("QQQ"),
            option_size: 150.0,
            option_trade_rate: 0.025,
            spread_abs: 0.01,
            spread_rel: 0.007,
            stock_lots: 5.0,
            stock_trade_rate: 1.5,
            ..base.clone()
        },
        Product {
            symbol: "AAPL",
            anchors: [75.1, 129.4, 182.0, 125.1, 185.6, 245.0, 271.0, 287.0, 304.0],
            long_run_vol: 0.26,
            market_correlation: 0.7,
            dividend_yield: 0.004,
            roots: equity_roots!("AAPL"),
            option_size: 60.0,
            option_trade_rate: 0.015,
            stock_lots: 4.0,
            stock_trade_rate: 1.2,
            ..base.clone()
        },
        Product {
            symbol: "NFLX",
            anchors: [
                330.0, 523.0, 597.0, 295.0, 468.5, 880.0, 910.0, 965.0, 1_020.0,
            ],
            long_run_vol: 0.34,
            market_correlation: 0.45,
            leverage: -0.35,
            jumps_per_year: 3.0,
            jump_sd: 0.05,
            skew_rho: -0.35,
            skew_eta: 0.8,
            roots: equity_roots!("NFLX"),
            option_size: 15.0,
            option_trade_rate: 0.006,
            // Cheap contracts (an expiring one late in its day) a few cents wide, not a dime.
            spread_abs: 0.03,
            spread_rel: 0.018,
            stock_spread_cents: 4.0,
            stock_lots: 1.0,
            stock_trade_rate: 0.5,
            ..base.clone()
        },
        Product {
            symbol: "TSLA",
            anchors: [28.7, 243.3, 399.9, 108.1, 248.4, 400.0, 438.0, 465.0, 493.0],
            long_run_vol: 0.55,
            market_correlation: 0.5,
            leverage: -0.3,
            vol_of_vol: 0.1,
            jumps_per_year: 4.0,
            jump_sd: 0.06,
            skew_rho: -0.25,
            skew_eta: 0.7,
            roots: equity_roots!("TSLA"),
            option_size: 50.0,
            option_trade_rate: 0.02,
            spread_abs: 0.03,
            spread_rel: 0.01,
            stock_spread_cents: 2.0,
            stock_lots: 3.0,
            stock_trade_rate: 1.5,
            ..base
        },
    ]
}

/// The default universe's symbols, in generation order.
pub fn default_symbols() -> Vec<&'static str> {
    default_universe().iter().map(|p| p.symbol).collect()
}
