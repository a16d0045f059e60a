//! A simulation's account at a clock: the transactions visible then, the positions they leave
//! with their marks, and the financial measures of the simulation object.
//!
//! Everything is read at the clock, from the ledger and the market: the transactions whose
//! second has come, settlement once the clock stands at the close, pending orders' reserved
//! margin. Nothing here is stored, so any clock, forward or back, gives the same answer every
//! time.

use jiff::civil::Date;
use model::Timestamp;
use model::fees::FeeSchedule;
use model::order::{Direction, Instrument};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::buying_power::{holdings, maintenance};
use crate::ledger::Placed;
use crate::market::{Market, MarketError};
use crate::position::{Book, ClassAmounts, Lot};
use crate::settlement::{Close, settle};
use crate::transaction::{Transaction, fills_by};

/// Position ids are UUIDv5 names in this namespace: `<simulation>|<instrument>|<direction>`.
pub const POSITION_NAMESPACE: Uuid = Uuid::from_u128(0xa3e3_8543_8c54_4331_8026_aa87_688c_919b);

/// What reading a ledger needs besides the market.
#[derive(Clone, Copy, Debug)]
pub struct Simulation<'a> {
    pub id: Uuid,
    pub date: Date,
    /// The session's open and close: the clock's bounds.
    pub start: Timestamp,
    pub end: Timestamp,
    pub starting_capital: Decimal,
    pub schedule: &'a FeeSchedule,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub id: Uuid,
    pub instrument: Instrument,
    pub direction: Direction,
    pub quantity: u64,
    /// Cash out over the position's life: debit − credit + fees (negative for most shorts).
    pub cost: Decimal,
    pub cost_basis: Decimal,
    pub debit: Decimal,
    pub credit: Decimal,
    pub unrealized: Decimal,
    pub realized: Decimal,
    pub fees: Decimal,
    /// unrealized + realized − fees.
    pub total: Decimal,
    /// mark × multiplier × quantity, negative for shorts.
    pub net_liquidity: Decimal,
    /// The mid per share, unrounded; the average cost (to four places) when the instrument has
    /// no quote.
    pub mark: Decimal,
    /// Unsigned market delta × the direction's sign, once [`Account::with_deltas`] asked.
    pub delta: Option<Decimal>,
}

/// The measures the simulation reports per class of instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measures {
    pub credits: Decimal,
    pub debits: Decimal,
    pub fees: Decimal,
    pub unrealized: Decimal,
    pub realized: Decimal,
    /// realized + unrealized − fees.
    pub profit_loss: Decimal,
    pub maintenance: Decimal,
    /// Σ signed market value of the open positions.
    pub market_value: Decimal,
}

