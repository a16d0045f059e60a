//! Products, plans and what each plan entitles a key to.
//!
//! An API key belongs to one product and carries one plan. The market-data products (options,
//! stocks) share the CuteMarkets plan ladder; the column API has its own quota model; paper keys
//! only grant access to paper accounts. The tables below are the defaults; a deployment may
//! override any row (see [`PlanBook`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// What an API key gives access to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    /// CuteMarkets options market data (`/v1/options/...`, expirations, options streams).
    Options,
    /// CuteMarkets stocks market data (`/v1/stocks/...`, stocks streams).
    Stocks,
    /// Paper trading (`/v1/paper/...` and its Alpaca-compatible surface).
    Paper,
    /// The PublicOptions-style column API (`sopk_` keys).
    Column,
}

impl Product {
    pub const ALL: [Product; 4] = [
        Product::Options,
        Product::Stocks,
        Product::Paper,
        Product::Column,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Product::Options => "options",
            Product::Stocks => "stocks",
            Product::Paper => "paper",
            Product::Column => "column",
        }
    }

    /// The prefix every key of this product starts with.
    pub fn key_prefix(self) -> &'static str {
        match self {
            Product::Options => "cm_options_",
            Product::Stocks => "cm_stocks_",
            Product::Paper => "cm_paper_",
            Product::Column => "sopk_live_",
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Product {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Product::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                UnknownName::new("product", s, &["options", "stocks", "paper", "column"])
            })
    }
}

/// A rung of the plan ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    /// A stocks-only plan listed in one revision of the CuteMarkets stocks overview.
    Base,
    Developer,
    Expert,
    Commercial,
}

impl Plan {
    pub const ALL: [Plan; 5] = [
        Plan::Free,
        Plan::Base,
        Plan::Developer,
        Plan::Expert,
        Plan::Commercial,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Base => "base",
            Plan::Developer => "developer",
            Plan::Expert => "expert",
            Plan::Commercial => "commercial",
        }
    }

    /// The name as shown to clients (`X-RateLimit-Plan`, error messages).
    pub fn title(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Base => "Base",
            Plan::Developer => "Developer",
            Plan::Expert => "Expert",
            Plan::Commercial => "Commercial",
        }
    }

    /// Whether keys of `product` may carry this plan.
    pub fn offered_for(self, product: Product) -> bool {
        match self {
            Plan::Base => product == Product::Stocks,
            _ => true,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Plan {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Plan::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                UnknownName::new(
                    "plan",
                    s,
                    &["free", "base", "developer", "expert", "commercial"],
                )
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}; expected one of: {}", .expected.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub expected: Vec<&'static str>,
}

impl UnknownName {
    fn new(what: &'static str, given: &str, expected: &[&'static str]) -> Self {
        UnknownName {
            what,
            given: given.to_string(),
            expected: expected.to_vec(),
        }
    }
}

/// Entitlements of a market-data plan (options or stocks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketDataPlan {
    /// Requests per minute; `None` is unlimited.
    pub per_minute: Option<u64>,
    /// Requests per UTC day; `None` is unlimited.
    pub per_day: Option<u64>,
    /// Rolling historical lookback, in years.
    pub lookback_years: u32,
    /// Data newer than fifteen minutes is withheld.
    pub delayed: bool,
    /// Historical and last quote endpoints of the product.
    pub quotes: bool,
    /// WebSocket streams of the product.
    pub websockets: bool,
    /// Licensed for commercial applications.
    pub commercial_use: bool,
}

/// How far behind a delayed plan's market data runs.
pub const DELAY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl MarketDataPlan {
    /// The latest market time the plan shows, at market time `now`.
    pub fn visible_at(&self, now: crate::Timestamp) -> crate::Timestamp {
        if self.delayed { now.minus(DELAY) } else { now }
    }

    /// The oldest day the plan's rolling lookback reaches on `today`.
    pub fn earliest_day(&self, today: jiff::civil::Date) -> jiff::civil::Date {
        let years = i16::try_from(self.lookback_years).unwrap_or(i16::MAX);
        today
            .checked_sub(jiff::Span::new().years(years))
            .unwrap_or(jiff::civil::Date::MIN)
    }
}

/// Quota of a column-API plan: a monthly count, a sustained per-minute rate and a burst.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnPlan {
    /// Requests per calendar month (UTC); `None` is unlimited.
    pub monthly: Option<u64>,
    /// Sustained requests per minute (the refill rate of the burst bucket).
    pub per_minute: u64,
    /// Requests that may arrive at once.
    pub burst: u64,
}

