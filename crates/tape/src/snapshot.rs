//! An underlying's options as they stood at one instant: each contract's quote, last trade, day so
//! far, previous close and open interest, the underlying's price, and the implied volatility and
//! Greeks the quote implies then.
//!
//! The session in force at an instant is the underlying's latest session on or before its New
//! York date, or the one before when the instant falls before that day's open (at 08:00 the
//! chain is the last one of the previous session). Nothing after the instant is read: the day bar
//! is built from the trades before it ([`SessionFile::day_before`]).
//!
//! Implied volatility and Greeks price the quote's midpoint against the forward that put-call
//! parity gives for its expiry, at the strike near the money where call and put are closest
//! ([`pricing::quoted_greeks`]); without a two-sided pair there, the forward is the spot carried at
//! the rate. Time runs to the expiry's settlement instant (the open for AM-settled classes) in
//! calendar years of 365 days.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use model::Timestamp;
use model::calendar;
use model::expirations::years_to_settlement;
use model::symbol::{OptionSymbol, Right, Root};
use pricing::{OptionKind, QuotedGreeks, parity_forward, quoted_greeks};

use crate::error::TapeError;
use crate::format::Owner;
use crate::reader::SessionFile;
use crate::records::{Bar, IndexValue, Px, Quote, Trade, change, px_to_decimal, px_to_f64};
use crate::tape::{Instrument, Tape};
use rust_decimal::Decimal;

/// Strikes nearest the spot tried for an expiry's parity forward.
const PARITY_STRIKES: usize = 3;

/// The underlying's price at an instant and when it was set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnderlyingPrice {
    pub ts: Timestamp,
    pub price: Px,
}

/// One contract as it stood at the instant.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractSnapshot {
    pub symbol: OptionSymbol,
    /// Contracts open at the end of the previous session.
    pub open_interest: Option<u64>,
    pub quote: Option<Quote>,
    /// The latest trade at or before the instant, in this session or an earlier one.
    pub last_trade: Option<Trade>,
    /// The session's trading up to the instant, when it traded.
    pub day: Option<Bar>,
    /// The previous session's close, when it traded then.
    pub previous_close: Option<Px>,
    /// From the quote's midpoint; absent when no volatility gives it.
    pub greeks: Option<QuotedGreeks>,
}

impl ContractSnapshot {
    /// The premium per share a long position pays: the quote's midpoint, else the last trade.
    pub fn premium(&self) -> Option<Px> {
        self.quote
            .and_then(|q| q.mid())
            .or(self.last_trade.map(|t| t.price))
    }

    /// The underlying's price at which a long position breaks even at expiry: strike plus
    /// premium for a call, less it for a put.
    pub fn break_even(&self) -> Option<Decimal> {
        let premium = px_to_decimal(self.premium()?);
        let strike = self.symbol.strike.to_decimal();
        Some(match self.symbol.right {
            Right::Call => strike + premium,
            Right::Put => strike - premium,
        })
    }

    /// The day's change from the previous close: in dollars, and in percent to four places.
    pub fn change(&self) -> Option<(Decimal, Decimal)> {
        change(self.previous_close?, self.day?.close)
    }
}

/// The options of one underlying at one instant. Snapshots of its contracts share the session,
/// the underlying's price and each expiry's forward.
pub struct ChainAt<'a> {
    tape: &'a Tape,
    session: Arc<SessionFile>,
    /// The dates of the underlying's earlier sessions, latest first.
    earlier: Vec<Date>,
    /// The session before the one in force, once opened (`None` inside: there is none).
    previous: Option<Option<Arc<SessionFile>>>,
    at: Timestamp,
    rate: f64,
    underlying: Option<UnderlyingPrice>,
    forwards: HashMap<Expiry, Option<f64>>,
}

/// A root's expiry: SPX and SPXW share dates but not settlement instants.
type Expiry = (Root, Date);

