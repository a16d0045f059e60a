//! Who the common underlyings are: name, kind of security and primary listing. Market data
//! files carry prices, not names, so ticker search and reference endpoints take names from this
//! table; an underlying it does not know is shown by its symbol alone.

/// The kind of security an underlying is, in Polygon's ticker type codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueKind {
    /// An index (not traded itself): `INDEX`.
    Index,
    /// An exchange-traded fund: `ETF`.
    Etf,
    /// A common stock: `CS`.
    CommonStock,
}

impl IssueKind {
    /// Polygon's ticker type code.
    pub fn code(self) -> &'static str {
        match self {
            IssueKind::Index => "INDEX",
            IssueKind::Etf => "ETF",
            IssueKind::CommonStock => "CS",
        }
    }

    /// Polygon's market: indexes are `indices`, what trades is `stocks`.
    pub fn market(self) -> &'static str {
        match self {
            IssueKind::Index => "indices",
            IssueKind::Etf | IssueKind::CommonStock => "stocks",
        }
    }
}

/// One underlying's reference data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issuer {
    pub symbol: &'static str,
    pub name: &'static str,
    pub kind: IssueKind,
    /// MIC of the primary listing (the index's publisher for indexes).
    pub primary_exchange: &'static str,
}

const fn issuer(
    symbol: &'static str,
    name: &'static str,
    kind: IssueKind,
    primary_exchange: &'static str,
) -> Issuer {
    Issuer {
        symbol,
        name,
        kind,
        primary_exchange,
    }
}

use IssueKind::{CommonStock, Etf, Index};

/// The underlyings with the most listed-options volume, by symbol.
const ISSUERS: &[Issuer] = &[
    issuer("AAPL", "Apple Inc.", CommonStock, "XNAS"),
    issuer("AMD", "Advanced Micro Devices, Inc.", CommonStock, "XNAS"),
    issuer("AMZN", "Amazon.com, Inc.", CommonStock, "XNAS"),
    issuer("BAC", "Bank of America Corporation", CommonStock, "XNYS"),
    issuer(
        "DIA",
        "SPDR Dow Jones Industrial Average ETF Trust",
        Etf,
        "ARCX",
    ),
    issuer("DJX", "Dow Jones Industrial Average (1/100)", Index, "XCBO"),
    issuer("EEM", "iShares MSCI Emerging Markets ETF", Etf, "ARCX"),
    issuer("GLD", "SPDR Gold Shares", Etf, "ARCX"),
    issuer("GOOGL", "Alphabet Inc. Class A", CommonStock, "XNAS"),
    issuer("IWM", "iShares Russell 2000 ETF", Etf, "ARCX"),
    issuer("META", "Meta Platforms, Inc. Class A", CommonStock, "XNAS"),
    issuer("MSFT", "Microsoft Corporation", CommonStock, "XNAS"),
    issuer("NDX", "Nasdaq-100 Index", Index, "XNAS"),
    issuer("NFLX", "Netflix, Inc.", CommonStock, "XNAS"),
    issuer("NVDA", "NVIDIA Corporation", CommonStock, "XNAS"),
    issuer("QQQ", "Invesco QQQ Trust, Series 1", Etf, "XNAS"),
    issuer("RUT", "Russell 2000 Index", Index, "XCBO"),
    issuer("SLV", "iShares Silver Trust", Etf, "ARCX"),
    issuer("SPX", "S&P 500 Index", Index, "XCBO"),
    issuer("SPY", "SPDR S&P 500 ETF Trust", Etf, "ARCX"),
    issuer("TLT", "iShares 20+ Year Treasury Bond ETF", Etf, "XNAS"),
    issuer("TSLA", "Tesla, Inc.", CommonStock, "XNAS"),
    issuer("VIX", "Cboe Volatility Index", Index, "XCBO"),
    issuer("XLE", "Energy Select Sector SPDR Fund", Etf, "ARCX"),
    issuer("XLF", "Financial Select Sector SPDR Fund", Etf, "ARCX"),
    issuer("XSP", "Mini-SPX Index", Index, "XCBO"),
];

/// The reference data of `symbol`, when the table has it.
pub fn issuer_of(symbol: &str) -> Option<&'static Issuer> {
    ISSUERS
        .binary_search_by(|i| i.symbol.cmp(symbol))
        .ok()
        .map(|i| &ISSUERS[i])
}

