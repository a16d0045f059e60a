//! `/v1/paper/accounts`: list, create, get, rename, archive, reset; an account's generations and
//! cash ledger (paper-trading spec §5.1–5.6, §5.15).
//!
//! Every instant written here is market time (`state.market_now()`), the time line later fills
//! and equity points share.

use axum::Json;
use axum::extract::{Extension, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::paper_accounts::{self as rules, AccountRuleError};
use serde_json::value::RawValue;
use store::keys::ApiKey;
use store::paper_accounts::{AccountRefusal, LedgerQuery, LedgerType, PaperAccount, Reset};
use uuid::Uuid;

use super::params::{self, Members};
use super::wire::{AccountBody, AccountResponse, BookFigures, GenerationBody, LedgerEntryBody};
use crate::faces::cutemarkets::envelope;
use crate::http::{JsonBody, PathParams, Problem, ProblemKind, QueryParams, Reply, RequestId};
use crate::state::{AppState, read_tape};

const DEFAULT_LEDGER_LIMIT: usize = 100;
const MAX_LEDGER_LIMIT: usize = 1000;

fn rule(field: &str, error: AccountRuleError) -> Problem {
    Problem::bad_request(format!("{field} {error}"))
}

/// The problem a refused account operation answers with.
fn refused(id: Uuid, refusal: AccountRefusal) -> Problem {
    match refusal {
        AccountRefusal::NotFound => params::not_found(&id.to_string()),
        AccountRefusal::Archived => params::archived(&id.to_string()),
        AccountRefusal::LimitReached => limit_reached(),
    }
}

fn limit_reached() -> Problem {
    Problem::new(
        ProblemKind::Conflict,
        format!(
            "you already have {} active paper accounts; archive one to create another",
            rules::MAX_ACTIVE_ACCOUNTS
        ),
    )
    .with_code("account_limit_reached")
}

/// What an account's open orders and positions add to it, marked at the market clock.
pub async fn figures(state: &AppState, account: &PaperAccount) -> Result<BookFigures, Problem> {
    let Some((_, book)) = state.store.paper_book(account.user_id, account.id).await? else {
        return Ok(BookFigures::EMPTY);
    };
    let positions: Vec<_> = book.positions.values().cloned().collect();
    let marked = read_tape(state, move |state| super::positions::mark(state, positions)).await?;
    Ok(BookFigures {
        reserved_cash: book.reserved_except(None),
        market_value: marked
            .iter()
            .map(|m| m.market_value())
            .sum::<rust_decimal::Decimal>()
            .round_dp(2),
        unrealized_pl: marked
            .iter()
            .map(|m| m.unrealized_pl())
            .sum::<rust_decimal::Decimal>()
            .round_dp(2),
        open_orders_count: book.reservations.len() as u64,
        positions_count: marked.len() as u64,
    })
}

/// An account as answered: what is stored plus what its book adds.
async fn body(state: &AppState, account: &PaperAccount) -> Result<AccountBody, Problem> {
    Ok(AccountBody::of(account, &figures(state, account).await?))
}

async fn one(
    state: &AppState,
    request_id: &RequestId,
    account: &PaperAccount,
) -> Result<Json<AccountResponse>, Problem> {
    Ok(Json(AccountResponse::new(
        request_id,
        body(state, account).await?,
    )))
}

/// The `name` member, required, by the account name rules.
fn name(members: &Members<'_>) -> Result<String, Problem> {
    let value = members
        .get("name")
        .ok_or_else(|| Problem::bad_request("name is required"))?;
    rules::account_name(&params::string("name", value)?).map_err(|e| rule("name", e))
}

/// The optional `initial_cash` member, by the initial cash rules.
fn initial_cash(members: &Members<'_>) -> Result<Option<rust_decimal::Decimal>, Problem> {
    members
        .get("initial_cash")
        .map(|value| {
            let amount = params::decimal("initial_cash", value)?;
            rules::initial_cash(amount).map_err(|e| rule("initial_cash", e))
        })
        .transpose()
}

/// List accounts
///
/// Your paper accounts in creation order (`created_at`, oldest first): active ones, and archived
/// ones too with `include_archived=true`.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts",
    tag = "paper",
    security(("bearer" = [])),
    params(("include_archived" = Option<bool>, Query, description = "true/false/1/0, any case; default false")),
    responses(
        (status = 200, description = "Account objects in `results`"),
        (status = 400, description = "`bad_request`: include_archived is not a boolean"),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`forbidden`: not a paper key"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Response> {
    let include_archived = params::boolean(&pairs, "include_archived", false)?;
    let accounts = state
        .store
        .paper_accounts(key.user_id, include_archived)
        .await?;
    let mut rows: Vec<AccountBody> = Vec::with_capacity(accounts.len());
    for account in &accounts {
        rows.push(body(&state, account).await?);
    }
    Ok(envelope::ok(&request_id, rows))
}

/// Create an account
///
/// Body `{"name": "agent-sandbox", "initial_cash": "100000"}`. `name`: 1–64 characters after
/// trimming, no control characters, not unique. `initial_cash`: a decimal string or a number,
/// more than 0, at most 100000000, at most 2 decimals; default 100000. Other fields are refused.
/// The account starts generation 1 with a `deposit` of its cash. At most 20 active accounts.
#[utoipa::path(
    post,
    path = "/v1/paper/accounts",
    tag = "paper",
    security(("bearer" = [])),
    request_body(content = Object, description = "name, initial_cash"),
    responses(
        (status = 201, description = "The new account under `account`", body = AccountResponse),
        (status = 400, description = "`bad_request` naming the field"),
        (status = 409, description = "`account_limit_reached`: 20 active accounts already"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    JsonBody(raw): JsonBody<Box<RawValue>>,
) -> Reply<Response> {
    let members = Members::of(&raw)?;
    members.only(&["name", "initial_cash"])?;
    let name = name(&members)?;
    let cash = initial_cash(&members)?.unwrap_or(rules::DEFAULT_INITIAL_CASH);
    let account = state
        .store
        .create_paper_account(
            key.user_id,
            &name,
            cash,
            rules::MAX_ACTIVE_ACCOUNTS,
            state.market_now(),
        )
        .await?
        .map_err(|refusal| match refusal {
            AccountRefusal::LimitReached => limit_reached(),
            other => Problem::internal(format!("creating a paper account: {other}")),
        })?;
    Ok((
        StatusCode::CREATED,
        one(&state, &request_id, &account).await?,
    )
        .into_response())
}

/// Get an account
///
/// Archived accounts too. Another user's account is answered like a missing one.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path, description = "Account id (UUID)")),
    responses(
        (status = 200, description = "The account under `account`", body = AccountResponse),
        (status = 404, description = "`not_found`"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Json<AccountResponse>> {
    let id = params::account_id(&id)?;
    let account = state
        .store
        .paper_account(key.user_id, id)
        .await?
        .ok_or_else(|| params::not_found(&id.to_string()))?;
    one(&state, &request_id, &account).await
}

/// Rename an account
///
/// Body `{"name": "..."}` and nothing else; the name rules of creation apply.
#[utoipa::path(
    patch,
    path = "/v1/paper/accounts/{account_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path, description = "Account id (UUID)")),
    request_body(content = Object, description = "name"),
    responses(
        (status = 200, description = "The renamed account under `account`", body = AccountResponse),
        (status = 400, description = "`bad_request` naming the field"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`account_archived`"),
    )
)]
pub async fn rename(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    JsonBody(raw): JsonBody<Box<RawValue>>,
) -> Reply<Json<AccountResponse>> {
    let id = params::account_id(&id)?;
    let members = Members::of(&raw)?;
    members.only(&["name"])?;
    let name = name(&members)?;
    let account = state
        .store
        .rename_paper_account(key.user_id, id, &name, state.market_now())
        .await?
        .map_err(|refusal| refused(id, refusal))?;
    one(&state, &request_id, &account).await
}

/// Archive an account
///
/// The account leaves the default list and the active-account count and becomes read-only; it
/// stays readable. Archiving an archived account answers it unchanged.
#[utoipa::path(
    delete,
    path = "/v1/paper/accounts/{account_id}",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path, description = "Account id (UUID)")),
    responses(
        (status = 200, description = "The archived account under `account`", body = AccountResponse),
        (status = 404, description = "`not_found`"),
    )
)]
pub async fn archive(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Json<AccountResponse>> {
    let id = params::account_id(&id)?;
    let account = state
        .store
        .archive_paper_account(key.user_id, id, state.market_now())
        .await?
        .map_err(|refusal| refused(id, refusal))?;
    one(&state, &request_id, &account).await
}

/// Reset an account
///
/// Body `{"confirm": true, "initial_cash": "50000", "reason": "..."}`: `confirm` must be exactly
/// `true`. Closes the current generation (a final equity point, a zero `generation_end` ledger
/// entry, its final figures) and opens the next with `initial_cash` (default: the closing
/// generation's) and its `deposit`. Earlier generations stay readable with `generation=<n>`.
#[utoipa::path(
    post,
    path = "/v1/paper/accounts/{account_id}/reset",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path, description = "Account id (UUID)")),
    request_body(content = Object, description = "confirm, initial_cash, reason (at most 500 characters)"),
    responses(
        (status = 200, description = "The account in its new generation under `account`", body = AccountResponse),
        (status = 400, description = "`confirmation_required` without `\"confirm\": true`; `bad_request` naming the field"),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`account_archived`"),
    )
)]
pub async fn reset(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    req: Request,
) -> Reply<Json<AccountResponse>> {
    let id = params::account_id(&id)?;
    // No body at all is a reset without confirmation, not a malformed request.
    let raw = params::optional_body(req).await?;
    let members = match &raw {
        Some(raw) => Members::of(raw)?,
        None => Members::default(),
    };
    members.only(&["confirm", "initial_cash", "reason"])?;
    if !params::is_true(members.get("confirm")) {
        return Err(Problem::bad_request(
            "a reset must be confirmed with \"confirm\": true; it cancels open orders, clears \
             positions and starts a new generation",
        )
        .with_code("confirmation_required"));
    }
    let reason = members
        .get("reason")
        .map(|value| {
            rules::reset_reason(&params::string("reason", value)?).map_err(|e| rule("reason", e))
        })
        .transpose()?
        .flatten();
    let reset = Reset {
        initial_cash: initial_cash(&members)?,
        reason,
    };
    let account = state
        .store
        .reset_paper_account(key.user_id, id, &reset, state.market_now())
        .await?
        .map_err(|refusal| refused(id, refusal))?;
    one(&state, &request_id, &account).await
}

