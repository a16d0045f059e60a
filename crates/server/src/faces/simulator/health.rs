//! `GET /health`: liveness, no auth.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Liveness {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness
///
/// 200 whenever the process is serving requests.
#[utoipa::path(get, path = "/health", tag = "status", security(()), responses((status = 200, body = Liveness)))]
pub async fn health() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}
