//! Whether the latest quote may fill an order (§8.3): present, valid, not crossed, fresh, from
//! this session, and with a bid for a sale. The first failing check is the reason recorded.

use model::Timestamp;
use rust_decimal::Decimal;

use super::request::Side;

/// The top of book an evaluation reads, per share. A side with no order is 0 at size 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    pub bid: Decimal,
    pub ask: Decimal,
    pub bid_size: u64,
    pub ask_size: u64,
    pub ts: Timestamp,
}

impl Quote {
    pub fn mid(&self) -> Decimal {
        (self.bid + self.ask) / Decimal::TWO
    }

    pub fn spread(&self) -> Decimal {
        self.ask - self.bid
    }
}

/// Why an evaluation did not fill; the order stays open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoFill {
    MarketClosed,
    QuoteUnavailable,
    QuoteMissing,
    QuoteInvalid,
    QuoteCrossed,
    QuoteStale,
    NoBid,
    NotMarketable,
}

impl NoFill {
    pub fn as_str(self) -> &'static str {
        match self {
            NoFill::MarketClosed => "market_closed",
            NoFill::QuoteUnavailable => "quote_unavailable",
            NoFill::QuoteMissing => "quote_missing",
            NoFill::QuoteInvalid => "quote_invalid",
            NoFill::QuoteCrossed => "quote_crossed",
            NoFill::QuoteStale => "quote_stale",
            NoFill::NoBid => "no_bid",
            NoFill::NotMarketable => "not_marketable",
        }
    }
}

/// How old a quote may be, and how far ahead of the clock, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    pub stock_max_age: i64,
    pub option_max_age: i64,
    pub future_skew: i64,
}

impl Default for Freshness {
    /// 15 s for shares, 30 s for options, 2 s ahead.
    fn default() -> Self {
        const SECOND: i64 = 1_000_000_000;
        Freshness {
            stock_max_age: 15 * SECOND,
            option_max_age: 30 * SECOND,
            future_skew: 2 * SECOND,
        }
    }
}

/// Checks `quote` for an order on `side` at `now`, in a session that opened at `open`.
pub fn check(
    quote: Option<&Quote>,
    side: Side,
    option: bool,
    now: Timestamp,
    open: Timestamp,
    limits: &Freshness,
) -> Result<(), NoFill> {
    let Some(quote) = quote else {
        return Err(NoFill::QuoteMissing);
    };
    let needed = match side {
        Side::Buy => (quote.ask, quote.ask_size),
        Side::Sell => (quote.bid, quote.bid_size),
    };
    // A buy needs an offer; a sale with an offer but no bid is told so below.
    if side == Side::Buy && (needed.0.is_zero() && needed.1 == 0) {
        return Err(NoFill::QuoteMissing);
    }
    if quote.ask <= Decimal::ZERO
        || quote.bid < Decimal::ZERO
        || quote.ts.as_nanos() > now.as_nanos().saturating_add(limits.future_skew)
    {
        return Err(NoFill::QuoteInvalid);
    }
    if quote.bid > quote.ask {
        return Err(NoFill::QuoteCrossed);
    }
    let max_age = if option {
        limits.option_max_age
    } else {
        limits.stock_max_age
    };
    if now.as_nanos().saturating_sub(quote.ts.as_nanos()) > max_age || quote.ts < open {
        return Err(NoFill::QuoteStale);
    }
    if side == Side::Sell && (quote.bid.is_zero() || quote.bid_size == 0) {
        return Err(NoFill::NoBid);
    }
    if side == Side::Buy && quote.ask_size == 0 {
        return Err(NoFill::QuoteMissing);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const OPEN: Timestamp = Timestamp::from_seconds(1_779_111_000);

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_seconds(OPEN.as_seconds() + seconds)
    }

    fn quote(bid: Decimal, ask: Decimal, ts: Timestamp) -> Quote {
        Quote {
            bid,
            ask,
            bid_size: 3,
            ask_size: 5,
            ts,
        }
    }

    #[test]
    fn scenario_12_bad_quotes_block_the_fill() {
        let limits = Freshness::default();
        let now = at(600);
        let check = |q: Option<Quote>, side, option| {
            super::check(q.as_ref(), side, option, now, OPEN, &limits)
        };
        let good = quote(dec!(190.00), dec!(190.05), at(599));
        assert_eq!(check(Some(good), Side::Buy, false), Ok(()));
        assert_eq!(check(None, Side::Buy, false), Err(NoFill::QuoteMissing));
        assert_eq!(
            check(
                Some(quote(dec!(190.10), dec!(190.05), at(599))),
                Side::Buy,
                false
            ),
            Err(NoFill::QuoteCrossed)
        );
        assert_eq!(
            check(Some(quote(dec!(190), dec!(190), at(599))), Side::Buy, false),
            Ok(()),
            "a locked quote is valid"
        );
        assert_eq!(
            check(
                Some(quote(dec!(190), dec!(190.05), at(584))),
                Side::Buy,
                false
            ),
            Err(NoFill::QuoteStale),
            "16 s is too old for shares"
        );
        assert_eq!(
            check(Some(quote(dec!(4.1), dec!(4.2), at(584))), Side::Buy, true),
            Ok(()),
            "but not for an option"
        );
        let mut no_offer = quote(dec!(0), dec!(0), at(599));
        (no_offer.bid_size, no_offer.ask_size) = (0, 0);
        assert_eq!(
            check(Some(no_offer), Side::Buy, false),
            Err(NoFill::QuoteMissing),
            "no offer at all"
        );
        assert_eq!(
            check(Some(quote(dec!(0), dec!(0), at(599))), Side::Buy, false),
            Err(NoFill::QuoteInvalid),
            "an offer at 0 with a size"
        );
        assert_eq!(
            check(
                Some(quote(dec!(190), dec!(190.05), at(603))),
                Side::Buy,
                false
            ),
            Err(NoFill::QuoteInvalid),
            "three seconds ahead of the clock"
        );
        assert_eq!(
            check(
                Some(quote(dec!(190), dec!(190.05), at(-1))),
                Side::Buy,
                true
            ),
            Err(NoFill::QuoteStale),
            "from before the open"
        );
        let mut no_bid = quote(dec!(0), dec!(0.05), at(599));
        no_bid.bid_size = 0;
        assert_eq!(check(Some(no_bid), Side::Sell, true), Err(NoFill::NoBid));
        assert_eq!(check(Some(no_bid), Side::Buy, true), Ok(()));
    }
}
