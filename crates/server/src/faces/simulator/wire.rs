//! The simulator's JSON shapes for simulations, orders, transactions, positions and the
//! buying-power block. Money and quantities are decimal strings, instants RFC 3339 in UTC.

use engine::account::{Account, Financials, Measures, Position};
use engine::buying_power::Effect;
use engine::ledger::Placed;
use engine::transaction::Transaction;
use model::Timestamp;
use model::money::canonical;
use model::order::PriceEffect;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};
use store::simulations::SimulationRecord;
use utoipa::ToSchema;

use crate::http::numbers::DecimalString;

fn money(value: Decimal) -> String {
    canonical(value)
}

fn instant(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// The financial fields of a simulation at a second: totals, then shares (`equities_*`) and
/// options (`equity_options_*`); the class NLV fields hold the class's positions' market value.
#[derive(Serialize, ToSchema)]
pub struct FinancialsBody {
    #[schema(value_type = String)]
    pub deposits: DecimalString,
    #[schema(value_type = String)]
    pub withdrawals: DecimalString,
    #[schema(value_type = String)]
    pub credits: DecimalString,
    #[schema(value_type = String)]
    pub debits: DecimalString,
    #[schema(value_type = String)]
    pub fees: DecimalString,
    #[schema(value_type = String)]
    pub maintenance_buying_power: DecimalString,
    #[schema(value_type = String)]
    pub available_buying_power: DecimalString,
    #[schema(value_type = String)]
    pub net_liquidation_value: DecimalString,
    #[schema(value_type = String)]
    pub unrealized_profit_loss: DecimalString,
    #[schema(value_type = String)]
    pub realized_profit_loss: DecimalString,
    #[schema(value_type = String)]
    pub profit_loss: DecimalString,
    #[schema(value_type = String)]
    pub equities_credits: DecimalString,
    #[schema(value_type = String)]
    pub equities_debits: DecimalString,
    #[schema(value_type = String)]
    pub equities_fees: DecimalString,
    #[schema(value_type = String)]
    pub equities_unrealized_profit_loss: DecimalString,
    #[schema(value_type = String)]
    pub equities_realized_profit_loss: DecimalString,
    #[schema(value_type = String)]
    pub equities_profit_loss: DecimalString,
    #[schema(value_type = String)]
    pub equities_maintenance_buying_power: DecimalString,
    #[schema(value_type = String)]
    pub equities_net_liquidation_value: DecimalString,
    #[schema(value_type = String)]
    pub equity_options_credits: DecimalString,
    #[schema(value_type = String)]
    pub equity_options_debits: DecimalString,
    #[schema(value_type = String)]
    pub equity_options_fees: DecimalString,
    #[schema(value_type = String)]
    pub equity_options_unrealized_profit_loss: DecimalString,
    #[schema(value_type = String)]
    pub equity_options_realized_profit_loss: DecimalString,
    #[schema(value_type = String)]
    pub equity_options_profit_loss: DecimalString,
    #[schema(value_type = String)]
    pub equity_options_maintenance_buying_power: DecimalString,
    #[schema(value_type = String)]
    pub equity_options_net_liquidation_value: DecimalString,
}

impl FinancialsBody {
    pub fn of(f: &Financials) -> FinancialsBody {
        let (e, o): (&Measures, &Measures) = (&f.equities, &f.options);
        FinancialsBody {
            deposits: DecimalString(f.deposits),
            withdrawals: DecimalString(f.withdrawals),
            credits: DecimalString(f.total.credits),
            debits: DecimalString(f.total.debits),
            fees: DecimalString(f.total.fees),
            maintenance_buying_power: DecimalString(f.total.maintenance),
            available_buying_power: DecimalString(f.available),
            net_liquidation_value: DecimalString(f.net_liquidation_value),
            unrealized_profit_loss: DecimalString(f.total.unrealized),
            realized_profit_loss: DecimalString(f.total.realized),
            profit_loss: DecimalString(f.total.profit_loss),
            equities_credits: DecimalString(e.credits),
            equities_debits: DecimalString(e.debits),
            equities_fees: DecimalString(e.fees),
            equities_unrealized_profit_loss: DecimalString(e.unrealized),
            equities_realized_profit_loss: DecimalString(e.realized),
            equities_profit_loss: DecimalString(e.profit_loss),
            equities_maintenance_buying_power: DecimalString(e.maintenance),
            equities_net_liquidation_value: DecimalString(e.market_value),
            equity_options_credits: DecimalString(o.credits),
            equity_options_debits: DecimalString(o.debits),
            equity_options_fees: DecimalString(o.fees),
            equity_options_unrealized_profit_loss: DecimalString(o.unrealized),
            equity_options_realized_profit_loss: DecimalString(o.realized),
            equity_options_profit_loss: DecimalString(o.profit_loss),
            equity_options_maintenance_buying_power: DecimalString(o.maintenance),
            equity_options_net_liquidation_value: DecimalString(o.market_value),
        }
    }
}

/// A simulation with its financials at its clock (`start_time` while `time` is null).
#[derive(Serialize, ToSchema)]
pub struct SimulationBody {
    #[schema(example = "f3c88e1a-2d04-4a6b-9c12-7e8f5d6a4b3c")]
    pub id: String,
    #[schema(example = "2025-01-15")]
    pub date: String,
    /// The replayed underlying (an extension; `SPX` unless chosen at creation).
    #[schema(example = "SPX")]
    pub underlying: String,
    #[schema(example = "100000")]
    pub starting_capital: String,
    pub description: Option<String>,
    /// True exactly when the clock stands at `end_time`.
    pub ended: bool,
    #[schema(example = "2025-01-15T14:30:00Z")]
    pub start_time: String,
    #[schema(example = "2025-01-15T21:00:00Z")]
    pub end_time: String,
    /// The clock; null until first set.
    pub time: Option<String>,
    #[serde(flatten)]
    pub financials: FinancialsBody,
}

impl SimulationBody {
    pub fn of(
        record: &SimulationRecord,
        start: Timestamp,
        end: Timestamp,
        account: &Account,
    ) -> SimulationBody {
        SimulationBody {
            id: record.id.to_string(),
            date: record.date.to_string(),
            underlying: record.underlying.clone(),
            starting_capital: money(record.starting_capital),
            description: record.description.clone(),
            ended: account.clock >= end,
            start_time: instant(start),
            end_time: instant(end),
            time: record.clock.map(instant),
            financials: FinancialsBody::of(&account.financials),
        }
    }
}

/// One second of a simulation's history.
#[derive(Serialize, ToSchema)]
pub struct HistoryRow {
    #[schema(example = "2025-01-15T14:35:00Z")]
    pub timestamp: String,
    #[serde(flatten)]
    pub financials: FinancialsBody,
}

/// One record of the ledger's cash and position changes.
#[derive(Serialize, ToSchema)]
pub struct TransactionBody {
    pub id: String,
    /// Null on settlement records, which belong to the simulation.
    pub order_id: Option<String>,
    pub datetime: String,
    #[schema(example = "SPXW  250115C05950000")]
    pub instrument: String,
    /// A leg action, or `expiration`, `exercise`, `assignment`.
    #[serde(rename = "type")]
    #[schema(example = "buy to open")]
    pub kind: String,
    pub quantity: String,
    /// Dollars per contract (price × 100) or per share; absent when no cash moves.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "430")]
    pub price: Option<String>,
    /// Signed dollars: positive a debit, negative a credit.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "430")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "debit")]
    pub effect: Option<String>,
    #[schema(example = "1.72")]
    pub fees: String,
}

impl TransactionBody {
    pub fn of(t: &Transaction) -> TransactionBody {
        TransactionBody {
            id: t.id.to_string(),
            order_id: t.order_id.map(|id| id.to_string()),
            datetime: instant(t.at),
            instrument: t.instrument.to_string(),
            kind: t.kind.as_str().to_string(),
            quantity: t.quantity.to_string(),
            price: t.price.map(money),
            value: t.value.map(money),
            effect: t.effect.map(|e| e.as_str().to_string()),
            fees: money(t.fees),
        }
    }
}

/// A position, computed from the visible transactions and marked at the clock.
#[derive(Serialize, ToSchema)]
pub struct PositionBody {
    pub id: String,
    pub instrument: String,
    /// `long` or `short`.
    pub direction: String,
    pub quantity: String,
    pub cost: String,
    pub cost_basis: String,
    pub debit: String,
    pub credit: String,
    pub unrealized_profit_loss: String,
    pub realized_profit_loss: String,
    pub fees: String,
    pub total_profit_loss: String,
    pub net_liquidity: String,
    /// The mark: the unrounded mid.
    pub price: String,
    /// |market delta| × the direction's sign; null when the tape gives none.
    pub delta: Option<String>,
}

impl PositionBody {
    pub fn of(p: &Position) -> PositionBody {
        PositionBody {
            id: p.id.to_string(),
            instrument: p.instrument.to_string(),
            direction: p.direction.as_str().to_string(),
            quantity: p.quantity.to_string(),
            cost: money(p.cost),
            cost_basis: money(p.cost_basis),
            debit: money(p.debit),
            credit: money(p.credit),
            unrealized_profit_loss: money(p.unrealized),
            realized_profit_loss: money(p.realized),
            fees: money(p.fees),
            total_profit_loss: money(p.total),
            net_liquidity: money(p.net_liquidity),
            price: money(p.mark),
            delta: p.delta.map(money),
        }
    }
}

/// An amount as the buying-power block shows it: its magnitude and `Debit`, `Credit` or `None`.
fn effect_pair(amount: Decimal, debit_when_positive: bool) -> (String, &'static str) {
    let effect = if amount.is_zero() {
        "None"
    } else if amount.is_sign_positive() == debit_when_positive {
        "Debit"
    } else {
        "Credit"
    };
    (money(amount.abs()), effect)
}

/// The `buying-power-effect` block: hyphenated keys, capitalised effects.
pub fn buying_power_block(effect: &Effect) -> Value {
    let (margin, margin_effect) = effect_pair(effect.margin_change, true);
    let (change, change_effect) = effect_pair(effect.change, true);
    let (current, current_effect) = effect_pair(effect.current, false);
    let (new, new_effect) = effect_pair(effect.new, false);
    json!({
        "change-in-margin-requirement": margin,
        "change-in-margin-requirement-effect": margin_effect,
        "change-in-buying-power": change,
        "change-in-buying-power-effect": change_effect,
        "current-buying-power": current,
        "current-buying-power-effect": current_effect,
        "new-buying-power": new,
        "new-buying-power-effect": new_effect,
        "value": change,
        "effect": change_effect,
    })
}

/// How an order is shown at a clock.
pub struct OrderView<'a> {
    pub placed: &'a Placed,
    pub underlying: &'a str,
    pub clock: Timestamp,
    pub end: Timestamp,
    /// The fees under the user's schedule: the estimate while pending, actuals once filled.
    pub fees: Decimal,
    /// The fill's transactions, shown only once the clock has reached the fill.
    pub transactions: Option<Vec<TransactionBody>>,
    pub buying_power: Option<&'a Effect>,
    /// Dry-runs show the nil id.
    pub id: Option<uuid::Uuid>,
}

