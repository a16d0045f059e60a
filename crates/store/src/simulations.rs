//! Historical simulations and their ledgers.
//!
//! A simulation row holds what the user set (session, capital, description, clock). Its ledger
//! is append-only: each order is written once, with the fill the engine decided when it was
//! placed, and a cancellation is a later entry that leaves the order in place. Entries are
//! numbered without gaps; an append names the number it expects, so two writers that decided
//! against the same ledger cannot both land ([`Appended::Conflict`]).

use engine::fill::Net;
use engine::ledger::{Fill, Placed};
use engine::order::{LegRequest, OrderRequest};
use jiff::civil::Date;
use model::Timestamp;
use model::money::{canonical, parse_decimal};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::users::parse_uuid;
use crate::{Store, StoreError, StoreResultExt};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulationRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub underlying: String,
    pub date: Date,
    pub starting_capital: Decimal,
    pub description: Option<String>,
    /// `None` until the user first sets it.
    pub clock: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// The user already has a simulation of that underlying on that date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a simulation already exists for this date")]
pub struct SimulationExists;

/// A simulation's ledger as read: the orders not cancelled, in placement order, and the number
/// the next entry must take.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    pub orders: Vec<Placed>,
    pub next_seq: i64,
}

/// Whether an append landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Appended {
    Done,
    /// Another entry took the number: the ledger changed since it was read.
    Conflict,
}

/// A change to a simulation; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimulationChange {
    pub clock: Option<Timestamp>,
    pub description: Option<Option<String>>,
}

/// `SELECT` of every simulation column followed by the given clause, as one static string.
macro_rules! select_simulations {
    ($tail:literal) => {
        concat!(
            "SELECT id, user_id, underlying, session_date, starting_capital, description, clock, \
             created_at FROM simulations ",
            $tail
        )
    };
}

fn record_from_row(row: &AnyRow) -> Result<SimulationRecord, StoreError> {
    let text = |column: &'static str| -> Result<String, StoreError> {
        row.try_get::<String, _>(column).ctx("reading a simulation")
    };
    let date = text("session_date")?;
    let capital = text("starting_capital")?;
    Ok(SimulationRecord {
        id: parse_uuid(&text("id")?)?,
        user_id: parse_uuid(&text("user_id")?)?,
        underlying: text("underlying")?,
        date: date
            .parse()
            .map_err(|_| StoreError::corrupt(format!("simulation date {date:?}")))?,
        starting_capital: parse_decimal(&capital)
            .map_err(|_| StoreError::corrupt(format!("starting capital {capital:?}")))?,
        description: row
            .try_get::<Option<String>, _>("description")
            .ctx("reading a simulation")?,
        clock: row
            .try_get::<Option<i64>, _>("clock")
            .ctx("reading a simulation")?
            .map(Timestamp::from_nanos),
        created_at: Timestamp::from_nanos(
            row.try_get::<i64, _>("created_at")
                .ctx("reading a simulation")?,
        ),
    })
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

