//! A simulation as a request works on it: its record, the user's fee schedule and slippage, the
//! session's bounds, its ledger, and the tape session it replays. Writers of one simulation take
//! its lock, so concurrent requests decide one after another against the ledger they read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use engine::account::{Account, Simulation};
use engine::fees::order_fees;
use engine::ledger::Placed;
use engine::transaction::fill_transactions;
use model::Timestamp;
use model::calendar;
use model::fees::FeeSchedule;
use rust_decimal::Decimal;
use store::simulations::{Ledger, SimulationRecord};
use store::users::User;
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use super::tape_market::TapeMarket;
use super::wire::{OrderView, TransactionBody};
use crate::http::Problem;
use crate::state::AppState;

/// One async lock per simulation that has been written to since the server started.
#[derive(Default)]
pub struct SimulationLocks(Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>);

impl SimulationLocks {
    /// Waits until no other request writes `simulation`, then holds it until dropped.
    pub async fn hold(&self, simulation: Uuid) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            locks.entry(simulation).or_default().clone()
        };
        lock.lock_owned().await
    }

    pub fn forget(&self, simulation: Uuid) {
        let mut locks = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.remove(&simulation);
    }
}

/// The session bounds of a replayed date: the exchange's open and close (early closes included).
pub fn session_bounds(date: jiff::civil::Date) -> Result<(Timestamp, Timestamp), Problem> {
    calendar::session(date)
        .map(|s| (s.open, s.close))
        .ok_or_else(|| Problem::bad_request(format!("{date} is not a trading session")))
}

pub fn not_found() -> Problem {
    Problem::not_found("simulation not found")
}

/// A simulation id from a path; anything else is a simulation that does not exist.
pub fn simulation_id(text: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(text).map_err(|_| not_found())
}

pub struct Loaded {
    pub record: SimulationRecord,
    pub start: Timestamp,
    pub end: Timestamp,
    pub ledger: Ledger,
    pub schedule: FeeSchedule,
    pub slippage: Decimal,
}

impl Loaded {
    /// Reads the user's simulation `id` with its ledger; 404 when it is not theirs.
    pub async fn load(state: &AppState, user: &User, id: Uuid) -> Result<Loaded, Problem> {
        let record = state
            .store
            .simulation(user.id, id)
            .await?
            .ok_or_else(not_found)?;
        let (start, end) = session_bounds(record.date)?;
        let ledger = state.store.ledger(id).await?;
        Ok(Loaded {
            record,
            start,
            end,
            ledger,
            schedule: user.effective_fees(),
            slippage: user.slippage.amount(),
        })
    }

    /// The clock, `start_time` until the user sets one.
    pub fn clock(&self) -> Timestamp {
        self.record.clock.unwrap_or(self.start)
    }

    pub fn simulation(&self) -> Simulation<'_> {
        Simulation {
            id: self.record.id,
            date: self.record.date,
            start: self.start,
            end: self.end,
            starting_capital: self.record.starting_capital,
            schedule: &self.schedule,
        }
    }

    /// The recorded session being replayed. Blocking: it may open the session file.
    pub fn market<'a>(&self, state: &'a AppState) -> Result<TapeMarket<'a>, Problem> {
        let session = state
            .tape
            .session(&self.record.underlying, self.record.date)?
            .ok_or_else(|| {
                Problem::internal(format!(
                    "the tape no longer holds {} on {}",
                    self.record.underlying, self.record.date
                ))
            })?;
        Ok(TapeMarket {
            tape: &state.tape,
            session,
            close: self.end,
            rate: state.settings.risk_free_rate,
        })
    }

    /// The account at `clock`. Blocking: it reads the tape.
    pub fn account(&self, state: &AppState, clock: Timestamp) -> Result<Account, Problem> {
        let market = self.market(state)?;
        Account::at(&self.simulation(), &self.ledger.orders, clock, &market)
            .map_err(Problem::internal)
    }

    /// How `placed` is shown at `clock`, without the buying-power block.
    pub fn order_view<'a>(&'a self, placed: &'a Placed, clock: Timestamp) -> OrderView<'a> {
        OrderView {
            placed,
            underlying: &self.record.underlying,
            clock,
            end: self.end,
            fees: order_fees(&self.schedule, &placed.order.legs),
            transactions: placed.fill_by(clock).map(|_| {
                fill_transactions(placed, &self.schedule)
                    .iter()
                    .map(TransactionBody::of)
                    .collect()
            }),
            buying_power: None,
            id: None,
        }
    }
}
