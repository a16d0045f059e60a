//! Paper accounts: their generations, cash ledger and equity points (paper-trading spec §3, §6,
//! §10).
//!
//! An account's mutations run in one write transaction each, under the account's lock
//! ([`lock_account`]): a no-op `UPDATE` of the account row, which PostgreSQL holds until the
//! transaction ends and which SQLite's `IMMEDIATE` transactions make redundant. Whatever later
//! changes an account (orders, fills, expirations) takes the same lock first.
//!
//! Cash moves only through the ledger ([`post`]): `paper_accounts.cash` is the current
//! generation's balance, equal to the `cash_after` of its latest entry and to the sum of its
//! entries' amounts. A generation opens with a `deposit` of its initial cash onto a balance of 0
//! and a `generation_start` equity point; a reset closes it with a final equity point and a
//! zero `generation_end` entry. Nothing of a closed generation is changed or deleted.

use model::Timestamp;
use model::money::{canonical, parse_stored};
use model::paper_accounts::EquityFigures;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::users::parse_uuid;
use crate::{Store, StoreError, StoreResultExt, new_id};

/// A write transaction of the store.
pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    Archived,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Archived => "archived",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "active" => Ok(AccountStatus::Active),
            "archived" => Ok(AccountStatus::Archived),
            other => Err(StoreError::corrupt(format!(
                "paper account status {other:?}"
            ))),
        }
    }
}

/// An account as stored. What orders and positions add (reservations, market value, counts) is
/// not stored here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaperAccount {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The user's n-th account, from 1: orders accounts created at the same market instant.
    pub number: i64,
    pub name: String,
    pub status: AccountStatus,
    pub generation: i64,
    /// Of the current generation.
    pub initial_cash: Decimal,
    /// The current generation's balance (see the module documentation).
    pub cash: Decimal,
    /// Realized P&L of the current generation.
    pub realized_pl: Decimal,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub generation_started_at: Timestamp,
    pub archived_at: Option<Timestamp>,
    pub last_reset_reason: Option<String>,
}

/// Why an account operation did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountRefusal {
    /// No such account, or another user's.
    #[error("no such paper account")]
    NotFound,
    #[error("the paper account is archived")]
    Archived,
    #[error("the user already holds the maximum number of active paper accounts")]
    LimitReached,
}

/// What a reset changes; `None` keeps the closing generation's initial cash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reset {
    pub initial_cash: Option<Decimal>,
    pub reason: Option<String>,
}

/// A position as a reset took it off the book, at its final mark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearedPosition {
    pub symbol: String,
    pub qty: Decimal,
    pub avg_entry_price: Decimal,
    pub last_mark: Option<Decimal>,
    pub market_value: Decimal,
}

/// The final figures a reset writes on the generation it closes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerationEnd {
    pub ended_at: Timestamp,
    pub final_cash: Decimal,
    pub final_equity: Decimal,
    pub final_realized_pl: Decimal,
    pub canceled_orders_count: i64,
    pub cleared_positions: Vec<ClearedPosition>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerationRecord {
    pub generation: i64,
    pub started_at: Timestamp,
    pub initial_cash: Decimal,
    /// The reason given by the reset that started this generation.
    pub reset_reason: Option<String>,
    /// `None` while the generation is current.
    pub end: Option<GenerationEnd>,
}

/// What a ledger entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerType {
    /// `+initial_cash` at the start of each generation.
    Deposit,
    /// `−gross` for buys, `+gross` for sells.
    Trade,
    /// `+intrinsic × qty × 100` when a held contract expires.
    OptionExpiration,
    /// Reserved: fees are zero and never written in v1.
    Fee,
    /// Zero; the marker a reset writes on the generation it closes.
    GenerationEnd,
}

impl LedgerType {
    pub const ALL: [LedgerType; 5] = [
        LedgerType::Deposit,
        LedgerType::Trade,
        LedgerType::OptionExpiration,
        LedgerType::Fee,
        LedgerType::GenerationEnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LedgerType::Deposit => "deposit",
            LedgerType::Trade => "trade",
            LedgerType::OptionExpiration => "option_expiration",
            LedgerType::Fee => "fee",
            LedgerType::GenerationEnd => "generation_end",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: Uuid,
    pub account_id: Uuid,
    /// The account's n-th entry, across generations.
    pub seq: i64,
    pub generation: i64,
    pub kind: LedgerType,
    /// Signed.
    pub amount: Decimal,
    pub cash_after: Decimal,
    pub order_id: Option<Uuid>,
    pub fill_id: Option<Uuid>,
    pub symbol: Option<String>,
    pub description: Option<String>,
    pub created_at: Timestamp,
}

/// Why an equity point was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EquityTrigger {
    GenerationStart,
    Fill,
    Interval,
    SessionClose,
    OptionExpiration,
    /// The last point of a generation, written by the reset that closes it.
    GenerationEnd,
}

