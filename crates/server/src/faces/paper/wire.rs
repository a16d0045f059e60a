//! Paper trading's JSON shapes (paper-trading spec §6): the account, generation records and
//! ledger entries. Money is canonical decimal strings; instants are RFC 3339 UTC with `Z` and
//! exactly six fractional digits.

use model::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;
use store::paper_accounts::{ClearedPosition, GenerationRecord, LedgerEntry, PaperAccount};
use utoipa::ToSchema;

use crate::http::RequestId;
use crate::http::numbers::DecimalString;

/// An instant as paper responses write it: `2026-05-18T14:31:07.123456Z` (microseconds,
/// truncated).
pub fn instant(t: Timestamp) -> String {
    let micros = Timestamp::from_nanos(t.as_nanos().div_euclid(1_000) * 1_000);
    format!("{:.6}", micros.to_jiff())
}

/// What an account's open orders and positions add to it (§6.1, §9.3, §9.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookFigures {
    pub reserved_cash: Decimal,
    pub market_value: Decimal,
    pub unrealized_pl: Decimal,
    pub open_orders_count: u64,
    pub positions_count: u64,
}

impl BookFigures {
    /// No open orders, no positions.
    pub const EMPTY: BookFigures = BookFigures {
        reserved_cash: Decimal::ZERO,
        market_value: Decimal::ZERO,
        unrealized_pl: Decimal::ZERO,
        open_orders_count: 0,
        positions_count: 0,
    };
}

/// A paper account (§6.1).
#[derive(Serialize, ToSchema)]
pub struct AccountBody {
    #[schema(example = "3f6f1f0e-8a0c-4a47-9a53-2f4f7a9b9d10")]
    pub id: String,
    #[schema(example = "agent-sandbox")]
    pub name: String,
    /// `active` or `archived`.
    #[schema(example = "active")]
    pub status: &'static str,
    /// The current generation, from 1; a reset opens the next.
    #[schema(example = 1)]
    pub generation: i64,
    #[schema(example = "USD")]
    pub currency: &'static str,
    /// Of the current generation.
    #[schema(value_type = String, example = "100000")]
    pub initial_cash: DecimalString,
    #[schema(value_type = String, example = "100000")]
    pub cash: DecimalString,
    /// Held by open buy orders.
    #[schema(value_type = String, example = "0")]
    pub reserved_cash: DecimalString,
    /// `max(0, cash − reserved_cash)`.
    #[schema(value_type = String, example = "100000")]
    pub buying_power: DecimalString,
    #[schema(value_type = String, example = "0")]
    pub market_value: DecimalString,
    /// `cash + market_value`.
    #[schema(value_type = String, example = "100000")]
    pub equity: DecimalString,
    /// Of the current generation.
    #[schema(value_type = String, example = "0")]
    pub realized_pl: DecimalString,
    #[schema(value_type = String, example = "0")]
    pub unrealized_pl: DecimalString,
    pub open_orders_count: u64,
    pub positions_count: u64,
    /// Market time (see `/v1/status`), like every paper instant.
    #[schema(example = "2026-01-02T15:00:00.000000Z")]
    pub created_at: String,
    pub updated_at: String,
    pub generation_started_at: String,
    pub archived_at: Option<String>,
    pub last_reset_reason: Option<String>,
}

impl AccountBody {
    pub fn of(account: &PaperAccount, book: &BookFigures) -> AccountBody {
        let equity = account.cash + book.market_value;
        AccountBody {
            id: account.id.to_string(),
            name: account.name.clone(),
            status: account.status.as_str(),
            generation: account.generation,
            currency: "USD",
            initial_cash: DecimalString(account.initial_cash),
            cash: DecimalString(account.cash),
            reserved_cash: DecimalString(book.reserved_cash),
            buying_power: DecimalString((account.cash - book.reserved_cash).max(Decimal::ZERO)),
            market_value: DecimalString(book.market_value),
            equity: DecimalString(equity),
            realized_pl: DecimalString(account.realized_pl),
            unrealized_pl: DecimalString(book.unrealized_pl),
            open_orders_count: book.open_orders_count,
            positions_count: book.positions_count,
            created_at: instant(account.created_at),
            updated_at: instant(account.updated_at),
            generation_started_at: instant(account.generation_started_at),
            archived_at: account.archived_at.map(instant),
            last_reset_reason: account.last_reset_reason.clone(),
        }
    }
}

