//! Paper orders and fills. An order's row follows its status through its life; a fill is written
//! once, together with everything it moves (the order, the account's cash, a ledger entry, an
//! equity point), in one transaction.

use model::Timestamp;
use model::money::{canonical, parse_stored};
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use std::collections::BTreeMap;

use engine::paper::book::Holding;

use crate::paper_accounts::{
    AccountStatus, ClearedBook, ClearedPosition, EquityTrigger, LedgerType, PaperAccount, Posting,
    Tx, lock_account, lock_account_by_id, post, record_equity_point,
};
use crate::users::parse_uuid;
use crate::{Store, StoreError, StoreResultExt};

/// An order as stored. Enumerations are kept as their wire text (`buy`, `limit`, `new`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub generation: i64,
    pub client_order_id: String,
    pub symbol: String,
    pub side: String,
    pub order_type: String,
    pub time_in_force: String,
    pub qty: Decimal,
    pub limit_price: Option<Decimal>,
    pub position_intent: Option<String>,
    pub status: String,
    pub filled_qty: Decimal,
    pub filled_avg_price: Option<Decimal>,
    pub reserved_cash: Decimal,
    pub buying_power_at_submit: Decimal,
    pub submitted_at: Timestamp,
    pub updated_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub filled_at: Option<Timestamp>,
    pub canceled_at: Option<Timestamp>,
    pub expired_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub reject_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub expire_reason: Option<String>,
    pub last_no_fill_reason: Option<String>,
    pub last_evaluated_at: Option<Timestamp>,
    pub evaluation_count: i64,
    pub submission_quote: Option<String>,
    pub last_quote: Option<String>,
    pub policy_version: String,
}

/// Statuses of an order that may still fill.
pub const OPEN_STATUSES: [&str; 3] = ["accepted", "new", "partially_filled"];

impl OrderRow {
    pub fn is_open(&self) -> bool {
        OPEN_STATUSES.contains(&self.status.as_str())
    }
}

/// A fill as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRow {
    pub id: Uuid,
    /// `None` for the settlement of an expired option.
    pub order_id: Option<Uuid>,
    pub account_id: Uuid,
    pub generation: i64,
    pub symbol: String,
    pub side: String,
    pub qty: Decimal,
    pub price: Decimal,
    pub multiplier: Decimal,
    pub gross_amount: Decimal,
    pub cash_after: Decimal,
    pub position_qty_after: Decimal,
    pub realized_pl: Decimal,
    pub filled_at: Timestamp,
    pub fill_rule: String,
    pub quote: String,
    pub policy_version: String,
}

/// The client order id is taken in this generation, by the order named.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("client_order_id {client_order_id} is already used by order {existing}")]
pub struct DuplicateClientOrderId {
    pub client_order_id: String,
    pub existing: Uuid,
}

fn money(row: &AnyRow, column: &'static str) -> Result<Decimal, StoreError> {
    let text: String = row.try_get(column).ctx("reading a paper order")?;
    parse_stored(&text).map_err(|_| StoreError::corrupt(format!("{column} {text:?}")))
}

fn maybe_money(row: &AnyRow, column: &'static str) -> Result<Option<Decimal>, StoreError> {
    let text: Option<String> = row.try_get(column).ctx("reading a paper order")?;
    text.map(|t| parse_stored(&t).map_err(|_| StoreError::corrupt(format!("{column} {t:?}"))))
        .transpose()
}

fn instant(row: &AnyRow, column: &'static str) -> Result<Option<Timestamp>, StoreError> {
    Ok(row
        .try_get::<Option<i64>, _>(column)
        .ctx("reading a paper order")?
        .map(Timestamp::from_nanos))
}

fn text(row: &AnyRow, column: &'static str) -> Result<String, StoreError> {
    row.try_get(column).ctx("reading a paper order")
}

fn maybe_text(row: &AnyRow, column: &'static str) -> Result<Option<String>, StoreError> {
    row.try_get(column).ctx("reading a paper order")
}

