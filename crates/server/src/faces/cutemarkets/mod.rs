//! The CuteMarkets face: `/v1` market data and paper trading, Polygon-style `/v2` and `/v3`
//! aliases. This slice: the gate (keys, products, plans, rate limits) and the status
//! endpoint; the data endpoints mount here as they arrive.

pub mod access;
pub mod envelope;
pub mod status;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status::status))
}
