//! `GET /v1/status/`: is the service healthy? No key, no rate limit.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::ToSchema;

use crate::http::RequestId;
use crate::state::AppState;

/// A probe slower than this marks the service degraded.
const SLOW_PROBE: Duration = Duration::from_millis(500);

#[derive(Serialize, ToSchema)]
pub struct StatusReport {
    /// `ok` when every service is healthy, `degraded` otherwise.
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "cm_0f3a9c2e5b7d41e8a6c4b2d0e9f81735")]
    pub request_id: String,
    pub services: BTreeMap<&'static str, ServiceStatus>,
    /// The market clock and the market data on hand (an optiontape addition).
    pub market: MarketStatus,
}

#[derive(Serialize, ToSchema)]
pub struct MarketStatus {
    /// `replay` (wall-clock time replayed on the latest recorded session) or `fixed`.
    #[schema(example = "replay")]
    pub clock: &'static str,
    /// The session market time falls in.
    #[schema(example = "2025-01-15")]
    pub session: Option<String>,
    /// Market time now, RFC 3339 UTC.
    #[schema(example = "2025-01-15T15:30:00Z")]
    pub time: String,
    /// Underlyings the tape has sessions for.
    #[schema(example = json!(["SPX", "SPY"]))]
    pub underlyings: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceStatus {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

fn round_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

/// Service health
///
/// Reports `ok` or `degraded` for the API, the database (with its round-trip latency) and the
/// market data (degraded while the tape is empty), and the market clock's time. Always HTTP 200
/// so that clients read the body instead of retrying.
#[utoipa::path(
    get,
    path = "/v1/status",
    tag = "status",
    security(()),
    responses((status = 200, description = "Health of each service", body = StatusReport))
)]
pub async fn status(State(state): State<AppState>, request_id: RequestId) -> Json<StatusReport> {
    let database = state.probe_database().await;
    let database_ok = database.is_some_and(|latency| latency < SLOW_PROBE);
    let mut services = BTreeMap::new();
    services.insert(
        "api",
        ServiceStatus {
            status: "ok",
            latency_ms: None,
        },
    );
    services.insert(
        "database",
        ServiceStatus {
            status: if database_ok { "ok" } else { "degraded" },
            latency_ms: database.map(round_ms),
        },
    );
    let underlyings = state.tape.underlyings().unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot list the tape");
        Vec::new()
    });
    services.insert(
        "market_data",
        ServiceStatus {
            status: if underlyings.is_empty() {
                "degraded"
            } else {
                "ok"
            },
            latency_ms: None,
        },
    );
    let market = MarketStatus {
        clock: match state.market.setting() {
            model::ClockSetting::Replay => "replay",
            model::ClockSetting::Fixed(_) => "fixed",
        },
        session: state.market.session().map(|s| s.date.to_string()),
        time: state.market_now().to_rfc3339(),
        underlyings,
    };
    let healthy = services.values().all(|s| s.status == "ok");
    Json(StatusReport {
        status: if healthy { "ok" } else { "degraded" },
        request_id: request_id.to_string(),
        services,
        market,
    })
}