/// The plan tables in force: the documented defaults, with any rows a deployment overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanBook {
    market_data: BTreeMap<(Product, Plan), MarketDataPlan>,
    column: BTreeMap<Plan, ColumnPlan>,
}

impl Default for PlanBook {
    fn default() -> Self {
        let row =
            |per_minute, per_day, lookback_years, live: bool, commercial_use| MarketDataPlan {
                per_minute,
                per_day,
                lookback_years,
                delayed: !live,
                quotes: live,
                websockets: live,
                commercial_use,
            };
        let mut market_data = BTreeMap::new();
        for product in [Product::Options, Product::Stocks] {
            market_data.insert(
                (product, Plan::Free),
                row(Some(10), Some(5_000), 3, false, false),
            );
            market_data.insert((product, Plan::Developer), row(None, None, 7, false, false));
            market_data.insert((product, Plan::Expert), row(None, None, 10, true, false));
            market_data.insert((product, Plan::Commercial), row(None, None, 10, true, true));
        }
        market_data.insert(
            (Product::Stocks, Plan::Base),
            row(Some(60), Some(20_000), 5, false, false),
        );
        let column_row = |monthly, per_minute, burst| ColumnPlan {
            monthly,
            per_minute,
            burst,
        };
        let column = BTreeMap::from([
            (Plan::Free, column_row(Some(1_000), 60, 20)),
            (Plan::Developer, column_row(Some(100_000), 300, 60)),
            (Plan::Expert, column_row(Some(1_000_000), 1_200, 200)),
            (Plan::Commercial, column_row(None, 6_000, 1_000)),
        ]);
        PlanBook {
            market_data,
            column,
        }
    }
}

impl PlanBook {
    /// Entitlements of a market-data key. Paper and column keys have none.
    pub fn market_data(&self, product: Product, plan: Plan) -> Option<&MarketDataPlan> {
        self.market_data.get(&(product, plan))
    }

    pub fn column(&self, plan: Plan) -> Option<&ColumnPlan> {
        self.column.get(&plan)
    }

    /// Replaces one market-data row.
    pub fn set_market_data(&mut self, product: Product, plan: Plan, row: MarketDataPlan) {
        self.market_data.insert((product, plan), row);
    }

    /// Replaces one column-API row.
    pub fn set_column(&mut self, plan: Plan, row: ColumnPlan) {
        self.column.insert(plan, row);
    }

    /// Whether a key of this product and plan can be issued.
    pub fn offers(&self, product: Product, plan: Plan) -> bool {
        match product {
            Product::Options | Product::Stocks => self.market_data.contains_key(&(product, plan)),
            Product::Column => self.column.contains_key(&plan),
            Product::Paper => plan.offered_for(product),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_case_insensitively_and_report_the_choices() {
        assert_eq!("Options".parse::<Product>().unwrap(), Product::Options);
        assert_eq!("EXPERT".parse::<Plan>().unwrap(), Plan::Expert);
        let err = "gold".parse::<Plan>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown plan \"gold\"; expected one of: free, base, developer, expert, commercial"
        );
    }

    #[test]
    fn default_table_matches_the_cutemarkets_ladder() {
        let book = PlanBook::default();
        let free = book.market_data(Product::Options, Plan::Free).unwrap();
        assert_eq!((free.per_minute, free.per_day), (Some(10), Some(5_000)));
        assert!(free.delayed && !free.quotes && !free.websockets);
        let now = crate::Timestamp::from_seconds(1_736_953_200);
        assert_eq!(free.visible_at(now), now.minus(DELAY));
        assert_eq!(
            free.earliest_day(jiff::civil::date(2025, 1, 16)),
            jiff::civil::date(2022, 1, 16)
        );
        let expert = book.market_data(Product::Stocks, Plan::Expert).unwrap();
        assert!(expert.quotes && expert.websockets && expert.per_minute.is_none());
        assert_eq!(
            book.market_data(Product::Options, Plan::Developer)
                .unwrap()
                .lookback_years,
            7
        );
        assert!(book.market_data(Product::Options, Plan::Base).is_none());
        assert!(book.offers(Product::Stocks, Plan::Base));
        assert!(!book.offers(Product::Options, Plan::Base));
        assert_eq!(book.column(Plan::Free).unwrap().burst, 20);
    }
}