impl Tape {
    /// The options of `underlying` as they stood at `at`, discounting at `rate` (continuously
    /// compounded); `None` when the tape has no session of it by then.
    pub fn chain_at(
        &self,
        underlying: &str,
        at: Timestamp,
        rate: f64,
    ) -> Result<Option<ChainAt<'_>>, TapeError> {
        let mut eligible = self.sessions_in_force(underlying, at)?;
        let Some(day) = eligible.first().copied() else {
            return Ok(None);
        };
        let Some(session) = self.session(underlying, day)? else {
            return Ok(None);
        };
        eligible.remove(0);
        let underlying = session.underlying_price_at(at)?;
        Ok(Some(ChainAt {
            tape: self,
            session,
            earlier: eligible,
            previous: None,
            at,
            rate,
            underlying,
            forwards: HashMap::new(),
        }))
    }
}

impl Tape {
    /// The session in force at `at` and the ones before it, latest first: the underlying's
    /// sessions on or before `at`'s New York date, less that day's when `at` is before its open.
    pub fn sessions_in_force(
        &self,
        underlying: &str,
        at: Timestamp,
    ) -> Result<Vec<Date>, TapeError> {
        let date = calendar::new_york_date(at);
        let opens_later = |day: Date| calendar::session(day).is_some_and(|s| at < s.open);
        let mut eligible: Vec<Date> = self
            .sessions(underlying)?
            .into_iter()
            .filter(|day| *day < date || (*day == date && !opens_later(date)))
            .collect();
        eligible.reverse();
        Ok(eligible)
    }
}

impl SessionFile {
    /// The underlying's price at `t`: its index value, else its quote's midpoint, else its last
    /// trade.
    pub fn underlying_price_at(&self, t: Timestamp) -> Result<Option<UnderlyingPrice>, TapeError> {
        if let Some(value) = self.at::<IndexValue>(Owner::Underlying, t)? {
            return Ok(Some(UnderlyingPrice {
                ts: value.ts,
                price: value.value,
            }));
        }
        if let Some(quote) = self.quote_at(Owner::Underlying, t)?
            && let Some(mid) = quote.mid()
        {
            return Ok(Some(UnderlyingPrice {
                ts: quote.ts,
                price: mid,
            }));
        }
        Ok(self
            .last_trade_at(Owner::Underlying, t)?
            .map(|trade| UnderlyingPrice {
                ts: trade.ts,
                price: trade.price,
            }))
    }
}

