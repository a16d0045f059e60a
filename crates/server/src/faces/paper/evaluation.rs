//! Evaluating open paper orders (§8.7): the synchronous first evaluation of a submission and the
//! evaluator that works through every open order once a second on the market clock. Each
//! evaluation reads the quote at the market clock, then decides under the account's lock with
//! [`engine::paper::evaluate`]: a fill, a no-fill reason, a reject, a promotion at the open or an
//! expiry at the close.

use std::collections::BTreeMap;
use std::time::Duration;

use engine::paper::evaluate::{Account, Decision, Session, evaluate};
use engine::paper::quote::{Freshness, Quote};
use engine::paper::request::{Intent, Kind, PaperOrder, Side, TimeInForce, parse_symbol};
use engine::paper::{POLICY_VERSION, book::Holding};
use model::Timestamp;
use model::calendar;
use model::order::Instrument;
use rust_decimal::Decimal;
use store::paper_accounts::EquityTrigger;
use store::paper_orders::{AccountBook, FillRow, OrderRow, Outcome};
use uuid::Uuid;

use super::quotes;
use crate::http::Problem;
use crate::state::{AppState, read_tape};

/// The regular session `now` falls in, if any.
pub fn session_at(now: Timestamp) -> Option<Session> {
    calendar::session(calendar::new_york_date(now))
        .filter(|s| s.contains(now))
        .map(|s| Session {
            open: s.open,
            close: s.close,
        })
}

/// The order as the engine reads it: its remaining quantity.
pub fn paper_order(row: &OrderRow) -> Option<PaperOrder> {
    Some(PaperOrder {
        instrument: parse_symbol(&row.symbol)?,
        qty: row.qty - row.filled_qty,
        side: if row.side == "buy" {
            Side::Buy
        } else {
            Side::Sell
        },
        kind: if row.order_type == "limit" {
            Kind::Limit
        } else {
            Kind::Market
        },
        time_in_force: if row.time_in_force == "gtc" {
            TimeInForce::Gtc
        } else {
            TimeInForce::Day
        },
        limit_price: row.limit_price,
        intent: match row.position_intent.as_deref() {
            Some("buy_to_open") => Some(Intent::BuyToOpen),
            Some("sell_to_close") => Some(Intent::SellToClose),
            _ => None,
        },
        client_order_id: Some(row.client_order_id.clone()),
    })
}

/// What an evaluation reads from the tape before taking the lock: the order's quote, whether the
/// symbol exists, and the mids of the symbols the account may hold (for the equity point).
pub struct Market {
    pub known: bool,
    pub quote: Option<Quote>,
    pub marks: BTreeMap<String, Decimal>,
}

impl Market {
    /// Blocking: reads the tape.
    pub fn read(
        state: &AppState,
        instrument: &Instrument,
        held: &[String],
        now: Timestamp,
    ) -> Result<Market, Problem> {
        Ok(Market {
            known: quotes::is_known(state, instrument)?,
            quote: quotes::latest(state, instrument, now)?,
            marks: quotes::marks(state, held, now)?,
        })
    }
}

/// The positions' market value and unrealized P&L at `marks`, each position at its average
/// entry price when it has no mark.
pub fn valuation(
    positions: impl IntoIterator<Item = (String, Holding, Decimal)>,
    marks: &BTreeMap<String, Decimal>,
) -> (Decimal, Decimal) {
    positions.into_iter().fold(
        (Decimal::ZERO, Decimal::ZERO),
        |(value, pl), (symbol, h, m)| {
            let mark = marks.get(&symbol).copied().unwrap_or(h.avg_entry_price);
            let market = mark * h.qty * m;
            (value + market, pl + market - h.cost_basis(m))
        },
    )
}

/// [`valuation`] of a book's positions.
fn book_valuation(book: &AccountBook, marks: &BTreeMap<String, Decimal>) -> (Decimal, Decimal) {
    valuation(
        book.positions
            .values()
            .map(|p| (p.symbol.clone(), p.holding, p.multiplier)),
        marks,
    )
}