fn order_from_row(row: &AnyRow) -> Result<OrderRow, StoreError> {
    Ok(OrderRow {
        id: parse_uuid(&text(row, "id")?)?,
        account_id: parse_uuid(&text(row, "account_id")?)?,
        generation: row.try_get("generation").ctx("reading a paper order")?,
        client_order_id: text(row, "client_order_id")?,
        symbol: text(row, "symbol")?,
        side: text(row, "side")?,
        order_type: text(row, "order_type")?,
        time_in_force: text(row, "time_in_force")?,
        qty: money(row, "qty")?,
        limit_price: maybe_money(row, "limit_price")?,
        position_intent: maybe_text(row, "position_intent")?,
        status: text(row, "status")?,
        filled_qty: money(row, "filled_qty")?,
        filled_avg_price: maybe_money(row, "filled_avg_price")?,
        reserved_cash: money(row, "reserved_cash")?,
        buying_power_at_submit: money(row, "buying_power_at_submit")?,
        submitted_at: instant(row, "submitted_at")?.unwrap_or(Timestamp::EPOCH),
        updated_at: instant(row, "updated_at")?.unwrap_or(Timestamp::EPOCH),
        accepted_at: instant(row, "accepted_at")?,
        filled_at: instant(row, "filled_at")?,
        canceled_at: instant(row, "canceled_at")?,
        expired_at: instant(row, "expired_at")?,
        failed_at: instant(row, "failed_at")?,
        expires_at: instant(row, "expires_at")?,
        reject_reason: maybe_text(row, "reject_reason")?,
        cancel_reason: maybe_text(row, "cancel_reason")?,
        expire_reason: maybe_text(row, "expire_reason")?,
        last_no_fill_reason: maybe_text(row, "last_no_fill_reason")?,
        last_evaluated_at: instant(row, "last_evaluated_at")?,
        evaluation_count: row
            .try_get("evaluation_count")
            .ctx("reading a paper order")?,
        submission_quote: maybe_text(row, "submission_quote")?,
        last_quote: maybe_text(row, "last_quote")?,
        policy_version: text(row, "policy_version")?,
    })
}

fn fill_from_row(row: &AnyRow) -> Result<FillRow, StoreError> {
    Ok(FillRow {
        id: parse_uuid(&text(row, "id")?)?,
        order_id: maybe_text(row, "order_id")?
            .map(|id| parse_uuid(&id))
            .transpose()?,
        account_id: parse_uuid(&text(row, "account_id")?)?,
        generation: row.try_get("generation").ctx("reading a paper fill")?,
        symbol: text(row, "symbol")?,
        side: text(row, "side")?,
        qty: money(row, "qty")?,
        price: money(row, "price")?,
        multiplier: money(row, "multiplier")?,
        gross_amount: money(row, "gross_amount")?,
        cash_after: money(row, "cash_after")?,
        position_qty_after: money(row, "position_qty_after")?,
        realized_pl: money(row, "realized_pl")?,
        filled_at: instant(row, "filled_at")?.unwrap_or(Timestamp::EPOCH),
        fill_rule: text(row, "fill_rule")?,
        quote: text(row, "quote")?,
        policy_version: text(row, "policy_version")?,
    })
}

/// `SELECT` of every fill column followed by the given clause.
macro_rules! select_fills {
    ($tail:literal) => {
        concat!(
            "SELECT id, order_id, account_id, generation, symbol, side, qty, price, multiplier, \
             gross_amount, cash_after, position_qty_after, realized_pl, filled_at, fill_rule, \
             quote, policy_version FROM paper_fills ",
            $tail
        )
    };
}

/// `SELECT` of every order column followed by the given clause.
macro_rules! select_orders {
    ($tail:literal) => {
        concat!(
            "SELECT id, account_id, generation, client_order_id, symbol, side, order_type, \
             time_in_force, qty, limit_price, position_intent, status, filled_qty, \
             filled_avg_price, reserved_cash, buying_power_at_submit, submitted_at, updated_at, \
             accepted_at, filled_at, canceled_at, expired_at, failed_at, expires_at, \
             reject_reason, cancel_reason, expire_reason, last_no_fill_reason, \
             last_evaluated_at, evaluation_count, submission_quote, last_quote, policy_version \
             FROM paper_orders ",
            $tail
        )
    };
}

