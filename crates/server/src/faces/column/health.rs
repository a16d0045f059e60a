//! `GET /v1/options/health`: the column API's unauthenticated health probe.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the data store answers, `degraded` otherwise.
    #[schema(example = "ok")]
    pub status: &'static str,
    pub upstream: Upstream,
}

#[derive(Serialize, ToSchema)]
pub struct Upstream {
    /// `CONNECTED` when a trivial read of the store succeeds, `DISCONNECTED` when it fails.
    #[schema(example = "CONNECTED")]
    pub mdds_status: &'static str,
    /// Round-trip time of that read, in milliseconds.
    pub upstream_ms: u64,
}

/// Column API health
///
/// Needs no key, counts against no quota. A client treats the service as ready when `status` is
/// `ok` and `upstream.mdds_status` is `CONNECTED`.
#[utoipa::path(
    get,
    path = "/v1/options/health",
    tag = "column",
    security(()),
    responses((status = 200, description = "Health of the column API and its store", body = Health))
)]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let probe = state.probe_database().await;
    Json(Health {
        status: if probe.is_some() { "ok" } else { "degraded" },
        upstream: Upstream {
            mdds_status: if probe.is_some() {
                "CONNECTED"
            } else {
                "DISCONNECTED"
            },
            upstream_ms: probe.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        },
    })
}