/// Decides one evaluation of `current` at `now`.
fn decide(
    book: &AccountBook,
    account_cash: Decimal,
    current: &OrderRow,
    market: &Market,
    now: Timestamp,
) -> Outcome {
    let mut order = current.clone();
    order.evaluation_count += 1;
    order.last_evaluated_at = Some(now);
    order.updated_at = now;
    if let Some(expires) = current.expires_at
        && now >= expires
        && current.status != "accepted"
    {
        order.status = "expired".into();
        order.expired_at = Some(now);
        order.expire_reason = Some("session_close".into());
        order.reserved_cash = Decimal::ZERO;
        return Outcome::Update(Box::new(order));
    }
    let session = session_at(now);
    if current.status == "accepted" {
        if session.is_none() {
            order.last_no_fill_reason = Some("market_closed".into());
            return Outcome::Update(Box::new(order));
        }
        order.status = "new".into();
    }
    let Some(paper) = paper_order(current) else {
        return reject(order, "unknown_symbol", now);
    };
    if !market.known {
        return reject(order, "unknown_symbol", now);
    }
    if let Some(quote) = &market.quote {
        order.last_quote = Some(quotes::evidence(&current.symbol, quote, now).to_string());
    }
    let account = Account {
        cash: account_cash,
        reserved_by_others: book.reserved_except(Some(current.id)),
        held: book.held(&current.symbol),
    };
    match evaluate(
        &paper,
        market.quote.as_ref(),
        now,
        session,
        &account,
        &Freshness::default(),
    ) {
        Decision::NoFill(reason) => {
            order.last_no_fill_reason = Some(reason.as_str().into());
            Outcome::Update(Box::new(order))
        }
        Decision::Reject(reason) => reject(order, reason.as_str(), now),
        Decision::Fill(fill) => {
            order.status = "filled".into();
            order.filled_qty = current.qty;
            order.filled_avg_price = Some(fill.price);
            order.filled_at = Some(now);
            order.reserved_cash = Decimal::ZERO;
            order.last_no_fill_reason = None;
            let multiplier = paper.multiplier();
            let mut positions: BTreeMap<String, (Holding, Decimal)> = book
                .positions
                .values()
                .map(|p| (p.symbol.clone(), (p.holding, p.multiplier)))
                .collect();
            let entry = positions
                .entry(current.symbol.clone())
                .or_insert((Holding::default(), multiplier));
            match paper.side {
                Side::Buy => entry.0.buy(fill.price, fill.qty),
                Side::Sell => {
                    entry.0.sell(fill.price, fill.qty, multiplier);
                }
            }
            let mut marks = market.marks.clone();
            if let Some(quote) = &market.quote {
                marks.insert(current.symbol.clone(), quote.mid());
            }
            let (market_value, unrealized_pl) = valuation(
                positions
                    .into_iter()
                    .filter(|(_, (h, _))| !h.qty.is_zero())
                    .map(|(s, (h, m))| (s, h, m)),
                &marks,
            );
            Outcome::Fill {
                fill: Box::new(FillRow {
                    id: Uuid::new_v4(),
                    order_id: Some(current.id),
                    account_id: current.account_id,
                    generation: current.generation,
                    symbol: current.symbol.clone(),
                    side: current.side.clone(),
                    qty: fill.qty,
                    price: fill.price,
                    multiplier,
                    gross_amount: fill.gross,
                    // Set by the store from the ledger posting and the position.
                    cash_after: Decimal::ZERO,
                    position_qty_after: Decimal::ZERO,
                    realized_pl: Decimal::ZERO,
                    filled_at: now,
                    fill_rule: fill.rule.as_str().into(),
                    quote: order.last_quote.clone().unwrap_or_else(|| "{}".into()),
                    policy_version: POLICY_VERSION.into(),
                }),
                order: Box::new(order),
                market_value,
                unrealized_pl,
            }
        }
    }
}

