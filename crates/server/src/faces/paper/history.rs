//! `/v1/paper/accounts/{id}/portfolio/history` (§5.13) and the fills (§5.14): the equity series
//! with drawdown, and every execution with the quote that justified it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Extension, State};
use model::calendar;
use model::money::canonical;
use serde_json::{Value, json};
use store::keys::ApiKey;
use store::paper_accounts::{EquityPoint, Generations};
use uuid::Uuid;

use super::params;
use super::wire::instant;
use crate::http::{PathParams, Problem, QueryParams, Reply, RequestId};
use crate::state::AppState;

const DEFAULT_POINTS: usize = 10_000;

/// Bucket lengths of the timeframes other than `raw` and `1D`, in seconds.
fn bucket_seconds(timeframe: &str) -> Option<Option<i64>> {
    match timeframe {
        "raw" => Some(None),
        "1Min" => Some(Some(60)),
        "5Min" => Some(Some(300)),
        "15Min" => Some(Some(900)),
        "1H" => Some(Some(3600)),
        "1D" => Some(Some(0)),
        _ => None,
    }
}

fn point_body(point: &EquityPoint) -> Value {
    let f = &point.figures;
    json!({
        "timestamp": instant(point.at),
        "generation": point.generation,
        "equity": canonical(f.equity),
        "cash": canonical(f.cash),
        "market_value": canonical(f.market_value),
        "realized_pl": canonical(f.realized_pl),
        "unrealized_pl": canonical(f.unrealized_pl),
        "peak_equity": canonical(f.peak_equity),
        "drawdown": canonical(f.drawdown),
        "drawdown_amount": canonical(f.drawdown_amount),
        "trigger": point.trigger.as_str(),
    })
}

