//! One contract, day by day, over the sessions of its underlying: the days the tape holds it, the
//! contracts of one expiration, and per day its summary, closing quote, quotes on a time grid and
//! trades. These are the readings of the column API (chain, EOD, intraday, trades).
//!
//! A day belongs to a contract when the session of that date lists it. A session that does not
//! list the contract, or a date with no session file, says nothing about it: such days are
//! absent, never "no trade". Readings of a day cover that New York date only, so records a file
//! may hold from the evening before (index options' global trading hours) are not part of it.

use std::sync::Arc;

use jiff::civil::Date;
use model::symbol::{OptionSymbol, Root};
use model::{Timestamp, calendar, root_info};

use crate::error::TapeError;
use crate::format::Owner;
use crate::query::Order;
use crate::reader::SessionFile;
use crate::records::{Bar, Quote, Trade};
use crate::tape::Tape;

/// A contract in one session, read up to an instant (the market's "now": nothing later is
/// shown, as in a live market).
#[derive(Clone, Debug)]
pub struct ContractDay {
    pub session: Arc<SessionFile>,
    pub owner: Owner,
    pub until: Timestamp,
}

/// New York midnight at the start of `date`.
fn midnight(date: Date) -> Timestamp {
    calendar::new_york_instant(date, 0, 0, 0)
}

/// The instants at which New York's clock reads each of `times` (milliseconds of day) on `date`.
/// A day of 24 hours is midnight plus the time; only a day when the clocks change (a Sunday,
/// never a session in practice) needs the time zone for each.
fn wall_clock_instants(date: Date, times: &[u32]) -> Vec<Timestamp> {
    let start = midnight(date);
    let day = date.tomorrow().ok().map(|d| midnight(d).since(start));
    let ms = |t: u32| std::time::Duration::from_millis(u64::from(t));
    if day == Some(std::time::Duration::from_secs(86_400)) {
        return times.iter().map(|t| start.plus(ms(*t))).collect();
    }
    times
        .iter()
        .map(|t| {
            let (hour, minute, second) = (t / 3_600_000, t / 60_000 % 60, t / 1_000 % 60);
            // Each part is below 24, 60 or 60, so the narrowing cannot fail.
            let part = |v: u32| i8::try_from(v).unwrap_or(0);
            calendar::new_york_instant(date, part(hour), part(minute), part(second))
                .plus(ms(t % 1_000))
        })
        .collect()
}

fn next_instant(t: Timestamp) -> Timestamp {
    Timestamp::from_nanos(t.as_nanos().saturating_add(1))
}

impl ContractDay {
    pub fn date(&self) -> Date {
        self.session.date()
    }

    /// The day's trading summary; `None` when the contract did not trade.
    pub fn summary(&self) -> Result<Option<Bar>, TapeError> {
        self.session
            .day_before(self.owner, next_instant(self.until))
    }

    /// The last quote of the date at or before the regular close (16:00, or 13:00 on early
    /// closes). A file dated on a day the calendar has no session for closes at 16:00.
    pub fn closing_quote(&self) -> Result<Option<Quote>, TapeError> {
        let date = self.date();
        let close = calendar::session(date)
            .map(|s| s.close)
            .unwrap_or_else(|| calendar::new_york_instant(date, 16, 0, 0));
        let quote = self.session.quote_at(self.owner, close.min(self.until))?;
        Ok(quote.filter(|q| q.ts >= midnight(date)))
    }

    /// The quote as of each of `instants` (ascending): the last change at or before it on the
    /// same date, `None` before the date's first quote. One as-of lookup for the first instant,
    /// then one walk over the quotes up to the last.
    pub fn quotes_at(&self, instants: &[Timestamp]) -> Result<Vec<Option<Quote>>, TapeError> {
        let (Some(&first), Some(&last)) = (instants.first(), instants.last()) else {
            return Ok(Vec::new());
        };
        let start = midnight(self.date());
        let mut current = self
            .session
            .quote_at(self.owner, first)?
            .filter(|q| q.ts >= start);
        let later = self
            .session
            .range::<Quote>(
                self.owner,
                next_instant(first),
                next_instant(last),
                Order::Ascending,
                None,
                usize::MAX,
            )?
            .records;
        let mut later = later.into_iter().filter(|q| q.ts >= start).peekable();
        Ok(instants
            .iter()
            .map(|t| {
                while let Some(quote) = later.next_if(|q| q.ts <= *t) {
                    current = Some(quote);
                }
                current
            })
            .collect())
    }

