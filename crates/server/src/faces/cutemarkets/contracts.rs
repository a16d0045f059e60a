//! `GET /v1/options/contracts/{options_ticker}/`: one option contract's reference data, as the
//! tape lists it on a day.
//!
//! A contract exists on a day when the session of its underlying on that day (or the latest one
//! before it) lists it and it has not expired by then. The reference fields come from the
//! contract's symbol and its root's rules (exercise style, settlement, multiplier).

use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use jiff::civil::Date;
use model::Timestamp;
use model::roots::{Delivery, Exercise, root_info};
use model::symbol::{OptionSymbol, Right};
use serde::Serialize;
use serde_json::Value;
use store::keys::ApiKey;
use utoipa::ToSchema;

use super::envelope;
use crate::http::{Problem, ProblemKind, RequestId};
use crate::state::AppState;

/// An option contract's reference data (CuteMarkets `OptionContract`).
#[derive(Serialize, ToSchema)]
pub struct OptionContract {
    /// Polygon-style ticker.
    #[schema(example = "O:SPXW250115C05950000")]
    pub ticker: String,
    #[schema(example = "SPX")]
    pub underlying_ticker: String,
    /// `call` or `put`.
    #[schema(example = "call")]
    pub contract_type: &'static str,
    /// `american` or `european`.
    #[schema(example = "european")]
    pub exercise_style: &'static str,
    #[schema(example = "2025-01-15")]
    pub expiration_date: String,
    #[schema(value_type = f64, example = 5950)]
    pub strike_price: serde_json::Number,
    #[schema(example = 100)]
    pub shares_per_contract: u32,
    /// MIC of the exchange that lists the class alone (index options on Cboe); omitted for
    /// multiply listed classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "XCBO")]
    pub primary_exchange: Option<&'static str>,
    /// ISO 10962 CFI code.
    #[schema(example = "OCEICS")]
    pub cfi: String,
}

impl OptionContract {
    pub fn of(symbol: &OptionSymbol) -> OptionContract {
        let info = root_info(symbol.root.as_str());
        let strike = symbol.strike.to_decimal().normalize();
        let strike_price = i64::try_from(strike)
            .ok()
            .filter(|_| strike.fract().is_zero())
            .map(serde_json::Number::from)
            .or_else(|| serde_json::Number::from_f64(strike.try_into().unwrap_or(0.0)))
            .unwrap_or_else(|| serde_json::Number::from(0));
        let cash = info.delivery == Delivery::Cash;
        let cfi = [
            'O',
            match symbol.right {
                Right::Call => 'C',
                Right::Put => 'P',
            },
            match info.exercise {
                Exercise::American => 'A',
                Exercise::European => 'E',
            },
            // Cash-settled classes are on indices; the others deliver shares.
            if cash { 'I' } else { 'S' },
            if cash { 'C' } else { 'P' },
            'S',
        ];
        OptionContract {
            ticker: symbol.polygon(),
            underlying_ticker: info.underlying.to_string(),
            contract_type: match symbol.right {
                Right::Call => "call",
                Right::Put => "put",
            },
            exercise_style: match info.exercise {
                Exercise::American => "american",
                Exercise::European => "european",
            },
            expiration_date: symbol.expiration.to_string(),
            strike_price,
            shares_per_contract: info.multiplier,
            primary_exchange: cash.then_some("XCBO"),
            cfi: cfi.iter().collect(),
        }
    }
}

/// Options contract detail
///
/// One contract's reference data as listed on `as_of` (default: the market clock's date); an
/// expired contract is found with an `as_of` on or before its expiration.
#[utoipa::path(
    get,
    path = "/v1/options/contracts/{options_ticker}",
    tag = "options",
    params(
        ("options_ticker" = String, Path, description = "Polygon-style option ticker", example = "O:SPXW250115C05950000"),
        ("as_of" = Option<String>, Query, description = "The day to resolve the contract on (YYYY-MM-DD)"),
    ),
    responses(
        (status = 200, description = "The contract, in the success envelope's `results`", body = OptionContract),
        (status = 400, description = "`bad_request`: a malformed ticker or date"),
        (status = 403, description = "`lookback_exceeded`: `as_of` is older than the plan allows"),
        (status = 404, description = "`not_found`: not listed on that day"),
    )
)]
pub async fn contract(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    Path(ticker): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(pairs) = query.map_err(|e| Problem::bad_request(format!("query string: {e}")))?;
    let symbol = ticker
        .strip_prefix("O:")
        .and_then(|_| OptionSymbol::parse(&ticker).ok())
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "options_ticker {ticker:?} is not an option ticker like O:SPXW250115C05950000"
            ))
        })?;
    let now = state.market.now(state.clock.now());
    let as_of = match pairs.iter().find(|(name, _)| name == "as_of") {
        Some((_, text)) => parse_date("as_of", text)?,
        None => model::calendar::new_york_date(now),
    };
    check_lookback(&state, &key, now, "as_of", as_of)?;
    let underlying = root_info(symbol.root.as_str()).underlying;
    let not_listed =
        || Problem::not_found(format!("{} is not listed on {as_of}", symbol.polygon()));
    if symbol.expiration < as_of {
        return Err(not_listed());
    }
    let sessions = state
        .tape
        .sessions(underlying)
        .map_err(|e| Problem::internal(format!("reading the tape: {e}")))?;
    let Some(day) = sessions.iter().rev().find(|d| **d <= as_of) else {
        return Err(not_listed());
    };
    let session = state
        .tape
        .session(underlying, *day)
        .map_err(|e| Problem::internal(format!("reading the tape: {e}")))?
        .ok_or_else(not_listed)?;
    session.contract(&symbol).ok_or_else(not_listed)?;
    Ok(envelope::ok(&request_id, OptionContract::of(&symbol)))
}

/// A `YYYY-MM-DD` query value.
pub fn parse_date(name: &str, text: &str) -> Result<Date, Problem> {
    let valid = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    valid
        .then(|| text.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| {
            Problem::bad_request(format!("{name} must be a date (YYYY-MM-DD), not {text:?}"))
        })
}

/// Refuses a day older than the key's plan looks back, measured from market time `now`.
pub fn check_lookback(
    state: &AppState,
    key: &ApiKey,
    now: Timestamp,
    name: &str,
    day: Date,
) -> Result<(), Problem> {
    let Some(plan) = state.settings.plans.market_data(key.product, key.plan) else {
        return Ok(());
    };
    let today = model::calendar::new_york_date(now);
    let years = i16::try_from(plan.lookback_years).unwrap_or(i16::MAX);
    let earliest = today
        .checked_sub(jiff::Span::new().years(years))
        .unwrap_or(Date::MIN);
    if day < earliest {
        return Err(Problem::new(
            ProblemKind::LookbackExceeded,
            format!(
                "{name} {day} is older than your {} plan's historical lookback of {} years \
                 (earliest {earliest})",
                key.plan.title(),
                plan.lookback_years
            ),
        ));
    }
    Ok(())
}