impl ChainAt<'_> {
    /// The date of the session in force.
    pub fn session_date(&self) -> Date {
        self.session.date()
    }

    /// The instant the chain stands at.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The session in force.
    pub fn session(&self) -> &Arc<SessionFile> {
        &self.session
    }

    pub fn underlying(&self) -> Option<UnderlyingPrice> {
        self.underlying
    }

    /// The contracts listed and not yet expired at the instant, in the session's order.
    pub fn contracts(&self) -> impl Iterator<Item = &OptionSymbol> + '_ {
        let today = calendar::new_york_date(self.at);
        self.session
            .contracts()
            .iter()
            .map(|c| &c.symbol)
            .filter(move |s| s.expiration >= today)
    }

    /// `symbol` as it stood at the instant; `None` when it is not listed then.
    pub fn snapshot(
        &mut self,
        symbol: &OptionSymbol,
    ) -> Result<Option<ContractSnapshot>, TapeError> {
        let today = calendar::new_york_date(self.at);
        if symbol.expiration < today {
            return Ok(None);
        }
        let Some(owner) = self.session.contract(symbol) else {
            return Ok(None);
        };
        let session = self.session.clone();
        let entry = session.contract_entry(owner);
        let quote = session.quote_at(owner, self.at)?;
        let last_trade = match session.last_trade_at(owner, self.at)? {
            Some(trade) => Some(trade),
            None => self.tape.latest_among(
                session.underlying(),
                Instrument::Option(symbol),
                &self.earlier,
                self.at,
            )?,
        };
        let previous_close = self.previous_session()?.and_then(|previous| {
            let owner = previous.contract(symbol)?;
            previous.day(owner).map(|bar| bar.close)
        });
        let greeks = match quote.and_then(|q| q.mid()) {
            Some(mid) => self.greeks(symbol, px_to_f64(mid))?,
            None => None,
        };
        Ok(Some(ContractSnapshot {
            symbol: *symbol,
            open_interest: entry.and_then(|e| e.open_interest),
            quote,
            last_trade,
            day: session.day_before(
                owner,
                Timestamp::from_nanos(self.at.as_nanos().saturating_add(1)),
            )?,
            previous_close,
            greeks,
        }))
    }

    /// The session before the one in force, opened once per chain.
    fn previous_session(&mut self) -> Result<Option<Arc<SessionFile>>, TapeError> {
        if self.previous.is_none() {
            let opened = match self.earlier.first() {
                Some(day) => self.tape.session(self.session.underlying(), *day)?,
                None => None,
            };
            self.previous = Some(opened);
        }
        Ok(self.previous.clone().flatten())
    }

    fn greeks(
        &mut self,
        symbol: &OptionSymbol,
        premium: f64,
    ) -> Result<Option<QuotedGreeks>, TapeError> {
        let Some(spot) = self.underlying.map(|u| px_to_f64(u.price)) else {
            return Ok(None);
        };
        let years = years_to_settlement(symbol.root.as_str(), symbol.expiration, self.at);
        let forward = self.forward(symbol, spot, years)?;
        let kind = match symbol.right {
            Right::Call => OptionKind::Call,
            Right::Put => OptionKind::Put,
        };
        Ok(quoted_greeks(
            kind,
            premium,
            spot,
            forward,
            strike_dollars(symbol),
            years,
            self.rate,
        ))
    }

    /// The forward of `symbol`'s expiry: put-call parity at the strike near the spot where the
    /// call's and the put's midpoints are closest, else the spot carried at the rate.
    fn forward(&mut self, symbol: &OptionSymbol, spot: f64, years: f64) -> Result<f64, TapeError> {
        let carried = spot * (self.rate * years).exp();
        if let Some(known) = self.forwards.get(&expiry(symbol)) {
            return Ok(known.unwrap_or(carried));
        }
        // The expiry's calls whose put is listed too, nearest the spot first.
        let session = &self.session;
        let mut pairs: Vec<(f64, Owner, Owner)> = session
            .contracts()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.symbol.right == Right::Call && expiry(&c.symbol) == expiry(symbol))
            .filter_map(|(i, c)| {
                let put = session.contract(&OptionSymbol {
                    right: Right::Put,
                    ..c.symbol
                })?;
                Some((strike_dollars(&c.symbol), Owner::Contract(i as u32), put))
            })
            .collect();
        pairs.sort_by(|a, b| (a.0 - spot).abs().total_cmp(&(b.0 - spot).abs()));
        let mid = |owner| -> Result<Option<f64>, TapeError> {
            Ok(session
                .quote_at(owner, self.at)?
                .and_then(|q| q.mid())
                .map(px_to_f64))
        };
        let mut best: Option<(f64, f64)> = None;
        for (strike, call, put) in pairs.into_iter().take(PARITY_STRIKES) {
            if let (Some(c), Some(p)) = (mid(call)?, mid(put)?) {
                let gap = (c - p).abs();
                if best.is_none_or(|(g, _)| gap < g) {
                    best = Some((gap, parity_forward(c, p, strike, years, self.rate)));
                }
            }
        }
        let forward = best.map(|(_, f)| f).filter(|f| f.is_finite() && *f > 0.0);
        self.forwards.insert(expiry(symbol), forward);
        Ok(forward.unwrap_or(carried))
    }
}

fn expiry(symbol: &OptionSymbol) -> Expiry {
    (symbol.root, symbol.expiration)
}

/// The strike in dollars.
fn strike_dollars(symbol: &OptionSymbol) -> f64 {
    f64::from(symbol.strike.thousandths()) / 1000.0
}
