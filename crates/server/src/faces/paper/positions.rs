//! `/v1/paper/accounts/{id}/positions` (§5.12): the current generation's long positions, folded
//! from its fills and marked at the mid of the latest valid quote (the average entry price
//! when there is none).

use axum::Json;
use axum::extract::{Extension, State};
use model::money::canonical;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use store::keys::ApiKey;
use store::paper_orders::PositionRow;

use super::params;
use super::quotes;
use super::wire::instant;
use crate::http::{PathParams, Problem, Reply, RequestId};
use crate::state::{AppState, read_tape};

/// A position with its mark (`None`: no valid quote).
pub struct Marked {
    pub position: PositionRow,
    pub mark: Option<Decimal>,
}

/// Marks positions at the market clock. Blocking: it reads the tape.
pub fn mark(state: &AppState, positions: Vec<PositionRow>) -> Result<Vec<Marked>, Problem> {
    let symbols: Vec<String> = positions.iter().map(|p| p.symbol.clone()).collect();
    let marks = quotes::marks(state, &symbols, state.market_now())?;
    Ok(positions
        .into_iter()
        .map(|position| Marked {
            mark: marks.get(&position.symbol).copied(),
            position,
        })
        .collect())
}

impl Marked {
    pub fn current_price(&self) -> Decimal {
        self.mark.unwrap_or(self.position.holding.avg_entry_price)
    }

    pub fn market_value(&self) -> Decimal {
        self.current_price() * self.position.holding.qty * self.position.multiplier
    }

    pub fn unrealized_pl(&self) -> Decimal {
        self.market_value() - self.position.holding.cost_basis(self.position.multiplier)
    }

    pub fn body(&self, open_sells: Decimal) -> Value {
        let p = &self.position;
        let cost = p.holding.cost_basis(p.multiplier);
        let unrealized = self.unrealized_pl();
        let option = p.symbol.starts_with("O:");
        json!({
            "symbol": p.symbol,
            "asset_class": if option { "us_option" } else { "us_equity" },
            "asset_id": super::wire::asset_id(&p.symbol).to_string(),
            "exchange": "",
            "side": "long",
            "qty": canonical(p.holding.qty),
            "qty_available": canonical(p.holding.qty - open_sells),
            "multiplier": canonical(p.multiplier),
            "avg_entry_price": canonical(p.holding.avg_entry_price.round_dp(4)),
            "cost_basis": canonical(cost.round_dp(2)),
            "current_price": canonical(self.current_price()),
            "market_value": canonical(self.market_value().round_dp(2)),
            "unrealized_pl": canonical(unrealized.round_dp(2)),
            "unrealized_plpc": if cost.is_zero() { Value::Null } else { json!(canonical((unrealized / cost).round_dp(6))) },
            "realized_pl": canonical(p.holding.realized_pl),
            "opened_at": instant(p.opened_at),
            "updated_at": instant(p.updated_at),
            "mark": {
                "source": if self.mark.is_some() { "quote_mid" } else { "entry_price" },
                "stale": self.mark.is_none(),
            },
        })
    }
}

/// Open positions
#[utoipa::path(
    get,
    path = "/v1/paper/accounts/{account_id}/positions",
    tag = "paper",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, description = "Positions in `results`, by symbol"), (status = 404, description = "`not_found`"))
)]
pub async fn list(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(id): PathParams<String>,
) -> Reply<Json<Value>> {
    let account_id = params::account_id(&id)?;
    let (_, book) = state
        .store
        .paper_book(key.user_id, account_id)
        .await?
        .ok_or_else(|| params::not_found(&id))?;
    let positions: Vec<PositionRow> = book.positions.values().cloned().collect();
    let marked = read_tape(&state, move |state| mark(state, positions)).await?;
    let results: Vec<Value> = marked
        .iter()
        .map(|m| {
            m.body(
                book.open_sells
                    .get(&m.position.symbol)
                    .copied()
                    .unwrap_or_default(),
            )
        })
        .collect();
    Ok(Json(
        json!({"status": "OK", "request_id": request_id.as_str(), "results": results}),
    ))
}
