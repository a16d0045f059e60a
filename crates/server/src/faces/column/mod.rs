//! The column API (PublicOptions-compatible): `header.format` plus rows. This slice: the
//! gate (keys, quota, idempotency, headers) and health; the data endpoints mount here.

pub mod access;
pub mod health;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health::health))
}
