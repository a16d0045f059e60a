//! `GET /market-data/option-chain-snapshots/{timestamp}` (§5.3) and
//! `.../{startTime}/{endTime}` (§5.4): the day's chain at a second, or at up to 30 seconds of a
//! range. Each contract shows its quote as of the second (the last one at or before it, never
//! one from before the open) and the unsigned delta the tape's Greeks give for it.

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use model::Timestamp;
use model::symbol::Right;
use serde_json::{Map, Value, json};
use tape::PRICE_SCALE;

use super::caller::Caller;
use super::contracts::{Chain, Listed, strike_text};
use super::days::{Day, Market, floor_to};
use super::params::{Query, format_instant, parse_interval, parse_url_instant};
use crate::faces::simulator::credits;
use crate::http::numbers::dollars;
use crate::http::{PathParams, Problem, Reply};
use crate::state::{AppState, read_tape};

/// Snapshots one range request may return (§5.4).
pub const MAX_SNAPSHOTS: u64 = 30;

/// The chain at `at` (a whole second inside the day's data span): `call_<strike>` and
/// `put_<strike>` for every strike, `null` where the contract is not listed or has no quote in
/// force. `None` when no contract has one yet.
fn snapshot_at(
    state: &AppState,
    day: &Day,
    chain: &Chain,
    underlying: &str,
    at: Timestamp,
) -> Result<Option<Map<String, Value>>, Problem> {
    let Some(mut options) = state
        .tape
        .chain_at(underlying, at, state.settings.risk_free_rate)?
    else {
        return Ok(None);
    };
    if options.session_date() != day.date {
        return Ok(None);
    }
    let spot = options.underlying().map(|u| u.price);
    let mut out = Map::with_capacity(chain.rows.len() * 2);
    let mut quoted = false;
    for row in &chain.rows {
        for (right, prefix) in [(Right::Call, "call"), (Right::Put, "put")] {
            let entry = match row.side(right) {
                Some(listed) => entry(&mut options, day, &listed, spot)?,
                None => None,
            };
            quoted |= entry.is_some();
            out.insert(
                format!("{prefix}_{}", strike_text(row.strike)),
                entry.unwrap_or(Value::Null),
            );
        }
    }
    Ok(quoted.then_some(out))
}

/// One contract's `{bid, ask, delta}`, or `None` without a quote from this session in force.
fn entry(
    options: &mut tape::ChainAt<'_>,
    day: &Day,
    listed: &Listed,
    spot: Option<tape::Px>,
) -> Result<Option<Value>, Problem> {
    let Some(snapshot) = options.snapshot(&listed.symbol)?.value else {
        return Ok(None);
    };
    let Some(quote) = snapshot.quote.filter(|q| q.ts >= day.open) else {
        return Ok(None);
    };
    let delta = match snapshot.greeks {
        Some(greeks) => Some(greeks.delta.abs()),
        None => spot.map(|spot| expiry_delta(listed, spot)),
    };
    Ok(Some(json!({
        "bid": dollars(quote.bid),
        "ask": dollars(quote.ask),
        "delta": delta.map(round_delta),
    })))
}

/// Where no volatility explains the quote (at expiry, or a quote below intrinsic value), the
/// delta's limit at expiry: 1 in the money, 0 out of it, ½ at the strike.
fn expiry_delta(listed: &Listed, spot: tape::Px) -> f64 {
    let strike = i64::from(listed.symbol.strike.thousandths()) * (PRICE_SCALE / 1000);
    let moneyness = match listed.symbol.right {
        Right::Call => spot.cmp(&strike),
        Right::Put => strike.cmp(&spot),
    };
    match moneyness {
        std::cmp::Ordering::Greater => 1.0,
        std::cmp::Ordering::Less => 0.0,
        std::cmp::Ordering::Equal => 0.5,
    }
}

/// Four decimals, within 0..1.
fn round_delta(delta: f64) -> Value {
    let rounded = (delta.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0;
    serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number)
}