/// `{"status": "OK", "request_id": …, "account": {…}}`: the envelope of one account.
#[derive(Serialize, ToSchema)]
pub struct AccountResponse {
    #[schema(example = "OK")]
    pub status: &'static str,
    #[schema(example = "cm_6a7e466379af0a71039d60cc78e72282")]
    pub request_id: String,
    pub account: AccountBody,
}

impl AccountResponse {
    pub fn new(request_id: &RequestId, account: AccountBody) -> AccountResponse {
        AccountResponse {
            status: "OK",
            request_id: request_id.to_string(),
            account,
        }
    }
}

/// A position a reset took off the book.
#[derive(Serialize)]
pub struct ClearedPositionBody {
    pub symbol: String,
    pub qty: DecimalString,
    pub avg_entry_price: DecimalString,
    pub last_mark: Option<DecimalString>,
    pub market_value: DecimalString,
}

impl ClearedPositionBody {
    fn of(position: &ClearedPosition) -> Self {
        ClearedPositionBody {
            symbol: position.symbol.clone(),
            qty: DecimalString(position.qty),
            avg_entry_price: DecimalString(position.avg_entry_price),
            last_mark: position.last_mark.map(DecimalString),
            market_value: DecimalString(position.market_value),
        }
    }
}

/// A generation record (§6.2). The closing figures are `null` while the generation is current.
#[derive(Serialize)]
pub struct GenerationBody {
    pub generation: i64,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub initial_cash: DecimalString,
    pub reset_reason: Option<String>,
    pub final_cash: Option<DecimalString>,
    pub final_equity: Option<DecimalString>,
    pub final_realized_pl: Option<DecimalString>,
    pub canceled_orders_count: Option<i64>,
    pub cleared_positions: Option<Vec<ClearedPositionBody>>,
}

impl GenerationBody {
    pub fn of(record: &GenerationRecord) -> GenerationBody {
        let end = record.end.as_ref();
        GenerationBody {
            generation: record.generation,
            started_at: instant(record.started_at),
            ended_at: end.map(|e| instant(e.ended_at)),
            initial_cash: DecimalString(record.initial_cash),
            reset_reason: record.reset_reason.clone(),
            final_cash: end.map(|e| DecimalString(e.final_cash)),
            final_equity: end.map(|e| DecimalString(e.final_equity)),
            final_realized_pl: end.map(|e| DecimalString(e.final_realized_pl)),
            canceled_orders_count: end.map(|e| e.canceled_orders_count),
            cleared_positions: end.map(|e| {
                e.cleared_positions
                    .iter()
                    .map(ClearedPositionBody::of)
                    .collect()
            }),
        }
    }
}

/// A ledger entry (§6.7).
#[derive(Serialize)]
pub struct LedgerEntryBody {
    pub id: String,
    pub account_id: String,
    pub generation: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub amount: DecimalString,
    pub cash_after: DecimalString,
    pub order_id: Option<String>,
    pub fill_id: Option<String>,
    pub symbol: Option<String>,
    pub description: Option<String>,
    pub created_at: String,
}

impl LedgerEntryBody {
    pub fn of(entry: &LedgerEntry) -> LedgerEntryBody {
        LedgerEntryBody {
            id: entry.id.to_string(),
            account_id: entry.account_id.to_string(),
            generation: entry.generation,
            kind: entry.kind.as_str(),
            amount: DecimalString(entry.amount),
            cash_after: DecimalString(entry.cash_after),
            order_id: entry.order_id.map(|id| id.to_string()),
            fill_id: entry.fill_id.map(|id| id.to_string()),
            symbol: entry.symbol.clone(),
            description: entry.description.clone(),
            created_at: instant(entry.created_at),
        }
    }
}