impl EquityTrigger {
    pub const ALL: [EquityTrigger; 6] = [
        EquityTrigger::GenerationStart,
        EquityTrigger::Fill,
        EquityTrigger::Interval,
        EquityTrigger::SessionClose,
        EquityTrigger::OptionExpiration,
        EquityTrigger::GenerationEnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EquityTrigger::GenerationStart => "generation_start",
            EquityTrigger::Fill => "fill",
            EquityTrigger::Interval => "interval",
            EquityTrigger::SessionClose => "session_close",
            EquityTrigger::OptionExpiration => "option_expiration",
            EquityTrigger::GenerationEnd => "generation_end",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EquityPoint {
    pub seq: i64,
    pub generation: i64,
    pub at: Timestamp,
    pub figures: EquityFigures,
    pub trigger: EquityTrigger,
}

/// Which generations a read covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generations {
    Current,
    One(i64),
    All,
}

/// A ledger read: newest entries first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerQuery {
    pub generations: Generations,
    pub kind: Option<LedgerType>,
    /// Entries created strictly after this instant.
    pub after: Option<Timestamp>,
    /// Entries created at or before this instant.
    pub until: Option<Timestamp>,
    pub limit: usize,
}

/// What a reset took off the closing generation's book.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClearedBook {
    pub canceled_orders_count: i64,
    pub positions: Vec<ClearedPosition>,
    /// The positions' market value at their final marks.
    pub market_value: Decimal,
    pub unrealized_pl: Decimal,
}

/// A cash movement to append to the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Posting {
    pub kind: LedgerType,
    pub amount: Decimal,
    pub order_id: Option<Uuid>,
    pub fill_id: Option<Uuid>,
    pub symbol: Option<String>,
    pub description: Option<String>,
}

impl Posting {
    fn marker(kind: LedgerType, amount: Decimal, description: String) -> Posting {
        Posting {
            kind,
            amount,
            order_id: None,
            fill_id: None,
            symbol: None,
            description: Some(description),
        }
    }
}

/// `SELECT` of an account with its generation's start, followed by the given clause.
macro_rules! select_accounts {
    ($tail:literal) => {
        concat!(
            "SELECT a.id, a.user_id, a.number, a.name, a.status, a.generation, a.initial_cash, \
             a.cash, a.realized_pl, a.created_at, a.updated_at, a.archived_at, \
             a.last_reset_reason, g.started_at AS generation_started_at \
             FROM paper_accounts a JOIN paper_generations g \
             ON g.account_id = a.id AND g.generation = a.generation ",
            $tail
        )
    };
}

fn decimal(row: &AnyRow, column: &'static str, what: &'static str) -> Result<Decimal, StoreError> {
    let text: String = row.try_get(column).ctx(what)?;
    parse_stored(&text).map_err(|_| StoreError::corrupt(format!("{what}: {column} {text:?}")))
}

fn optional_decimal(
    row: &AnyRow,
    column: &'static str,
    what: &'static str,
) -> Result<Option<Decimal>, StoreError> {
    let text: Option<String> = row.try_get(column).ctx(what)?;
    text.map(|text| {
        parse_stored(&text).map_err(|_| StoreError::corrupt(format!("{what}: {column} {text:?}")))
    })
    .transpose()
}

fn instant(
    row: &AnyRow,
    column: &'static str,
    what: &'static str,
) -> Result<Timestamp, StoreError> {
    Ok(Timestamp::from_nanos(row.try_get(column).ctx(what)?))
}

fn optional_instant(
    row: &AnyRow,
    column: &'static str,
    what: &'static str,
) -> Result<Option<Timestamp>, StoreError> {
    Ok(row
        .try_get::<Option<i64>, _>(column)
        .ctx(what)?
        .map(Timestamp::from_nanos))
}

fn optional_uuid(
    row: &AnyRow,
    column: &'static str,
    what: &'static str,
) -> Result<Option<Uuid>, StoreError> {
    row.try_get::<Option<String>, _>(column)
        .ctx(what)?
        .map(|text| parse_uuid(&text))
        .transpose()
}