/// Binds an order's columns in the order of [`INSERT_ORDER`].
fn bind_order<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    order: &OrderRow,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let nanos = |t: Option<Timestamp>| t.map(Timestamp::as_nanos);
    query
        .bind(order.id.to_string())
        .bind(order.account_id.to_string())
        .bind(order.generation)
        .bind(order.client_order_id.clone())
        .bind(order.symbol.clone())
        .bind(order.side.clone())
        .bind(order.order_type.clone())
        .bind(order.time_in_force.clone())
        .bind(canonical(order.qty))
        .bind(order.limit_price.map(canonical))
        .bind(order.position_intent.clone())
        .bind(order.status.clone())
        .bind(canonical(order.filled_qty))
        .bind(order.filled_avg_price.map(canonical))
        .bind(canonical(order.reserved_cash))
        .bind(canonical(order.buying_power_at_submit))
        .bind(order.submitted_at.as_nanos())
        .bind(order.updated_at.as_nanos())
        .bind(nanos(order.accepted_at))
        .bind(nanos(order.filled_at))
        .bind(nanos(order.canceled_at))
        .bind(nanos(order.expired_at))
        .bind(nanos(order.failed_at))
        .bind(nanos(order.expires_at))
        .bind(order.reject_reason.clone())
        .bind(order.cancel_reason.clone())
        .bind(order.expire_reason.clone())
        .bind(order.last_no_fill_reason.clone())
        .bind(nanos(order.last_evaluated_at))
        .bind(order.evaluation_count)
        .bind(order.submission_quote.clone())
        .bind(order.last_quote.clone())
        .bind(order.policy_version.clone())
}

/// The `INSERT` of a whole order.
const INSERT_ORDER: &str = "INSERT INTO paper_orders (id, account_id, generation, \
    client_order_id, symbol, side, order_type, time_in_force, qty, limit_price, \
    position_intent, status, filled_qty, filled_avg_price, reserved_cash, \
    buying_power_at_submit, submitted_at, updated_at, accepted_at, filled_at, canceled_at, \
    expired_at, failed_at, expires_at, reject_reason, cancel_reason, expire_reason, \
    last_no_fill_reason, last_evaluated_at, evaluation_count, submission_quote, last_quote, \
    policy_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
    $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)";

/// The `UPDATE` of an order's changing state (everything after submission), by id.
const UPDATE_ORDER: &str = "UPDATE paper_orders SET status = $1, filled_qty = $2, \
    filled_avg_price = $3, reserved_cash = $4, updated_at = $5, accepted_at = $6, \
    filled_at = $7, canceled_at = $8, expired_at = $9, failed_at = $10, expires_at = $11, \
    reject_reason = $12, cancel_reason = $13, expire_reason = $14, last_no_fill_reason = $15, \
    last_evaluated_at = $16, evaluation_count = $17, last_quote = $18 WHERE id = $19";

pub(crate) async fn update_order(tx: &mut Tx, order: &OrderRow) -> Result<(), StoreError> {
    let nanos = |t: Option<Timestamp>| t.map(Timestamp::as_nanos);
    sqlx::query(UPDATE_ORDER)
        .bind(order.status.clone())
        .bind(canonical(order.filled_qty))
        .bind(order.filled_avg_price.map(canonical))
        .bind(canonical(order.reserved_cash))
        .bind(order.updated_at.as_nanos())
        .bind(nanos(order.accepted_at))
        .bind(nanos(order.filled_at))
        .bind(nanos(order.canceled_at))
        .bind(nanos(order.expired_at))
        .bind(nanos(order.failed_at))
        .bind(nanos(order.expires_at))
        .bind(order.reject_reason.clone())
        .bind(order.cancel_reason.clone())
        .bind(order.expire_reason.clone())
        .bind(order.last_no_fill_reason.clone())
        .bind(nanos(order.last_evaluated_at))
        .bind(order.evaluation_count)
        .bind(order.last_quote.clone())
        .bind(order.id.to_string())
        .execute(&mut **tx)
        .await
        .ctx("updating a paper order")?;
    Ok(())
}