impl Measures {
    fn plus(self, other: Measures) -> Measures {
        Measures {
            credits: self.credits + other.credits,
            debits: self.debits + other.debits,
            fees: self.fees + other.fees,
            unrealized: self.unrealized + other.unrealized,
            realized: self.realized + other.realized,
            profit_loss: self.profit_loss + other.profit_loss,
            maintenance: self.maintenance + other.maintenance,
            market_value: self.market_value + other.market_value,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Financials {
    pub deposits: Decimal,
    pub withdrawals: Decimal,
    /// deposits − withdrawals + credits − debits − fees.
    pub cash: Decimal,
    /// cash − maintenance.
    pub available: Decimal,
    /// cash + the positions' market value.
    pub net_liquidation_value: Decimal,
    pub total: Measures,
    pub equities: Measures,
    pub options: Measures,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub clock: Timestamp,
    /// Visible at the clock, in time order.
    pub transactions: Vec<Transaction>,
    pub book: Book,
    pub positions: Vec<Position>,
    pub financials: Financials,
}

impl Account {
    /// The account as of `clock`.
    pub fn at(
        simulation: &Simulation<'_>,
        ledger: &[Placed],
        clock: Timestamp,
        market: &dyn Market,
    ) -> Result<Account, MarketError> {
        let mut transactions = fills_by(ledger, clock, simulation.schedule);
        let mut book = Book::of(&transactions);
        if clock >= simulation.end
            && let Some(value) = market.settlement_value()?
        {
            let close = Close {
                simulation: simulation.id,
                date: simulation.date,
                at: simulation.end,
                value,
                schedule: simulation.schedule,
            };
            for record in settle(&book, &close) {
                book.apply(&record);
                transactions.push(record);
            }
        }
        let mut positions = Vec::with_capacity(book.open.len());
        for (instrument, lot) in &book.open {
            positions.push(position(simulation.id, instrument, lot, clock, market)?);
        }
        let maintenance = maintenance(&holdings(&book), ledger, clock, simulation.end);
        let settled = settled_measures(&transactions, &book, maintenance);
        let financials = financials(simulation.starting_capital, settled, &positions);
        Ok(Account {
            clock,
            transactions,
            book,
            positions,
            financials,
        })
    }
}

impl Account {
    /// Each position's delta at the clock: what the market says, signed by the direction.
    pub fn with_deltas(mut self, market: &dyn Market) -> Result<Account, MarketError> {
        for position in &mut self.positions {
            let sign = Decimal::from(position.direction.sign());
            position.delta = market
                .delta(&position.instrument, self.clock)?
                .map(|delta| (delta.abs() * sign).normalize());
        }
        Ok(self)
    }
}

fn position(
    simulation: Uuid,
    instrument: &Instrument,
    lot: &Lot,
    clock: Timestamp,
    market: &dyn Market,
) -> Result<Position, MarketError> {
    let direction = lot.direction();
    let mut position = Position {
        id: Uuid::new_v5(
            &POSITION_NAMESPACE,
            format!("{simulation}|{instrument}|{}", direction.as_str()).as_bytes(),
        ),
        instrument: instrument.clone(),
        direction,
        quantity: lot.quantity.unsigned_abs(),
        cost: (lot.debit - lot.credit + lot.fees).normalize(),
        cost_basis: lot.basis.normalize(),
        debit: lot.debit.normalize(),
        credit: lot.credit.normalize(),
        unrealized: Decimal::ZERO,
        realized: lot.realized.normalize(),
        fees: lot.fees.normalize(),
        total: Decimal::ZERO,
        net_liquidity: Decimal::ZERO,
        mark: Decimal::ZERO,
        delta: None,
    };
    position.mark_at(market.quote(instrument, clock)?.map(|quote| quote.mid()));
    Ok(position)
}

impl Position {
    /// Values the position at `mark` per share; without one, at its average cost (no
    /// unrealized P&L).
    ///
    /// Amounts keep whatever scale the arithmetic gives (a history re-marks positions tens of
    /// thousands of times); they are written canonically.
    pub fn mark_at(&mut self, mark: Option<Decimal>) {
        let multiplier = Decimal::from(self.instrument.multiplier());
        let quantity = Decimal::from(self.quantity);
        let (mark, value) = match mark {
            Some(mark) => (mark, mark * multiplier * quantity),
            // At cost: exactly no unrealized P&L, the average shown to four places.
            None => (
                (self.cost_basis / quantity / multiplier).round_dp(4),
                self.cost_basis,
            ),
        };
        self.unrealized = match self.direction {
            Direction::Long => value - self.cost_basis,
            Direction::Short => self.cost_basis - value,
        };
        self.total = self.unrealized + self.realized - self.fees;
        self.net_liquidity = match self.direction {
            Direction::Long => value,
            Direction::Short => -value,
        };
        self.mark = mark;
    }
}

/// What the ledger settles, per class (equities, options): cash moved, fees, realized P&L,
/// maintenance. It changes only at fills, placements and the close.
pub fn settled_measures(
    transactions: &[Transaction],
    book: &Book,
    maintenance: Decimal,
) -> [Measures; 2] {
    let mut equities = Measures::default();
    let mut options = Measures::default();
    for t in transactions {
        let measures = match t.instrument {
            Instrument::Equity(_) => &mut equities,
            Instrument::Option(_) => &mut options,
        };
        measures.credits += t.credit();
        measures.debits += t.debit();
        measures.fees += t.fees;
    }
    let mut realized = book.closed_realized;
    for (instrument, lot) in &book.open {
        realized.add(instrument, lot.realized);
    }
    equities.realized = realized.equities;
    options.realized = realized.options;
    options.maintenance = maintenance;
    [equities, options]
}

/// The financials: what the ledger settled, and the open positions at their marks.
pub fn financials(
    deposits: Decimal,
    [mut equities, mut options]: [Measures; 2],
    positions: &[Position],
) -> Financials {
    let mut unrealized = ClassAmounts::default();
    let mut market_value = ClassAmounts::default();
    for position in positions {
        unrealized.add(&position.instrument, position.unrealized);
        market_value.add(&position.instrument, position.net_liquidity);
    }
    equities.unrealized = unrealized.equities;
    equities.market_value = market_value.equities;
    options.unrealized = unrealized.options;
    options.market_value = market_value.options;
    for measures in [&mut equities, &mut options] {
        measures.profit_loss = measures.realized + measures.unrealized - measures.fees;
    }
    let total = equities.plus(options);
    let cash = deposits + total.credits - total.debits - total.fees;
    Financials {
        deposits,
        withdrawals: Decimal::ZERO,
        cash,
        available: cash - total.maintenance,
        net_liquidation_value: cash + total.market_value,
        total,
        equities,
        options,
    }
}