    /// The quotes on the grid of `step_ms` milliseconds from New York midnight, at grid times
    /// from `first_ms` through `last_ms` of the date: each time's millisecond of day and quote as
    /// of that instant, from the first time with a quote on.
    pub fn grid_quotes(
        &self,
        step_ms: u32,
        first_ms: u32,
        last_ms: u32,
    ) -> Result<Vec<(u32, Quote)>, TapeError> {
        if step_ms == 0 {
            return Ok(Vec::new());
        }
        let start = first_ms.div_ceil(step_ms).saturating_mul(step_ms);
        let times: Vec<u32> = (start..=last_ms).step_by(step_ms as usize).collect();
        let mut instants = wall_clock_instants(self.date(), &times);
        instants.retain(|t| *t <= self.until);
        let quotes = self.quotes_at(&instants)?;
        Ok(times
            .into_iter()
            .zip(quotes)
            .filter_map(|(ms, quote)| quote.map(|q| (ms, q)))
            .collect())
    }

    /// The trades of the date, in time order.
    pub fn trades(&self) -> Result<Vec<Trade>, TapeError> {
        let date = self.date();
        let end = date
            .tomorrow()
            .map(midnight)
            .unwrap_or(Timestamp::from_nanos(i64::MAX))
            .min(next_instant(self.until));
        Ok(self
            .session
            .range::<Trade>(
                self.owner,
                midnight(date),
                end,
                Order::Ascending,
                None,
                usize::MAX,
            )?
            .records)
    }
}

impl Tape {
    /// The sessions of `symbol`'s underlying from `from` through `to` (and not after its
    /// expiration) that list it, in date order.
    pub fn contract_days(
        &self,
        symbol: &OptionSymbol,
        from: Date,
        to: Date,
        until: Timestamp,
    ) -> Result<Vec<ContractDay>, TapeError> {
        let underlying = root_info(symbol.root.as_str()).underlying;
        let to = to
            .min(symbol.expiration)
            .min(calendar::new_york_date(until));
        let mut days = Vec::new();
        for date in self.sessions(underlying)? {
            if date < from || date > to {
                continue;
            }
            if let Some(session) = self.session(underlying, date)?
                && let Some(owner) = session.contract(symbol)
            {
                days.push(ContractDay {
                    session,
                    owner,
                    until,
                });
            }
        }
        Ok(days)
    }

    /// Whether any session lists `symbol`. Searched from its expiration back, where a listed
    /// contract is found soonest.
    pub fn ever_listed(&self, symbol: &OptionSymbol) -> Result<bool, TapeError> {
        let underlying = root_info(symbol.root.as_str()).underlying;
        for date in self.sessions(underlying)?.into_iter().rev() {
            if date > symbol.expiration {
                continue;
            }
            if let Some(session) = self.session(underlying, date)?
                && session.contract(symbol).is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Every contract of `root` expiring on `expiration` that any session listed, each once, in
    /// symbol order. Every session up to the expiration is read: listings come and go.
    pub fn expiration_contracts(
        &self,
        root: &Root,
        expiration: Date,
        until: Date,
    ) -> Result<Vec<OptionSymbol>, TapeError> {
        let underlying = root_info(root.as_str()).underlying;
        let mut out = Vec::new();
        for date in self.sessions(underlying)? {
            if date > expiration || date > until {
                break;
            }
            let Some(session) = self.session(underlying, date)? else {
                continue;
            };
            out.extend(
                session
                    .contracts()
                    .iter()
                    .map(|c| c.symbol)
                    .filter(|s| s.root == *root && s.expiration == expiration),
            );
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}
