//! A stock (or fund) as it stood at one instant: the session so far, its latest complete minute,
//! the previous session, the last trade and the NBBO. Nothing after the instant is read.

use std::time::Duration;

use jiff::civil::Date;
use model::Timestamp;
use rust_decimal::Decimal;

use crate::error::TapeError;
use crate::format::Owner;
use crate::records::{Bar, Quote, Trade, change, minute_start};
use crate::tape::{Instrument, Tape};

#[derive(Clone, Debug, PartialEq)]
pub struct StockSnapshot {
    /// The session in force at the instant.
    pub session_date: Date,
    /// The session's trading up to the instant, when it traded.
    pub day: Option<Bar>,
    /// The latest minute that had ended by the instant, when it traded.
    pub minute: Option<Bar>,
    /// The previous session's summary, when it traded.
    pub previous_day: Option<Bar>,
    /// The latest trade at or before the instant, in this session or an earlier one.
    pub last_trade: Option<Trade>,
    /// The NBBO at the instant, in this session or an earlier one.
    pub quote: Option<Quote>,
}

impl StockSnapshot {
    /// The change of the last price from the previous session's close: in dollars, and in
    /// percent to four places.
    pub fn change(&self) -> Option<(Decimal, Decimal)> {
        change(self.previous_day?.close, self.last_trade?.price)
    }

    /// When anything shown last changed.
    pub fn updated(&self) -> Option<Timestamp> {
        let trade = self.last_trade.map(|t| t.ts);
        let quote = self.quote.map(|q| q.ts);
        trade.max(quote)
    }
}

impl Tape {
    /// `underlying`'s own series as they stood at `at`; `None` when the tape has no session of it
    /// by then.
    pub fn stock_at(
        &self,
        underlying: &str,
        at: Timestamp,
    ) -> Result<Option<StockSnapshot>, TapeError> {
        let days = self.sessions_in_force(underlying, at)?;
        let Some((&today, earlier)) = days.split_first() else {
            return Ok(None);
        };
        let Some(session) = self.session(underlying, today)? else {
            return Ok(None);
        };
        let owner = Owner::Underlying;
        let through = Timestamp::from_nanos(at.as_nanos().saturating_add(1));
        let day = session.day_before(owner, through)?;
        let midnight = model::calendar::new_york_instant(today, 0, 0, 0);
        let this_minute = minute_start(through);
        let minute = session
            .bars(owner, Duration::from_secs(60), midnight, this_minute)?
            .pop();
        let previous_day = match earlier.first() {
            Some(day) => self.session(underlying, *day)?.and_then(|s| s.day(owner)),
            None => None,
        };
        let stock = Instrument::Underlying;
        let last_trade = self.latest_among(underlying, stock, &days, at)?;
        let quote = self.latest_among(underlying, stock, &days, at)?;
        Ok(Some(StockSnapshot {
            session_date: today,
            day,
            minute,
            previous_day,
            last_trade,
            quote,
        }))
    }
}