impl Issuer {
    /// The consolidated tape that carries its trades: 1 (A) for NYSE listings, 3 (C) for Nasdaq
    /// listings, 2 (B) for the other exchanges; none for an index, which does not trade.
    pub fn sip_tape(&self) -> Option<u8> {
        match (self.kind, self.primary_exchange) {
            (IssueKind::Index, _) => None,
            (_, "XNYS") => Some(1),
            (_, "XNAS") => Some(3),
            _ => Some(2),
        }
    }
}

/// Whether `symbol` trades (has trades and quotes of its own): all but the indexes the table
/// knows. An underlying the table lacks is taken to be a stock.
pub fn trades(symbol: &str) -> bool {
    issuer_of(symbol).is_none_or(|i| i.kind != IssueKind::Index)
}

/// Underlyings that follow one benchmark: an index, the funds tracking it, its mini version.
const FAMILIES: &[&[&str]] = &[
    &["DIA", "DJX"],
    &["IWM", "RUT"],
    &["NDX", "QQQ"],
    &["SPX", "SPY", "XSP"],
];

/// The underlyings that follow the same benchmark as `symbol`, without it.
pub fn related(symbol: &str) -> Vec<&'static str> {
    FAMILIES
        .iter()
        .filter(|family| family.contains(&symbol))
        .flat_map(|family| family.iter().copied().filter(|s| *s != symbol))
        .collect()
}

/// The type codes the table uses, with Polygon's descriptions of them.
pub const TYPES: &[(IssueKind, &str)] = &[
    (IssueKind::CommonStock, "Common Stock"),
    (IssueKind::Etf, "Exchange Traded Fund"),
    (IssueKind::Index, "Index"),
];

/// How well `symbol` answers a search for `query` (upper case): 0 the exact symbol, 1 a symbol
/// starting with it, 2 one holding it, 3 a name holding it (any case); `None` when it does not.
pub fn search_rank(query: &str, symbol: &str) -> Option<u8> {
    if symbol == query {
        Some(0)
    } else if symbol.starts_with(query) {
        Some(1)
    } else if symbol.contains(query) {
        Some(2)
    } else {
        issuer_of(symbol)
            .filter(|issuer| issuer.name.to_uppercase().contains(query))
            .map(|_| 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_symbols_rank_before_prefixes_and_names() {
        assert_eq!(search_rank("SPX", "SPX"), Some(0));
        assert_eq!(search_rank("SP", "SPY"), Some(1));
        assert_eq!(search_rank("PY", "SPY"), Some(2));
        assert_eq!(search_rank("NETFLIX", "NFLX"), Some(3));
        assert_eq!(search_rank("S&P 500", "SPY"), Some(3));
        assert_eq!(search_rank("APPLE", "TSLA"), None);
        assert_eq!(search_rank("NOTHING", "UNKNOWNCO"), None);
    }

    #[test]
    fn tapes_follow_the_listing_exchange() {
        assert_eq!(issuer_of("BAC").unwrap().sip_tape(), Some(1));
        assert_eq!(issuer_of("SPY").unwrap().sip_tape(), Some(2));
        assert_eq!(issuer_of("NFLX").unwrap().sip_tape(), Some(3));
        assert_eq!(issuer_of("SPX").unwrap().sip_tape(), None);
    }

    #[test]
    fn indexes_do_not_trade() {
        assert!(trades("SPY") && trades("NFLX") && trades("UNKNOWNCO"));
        assert!(!trades("SPX") && !trades("VIX"));
    }

    #[test]
    fn related_underlyings_share_a_benchmark() {
        assert_eq!(related("SPY"), ["SPX", "XSP"]);
        assert_eq!(related("QQQ"), ["NDX"]);
        assert!(related("NFLX").is_empty());
        for family in FAMILIES {
            for symbol in *family {
                assert!(issuer_of(symbol).is_some(), "{symbol}");
            }
        }
    }

    #[test]
    fn the_table_is_sorted_and_finds_what_it_holds() {
        assert!(ISSUERS.windows(2).all(|w| w[0].symbol < w[1].symbol));
        for issuer in ISSUERS {
            assert_eq!(issuer_of(issuer.symbol), Some(issuer));
            assert!(crate::symbol::is_ticker(issuer.symbol), "{}", issuer.symbol);
        }
        assert_eq!(issuer_of("SPX").unwrap().kind.code(), "INDEX");
        assert_eq!(issuer_of("ZZZZ"), None);
    }
}