/// Option chain at a second
///
/// The day's chain (the options expiring that day; `expiration` picks another) at
/// `YYYY-MM-DDTHH:MM:SS` UTC, without `Z`: `call_<strike>` and `put_<strike>` →
/// `{bid, ask, delta}` (numbers; delta unsigned), `null` for a listed strike without a quote
/// then. Visitors see the current session and, on a 30-second grid, the most recent completed
/// one. 10 credits.
#[utoipa::path(
    get,
    path = "/market-data/option-chain-snapshots/{timestamp}",
    tag = "market-data",
    security((), ("session" = [])),
    params(
        ("timestamp" = String, Path, description = "YYYY-MM-DDTHH:MM:SS in UTC, no Z", example = "2025-01-15T14:35:00"),
        ("expiration" = Option<String>, Query, description = "Expiration date YYYY-MM-DD; default the session's own day"),
        ("underlying" = Option<String>, Query, description = "Default SPX"),
    ),
    responses(
        (status = 200, description = "The chain", content_type = "application/json",
            example = json!({"call_5950": {"bid": 4.2, "ask": 4.4, "delta": 0.523}, "put_5950": {"bid": 3.1, "ask": 3.3, "delta": 0.477}})),
        (status = 400, description = "A malformed timestamp (a trailing Z included)", content_type = "text/plain"),
        (status = 403, description = "A visitor asking for a restricted session", content_type = "text/plain"),
        (status = 404, description = "No market data at that instant", content_type = "text/plain"),
    )
)]
pub async fn snapshot(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(timestamp): PathParams<String>,
    RawQuery(query): RawQuery,
) -> Reply<Json<Map<String, Value>>> {
    let query = Query::parse(query.as_deref(), &["underlying", "expiration"])?;
    let at = parse_url_instant(&timestamp, "timestamp")?;
    let underlying = query.underlying()?;
    let expiration = expiration(&query)?;
    let body = read_tape(&state, move |state| {
        let market = Market::load(state, &underlying)?;
        let day = market.day(model::calendar::new_york_date(at))?;
        let at = floor_to(at, market.admit(caller, day)?);
        day.check_in_data(&underlying, at)?;
        let chain = day_chain(state, &underlying, day, expiration)?;
        snapshot_at(state, day, &chain, &underlying, at)?.ok_or_else(|| {
            Problem::not_found(format!(
                "no {underlying} option quotes at {} yet",
                format_instant(at)
            ))
        })
    })
    .await?;
    Ok(Json(body))
}

/// Option chain over a range of seconds
///
/// The chain (as `/market-data/option-chain-snapshots/{timestamp}`) every `interval` seconds
/// from `startTime` through `endTime`, both included, on one session: at most 30 snapshots, keyed
/// by `YYYY-MM-DDTHH:MM:SSZ`. Seconds without market data are left out. `interval` defaults to 1
/// (30 for visitors on the most recent completed session, whose data they see every 30 seconds).
/// 5 credits per snapshot returned.
#[utoipa::path(
    get,
    path = "/market-data/option-chain-snapshots/{startTime}/{endTime}",
    tag = "market-data",
    security((), ("session" = [])),
    params(
        ("startTime" = String, Path, description = "YYYY-MM-DDTHH:MM:SS in UTC, no Z", example = "2025-01-15T14:35:00"),
        ("endTime" = String, Path, description = "YYYY-MM-DDTHH:MM:SS in UTC, no Z, same session", example = "2025-01-15T14:35:29"),
        ("interval" = Option<u32>, Query, description = "Seconds between snapshots, 1 to 3600"),
        ("expiration" = Option<String>, Query, description = "Expiration date YYYY-MM-DD; default the session's own day"),
        ("underlying" = Option<String>, Query, description = "Default SPX"),
    ),
    responses(
        (status = 200, description = "Snapshots keyed by instant", content_type = "application/json"),
        (status = 400, description = "Malformed timestamps or interval, or more than 30 snapshots", content_type = "text/plain"),
        (status = 403, description = "A visitor asking for a restricted session", content_type = "text/plain"),
        (status = 404, description = "No market data in the range", content_type = "text/plain"),
    )
)]
pub async fn range(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((start, end)): PathParams<(String, String)>,
    RawQuery(query): RawQuery,
) -> Reply<(Extension<credits::Settled>, Json<Map<String, Value>>)> {
    let query = Query::parse(query.as_deref(), &["underlying", "expiration", "interval"])?;
    let start = parse_url_instant(&start, "startTime")?;
    let end = parse_url_instant(&end, "endTime")?;
    let underlying = query.underlying()?;
    let expiration = expiration(&query)?;
    let interval = query.get("interval").map(parse_interval).transpose()?;
    if end < start {
        return Err(Problem::bad_request("endTime must not be before startTime"));
    }
    let date = model::calendar::new_york_date(start);
    if model::calendar::new_york_date(end) != date {
        return Err(Problem::bad_request(
            "startTime and endTime must fall on the same session (New York date)",
        ));
    }
    let body = read_tape(&state, move |state| {
        let market = Market::load(state, &underlying)?;
        let day = market.day(date)?;
        let grid = market.admit(caller, day)?;
        let interval = interval.unwrap_or(grid);
        if interval % grid != 0 {
            return Err(Problem::forbidden(format!(
                "visitors see this session every {grid} seconds: use an interval that is a \
                 multiple of {grid}, or register for 1-second data"
            )));
        }
        let (start, end) = (floor_to(start, grid), floor_to(end, grid));
        let instants = instants(start, end, interval)?;
        let chain = day_chain(state, &underlying, day, expiration)?;
        let mut out = Map::new();
        for at in instants {
            if day.check_in_data(&underlying, at).is_err() {
                continue;
            }
            if let Some(snapshot) = snapshot_at(state, day, &chain, &underlying, at)? {
                out.insert(format_instant(at), Value::Object(snapshot));
            }
        }
        if out.is_empty() {
            return Err(Problem::not_found(format!(
                "no {underlying} market data from {} to {}",
                format_instant(start),
                format_instant(end)
            )));
        }
        Ok(out)
    })
    .await?;
    let settled = credits::Settled(credits::PER_SNAPSHOT * body.len() as u64);
    Ok((Extension(settled), Json(body)))
}