fn account_from_row(row: &AnyRow) -> Result<PaperAccount, StoreError> {
    const WHAT: &str = "reading a paper account";
    let text = |column: &'static str| row.try_get::<String, _>(column).ctx(WHAT);
    Ok(PaperAccount {
        id: parse_uuid(&text("id")?)?,
        user_id: parse_uuid(&text("user_id")?)?,
        number: row.try_get("number").ctx(WHAT)?,
        name: text("name")?,
        status: AccountStatus::parse(&text("status")?)?,
        generation: row.try_get("generation").ctx(WHAT)?,
        initial_cash: decimal(row, "initial_cash", WHAT)?,
        cash: decimal(row, "cash", WHAT)?,
        realized_pl: decimal(row, "realized_pl", WHAT)?,
        created_at: instant(row, "created_at", WHAT)?,
        updated_at: instant(row, "updated_at", WHAT)?,
        generation_started_at: instant(row, "generation_started_at", WHAT)?,
        archived_at: optional_instant(row, "archived_at", WHAT)?,
        last_reset_reason: row.try_get("last_reset_reason").ctx(WHAT)?,
    })
}

fn cleared_positions_to_json(positions: &[ClearedPosition]) -> String {
    Value::Array(
        positions
            .iter()
            .map(|p| {
                json!({
                    "symbol": p.symbol,
                    "qty": canonical(p.qty),
                    "avg_entry_price": canonical(p.avg_entry_price),
                    "last_mark": p.last_mark.map(canonical),
                    "market_value": canonical(p.market_value),
                })
            })
            .collect(),
    )
    .to_string()
}

fn cleared_positions_from_json(text: &str) -> Result<Vec<ClearedPosition>, StoreError> {
    let corrupt = |what: &str| StoreError::corrupt(format!("cleared positions: {what}"));
    let value: Value = serde_json::from_str(text).map_err(|_| corrupt("not JSON"))?;
    let amount = |v: &Value| {
        v.as_str()
            .and_then(|t| parse_stored(t).ok())
            .ok_or_else(|| corrupt("an amount is not a decimal"))
    };
    value
        .as_array()
        .ok_or_else(|| corrupt("not an array"))?
        .iter()
        .map(|p| {
            Ok(ClearedPosition {
                symbol: p["symbol"]
                    .as_str()
                    .ok_or_else(|| corrupt("no symbol"))?
                    .to_string(),
                qty: amount(&p["qty"])?,
                avg_entry_price: amount(&p["avg_entry_price"])?,
                last_mark: match &p["last_mark"] {
                    Value::Null => None,
                    mark => Some(amount(mark)?),
                },
                market_value: amount(&p["market_value"])?,
            })
        })
        .collect()
}

fn generation_from_row(row: &AnyRow) -> Result<GenerationRecord, StoreError> {
    const WHAT: &str = "reading a paper account generation";
    let end = match optional_instant(row, "ended_at", WHAT)? {
        None => None,
        Some(ended_at) => {
            let required = |column: &'static str| {
                optional_decimal(row, column, WHAT)?.ok_or_else(|| {
                    StoreError::corrupt(format!("ended generation without {column}"))
                })
            };
            let cleared: Option<String> = row.try_get("cleared_positions").ctx(WHAT)?;
            Some(GenerationEnd {
                ended_at,
                final_cash: required("final_cash")?,
                final_equity: required("final_equity")?,
                final_realized_pl: required("final_realized_pl")?,
                canceled_orders_count: row
                    .try_get::<Option<i64>, _>("canceled_orders_count")
                    .ctx(WHAT)?
                    .unwrap_or(0),
                cleared_positions: cleared_positions_from_json(cleared.as_deref().unwrap_or("[]"))?,
            })
        }
    };
    Ok(GenerationRecord {
        generation: row.try_get("generation").ctx(WHAT)?,
        started_at: instant(row, "started_at", WHAT)?,
        initial_cash: decimal(row, "initial_cash", WHAT)?,
        reset_reason: row.try_get("reset_reason").ctx(WHAT)?,
        end,
    })
}

fn ledger_entry_from_row(row: &AnyRow) -> Result<LedgerEntry, StoreError> {
    const WHAT: &str = "reading a paper ledger entry";
    let kind: String = row.try_get("type").ctx(WHAT)?;
    Ok(LedgerEntry {
        id: parse_uuid(&row.try_get::<String, _>("id").ctx(WHAT)?)?,
        account_id: parse_uuid(&row.try_get::<String, _>("account_id").ctx(WHAT)?)?,
        seq: row.try_get("seq").ctx(WHAT)?,
        generation: row.try_get("generation").ctx(WHAT)?,
        kind: LedgerType::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("paper ledger entry type {kind:?}")))?,
        amount: decimal(row, "amount", WHAT)?,
        cash_after: decimal(row, "cash_after", WHAT)?,
        order_id: optional_uuid(row, "order_id", WHAT)?,
        fill_id: optional_uuid(row, "fill_id", WHAT)?,
        symbol: row.try_get("symbol").ctx(WHAT)?,
        description: row.try_get("description").ctx(WHAT)?,
        created_at: instant(row, "created_at", WHAT)?,
    })
}