/// Portfolio history
///
/// The account's equity points (generation start, fills, resets): equity, cash, market value,
/// realized and unrealized P&L, peak and drawdown. `timeframe` raw (default) or 1Min, 5Min,
/// 15Min, 1H, 1D (the last point of each bucket; days by New York date); `start`, `end` (RFC 3339,
/// inclusive); `generation`; `limit` (default 10000, the newest kept).
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/portfolio/history",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, description = "The series under `history`"), (status = 404, description = "`not_found`"))
)]
pub async fn portfolio_history(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<Value>> {
    let account_id = params::account_id(&id)?;
    let generations = params::generations(&pairs)?;
    let timeframe = params::query(&pairs, "timeframe").unwrap_or("raw");
    let bucket = bucket_seconds(timeframe).ok_or_else(|| {
        Problem::bad_request(format!(
            "timeframe must be raw, 1Min, 5Min, 15Min, 1H or 1D, not {timeframe:?}"
        ))
    })?;
    let start = params::instant(&pairs, "start")?;
    let end = params::instant(&pairs, "end")?;
    let limit = crate::faces::cutemarkets::query::Params::new(pairs.clone())
        .limit(DEFAULT_POINTS, DEFAULT_POINTS)?;
    let account = state
        .store
        .paper_account(key.user_id, account_id)
        .await?
        .ok_or_else(|| params::not_found(&id))?;
    let points = state
        .store
        .paper_equity_points(key.user_id, account_id, generations)
        .await?
        .ok_or_else(|| params::not_found(&id))?;
    let mut points: Vec<EquityPoint> = points
        .into_iter()
        .filter(|p| start.is_none_or(|s| p.at >= s) && end.is_none_or(|e| p.at <= e))
        .collect();
    if let Some(seconds) = bucket {
        // The last point of each bucket, in the order they were written.
        let mut last: BTreeMap<(i64, i64), usize> = BTreeMap::new();
        for (i, p) in points.iter().enumerate() {
            let key = if seconds == 0 {
                let date = calendar::new_york_date(p.at);
                i64::from(date.year()) * 10_000
                    + i64::from(date.month()) * 100
                    + i64::from(date.day())
            } else {
                p.at.as_seconds().div_euclid(seconds)
            };
            last.insert((p.generation, key), i);
        }
        let mut keep: Vec<usize> = last.into_values().collect();
        keep.sort_unstable();
        points = keep.into_iter().map(|i| points[i].clone()).collect();
    }
    if points.len() > limit {
        points.drain(..points.len() - limit);
    }
    let summary = match (points.first(), points.last()) {
        (Some(first), Some(last)) => json!({
            "start_equity": canonical(first.figures.equity),
            "end_equity": canonical(last.figures.equity),
            "peak_equity": canonical(points.iter().map(|p| p.figures.peak_equity).max().unwrap_or_default()),
            "max_drawdown": canonical(points.iter().map(|p| p.figures.drawdown).min().unwrap_or_default()),
            "realized_pl": canonical(last.figures.realized_pl),
            "unrealized_pl": canonical(last.figures.unrealized_pl),
        }),
        _ => Value::Null,
    };
    let generation = match generations {
        Generations::All => Value::String("all".into()),
        Generations::One(n) => json!(n),
        Generations::Current => json!(account.generation),
    };
    Ok(Json(json!({
        "status": "OK",
        "request_id": request_id.as_str(),
        "history": {
            "account_id": account.id.to_string(),
            "generation": generation,
            "timeframe": timeframe,
            "base_value": points.first().map(|p| canonical(p.figures.equity)),
            "summary": summary,
            "points": points.iter().map(point_body).collect::<Vec<_>>(),
        }
    })))
}

fn fill_body(
    fill: &store::paper_orders::FillRow,
    client_order_id: &Option<String>,
    intent: &Option<String>,
) -> Value {
    json!({
        "id": fill.id.to_string(),
        "order_id": fill.order_id.map(|id| id.to_string()),
        "client_order_id": client_order_id,
        "account_id": fill.account_id.to_string(),
        "generation": fill.generation,
        "symbol": fill.symbol,
        "asset_class": if fill.symbol.starts_with("O:") { "us_option" } else { "us_equity" },
        "side": fill.side,
        "position_intent": intent,
        "qty": canonical(fill.qty),
        "price": canonical(fill.price),
        "multiplier": canonical(fill.multiplier),
        "gross_amount": canonical(fill.gross_amount),
        "cash_after": canonical(fill.cash_after),
        "position_qty_after": canonical(fill.position_qty_after),
        "realized_pl": canonical(fill.realized_pl),
        "filled_at": instant(fill.filled_at),
        "fill_rule": fill.fill_rule,
        "quote": serde_json::from_str::<Value>(&fill.quote).unwrap_or(Value::Null),
        "policy_version": fill.policy_version,
    })
}

/// Fills
///
/// Every execution with the quote it used. `order_id`, `symbol`, `direction` (asc or desc,
/// default desc), `limit` (default 100, at most 1000), `generation`.
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/fills",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, description = "Fills in `results`"), (status = 404, description = "`not_found`"))
)]
pub async fn fills(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
    QueryParams(pairs): QueryParams<Vec<(String, String)>>,
) -> Reply<Json<Value>> {
    let account_id = params::account_id(&id)?;
    let account = state
        .store
        .paper_account(key.user_id, account_id)
        .await?
        .ok_or_else(|| params::not_found(&id))?;
    let generation = params::generation(&pairs, account.generation)?;
    let order = params::query(&pairs, "order_id")
        .map(|text| {
            Uuid::try_parse(text)
                .map_err(|_| Problem::bad_request(format!("order_id must be an id, not {text:?}")))
        })
        .transpose()?;
    let symbol = params::query(&pairs, "symbol").map(|s| s.to_ascii_uppercase());
    let ascending = params::ascending(&pairs)?;
    let limit = crate::faces::cutemarkets::query::Params::new(pairs.clone()).limit(100, 1000)?;
    let mut rows: Vec<Value> = state
        .store
        .paper_fills(account.id, generation)
        .await?
        .iter()
        .filter(|(fill, _, _)| order.is_none_or(|o| fill.order_id == Some(o)))
        .filter(|(fill, _, _)| {
            symbol
                .as_deref()
                .is_none_or(|s| fill.symbol == s || fill.symbol.trim_start_matches("O:") == s)
        })
        .map(|(fill, client, intent)| fill_body(fill, client, intent))
        .collect();
    if !ascending {
        rows.reverse();
    }
    rows.truncate(limit);
    Ok(Json(
        json!({"status": "OK", "request_id": request_id.as_str(), "results": rows}),
    ))
}