impl Store {
    pub async fn create_simulation(
        &self,
        record: &SimulationRecord,
    ) -> Result<Result<(), SimulationExists>, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query(
            "SELECT id FROM simulations WHERE user_id = $1 AND underlying = $2 AND session_date = $3",
        )
        .bind(record.user_id.to_string())
        .bind(&record.underlying)
        .bind(record.date.to_string())
        .fetch_optional(&mut *tx)
        .await
        .ctx("looking for a simulation of the date")?;
        if existing.is_some() {
            return Ok(Err(SimulationExists));
        }
        let inserted = sqlx::query(
            "INSERT INTO simulations (id, user_id, underlying, session_date, starting_capital, \
             description, clock, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(record.id.to_string())
        .bind(record.user_id.to_string())
        .bind(&record.underlying)
        .bind(record.date.to_string())
        .bind(canonical(record.starting_capital))
        .bind(record.description.clone())
        .bind(record.clock.map(Timestamp::as_nanos))
        .bind(record.created_at.as_nanos())
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Ok(Err(SimulationExists)),
            other => other.ctx("inserting a simulation")?,
        };
        tx.commit().await.ctx("committing a simulation")?;
        Ok(Ok(()))
    }

    /// The user's simulations by session date.
    pub async fn simulations(&self, user: Uuid) -> Result<Vec<SimulationRecord>, StoreError> {
        let rows = sqlx::query(select_simulations!(
            "WHERE user_id = $1 ORDER BY session_date, underlying"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await
        .ctx("listing simulations")?;
        rows.iter().map(record_from_row).collect()
    }

    /// One of the user's simulations; `None` when it does not exist or is someone else's.
    pub async fn simulation(
        &self,
        user: Uuid,
        id: Uuid,
    ) -> Result<Option<SimulationRecord>, StoreError> {
        let row = sqlx::query(select_simulations!("WHERE id = $1 AND user_id = $2"))
            .bind(id.to_string())
            .bind(user.to_string())
            .fetch_optional(&self.pool)
            .await
            .ctx("reading a simulation")?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// Sets the clock or the description; false when there is no such simulation of the user.
    pub async fn change_simulation(
        &self,
        user: Uuid,
        id: Uuid,
        change: &SimulationChange,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut found = true;
        if let Some(clock) = change.clock {
            found &=
                sqlx::query("UPDATE simulations SET clock = $1 WHERE id = $2 AND user_id = $3")
                    .bind(clock.as_nanos())
                    .bind(id.to_string())
                    .bind(user.to_string())
                    .execute(&mut *tx)
                    .await
                    .ctx("setting a simulation's clock")?
                    .rows_affected()
                    == 1;
        }
        if let Some(description) = &change.description {
            found &= sqlx::query(
                "UPDATE simulations SET description = $1 WHERE id = $2 AND user_id = $3",
            )
            .bind(description.clone())
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .ctx("describing a simulation")?
            .rows_affected()
                == 1;
        }
        tx.commit().await.ctx("committing a simulation change")?;
        Ok(found)
    }

    /// Deletes a simulation with its ledger, at the user's request; false when there is none.
    pub async fn delete_simulation(&self, user: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let owned = sqlx::query("SELECT id FROM simulations WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .fetch_optional(&mut *tx)
            .await
            .ctx("finding a simulation to delete")?
            .is_some();
        if owned {
            sqlx::query("DELETE FROM simulation_entries WHERE simulation_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .ctx("deleting a simulation's ledger")?;
            sqlx::query("DELETE FROM simulations WHERE id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .ctx("deleting a simulation")?;
        }
        tx.commit().await.ctx("committing a simulation delete")?;
        Ok(owned)
    }

    /// The simulation's ledger: orders not cancelled, in placement order.
    pub async fn ledger(&self, simulation: Uuid) -> Result<Ledger, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, order_id, body FROM simulation_entries \
             WHERE simulation_id = $1 ORDER BY seq",
        )
        .bind(simulation.to_string())
        .fetch_all(&self.pool)
        .await
        .ctx("reading a ledger")?;
        let mut ledger = Ledger {
            orders: Vec::new(),
            next_seq: 1,
        };
        for row in rows {
            let seq: i64 = row.try_get("seq").ctx("reading a ledger entry")?;
            let kind: String = row.try_get("kind").ctx("reading a ledger entry")?;
            let order_id: String = row.try_get("order_id").ctx("reading a ledger entry")?;
            let order_id = parse_uuid(&order_id)?;
            match kind.as_str() {
                "order" => {
                    let body: String = row.try_get("body").ctx("reading a ledger entry")?;
                    ledger.orders.push(placed_from_json(order_id, &body)?);
                }
                "cancel" => ledger.orders.retain(|placed| placed.id != order_id),
                other => return Err(StoreError::corrupt(format!("ledger entry kind {other:?}"))),
            }
            ledger.next_seq = seq + 1;
        }
        Ok(ledger)
    }

    /// Appends an order as entry `seq`.
    pub async fn append_order(
        &self,
        simulation: Uuid,
        seq: i64,
        placed: &Placed,
        now: Timestamp,
    ) -> Result<Appended, StoreError> {
        self.append(
            simulation,
            seq,
            "order",
            placed.id,
            &placed_to_json(placed),
            now,
        )
        .await
    }

    /// Appends the cancellation of an order as entry `seq`.
    pub async fn append_cancel(
        &self,
        simulation: Uuid,
        seq: i64,
        order: Uuid,
        now: Timestamp,
    ) -> Result<Appended, StoreError> {
        self.append(simulation, seq, "cancel", order, "{}", now)
            .await
    }

    async fn append(
        &self,
        simulation: Uuid,
        seq: i64,
        kind: &str,
        order: Uuid,
        body: &str,
        now: Timestamp,
    ) -> Result<Appended, StoreError> {
        let mut tx = self.begin_write().await?;
        let last: Option<i64> =
            sqlx::query("SELECT MAX(seq) AS last FROM simulation_entries WHERE simulation_id = $1")
                .bind(simulation.to_string())
                .fetch_one(&mut *tx)
                .await
                .ctx("reading a ledger's length")?
                .try_get("last")
                .ctx("reading a ledger's length")?;
        if last.unwrap_or(0) + 1 != seq {
            return Ok(Appended::Conflict);
        }
        let inserted = sqlx::query(
            "INSERT INTO simulation_entries (simulation_id, seq, kind, order_id, body, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(simulation.to_string())
        .bind(seq)
        .bind(kind)
        .bind(order.to_string())
        .bind(body)
        .bind(now.as_nanos())
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Ok(Appended::Conflict),
            other => other.ctx("appending to a ledger")?,
        };
        tx.commit().await.ctx("committing a ledger entry")?;
        Ok(Appended::Done)
    }
}

/// The order as placed, its text as submitted, and its fill.
fn placed_to_json(placed: &Placed) -> String {
    let order = &placed.order;
    json!({
        "placed_at": placed.placed_at.as_nanos(),
        "type": order.order_type.as_str(),
        "price": order.price.as_ref().map(|(_, text)| text),
        "price_effect": order.price_effect.map(|e| e.as_str()),
        "stop_trigger": order.stop_trigger.as_ref().map(|(_, text)| text),
        "legs": order.legs.iter().map(|leg| json!({
            "instrument": leg.instrument.to_string(),
            "quantity": leg.quantity.to_string(),
            "action": leg.action.as_str(),
        })).collect::<Vec<_>>(),
        "slippage": canonical(placed.slippage),
        "fill": placed.fill.as_ref().map(|fill| json!({
            "at": fill.at.as_nanos(),
            "net": canonical(fill.net.0),
            "leg_prices": fill.leg_prices.iter().map(|p| canonical(*p)).collect::<Vec<_>>(),
        })),
    })
    .to_string()
}

fn placed_from_json(id: Uuid, body: &str) -> Result<Placed, StoreError> {
    let corrupt = |what: &str| StoreError::corrupt(format!("order {id}: {what}"));
    let value: Value = serde_json::from_str(body).map_err(|_| corrupt("body is not JSON"))?;
    let text = |v: &Value| v.as_str().map(str::to_string);
    let decimal = |v: &Value| -> Result<Decimal, StoreError> {
        v.as_str()
            .and_then(|t| parse_decimal(t).ok())
            .ok_or_else(|| corrupt("an amount is not a decimal"))
    };
    let request = OrderRequest {
        order_type: text(&value["type"]).ok_or_else(|| corrupt("no type"))?,
        price: text(&value["price"]),
        price_effect: text(&value["price_effect"]),
        stop_trigger: text(&value["stop_trigger"]),
        legs: value["legs"]
            .as_array()
            .ok_or_else(|| corrupt("no legs"))?
            .iter()
            .map(|leg| LegRequest {
                instrument: text(&leg["instrument"]).unwrap_or_default(),
                quantity: text(&leg["quantity"]).unwrap_or_default(),
                action: text(&leg["action"]).unwrap_or_default(),
            })
            .collect(),
    };
    // The stored order passed these checks when placed; they are deterministic.
    let order = request
        .check()
        .map_err(|refusal| corrupt(&format!("stored order no longer checks: {refusal}")))?;
    let fill = match &value["fill"] {
        Value::Null => None,
        fill => Some(Fill {
            at: Timestamp::from_nanos(fill["at"].as_i64().ok_or_else(|| corrupt("fill time"))?),
            net: Net(decimal(&fill["net"])?),
            leg_prices: fill["leg_prices"]
                .as_array()
                .ok_or_else(|| corrupt("leg prices"))?
                .iter()
                .map(decimal)
                .collect::<Result<_, _>>()?,
        }),
    };
    Ok(Placed {
        id,
        placed_at: Timestamp::from_nanos(
            value["placed_at"]
                .as_i64()
                .ok_or_else(|| corrupt("placement time"))?,
        ),
        order,
        slippage: decimal(&value["slippage"])?,
        fill,
    })
}