impl Store {
    /// One order of an account, any generation.
    pub async fn paper_order(
        &self,
        account: Uuid,
        id: Uuid,
    ) -> Result<Option<OrderRow>, StoreError> {
        let row = sqlx::query(select_orders!("WHERE account_id = $1 AND id = $2"))
            .bind(account.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .ctx("reading a paper order")?;
        row.as_ref().map(order_from_row).transpose()
    }

    /// An order by its client order id in one generation.
    pub async fn paper_order_by_client_id(
        &self,
        account: Uuid,
        generation: i64,
        client_order_id: &str,
    ) -> Result<Option<OrderRow>, StoreError> {
        let row = sqlx::query(select_orders!(
            "WHERE account_id = $1 AND generation = $2 AND client_order_id = $3"
        ))
        .bind(account.to_string())
        .bind(generation)
        .bind(client_order_id.to_string())
        .fetch_optional(&self.pool)
        .await
        .ctx("reading a paper order")?;
        row.as_ref().map(order_from_row).transpose()
    }

    /// The orders of an account (one generation, or all), oldest first.
    pub async fn paper_orders(
        &self,
        account: Uuid,
        generation: Option<i64>,
    ) -> Result<Vec<OrderRow>, StoreError> {
        // Generations count from 1: 0 asks for all of them.
        let rows = sqlx::query(select_orders!(
            "WHERE account_id = $1 AND ($2 = 0 OR generation = $2) ORDER BY submitted_at, id"
        ))
        .bind(account.to_string())
        .bind(generation.unwrap_or(0))
        .fetch_all(&self.pool)
        .await
        .ctx("listing paper orders")?;
        rows.iter().map(order_from_row).collect()
    }

    /// The fills of an account (one generation, or all), oldest first, each with its order's
    /// client order id and position intent.
    pub async fn paper_fills(
        &self,
        account: Uuid,
        generation: Option<i64>,
    ) -> Result<Vec<(FillRow, Option<String>, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT f.id, f.order_id, f.account_id, f.generation, f.symbol, f.side, f.qty, \
             f.price, f.multiplier, f.gross_amount, f.cash_after, f.position_qty_after, \
             f.realized_pl, f.filled_at, f.fill_rule, f.quote, f.policy_version, \
             o.client_order_id, o.position_intent FROM paper_fills f \
             LEFT JOIN paper_orders o ON o.id = f.order_id \
             WHERE f.account_id = $1 AND ($2 = 0 OR f.generation = $2) ORDER BY f.seq",
        )
        .bind(account.to_string())
        .bind(generation.unwrap_or(0))
        .fetch_all(&self.pool)
        .await
        .ctx("listing paper fills")?;
        rows.iter()
            .map(|row| {
                Ok((
                    fill_from_row(row)?,
                    maybe_text(row, "client_order_id")?,
                    maybe_text(row, "position_intent")?,
                ))
            })
            .collect()
    }

    /// Every open order of every account, oldest first: what the evaluator works through.
    pub async fn open_paper_orders(&self) -> Result<Vec<OrderRow>, StoreError> {
        let rows = sqlx::query(select_orders!(
            "WHERE status IN ('accepted', 'new', 'partially_filled') ORDER BY submitted_at, id"
        ))
        .fetch_all(&self.pool)
        .await
        .ctx("listing open paper orders")?;
        rows.iter().map(order_from_row).collect()
    }
}

/// A long position folded from a generation's fills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionRow {
    pub symbol: String,
    pub holding: Holding,
    pub multiplier: Decimal,
    /// When the position last opened from zero.
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What an account's current generation holds, as a decision about one of its orders reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountBook {
    /// Cash reserved by each open order, by order id.
    pub reservations: BTreeMap<Uuid, Decimal>,
    /// Quantity each symbol's open sell orders hold, by symbol.
    pub open_sells: BTreeMap<String, Decimal>,
    /// Open positions by symbol (realized P&L of closed ones stays in the account).
    pub positions: BTreeMap<String, PositionRow>,
}

impl AccountBook {
    /// Cash reserved by open orders other than `except`.
    pub fn reserved_except(&self, except: Option<Uuid>) -> Decimal {
        self.reservations
            .iter()
            .filter(|(id, _)| Some(**id) != except)
            .map(|(_, amount)| *amount)
            .sum()
    }

    pub fn held(&self, symbol: &str) -> Decimal {
        self.positions
            .get(symbol)
            .map_or(Decimal::ZERO, |p| p.holding.qty)
    }
}

/// Folds fills into positions (oldest first).
pub fn positions_of(fills: &[FillRow]) -> BTreeMap<String, PositionRow> {
    let mut positions: BTreeMap<String, PositionRow> = BTreeMap::new();
    for fill in fills {
        let position = positions
            .entry(fill.symbol.clone())
            .or_insert_with(|| PositionRow {
                symbol: fill.symbol.clone(),
                holding: Holding::default(),
                multiplier: fill.multiplier,
                opened_at: fill.filled_at,
                updated_at: fill.filled_at,
            });
        if position.holding.qty.is_zero() {
            position.opened_at = fill.filled_at;
        }
        if fill.side == "buy" {
            position.holding.buy(fill.price, fill.qty);
        } else {
            position.holding.sell(fill.price, fill.qty, fill.multiplier);
        }
        position.updated_at = fill.filled_at;
    }
    positions.retain(|_, p| !p.holding.qty.is_zero());
    positions
}