fn reject(mut order: OrderRow, reason: &str, now: Timestamp) -> Outcome {
    order.status = "rejected".into();
    order.failed_at = Some(now);
    order.reject_reason = Some(reason.into());
    order.reserved_cash = Decimal::ZERO;
    Outcome::Update(Box::new(order))
}

/// Evaluates one open order at the market clock; the order as it then stands (`None` when it
/// was no longer open).
pub async fn evaluate_order(
    state: &AppState,
    order: &OrderRow,
) -> Result<Option<OrderRow>, Problem> {
    let now = state.market_now();
    let Some(instrument) = parse_symbol(&order.symbol) else {
        return Ok(None);
    };
    let read = instrument.clone();
    let market = read_tape(state, move |state| Market::read(state, &read, &[], now)).await?;
    if unchanged(order, &market, now) {
        return Ok(Some(order.clone()));
    }
    let held: Vec<String> = state.store.paper_traded_symbols(order.account_id).await?;
    let market = read_tape(state, move |state| {
        Market::read(state, &instrument, &held, now)
    })
    .await?;
    Ok(state
        .store
        .evaluate_paper_order(order.account_id, order.id, |account, book, current| {
            decide(book, account.cash, current, &market, now)
        })
        .await?)
}

/// Whether an evaluation now would only repeat the order's stored no-fill reason: no expiry or
/// promotion due, and a no-fill the quote alone decides (an account that could take any fill
/// gets the same answer). Such evaluations are not written, so an open order costs a quote
/// read a second and no database write until something changes.
fn unchanged(order: &OrderRow, market: &Market, now: Timestamp) -> bool {
    if order.expires_at.is_some_and(|e| now >= e) && order.status != "accepted" {
        return false;
    }
    let session = session_at(now);
    if order.status == "accepted" {
        return session.is_none() && order.last_no_fill_reason.as_deref() == Some("market_closed");
    }
    let Some(paper) = paper_order(order) else {
        return false;
    };
    if !market.known {
        return false;
    }
    let unlimited = Account {
        cash: Decimal::MAX,
        reserved_by_others: Decimal::ZERO,
        held: paper.qty,
    };
    match evaluate(
        &paper,
        market.quote.as_ref(),
        now,
        session,
        &unlimited,
        &Freshness::default(),
    ) {
        Decision::NoFill(reason) => order.last_no_fill_reason.as_deref() == Some(reason.as_str()),
        _ => false,
    }
}

/// Evaluates every open order once.
pub async fn tick(state: &AppState) -> Result<(), Problem> {
    for order in state.store.open_paper_orders().await? {
        if let Err(problem) = evaluate_order(state, &order).await {
            tracing::warn!(order = %order.id, error = %problem.message, "evaluating a paper order failed");
        }
    }
    Ok(())
}

/// Seconds between `interval` equity points of accounts holding positions (§9.8).
const MARK_INTERVAL: u64 = 60;

/// Writes an equity point for every active account: at `session_close` for all of them, at
/// `interval` for those holding positions. Positions are marked at the mid of their latest
/// valid quote, at their entry price without one.
pub async fn record_equity(
    state: &AppState,
    trigger: EquityTrigger,
    now: Timestamp,
) -> Result<usize, Problem> {
    let mut written = 0;
    for (account, symbols) in state.store.active_paper_accounts().await? {
        if trigger == EquityTrigger::Interval && symbols.is_empty() {
            continue;
        }
        let marks = read_tape(state, move |state| quotes::marks(state, &symbols, now)).await?;
        let recorded = state
            .store
            .record_paper_equity(
                account,
                trigger,
                now,
                |book| trigger == EquityTrigger::Interval && book.positions.is_empty(),
                |book| book_valuation(book, &marks),
            )
            .await?;
        written += usize::from(recorded);
    }
    Ok(written)
}

