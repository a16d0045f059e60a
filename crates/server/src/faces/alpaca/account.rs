//! `/v2/account` and `/v2/account/configurations` (paper-trading spec §12.3, §12.4): the paper
//! account as Alpaca's TradeAccount, and the fixed configuration of a cash, long-only account.

use axum::Json;
use axum::extract::{Extension, State};
use model::calendar;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use store::keys::ApiKey;
use store::paper_accounts::{AccountStatus, Generations, PaperAccount};

use crate::faces::paper::wire::AccountBody;
use uuid::Uuid;

use crate::faces::paper::{accounts, params};
use crate::http::{PathParams, Problem, ProblemKind, Reply};
use crate::state::AppState;

/// The key's user's account named by the path, or 404 (another user's account too).
pub async fn load(state: &AppState, key: &ApiKey, id: &str) -> Result<PaperAccount, Problem> {
    let account_id = params::account_id(id)?;
    state
        .store
        .paper_account(key.user_id, account_id)
        .await?
        .ok_or_else(|| params::not_found(id))
}

/// `"PA"` and the first ten hex digits of the id, upper-case: stable and unique enough to read.
fn account_number(id: Uuid) -> String {
    let hex = id.simple().to_string().to_ascii_uppercase();
    format!("PA{}", &hex[..10])
}

/// The equity at the close of the previous trading day: the last equity point written by then in
/// this generation, or its first point when it started later (its initial cash).
async fn last_equity(state: &AppState, key: &ApiKey, account: &PaperAccount) -> Reply<Decimal> {
    let today = calendar::new_york_date(state.market_now());
    let close = calendar::previous_session(today).map(|s| s.close);
    let points = state
        .store
        .paper_equity_points(key.user_id, account.id, Generations::Current)
        .await?
        .unwrap_or_default();
    let before = points
        .iter()
        .filter(|p| close.is_some_and(|c| p.at <= c))
        .max_by_key(|p| (p.at, p.seq));
    Ok(before
        .or(points.first())
        .map_or(account.initial_cash, |p| p.figures.equity))
}

/// The account
///
/// Alpaca's TradeAccount for the paper account: cash, buying power (cash less what open buy
/// orders reserve), equity and long market value of the current generation; no margin, no
/// shorting, options level 2 (long calls and puts).
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/account",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, description = "Alpaca TradeAccount"), (status = 404, description = "`{code: 40410000}`"))
)]
pub async fn account(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Json<Value>> {
    let stored = load(&state, &key, &id).await?;
    // The native account's figures: its book marked at the market clock.
    let body = AccountBody::of(&stored, &accounts::figures(&state, &stored).await?);
    let last_equity = last_equity(&state, &key, &stored).await?;
    let buying_power = json!(body.buying_power);
    let zero = json!("0");
    Ok(Json(json!({
        "id": body.id,
        "account_number": account_number(stored.id),
        "status": match stored.status {
            AccountStatus::Active => "ACTIVE",
            AccountStatus::Archived => "ACCOUNT_CLOSED",
        },
        "currency": "USD",
        "cash": body.cash,
        "buying_power": buying_power,
        "regt_buying_power": buying_power,
        "non_marginable_buying_power": buying_power,
        "options_buying_power": buying_power,
        "equity": body.equity,
        "portfolio_value": body.equity,
        "last_equity": model::money::canonical(last_equity),
        "long_market_value": body.market_value,
        "short_market_value": zero,
        "initial_margin": zero,
        "maintenance_margin": zero,
        "last_maintenance_margin": zero,
        "sma": zero,
        "accrued_fees": zero,
        "pending_transfer_in": zero,
        "pending_transfer_out": zero,
        "multiplier": "1",
        "shorting_enabled": false,
        "pattern_day_trader": false,
        "trading_blocked": false,
        "account_blocked": false,
        "trade_suspended_by_user": false,
        "transfers_blocked": true,
        "options_approved_level": 2,
        "options_trading_level": 2,
        "created_at": body.created_at,
    })))
}

/// Account configurations
///
/// Fixed: fractional shares, no margin, no shorting, options level 2.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/v2/account/configurations",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, description = "Alpaca AccountConfiguration"), (status = 404, description = "`{code: 40410000}`"))
)]
pub async fn configurations(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Json<Value>> {
    load(&state, &key, &id).await?;
    Ok(Json(json!({
        "fractional_trading": true,
        "max_margin_multiplier": "1",
        "no_shorting": true,
        "suspend_trade": false,
        "trade_confirm_email": "none",
        "ptp_no_exception_entry": false,
        "max_options_trading_level": 2,
    })))
}

/// Change account configurations (not supported: 422)
#[utoipa::path(
    patch,
    path = "/v1/paper/accounts/{account_id}/v2/account/configurations",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 422, description = "`{code: 42210000}`: the configuration is fixed"))
)]
pub async fn set_configurations(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Json<Value>> {
    load(&state, &key, &id).await?;
    Err(unsupported(
        "account configurations are fixed on paper accounts: cash, long only, options level 2",
    ))
}

/// A `/v2` feature the paper simulator does not offer (§12.3): 422.
pub fn unsupported(message: &str) -> Problem {
    Problem::new(ProblemKind::Unprocessable, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_come_from_the_id() {
        let id = Uuid::parse_str("3f6f1f0e-8a0c-4a47-9a53-2f4f7a9b9d10").unwrap();
        assert_eq!(account_number(id), "PA3F6F1F0E8A");
    }
}