fn equity_point_from_row(row: &AnyRow) -> Result<EquityPoint, StoreError> {
    const WHAT: &str = "reading a paper equity point";
    let trigger: String = row.try_get("trigger").ctx(WHAT)?;
    Ok(EquityPoint {
        seq: row.try_get("seq").ctx(WHAT)?,
        generation: row.try_get("generation").ctx(WHAT)?,
        at: instant(row, "ts", WHAT)?,
        figures: EquityFigures {
            equity: decimal(row, "equity", WHAT)?,
            cash: decimal(row, "cash", WHAT)?,
            market_value: decimal(row, "market_value", WHAT)?,
            realized_pl: decimal(row, "realized_pl", WHAT)?,
            unrealized_pl: decimal(row, "unrealized_pl", WHAT)?,
            peak_equity: decimal(row, "peak_equity", WHAT)?,
            drawdown: decimal(row, "drawdown", WHAT)?,
            drawdown_amount: decimal(row, "drawdown_amount", WHAT)?,
        },
        trigger: EquityTrigger::parse(&trigger)
            .ok_or_else(|| StoreError::corrupt(format!("equity point trigger {trigger:?}")))?,
    })
}

/// Locks one of the user's accounts for the rest of the transaction and reads it; `None` when
/// there is no such account of the user. Every write to an account takes this first, so the
/// reads that decide a write see the latest committed state on PostgreSQL too.
pub(crate) async fn lock_account(
    tx: &mut Tx,
    user: Uuid,
    id: Uuid,
) -> Result<Option<PaperAccount>, StoreError> {
    let locked = sqlx::query(
        "UPDATE paper_accounts SET updated_at = updated_at WHERE id = $1 AND user_id = $2",
    )
    .bind(id.to_string())
    .bind(user.to_string())
    .execute(&mut **tx)
    .await
    .ctx("locking a paper account")?
    .rows_affected();
    if locked == 0 {
        return Ok(None);
    }
    account_in(tx, id).await.map(Some)
}