/// When a contract expiring on `date` settles: at the close of that day's session (or the end of
/// the day when it is no session).
fn settles_at(date: jiff::civil::Date) -> Timestamp {
    match calendar::session(date) {
        Some(session) => session.close,
        None => date
            .tomorrow()
            .map(|next| calendar::new_york_instant(next, 0, 0, 0))
            .unwrap_or(Timestamp::from_nanos(i64::MAX)),
    }
}

/// Settles every active account's long positions in options that have expired by `now` (§9.7):
/// at intrinsic value from the underlying's last valid mid at or before the settling close, or
/// at 0 (flagged in the evidence) without one. Returns how many positions settled.
pub async fn settle_expirations(state: &AppState, now: Timestamp) -> Result<usize, Problem> {
    let mut settled = 0;
    for (account, symbols) in state.store.active_paper_accounts().await? {
        let expired: Vec<(String, model::symbol::OptionSymbol)> = symbols
            .iter()
            .filter_map(|s| match parse_symbol(s) {
                Some(Instrument::Option(symbol)) if now >= settles_at(symbol.expiration) => {
                    Some((s.clone(), symbol))
                }
                _ => None,
            })
            .collect();
        if expired.is_empty() {
            continue;
        }
        let all = symbols.clone();
        let (settlements, marks) = read_tape(state, move |state| {
            let mut settlements = BTreeMap::new();
            for (text, symbol) in expired {
                let close = settles_at(symbol.expiration);
                let underlying = Instrument::Equity(
                    model::roots::root_info(symbol.root.as_str())
                        .underlying
                        .to_string(),
                );
                let value = quotes::latest(state, &underlying, close)?
                    .filter(|q| !q.ask.is_zero() && q.bid <= q.ask)
                    .map(|q| q.mid());
                let intrinsic =
                    value.map_or(Decimal::ZERO, |v| engine::settlement::intrinsic(&symbol, v));
                let evidence = serde_json::json!({
                    "underlying": underlying.to_string(),
                    "underlying_mid": value.map(model::money::canonical),
                    "settled_at": close.to_rfc3339(),
                    "missing_underlying_quote": value.is_none(),
                })
                .to_string();
                settlements.insert(text, (intrinsic, evidence));
            }
            Ok((settlements, quotes::marks(state, &all, now)?))
        })
        .await?;
        settled += state
            .store
            .settle_paper_expirations(
                account,
                now,
                |symbol| settlements.get(symbol).cloned(),
                |book| book_valuation(book, &marks),
            )
            .await?;
    }
    Ok(settled)
}

/// The evaluator: every second, every open order (§8.7 b, c; expiries §9.2) and the options
/// that expired (§9.7); every minute of
/// the session an `interval` equity point for accounts holding positions, and one
/// `session_close` point for every active account when the session closes (§9.8).
pub async fn run(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seconds: u64 = 0;
    let mut was_open = session_at(state.market_now()).is_some();
    loop {
        every.tick().await;
        seconds += 1;
        if let Err(problem) = tick(&state).await {
            tracing::warn!(error = %problem.message, "the paper evaluator failed");
        }
        let now = state.market_now();
        if let Err(problem) = settle_expirations(&state, now).await {
            tracing::warn!(error = %problem.message, "settling expired paper options failed");
        }
        let open = session_at(now).is_some();
        let trigger = if was_open && !open {
            Some(EquityTrigger::SessionClose)
        } else if open && seconds.is_multiple_of(MARK_INTERVAL) {
            Some(EquityTrigger::Interval)
        } else {
            None
        };
        was_open = open;
        if let Some(trigger) = trigger
            && let Err(problem) = record_equity(&state, trigger, now).await
        {
            tracing::warn!(error = %problem.message, "recording paper equity points failed");
        }
    }
}
