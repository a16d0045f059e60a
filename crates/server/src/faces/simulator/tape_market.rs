//! The engine's [`Market`] over one recorded session of the tape.
//!
//! Quotes are those in force at a second, carried forward within the session. A contract with
//! no offer has no market; one with no bid is quoted at 0 bid. Deltas are the tape's Greeks of
//! the quote's midpoint, as the chain snapshots show them. The settlement value is the
//! underlying's price at the close (its index value, else its quote's midpoint, else its last
//! trade).

use std::sync::Arc;

use engine::fill::LegQuote;
use engine::market::{Market, MarketError, QuoteRange, ceil_second};
use model::Timestamp;
use model::order::Instrument;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use tape::records::px_to_decimal;
use tape::{Owner, Quote, SessionFile, Tape, TapeError, Trade};

/// Nanoseconds in the simulator's resolution, one second.
const SECOND: i64 = 1_000_000_000;

/// Decimals a position's delta keeps.
const DELTA_DECIMALS: u32 = 4;

pub struct TapeMarket<'a> {
    pub tape: &'a Tape,
    pub session: Arc<SessionFile>,
    /// The session's close: what settles.
    pub close: Timestamp,
    pub rate: f64,
}

fn failed(error: TapeError) -> MarketError {
    MarketError(error.to_string())
}

/// A tape price as an exact decimal of nine places. Not normalized: searches convert every quote
/// they pass, and the engine normalizes what it shows.
fn dollars(px: tape::Px) -> Decimal {
    Decimal::new(px, 9)
}

/// A tape quote as the engine reads it: no offer, no market.
fn leg_quote(quote: &Quote) -> Option<LegQuote> {
    quote.has_ask().then(|| LegQuote {
        bid: if quote.has_bid() {
            dollars(quote.bid)
        } else {
            Decimal::ZERO
        },
        ask: dollars(quote.ask),
    })
}

impl TapeMarket<'_> {
    fn owner(&self, instrument: &Instrument) -> Option<Owner> {
        match instrument {
            Instrument::Option(symbol) => self.session.contract(symbol),
            Instrument::Equity(ticker) => ticker
                .eq_ignore_ascii_case(self.session.underlying())
                .then_some(Owner::Underlying),
        }
    }
}

impl Market for TapeMarket<'_> {
    fn quote(
        &self,
        instrument: &Instrument,
        at: Timestamp,
    ) -> Result<Option<LegQuote>, MarketError> {
        let Some(owner) = self.owner(instrument) else {
            return Ok(None);
        };
        let quote = self.session.quote_at(owner, at).map_err(failed)?;
        Ok(quote.as_ref().and_then(leg_quote))
    }

    fn delta(
        &self,
        instrument: &Instrument,
        at: Timestamp,
    ) -> Result<Option<Decimal>, MarketError> {
        let Instrument::Option(symbol) = instrument else {
            return Ok(Some(Decimal::ONE));
        };
        let Some(mut chain) = self
            .tape
            .chain_at(self.session.underlying(), at, self.rate)
            .map_err(failed)?
        else {
            return Ok(None);
        };
        let snapshot = chain.snapshot(symbol).map_err(failed)?.value;
        Ok(snapshot
            .and_then(|s| s.greeks)
            .and_then(|g| Decimal::from_f64(g.delta.abs()))
            .map(|d| d.round_dp(DELTA_DECIMALS).normalize()))
    }

    fn first_second(
        &self,
        instruments: &[Instrument],
        after: Timestamp,
        until: Timestamp,
        could_hold: &mut dyn FnMut(&[Option<QuoteRange>]) -> bool,
        condition: &mut dyn FnMut(Timestamp, &[Option<LegQuote>]) -> bool,
    ) -> Result<Option<Timestamp>, MarketError> {
        let Some(owners) = instruments
            .iter()
            .map(|i| self.owner(i))
            .collect::<Option<Vec<Owner>>>()
        else {
            // A leg the session does not list never quotes.
            return Ok(None);
        };
        let mut legs: Vec<Option<LegQuote>> = vec![None; owners.len()];
        let mut ranges: Vec<Option<QuoteRange>> = vec![None; owners.len()];
        let found = self
            .session
            .first_instant_within_bounds_every(
                &owners,
                after,
                until,
                SECOND,
                |bounds| {
                    for (range, bounds) in ranges.iter_mut().zip(bounds) {
                        *range = bounds.map(|b| QuoteRange {
                            bid_low: dollars(b.bid_low),
                            bid_high: dollars(b.bid_high),
                            ask_low: dollars(b.ask_low),
                            ask_high: dollars(b.ask_high),
                        });
                    }
                    could_hold(&ranges)
                },
                |at, quotes| {
                    for (leg, quote) in legs.iter_mut().zip(quotes) {
                        *leg = quote.as_ref().and_then(leg_quote);
                    }
                    condition(at, &legs)
                },
            )
            .map_err(failed)?;
        Ok(found.map(|(at, _)| at))
    }

    fn last_trade(
        &self,
        instrument: &Instrument,
        at: Timestamp,
    ) -> Result<Option<Decimal>, MarketError> {
        let Some(owner) = self.owner(instrument) else {
            return Ok(None);
        };
        let trade = self.session.last_trade_at(owner, at).map_err(failed)?;
        Ok(trade.map(|t| dollars(t.price)))
    }

    fn first_trade_second(
        &self,
        instrument: &Instrument,
        after: Timestamp,
        until: Timestamp,
        condition: &mut dyn FnMut(Decimal) -> bool,
    ) -> Result<Option<Timestamp>, MarketError> {
        let Some(owner) = self.owner(instrument) else {
            return Ok(None);
        };
        // Trades in (after, until], each first seen at the next whole second; what a second
        // shows is the last trade of those seen by then.
        let mut found = None;
        let mut pending: Option<(Timestamp, tape::Px)> = None;
        self.session
            .visit::<Trade>(
                owner,
                Timestamp::from_nanos(after.as_nanos() + 1),
                Timestamp::from_nanos(until.as_nanos() + 1),
                |trades| {
                    for trade in trades {
                        if found.is_some() {
                            return;
                        }
                        let second = ceil_second(trade.ts);
                        if let Some((seen, price)) = pending
                            && seen != second
                            && condition(dollars(price))
                        {
                            found = Some(seen);
                            return;
                        }
                        pending = Some((second, trade.price));
                    }
                },
            )
            .map_err(failed)?;
        if found.is_none()
            && let Some((seen, price)) = pending
            && seen <= until
            && condition(dollars(price))
        {
            found = Some(seen);
        }
        Ok(found)
    }

    fn settlement_value(&self) -> Result<Option<Decimal>, MarketError> {
        Ok(self
            .session
            .underlying_price(self.close)
            .map_err(failed)?
            .map(|price| px_to_decimal(price.price)))
    }
}