/// [`lock_account`] by the account's id alone, for the server's own work on it (evaluating its
/// orders); `None` when there is no such account.
pub(crate) async fn lock_account_by_id(
    tx: &mut Tx,
    id: Uuid,
) -> Result<Option<PaperAccount>, StoreError> {
    let locked = sqlx::query("UPDATE paper_accounts SET updated_at = updated_at WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut **tx)
        .await
        .ctx("locking a paper account")?
        .rows_affected();
    if locked == 0 {
        return Ok(None);
    }
    account_in(tx, id).await.map(Some)
}

/// An account as the transaction sees it.
async fn account_in(tx: &mut Tx, id: Uuid) -> Result<PaperAccount, StoreError> {
    let row = sqlx::query(select_accounts!("WHERE a.id = $1"))
        .bind(id.to_string())
        .fetch_one(&mut **tx)
        .await
        .ctx("reading a paper account")?;
    account_from_row(&row)
}

/// The number the account's next row of `table` takes (ledger entries, equity points).
async fn next_seq(tx: &mut Tx, table: Numbered, account: Uuid) -> Result<i64, StoreError> {
    let query = match table {
        Numbered::Ledger => "SELECT MAX(seq) AS last FROM paper_ledger WHERE account_id = $1",
        Numbered::EquityPoints => {
            "SELECT MAX(seq) AS last FROM paper_equity_points WHERE account_id = $1"
        }
    };
    let last: Option<i64> = sqlx::query(query)
        .bind(account.to_string())
        .fetch_one(&mut **tx)
        .await
        .ctx("numbering a paper account's rows")?
        .try_get("last")
        .ctx("numbering a paper account's rows")?;
    Ok(last.unwrap_or(0) + 1)
}

#[derive(Clone, Copy)]
enum Numbered {
    Ledger,
    EquityPoints,
}

/// Appends an entry to the locked account's current generation and moves its cash by the
/// amount: `cash_after = cash + amount`, written to the entry and the account alike. `account`
/// is updated to match.
pub(crate) async fn post(
    tx: &mut Tx,
    account: &mut PaperAccount,
    posting: Posting,
    now: Timestamp,
) -> Result<LedgerEntry, StoreError> {
    let seq = next_seq(tx, Numbered::Ledger, account.id).await?;
    let cash_after = (account.cash + posting.amount).normalize();
    let entry = LedgerEntry {
        id: parse_uuid(&new_id())?,
        account_id: account.id,
        seq,
        generation: account.generation,
        kind: posting.kind,
        amount: posting.amount.normalize(),
        cash_after,
        order_id: posting.order_id,
        fill_id: posting.fill_id,
        symbol: posting.symbol,
        description: posting.description,
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO paper_ledger (id, account_id, seq, generation, type, amount, cash_after, \
         order_id, fill_id, symbol, description, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entry.id.to_string())
    .bind(entry.account_id.to_string())
    .bind(entry.seq)
    .bind(entry.generation)
    .bind(entry.kind.as_str())
    .bind(canonical(entry.amount))
    .bind(canonical(entry.cash_after))
    .bind(entry.order_id.map(|id| id.to_string()))
    .bind(entry.fill_id.map(|id| id.to_string()))
    .bind(entry.symbol.clone())
    .bind(entry.description.clone())
    .bind(now.as_nanos())
    .execute(&mut **tx)
    .await
    .ctx("appending to a paper ledger")?;
    sqlx::query("UPDATE paper_accounts SET cash = $1, updated_at = $2 WHERE id = $3")
        .bind(canonical(cash_after))
        .bind(now.as_nanos())
        .bind(account.id.to_string())
        .execute(&mut **tx)
        .await
        .ctx("moving a paper account's cash")?;
    account.cash = cash_after;
    account.updated_at = now;
    Ok(entry)
}

/// Appends an equity point to the locked account's current generation from its cash and
/// realized P&L and the given book figures; the peak and drawdown follow the generation's
/// earlier points.
pub(crate) async fn record_equity_point(
    tx: &mut Tx,
    account: &PaperAccount,
    market_value: Decimal,
    unrealized_pl: Decimal,
    trigger: EquityTrigger,
    now: Timestamp,
) -> Result<EquityPoint, StoreError> {
    let previous_peak = sqlx::query(
        "SELECT peak_equity FROM paper_equity_points WHERE account_id = $1 AND generation = $2 \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(account.id.to_string())
    .bind(account.generation)
    .fetch_optional(&mut **tx)
    .await
    .ctx("reading a paper account's peak equity")?
    .map(|row| decimal(&row, "peak_equity", "reading a paper account's peak equity"))
    .transpose()?;
    let figures = EquityFigures::new(
        account.cash,
        market_value,
        account.realized_pl,
        unrealized_pl,
        previous_peak,
    );
    let point = EquityPoint {
        seq: next_seq(tx, Numbered::EquityPoints, account.id).await?,
        generation: account.generation,
        at: now,
        figures,
        trigger,
    };
    sqlx::query(
        "INSERT INTO paper_equity_points (account_id, seq, generation, ts, equity, cash, \
         market_value, realized_pl, unrealized_pl, peak_equity, drawdown, drawdown_amount, \
         trigger) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(account.id.to_string())
    .bind(point.seq)
    .bind(point.generation)
    .bind(now.as_nanos())
    .bind(canonical(figures.equity))
    .bind(canonical(figures.cash))
    .bind(canonical(figures.market_value))
    .bind(canonical(figures.realized_pl))
    .bind(canonical(figures.unrealized_pl))
    .bind(canonical(figures.peak_equity))
    .bind(canonical(figures.drawdown))
    .bind(canonical(figures.drawdown_amount))
    .bind(trigger.as_str())
    .execute(&mut **tx)
    .await
    .ctx("recording a paper equity point")?;
    Ok(point)
}

/// Opens generation `account.generation` of the locked account: its record, a cash balance of
/// 0 raised by the `deposit` of its initial cash, and its `generation_start` point.
async fn open_generation(
    tx: &mut Tx,
    account: &mut PaperAccount,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO paper_generations (account_id, generation, started_at, initial_cash, \
         reset_reason) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account.id.to_string())
    .bind(account.generation)
    .bind(now.as_nanos())
    .bind(canonical(account.initial_cash))
    .bind(reason.map(str::to_string))
    .execute(&mut **tx)
    .await
    .ctx("opening a paper account generation")?;
    account.generation_started_at = now;
    let description = format!("initial cash of generation {}", account.generation);
    post(
        tx,
        account,
        Posting::marker(LedgerType::Deposit, account.initial_cash, description),
        now,
    )
    .await?;
    record_equity_point(
        tx,
        account,
        Decimal::ZERO,
        Decimal::ZERO,
        EquityTrigger::GenerationStart,
        now,
    )
    .await?;
    Ok(())
}

/// Cancels the generation's open orders (`account_reset`) and takes its positions off the book,
/// at cost: the store reads no quotes, so the final marks are the entry prices.
async fn cancel_open_orders_and_clear_positions(
    tx: &mut Tx,
    account: &PaperAccount,
    now: Timestamp,
) -> Result<ClearedBook, StoreError> {
    crate::paper_orders::close_book(tx, account, "account_reset", now).await
}

impl Store {
    /// The user's accounts, active ones only unless `include_archived`, in creation order.
    pub async fn paper_accounts(
        &self,
        user: Uuid,
        include_archived: bool,
    ) -> Result<Vec<PaperAccount>, StoreError> {
        sqlx::query(select_accounts!(
            "WHERE a.user_id = $1 AND ($2 = 1 OR a.status = 'active') \
             ORDER BY a.created_at, a.number"
        ))
        .bind(user.to_string())
        .bind(i64::from(include_archived))
        .fetch_all(&self.pool)
        .await
        .ctx("listing paper accounts")?
        .iter()
        .map(account_from_row)
        .collect()
    }

    /// One of the user's accounts, archived ones included; `None` when it does not exist or is
    /// someone else's.
    pub async fn paper_account(
        &self,
        user: Uuid,
        id: Uuid,
    ) -> Result<Option<PaperAccount>, StoreError> {
        sqlx::query(select_accounts!("WHERE a.id = $1 AND a.user_id = $2"))
            .bind(id.to_string())
            .bind(user.to_string())
            .fetch_optional(&self.pool)
            .await
            .ctx("reading a paper account")?
            .as_ref()
            .map(account_from_row)
            .transpose()
    }

    /// Creates an account with generation 1 holding `initial_cash` (both already checked by the
    /// caller), unless the user already has `max_active` active accounts. The count and the
    /// insert are one transaction under the user's `paper_owners` row, so concurrent creates
    /// cannot exceed the limit.
    pub async fn create_paper_account(
        &self,
        user: Uuid,
        name: &str,
        initial_cash: Decimal,
        max_active: usize,
        now: Timestamp,
    ) -> Result<Result<PaperAccount, AccountRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let number: i64 = sqlx::query(
            "INSERT INTO paper_owners (user_id, accounts_created) VALUES ($1, 1) \
             ON CONFLICT (user_id) DO UPDATE SET accounts_created = paper_owners.accounts_created + 1 \
             RETURNING accounts_created",
        )
        .bind(user.to_string())
        .fetch_one(&mut *tx)
        .await
        .ctx("numbering a paper account")?
        .try_get("accounts_created")
        .ctx("numbering a paper account")?;
        let active: i64 = sqlx::query(
            "SELECT COUNT(*) AS active FROM paper_accounts WHERE user_id = $1 AND status = 'active'",
        )
        .bind(user.to_string())
        .fetch_one(&mut *tx)
        .await
        .ctx("counting active paper accounts")?
        .try_get("active")
        .ctx("counting active paper accounts")?;
        if usize::try_from(active).unwrap_or(usize::MAX) >= max_active {
            return Ok(Err(AccountRefusal::LimitReached));
        }
        let mut account = PaperAccount {
            id: parse_uuid(&new_id())?,
            user_id: user,
            number,
            name: name.to_string(),
            status: AccountStatus::Active,
            generation: 1,
            initial_cash: initial_cash.normalize(),
            cash: Decimal::ZERO,
            realized_pl: Decimal::ZERO,
            created_at: now,
            updated_at: now,
            generation_started_at: now,
            archived_at: None,
            last_reset_reason: None,
        };
        sqlx::query(
            "INSERT INTO paper_accounts (id, user_id, number, name, status, generation, \
             initial_cash, cash, realized_pl, created_at, updated_at, archived_at, \
             last_reset_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, '0', '0', $8, $8, NULL, NULL)",
        )
        .bind(account.id.to_string())
        .bind(user.to_string())
        .bind(number)
        .bind(name)
        .bind(AccountStatus::Active.as_str())
        .bind(account.generation)
        .bind(canonical(account.initial_cash))
        .bind(now.as_nanos())
        .execute(&mut *tx)
        .await
        .ctx("inserting a paper account")?;
        open_generation(&mut tx, &mut account, None, now).await?;
        tx.commit().await.ctx("committing a new paper account")?;
        Ok(Ok(account))
    }

    /// Renames an active account.
    pub async fn rename_paper_account(
        &self,
        user: Uuid,
        id: Uuid,
        name: &str,
        now: Timestamp,
    ) -> Result<Result<PaperAccount, AccountRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(mut account) = lock_account(&mut tx, user, id).await? else {
            return Ok(Err(AccountRefusal::NotFound));
        };
        if account.status == AccountStatus::Archived {
            return Ok(Err(AccountRefusal::Archived));
        }
        sqlx::query("UPDATE paper_accounts SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(name)
            .bind(now.as_nanos())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .ctx("renaming a paper account")?;
        tx.commit().await.ctx("committing a paper account rename")?;
        account.name = name.to_string();
        account.updated_at = now;
        Ok(Ok(account))
    }

    /// Archives an account: it stops counting toward the limit and refuses writes, and stays
    /// readable. Archiving an archived account changes nothing.
    pub async fn archive_paper_account(
        &self,
        user: Uuid,
        id: Uuid,
        now: Timestamp,
    ) -> Result<Result<PaperAccount, AccountRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(mut account) = lock_account(&mut tx, user, id).await? else {
            return Ok(Err(AccountRefusal::NotFound));
        };
        if account.status == AccountStatus::Archived {
            return Ok(Ok(account));
        }
        // Open orders are canceled; positions stay as they are, frozen (spec §5.5).
        crate::paper_orders::cancel_open_orders(&mut tx, &account, "account_archived", now).await?;
        sqlx::query(
            "UPDATE paper_accounts SET status = $1, archived_at = $2, updated_at = $2 WHERE id = $3",
        )
        .bind(AccountStatus::Archived.as_str())
        .bind(now.as_nanos())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .ctx("archiving a paper account")?;
        tx.commit()
            .await
            .ctx("committing a paper account archive")?;
        account.status = AccountStatus::Archived;
        account.archived_at = Some(now);
        account.updated_at = now;
        Ok(Ok(account))
    }

    /// Resets an active account (spec §10), in one transaction under its lock: the closing
    /// generation gets its final equity point, a zero `generation_end` entry and its final
    /// figures; the next generation opens with the reset's initial cash (by default the closing
    /// generation's), its `deposit` and its `generation_start` point. The confirmation is the
    /// caller's to require.
    pub async fn reset_paper_account(
        &self,
        user: Uuid,
        id: Uuid,
        reset: &Reset,
        now: Timestamp,
    ) -> Result<Result<PaperAccount, AccountRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(mut account) = lock_account(&mut tx, user, id).await? else {
            return Ok(Err(AccountRefusal::NotFound));
        };
        if account.status == AccountStatus::Archived {
            return Ok(Err(AccountRefusal::Archived));
        }
        let closing = account.generation;
        let book = cancel_open_orders_and_clear_positions(&mut tx, &account, now).await?;
        let last = record_equity_point(
            &mut tx,
            &account,
            book.market_value,
            book.unrealized_pl,
            EquityTrigger::GenerationEnd,
            now,
        )
        .await?;
        post(
            &mut tx,
            &mut account,
            Posting::marker(
                LedgerType::GenerationEnd,
                Decimal::ZERO,
                format!("generation {closing} ended by a reset"),
            ),
            now,
        )
        .await?;
        sqlx::query(
            "UPDATE paper_generations SET ended_at = $1, final_cash = $2, final_equity = $3, \
             final_realized_pl = $4, canceled_orders_count = $5, cleared_positions = $6 \
             WHERE account_id = $7 AND generation = $8",
        )
        .bind(now.as_nanos())
        .bind(canonical(account.cash))
        .bind(canonical(last.figures.equity))
        .bind(canonical(account.realized_pl))
        .bind(book.canceled_orders_count)
        .bind(cleared_positions_to_json(&book.positions))
        .bind(id.to_string())
        .bind(closing)
        .execute(&mut *tx)
        .await
        .ctx("closing a paper account generation")?;

        account.generation = closing + 1;
        account.initial_cash = reset
            .initial_cash
            .unwrap_or(account.initial_cash)
            .normalize();
        account.cash = Decimal::ZERO;
        account.realized_pl = Decimal::ZERO;
        account.last_reset_reason = reset.reason.clone();
        sqlx::query(
            "UPDATE paper_accounts SET generation = $1, initial_cash = $2, cash = '0', \
             realized_pl = '0', last_reset_reason = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(account.generation)
        .bind(canonical(account.initial_cash))
        .bind(reset.reason.clone())
        .bind(now.as_nanos())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .ctx("starting a paper account generation")?;
        open_generation(&mut tx, &mut account, reset.reason.as_deref(), now).await?;
        tx.commit().await.ctx("committing a paper account reset")?;
        Ok(Ok(account))
    }

    /// The account's generations, newest first; `None` when there is no such account of the
    /// user.
    pub async fn paper_generations(
        &self,
        user: Uuid,
        id: Uuid,
    ) -> Result<Option<Vec<GenerationRecord>>, StoreError> {
        if self.paper_account(user, id).await?.is_none() {
            return Ok(None);
        }
        sqlx::query(
            "SELECT generation, started_at, ended_at, initial_cash, reset_reason, final_cash, \
             final_equity, final_realized_pl, canceled_orders_count, cleared_positions \
             FROM paper_generations WHERE account_id = $1 ORDER BY generation DESC",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .ctx("listing paper account generations")?
        .iter()
        .map(generation_from_row)
        .collect::<Result<_, _>>()
        .map(Some)
    }

    /// Ledger entries of the account, newest first; `None` when there is no such account of
    /// the user.
    pub async fn paper_ledger(
        &self,
        user: Uuid,
        id: Uuid,
        query: &LedgerQuery,
    ) -> Result<Option<Vec<LedgerEntry>>, StoreError> {
        let Some(account) = self.paper_account(user, id).await? else {
            return Ok(None);
        };
        sqlx::query(
            "SELECT id, account_id, seq, generation, type, amount, cash_after, order_id, \
             fill_id, symbol, description, created_at FROM paper_ledger WHERE account_id = $1 \
             AND ($2 IS NULL OR generation = $2) AND ($3 IS NULL OR type = $3) \
             AND ($4 IS NULL OR created_at > $4) AND ($5 IS NULL OR created_at <= $5) \
             ORDER BY seq DESC LIMIT $6",
        )
        .bind(id.to_string())
        .bind(generation_of(&account, query.generations))
        .bind(query.kind.map(LedgerType::as_str))
        .bind(query.after.map(Timestamp::as_nanos))
        .bind(query.until.map(Timestamp::as_nanos))
        .bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .ctx("reading a paper ledger")?
        .iter()
        .map(ledger_entry_from_row)
        .collect::<Result<_, _>>()
        .map(Some)
    }

    /// Equity points of the account in the order written; `None` when there is no such account
    /// of the user.
    pub async fn paper_equity_points(
        &self,
        user: Uuid,
        id: Uuid,
        generations: Generations,
    ) -> Result<Option<Vec<EquityPoint>>, StoreError> {
        let Some(account) = self.paper_account(user, id).await? else {
            return Ok(None);
        };
        sqlx::query(
            "SELECT seq, generation, ts, equity, cash, market_value, realized_pl, unrealized_pl, \
             peak_equity, drawdown, drawdown_amount, trigger FROM paper_equity_points \
             WHERE account_id = $1 AND ($2 IS NULL OR generation = $2) ORDER BY seq",
        )
        .bind(id.to_string())
        .bind(generation_of(&account, generations))
        .fetch_all(&self.pool)
        .await
        .ctx("reading paper equity points")?
        .iter()
        .map(equity_point_from_row)
        .collect::<Result<_, _>>()
        .map(Some)
    }
}

/// The one generation a read is limited to, or `None` for all of them.
fn generation_of(account: &PaperAccount, generations: Generations) -> Option<i64> {
    match generations {
        Generations::Current => Some(account.generation),
        Generations::One(n) => Some(n),
        Generations::All => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn cleared_positions_round_trip_through_json() {
        let positions = vec![
            ClearedPosition {
                symbol: "O:SPY260620C00500000".into(),
                qty: dec!(2),
                avg_entry_price: dec!(4.2),
                last_mark: Some(dec!(4.15)),
                market_value: dec!(830),
            },
            ClearedPosition {
                symbol: "AAPL".into(),
                qty: dec!(0.5),
                avg_entry_price: dec!(190.05),
                last_mark: None,
                market_value: dec!(0),
            },
        ];
        let text = cleared_positions_to_json(&positions);
        assert_eq!(cleared_positions_from_json(&text).unwrap(), positions);
        assert!(cleared_positions_from_json("{}").is_err());
        assert_eq!(cleared_positions_to_json(&[]), "[]");
    }

    #[test]
    fn vocabularies_read_back_what_they_write() {
        for kind in LedgerType::ALL {
            assert_eq!(LedgerType::parse(kind.as_str()), Some(kind));
        }
        for trigger in EquityTrigger::ALL {
            assert_eq!(EquityTrigger::parse(trigger.as_str()), Some(trigger));
        }
        assert_eq!(LedgerType::parse("Deposit"), None);
    }
}
