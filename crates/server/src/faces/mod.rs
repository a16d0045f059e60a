//! The faces: thin mappings between each vendor's wire shapes and the shared domain.
//!
//! Each face has a gate (authentication, entitlements, rate limits, face headers) and routes.
//! [`gate`] sends a request through its face's gate; [`routes`] collects every face's routes with
//! their OpenAPI documentation.

pub mod alpaca;
pub mod column;
pub mod cutemarkets;
pub mod paper;
pub mod simulator;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;

use crate::http::Face;
use crate::state::AppState;

/// Runs the request through the gate of the face it belongs to.
pub async fn gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let face = req
        .extensions()
        .get::<Face>()
        .copied()
        .unwrap_or_else(|| Face::of(req.uri().path()));
    match face {
        Face::CuteMarkets => cutemarkets::access::gate(state, req, next).await,
        Face::Column => column::access::gate(state, req, next).await,
        Face::Simulator => simulator::access::gate(state, req, next).await,
        Face::Alpaca => alpaca::gate(state, req, next).await,
    }
}

/// Every face's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(cutemarkets::routes())
        .merge(column::routes())
        .merge(simulator::routes())
        .merge(paper::routes())
        .merge(alpaca::routes())
}