/// An order object (§6.3): Alpaca's order fields and what paper trading adds (reasons, the
/// quote evidence, the evaluations).
pub fn order_body(order: &store::paper_orders::OrderRow) -> serde_json::Value {
    use model::money::canonical;
    use serde_json::{Value, json};
    let at = |t: Option<Timestamp>| t.map(instant);
    let evidence = |text: &Option<String>| {
        text.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .unwrap_or(Value::Null)
    };
    let option = order.symbol.starts_with("O:");
    let mut body = json!({
        "id": order.id.to_string(),
        "client_order_id": order.client_order_id,
        "account_id": order.account_id.to_string(),
        "generation": order.generation,
        "symbol": order.symbol,
        "asset_class": if option { "us_option" } else { "us_equity" },
        "asset_id": asset_id(&order.symbol).to_string(),
        "side": order.side,
        "type": order.order_type,
        "order_type": order.order_type,
        "order_class": "simple",
        "time_in_force": order.time_in_force,
        "qty": canonical(order.qty),
    });
    let rest = json!({
        "notional": Value::Null,
        "limit_price": order.limit_price.map(canonical),
        "stop_price": Value::Null,
        "trail_price": Value::Null,
        "trail_percent": Value::Null,
        "hwm": Value::Null,
        "legs": Value::Null,
        "ratio_qty": Value::Null,
        "position_intent": order.position_intent,
        "extended_hours": false,
        "multiplier": if option { "100" } else { "1" },
        "status": order.status,
        "filled_qty": canonical(order.filled_qty),
        "filled_avg_price": order.filled_avg_price.map(canonical),
        "created_at": instant(order.submitted_at),
        "updated_at": instant(order.updated_at),
        "submitted_at": instant(order.submitted_at),
        "accepted_at": at(order.accepted_at),
        "filled_at": at(order.filled_at),
        "canceled_at": at(order.canceled_at),
        "expired_at": at(order.expired_at),
        "failed_at": at(order.failed_at),
        "expires_at": at(order.expires_at),
        "replaced_at": Value::Null,
        "replaced_by": Value::Null,
        "replaces": Value::Null,
        "reject_reason": order.reject_reason,
        "cancel_reason": order.cancel_reason,
        "expire_reason": order.expire_reason,
        "last_no_fill_reason": order.last_no_fill_reason,
        "last_evaluated_at": at(order.last_evaluated_at),
        "last_quote": evidence(&order.last_quote),
        "evaluation_count": order.evaluation_count,
        "buying_power_at_submit": canonical(order.buying_power_at_submit),
        "submission_quote": evidence(&order.submission_quote),
        "policy_version": order.policy_version,
    });
    if let (Value::Object(body), Value::Object(rest)) = (&mut body, rest) {
        body.extend(rest);
    }
    body
}

/// A symbol's `asset_id` (§4.3): the same for `AAPL` and for `O:…` with or without the prefix.
pub fn asset_id(symbol: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(&ASSET_NAMESPACE, symbol.trim_start_matches("O:").as_bytes())
}

/// `asset_id`s are UUIDv5 names of the symbol (without `O:`) in this namespace (§4.3).
pub const ASSET_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0xe0a9_e4ec_a3fb_4cda_aed3_75f1_365d_c883);

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;
    use store::paper_accounts::AccountStatus;
    use uuid::Uuid;

    #[test]
    fn instants_have_exactly_six_fractional_digits() {
        let t = Timestamp::parse_rfc3339("2026-05-18T14:31:07.123456789Z").unwrap();
        assert_eq!(instant(t), "2026-05-18T14:31:07.123456Z");
        let whole = Timestamp::parse_rfc3339("2026-05-18T14:31:07Z").unwrap();
        assert_eq!(instant(whole), "2026-05-18T14:31:07.000000Z");
        // Truncated, never rounded into the next second.
        let late = Timestamp::parse_rfc3339("2026-05-18T14:31:07.9999999Z").unwrap();
        assert_eq!(instant(late), "2026-05-18T14:31:07.999999Z");
        let before_epoch = Timestamp::from_nanos(-1);
        assert_eq!(instant(before_epoch), "1969-12-31T23:59:59.999999Z");
    }

    #[test]
    fn derived_account_figures() {
        let t = Timestamp::from_seconds(1_767_625_200);
        let account = PaperAccount {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            number: 1,
            name: "a".into(),
            status: AccountStatus::Active,
            generation: 2,
            initial_cash: dec!(1000),
            cash: dec!(400.50),
            realized_pl: dec!(-12.5),
            created_at: t,
            updated_at: t,
            generation_started_at: t,
            archived_at: None,
            last_reset_reason: None,
        };
        let book = BookFigures {
            reserved_cash: dec!(500),
            market_value: dec!(600),
            unrealized_pl: dec!(1),
            open_orders_count: 1,
            positions_count: 2,
        };
        let body = serde_json::to_value(AccountBody::of(&account, &book)).unwrap();
        assert_eq!(body["cash"], "400.5");
        assert_eq!(body["buying_power"], "0");
        assert_eq!(body["equity"], "1000.5");
        assert_eq!(body["realized_pl"], "-12.5");
        let empty = serde_json::to_value(AccountBody::of(&account, &BookFigures::EMPTY)).unwrap();
        assert_eq!(empty["buying_power"], "400.5");
        assert_eq!(empty["equity"], "400.5");
    }
}