async fn orders_in(tx: &mut Tx, account: &PaperAccount) -> Result<Vec<OrderRow>, StoreError> {
    let rows = sqlx::query(select_orders!(
        "WHERE account_id = $1 AND generation = $2 \
         AND status IN ('accepted', 'new', 'partially_filled') ORDER BY submitted_at, id"
    ))
    .bind(account.id.to_string())
    .bind(account.generation)
    .fetch_all(&mut **tx)
    .await
    .ctx("reading a paper account's open orders")?;
    rows.iter().map(order_from_row).collect()
}

async fn fills_in(tx: &mut Tx, account: &PaperAccount) -> Result<Vec<FillRow>, StoreError> {
    let rows = sqlx::query(select_fills!(
        "WHERE account_id = $1 AND generation = $2 ORDER BY seq"
    ))
    .bind(account.id.to_string())
    .bind(account.generation)
    .fetch_all(&mut **tx)
    .await
    .ctx("reading a paper account's fills")?;
    rows.iter().map(fill_from_row).collect()
}

async fn book_in(tx: &mut Tx, account: &PaperAccount) -> Result<AccountBook, StoreError> {
    let mut book = AccountBook::default();
    // Only what the book needs of each open order: an account may hold hundreds of them.
    let rows = sqlx::query(
        "SELECT id, side, symbol, qty, filled_qty, reserved_cash FROM paper_orders \
         WHERE account_id = $1 AND generation = $2 \
         AND status IN ('accepted', 'new', 'partially_filled')",
    )
    .bind(account.id.to_string())
    .bind(account.generation)
    .fetch_all(&mut **tx)
    .await
    .ctx("reading a paper account's open orders")?;
    for row in rows {
        let id = parse_uuid(&text(&row, "id")?)?;
        book.reservations.insert(id, money(&row, "reserved_cash")?);
        if text(&row, "side")? == "sell" {
            *book.open_sells.entry(text(&row, "symbol")?).or_default() +=
                money(&row, "qty")? - money(&row, "filled_qty")?;
        }
    }
    book.positions = positions_of(&fills_in(tx, account).await?);
    Ok(book)
}

/// Cancels the current generation's open orders with `reason`; returns how many.
pub(crate) async fn cancel_open_orders(
    tx: &mut Tx,
    account: &PaperAccount,
    reason: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let open = orders_in(tx, account).await?;
    for mut order in open.iter().cloned() {
        order.status = "canceled".into();
        order.canceled_at = Some(now);
        order.cancel_reason = Some(reason.into());
        order.reserved_cash = Decimal::ZERO;
        order.updated_at = now;
        update_order(tx, &order).await?;
    }
    Ok(open.len() as i64)
}

/// Cancels the generation's open orders and takes its positions off the book at cost (a reset).
pub(crate) async fn close_book(
    tx: &mut Tx,
    account: &PaperAccount,
    reason: &str,
    now: Timestamp,
) -> Result<ClearedBook, StoreError> {
    let canceled = cancel_open_orders(tx, account, reason, now).await?;
    let positions: Vec<ClearedPosition> = positions_of(&fills_in(tx, account).await?)
        .into_values()
        .map(|p| ClearedPosition {
            market_value: p.holding.cost_basis(p.multiplier),
            symbol: p.symbol,
            qty: p.holding.qty,
            avg_entry_price: p.holding.avg_entry_price,
            last_mark: None,
        })
        .collect();
    Ok(ClearedBook {
        canceled_orders_count: canceled,
        market_value: positions.iter().map(|p| p.market_value).sum(),
        unrealized_pl: Decimal::ZERO,
        positions,
    })
}

