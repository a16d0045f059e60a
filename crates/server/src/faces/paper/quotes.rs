//! The quote provider of paper trading: the tape, read at the market clock. The latest quote of
//! the exact symbol at or before the instant (an option's own quote, a stock's own NBBO),
//! searched back through the underlying's sessions; never a trade or a model price.

use engine::paper::quote::Quote;
use model::Timestamp;
use model::order::Instrument;
use model::roots::root_info;
use serde_json::{Value, json};
use tape::records::px_to_decimal;

use crate::http::Problem;
use crate::state::AppState;

/// The underlying whose tape holds the instrument's quotes.
fn underlying(instrument: &Instrument) -> String {
    match instrument {
        Instrument::Option(symbol) => root_info(symbol.root.as_str()).underlying.to_string(),
        Instrument::Equity(ticker) => ticker.clone(),
    }
}

/// Whether the tape knows the symbol: its underlying has sessions and, for an option, one of
/// them lists the contract. Blocking: it reads the tape.
pub fn is_known(state: &AppState, instrument: &Instrument) -> Result<bool, Problem> {
    let underlying = underlying(instrument);
    let sessions = state.tape.sessions(&underlying)?;
    let Some(symbol) = instrument.option() else {
        return Ok(!sessions.is_empty());
    };
    for day in sessions.iter().rev() {
        if let Some(session) = state.tape.session(&underlying, *day)?
            && session.contract(symbol).is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The latest quote at or before `at`. Blocking: it reads the tape.
pub fn latest(
    state: &AppState,
    instrument: &Instrument,
    at: Timestamp,
) -> Result<Option<Quote>, Problem> {
    let owner = match instrument {
        Instrument::Option(symbol) => tape::Instrument::Option(symbol),
        Instrument::Equity(_) => tape::Instrument::Underlying,
    };
    let quote = state
        .tape
        .latest::<tape::Quote>(&underlying(instrument), owner, at)?;
    Ok(quote.map(|q| Quote {
        bid: px_to_decimal(q.bid),
        ask: px_to_decimal(q.ask),
        bid_size: u64::from(q.bid_size),
        ask_size: u64::from(q.ask_size),
        ts: q.ts,
    }))
}

/// The mid of each symbol's latest valid quote at `at` (offered, not crossed): the marks of
/// positions. Symbols without one are left out. Blocking: it reads the tape.
pub fn marks<'a>(
    state: &AppState,
    symbols: impl IntoIterator<Item = &'a String>,
    at: Timestamp,
) -> Result<std::collections::BTreeMap<String, rust_decimal::Decimal>, Problem> {
    let mut marks = std::collections::BTreeMap::new();
    for symbol in symbols {
        if let Some(instrument) = engine::paper::request::parse_symbol(symbol)
            && let Some(quote) = latest(state, &instrument, at)?
            && quote.bid <= quote.ask
            && !quote.ask.is_zero()
        {
            marks.insert(symbol.clone(), quote.mid());
        }
    }
    Ok(marks)
}

/// The evidence kept with a decision (§6.6): the quote, when it was read and how old it was.
pub fn evidence(symbol: &str, quote: &Quote, at: Timestamp) -> Value {
    let mid = quote.mid();
    let spread = quote.spread();
    let text = |d: rust_decimal::Decimal| model::money::canonical(d);
    json!({
        "provider": "optiontape",
        "feed": "live",
        "symbol": symbol,
        "bid_price": text(quote.bid),
        "ask_price": text(quote.ask),
        "bid_size": quote.bid_size,
        "ask_size": quote.ask_size,
        "quote_timestamp": quote.ts.to_rfc3339(),
        "quote_timestamp_ns": quote.ts.as_nanos().to_string(),
        "fetched_at": at.to_rfc3339(),
        "age_ms": (at.as_nanos() - quote.ts.as_nanos()) / 1_000_000,
        "midpoint": text(mid),
        "spread": text(spread),
        "spread_pct": if mid.is_zero() { Value::Null } else { json!(text((spread / mid).round_dp(6))) },
    })
}