/// The seconds `start, start + interval, …` up to `end`; 400 past [`MAX_SNAPSHOTS`].
fn instants(start: Timestamp, end: Timestamp, interval: u32) -> Result<Vec<Timestamp>, Problem> {
    let span = (end.as_seconds() - start.as_seconds()).max(0);
    let count = span / i64::from(interval) + 1;
    if count > MAX_SNAPSHOTS as i64 {
        return Err(Problem::bad_request(format!(
            "at most {MAX_SNAPSHOTS} snapshots per request: {} to {} every {interval} s is \
             {count}; narrow the range or raise interval",
            format_instant(start),
            format_instant(end)
        )));
    }
    Ok((0..count)
        .map(|i| Timestamp::from_seconds(start.as_seconds() + i * i64::from(interval)))
        .collect())
}

fn expiration(query: &Query) -> Result<Option<jiff::civil::Date>, Problem> {
    query
        .get("expiration")
        .map(|text| super::params::parse_date(text, "expiration"))
        .transpose()
}

fn day_chain(
    state: &AppState,
    underlying: &str,
    day: &Day,
    expiration: Option<jiff::civil::Date>,
) -> Result<Chain, Problem> {
    let session = state
        .tape
        .session(underlying, day.date)?
        .ok_or_else(|| Problem::not_found(format!("no {underlying} session on {}", day.date)))?;
    Chain::of(&session, expiration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_hold_at_most_thirty_instants_both_ends_included() {
        let start = Timestamp::from_seconds(1_736_951_700);
        let at = |s: i64| Timestamp::from_seconds(1_736_951_700 + s);
        assert_eq!(instants(start, at(29), 1).unwrap().len(), 30);
        assert_eq!(instants(start, at(0), 1).unwrap(), vec![start]);
        let every_ten = instants(start, at(25), 10).unwrap();
        assert_eq!(every_ten, vec![at(0), at(10), at(20)]);
        let refused = instants(start, at(30), 1).unwrap_err();
        assert_eq!(refused.status(), 400);
        assert!(refused.message.contains("is 31"), "{}", refused.message);
        assert_eq!(instants(start, at(29 * 3600), 3600).unwrap().len(), 30);
    }

    #[test]
    fn deltas_are_unsigned_and_rounded() {
        assert_eq!(round_delta(0.523_449), json!(0.5234));
        assert_eq!(round_delta(1.2), json!(1.0));
        let listed = |text: &str| Listed {
            symbol: model::symbol::OptionSymbol::parse(text).unwrap(),
            owner: tape::Owner::Contract(0),
        };
        let spot = 5_950 * PRICE_SCALE;
        assert_eq!(expiry_delta(&listed("SPXW250115C05940000"), spot), 1.0);
        assert_eq!(expiry_delta(&listed("SPXW250115P05940000"), spot), 0.0);
        assert_eq!(expiry_delta(&listed("SPXW250115P05950000"), spot), 0.5);
        assert_eq!(expiry_delta(&listed("SPXW250115P05952500"), spot), 1.0);
    }
}