/// Books a fill on the locked account: the position it moves (from `book`), the ledger entry of
/// its cash (`kind`), the realized P&L, and the fill row itself, numbered after the account's
/// earlier fills. Fills `cash_after`, `position_qty_after` and `realized_pl` in.
async fn book_fill(
    tx: &mut Tx,
    account: &mut PaperAccount,
    book: &AccountBook,
    fill: &mut FillRow,
    kind: LedgerType,
    description: String,
) -> Result<(), StoreError> {
    let mut holding = book
        .positions
        .get(&fill.symbol)
        .map(|p| p.holding)
        .unwrap_or_default();
    let buy = fill.side == "buy";
    let realized = if buy {
        holding.buy(fill.price, fill.qty);
        Decimal::ZERO
    } else {
        holding.sell(fill.price, fill.qty, fill.multiplier)
    };
    let amount = if buy {
        -fill.gross_amount
    } else {
        fill.gross_amount
    };
    post(
        tx,
        account,
        Posting {
            kind,
            amount,
            order_id: fill.order_id,
            fill_id: Some(fill.id),
            symbol: Some(fill.symbol.clone()),
            description: Some(description),
        },
        fill.filled_at,
    )
    .await?;
    if !realized.is_zero() {
        account.realized_pl += realized;
        sqlx::query("UPDATE paper_accounts SET realized_pl = $1 WHERE id = $2")
            .bind(canonical(account.realized_pl))
            .bind(account.id.to_string())
            .execute(&mut **tx)
            .await
            .ctx("moving a paper account's realized P&L")?;
    }
    fill.cash_after = account.cash;
    fill.position_qty_after = holding.qty;
    fill.realized_pl = realized;
    let last: Option<i64> =
        sqlx::query("SELECT MAX(seq) AS last FROM paper_fills WHERE account_id = $1")
            .bind(account.id.to_string())
            .fetch_one(&mut **tx)
            .await
            .ctx("numbering a paper fill")?
            .try_get("last")
            .ctx("numbering a paper fill")?;
    sqlx::query(
        "INSERT INTO paper_fills (id, seq, order_id, account_id, generation, symbol, side, qty, \
         price, multiplier, gross_amount, cash_after, position_qty_after, realized_pl, \
         filled_at, fill_rule, quote, policy_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(fill.id.to_string())
    .bind(last.unwrap_or(0) + 1)
    .bind(fill.order_id.map(|id| id.to_string()))
    .bind(fill.account_id.to_string())
    .bind(fill.generation)
    .bind(fill.symbol.clone())
    .bind(fill.side.clone())
    .bind(canonical(fill.qty))
    .bind(canonical(fill.price))
    .bind(canonical(fill.multiplier))
    .bind(canonical(fill.gross_amount))
    .bind(canonical(fill.cash_after))
    .bind(canonical(fill.position_qty_after))
    .bind(canonical(fill.realized_pl))
    .bind(fill.filled_at.as_nanos())
    .bind(fill.fill_rule.clone())
    .bind(fill.quote.clone())
    .bind(fill.policy_version.clone())
    .execute(&mut **tx)
    .await
    .ctx("writing a paper fill")?;
    Ok(())
}

/// Why an order was not stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmitRefusal {
    NotFound,
    Archived,
    Duplicate(DuplicateClientOrderId),
}

/// Why an order could not be canceled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelRefusal {
    NotFound,
    /// It is no longer open: its current state.
    NotCancelable(Box<OrderRow>),
}

/// What an evaluation of an open order decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The order as it now stands, without a fill (a no-fill reason, a promotion, an expiry, a
    /// reject).
    Update(Box<OrderRow>),
    /// A fill of the order, and the positions' market value and unrealized P&L after it (for
    /// the equity point).
    Fill {
        order: Box<OrderRow>,
        fill: Box<FillRow>,
        market_value: Decimal,
        unrealized_pl: Decimal,
    },
}