/// An account's generations
///
/// Generation records, newest first; the current one has no closing figures yet.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/generations",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path, description = "Account id (UUID)")),
    responses(
        (status = 200, description = "Generation records in `results`"),
        (status = 404, description = "`not_found`"),
    )
)]
pub async fn generations(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Response> {
    let id = params::account_id(&id)?;
    let records = state
        .store
        .paper_generations(key.user_id, id)
        .await?
        .ok_or_else(|| params::not_found(&id.to_string()))?;
    let rows: Vec<GenerationBody> = records.iter().map(GenerationBody::of).collect();
    Ok(envelope::ok(&request_id, rows))
}

/// An account's cash ledger
///
/// Ledger entries, newest first: of the current generation, of `generation=<n>`, or of every
/// generation with `generation=all`; `type` keeps one kind (`deposit`, `trade`,
/// `option_expiration`, `fee`, `generation_end`); `after` (exclusive) and `until` (inclusive)
/// bound `created_at`; `limit` default 100, at most 1000.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/ledger",
    tag = "paper",
    security(("bearer" = [])),
    params(
        ("account_id" = String, Path, description = "Account id (UUID)"),
        ("generation" = Option<String>, Query, description = "A generation number or `all`; default the current one"),
        ("type" = Option<String>, Query, description = "deposit, trade, option_expiration, fee or generation_end"),
        ("after" = Option<String>, Query, description = "RFC 3339; entries created after it"),
        ("until" = Option<String>, Query, description = "RFC 3339; entries created at or before it"),
        ("limit" = Option<u32>, Query, description = "Default 100, at most 1000"),
    ),
    responses(
        (status = 200, description = "Ledger entries in `results`"),
        (status = 400, description = "`bad_request` naming the parameter"),
        (status = 404, description = "`not_found`"),
    )
)]
pub async fn ledger(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Response> {
    let id = params::account_id(&id)?;
    let kind = params::query(&pairs, "type")
        .map(|text| {
            LedgerType::parse(text).ok_or_else(|| {
                let names: Vec<&str> = LedgerType::ALL.iter().map(|t| t.as_str()).collect();
                Problem::bad_request(format!(
                    "type must be one of {}, not {text:?}",
                    names.join(", ")
                ))
            })
        })
        .transpose()?;
    let query = LedgerQuery {
        generations: params::generations(&pairs)?,
        kind,
        after: params::instant(&pairs, "after")?,
        until: params::instant(&pairs, "until")?,
        limit: crate::faces::cutemarkets::query::Params::new(pairs)
            .limit(DEFAULT_LEDGER_LIMIT, MAX_LEDGER_LIMIT)?,
    };
    let entries = state
        .store
        .paper_ledger(key.user_id, id, &query)
        .await?
        .ok_or_else(|| params::not_found(&id.to_string()))?;
    let rows: Vec<LedgerEntryBody> = entries.iter().map(LedgerEntryBody::of).collect();
    Ok(envelope::ok(&request_id, rows))
}
