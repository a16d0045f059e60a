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
//! the rate. Time runs from the instant of the underlying's price to the expiry's settlement
//! instant (the open for AM-settled classes) in calendar years of 365 days: Greeks are those of
//! the latest market state, as a feed computes them when a price arrives, so a snapshot is the
//! same at every instant until the next record that goes into it ([`Steady`]).

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
use crate::records::{
    Bar, IndexValue, MINUTE_NANOS, Px, Quote, Trade, change, minute_start, px_to_decimal, px_to_f64,
};
use crate::series::Record;
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

/// An answer and the instants `from <= t < until` at which the tape gives the very same one: no
/// record that goes into it changes in between. Lets a moving clock reuse what it built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Steady<T> {
    pub value: T,
    pub from: Timestamp,
    pub until: Timestamp,
}

impl<T> Steady<T> {
    /// Another answer that holds over the same instants (what was built from this one).
    pub fn with<U>(&self, value: U) -> Steady<U> {
        Steady {
            value,
            from: self.from,
            until: self.until,
        }
    }
}

/// The instants over which answers built at one instant hold, narrowed by each input read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Holds {
    from: Timestamp,
    until: Timestamp,
}

impl Holds {
    /// The minute of `t`: the day so far is built from minute bars before it and trades within
    /// it, and listings change at midnight, so nothing built at `t` is reused outside it.
    fn minute_of(t: Timestamp) -> Holds {
        let start = minute_start(t);
        Holds {
            from: start,
            until: Timestamp::from_nanos(start.as_nanos().saturating_add(MINUTE_NANOS)),
        }
    }

    /// Narrowed to a series read as of the instant: its last record (when any) and the next one.
    fn read<R: Record>(&mut self, (last, next): &(Option<R>, Option<Timestamp>)) {
        if let Some(last) = last {
            self.from = self.from.max(last.ts());
        }
        if let Some(next) = next {
            self.until = self.until.min(*next);
        }
    }

    fn within(&mut self, other: Holds) {
        self.from = self.from.max(other.from);
        self.until = self.until.min(other.until);
    }

    fn steady<T>(self, value: T) -> Steady<T> {
        Steady {
            value,
            from: self.from,
            until: self.until,
        }
    }
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
    /// Over which the underlying's price (and the instant of the chain) holds.
    holds: Holds,
    expiries: HashMap<Expiry, ExpiryInputs>,
}

/// What an expiry's contracts share: years to settlement and the parity forward.
#[derive(Clone, Copy)]
struct ExpiryInputs {
    years: f64,
    /// `None` without a two-sided pair near the money.
    forward: Option<f64>,
    /// Over which the quotes of the pairs tried hold.
    holds: Holds,
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
        let mut holds = Holds::minute_of(at);
        let underlying = session.underlying_price_at(at, &mut holds)?;
        Ok(Some(ChainAt {
            tape: self,
            session,
            earlier: eligible,
            previous: None,
            at,
            rate,
            underlying,
            holds,
            expiries: HashMap::new(),
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
    /// trade. What settles the session's expiring options when `t` is the close.
    pub fn underlying_price(&self, t: Timestamp) -> Result<Option<UnderlyingPrice>, TapeError> {
        self.underlying_price_at(t, &mut Holds::minute_of(t))
    }

    /// [`underlying_price`](Self::underlying_price), narrowing `holds` to the instants the price
    /// stays the same.
    fn underlying_price_at(
        &self,
        t: Timestamp,
        holds: &mut Holds,
    ) -> Result<Option<UnderlyingPrice>, TapeError> {
        // Any of the three series may decide the price, so each one read narrows the span.
        let value = self.at_and_next::<IndexValue>(Owner::Underlying, t)?;
        let quote = self.at_and_next::<Quote>(Owner::Underlying, t)?;
        let trade = self.at_and_next::<Trade>(Owner::Underlying, t)?;
        holds.read(&value);
        holds.read(&quote);
        holds.read(&trade);
        if let Some(value) = value.0 {
            return Ok(Some(UnderlyingPrice {
                ts: value.ts,
                price: value.value,
            }));
        }
        if let Some(quote) = quote.0
            && let Some(mid) = quote.mid()
        {
            return Ok(Some(UnderlyingPrice {
                ts: quote.ts,
                price: mid,
            }));
        }
        Ok(trade.0.map(|trade| UnderlyingPrice {
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

    /// `symbol` as it stood at the instant (`None` when it is not listed then), with the instants
    /// over which it stood the same.
    pub fn snapshot(
        &mut self,
        symbol: &OptionSymbol,
    ) -> Result<Steady<Option<ContractSnapshot>>, TapeError> {
        let mut holds = self.holds;
        let today = calendar::new_york_date(self.at);
        if symbol.expiration < today {
            return Ok(holds.steady(None));
        }
        let Some(owner) = self.session.contract(symbol) else {
            return Ok(holds.steady(None));
        };
        let session = self.session.clone();
        let entry = session.contract_entry(owner);
        let quote = session.at_and_next::<Quote>(owner, self.at)?;
        let trade = session.at_and_next::<Trade>(owner, self.at)?;
        holds.read(&quote);
        holds.read(&trade);
        let (quote, last_trade) = (quote.0, trade.0);
        let last_trade = match last_trade {
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
            Some(mid) => self.greeks(symbol, px_to_f64(mid), &mut holds)?,
            None => None,
        };
        let snapshot = ContractSnapshot {
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
        };
        Ok(holds.steady(Some(snapshot)))
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

    /// The Greeks of `premium` for `symbol`, narrowing `holds` by the quotes its forward read.
    fn greeks(
        &mut self,
        symbol: &OptionSymbol,
        premium: f64,
        holds: &mut Holds,
    ) -> Result<Option<QuotedGreeks>, TapeError> {
        let Some(underlying) = self.underlying else {
            return Ok(None);
        };
        let spot = px_to_f64(underlying.price);
        let inputs = self.expiry_inputs(symbol, spot, underlying.ts)?;
        holds.within(inputs.holds);
        let forward = inputs
            .forward
            .unwrap_or_else(|| spot * (self.rate * inputs.years).exp());
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
            inputs.years,
            self.rate,
        ))
    }

    /// Years to `symbol`'s expiry from the underlying's price instant, and the expiry's forward:
    /// put-call parity at the strike near the spot where the call's and the put's midpoints are
    /// closest (`None` without such a pair). Worked out once per expiry.
    fn expiry_inputs(
        &mut self,
        symbol: &OptionSymbol,
        spot: f64,
        priced_at: Timestamp,
    ) -> Result<ExpiryInputs, TapeError> {
        if let Some(known) = self.expiries.get(&expiry(symbol)) {
            return Ok(*known);
        }
        let years = years_to_settlement(symbol.root.as_str(), symbol.expiration, priced_at);
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
        let mut holds = Holds::minute_of(self.at);
        let mut mid = |owner| -> Result<Option<f64>, TapeError> {
            let quote = session.at_and_next::<Quote>(owner, self.at)?;
            holds.read(&quote);
            Ok(quote.0.and_then(|q| q.mid()).map(px_to_f64))
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
        let inputs = ExpiryInputs {
            years,
            forward,
            holds,
        };
        self.expiries.insert(expiry(symbol), inputs);
        Ok(inputs)
    }
}

fn expiry(symbol: &OptionSymbol) -> Expiry {
    (symbol.root, symbol.expiration)
}

/// The strike in dollars.
fn strike_dollars(symbol: &OptionSymbol) -> f64 {
    f64::from(symbol.strike.thousandths()) / 1000.0
}