impl Store {
    /// Stores an order decided by `decide` from the locked account and its book, unless the
    /// account is missing, archived, or the client order id is taken in this generation.
    pub async fn submit_paper_order(
        &self,
        user: Uuid,
        account: Uuid,
        decide: impl FnOnce(&PaperAccount, &AccountBook) -> OrderRow,
    ) -> Result<Result<OrderRow, SubmitRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(account) = lock_account(&mut tx, user, account).await? else {
            return Ok(Err(SubmitRefusal::NotFound));
        };
        if account.status == AccountStatus::Archived {
            return Ok(Err(SubmitRefusal::Archived));
        }
        let book = book_in(&mut tx, &account).await?;
        let order = decide(&account, &book);
        let existing = sqlx::query(
            "SELECT id FROM paper_orders WHERE account_id = $1 AND generation = $2 \
             AND client_order_id = $3",
        )
        .bind(order.account_id.to_string())
        .bind(order.generation)
        .bind(order.client_order_id.clone())
        .fetch_optional(&mut *tx)
        .await
        .ctx("looking up a client order id")?;
        if let Some(row) = existing {
            let id: String = row.try_get("id").ctx("reading a client order id")?;
            return Ok(Err(SubmitRefusal::Duplicate(DuplicateClientOrderId {
                client_order_id: order.client_order_id.clone(),
                existing: parse_uuid(&id)?,
            })));
        }
        bind_order(sqlx::query(INSERT_ORDER), &order)
            .execute(&mut *tx)
            .await
            .ctx("inserting a paper order")?;
        tx.commit().await.ctx("committing a paper order")?;
        Ok(Ok(order))
    }

    /// Evaluates an open order under its account's lock: `decide` sees the account, its book
    /// and the order as stored now, and says what happens. `None` when the order is gone or no
    /// longer open (another request decided first).
    pub async fn evaluate_paper_order(
        &self,
        account: Uuid,
        order: Uuid,
        decide: impl FnOnce(&PaperAccount, &AccountBook, &OrderRow) -> Outcome,
    ) -> Result<Option<OrderRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(mut account) = lock_account_by_id(&mut tx, account).await? else {
            return Ok(None);
        };
        let row = sqlx::query(select_orders!("WHERE account_id = $1 AND id = $2"))
            .bind(account.id.to_string())
            .bind(order.to_string())
            .fetch_optional(&mut *tx)
            .await
            .ctx("reading a paper order")?;
        let Some(current) = row.as_ref().map(order_from_row).transpose()? else {
            return Ok(None);
        };
        if !current.is_open()
            || current.generation != account.generation
            || account.status == AccountStatus::Archived
        {
            return Ok(None);
        }
        let book = book_in(&mut tx, &account).await?;
        let decided = match decide(&account, &book, &current) {
            Outcome::Update(order) => {
                update_order(&mut tx, &order).await?;
                *order
            }
            Outcome::Fill {
                order,
                mut fill,
                market_value,
                unrealized_pl,
            } => {
                let description = format!(
                    "{} {} {} at {}",
                    fill.side,
                    canonical(fill.qty),
                    fill.symbol,
                    canonical(fill.price)
                );
                book_fill(
                    &mut tx,
                    &mut account,
                    &book,
                    &mut fill,
                    LedgerType::Trade,
                    description,
                )
                .await?;
                update_order(&mut tx, &order).await?;
                let order = *order;
                record_equity_point(
                    &mut tx,
                    &account,
                    market_value,
                    unrealized_pl,
                    EquityTrigger::Fill,
                    fill.filled_at,
                )
                .await?;
                order
            }
        };
        tx.commit().await.ctx("committing a paper evaluation")?;
        Ok(Some(decided))
    }

    /// Settles the account's long positions in options that have expired (§9.7): `settlement`
    /// gives, for a position's symbol, the intrinsic value per share it settles at and the
    /// evidence (the underlying's price), or `None` when it has not expired. Each settles as a
    /// sale at intrinsic value with no order (`fill_rule: expiration`), an `option_expiration`
    /// ledger entry, and one `option_expiration` equity point after them, the remaining
    /// positions valued by `valuation`. Returns how many positions settled.
    pub async fn settle_paper_expirations(
        &self,
        account: Uuid,
        now: Timestamp,
        settlement: impl Fn(&str) -> Option<(Decimal, String)>,
        valuation: impl FnOnce(&AccountBook) -> (Decimal, Decimal),
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(mut account) = lock_account_by_id(&mut tx, account).await? else {
            return Ok(0);
        };
        if account.status == AccountStatus::Archived {
            return Ok(0);
        }
        let book = book_in(&mut tx, &account).await?;
        let mut settled = 0;
        for position in book.positions.values() {
            let Some((intrinsic, evidence)) = settlement(&position.symbol) else {
                continue;
            };
            let qty = position.holding.qty;
            let mut fill = FillRow {
                id: Uuid::new_v4(),
                order_id: None,
                account_id: account.id,
                generation: account.generation,
                symbol: position.symbol.clone(),
                side: "sell".into(),
                qty,
                price: intrinsic,
                multiplier: position.multiplier,
                gross_amount: engine::paper::book::gross(intrinsic, qty, position.multiplier),
                cash_after: Decimal::ZERO,
                position_qty_after: Decimal::ZERO,
                realized_pl: Decimal::ZERO,
                filled_at: now,
                fill_rule: "expiration".into(),
                quote: evidence,
                policy_version: engine::paper::POLICY_VERSION.into(),
            };
            let description = format!(
                "{} expired, settled at {} a share",
                position.symbol,
                canonical(intrinsic)
            );
            book_fill(
                &mut tx,
                &mut account,
                &book,
                &mut fill,
                LedgerType::OptionExpiration,
                description,
            )
            .await?;
            settled += 1;
        }
        if settled > 0 {
            let after = book_in(&mut tx, &account).await?;
            let (market_value, unrealized_pl) = valuation(&after);
            record_equity_point(
                &mut tx,
                &account,
                market_value,
                unrealized_pl,
                EquityTrigger::OptionExpiration,
                now,
            )
            .await?;
        }
        tx.commit()
            .await
            .ctx("committing paper option settlements")?;
        Ok(settled)
    }

    /// Cancels an open order of the user's account (`user_request`).
    pub async fn cancel_paper_order(
        &self,
        user: Uuid,
        account: Uuid,
        order: Uuid,
        now: Timestamp,
    ) -> Result<Result<OrderRow, CancelRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(account) = lock_account(&mut tx, user, account).await? else {
            return Ok(Err(CancelRefusal::NotFound));
        };
        let row = sqlx::query(select_orders!("WHERE account_id = $1 AND id = $2"))
            .bind(account.id.to_string())
            .bind(order.to_string())
            .fetch_optional(&mut *tx)
            .await
            .ctx("reading a paper order")?;
        let Some(mut current) = row.as_ref().map(order_from_row).transpose()? else {
            return Ok(Err(CancelRefusal::NotFound));
        };
        if !current.is_open() {
            return Ok(Err(CancelRefusal::NotCancelable(Box::new(current))));
        }
        current.status = "canceled".into();
        current.canceled_at = Some(now);
        current.cancel_reason = Some("user_request".into());
        current.reserved_cash = Decimal::ZERO;
        current.updated_at = now;
        update_order(&mut tx, &current).await?;
        tx.commit().await.ctx("committing a paper cancel")?;
        Ok(Ok(current))
    }

    /// The active accounts of every user, with the symbols each current generation has traded
    /// (what it may hold): what the periodic equity points go through.
    pub async fn active_paper_accounts(&self) -> Result<Vec<(Uuid, Vec<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id AS id, f.symbol AS symbol FROM paper_accounts a \
             LEFT JOIN paper_fills f ON f.account_id = a.id AND f.generation = a.generation \
             WHERE a.status = 'active' ORDER BY a.id",
        )
        .fetch_all(&self.pool)
        .await
        .ctx("listing active paper accounts")?;
        let mut accounts: Vec<(Uuid, Vec<String>)> = Vec::new();
        for row in rows {
            let id = parse_uuid(&text(&row, "id")?)?;
            let symbol = maybe_text(&row, "symbol")?;
            match accounts.last_mut() {
                Some((last, symbols)) if *last == id => symbols.extend(symbol),
                _ => accounts.push((id, symbol.into_iter().collect())),
            }
        }
        for (_, symbols) in &mut accounts {
            symbols.sort();
            symbols.dedup();
        }
        Ok(accounts)
    }

    /// Writes an equity point for an account under its lock, its positions valued by
    /// `valuation` (market value, unrealized P&L); nothing when `skip` says so for its book (an
    /// interval point for an account without positions) or the account is archived.
    pub async fn record_paper_equity(
        &self,
        account: Uuid,
        trigger: EquityTrigger,
        now: Timestamp,
        skip: impl FnOnce(&AccountBook) -> bool,
        valuation: impl FnOnce(&AccountBook) -> (Decimal, Decimal),
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(account) = lock_account_by_id(&mut tx, account).await? else {
            return Ok(false);
        };
        if account.status == AccountStatus::Archived {
            return Ok(false);
        }
        let book = book_in(&mut tx, &account).await?;
        if skip(&book) {
            return Ok(false);
        }
        let (market_value, unrealized_pl) = valuation(&book);
        record_equity_point(&mut tx, &account, market_value, unrealized_pl, trigger, now).await?;
        tx.commit().await.ctx("committing a paper equity point")?;
        Ok(true)
    }

    /// The symbols an account's current generation has traded (what it may hold).
    pub async fn paper_traded_symbols(&self, account: Uuid) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT f.symbol AS symbol FROM paper_fills f JOIN paper_accounts a \
             ON a.id = f.account_id AND f.generation = a.generation WHERE a.id = $1",
        )
        .bind(account.to_string())
        .fetch_all(&self.pool)
        .await
        .ctx("listing a paper account's symbols")?;
        rows.iter()
            .map(|row| row.try_get("symbol").ctx("reading a paper symbol"))
            .collect()
    }

    /// The open positions and open-order reservations of an account's current generation.
    pub async fn paper_book(
        &self,
        user: Uuid,
        account: Uuid,
    ) -> Result<Option<(PaperAccount, AccountBook)>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(account) = lock_account(&mut tx, user, account).await? else {
            return Ok(None);
        };
        let book = book_in(&mut tx, &account).await?;
        tx.commit().await.ctx("reading a paper book")?;
        Ok(Some((account, book)))
    }
}
