//! The optiontape server: every HTTP face over one shared domain.
//!
//! Request path, outermost first: path normalisation (before routing), request id, access log,
//! problem rendering in the face's shape, panic capture, the face's gate, then the route.

pub mod auth;
pub mod bootstrap;
pub mod faces;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod idempotency;
pub mod limits;
pub mod mail;
pub mod openapi;
pub mod pages;
pub mod settings;
pub mod state;

pub use settings::{ColumnSettings, MailSettings, Settings};
pub use state::{AppState, WallClock};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension, Request};
use axum::middleware::{from_fn, from_fn_with_state};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower::Layer;
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;

use crate::http::{extract::MAX_JSON_BODY, face, path, request_id};
use crate::openapi::Documents;

/// The complete service: routes, documentation and every layer.
#[derive(Clone)]
pub struct App {
    router: Router,
    pub openapi: utoipa::openapi::OpenApi,
}

impl App {
    /// Assembles the application. `extra` routes are mounted beside the faces' own and pass
    /// through the same layers (used to mount handlers under test).
    pub fn new(state: AppState, extra: Router<AppState>) -> anyhow::Result<App> {
        let (routes, openapi) = utoipa_axum::router::OpenApiRouter::with_openapi(openapi::base())
            .merge(faces::routes())
            .merge(openapi::routes())
            .split_for_parts();
        let documents = Arc::new(Documents::new(&openapi, &state.settings.public_url)?);
        let router = routes
            .merge(extra)
            .fallback(face::no_route)
            .method_not_allowed_fallback(face::wrong_method)
            .layer(from_fn_with_state(state.clone(), faces::gate))
            .layer(CatchPanicLayer::custom(face::panic_response))
            .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
            .layer(Extension(documents))
            .layer(from_fn(face::render_problems))
            .layer(from_fn(http::access_log::log_request))
            .layer(from_fn(request_id::assign))
            .with_state(state);
        Ok(App { router, openapi })
    }

    /// The service to hand to a server: the router behind path normalisation.
    pub fn service(
        self,
    ) -> impl tower::Service<
        Request,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
        Future: Send,
    > + Clone
    + Send
    + 'static {
        MapRequestLayer::new(path::normalize).layer(self.router)
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let housekeeping = tokio::spawn(housekeeping(state.clone()));
    let evaluator = tokio::spawn(faces::paper::evaluation::run(state.clone()));
    let service = app.service();
    let result = axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(service),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    housekeeping.abort();
    evaluator.abort();
    state.store.close().await;
    result
}

/// Periodic clean-up: expired records in the store, idle subjects in the rate limiter.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        match state.store.sweep(state.now()).await {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(removed, "swept expired records"),
            Err(error) => tracing::warn!(%error, "sweeping expired records failed"),
        }
        state.meter.prune(state.now());
    }
}
