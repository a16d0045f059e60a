//! The column API (PublicOptions-compatible): `header.format` plus rows. The gate (keys, quota,
//! idempotency, lifecycle headers), health, and the data endpoints, one file each, over the
//! parameter reader and the envelope.

pub mod access;
pub mod chain;
mod contract;
pub mod envelope;
pub mod eod;
pub mod health;
pub mod intraday;
pub mod lifecycle;
pub mod params;
pub mod trades;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(chain::chain))
        .routes(routes!(eod::eod))
        .routes(routes!(intraday::intraday))
        .routes(routes!(trades::trades))
}