impl OrderView<'_> {
    /// The order object. Nothing about a fill the clock has not reached is shown: a client
    /// would read the future.
    pub fn body(&self) -> Value {
        let placed = self.placed;
        let order = &placed.order;
        let mut body = serde_json::Map::new();
        let mut put = |key: &str, value: Value| {
            body.insert(key.to_string(), value);
        };
        put("id", json!(self.id.unwrap_or(placed.id).to_string()));
        put("datetime", json!(instant(placed.placed_at)));
        put("underlying", json!(self.underlying));
        put("type", json!(order.order_type.as_str()));
        if let Some((_, text)) = &order.price {
            put("price", json!(text));
        }
        if let Some(effect) = order.price_effect {
            put("price_effect", json!(effect.as_str()));
        }
        if let Some((_, text)) = &order.stop_trigger {
            put("stop_trigger", json!(text));
        }
        put("fees", json!(money(self.fees)));
        put(
            "status",
            json!(placed.status(self.clock, self.end).as_str()),
        );
        if let Some(fill) = placed.fill_by(self.clock) {
            put("fill_price", json!(money(fill.net.price())));
            // Nothing changing hands keeps the side the order was for.
            let effect = if fill.net.0.is_zero() {
                order.price_effect.unwrap_or(match order.legs.first() {
                    Some(leg) if !leg.action.buys() => PriceEffect::Credit,
                    _ => PriceEffect::Debit,
                })
            } else {
                fill.net.effect()
            };
            put("fill_price_effect", json!(effect.as_str()));
            if let Some(execution) = placed.execution_price() {
                put("execution_price", json!(money(execution.price())));
            }
            put("fill_datetime", json!(instant(fill.at)));
        }
        put("slippage", json!(money(placed.slippage)));
        put(
            "legs",
            Value::Array(
                order
                    .legs
                    .iter()
                    .map(|leg| {
                        json!({
                            "instrument": leg.instrument.to_string(),
                            "quantity": leg.quantity.to_string(),
                            "action": leg.action.as_str(),
                        })
                    })
                    .collect(),
            ),
        );
        if let Some(transactions) = &self.transactions {
            put("transactions", json!(transactions));
        }
        if let Some(effect) = self.buying_power {
            put("buying-power-effect", buying_power_block(effect));
        }
        Value::Object(body)
    }
}
