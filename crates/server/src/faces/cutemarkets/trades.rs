//! `GET /v1/options/trades/{options_ticker}/last/`: a contract's latest trade, in the compact
//! last-trade form.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use model::polygon_codes::{polygon_option_condition, polygon_option_venue};
use model::roots::root_info;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use store::keys::ApiKey;

use super::contracts::option_ticker;
use super::envelope;
use crate::http::{PathParams, Problem, RequestId};
use crate::state::AppState;

/// Options last trade
///
/// The contract's latest trade as of market time (fifteen minutes earlier on delayed plans),
/// searched back through the recorded sessions. Exchange and condition ids are Polygon's.
#[utoipa::path(
    get,
    path = "/v1/options/trades/{options_ticker}/last",
    tag = "options",
    params(("options_ticker" = String, Path, description = "Polygon-style option ticker", example = "O:SPXW250115C05950000")),
    responses(
        (status = 200, description = "The compact last trade (`T`, `p`, `s`, `t`, `x`, `c`, `q`, `i`, `ds`) in `results`"),
        (status = 400, description = "`bad_request`: not an option ticker"),
        (status = 404, description = "`not_found`: no trade yet"),
    )
)]
pub async fn last_trade(
    State(state): State<AppState>,
    request_id: RequestId,
    Extension(key): Extension<ApiKey>,
    PathParams(ticker): PathParams<String>,
) -> Result<Json<Value>, Problem> {
    let symbol = option_ticker(&ticker)?;
    let at = super::access::visible_until(&state, &key);
    let underlying = root_info(symbol.root.as_str()).underlying;
    let today = model::calendar::new_york_date(at);
    let sessions = state.tape.sessions(underlying)?;
    for day in sessions.iter().rev().filter(|d| **d <= today) {
        let Some(session) = state.tape.session(underlying, *day)? else {
            continue;
        };
        let Some(owner) = session.contract(&symbol) else {
            continue;
        };
        if let Some(trade) = session.last_trade_at(owner, at)? {
            return Ok(envelope::ok(
                &request_id,
                compact(&symbol.polygon(), &trade),
            ));
        }
    }
    Err(Problem::not_found(format!(
        "no trade of {} by {at}",
        symbol.polygon()
    )))
}

/// The compact last-trade object (CuteMarkets 2.5).
fn compact(ticker: &str, trade: &tape::Trade) -> Value {
    let size = Decimal::new(i64::try_from(trade.size).unwrap_or(i64::MAX), 6).normalize();
    let mut out = Map::new();
    out.insert("T".into(), ticker.into());
    out.insert(
        "c".into(),
        trade
            .condition_codes()
            .filter_map(polygon_option_condition)
            .collect::<Vec<_>>()
            .into(),
    );
    // The decimal size always shows a decimal point ("4.0").
    let decimal_size = if size.fract().is_zero() {
        format!("{size}.0")
    } else {
        size.to_string()
    };
    out.insert("ds".into(), decimal_size.into());
    out.insert("i".into(), "".into());
    out.insert(
        "p".into(),
        Value::Number(envelope::number(tape::records::px_to_decimal(trade.price))),
    );
    out.insert("q".into(), trade.sequence.into());
    out.insert("s".into(), Value::Number(envelope::number(size)));
    out.insert("t".into(), trade.ts.as_nanos().into());
    if let Some(exchange) = polygon_option_venue(trade.exchange) {
        out.insert("x".into(), exchange.into());
    }
    Value::Object(out)
}
