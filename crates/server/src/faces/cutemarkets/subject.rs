//! What a market-data path names: an option contract, or an underlying's own series (a stock,
//! a fund or an index), with the underlying whose sessions hold it.

use model::roots::root_info;
use model::symbol::OptionSymbol;
use tape::Instrument;

use super::query::option_ticker;
use crate::http::Problem;

/// Which API family a request came through: it decides the ticker forms accepted and the paths
/// of URLs pointing back at the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Market {
    Options,
    Stocks,
}

impl Market {
    /// The path prefix of the family's endpoints.
    pub fn prefix(self) -> &'static str {
        match self {
            Market::Options => "/v1/options",
            Market::Stocks => "/v1/stocks",
        }
    }
}

pub struct Subject {
    /// The ticker as the wire shows it (`O:SPY...` or `SPY`).
    pub ticker: String,
    pub underlying: String,
    pub option: Option<OptionSymbol>,
    pub market: Market,
}

impl Subject {
    /// An option contract (`O:` ticker) only.
    pub fn option(ticker: &str) -> Result<Subject, Problem> {
        let symbol = option_ticker(ticker)?;
        Ok(Subject {
            ticker: symbol.polygon(),
            underlying: root_info(symbol.root.as_str()).underlying.to_string(),
            option: Some(symbol),
            market: Market::Options,
        })
    }

    /// On the options paths that chart prices: an option, or an underlying for its own series.
    pub fn option_or_underlying(ticker: &str) -> Result<Subject, Problem> {
        if ticker.starts_with("O:") {
            return Subject::option(ticker);
        }
        Subject::underlying(ticker, Market::Options).map_err(|_| {
            Problem::bad_request(format!(
                "ticker {ticker:?} is neither an option ticker (O:...) nor an underlying's"
            ))
        })
    }

    /// A stock (or fund, or index) ticker.
    pub fn stock(ticker: &str) -> Result<Subject, Problem> {
        Subject::underlying(ticker, Market::Stocks)
    }

    fn underlying(ticker: &str, market: Market) -> Result<Subject, Problem> {
        if !model::symbol::is_ticker(ticker) {
            return Err(Problem::bad_request(format!(
                "ticker {ticker:?} is not a stock ticker like AAPL or BRK.B"
            )));
        }
        Ok(Subject {
            ticker: ticker.to_string(),
            underlying: ticker.to_string(),
            option: None,
            market,
        })
    }

    pub fn instrument(&self) -> Instrument<'_> {
        match &self.option {
            Some(symbol) => Instrument::Option(symbol),
            None => Instrument::Underlying,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_takes_its_own_tickers() {
        let option = Subject::option("O:SPY250117C00600000").unwrap();
        assert_eq!(option.underlying, "SPY");
        assert!(Subject::option("SPY").is_err());
        let spy = Subject::option_or_underlying("SPY").unwrap();
        assert_eq!(
            (spy.underlying.as_str(), spy.market),
            ("SPY", Market::Options)
        );
        assert!(Subject::option_or_underlying("not a ticker").is_err());
        let stock = Subject::stock("BRK.B").unwrap();
        assert_eq!(stock.instrument(), Instrument::Underlying);
        assert_eq!(stock.market.prefix(), "/v1/stocks");
        assert!(Subject::stock("O:SPY250117C00600000").is_err());
        assert!(Subject::stock("").is_err());
    }
}
